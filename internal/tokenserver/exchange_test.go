package tokenserver

import (
	"crypto"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const (
	upstreamIssuer = "https://upstream.example"
	agentIssuer    = "https://agents.example"
)

func exchangeConfig(now func() time.Time) Config {
	k := keys()
	cfg := jwtClientConfig(now)
	cfg.Scopes = []string{"read", "write"}
	cfg.TrustedIssuers = map[string]AssertionIssuer{
		upstreamIssuer: {PublicKeys: []crypto.PublicKey{&k.rsa.PublicKey}, Audiences: []string{"tokenserver"}},
		agentIssuer:    {PublicKeys: []crypto.PublicKey{&k.p256.PublicKey}, Subjects: []string{"agent-1"}},
	}
	return cfg
}

// upstreamToken is a JWT from upstreamIssuer about sub, for the audience
// the server trusts it for.
func upstreamToken(t *testing.T, now time.Time, sub string) string {
	t.Helper()
	return signJWT(t, jose.RS256, keys().rsa, claimsAt(now, upstreamIssuer, sub, "tokenserver"))
}

func exchangeForm(subjectToken, subjectType string) url.Values {
	return url.Values{
		"grant_type":         {GrantTypeTokenExchange},
		"subject_token":      {subjectToken},
		"subject_token_type": {subjectType},
	}
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

func TestTokenExchange_jwtSubject(t *testing.T) {
	now, clock := fixedClock()
	s, ts := newTestServer(t, exchangeConfig(clock))
	subject := upstreamToken(t, now, testUser)
	actor := signJWT(t, jose.ES256, keys().p256, claimsAt(now, agentIssuer, "agent-1", "anything"))

	form := exchangeForm(subject, TokenTypeJWT)
	form["audience"] = []string{"https://api.one", "https://api.two"}
	form["resource"] = []string{"https://api.one/v1"}
	form.Set("actor_token", actor)
	form.Set("actor_token_type", TokenTypeJWT)
	form.Set("requested_token_type", TokenTypeAccessToken)
	form.Set("scope", "read")
	a := postValues(t, nil, ts.URL+TokenPath, form, testClient, testSecret)
	wantToken(t, a)
	if a.str("issued_token_type") != TokenTypeAccessToken || a.str("scope") != "read" {
		t.Errorf("got %q, want issued_token_type %q and scope read", a.raw, TokenTypeAccessToken)
	}
	if _, ok := a.fields["refresh_token"]; ok {
		t.Errorf("got a refresh_token from token exchange: %q", a.raw)
	}

	me := callAPI(t, ts, "Bearer "+a.str("access_token"))
	if me.status != http.StatusOK || me.str("client_id") != testClient || me.str("username") != testUser || me.str("sub") != testUser || me.str("iss") != upstreamIssuer {
		t.Fatalf("got /api/me %d %q, want %q from %s via %q", me.status, me.raw, testUser, upstreamIssuer, testClient)
	}
	if got := strs(me.fields["aud"]); !slices.Equal(got, []string{"https://api.one", "https://api.two"}) {
		t.Errorf("got aud %q, want both requested audiences", got)
	}
	if got := strs(me.fields["resource"]); !slices.Equal(got, []string{"https://api.one/v1"}) {
		t.Errorf("got resource %q", got)
	}
	act, _ := me.fields["act"].(map[string]any)
	if act["sub"] != "agent-1" || act["iss"] != agentIssuer {
		t.Errorf("got act %v, want agent-1 from %s", me.fields["act"], agentIssuer)
	}

	// An id_token is accepted the same way; the scope defaults.
	b := postValues(t, nil, ts.URL+TokenPath, exchangeForm(upstreamToken(t, now, "bob"), TokenTypeIDToken), testClient, testSecret)
	wantToken(t, b)
	if me := callAPI(t, ts, "Bearer "+b.str("access_token")); me.str("sub") != "bob" || me.fields["act"] != nil || me.fields["aud"] != nil {
		t.Errorf("got /api/me %q, want bob with no actor or audience", me.raw)
	}

	if st := s.Stats(); st.Grants[GrantTypeTokenExchange] != 2 || st.TokensIssued != 2 {
		t.Errorf("got stats %+v", st)
	}
}

func TestTokenExchange_accessTokenSubject(t *testing.T) {
	now, clock := fixedClock()
	_, ts := newTestServer(t, exchangeConfig(clock))
	pw := post(t, ts, request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{
		"grant_type": "password", "username": testUser, "password": testPass, "scope": "read write",
	}})
	wantToken(t, pw)
	subject := pw.str("access_token")

	// The exchanged token keeps the subject's scope unless narrowed, and
	// JWT client authentication works here too.
	form := exchangeForm(subject, TokenTypeAccessToken)
	form.Set("client_assertion_type", ClientAssertionTypeJWT)
	form.Set("client_assertion", signJWT(t, jose.EdDSA, keys().ed, claimsAt(now, "ed-client", "ed-client", ts.URL+TokenPath)))
	a := postValues(t, nil, ts.URL+TokenPath, form)
	wantToken(t, a)
	if a.str("scope") != "read write" {
		t.Errorf("got scope %q, want the subject token's", a.str("scope"))
	}
	me := callAPI(t, ts, "Bearer "+a.str("access_token"))
	if me.str("client_id") != "ed-client" || me.str("sub") != testUser || me.str("iss") != ts.URL {
		t.Errorf("got /api/me %q, want %q issued by %s to ed-client", me.raw, testUser, ts.URL)
	}

	form = exchangeForm(subject, TokenTypeAccessToken)
	form.Set("scope", "write")
	a = postValues(t, nil, ts.URL+TokenPath, form, testClient, testSecret)
	wantToken(t, a)
	if a.str("scope") != "write" {
		t.Errorf("got scope %q, want %q", a.str("scope"), "write")
	}
	// Exchanging the exchanged token keeps who it is about.
	chained := postValues(t, nil, ts.URL+TokenPath, exchangeForm(a.str("access_token"), TokenTypeAccessToken), testClient, testSecret)
	wantToken(t, chained)
	if me := callAPI(t, ts, "Bearer "+chained.str("access_token")); me.str("sub") != testUser || me.str("scope") != "write" {
		t.Errorf("got /api/me %q, want %q with scope write", me.raw, testUser)
	}

	form.Set("scope", "read write")
	form.Set("subject_token", a.str("access_token"))
	wantError(t, postValues(t, nil, ts.URL+TokenPath, form, testClient, testSecret), http.StatusBadRequest, "invalid_scope")

	// A client credentials token stands for its client.
	cc := post(t, ts, request{basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{"grant_type": "client_credentials"}})
	b := postValues(t, nil, ts.URL+TokenPath, exchangeForm(cc.str("access_token"), TokenTypeAccessToken), testClient, testSecret)
	wantToken(t, b)
	if me := callAPI(t, ts, "Bearer "+b.str("access_token")); me.str("sub") != testClient {
		t.Errorf("got /api/me %q, want sub %q", me.raw, testClient)
	}
}

func TestTokenExchange_clientAuthentication(t *testing.T) {
	now, clock := fixedClock()
	form := exchangeForm(upstreamToken(t, now, testUser), TokenTypeJWT)

	_, strict := newTestServer(t, exchangeConfig(clock))
	wantError(t, postValues(t, nil, strict.URL+TokenPath, form), http.StatusUnauthorized, "invalid_client")

	cfg := exchangeConfig(clock)
	cfg.TokenExchangeWithoutClient = true
	_, open := newTestServer(t, cfg)
	a := postValues(t, nil, open.URL+TokenPath, form)
	wantToken(t, a)
	if me := callAPI(t, open, "Bearer "+a.str("access_token")); me.str("client_id") != "" || me.str("sub") != testUser {
		t.Errorf("got /api/me %q, want %q and no client", me.raw, testUser)
	}
	// A client that identifies itself is still checked.
	wantError(t, postValues(t, nil, open.URL+TokenPath, form, testClient, "nope"), http.StatusUnauthorized, "invalid_client")
}

func TestTokenExchange_jsonAudienceList(t *testing.T) {
	now, clock := fixedClock()
	_, ts := newTestServer(t, exchangeConfig(clock))
	a := post(t, ts, request{json: true, basic: true, basicID: testClient, basicPass: testSecret, params: map[string]string{
		"grant_type": GrantTypeTokenExchange, "subject_token": upstreamToken(t, now, testUser), "subject_token_type": TokenTypeJWT,
	}})
	wantToken(t, a)

	body := `{"grant_type":"` + GrantTypeTokenExchange + `","subject_token":"` + upstreamToken(t, now, testUser) +
		`","subject_token_type":"` + TokenTypeJWT + `","audience":["a","b"],"client_id":"app","client_secret":"s3cret"}`
	req, _ := http.NewRequest(http.MethodPost, ts.URL+TokenPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	a = do(t, req)
	wantToken(t, a)
	if got := strs(callAPI(t, ts, "Bearer "+a.str("access_token")).fields["aud"]); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("got aud %q, want [a b]", got)
	}
}

func TestTokenExchange_errors(t *testing.T) {
	k := keys()
	now, clock := fixedClock()
	for _, tc := range []struct {
		name   string
		form   func(t *testing.T, f url.Values)
		status int
		code   string
		says   string
	}{
		{"missing subject_token_type", func(_ *testing.T, f url.Values) { f.Del("subject_token_type") }, 400, "invalid_request", "subject_token_type is required"},
		{"missing subject_token", func(_ *testing.T, f url.Values) { f.Del("subject_token") }, 400, "invalid_request", "subject_token is required"},
		{"actor_token without type", func(t *testing.T, f url.Values) { f.Set("actor_token", upstreamToken(t, now, "bob")) }, 400, "invalid_request", "actor_token_type is required"},
		{"actor_token_type without token", func(_ *testing.T, f url.Values) { f.Set("actor_token_type", TokenTypeJWT) }, 400, "invalid_request", "without actor_token"},
		{"unsupported requested type", func(_ *testing.T, f url.Values) {
			f.Set("requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token")
		}, 400, "invalid_request", "requested_token_type"},
		{"unsupported subject type", func(_ *testing.T, f url.Values) {
			f.Set("subject_token_type", "urn:ietf:params:oauth:token-type:saml2")
		}, 400, "invalid_request", "saml2"},
		{"untrusted issuer", func(t *testing.T, f url.Values) {
			f.Set("subject_token", signJWT(t, jose.RS256, k.rsa, claimsAt(now, "https://evil.example", testUser, "tokenserver")))
		}, 400, "invalid_request", "not trusted"},
		{"bad signature", func(t *testing.T, f url.Values) {
			f.Set("subject_token", signJWT(t, jose.RS256, k.rsa2, claimsAt(now, upstreamIssuer, testUser, "tokenserver")))
		}, 400, "invalid_request", "signature"},
		{"expired", func(t *testing.T, f url.Values) {
			c := claimsAt(now, upstreamIssuer, testUser, "tokenserver")
			c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
			f.Set("subject_token", signJWT(t, jose.RS256, k.rsa, c))
		}, 400, "invalid_request", "expired"},
		{"aud not trusted", func(t *testing.T, f url.Values) {
			f.Set("subject_token", signJWT(t, jose.RS256, k.rsa, claimsAt(now, upstreamIssuer, testUser, "someone-else")))
		}, 400, "invalid_request", "aud"},
		{"no sub", func(t *testing.T, f url.Values) {
			c := claimsAt(now, upstreamIssuer, testUser, "tokenserver")
			delete(c, "sub")
			f.Set("subject_token", signJWT(t, jose.RS256, k.rsa, c))
		}, 400, "invalid_request", "sub"},
		{"subject not allowed", func(t *testing.T, f url.Values) {
			f.Set("subject_token", signJWT(t, jose.ES256, k.p256, claimsAt(now, agentIssuer, "agent-2", "x")))
		}, 400, "invalid_request", "agent-2"},
		{"bad actor token", func(t *testing.T, f url.Values) {
			f.Set("actor_token", signJWT(t, jose.ES384, k.p384, claimsAt(now, agentIssuer, "agent-1", "x")))
			f.Set("actor_token_type", TokenTypeJWT)
		}, 400, "invalid_request", "actor_token"},
		{"unknown access token", func(_ *testing.T, f url.Values) {
			f.Set("subject_token", "at_unknown")
			f.Set("subject_token_type", TokenTypeAccessToken)
		}, 400, "invalid_request", "not an access token this server issued"},
		{"JWT given as an access token", func(_ *testing.T, f url.Values) { f.Set("subject_token_type", TokenTypeAccessToken) }, 400, "invalid_request", "subject_token"},
		{"relative resource", func(_ *testing.T, f url.Values) { f["resource"] = []string{"https://ok.example", "/relative"} }, 400, "invalid_target", "resource"},
		{"unknown scope", func(_ *testing.T, f url.Values) { f.Set("scope", "admin") }, 400, "invalid_scope", "admin"},
		{"repeated subject_token", func(t *testing.T, f url.Values) { f.Add("subject_token", upstreamToken(t, now, "bob")) }, 400, "invalid_request", "repeated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ts := newTestServer(t, exchangeConfig(clock))
			form := exchangeForm(upstreamToken(t, now, testUser), TokenTypeJWT)
			tc.form(t, form)
			a := postValues(t, nil, ts.URL+TokenPath, form, testClient, testSecret)
			wantError(t, a, tc.status, tc.code)
			if !strings.Contains(a.str("error_description"), tc.says) {
				t.Errorf("got error_description %q, want it to mention %q", a.str("error_description"), tc.says)
			}
			wantNoEcho(t, a, append(form["subject_token"], form["actor_token"]...)...)
			if strings.Contains(a.raw, "at_unknown") {
				t.Errorf("the answer quotes the subject token: %q", a.raw)
			}
			if st := s.Stats(); st.TokensIssued != 0 {
				t.Errorf("got stats %+v, want nothing issued", st)
			}
		})
	}
}

func TestTokenExchange_boundSubjectToken(t *testing.T) {
	s, certA, certB, _ := startTLS(t)
	withA, withB := tlsClient(t, s, &certA), tlsClient(t, s, &certB)
	a := postValues(t, withA, s.TokenURL(), url.Values{"grant_type": {"client_credentials"}, "client_id": {"mtls"}})
	wantToken(t, a)
	bound := a.str("access_token")

	// Someone else holding the token cannot exchange it for an unbound one.
	form := exchangeForm(bound, TokenTypeAccessToken)
	e := postValues(t, withB, s.TokenURL(), form, testClient, testSecret)
	wantError(t, e, http.StatusBadRequest, "invalid_request")
	if strings.Contains(e.raw, bound) {
		t.Errorf("the answer quotes the subject token: %q", e.raw)
	}
	// Its holder can, and the new token is bound again.
	form.Set("client_id", "mtls")
	x := postValues(t, withA, s.TokenURL(), form)
	wantToken(t, x)
	if me := apiWith(t, withB, s, x.str("access_token")); me.status != http.StatusUnauthorized {
		t.Errorf("got /api/me %d with another certificate, want 401", me.status)
	}
	if me := apiWith(t, withA, s, x.str("access_token")); me.status != http.StatusOK || me.str("sub") != "mtls" || me.str("iss") != s.URL() {
		t.Errorf("got /api/me %d %q, want 200 for mtls issued by %s", me.status, me.raw, s.URL())
	}
}
