package tokenserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testClient = "app"
	testSecret = "s3cret"
	testUser   = "alice"
	testPass   = "wonderland"
)

// testConfig is a server with one confidential client, one public client,
// one basic-only and one post-only client, and one user.
func testConfig() Config {
	return Config{
		Clients: map[string]Client{
			testClient:   {Secret: testSecret},
			"mobile":     {},
			"basic-only": {Secret: "b-secret", AuthMethods: []AuthMethod{AuthBasic}},
			"post-only":  {Secret: "p-secret", AuthMethods: []AuthMethod{AuthPost}},
			"pinned":     {Secret: "x-secret", RedirectURIs: []string{"http://127.0.0.1:9/cb"}},
		},
		Users: map[string]string{testUser: testPass, "bob": "builder"},
	}
}

// newTestServer starts one httptest server per test around a Server.
func newTestServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s := New(cfg)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

// answer is a decoded response of either token endpoint format.
type answer struct {
	status int
	header http.Header
	raw    string
	fields map[string]any
}

func (a answer) str(key string) string {
	v, _ := a.fields[key].(string)
	return v
}

// request describes one token request for post.
type request struct {
	params    map[string]string
	json      bool
	basicID   string
	basicPass string
	basic     bool
}

func post(t *testing.T, ts *httptest.Server, req request) answer {
	t.Helper()
	var body io.Reader
	contentType := "application/x-www-form-urlencoded"
	if req.json {
		b, err := json.Marshal(req.params)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
		contentType = "application/json"
	} else {
		v := url.Values{}
		for k, val := range req.params {
			v.Set(k, val)
		}
		body = strings.NewReader(v.Encode())
	}
	hreq, err := http.NewRequest(http.MethodPost, ts.URL+TokenPath, body)
	if err != nil {
		t.Fatal(err)
	}
	hreq.Header.Set("Content-Type", contentType)
	if req.basic {
		hreq.SetBasicAuth(url.QueryEscape(req.basicID), url.QueryEscape(req.basicPass))
	}
	return do(t, hreq)
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	client := &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return doWith(t, client, req)
}

// doWith sends req with client, which may carry a TLS configuration, and
// decodes the answer.
func doWith(t *testing.T, client *http.Client, req *http.Request) answer {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw), fields: map[string]any{}}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &a.fields); err != nil {
			t.Fatalf("answer is not JSON: %v: %q", err, raw)
		}
	}
	return a
}

func wantError(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status || a.str("error") != code {
		t.Fatalf("got %d %q, want %d %q; body %q", a.status, a.str("error"), status, code, a.raw)
	}
	if a.str("error_description") == "" {
		t.Errorf("error_description is empty; body %q", a.raw)
	}
}

func wantToken(t *testing.T, a answer) {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("got status %d, want 200; body %q", a.status, a.raw)
	}
	if !strings.HasPrefix(a.str("access_token"), "at_") {
		t.Errorf("got access_token %q, want an at_ token", a.str("access_token"))
	}
	if got := a.str("token_type"); got != "Bearer" {
		t.Errorf("got token_type %q, want %q", got, "Bearer")
	}
	if got, ok := a.fields["expires_in"].(float64); !ok || got != 3600 {
		t.Errorf("got expires_in %#v, want 3600", a.fields["expires_in"])
	}
	if got := a.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q, want %q", got, "no-store")
	}
}

// callAPI calls the protected resource with an Authorization header value.
func callAPI(t *testing.T, ts *httptest.Server, authorization string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL+APIPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	return do(t, req)
}

func TestClientCredentials(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  request
	}{
		{"basic form", request{basic: true, basicID: testClient, basicPass: testSecret}},
		{"basic json", request{basic: true, basicID: testClient, basicPass: testSecret, json: true}},
		{"post form", request{params: map[string]string{"client_id": testClient, "client_secret": testSecret}}},
		{"post json", request{params: map[string]string{"client_id": testClient, "client_secret": testSecret}, json: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ts := newTestServer(t, testConfig())
			if tc.req.params == nil {
				tc.req.params = map[string]string{}
			}
			tc.req.params["grant_type"] = "client_credentials"
			tc.req.params["scope"] = "read write"
			a := post(t, ts, tc.req)
			wantToken(t, a)
			if got := a.str("scope"); got != "read write" {
				t.Errorf("got scope %q, want %q", got, "read write")
			}
			if _, ok := a.fields["refresh_token"]; ok {
				t.Errorf("client_credentials answer has a refresh_token (RFC 6749 §4.4.3 says it should not): %q", a.raw)
			}

			me := callAPI(t, ts, "Bearer "+a.str("access_token"))
			if me.status != http.StatusOK || me.str("client_id") != testClient || me.str("username") != "" || me.str("scope") != "read write" {
				t.Errorf("got /api/me %d %q, want 200 for client %q", me.status, me.raw, testClient)
			}
			st := s.Stats()
			if st.TokenRequests != 1 || st.TokensIssued != 1 || st.Grants["client_credentials"] != 1 || st.APICalls != 1 {
				t.Errorf("got stats %+v", st)
			}
		})
	}
}

func TestClientAuth_restrictedMethods(t *testing.T) {
	_, ts := newTestServer(t, testConfig())
	wantToken(t, post(t, ts, request{basic: true, basicID: "basic-only", basicPass: "b-secret", params: map[string]string{"grant_type": "client_credentials"}}))
	wantToken(t, post(t, ts, request{params: map[string]string{"grant_type": "client_credentials", "client_id": "post-only", "client_secret": "p-secret"}}))
}

func TestClientAuth_basicIsFormDecoded(t *testing.T) {
	const id, secret = "my client:1", "p@ss word+%/é"
	cfg := testConfig()
	cfg.Clients[id] = Client{Secret: secret}
	_, ts := newTestServer(t, cfg)

	a := post(t, ts, request{basic: true, basicID: id, basicPass: secret, params: map[string]string{"grant_type": "client_credentials"}})
	wantToken(t, a)

	// A secret put in the header without form-encoding it first is not
	// valid form encoding when it holds a stray "%".
	req, _ := http.NewRequest(http.MethodPost, ts.URL+TokenPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), "100%zz")
	wantError(t, do(t, req), http.StatusUnauthorized, "invalid_client")
}

func TestClientAuth_errors(t *testing.T) {
	cc := func(extra map[string]string) map[string]string {
		p := map[string]string{"grant_type": "client_credentials"}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	for _, tc := range []struct {
		name       string
		req        request
		status     int
		code       string
		wwwAuth    bool
		checkNoWWW bool
	}{
		{"wrong secret basic", request{basic: true, basicID: testClient, basicPass: "nope", params: cc(nil)}, 401, "invalid_client", true, false},
		{"wrong secret post", request{params: cc(map[string]string{"client_id": testClient, "client_secret": "nope"})}, 401, "invalid_client", false, true},
		{"unknown client basic", request{basic: true, basicID: "ghost", basicPass: "x", params: cc(nil)}, 401, "invalid_client", true, false},
		{"unknown client post", request{params: cc(map[string]string{"client_id": "ghost", "client_secret": "x"})}, 401, "invalid_client", false, true},
		{"no authentication", request{params: cc(nil)}, 401, "invalid_client", false, true},
		{"confidential client without secret", request{params: cc(map[string]string{"client_id": testClient})}, 401, "invalid_client", false, true},
		{"basic-only client in body", request{params: cc(map[string]string{"client_id": "basic-only", "client_secret": "b-secret"})}, 401, "invalid_client", false, true},
		{"post-only client in header", request{basic: true, basicID: "post-only", basicPass: "p-secret", params: cc(nil)}, 401, "invalid_client", true, false},
		{"two methods at once", request{basic: true, basicID: testClient, basicPass: testSecret, params: cc(map[string]string{"client_secret": testSecret})}, 400, "invalid_request", false, false},
		{"public client", request{params: cc(map[string]string{"client_id": "mobile"})}, 400, "unauthorized_client", false, false},
		{"public client with a secret", request{params: cc(map[string]string{"client_id": "mobile", "client_secret": "guess"})}, 401, "invalid_client", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ts := newTestServer(t, testConfig())
			a := post(t, ts, tc.req)
			wantError(t, a, tc.status, tc.code)
			got := a.header.Get("WWW-Authenticate")
			if tc.wwwAuth && !strings.HasPrefix(got, "Basic ") {
				t.Errorf("got WWW-Authenticate %q, want a Basic challenge", got)
			}
			if tc.checkNoWWW && got != "" {
				t.Errorf("got WWW-Authenticate %q, want none without Basic", got)
			}
			if strings.Contains(a.raw, "nope") || strings.Contains(a.raw, "guess") {
				t.Errorf("error echoes the secret without EchoSecretsInErrors: %q", a.raw)
			}
			if st := s.Stats(); st.TokenErrors != 1 || st.TokensIssued != 0 {
				t.Errorf("got stats %+v", st)
			}
		})
	}
}

func TestPassword(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		name := "form"
		if asJSON {
			name = "json"
		}
		t.Run(name, func(t *testing.T) {
			_, ts := newTestServer(t, testConfig())
			// The webhook convention: everything in one JSON object.
			a := post(t, ts, request{json: asJSON, params: map[string]string{
				"grant_type": "password", "username": testUser, "password": testPass,
				"client_id": testClient, "client_secret": testSecret, "scope": "profile",
			}})
			wantToken(t, a)
			if !strings.HasPrefix(a.str("refresh_token"), "rt_") {
				t.Errorf("got refresh_token %q, want an rt_ token", a.str("refresh_token"))
			}
			me := callAPI(t, ts, "Bearer "+a.str("access_token"))
			if me.status != http.StatusOK || me.str("username") != testUser {
				t.Errorf("got /api/me %d %q, want 200 for %q", me.status, me.raw, testUser)
			}

			bad := post(t, ts, request{json: asJSON, basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{
				"grant_type": "password", "username": testUser, "password": "guess",
			}})
			wantError(t, bad, http.StatusBadRequest, "invalid_grant")
			if strings.Contains(bad.raw, "guess") {
				t.Errorf("error echoes the password: %q", bad.raw)
			}

			missing := post(t, ts, request{json: asJSON, basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{
				"grant_type": "password", "username": testUser,
			}})
			wantError(t, missing, http.StatusBadRequest, "invalid_request")
		})
	}
}

func TestPassword_publicClient(t *testing.T) {
	_, ts := newTestServer(t, testConfig())
	a := post(t, ts, request{params: map[string]string{
		"grant_type": "password", "username": testUser, "password": testPass, "client_id": "mobile",
	}})
	wantToken(t, a)
}

func TestPassword_withoutClient(t *testing.T) {
	webhook := request{json: true, params: map[string]string{
		"grant_type": "password", "username": testUser, "password": testPass, "scope": "events",
	}}

	_, strict := newTestServer(t, testConfig())
	wantError(t, post(t, strict, webhook), http.StatusUnauthorized, "invalid_client")

	cfg := testConfig()
	cfg.PasswordWithoutClient = true
	_, ts := newTestServer(t, cfg)
	a := post(t, ts, webhook)
	wantToken(t, a)
	if _, ok := a.fields["refresh_token"]; ok {
		t.Errorf("got a refresh_token without client authentication: %q", a.raw)
	}
	if me := callAPI(t, ts, "Bearer "+a.str("access_token")); me.str("username") != testUser || me.str("client_id") != "" {
		t.Errorf("got /api/me %q, want user %q and no client", me.raw, testUser)
	}

	// A client that identifies itself is still checked.
	webhook.params["client_id"], webhook.params["client_secret"] = testClient, "nope"
	wantError(t, post(t, ts, webhook), http.StatusUnauthorized, "invalid_client")
	// Other grants still need a client.
	wantError(t, post(t, ts, request{params: map[string]string{"grant_type": "client_credentials"}}), http.StatusUnauthorized, "invalid_client")
}

func TestJSONBody_scopeArrayAndNumbers(t *testing.T) {
	_, ts := newTestServer(t, testConfig())
	req, _ := http.NewRequest(http.MethodPost, ts.URL+TokenPath, strings.NewReader(
		`{"grant_type":"client_credentials","scope":["a","b"],"client_id":"app","client_secret":"s3cret","max_age":5,"flag":true,"nothing":null}`))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	a := do(t, req)
	wantToken(t, a)
	if got := a.str("scope"); got != "a b" {
		t.Errorf("got scope %q, want %q", got, "a b")
	}

	req, _ = http.NewRequest(http.MethodPost, ts.URL+TokenPath, strings.NewReader(`{"grant_type":{"nested":1}}`))
	req.Header.Set("Content-Type", "application/json")
	wantError(t, do(t, req), http.StatusBadRequest, "invalid_request")

	req, _ = http.NewRequest(http.MethodPost, ts.URL+TokenPath, strings.NewReader(`{not json`))
	req.Header.Set("Content-Type", "application/json")
	wantError(t, do(t, req), http.StatusBadRequest, "invalid_request")
}

func TestTokenEndpoint_requestErrors(t *testing.T) {
	_, ts := newTestServer(t, testConfig())

	get, _ := http.NewRequest(http.MethodGet, ts.URL+TokenPath, nil)
	a := do(t, get)
	wantError(t, a, http.StatusMethodNotAllowed, "invalid_request")
	if got := a.header.Get("Allow"); got != "POST" {
		t.Errorf("got Allow %q, want %q", got, "POST")
	}

	text, _ := http.NewRequest(http.MethodPost, ts.URL+TokenPath, strings.NewReader("grant_type=client_credentials"))
	text.Header.Set("Content-Type", "text/plain")
	wantError(t, do(t, text), http.StatusBadRequest, "invalid_request")

	// RFC 6749 §3.2: parameters must not repeat.
	dup, _ := http.NewRequest(http.MethodPost, ts.URL+TokenPath, strings.NewReader("grant_type=client_credentials&scope=a&scope=b&client_id=app&client_secret=s3cret"))
	dup.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	wantError(t, do(t, dup), http.StatusBadRequest, "invalid_request")

	auth := request{basic: true, basicID: testClient, basicPass: testSecret}
	auth.params = map[string]string{"grant_type": "urn:ietf:params:oauth:grant-type:saml2-bearer"}
	wantError(t, post(t, ts, auth), http.StatusBadRequest, "unsupported_grant_type")
	auth.params = map[string]string{}
	wantError(t, post(t, ts, auth), http.StatusBadRequest, "invalid_request")
}

func TestScopes(t *testing.T) {
	cfg := testConfig()
	cfg.Scopes = []string{"read", "write"}
	cfg.DefaultScope = "read"
	_, ts := newTestServer(t, cfg)
	auth := request{basic: true, basicID: testClient, basicPass: testSecret}

	auth.params = map[string]string{"grant_type": "client_credentials"}
	a := post(t, ts, auth)
	wantToken(t, a)
	if got := a.str("scope"); got != "read" {
		t.Errorf("got default scope %q, want %q", got, "read")
	}

	// Comma-delimited scopes are echoed as sent.
	auth.params = map[string]string{"grant_type": "client_credentials", "scope": "read,write"}
	a = post(t, ts, auth)
	wantToken(t, a)
	if got := a.str("scope"); got != "read,write" {
		t.Errorf("got scope %q, want %q", got, "read,write")
	}

	auth.params = map[string]string{"grant_type": "client_credentials", "scope": "read admin"}
	wantError(t, post(t, ts, auth), http.StatusBadRequest, "invalid_scope")
}

func TestRefresh_withoutRotation(t *testing.T) {
	s, ts := newTestServer(t, testConfig())
	rt := s.IssueRefreshToken(testClient, testUser, "read write")
	auth := request{basic: true, basicID: testClient, basicPass: testSecret}

	for i := range 2 {
		auth.params = map[string]string{"grant_type": "refresh_token", "refresh_token": rt}
		a := post(t, ts, auth)
		wantToken(t, a)
		if _, ok := a.fields["refresh_token"]; ok {
			t.Errorf("refresh %d: got a new refresh_token without rotation: %q", i, a.raw)
		}
		if got := a.str("scope"); got != "read write" {
			t.Errorf("refresh %d: got scope %q, want %q", i, got, "read write")
		}
	}

	// RFC 6749 §6: a narrower scope may be requested, a wider one not.
	auth.params = map[string]string{"grant_type": "refresh_token", "refresh_token": rt, "scope": "read"}
	a := post(t, ts, auth)
	wantToken(t, a)
	if got := a.str("scope"); got != "read" {
		t.Errorf("got narrowed scope %q, want %q", got, "read")
	}
	auth.params = map[string]string{"grant_type": "refresh_token", "refresh_token": rt, "scope": "read admin"}
	wantError(t, post(t, ts, auth), http.StatusBadRequest, "invalid_scope")

	// Another client cannot use the token; an unknown token is invalid_grant.
	other := request{params: map[string]string{"grant_type": "refresh_token", "refresh_token": rt, "client_id": "post-only", "client_secret": "p-secret"}}
	wantError(t, post(t, ts, other), http.StatusBadRequest, "invalid_grant")
	auth.params = map[string]string{"grant_type": "refresh_token", "refresh_token": "rt_unknown"}
	wantError(t, post(t, ts, auth), http.StatusBadRequest, "invalid_grant")
	auth.params = map[string]string{"grant_type": "refresh_token"}
	wantError(t, post(t, ts, auth), http.StatusBadRequest, "invalid_request")

	if st := s.Stats(); st.Refreshes != 3 || st.InvalidGrants != 2 || st.Grants["refresh_token"] != 7 {
		t.Errorf("got stats %+v", st)
	}
}

func TestRefresh_rotationReuseRevokesFamily(t *testing.T) {
	cfg := testConfig()
	cfg.RotateRefreshTokens = true
	s, ts := newTestServer(t, cfg)
	auth := request{basic: true, basicID: testClient, basicPass: testSecret}

	auth.params = map[string]string{"grant_type": "password", "username": testUser, "password": testPass}
	first := post(t, ts, auth)
	wantToken(t, first)
	rt1 := first.str("refresh_token")

	auth.params = map[string]string{"grant_type": "refresh_token", "refresh_token": rt1}
	second := post(t, ts, auth)
	wantToken(t, second)
	rt2 := second.str("refresh_token")
	if rt2 == "" || rt2 == rt1 {
		t.Fatalf("got refresh_token %q after rotating %q, want a new one", rt2, rt1)
	}

	// An unrelated grant must survive the revocation below.
	auth.params = map[string]string{"grant_type": "password", "username": "bob", "password": "builder"}
	unrelated := post(t, ts, auth)
	wantToken(t, unrelated)

	// Presenting the retired token again is reuse: the whole family goes.
	auth.params = map[string]string{"grant_type": "refresh_token", "refresh_token": rt1}
	wantError(t, post(t, ts, auth), http.StatusBadRequest, "invalid_grant")
	auth.params = map[string]string{"grant_type": "refresh_token", "refresh_token": rt2}
	wantError(t, post(t, ts, auth), http.StatusBadRequest, "invalid_grant")

	for _, tok := range []string{first.str("access_token"), second.str("access_token")} {
		if me := callAPI(t, ts, "Bearer "+tok); me.status != http.StatusUnauthorized {
			t.Errorf("got /api/me %d for a token of a revoked family, want 401", me.status)
		}
	}
	if me := callAPI(t, ts, "Bearer "+unrelated.str("access_token")); me.status != http.StatusOK {
		t.Errorf("got /api/me %d for an unrelated token, want 200", me.status)
	}
	auth.params = map[string]string{"grant_type": "refresh_token", "refresh_token": unrelated.str("refresh_token")}
	wantToken(t, post(t, ts, auth))

	st := s.Stats()
	if st.FamiliesRevoked != 1 || st.InvalidGrants != 2 || st.Refreshes != 2 {
		t.Errorf("got stats %+v, want 1 family revoked, 2 invalid grants, 2 refreshes", st)
	}
}

// pkcePair returns a verifier and its S256 challenge (RFC 7636 appendix B).
func pkcePair() (verifier, challenge string) {
	verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorize calls the authorization endpoint and returns the redirect target.
func authorize(t *testing.T, ts *httptest.Server, q url.Values) (int, *url.URL) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+AuthorizePath+"?"+q.Encode(), nil)
	a := do(t, req)
	if a.status != http.StatusFound {
		return a.status, nil
	}
	loc, err := url.Parse(a.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return a.status, loc
}

func TestAuthorizationCode_PKCE(t *testing.T) {
	verifier, challenge := pkcePair()
	if challenge != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Fatalf("got S256 challenge %q, want RFC 7636 appendix B's", challenge)
	}
	const redirectURI = "http://127.0.0.1:8085/callback?keep=1"

	newCode := func(t *testing.T, ts *httptest.Server) string {
		t.Helper()
		status, loc := authorize(t, ts, url.Values{
			"response_type": {"code"}, "client_id": {testClient}, "redirect_uri": {redirectURI},
			"state": {"xyz"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
			"scope": {"openid"}, "login_hint": {"bob"},
		})
		if status != http.StatusFound {
			t.Fatalf("got authorize status %d, want 302", status)
		}
		q := loc.Query()
		if loc.Host != "127.0.0.1:8085" || loc.Path != "/callback" || q.Get("keep") != "1" || q.Get("state") != "xyz" || q.Get("code") == "" {
			t.Fatalf("got redirect %q, want the callback with code, state and its own query", loc)
		}
		return q.Get("code")
	}
	exchange := func(code string, extra map[string]string) request {
		p := map[string]string{"grant_type": "authorization_code", "code": code, "redirect_uri": redirectURI, "code_verifier": verifier}
		for k, v := range extra {
			if v == "" {
				delete(p, k)
			} else {
				p[k] = v
			}
		}
		return request{basic: true, basicID: testClient, basicPass: testSecret, params: p}
	}

	t.Run("success and reuse", func(t *testing.T) {
		s, ts := newTestServer(t, testConfig())
		code := newCode(t, ts)
		a := post(t, ts, exchange(code, nil))
		wantToken(t, a)
		if a.str("refresh_token") == "" || a.str("scope") != "openid" {
			t.Errorf("got %q, want a refresh_token and scope openid", a.raw)
		}
		if me := callAPI(t, ts, "Bearer "+a.str("access_token")); me.str("username") != "bob" {
			t.Errorf("got /api/me %q, want user bob from login_hint", me.raw)
		}
		// RFC 6749 §4.1.2: a code is single-use, and reuse revokes what it issued.
		wantError(t, post(t, ts, exchange(code, nil)), http.StatusBadRequest, "invalid_grant")
		if me := callAPI(t, ts, "Bearer "+a.str("access_token")); me.status != http.StatusUnauthorized {
			t.Errorf("got /api/me %d after code reuse, want 401", me.status)
		}
		if st := s.Stats(); st.AuthorizeRequests != 1 || st.FamiliesRevoked != 1 {
			t.Errorf("got stats %+v", st)
		}
	})

	for _, tc := range []struct {
		name  string
		extra map[string]string
	}{
		{"wrong verifier", map[string]string{"code_verifier": strings.Repeat("a", 43)}},
		{"missing verifier", map[string]string{"code_verifier": ""}},
		{"other redirect_uri", map[string]string{"redirect_uri": "http://127.0.0.1:8085/other"}},
		{"missing redirect_uri", map[string]string{"redirect_uri": ""}},
		{"unknown code", map[string]string{"code": "code_unknown"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ts := newTestServer(t, testConfig())
			code := newCode(t, ts)
			wantError(t, post(t, ts, exchange(code, tc.extra)), http.StatusBadRequest, "invalid_grant")
		})
	}

	t.Run("expired code", func(t *testing.T) {
		now := time.Now()
		cfg := testConfig()
		cfg.Now = func() time.Time { return now }
		s, ts := newTestServer(t, cfg)
		code := s.IssueCode(testClient, redirectURI, challenge, "")
		now = now.Add(codeLifetime)
		wantError(t, post(t, ts, exchange(code, nil)), http.StatusBadRequest, "invalid_grant")
	})

	t.Run("another client", func(t *testing.T) {
		s, ts := newTestServer(t, testConfig())
		code := s.IssueCode(testClient, redirectURI, challenge, "")
		req := exchange(code, nil)
		req.basicID, req.basicPass = "post-only", "p-secret"
		req.basic = false
		req.params["client_id"], req.params["client_secret"] = "post-only", "p-secret"
		wantError(t, post(t, ts, req), http.StatusBadRequest, "invalid_grant")
	})

	t.Run("public client needs PKCE", func(t *testing.T) {
		s, ts := newTestServer(t, testConfig())
		status, loc := authorize(t, ts, url.Values{"response_type": {"code"}, "client_id": {"mobile"}, "redirect_uri": {redirectURI}, "state": {"s"}})
		if status != http.StatusFound || loc.Query().Get("error") != "invalid_request" || loc.Query().Get("state") != "s" {
			t.Fatalf("got %d %v, want a redirect with error=invalid_request", status, loc)
		}
		code := s.IssueCode("mobile", redirectURI, challenge, "")
		wantToken(t, post(t, ts, request{params: map[string]string{
			"grant_type": "authorization_code", "code": code, "redirect_uri": redirectURI,
			"code_verifier": verifier, "client_id": "mobile",
		}}))
	})
}

func TestAuthorize_errors(t *testing.T) {
	_, challenge := pkcePair()
	_, ts := newTestServer(t, testConfig())
	base := func(extra url.Values) url.Values {
		q := url.Values{"response_type": {"code"}, "client_id": {testClient}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "state": {"st"}}
		for k, v := range extra {
			q[k] = v
		}
		return q
	}
	// Without a valid client and redirect URI there is no redirect at all.
	for _, q := range []url.Values{
		base(url.Values{"client_id": {"ghost"}}),
		base(url.Values{"redirect_uri": {"not-absolute"}}),
		base(url.Values{"redirect_uri": {""}}),
		base(url.Values{"client_id": {"pinned"}, "redirect_uri": {"http://127.0.0.1:1/elsewhere"}}),
	} {
		if status, _ := authorize(t, ts, q); status != http.StatusBadRequest {
			t.Errorf("got %d for %v, want 400 without redirect", status, q)
		}
	}
	for _, tc := range []struct {
		q    url.Values
		want string
	}{
		{base(url.Values{"response_type": {"token"}}), "unsupported_response_type"},
		{base(url.Values{"code_challenge": {challenge}}), "invalid_request"},
		{base(url.Values{"code_challenge": {challenge}, "code_challenge_method": {"plain"}}), "invalid_request"},
		{base(url.Values{"code_challenge": {"short"}, "code_challenge_method": {"S256"}}), "invalid_request"},
	} {
		status, loc := authorize(t, ts, tc.q)
		if status != http.StatusFound || loc.Query().Get("error") != tc.want || loc.Query().Get("state") != "st" {
			t.Errorf("got %d %v for %v, want a redirect with error=%s", status, loc, tc.q, tc.want)
		}
	}
	// A registered redirect URI is used when the request names none.
	status, loc := authorize(t, ts, base(url.Values{"client_id": {"pinned"}, "redirect_uri": {""}}))
	if status != http.StatusFound || loc.Path != "/cb" || loc.Query().Get("code") == "" {
		t.Errorf("got %d %v, want the registered redirect URI with a code", status, loc)
	}
}

func TestAPI(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	cfg := testConfig()
	cfg.TokenLifetime = time.Minute
	cfg.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	_, ts := newTestServer(t, cfg)
	a := post(t, ts, request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{"grant_type": "client_credentials"}})
	tok := a.str("access_token")

	for _, tc := range []struct {
		name   string
		header string
		want   int
	}{
		{"valid", "Bearer " + tok, 200},
		{"scheme is case-insensitive", "bearer " + tok, 200},
		{"unknown token", "Bearer at_unknown", 401},
		{"no header", "", 401},
		{"basic scheme", "Basic " + tok, 401},
		{"empty token", "Bearer ", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			me := callAPI(t, ts, tc.header)
			if me.status != tc.want {
				t.Fatalf("got %d %q, want %d", me.status, me.raw, tc.want)
			}
			if tc.want == 401 && !strings.HasPrefix(me.header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("got WWW-Authenticate %q, want a Bearer challenge", me.header.Get("WWW-Authenticate"))
			}
		})
	}

	// Expiry is exact: valid one nanosecond before, rejected at the instant.
	mu.Lock()
	now = now.Add(time.Minute - time.Nanosecond)
	mu.Unlock()
	if me := callAPI(t, ts, "Bearer "+tok); me.status != 200 {
		t.Errorf("got %d just before expiry, want 200", me.status)
	}
	mu.Lock()
	now = now.Add(time.Nanosecond)
	mu.Unlock()
	if me := callAPI(t, ts, "Bearer "+tok); me.status != 401 {
		t.Errorf("got %d at expiry, want 401", me.status)
	}
}

func TestMisbehaviour(t *testing.T) {
	cc := request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{"grant_type": "client_credentials"}}

	t.Run("OmitExpiresIn", func(t *testing.T) {
		cfg := testConfig()
		cfg.OmitExpiresIn = true
		_, ts := newTestServer(t, cfg)
		a := post(t, ts, cc)
		if _, ok := a.fields["expires_in"]; ok || a.str("access_token") == "" {
			t.Errorf("got %q, want a token without expires_in", a.raw)
		}
	})

	t.Run("ExpiresInAsString", func(t *testing.T) {
		cfg := testConfig()
		cfg.ExpiresInAsString = true
		cfg.TokenLifetime = 90 * time.Second
		_, ts := newTestServer(t, cfg)
		a := post(t, ts, cc)
		if got, ok := a.fields["expires_in"].(string); !ok || got != "90" {
			t.Errorf("got expires_in %#v, want the string %q", a.fields["expires_in"], "90")
		}
	})

	t.Run("FormEncodedResponse", func(t *testing.T) {
		cfg := testConfig()
		cfg.FormEncodedResponse = true
		_, ts := newTestServer(t, cfg)
		a := post(t, ts, cc)
		if got := a.header.Get("Content-Type"); got != "application/x-www-form-urlencoded" {
			t.Errorf("got Content-Type %q", got)
		}
		v, err := url.ParseQuery(a.raw)
		if err != nil || v.Get("token_type") != "Bearer" || v.Get("expires_in") != "3600" || v.Get("access_token") == "" {
			t.Errorf("got body %q, want a form-encoded token", a.raw)
		}
		bad := cc
		bad.basicPass = "nope"
		e := post(t, ts, bad)
		v, _ = url.ParseQuery(e.raw)
		if e.status != 401 || v.Get("error") != "invalid_client" {
			t.Errorf("got %d %q, want a form-encoded invalid_client", e.status, e.raw)
		}
	})

	t.Run("EchoSecretsInErrors", func(t *testing.T) {
		cfg := testConfig()
		cfg.EchoSecretsInErrors = true
		_, ts := newTestServer(t, cfg)
		for _, tc := range []struct {
			req    request
			secret string
		}{
			{request{basic: true, basicID: testClient, basicPass: "leaked-secret", params: map[string]string{"grant_type": "client_credentials"}}, "leaked-secret"},
			{request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{"grant_type": "password", "username": testUser, "password": "leaked-password"}}, "leaked-password"},
			{request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{"grant_type": "refresh_token", "refresh_token": "rt_leaked"}}, "rt_leaked"},
			{request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{"grant_type": "authorization_code", "code": "code_leaked"}}, "code_leaked"},
		} {
			a := post(t, ts, tc.req)
			if !strings.Contains(a.str("error_description"), tc.secret) {
				t.Errorf("got error_description %q, want it to echo %q", a.str("error_description"), tc.secret)
			}
		}
	})
}

func TestLatency(t *testing.T) {
	cfg := testConfig()
	cfg.Latency = 150 * time.Millisecond
	_, ts := newTestServer(t, cfg)
	start := time.Now()
	wantToken(t, post(t, ts, request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{"grant_type": "client_credentials"}}))
	if elapsed := time.Since(start); elapsed < cfg.Latency {
		t.Errorf("answered after %v, want at least %v", elapsed, cfg.Latency)
	}
	// The protected resource is not slowed down.
	start = time.Now()
	callAPI(t, ts, "")
	if elapsed := time.Since(start); elapsed >= cfg.Latency {
		t.Errorf("/api/me took %v, want no added latency", elapsed)
	}
}

func TestLatency_clientGivesUp(t *testing.T) {
	cfg := testConfig()
	cfg.Latency = 10 * time.Second
	s, ts := newTestServer(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+TokenPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	start := time.Now()
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("got an answer, want the client's deadline to end the request")
	}
	// Closing the test server waits for the handler, so a handler that
	// ignored the cancellation would hold this for the full latency.
	ts.Close()
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("handler kept running for %v after the client left", elapsed)
	}
	if st := s.Stats(); st.TokenRequests != 1 || st.TokensIssued != 0 {
		t.Errorf("got stats %+v", st)
	}
}

func TestStats_concurrent(t *testing.T) {
	s, ts := newTestServer(t, testConfig())
	const n = 40
	var wg sync.WaitGroup
	var failed atomic.Int32
	client := &http.Client{Timeout: 10 * time.Second}
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, ts.URL+TokenPath, strings.NewReader("grant_type=client_credentials"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(testClient, testSecret)
			resp, err := client.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				failed.Add(1)
			}
			if err == nil {
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of %d requests failed", failed.Load(), n)
	}
	st := s.Stats()
	if st.TokenRequests != n || st.TokensIssued != n || st.Grants["client_credentials"] != n {
		t.Errorf("got stats %+v, want %d of each", st, n)
	}
	s.ResetStats()
	if st := s.Stats(); st.TokenRequests != 0 || len(st.Grants) != 0 {
		t.Errorf("got stats %+v after reset, want zero", st)
	}
}

func TestStart(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "localhost:0", "192.0.2.1:0", "example.com:80", "127.0.0.1"} {
		s := New(Config{Addr: addr})
		if err := s.Start(); err == nil {
			s.Close()
			t.Errorf("Start on %q succeeded, want it refused", addr)
		}
	}

	s := New(testConfig())
	if s.URL() != "" || s.TokenURL() != "" {
		t.Errorf("got URL %q before Start, want empty", s.URL())
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Start(); err == nil {
		t.Error("second Start succeeded, want an error")
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf("got URL %q, want http://127.0.0.1:<port>", s.URL())
	}
	if got, want := s.TokenURL(), s.URL()+"/oauth2/token"; got != want {
		t.Errorf("got TokenURL %q, want %q", got, want)
	}
	if got, want := s.AuthorizeURL(), s.URL()+"/oauth2/authorize"; got != want {
		t.Errorf("got AuthorizeURL %q, want %q", got, want)
	}
	if got, want := s.APIURL(), s.URL()+"/api/me"; got != want {
		t.Errorf("got APIURL %q, want %q", got, want)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	req, _ := http.NewRequest(http.MethodPost, s.TokenURL(), strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(testClient, testSecret)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("got status %d from the started server, want 200", resp.StatusCode)
	}

	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := client.Get(s.APIURL()); err == nil {
		t.Error("the server still answers after Close")
	}
}

func TestLeaks(t *testing.T) {
	s, ts := newTestServer(t, testConfig())
	a := post(t, ts, request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{
		"grant_type": "password", "username": testUser, "password": testPass,
	}})
	wantToken(t, a)
	if got := s.Leaks(`{"id":"conn-1","token_type":"Bearer"}`); len(got) != 0 {
		t.Errorf("got leaks %q in clean text, want none", got)
	}
	text := "state: " + a.str("access_token") + " " + a.str("refresh_token") + " " + testSecret + " " + testPass
	got := strings.Join(s.Leaks(text), "; ")
	want := `access token issued to client "app"; client secret of "app"; password of user "alice"; refresh token issued to client "app"`
	if got != want {
		t.Errorf("got leaks %q, want %q", got, want)
	}
	if strings.Contains(got, testSecret) || strings.Contains(got, a.str("access_token")) {
		t.Errorf("leak report contains the secret itself: %q", got)
	}
}
