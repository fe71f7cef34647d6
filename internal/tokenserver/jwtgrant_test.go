package tokenserver

import (
	"crypto"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const (
	testIssuer       = "https://idp.example"
	restrictedIssuer = "https://restricted.example"
)

func jwtBearerConfig(now func() time.Time) Config {
	k := keys()
	cfg := jwtClientConfig(now)
	cfg.Scopes = []string{"read", "write"}
	cfg.AssertionIssuers = map[string]AssertionIssuer{
		testIssuer:       {PublicKeys: []crypto.PublicKey{&k.rsa.PublicKey, k.ed.Public()}},
		restrictedIssuer: {PublicKeys: []crypto.PublicKey{&k.p256.PublicKey}, Subjects: []string{"svc-a"}},
	}
	return cfg
}

func bearerForm(assertion string) url.Values {
	return url.Values{"grant_type": {GrantTypeJWTBearer}, "assertion": {assertion}}
}

func TestJWTBearerGrant(t *testing.T) {
	now, clock := fixedClock()
	s, ts := newTestServer(t, jwtBearerConfig(clock))
	tokenURL := ts.URL + TokenPath

	// Google service-account style: no client authentication, the scope
	// in the assertion.
	c := claimsAt(now, testIssuer, "svc@example", tokenURL)
	c["scope"] = "read write"
	a := postValues(t, nil, tokenURL, bearerForm(signJWT(t, jose.RS256, keys().rsa, c)))
	wantToken(t, a)
	if a.str("scope") != "read write" {
		t.Errorf("got scope %q, want the assertion's %q", a.str("scope"), "read write")
	}
	if _, ok := a.fields["refresh_token"]; ok {
		t.Errorf("got a refresh_token from the JWT bearer grant: %q", a.raw)
	}
	me := callAPI(t, ts, "Bearer "+a.str("access_token"))
	if me.status != http.StatusOK || me.str("username") != "svc@example" || me.str("sub") != "svc@example" || me.str("iss") != testIssuer || me.str("client_id") != "" {
		t.Errorf("got /api/me %d %q, want svc@example from %s with no client", me.status, me.raw, testIssuer)
	}

	// The scope parameter wins over the claim; the client, when it
	// authenticates, is recorded. aud may be the base URL.
	c = claimsAt(now, testIssuer, "svc@example", ts.URL)
	c["scope"] = "write"
	form := bearerForm(signJWT(t, jose.EdDSA, keys().ed, c))
	form.Set("scope", "read")
	a = postValues(t, nil, tokenURL, form, testClient, testSecret)
	wantToken(t, a)
	if a.str("scope") != "read" {
		t.Errorf("got scope %q, want the parameter's %q", a.str("scope"), "read")
	}
	if me := callAPI(t, ts, "Bearer "+a.str("access_token")); me.str("client_id") != testClient {
		t.Errorf("got /api/me %q, want client %q", me.raw, testClient)
	}

	// JWT client authentication works with the grant too.
	form = bearerForm(signJWT(t, jose.ES256, keys().p256, claimsAt(now, restrictedIssuer, "svc-a", tokenURL)))
	form.Set("client_assertion_type", ClientAssertionTypeJWT)
	form.Set("client_assertion", signJWT(t, jose.RS256, keys().rsa, claimsAt(now, "rsa-client", "rsa-client", tokenURL)))
	a = postValues(t, nil, tokenURL, form)
	wantToken(t, a)
	if me := callAPI(t, ts, "Bearer "+a.str("access_token")); me.str("client_id") != "rsa-client" || me.str("username") != "svc-a" {
		t.Errorf("got /api/me %q, want svc-a via rsa-client", me.raw)
	}

	// Without jti an assertion may be used again; with one it may not.
	c = claimsAt(now, testIssuer, "svc@example", tokenURL)
	delete(c, "jti")
	noJTI := signJWT(t, jose.RS256, keys().rsa, c)
	wantToken(t, postValues(t, nil, tokenURL, bearerForm(noJTI)))
	wantToken(t, postValues(t, nil, tokenURL, bearerForm(noJTI)))
	once := signJWT(t, jose.RS256, keys().rsa, claimsAt(now, testIssuer, "svc@example", tokenURL))
	wantToken(t, postValues(t, nil, tokenURL, bearerForm(once)))
	replay := postValues(t, nil, tokenURL, bearerForm(once))
	wantError(t, replay, http.StatusBadRequest, "invalid_grant")
	if !strings.Contains(replay.str("error_description"), "already used") {
		t.Errorf("got error_description %q, want it to say the assertion was already used", replay.str("error_description"))
	}
	wantNoEcho(t, replay, once)

	st := s.Stats()
	// 6 bearer assertions and 1 client assertion accepted.
	if st.Grants[GrantTypeJWTBearer] != 7 || st.TokensIssued != 6 || st.AssertionsAccepted != 7 || st.AssertionReplays != 1 {
		t.Errorf("got stats %+v", st)
	}
}

func TestJWTBearerGrant_errors(t *testing.T) {
	k := keys()
	now, clock := fixedClock()
	for _, tc := range []struct {
		name   string
		alg    jose.SignatureAlgorithm
		key    any
		claims func(c map[string]any)
		form   func(f url.Values)
		status int
		code   string
		says   string
	}{
		{"missing assertion", jose.RS256, k.rsa, nil, func(f url.Values) { f.Del("assertion") }, 400, "invalid_request", "assertion"},
		{"unknown issuer", jose.RS256, k.rsa, func(c map[string]any) { c["iss"] = "https://evil.example" }, nil, 400, "invalid_grant", "not trusted"},
		{"no issuer", jose.RS256, k.rsa, func(c map[string]any) { delete(c, "iss") }, nil, 400, "invalid_grant", "iss"},
		{"bad signature", jose.RS256, k.rsa2, nil, nil, 400, "invalid_grant", "signature"},
		{"HMAC", jose.HS256, []byte(hsSecret), nil, nil, 400, "invalid_grant", "HS256"},
		{"wrong aud", jose.RS256, k.rsa, func(c map[string]any) { c["aud"] = "https://accounts.google.com/o/oauth2/token" }, nil, 400, "invalid_grant", "aud"},
		{"expired", jose.RS256, k.rsa, func(c map[string]any) {
			c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		}, nil, 400, "invalid_grant", "expired"},
		{"no exp", jose.RS256, k.rsa, func(c map[string]any) { delete(c, "exp") }, nil, 400, "invalid_grant", "exp"},
		{"no sub", jose.RS256, k.rsa, func(c map[string]any) { delete(c, "sub") }, nil, 400, "invalid_grant", "sub"},
		{"subject not allowed", jose.ES256, k.p256, func(c map[string]any) { c["iss"], c["sub"] = restrictedIssuer, "svc-b" }, nil, 400, "invalid_grant", "svc-b"},
		{"unknown scope", jose.RS256, k.rsa, func(c map[string]any) { c["scope"] = "admin" }, nil, 400, "invalid_scope", "admin"},
		{"wrong client secret", jose.RS256, k.rsa, nil, func(f url.Values) { f.Set("client_id", testClient); f.Set("client_secret", "nope") }, 401, "invalid_client", "secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ts := newTestServer(t, jwtBearerConfig(clock))
			c := claimsAt(now, testIssuer, "svc@example", ts.URL+TokenPath)
			if tc.claims != nil {
				tc.claims(c)
			}
			assertion := signJWT(t, tc.alg, tc.key, c)
			form := bearerForm(assertion)
			if tc.form != nil {
				tc.form(form)
			}
			a := postValues(t, nil, ts.URL+TokenPath, form)
			wantError(t, a, tc.status, tc.code)
			if !strings.Contains(a.str("error_description"), tc.says) {
				t.Errorf("got error_description %q, want it to mention %q", a.str("error_description"), tc.says)
			}
			wantNoEcho(t, a, assertion)
			if st := s.Stats(); st.AssertionsAccepted != 0 || st.TokensIssued != 0 {
				t.Errorf("got stats %+v, want nothing accepted", st)
			}
		})
	}
}
