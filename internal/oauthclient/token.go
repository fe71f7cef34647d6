package oauthclient

import "time"

// timeNow is the clock used for expiry; tests replace it.
var timeNow = time.Now

// Token is a successful access token response (RFC 6749 §5.1). A Token
// returned from the cache is shared: treat it as read-only.
type Token struct {
	// AccessToken is the access_token the server issued.
	AccessToken string
	// TokenType is as the server sent it; empty when it sent none.
	TokenType string
	// RefreshToken is the refresh token to use next. For a refresh grant whose
	// answer carried none, it is the one that was presented (RFC 6749 §6).
	RefreshToken string
	// RefreshTokenRotated is true when the server issued a refresh token
	// different from the one presented, so the caller must persist it.
	RefreshTokenRotated bool
	// IDToken is the OpenID Connect id_token, when the server sent one.
	IDToken string
	// IssuedTokenType is the type of the issued token a token exchange
	// reports (RFC 8693 §2.2.1); empty for other grants.
	IssuedTokenType string
	// Scope is the granted scope as sent, empty when the server sent none
	// (RFC 6749 §5.1: then it equals the requested scope).
	Scope string
	// ExpiresIn is the lifetime the server announced, in seconds; zero with
	// ExpiryKnown false when it announced none (or announced 0, which some
	// servers use for "does not expire").
	ExpiresIn int64
	// Expiry is the absolute expiry computed when the answer arrived; zero
	// when unknown.
	Expiry time.Time
	// Raw holds every field of the answer, including non-standard ones. JSON
	// numbers are json.Number; form-encoded values are strings.
	Raw map[string]any
}

// ExpiryKnown reports whether the server announced a lifetime. A token
// without one is not "expired": its expiry is unknown.
func (t *Token) ExpiryKnown() bool { return !t.Expiry.IsZero() }

// ValidFor reports whether the token is still valid for longer than d at
// time now. A token of unknown expiry is treated as valid.
func (t *Token) ValidFor(now time.Time, d time.Duration) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	if !t.ExpiryKnown() {
		return true
	}
	return t.Expiry.Sub(now) > d
}

// Lifetime returns the lifetime the server announced (RFC 6749 §5.1
// expires_in), capped at 100 years so that no arithmetic on it overflows;
// zero when it announced none.
func (t *Token) Lifetime() time.Duration {
	if t == nil || t.ExpiresIn <= 0 {
		return 0
	}
	return time.Duration(min(t.ExpiresIn, maxExpiresIn)) * time.Second
}
