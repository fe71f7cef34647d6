package tokens

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/idtoken"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
)

// Entry names. Each is a tokenstore.KeyFor of identifiers, with secrets
// folded in only through tokenstore.SecretName, so a name reveals nothing.

// ConnectionKey names the entry of an oauth2_connection: the refresh chain
// its authorization code or password grant started, or, for a connection
// with a configured refresh token, a link to that token's chain. The id is
// random and not secret.
func ConnectionKey(id string) tokenstore.Key {
	return tokenstore.KeyFor("connection", id)
}

// ChainKey names the refresh chain that started from the configured refresh
// token of req: its endpoint, its client and the token itself. Scopes,
// extra parameters and the client secret are left out on purpose: a refresh
// token belongs to its client and grant, not to one request shape.
func ChainKey(req oauthclient.Request, nameKey []byte) tokenstore.Key {
	return tokenstore.KeyFor("refresh chain v1", req.Endpoint(), req.ClientID,
		tokenstore.SecretName(nameKey, req.RefreshToken))
}

// deviceKey names a connection's pending device authorization.
func deviceKey(connection string) tokenstore.Key {
	return tokenstore.KeyFor("device authorization v1", connection)
}

// inFlightKey names the marker of a refresh in flight on chain.
func inFlightKey(chain tokenstore.Key) tokenstore.Key {
	return tokenstore.KeyFor("refresh in flight v1", chain.String())
}

// AccessKey names the access token entry of one whole request. chain is the
// name of the refresh chain the request draws on ("" for none), so that two
// connections' chains never share an access token.
func AccessKey(req oauthclient.Request, chain string, nameKey []byte) tokenstore.Key {
	return tokenstore.KeyFor(requestParts([]string{"access token v2", chain}, req, nameKey)...)
}

// legacyRequestKey is the name under which earlier versions kept a whole
// request's tokens, its refresh chain included. Only migration reads it.
func legacyRequestKey(req oauthclient.Request, nameKey []byte) tokenstore.Key {
	return tokenstore.KeyFor(requestParts([]string{"oauth2_access_token v1"}, req, nameKey)...)
}

// requestParts appends to head what identifies a whole request: its
// endpoint, grant, client, scope, username and extra parameters, and its
// secrets folded into one keyed hash.
func requestParts(head []string, req oauthclient.Request, nameKey []byte) []string {
	parts := append(head,
		req.Endpoint(),
		string(req.GrantType),
		req.ClientID,
		req.ScopeParam(),
		req.Delimiter(),
		req.Username,
	)
	parts = appendExtraParams(parts, req.ExtraParams)
	parts = append(parts, tokenstore.SecretName(nameKey, req.ClientSecret, req.Password, req.RefreshToken))
	if cred := credentialParts(req, nameKey); len(cred) > 0 {
		// Appended only when present, so that the names of requests
		// without these credentials stay what earlier versions wrote.
		parts = append(append(parts, "credentials v1"), cred...)
	}
	return parts
}

// credentialParts identifies the credentials that are not shared secrets:
// signing keys and certificates by their public thumbprints, and assertions
// and subject tokens by who they speak for. An assertion is new at every run
// (a CI system issues a new token per job, a signed one has a new jti), so
// its bytes would make every run miss; its issuer, subject and audience stay
// the same for the same workload and differ between workloads, between the
// plan and apply phases of HCP Terraform included. A token that is not a JWT
// is named by its keyed hash.
func credentialParts(req oauthclient.Request, nameKey []byte) []string {
	var out []string
	add := func(label, v string) {
		if v != "" {
			out = append(out, label, v)
		}
	}
	if req.ClientKey != nil {
		add("client key", req.ClientKey.Thumbprint())
	}
	add("client assertion", tokenIdentity(req.ClientAssertion, nameKey))
	add("client assertion audience", req.ClientAssertionAudience)
	if req.ClientCertificate != nil && len(req.ClientCertificate.Certificate) > 0 {
		sum := sha256.Sum256(req.ClientCertificate.Certificate[0])
		add("client certificate", hex.EncodeToString(sum[:]))
	}
	add("assertion", tokenIdentity(req.Assertion, nameKey))
	if req.AssertionKey != nil {
		c := req.AssertionClaims
		add("assertion key", req.AssertionKey.Thumbprint())
		add("assertion issuer", c.Issuer)
		add("assertion subject", c.Subject)
		add("assertion audience", c.Audience)
		if len(c.Extra) > 0 {
			out = appendExtraParams(append(out, "assertion claims"), c.Extra)
		}
	}
	add("subject token", tokenIdentity(req.SubjectToken, nameKey))
	add("subject token type", req.SubjectTokenType)
	add("actor token", tokenIdentity(req.ActorToken, nameKey))
	add("actor token type", req.ActorTokenType)
	add("requested token type", req.RequestedTokenType)
	for _, a := range req.Audiences {
		add("audience", a)
	}
	for _, r := range req.Resources {
		add("resource", r)
	}
	return out
}

// tokenIdentity names a JWT by its issuer, subject and audience, and any
// other token by its keyed hash; "" for none.
func tokenIdentity(tok string, nameKey []byte) string {
	if tok == "" {
		return ""
	}
	if id, ok := idtoken.Claims(tok); ok {
		return tokenstore.SecretName(nameKey, append([]string{"jwt", id.Issuer, id.Subject}, id.Audience...)...)
	}
	return tokenstore.SecretName(nameKey, "opaque", tok)
}

// appendExtraParams appends the count, then each name and value in name
// order.
func appendExtraParams(parts []string, params map[string]string) []string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	parts = append(parts, strconv.Itoa(len(names)))
	for _, k := range names {
		parts = append(parts, k, params[k])
	}
	return parts
}
