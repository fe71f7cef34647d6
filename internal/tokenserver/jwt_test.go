package tokenserver

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// testKeys are generated once: RSA key generation is slow enough to matter
// when every test makes its own.
type testKeys struct {
	rsa, rsa2 *rsa.PrivateKey
	p256      *ecdsa.PrivateKey
	p384      *ecdsa.PrivateKey
	ed        ed25519.PrivateKey
}

var keys = sync.OnceValue(func() testKeys {
	var k testKeys
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.rsa2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	if k.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
		panic(err)
	}
	if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		panic(err)
	}
	return k
})

// hsSecret is a client secret long enough for HS256 (RFC 7518 §3.2).
const hsSecret = "0123456789abcdef0123456789abcdef-hs256"

// fixedClock is a Config.Now that never moves, so exp values in tests are
// far from any boundary the test does not mean to hit.
func fixedClock() (time.Time, func() time.Time) {
	now := time.Now().Truncate(time.Second)
	return now, func() time.Time { return now }
}

// signJWT signs claims with key (a private key, or []byte for HS256) using
// go-jose, as a client library would.
func signJWT(t *testing.T, alg jose.SignatureAlgorithm, key any, claims map[string]any) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// claimsAt returns the claims of a valid assertion from iss about sub for
// aud, issued at now and valid for five minutes, with a fresh jti.
func claimsAt(now time.Time, iss, sub, aud string) map[string]any {
	return map[string]any{
		"iss": iss,
		"sub": sub,
		"aud": aud,
		"iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(),
		"jti": rand.Text(),
	}
}

// postValues posts a form that may repeat parameters; auth, when given, is
// the client id and secret for HTTP Basic.
func postValues(t *testing.T, client *http.Client, tokenURL string, v url.Values, auth ...string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(auth) == 2 {
		req.SetBasicAuth(url.QueryEscape(auth[0]), url.QueryEscape(auth[1]))
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return doWith(t, client, req)
}

// wantNoEcho fails when an answer quotes any part of a token: the whole
// value or its signature (the header and claims of different tokens look
// alike, so only the signature is distinctive).
func wantNoEcho(t *testing.T, a answer, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		if tok == "" {
			continue
		}
		sig := tok[strings.LastIndex(tok, ".")+1:]
		if strings.Contains(a.raw, tok) || (len(sig) > 8 && strings.Contains(a.raw, sig)) {
			t.Errorf("the answer quotes a token: %q", a.raw)
		}
	}
}

// jwtClientConfig registers one client for each JWT signing key kind.
func jwtClientConfig(now func() time.Time) Config {
	k := keys()
	cfg := testConfig()
	cfg.Now = now
	cfg.Clients["rsa-client"] = Client{AuthMethods: []AuthMethod{AuthPrivateKeyJWT}, PublicKeys: []crypto.PublicKey{&k.rsa.PublicKey}}
	cfg.Clients["ec-client"] = Client{AuthMethods: []AuthMethod{AuthPrivateKeyJWT}, PublicKeys: []crypto.PublicKey{&k.p256.PublicKey, &k.p384.PublicKey}}
	cfg.Clients["ed-client"] = Client{AuthMethods: []AuthMethod{AuthPrivateKeyJWT}, PublicKeys: []crypto.PublicKey{k.ed.Public()}}
	cfg.Clients["hs-client"] = Client{Secret: hsSecret, AuthMethods: []AuthMethod{AuthClientSecretJWT}}
	cfg.Clients["short-hs"] = Client{Secret: "too-short", AuthMethods: []AuthMethod{AuthClientSecretJWT}}
	cfg.Clients["both"] = Client{Secret: hsSecret, AuthMethods: []AuthMethod{AuthClientSecretJWT, AuthPost}}
	return cfg
}

func assertionForm(assertion string) url.Values {
	return url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {ClientAssertionTypeJWT},
		"client_assertion":      {assertion},
	}
}

func TestClientAssertion(t *testing.T) {
	k := keys()
	now, clock := fixedClock()
	for _, tc := range []struct {
		name   string
		client string
		alg    jose.SignatureAlgorithm
		key    any
		aud    func(ts string) any
	}{
		{"RS256", "rsa-client", jose.RS256, k.rsa, nil},
		{"PS256", "rsa-client", jose.PS256, k.rsa, nil},
		{"ES256", "ec-client", jose.ES256, k.p256, nil},
		{"ES384", "ec-client", jose.ES384, k.p384, nil},
		{"EdDSA", "ed-client", jose.EdDSA, k.ed, nil},
		{"HS256", "hs-client", jose.HS256, []byte(hsSecret), nil},
		{"aud is the base URL", "rsa-client", jose.RS256, k.rsa, func(ts string) any { return ts }},
		{"aud is a list", "rsa-client", jose.RS256, k.rsa, func(ts string) any { return []string{"https://elsewhere", ts + TokenPath} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ts := newTestServer(t, jwtClientConfig(clock))
			claims := claimsAt(now, tc.client, tc.client, ts.URL+TokenPath)
			if tc.aud != nil {
				claims["aud"] = tc.aud(ts.URL)
			}
			form := assertionForm(signJWT(t, tc.alg, tc.key, claims))
			form.Set("client_id", tc.client) // optional, and must match
			form.Set("scope", "read")
			a := postValues(t, nil, ts.URL+TokenPath, form)
			wantToken(t, a)
			me := callAPI(t, ts, "Bearer "+a.str("access_token"))
			if me.status != http.StatusOK || me.str("client_id") != tc.client {
				t.Errorf("got /api/me %d %q, want client %q", me.status, me.raw, tc.client)
			}
			if st := s.Stats(); st.AssertionsAccepted != 1 || st.AssertionReplays != 0 || st.TokensIssued != 1 {
				t.Errorf("got stats %+v", st)
			}
		})
	}
}

func TestClientAssertion_replay(t *testing.T) {
	now, clock := fixedClock()
	s, ts := newTestServer(t, jwtClientConfig(clock))
	assertion := signJWT(t, jose.ES256, keys().p256, claimsAt(now, "ec-client", "ec-client", ts.URL+TokenPath))
	wantToken(t, postValues(t, nil, ts.URL+TokenPath, assertionForm(assertion)))

	a := postValues(t, nil, ts.URL+TokenPath, assertionForm(assertion))
	wantError(t, a, http.StatusUnauthorized, "invalid_client")
	if !strings.Contains(a.str("error_description"), "already used") {
		t.Errorf("got error_description %q, want it to say the assertion was already used", a.str("error_description"))
	}
	wantNoEcho(t, a, assertion)

	// The same jti from another client is its own.
	other := claimsAt(now, "rsa-client", "rsa-client", ts.URL+TokenPath)
	other["jti"] = "shared"
	wantToken(t, postValues(t, nil, ts.URL+TokenPath, assertionForm(signJWT(t, jose.RS256, keys().rsa, other))))
	other["iss"], other["sub"] = "ed-client", "ed-client"
	wantToken(t, postValues(t, nil, ts.URL+TokenPath, assertionForm(signJWT(t, jose.EdDSA, keys().ed, other))))

	if st := s.Stats(); st.AssertionsAccepted != 3 || st.AssertionReplays != 1 {
		t.Errorf("got stats %+v, want 3 accepted and 1 replay", st)
	}
}

func TestClientAssertion_skew(t *testing.T) {
	now, clock := fixedClock()
	_, ts := newTestServer(t, jwtClientConfig(clock))
	c := claimsAt(now, "ec-client", "ec-client", ts.URL+TokenPath)
	c["iat"], c["exp"] = now.Add(-5*time.Minute).Unix(), now.Add(-10*time.Second).Unix()
	wantToken(t, postValues(t, nil, ts.URL+TokenPath, assertionForm(signJWT(t, jose.ES256, keys().p256, c))))
}

func TestClientAssertion_errors(t *testing.T) {
	k := keys()
	now, clock := fixedClock()
	for _, tc := range []struct {
		name   string
		alg    jose.SignatureAlgorithm
		key    any
		edit   func(c map[string]any, form url.Values)
		status int
		code   string
		says   string
	}{
		{"bad signature", jose.RS256, k.rsa2, nil, 401, "invalid_client", "signature"},
		{"key of the other curve", jose.ES384, k.p384, func(c map[string]any, _ url.Values) {
			c["iss"], c["sub"] = "rsa-client", "rsa-client"
		}, 401, "invalid_client", "signature"},
		{"wrong aud", jose.RS256, k.rsa, func(c map[string]any, _ url.Values) { c["aud"] = "https://idp.example/token" }, 401, "invalid_client", "aud"},
		{"no aud", jose.RS256, k.rsa, func(c map[string]any, _ url.Values) { delete(c, "aud") }, 401, "invalid_client", "aud"},
		{"expired", jose.RS256, k.rsa, func(c map[string]any, _ url.Values) {
			c["iat"], c["exp"] = now.Add(-10*time.Minute).Unix(), now.Add(-5*time.Minute).Unix()
		}, 401, "invalid_client", "expired"},
		{"no exp", jose.RS256, k.rsa, func(c map[string]any, _ url.Values) { delete(c, "exp") }, 401, "invalid_client", "exp"},
		{"lives too long", jose.RS256, k.rsa, func(c map[string]any, _ url.Values) { c["exp"] = now.Add(2 * time.Hour).Unix() }, 401, "invalid_client", "longer"},
		{"lives too long without iat", jose.RS256, k.rsa, func(c map[string]any, _ url.Values) {
			delete(c, "iat")
			c["exp"] = now.Add(2 * time.Hour).Unix()
		}, 401, "invalid_client", "longer"},
		{"not yet valid", jose.RS256, k.rsa, func(c map[string]any, _ url.Values) { c["nbf"] = now.Add(5 * time.Minute).Unix() }, 401, "invalid_client", "nbf"},
		{"no jti", jose.RS256, k.rsa, func(c map[string]any, _ url.Values) { delete(c, "jti") }, 401, "invalid_client", "jti"},
		{"sub is not iss", jose.RS256, k.rsa, func(c map[string]any, _ url.Values) { c["sub"] = "someone-else" }, 401, "invalid_client", "sub"},
		{"no iss", jose.RS256, k.rsa, func(c map[string]any, _ url.Values) { delete(c, "iss") }, 401, "invalid_client", "iss"},
		{"unknown client", jose.RS256, k.rsa, func(c map[string]any, _ url.Values) { c["iss"], c["sub"] = "ghost", "ghost" }, 401, "invalid_client", "unknown client"},
		{"client_id does not match", jose.RS256, k.rsa, func(_ map[string]any, f url.Values) { f.Set("client_id", "ec-client") }, 401, "invalid_client", "client_id"},
		{"HS256 for a private_key_jwt client", jose.HS256, []byte(hsSecret), nil, 401, "invalid_client", "client_secret_jwt"},
		{"HS256 with the wrong secret", jose.HS256, []byte("another-secret-of-thirty-two-bytes!!"), func(c map[string]any, _ url.Values) {
			c["iss"], c["sub"] = "hs-client", "hs-client"
		}, 401, "invalid_client", "signature"},
		{"HS512", jose.HS512, []byte(hsSecret + hsSecret), func(c map[string]any, _ url.Values) {
			c["iss"], c["sub"] = "hs-client", "hs-client"
		}, 401, "invalid_client", "HS512"},
		{"secret too short for HS256", jose.HS256, []byte("too-short-too-short-too-short-32"), func(c map[string]any, _ url.Values) {
			c["iss"], c["sub"] = "short-hs", "short-hs"
		}, 401, "invalid_client", "32 bytes"},
		{"client registered for basic and post only", jose.RS256, k.rsa, func(c map[string]any, _ url.Values) {
			c["iss"], c["sub"] = testClient, testClient
		}, 401, "invalid_client", "private_key_jwt"},
		{"unsupported assertion type", jose.RS256, k.rsa, func(_ map[string]any, f url.Values) {
			f.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
		}, 401, "invalid_client", "client_assertion_type"},
		{"no assertion type", jose.RS256, k.rsa, func(_ map[string]any, f url.Values) { f.Del("client_assertion_type") }, 401, "invalid_client", "client_assertion_type"},
		{"not a JWS", jose.RS256, k.rsa, func(_ map[string]any, f url.Values) { f.Set("client_assertion", "not-a-jwt") }, 401, "invalid_client", "JWS"},
		{"assertion and client_secret", jose.RS256, k.rsa, func(_ map[string]any, f url.Values) { f.Set("client_secret", "x") }, 400, "invalid_request", "client secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ts := newTestServer(t, jwtClientConfig(clock))
			c := claimsAt(now, "rsa-client", "rsa-client", ts.URL+TokenPath)
			// edit is called twice: on the claims before signing, and on
			// the form once it holds the signed assertion; each call
			// changes only the one it is interested in.
			if tc.edit != nil {
				tc.edit(c, url.Values{})
			}
			assertion := signJWT(t, tc.alg, tc.key, c)
			form := assertionForm(assertion)
			if tc.edit != nil {
				tc.edit(map[string]any{}, form)
			}
			a := postValues(t, nil, ts.URL+TokenPath, form)
			wantError(t, a, tc.status, tc.code)
			if !strings.Contains(a.str("error_description"), tc.says) {
				t.Errorf("got error_description %q, want it to mention %q", a.str("error_description"), tc.says)
			}
			if a.header.Get("WWW-Authenticate") != "" {
				t.Errorf("got WWW-Authenticate %q without HTTP Basic", a.header.Get("WWW-Authenticate"))
			}
			wantNoEcho(t, a, assertion)
			if st := s.Stats(); st.AssertionsAccepted != 0 || st.TokensIssued != 0 {
				t.Errorf("got stats %+v, want nothing accepted", st)
			}
		})
	}
}

func TestClientAssertion_alsoNone(t *testing.T) {
	now, clock := fixedClock()
	_, ts := newTestServer(t, jwtClientConfig(clock))
	// An unsigned JWT (alg "none", RFC 7519 §6) is never an assertion.
	c := claimsAt(now, "rsa-client", "rsa-client", ts.URL+TokenPath)
	signed := signJWT(t, jose.RS256, keys().rsa, c)
	payload := strings.Split(signed, ".")[1]
	unsigned := "eyJhbGciOiJub25lIn0." + payload + "."
	a := postValues(t, nil, ts.URL+TokenPath, assertionForm(unsigned))
	wantError(t, a, http.StatusUnauthorized, "invalid_client")
}

func TestClientAssertion_methodsStaySeparate(t *testing.T) {
	now, clock := fixedClock()
	_, ts := newTestServer(t, jwtClientConfig(clock))
	// A private_key_jwt client has no secret to post.
	a := postValues(t, nil, ts.URL+TokenPath, url.Values{"grant_type": {"client_credentials"}, "client_id": {"rsa-client"}})
	wantError(t, a, http.StatusUnauthorized, "invalid_client")
	a = postValues(t, nil, ts.URL+TokenPath, url.Values{"grant_type": {"client_credentials"}, "client_id": {"rsa-client"}, "client_secret": {"guess"}})
	wantError(t, a, http.StatusUnauthorized, "invalid_client")
	// A client_secret_jwt-only client may not send its secret itself.
	a = postValues(t, nil, ts.URL+TokenPath, url.Values{"grant_type": {"client_credentials"}, "client_id": {"hs-client"}, "client_secret": {hsSecret}})
	wantError(t, a, http.StatusUnauthorized, "invalid_client")
	wantNoEcho(t, a, hsSecret)
	// A client listing both may use either.
	wantToken(t, postValues(t, nil, ts.URL+TokenPath, url.Values{"grant_type": {"client_credentials"}, "client_id": {"both"}, "client_secret": {hsSecret}}))
	wantToken(t, postValues(t, nil, ts.URL+TokenPath, assertionForm(signJWT(t, jose.HS256, []byte(hsSecret), claimsAt(now, "both", "both", ts.URL+TokenPath)))))
	// The authorization endpoint does not take a key-only client for a
	// public one that must use PKCE.
	status, loc := authorize(t, ts, url.Values{"response_type": {"code"}, "client_id": {"rsa-client"}, "redirect_uri": {"http://127.0.0.1:9/cb"}})
	if status != http.StatusFound || loc.Query().Get("code") == "" {
		t.Errorf("got %d %v, want a code without PKCE for a confidential client", status, loc)
	}
}
