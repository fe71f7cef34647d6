package oauthclient_test

// The scenarios of TestInterop (interop_test.go): one row each, run against
// every server that can.

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

var interopScenarios = []interopScenario{
	{name: "client credentials basic", run: scenarioClientCredentialsBasic},
	{name: "client credentials post", run: scenarioClientCredentialsPost},
	{name: "client credentials auto uses basic", run: scenarioClientCredentialsAutoUsesBasic},
	{name: "client credentials auto falls back to post", run: scenarioClientCredentialsAutoFallsBackToPost},
	{name: "reserved characters in secret", run: scenarioReservedCharactersInSecret},
	{name: "password", run: scenarioPassword},
	{name: "refresh token rotation", run: scenarioRefreshTokenRotation},
	{name: "refresh token without rotation", needs: []capability{capKeepRefreshToken}, run: scenarioRefreshTokenWithoutRotation},
	{name: "authorization code PKCE", run: scenarioAuthorizationCodePKCE},
	{name: "wrong client secret", run: scenarioWrongClientSecret},
	{name: "private_key_jwt", needs: []capability{capJWT}, run: scenarioPrivateKeyJWT},
	{name: "private_key_jwt replay refused", needs: []capability{capJWT}, run: scenarioPrivateKeyJWTReplayRefused},
	{name: "client assertion refused", needs: []capability{capJWT}, run: scenarioClientAssertionRefused},
	{name: "JWT bearer without client auth", needs: []capability{capJWT}, run: scenarioJWTBearerWithoutClientAuth},
	{name: "JWT bearer with client auth", needs: []capability{capJWT}, run: scenarioJWTBearerWithClientAuth},
	{name: "revoke refresh token", needs: []capability{capRevocation}, run: scenarioRevokeRefreshToken},
	{name: "revoke access token", needs: []capability{capRevocation}, run: scenarioRevokeAccessToken},
	{name: "discovery then client credentials", run: scenarioDiscoveryClientCredentials},
}

func scenarioClientCredentialsBasic(t *testing.T, tg interopTarget) {
	as := tg.start(t, serverConfig{auth: authBasicOnly})
	c := newInteropClient(t)
	req := oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantClientCredentials,
		AuthStyle:    oauthclient.AuthBasic,
		ClientID:     as.basicClient,
		ClientSecret: interopClientSecret,
		Scopes:       []string{"read", "write"},
	}
	tok, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	checkBearer(t, tok, tg.expiresIn(oauthclient.GrantClientCredentials))
	if tok.Scope != "read write" {
		t.Errorf("Scope = %q, want %q", tok.Scope, "read write")
	}
	if tok.RefreshToken != "" {
		t.Errorf("client credentials grant returned a refresh token; RFC 6749 §4.4.3 says it should not")
	}
	if ans := assertAccepted(t, as.resourceURL, tok, as.basicClient, ""); ans.Scope != "read write" {
		t.Errorf("server recorded scope %q, want %q", ans.Scope, "read write")
	}

	// The cached token is returned without another round trip.
	before := as.tokenRequests.Load()
	again, err := c.Token(t.Context(), req)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if again.AccessToken != tok.AccessToken || as.tokenRequests.Load() != before {
		t.Errorf("Token after Exchange asked the server again (%d requests)", as.tokenRequests.Load()-before)
	}
}

func scenarioClientCredentialsPost(t *testing.T, tg interopTarget) {
	as := tg.start(t, serverConfig{auth: authPostOnly})
	tok, err := newInteropClient(t).Exchange(t.Context(), oauthclient.Request{
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
	checkBearer(t, tok, tg.expiresIn(oauthclient.GrantClientCredentials))
	if tok.Scope != "read" {
		t.Errorf("Scope = %q, want %q", tok.Scope, "read")
	}
	assertAccepted(t, as.resourceURL, tok, as.postClient, "")
}

func scenarioClientCredentialsAutoUsesBasic(t *testing.T, tg interopTarget) {
	as := tg.start(t, serverConfig{auth: authBasicOnly})
	tok, err := newInteropClient(t).Exchange(t.Context(), oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantClientCredentials,
		AuthStyle:    oauthclient.AuthAuto,
		ClientID:     as.basicClient,
		ClientSecret: interopClientSecret,
	})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	assertAccepted(t, as.resourceURL, tok, as.basicClient, "")
	if n := as.tokenRequests.Load(); n != 1 {
		t.Errorf("token endpoint saw %d requests, want 1 (HTTP Basic first)", n)
	}
}

func scenarioClientCredentialsAutoFallsBackToPost(t *testing.T, tg interopTarget) {
	// The post client's credentials are read from the body only: the
	// server answers 401 invalid_client to HTTP Basic.
	as := tg.start(t, serverConfig{auth: authPostOnly})
	c := newInteropClient(t)
	req := oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantClientCredentials,
		AuthStyle:    oauthclient.AuthAuto,
		ClientID:     as.postClient,
		ClientSecret: interopClientSecret,
	}
	tok, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	assertAccepted(t, as.resourceURL, tok, as.postClient, "")
	if n := as.tokenRequests.Load(); n != 2 {
		t.Errorf("token endpoint saw %d requests, want 2 (HTTP Basic refused, then the body)", n)
	}

	// The winning style is remembered: one request this time.
	tok2, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("second Exchange: %v", err)
	}
	assertAccepted(t, as.resourceURL, tok2, as.postClient, "")
	if n := as.tokenRequests.Load(); n != 3 {
		t.Errorf("token endpoint saw %d requests in all, want 3", n)
	}
}

// RFC 6749 §2.3.1 has the client form-encode its credentials before HTTP
// Basic. A server that decodes them (fosite) accepts a secret with reserved
// characters over Basic; one that does not (go-oauth2) refuses it, AuthPost
// works there, and AuthAuto gets there by falling back.
func scenarioReservedCharactersInSecret(t *testing.T, tg interopTarget) {
	as := tg.start(t, serverConfig{})
	base := oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantClientCredentials,
		ClientID:     interopReservedClientID,
		ClientSecret: interopReservedClientSecret,
	}
	encodedSecret := url.QueryEscape(interopReservedClientSecret)
	accepted := func(t *testing.T, style oauthclient.AuthStyle) {
		t.Helper()
		req := base
		req.AuthStyle = style
		tok, err := newInteropClient(t).Exchange(t.Context(), req)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		assertAccepted(t, as.resourceURL, tok, interopReservedClientID, "")
	}

	if tg.basicFormDecodes {
		t.Run("basic", func(t *testing.T) { accepted(t, oauthclient.AuthBasic) })
	} else {
		t.Run("basic is refused", func(t *testing.T) {
			req := base
			req.AuthStyle = oauthclient.AuthBasic
			_, err := newInteropClient(t).Exchange(t.Context(), req)
			assertServerError(t, err, "invalid_client", interopReservedClientSecret, encodedSecret)
		})
		t.Run("post", func(t *testing.T) { accepted(t, oauthclient.AuthPost) })
	}
	t.Run("auto", func(t *testing.T) { accepted(t, oauthclient.AuthAuto) })
}

func scenarioPassword(t *testing.T, tg interopTarget) {
	as := tg.start(t, serverConfig{})
	c := newInteropClient(t)
	scopes := append([]string{"profile"}, tg.offlineScopes...)
	req := oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantPassword,
		AuthStyle:    oauthclient.AuthBasic,
		ClientID:     as.basicClient,
		ClientSecret: interopClientSecret,
		Username:     interopUsername,
		Password:     interopPassword,
		Scopes:       scopes,
	}
	tok, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	checkBearer(t, tok, tg.expiresIn(oauthclient.GrantPassword))
	if tok.RefreshToken == "" {
		t.Errorf("no refresh token; the server issues one for the password grant with scope %v", scopes)
	}
	if want := strings.Join(scopes, " "); tok.Scope != want {
		t.Errorf("Scope = %q, want %q", tok.Scope, want)
	}
	assertAccepted(t, as.resourceURL, tok, as.basicClient, interopUserID)

	t.Run("wrong password", func(t *testing.T) {
		bad := req
		bad.Password = "not-" + interopPassword
		_, err := c.Exchange(t.Context(), bad)
		assertServerError(t, err, "invalid_grant", bad.Password, interopClientSecret)
	})
	t.Run("wrong password with auto", func(t *testing.T) {
		// go-oauth2 answers invalid_grant with status 401, which AuthAuto
		// takes for a refused client authentication; whatever it then
		// does, the refusal it reports must still be invalid_grant.
		bad := req
		bad.AuthStyle = oauthclient.AuthAuto
		bad.Password = "not-" + interopPassword
		_, err := newInteropClient(t).Exchange(t.Context(), bad)
		assertServerError(t, err, "invalid_grant", bad.Password, interopClientSecret)
	})
	t.Run("post", func(t *testing.T) {
		post := req
		post.AuthStyle = oauthclient.AuthPost
		post.ClientID = as.postClient
		tok, err := c.Exchange(t.Context(), post)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		assertAccepted(t, as.resourceURL, tok, as.postClient, interopUserID)
	})
}

// passwordToken obtains a token with a refresh token through the password
// grant, and returns it with the scopes it was granted.
func passwordToken(t *testing.T, c *oauthclient.Client, tg interopTarget, as *interopServer) (*oauthclient.Token, string) {
	t.Helper()
	scope := strings.Join(append([]string{"profile"}, tg.offlineScopes...), " ")
	tok, err := c.Exchange(t.Context(), oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantPassword,
		AuthStyle:    oauthclient.AuthBasic,
		ClientID:     as.basicClient,
		ClientSecret: interopClientSecret,
		Username:     interopUsername,
		Password:     interopPassword,
		Scope:        scope,
	})
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("password grant returned no refresh token")
	}
	return tok, scope
}

// By default both servers issue a new refresh token on refresh and revoke
// the old access and refresh tokens.
func scenarioRefreshTokenRotation(t *testing.T, tg interopTarget) {
	as := tg.start(t, serverConfig{})
	c := newInteropClient(t)
	first, scope := passwordToken(t, c, tg, as)

	refresh := func(rt string, style oauthclient.AuthStyle) (*oauthclient.Token, error) {
		return c.Exchange(t.Context(), oauthclient.Request{
			TokenURL:     as.tokenURL,
			GrantType:    oauthclient.GrantRefreshToken,
			AuthStyle:    style,
			ClientID:     as.basicClient,
			ClientSecret: interopClientSecret,
			RefreshToken: rt,
		})
	}

	second, err := refresh(first.RefreshToken, oauthclient.AuthBasic)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	checkBearer(t, second, tg.expiresIn(oauthclient.GrantRefreshToken))
	if second.AccessToken == first.AccessToken {
		t.Error("refresh returned the same access token")
	}
	if !second.RefreshTokenRotated || second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		t.Errorf("RefreshTokenRotated = %v, new refresh token differs = %v; want a rotated refresh token",
			second.RefreshTokenRotated, second.RefreshToken != first.RefreshToken)
	}
	if ans := assertAccepted(t, as.resourceURL, second, as.basicClient, interopUserID); ans.Scope != scope {
		t.Errorf("refreshed token scope = %q, want the original %q", ans.Scope, scope)
	}
	assertRejected(t, as.resourceURL, first.AccessToken)

	// The new one works, here with the credentials in the body where the
	// client that holds it may send them there.
	style := oauthclient.AuthBasic
	if as.postClient == as.basicClient {
		style = oauthclient.AuthPost
	}
	third, err := refresh(second.RefreshToken, style)
	if err != nil {
		t.Fatalf("refresh with the rotated refresh token: %v", err)
	}
	if !third.RefreshTokenRotated {
		t.Error("second refresh: RefreshTokenRotated = false, want true")
	}
	assertAccepted(t, as.resourceURL, third, as.basicClient, interopUserID)

	// The rotated-out refresh token is refused, and neither token leaks.
	// (Last: fosite takes its reuse for theft and revokes what it issued.)
	_, err = refresh(first.RefreshToken, oauthclient.AuthBasic)
	assertServerError(t, err, "invalid_grant", first.RefreshToken, interopClientSecret)
}

func scenarioRefreshTokenWithoutRotation(t *testing.T, tg interopTarget) {
	as := tg.start(t, serverConfig{keepRefreshToken: true})
	c := newInteropClient(t)
	first, _ := passwordToken(t, c, tg, as)

	req := oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantRefreshToken,
		AuthStyle:    oauthclient.AuthAuto,
		ClientID:     as.basicClient,
		ClientSecret: interopClientSecret,
		RefreshToken: first.RefreshToken,
	}
	second, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	checkBearer(t, second, int64(keptRefreshAccessTokenExp.Seconds()))
	if _, sent := second.Raw["refresh_token"]; sent {
		t.Fatal("server sent a refresh token; this configuration should not")
	}
	if second.RefreshToken != first.RefreshToken || second.RefreshTokenRotated {
		t.Errorf("RefreshToken kept = %v, RefreshTokenRotated = %v; want the presented token kept, not rotated (RFC 6749 §6)",
			second.RefreshToken == first.RefreshToken, second.RefreshTokenRotated)
	}
	assertAccepted(t, as.resourceURL, second, as.basicClient, interopUserID)
	assertRejected(t, as.resourceURL, first.AccessToken)

	// The kept refresh token still works.
	req.RefreshToken = second.RefreshToken
	third, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("refresh with the kept refresh token: %v", err)
	}
	assertAccepted(t, as.resourceURL, third, as.basicClient, interopUserID)
}

func scenarioAuthorizationCodePKCE(t *testing.T, tg interopTarget) {
	as := tg.start(t, serverConfig{})
	c := newInteropClient(t)
	scopes := append([]string{"openid", "profile"}, tg.offlineScopes...)

	// newCode runs the authorization request with a fresh state and
	// verifier and returns the code and the verifier.
	newCode := func(t *testing.T) (string, string) {
		return authorizeWithPKCE(t, as.authorizeURL, scopes...)
	}
	exchange := func(code, verifier string) (*oauthclient.Token, error) {
		return c.Exchange(t.Context(), oauthclient.Request{
			TokenURL:     as.tokenURL,
			GrantType:    oauthclient.GrantAuthorizationCode,
			AuthStyle:    oauthclient.AuthAuto,
			ClientID:     interopClientID,
			ClientSecret: interopClientSecret,
			Code:         code,
			RedirectURI:  interopRedirectURI,
			CodeVerifier: verifier,
		})
	}

	code, verifier := newCode(t)
	tok, err := exchange(code, verifier)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	checkBearer(t, tok, tg.expiresIn(oauthclient.GrantAuthorizationCode))
	if want := strings.Join(scopes, " "); tok.Scope != want {
		t.Errorf("Scope = %q, want %q", tok.Scope, want)
	}
	if tok.RefreshToken == "" {
		t.Errorf("no refresh token; the server issues one for the authorization code grant with scope %v", scopes)
	}
	if tg.issuesIDToken && strings.Count(tok.IDToken, ".") != 2 {
		t.Errorf("IDToken = %q, want a signed JWT (openid was granted)", tok.IDToken)
	}
	assertAccepted(t, as.resourceURL, tok, interopClientID, interopUserID)

	// Before the code is presented again: fosite then revokes the tokens
	// issued for it (RFC 6749 §4.1.2).
	t.Run("refresh the issued token", func(t *testing.T) {
		next, err := c.Exchange(t.Context(), oauthclient.Request{
			TokenURL:     as.tokenURL,
			GrantType:    oauthclient.GrantRefreshToken,
			ClientID:     interopClientID,
			ClientSecret: interopClientSecret,
			RefreshToken: tok.RefreshToken,
		})
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		assertAccepted(t, as.resourceURL, next, interopClientID, interopUserID)
	})
	t.Run("code is single-use", func(t *testing.T) {
		before := as.tokenRequests.Load()
		_, err := exchange(code, verifier)
		assertServerError(t, err, "invalid_grant", code, verifier, interopClientSecret)
		if n := as.tokenRequests.Load() - before; n != 1 {
			t.Errorf("the code was presented %d times, want once", n)
		}
	})
	t.Run("wrong verifier", func(t *testing.T) {
		code, _ := newCode(t)
		other := oauthclient.NewCodeVerifier()
		_, err := exchange(code, other)
		assertServerError(t, err, "invalid_grant", code, other, interopClientSecret)
	})
	if tg.refusesMissingVerifier {
		t.Run("missing verifier", func(t *testing.T) {
			code, _ := newCode(t)
			_, err := exchange(code, "")
			assertServerError(t, err, "invalid_grant", code, interopClientSecret)
		})
	}
}

func scenarioWrongClientSecret(t *testing.T, tg interopTarget) {
	as := tg.start(t, serverConfig{})
	const wrong = "wrong-secret-Zp4r"
	for _, style := range []oauthclient.AuthStyle{oauthclient.AuthBasic, oauthclient.AuthPost, oauthclient.AuthAuto} {
		t.Run(string(style), func(t *testing.T) {
			clientID := as.basicClient
			if style == oauthclient.AuthPost {
				clientID = as.postClient
			}
			_, err := newInteropClient(t).Exchange(t.Context(), oauthclient.Request{
				TokenURL:     as.tokenURL,
				GrantType:    oauthclient.GrantClientCredentials,
				AuthStyle:    style,
				ClientID:     clientID,
				ClientSecret: wrong,
			})
			if status := assertServerError(t, err, "invalid_client", wrong, url.QueryEscape(wrong), interopClientSecret); status != http.StatusUnauthorized {
				t.Errorf("StatusCode = %d, want 401", status)
			}
			var fe *oauthclient.AuthFallbackError
			if isFallback := errors.As(err, &fe); isFallback != (style == oauthclient.AuthAuto) {
				t.Errorf("AuthFallbackError = %v, want it only for %q", isFallback, oauthclient.AuthAuto)
			}
		})
	}
}
