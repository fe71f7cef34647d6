package oauthclient

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/oauth2"
)

// AuthCodeRequest describes an authorization request (RFC 6749 §4.1.1).
type AuthCodeRequest struct {
	// AuthorizationURL is the authorization endpoint; "{tenant_id}" is
	// replaced with TenantID.
	AuthorizationURL string
	// TenantID fills "{tenant_id}" placeholders in AuthorizationURL.
	TenantID string
	// ClientID is sent as client_id; required (RFC 6749 §4.1.1).
	ClientID string
	// RedirectURI, when set, is sent as redirect_uri (RFC 6749 §3.1.2).
	RedirectURI string
	// Scopes are joined with ScopeDelimiter (default a space) into the scope
	// parameter (RFC 6749 §3.3).
	Scopes         []string
	ScopeDelimiter string
	// State is the opaque anti-CSRF value (RFC 6749 §10.12).
	State string
	// CodeVerifier, when set, adds code_challenge and
	// code_challenge_method=S256 (RFC 7636 §4.3).
	CodeVerifier string
	// ExtraParams are added to the URL (prompt, login_hint, …). A key that
	// the URL already sets is an error.
	ExtraParams map[string]string
}

// AuthCodeURL builds the URL a user opens to grant access (RFC 6749
// §4.1.1): response_type=code, client_id, redirect_uri, scope, state and,
// with a CodeVerifier, the S256 code_challenge (RFC 7636 §4.3), plus
// ExtraParams. An ExtraParams key that the URL already sets is an error.
func AuthCodeURL(r AuthCodeRequest) (string, error) {
	if r.AuthorizationURL == "" {
		return "", errors.New("oauthclient: authorization url is required")
	}
	if r.ClientID == "" {
		return "", errors.New("oauthclient: the authorization request needs a client id (RFC 6749 §4.1.1)")
	}
	authURL, err := fillTenant("authorization url", r.AuthorizationURL, r.TenantID)
	if err != nil {
		return "", err
	}
	if _, err := parseEndpoint("authorization url", authURL); err != nil {
		return "", err
	}
	cfg := oauth2.Config{
		ClientID:    r.ClientID,
		RedirectURL: r.RedirectURI,
		Endpoint:    oauth2.Endpoint{AuthURL: authURL},
	}
	set := map[string]bool{"response_type": true, "client_id": true}
	if r.RedirectURI != "" {
		set["redirect_uri"] = true
	}
	if r.State != "" {
		set["state"] = true
	}
	var opts []oauth2.AuthCodeOption
	if len(r.Scopes) > 0 {
		// Scopes go in as a parameter so the delimiter is ours to choose
		// (x/oauth2 always joins with a space).
		delim := r.ScopeDelimiter
		if delim == "" {
			delim = DefaultScopeDelimiter
		}
		opts = append(opts, oauth2.SetAuthURLParam("scope", strings.Join(r.Scopes, delim)))
		set["scope"] = true
	}
	if r.CodeVerifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(r.CodeVerifier))
		set["code_challenge"], set["code_challenge_method"] = true, true
	}
	for k, v := range r.ExtraParams {
		if k == "" {
			return "", errors.New("oauthclient: extra parameter with an empty name")
		}
		if set[k] {
			return "", fmt.Errorf("oauthclient: extra parameter %q conflicts with a parameter the authorization url already sets", k)
		}
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	return cfg.AuthCodeURL(r.State, opts...), nil
}

// NewCodeVerifier returns a fresh PKCE code verifier: 32 random octets,
// base64url-encoded to 43 characters (RFC 7636 §4.1).
func NewCodeVerifier() string { return oauth2.GenerateVerifier() }

// CodeChallengeS256 returns the S256 code challenge of verifier (RFC 7636
// §4.2), for servers or tests that need to check it.
func CodeChallengeS256(verifier string) string { return oauth2.S256ChallengeFromVerifier(verifier) }

// NewState returns a random state value with 256 bits of entropy,
// base64url-encoded (RFC 6749 §10.12).
func NewState() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
