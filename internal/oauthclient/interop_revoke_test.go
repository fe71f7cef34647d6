package oauthclient_test

// Revocation scenarios of TestInterop (interop_test.go): Client.Revoke
// against a server's RFC 7009 endpoint, the effect checked with the
// server's own validation.

import (
	"testing"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

// A revoked refresh token is refused by the token endpoint, and the access
// tokens issued with it fail the server's introspection (RFC 7009 §2.1: the
// server SHOULD invalidate the access tokens of the same grant).
func scenarioRevokeRefreshToken(t *testing.T, tg interopTarget) {
	as := tg.start(t, serverConfig{})
	c := newInteropClient(t)
	tok, _ := passwordToken(t, c, tg, as)
	assertAccepted(t, as.resourceURL, tok, as.basicClient, interopUserID)

	revoke := oauthclient.RevokeRequest{
		RevocationURL: as.revocationURL,
		Token:         tok.RefreshToken,
		TokenTypeHint: oauthclient.TokenTypeHintRefreshToken,
		ClientID:      as.basicClient,
		ClientSecret:  interopClientSecret,
	}
	if err := c.Revoke(t.Context(), revoke); err != nil {
		t.Fatalf("Revoke: %v", err)
	}

	_, err := c.Exchange(t.Context(), oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantRefreshToken,
		AuthStyle:    oauthclient.AuthBasic,
		ClientID:     as.basicClient,
		ClientSecret: interopClientSecret,
		RefreshToken: tok.RefreshToken,
	})
	assertServerError(t, err, "invalid_grant", tok.RefreshToken, interopClientSecret)
	assertRejected(t, as.resourceURL, tok.AccessToken)

	// Revoking it again is no error: RFC 7009 §2.2 answers 200 for a
	// token that is already invalid.
	if err := c.Revoke(t.Context(), revoke); err != nil {
		t.Errorf("second Revoke: %v", err)
	}
}

// A refused revocation is an *oauthclient.Error that shows neither the
// token nor the secret and leaves the token valid; the same revocation
// with the right credentials invalidates the access token.
func scenarioRevokeAccessToken(t *testing.T, tg interopTarget) {
	as := tg.start(t, serverConfig{auth: authPostOnly})
	c := newInteropClient(t)
	tok, err := c.Exchange(t.Context(), oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantClientCredentials,
		AuthStyle:    oauthclient.AuthPost,
		ClientID:     as.postClient,
		ClientSecret: interopClientSecret,
		Scope:        "read",
	})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	assertAccepted(t, as.resourceURL, tok, as.postClient, "")

	revoke := oauthclient.RevokeRequest{
		RevocationURL: as.revocationURL,
		Token:         tok.AccessToken,
		TokenTypeHint: oauthclient.TokenTypeHintAccessToken,
		ClientID:      as.postClient,
		ClientSecret:  "wrong-" + interopClientSecret,
		AuthStyle:     oauthclient.AuthPost,
	}
	err = c.Revoke(t.Context(), revoke)
	assertServerError(t, err, "invalid_client", tok.AccessToken, revoke.ClientSecret)
	assertAccepted(t, as.resourceURL, tok, as.postClient, "")

	revoke.ClientSecret = interopClientSecret
	if err := c.Revoke(t.Context(), revoke); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	assertRejected(t, as.resourceURL, tok.AccessToken)
}
