package tokenserver

import (
	"crypto/rand"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"
)

// accessToken is what the server remembers about an issued access token.
type accessToken struct {
	clientID string
	username string
	scope    string
	expiry   time.Time
	family   string

	// subject and issuer are the sub and iss of the JWT a JWT bearer grant
	// or token exchange was made with.
	subject string
	issuer  string
	// audience and resource are what a token exchange asked the token for
	// (RFC 8693 §2.1).
	audience []string
	resource []string
	// actor is the party a token exchange delegated to (RFC 8693 §4.1).
	actor *Actor
	// certSHA256 binds the token to a TLS client certificate (RFC 8705 §3).
	certSHA256 string
	// revoked is set when the token itself was revoked (RFC 7009); a
	// revoked family is recorded in Server.revoked instead.
	revoked bool
}

// refreshToken is what the server remembers about an issued refresh token.
// Retired tokens are kept so that presenting one again is recognised as reuse
// rather than as an unknown token.
type refreshToken struct {
	clientID string
	username string
	scope    string
	family   string
	retired  bool
}

// authCode is an authorization code waiting to be exchanged (RFC 6749 §4.1.2).
type authCode struct {
	clientID    string
	username    string
	redirectURI string
	challenge   string // S256 code_challenge, empty when PKCE was not used
	scope       string
	family      string
	expiry      time.Time
	used        bool
}

// Stats counts what the server has been asked. A copy is returned by
// Server.Stats, so callers may keep and compare snapshots.
type Stats struct {
	// TokenRequests counts every request to the token endpoint, answered
	// with a token or an error.
	TokenRequests int64
	// Grants counts token requests by the grant_type they named; a missing
	// grant_type counts under "".
	Grants map[string]int64
	// TokensIssued counts successful token responses.
	TokensIssued int64
	// Refreshes counts successful refresh_token grants.
	Refreshes int64
	// TokenErrors counts token requests answered with an error.
	TokenErrors int64
	// InvalidGrants counts token errors whose code was invalid_grant.
	InvalidGrants int64
	// FamiliesRevoked counts grants revoked because a retired refresh token
	// or a used authorization code was presented again.
	FamiliesRevoked int64
	// AuthorizeRequests counts requests to the authorization endpoint.
	AuthorizeRequests int64
	// APICalls counts requests to the protected resource.
	APICalls int64
	// APIRejected counts protected resource requests answered 401.
	APIRejected int64
	// AssertionsAccepted counts JWTs accepted as client assertions (RFC
	// 7523 §2.2) or as JWT bearer grant assertions (RFC 7523 §2.1).
	AssertionsAccepted int64
	// AssertionReplays counts such JWTs refused because their jti had been
	// accepted before.
	AssertionReplays int64
	// TLSClientAuthentications counts clients authenticated by a TLS
	// client certificate (RFC 8705 §2).
	TLSClientAuthentications int64
	// MetadataRequests counts requests for the metadata document at
	// MetadataPath or OpenIDConfigurationPath, answered or not (with
	// Config.DisableMetadata), so a test can tell a client tried discovery.
	MetadataRequests int64
	// RevocationRequests counts requests to the revocation endpoint (RFC
	// 7009), answered 200 or with an error.
	RevocationRequests int64
	// Revocations counts revocation requests that revoked a live token.
	// Revoking a refresh token counts once, though the access tokens
	// issued from it go too; revoking an unknown, expired or already
	// revoked token, or another client's, counts nothing.
	Revocations int64
	// DeviceAuthorizations counts device authorization requests (RFC 8628
	// §3.1) answered with a device code; the polls that follow count as
	// token requests under GrantTypeDeviceCode.
	DeviceAuthorizations int64
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.counters
	st.Grants = maps.Clone(s.counters.Grants)
	return st
}

// ResetStats sets every counter back to zero, so a benchmark can measure one
// phase at a time. Issued tokens stay valid.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters = Stats{Grants: map[string]int64{}}
}

// IssueCode records an authorization code as if the authorization endpoint
// had approved a request from clientID, and returns it. challenge is an S256
// code_challenge (RFC 7636 §4.2) or empty for none. The resource owner is the
// first configured user in name order.
func (s *Server) IssueCode(clientID, redirectURI, challenge, scope string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueCodeLocked(clientID, s.defaultUser(), redirectURI, challenge, scope)
}

// IssueRefreshToken records a refresh token for clientID and username, as if
// an earlier grant had issued it, and returns it. Tests of the refresh_token
// grant start from here.
func (s *Server) IssueRefreshToken(clientID, username, scope string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueRefreshLocked(clientID, username, scope, newID("fam_"))
}

// defaultUser is the resource owner who approves authorization requests that
// name none.
func (s *Server) defaultUser() string {
	names := make([]string, 0, len(s.cfg.Users))
	for name := range s.cfg.Users {
		names = append(names, name)
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	return names[0]
}

func (s *Server) issueCodeLocked(clientID, username, redirectURI, challenge, scope string) string {
	code := newID("code_")
	s.codes[code] = &authCode{
		clientID:    clientID,
		username:    username,
		redirectURI: redirectURI,
		challenge:   challenge,
		scope:       scope,
		family:      newID("fam_"),
		expiry:      s.now().Add(codeLifetime),
	}
	return code
}

func (s *Server) issueAccessLocked(clientID, username, scope, family string) string {
	return s.issueAccessRecordLocked(&accessToken{
		clientID: clientID,
		username: username,
		scope:    scope,
		family:   family,
	})
}

// issueAccessRecordLocked stores at, with its expiry set, under a new token.
func (s *Server) issueAccessRecordLocked(at *accessToken) string {
	tok := newID("at_")
	at.expiry = s.now().Add(s.cfg.TokenLifetime)
	s.access[tok] = at
	return tok
}

func (s *Server) issueRefreshLocked(clientID, username, scope, family string) string {
	tok := newID("rt_")
	s.refresh[tok] = &refreshToken{
		clientID: clientID,
		username: username,
		scope:    scope,
		family:   family,
	}
	return tok
}

// revokeFamilyLocked invalidates every token issued from one original grant.
// Tokens are checked against s.revoked when presented, so nothing needs to be
// deleted here.
func (s *Server) revokeFamilyLocked(family string) {
	if !s.revoked[family] {
		s.revoked[family] = true
		s.counters.FamiliesRevoked++
	}
}

// RevokedTokens returns how many of the access and refresh tokens the server
// issued have been revoked, by the revocation endpoint or by reuse detection,
// and are not merely expired or retired.
func (s *Server) RevokedTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, at := range s.access {
		if at.revoked || s.revoked[at.family] {
			n++
		}
	}
	for _, rt := range s.refresh {
		if s.revoked[rt.family] {
			n++
		}
	}
	return n
}

// lookupAccess returns the access token's record if it is known, unexpired
// and not revoked.
func (s *Server) lookupAccess(tok string) (accessToken, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.access[tok]
	if !ok || at.revoked || s.revoked[at.family] || !s.now().Before(at.expiry) {
		return accessToken{}, false
	}
	return *at, true
}

// newID returns an unguessable token with a prefix saying what it is, which
// makes leaked values easy to recognise in test failures.
func newID(prefix string) string {
	return prefix + rand.Text()
}

// Leaks reports every secret this server knows that appears in text: client
// secrets, user passwords, and the access tokens, refresh tokens,
// authorization codes and device codes it has issued. Tests and the demo run it over plan output and state files to
// prove no secret was written there. The answer names what leaked, never
// the value itself.
func (s *Server) Leaks(text string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []string
	for id, c := range s.cfg.Clients {
		if c.Secret != "" && strings.Contains(text, c.Secret) {
			found = append(found, fmt.Sprintf("client secret of %q", id))
		}
	}
	for name, pw := range s.cfg.Users {
		if pw != "" && strings.Contains(text, pw) {
			found = append(found, fmt.Sprintf("password of user %q", name))
		}
	}
	for tok, at := range s.access {
		if strings.Contains(text, tok) {
			found = append(found, fmt.Sprintf("access token issued to client %q", at.clientID))
		}
	}
	for tok, rt := range s.refresh {
		if strings.Contains(text, tok) {
			found = append(found, fmt.Sprintf("refresh token issued to client %q", rt.clientID))
		}
	}
	for code, ac := range s.codes {
		if strings.Contains(text, code) {
			found = append(found, fmt.Sprintf("authorization code issued to client %q", ac.clientID))
		}
	}
	for code, dg := range s.devices {
		if strings.Contains(text, code) {
			found = append(found, fmt.Sprintf("device code issued to client %q", dg.clientID))
		}
	}
	sort.Strings(found)
	return found
}
