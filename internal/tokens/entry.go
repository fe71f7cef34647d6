package tokens

import (
	"net/url"
	"time"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
)

// entryFrom is what the store keeps of a token response. The expiry is taken
// on the engine's clock, the one that later decides whether the entry is
// fresh, from the capped lifetime oauthclient reports.
func (e *Engine) entryFrom(tok *oauthclient.Token, req oauthclient.Request) *tokenstore.Entry {
	now := e.now().UTC()
	entry := &tokenstore.Entry{
		AccessToken:  tok.AccessToken,
		TokenType:    tok.TokenType,
		RefreshToken: tok.RefreshToken,
		IDToken:      tok.IDToken,
		Scope:        tok.Scope,
		ObtainedAt:   now,

		IssuedTokenType: tok.IssuedTokenType,
	}
	if tok.ExpiryKnown() {
		entry.Expiry = now.Add(tok.Lifetime())
	}
	if entry.Scope == "" {
		// RFC 6749 §5.1: no scope in the answer means the requested one.
		entry.Scope = req.ScopeParam()
	}
	return entry
}

// label writes r's labels into entry, of the given kind (a
// tokenstore.Kind constant), and returns it. Of the token endpoint it keeps
// the host and port alone: a path or query may carry a tenant or a key.
func (r Request) label(entry *tokenstore.Entry, kind string) *tokenstore.Entry {
	entry.Kind = kind
	entry.Label = r.Label
	entry.ClientID = r.Token.ClientID
	entry.Grant = string(r.Token.GrantType)
	entry.TokenURLHost = ""
	if u, err := url.Parse(r.Token.Endpoint()); err == nil {
		entry.TokenURLHost = u.Host
	}
	return entry
}

// sameLabels reports whether a and b carry the same labels.
func sameLabels(a, b *tokenstore.Entry) bool {
	return a.Kind == b.Kind && a.Label == b.Label && a.TokenURLHost == b.TokenURLHost &&
		a.ClientID == b.ClientID && a.Grant == b.Grant
}

// tokenFromEntry turns a stored entry back into a token, its ExpiresIn being
// what is left of its lifetime. The lifetime stays unknown when the server
// announced none.
func (e *Engine) tokenFromEntry(entry *tokenstore.Entry) *oauthclient.Token {
	tok := &oauthclient.Token{
		AccessToken:  entry.AccessToken,
		TokenType:    entry.TokenType,
		RefreshToken: entry.RefreshToken,
		IDToken:      entry.IDToken,
		Scope:        entry.Scope,
		Expiry:       entry.Expiry,

		IssuedTokenType: entry.IssuedTokenType,
	}
	if tok.ExpiryKnown() {
		tok.ExpiresIn = max(int64(tok.Expiry.Sub(e.now()).Seconds()), 0)
	}
	return tok
}

// reusable reports whether a stored access token satisfies p now: valid for
// longer than p.MinValidity (a token without an announced lifetime taken to
// live e.unknownLifetime from when it was obtained) and, with p.MaxAge,
// obtained less than that long ago.
func (e *Engine) reusable(entry *tokenstore.Entry, p Policy) bool {
	if entry == nil || entry.AccessToken == "" {
		return false
	}
	now := e.now()
	if p.MaxAge > 0 && (entry.ObtainedAt.IsZero() || now.Sub(entry.ObtainedAt) >= p.MaxAge) {
		return false
	}
	expiry := entry.Expiry
	if expiry.IsZero() {
		if entry.ObtainedAt.IsZero() || e.unknownLifetime < 0 {
			return false
		}
		expiry = entry.ObtainedAt.Add(e.unknownLifetime)
	}
	return expiry.Sub(now) > p.MinValidity
}

// withExpiry returns a copy of tok expiring at expiry, the engine's reading
// of its lifetime; tok itself may be shared by the client's cache.
func withExpiry(tok *oauthclient.Token, expiry time.Time) *oauthclient.Token {
	cp := *tok
	cp.Expiry = expiry
	return &cp
}
