package tokenserver

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// revoke posts a revocation request; auth, when given, is the client id and
// secret for HTTP Basic.
func revoke(t *testing.T, ts *httptest.Server, v url.Values, auth ...string) answer {
	t.Helper()
	return postValues(t, nil, ts.URL+RevocationPath, v, auth...)
}

// wantRevoked fails unless a is the empty 200 of RFC 7009 §2.2.
func wantRevoked(t *testing.T, a answer) {
	t.Helper()
	if a.status != http.StatusOK || a.raw != "" {
		t.Fatalf("got %d %q, want an empty 200", a.status, a.raw)
	}
	if got := a.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", got)
	}
}

// passwordGrant returns an access and a refresh token for testUser.
func passwordGrant(t *testing.T, ts *httptest.Server, user, pass string) (at, rt string) {
	t.Helper()
	a := post(t, ts, request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{
		"grant_type": "password", "username": user, "password": pass,
	}})
	wantToken(t, a)
	return a.str("access_token"), a.str("refresh_token")
}

func TestRevoke_refreshTokenTakesItsFamily(t *testing.T) {
	s, ts := newTestServer(t, testConfig())
	at1, rt := passwordGrant(t, ts, testUser, testPass)
	refreshed := post(t, ts, request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{
		"grant_type": "refresh_token", "refresh_token": rt,
	}})
	wantToken(t, refreshed)
	at2 := refreshed.str("access_token")
	otherAT, otherRT := passwordGrant(t, ts, "bob", "builder")

	// The hint is only a hint (RFC 7009 §2.1): a wrong one changes nothing.
	wantRevoked(t, revoke(t, ts, url.Values{"token": {rt}, "token_type_hint": {"access_token"}}, testClient, testSecret))

	wantError(t, post(t, ts, request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{
		"grant_type": "refresh_token", "refresh_token": rt,
	}}), http.StatusBadRequest, "invalid_grant")
	for _, tok := range []string{at1, at2} {
		if me := callAPI(t, ts, "Bearer "+tok); me.status != http.StatusUnauthorized {
			t.Errorf("got /api/me %d for an access token issued from a revoked refresh token, want 401", me.status)
		}
	}
	if me := callAPI(t, ts, "Bearer "+otherAT); me.status != http.StatusOK {
		t.Errorf("got /api/me %d for another grant's token, want 200", me.status)
	}
	wantToken(t, post(t, ts, request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{
		"grant_type": "refresh_token", "refresh_token": otherRT,
	}}))

	// Revoking it again is still 200, and revokes nothing more.
	wantRevoked(t, revoke(t, ts, url.Values{"token": {rt}}, testClient, testSecret))
	st := s.Stats()
	if st.RevocationRequests != 2 || st.Revocations != 1 || st.FamiliesRevoked != 0 {
		t.Errorf("got stats %+v, want 2 revocation requests, 1 revocation and no reuse detection", st)
	}
	if got := s.RevokedTokens(); got != 3 {
		t.Errorf("got %d revoked tokens, want the refresh token and its 2 access tokens", got)
	}
}

func TestRevoke_accessTokenAlone(t *testing.T) {
	s, ts := newTestServer(t, testConfig())
	at, rt := passwordGrant(t, ts, testUser, testPass)

	// Form body with client_secret_post this time, and an unknown hint,
	// which RFC 7009 §2.1 lets the server ignore.
	wantRevoked(t, revoke(t, ts, url.Values{
		"token": {at}, "token_type_hint": {"id_token"}, "client_id": {testClient}, "client_secret": {testSecret},
	}))
	if me := callAPI(t, ts, "Bearer "+at); me.status != http.StatusUnauthorized {
		t.Errorf("got /api/me %d for a revoked access token, want 401", me.status)
	}
	// The refresh token of the same grant lives on.
	a := post(t, ts, request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{
		"grant_type": "refresh_token", "refresh_token": rt,
	}})
	wantToken(t, a)
	if me := callAPI(t, ts, "Bearer "+a.str("access_token")); me.status != http.StatusOK {
		t.Errorf("got /api/me %d for a token refreshed after its sibling was revoked, want 200", me.status)
	}
	if st := s.Stats(); st.Revocations != 1 || s.RevokedTokens() != 1 {
		t.Errorf("got %d revocations and %d revoked tokens, want 1 and 1", st.Revocations, s.RevokedTokens())
	}
}

func TestRevoke_othersAndUnknownTokensAnswer200(t *testing.T) {
	s, ts := newTestServer(t, testConfig())
	at, rt := passwordGrant(t, ts, testUser, testPass)

	for _, tok := range []string{at, rt} {
		wantRevoked(t, revoke(t, ts, url.Values{"token": {tok}, "client_id": {"post-only"}, "client_secret": {"p-secret"}}))
	}
	wantRevoked(t, revoke(t, ts, url.Values{"token": {"at_unknown"}}, testClient, testSecret))
	if me := callAPI(t, ts, "Bearer "+at); me.status != http.StatusOK {
		t.Errorf("got /api/me %d after another client tried to revoke the token, want 200", me.status)
	}
	if st := s.Stats(); st.RevocationRequests != 3 || st.Revocations != 0 || s.RevokedTokens() != 0 {
		t.Errorf("got stats %+v and %d revoked tokens, want nothing revoked", st, s.RevokedTokens())
	}
}

func TestRevoke_publicClient(t *testing.T) {
	s, ts := newTestServer(t, testConfig())
	a := post(t, ts, request{params: map[string]string{
		"grant_type": "password", "username": testUser, "password": testPass, "client_id": "mobile",
	}})
	wantToken(t, a)
	wantRevoked(t, revoke(t, ts, url.Values{"token": {a.str("refresh_token")}, "client_id": {"mobile"}}))
	if me := callAPI(t, ts, "Bearer "+a.str("access_token")); me.status != http.StatusUnauthorized {
		t.Errorf("got /api/me %d, want 401", me.status)
	}
	if st := s.Stats(); st.Revocations != 1 {
		t.Errorf("got %d revocations, want 1", st.Revocations)
	}
}

// TestRevoke_clientAssertion authenticates with private_key_jwt, whose aud
// may name the revocation endpoint itself.
func TestRevoke_clientAssertion(t *testing.T) {
	k := keys()
	now, clock := fixedClock()
	_, ts := newTestServer(t, jwtClientConfig(clock))
	for _, aud := range []string{TokenPath, RevocationPath} {
		a := postValues(t, nil, ts.URL+TokenPath, assertionForm(signJWT(t, jose.RS256, k.rsa, claimsAt(now, "rsa-client", "rsa-client", ts.URL+TokenPath))))
		wantToken(t, a)
		wantRevoked(t, revoke(t, ts, url.Values{
			"token":                 {a.str("access_token")},
			"client_assertion_type": {ClientAssertionTypeJWT},
			"client_assertion":      {signJWT(t, jose.RS256, k.rsa, claimsAt(now, "rsa-client", "rsa-client", ts.URL+aud))},
		}))
		if me := callAPI(t, ts, "Bearer "+a.str("access_token")); me.status != http.StatusUnauthorized {
			t.Errorf("aud %s: got /api/me %d, want 401", aud, me.status)
		}
	}
	// An assertion for the device authorization endpoint is no good here.
	wantError(t, revoke(t, ts, url.Values{
		"token":                 {"at_x"},
		"client_assertion_type": {ClientAssertionTypeJWT},
		"client_assertion":      {signJWT(t, jose.RS256, k.rsa, claimsAt(now, "rsa-client", "rsa-client", ts.URL+DeviceAuthorizationPath))},
	}), http.StatusUnauthorized, "invalid_client")
}

func TestRevoke_errors(t *testing.T) {
	cfg := testConfig()
	// The token endpoint's form-encoding quirk does not reach here.
	cfg.FormEncodedResponse = true
	s, ts := newTestServer(t, cfg)

	wantError(t, revoke(t, ts, url.Values{"token": {"at_x"}}), http.StatusUnauthorized, "invalid_client")
	a := revoke(t, ts, url.Values{"token": {"at_x"}}, testClient, "wrong")
	wantError(t, a, http.StatusUnauthorized, "invalid_client")
	if !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("got WWW-Authenticate %q after HTTP Basic, want a Basic challenge", a.header.Get("WWW-Authenticate"))
	}
	wantError(t, revoke(t, ts, url.Values{"token": {"at_x"}, "client_id": {"nobody"}}), http.StatusUnauthorized, "invalid_client")
	wantError(t, revoke(t, ts, url.Values{}, testClient, testSecret), http.StatusBadRequest, "invalid_request")

	req, _ := http.NewRequest(http.MethodGet, ts.URL+RevocationPath+"?token=at_x", nil)
	a = do(t, req)
	wantError(t, a, http.StatusMethodNotAllowed, "invalid_request")
	if a.header.Get("Allow") != http.MethodPost {
		t.Errorf("got Allow %q, want POST", a.header.Get("Allow"))
	}
	if st := s.Stats(); st.RevocationRequests != 5 || st.Revocations != 0 || st.TokenRequests != 0 {
		t.Errorf("got stats %+v", st)
	}
}

func TestRevoke_started(t *testing.T) {
	s := New(testConfig())
	if s.RevocationURL() != "" {
		t.Errorf("got RevocationURL %q before Start, want empty", s.RevocationURL())
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if got, want := s.RevocationURL(), s.URL()+"/oauth2/revoke"; got != want {
		t.Errorf("got RevocationURL %q, want %q", got, want)
	}
	wantRevoked(t, postValues(t, nil, s.RevocationURL(), url.Values{"token": {"rt_unknown"}}, testClient, testSecret))
}

// TestRevoke_rotatedRefreshToken checks that with rotation only the current
// refresh token is live: a retired one revokes nothing (presenting it at the
// token endpoint is what reuse detection is for), the current one revokes
// the whole grant.
func TestRevoke_rotatedRefreshToken(t *testing.T) {
	cfg := testConfig()
	cfg.RotateRefreshTokens = true
	s, ts := newTestServer(t, cfg)
	at1, rt1 := passwordGrant(t, ts, testUser, testPass)
	second := post(t, ts, request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{
		"grant_type": "refresh_token", "refresh_token": rt1,
	}})
	wantToken(t, second)
	rt2 := second.str("refresh_token")

	wantRevoked(t, revoke(t, ts, url.Values{"token": {rt1}, "token_type_hint": {"refresh_token"}}, testClient, testSecret))
	if st := s.Stats(); st.Revocations != 0 {
		t.Errorf("got %d revocations for a retired refresh token, want 0", st.Revocations)
	}
	if me := callAPI(t, ts, "Bearer "+at1); me.status != http.StatusOK {
		t.Errorf("got /api/me %d after revoking a retired refresh token, want 200", me.status)
	}

	wantRevoked(t, revoke(t, ts, url.Values{"token": {rt2}}, testClient, testSecret))
	wantError(t, post(t, ts, request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{
		"grant_type": "refresh_token", "refresh_token": rt2,
	}}), http.StatusBadRequest, "invalid_grant")
	for _, tok := range []string{at1, second.str("access_token")} {
		if me := callAPI(t, ts, "Bearer "+tok); me.status != http.StatusUnauthorized {
			t.Errorf("got /api/me %d for a token of the revoked grant, want 401", me.status)
		}
	}
	// Both refresh tokens and both access tokens are now revoked.
	if st := s.Stats(); st.Revocations != 1 || st.FamiliesRevoked != 0 || s.RevokedTokens() != 4 {
		t.Errorf("got stats %+v and %d revoked tokens, want 1 revocation and 4 revoked tokens", st, s.RevokedTokens())
	}
}
