package oauthclient

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// testKeys caches generated keys: RSA generation is slow.
var testKeys sync.Map

// testPrivateKey returns a key of the given kind, generated once per run.
func testPrivateKey(t testing.TB, kind string) crypto.Signer {
	t.Helper()
	if k, ok := testKeys.Load(kind); ok {
		if s, ok := k.(crypto.Signer); ok {
			return s
		}
	}
	var (
		k   crypto.Signer
		err error
	)
	switch kind {
	case "rsa":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ec256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ec384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ed25519":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("unknown key kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	testKeys.Store(kind, k)
	return k
}

// keyPEM encodes k in the given PEM form: "pkcs1", "sec1" or "pkcs8".
func keyPEM(t testing.TB, k crypto.Signer, form string) string {
	t.Helper()
	var (
		der []byte
		typ string
		err error
	)
	switch form {
	case "pkcs1":
		rk, _ := k.(*rsa.PrivateKey)
		der, typ = x509.MarshalPKCS1PrivateKey(rk), "RSA PRIVATE KEY"
	case "sec1":
		ek, _ := k.(*ecdsa.PrivateKey)
		der, err = x509.MarshalECPrivateKey(ek)
		typ = "EC PRIVATE KEY"
	default:
		der, err = x509.MarshalPKCS8PrivateKey(k)
		typ = "PRIVATE KEY"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func testSigningKey(t testing.TB, kind string, opts KeyOptions) *SigningKey {
	t.Helper()
	k, err := ParseSigningKey([]byte(keyPEM(t, testPrivateKey(t, kind), "pkcs8")), opts)
	if err != nil {
		t.Fatalf("ParseSigningKey(%s): %v", kind, err)
	}
	return k
}

// selfSignedPEM returns a self-signed certificate for k.
func selfSignedPEM(t testing.TB, k crypto.Signer) string {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func testClientCertificate(t testing.TB) *tls.Certificate {
	t.Helper()
	k := testPrivateKey(t, "ec256")
	cert, err := tls.X509KeyPair([]byte(selfSignedPEM(t, k)), []byte(keyPEM(t, k, "pkcs8")))
	if err != nil {
		t.Fatal(err)
	}
	return &cert
}

func TestParseSigningKey(t *testing.T) {
	cases := []struct {
		kind, form, alg, want string
	}{
		{"rsa", "pkcs1", "", AlgRS256},
		{"rsa", "pkcs8", "", AlgRS256},
		{"rsa", "pkcs8", AlgPS256, AlgPS256},
		{"ec256", "sec1", "", AlgES256},
		{"ec256", "pkcs8", "", AlgES256},
		{"ec384", "sec1", "", AlgES384},
		{"ed25519", "pkcs8", "", AlgEdDSA},
	}
	for _, c := range cases {
		k, err := ParseSigningKey([]byte(keyPEM(t, testPrivateKey(t, c.kind), c.form)), KeyOptions{Algorithm: c.alg})
		if err != nil {
			t.Errorf("%s %s: %v", c.kind, c.form, err)
			continue
		}
		if k.Algorithm() != c.want {
			t.Errorf("%s %s: alg %s, want %s", c.kind, c.form, k.Algorithm(), c.want)
		}
		if k.Thumbprint() == "" || strings.Contains(k.String(), "PRIVATE") {
			t.Errorf("%s: thumbprint %q, String %q", c.kind, k.Thumbprint(), k.String())
		}
	}
}

func TestParseSigningKey_refusals(t *testing.T) {
	ec := testPrivateKey(t, "ec256")
	ecPEM := keyPEM(t, ec, "sec1")
	body := strings.Split(ecPEM, "\n")[1]
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		pem  string
		opts KeyOptions
		want string
	}{
		{"not PEM", "not a key " + body, KeyOptions{}, "not PEM"},
		{"certificate only", selfSignedPEM(t, ec), KeyOptions{}, "no private key block"},
		{"broken block", "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n", KeyOptions{}, "not a valid private key"},
		{"encrypted", "-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + body + "\n-----END ENCRYPTED PRIVATE KEY-----\n", KeyOptions{}, "encrypted"},
		{"alg for another key", ecPEM, KeyOptions{Algorithm: AlgRS256}, "does not fit this key"},
		{"short RSA", keyPEM(t, small, "pkcs1"), KeyOptions{}, "at least 2048"},
		{"foreign certificate", ecPEM, KeyOptions{CertificatePEM: selfSignedPEM(t, testPrivateKey(t, "ec384"))}, "another public key"},
	}
	for _, c := range cases {
		_, err := ParseSigningKey([]byte(c.pem), c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), body[:20]) {
			t.Errorf("%s: the error quotes the key: %v", c.name, err)
		}
	}
}

// verifyJWT checks a compact JWS against key and returns its header and claims.
func verifyJWT(t *testing.T, token string, key any, alg jose.SignatureAlgorithm) (jose.Header, map[string]any) {
	t.Helper()
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{alg})
	if err != nil {
		t.Fatalf("parsing the JWT: %v", err)
	}
	var claims map[string]any
	if err := parsed.Claims(key, &claims); err != nil {
		t.Fatalf("verifying the JWT: %v", err)
	}
	return parsed.Headers[0], claims
}

// captureForm starts a server that records every form it receives and
// answers with answers in turn (the last one repeated).
func captureForm(t *testing.T, answers ...func(http.ResponseWriter)) (*[]url.Values, *[]string, string) {
	t.Helper()
	var (
		mu    sync.Mutex
		forms []url.Values
		auths []string
	)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		s := record(r)
		v, err := url.ParseQuery(s.body)
		if err != nil {
			t.Errorf("body is not a form: %v", err)
		}
		mu.Lock()
		i := len(forms)
		forms = append(forms, v)
		auths = append(auths, s.auth)
		mu.Unlock()
		answers[min(i, len(answers)-1)](w)
	})
	return &forms, &auths, srv.URL + "/token"
}

func ok(w http.ResponseWriter) { writeJSON(w, 200, okToken) }

func TestPrivateKeyJWT_wire(t *testing.T) {
	now := time.Unix(1_900_000_000, 0)
	setClock(t, now)
	for _, kind := range []string{"rsa", "ec256", "ec384", "ed25519"} {
		t.Run(kind, func(t *testing.T) {
			priv := testPrivateKey(t, kind)
			cert := selfSignedPEM(t, priv)
			key := testSigningKey(t, kind, KeyOptions{KeyID: "key-1", CertificatePEM: cert})
			forms, auths, tokenURL := captureForm(t, ok)
			req := Request{TokenURL: tokenURL, GrantType: GrantClientCredentials, ClientID: "app", ClientKey: key, Scopes: []string{"api"}}
			if _, err := newTestClient(t, Options{}).Exchange(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			f := (*forms)[0]
			if (*auths)[0] != "" || f.Has("client_secret") {
				t.Errorf("a secret was sent: auth %q, form %v", (*auths)[0], f)
			}
			if f.Get("client_id") != "app" || f.Get("client_assertion_type") != ClientAssertionType || f.Get("grant_type") != "client_credentials" || f.Get("scope") != "api" {
				t.Errorf("form = %v", f)
			}
			h, claims := verifyJWT(t, f.Get("client_assertion"), priv.Public(), jose.SignatureAlgorithm(key.Algorithm()))
			if h.KeyID != "key-1" || h.ExtraHeaders["typ"] != "JWT" {
				t.Errorf("header = %+v", h)
			}
			block, _ := pem.Decode([]byte(cert))
			sum := sha256.Sum256(block.Bytes)
			if h.ExtraHeaders["x5t#S256"] != base64.RawURLEncoding.EncodeToString(sum[:]) {
				t.Errorf("x5t#S256 = %v", h.ExtraHeaders["x5t#S256"])
			}
			want := map[string]any{"iss": "app", "sub": "app", "aud": tokenURL, "iat": float64(now.Unix()), "exp": float64(now.Add(DefaultAssertionLifetime).Unix())}
			for k, v := range want {
				if claims[k] != v {
					t.Errorf("claim %s = %v, want %v", k, claims[k], v)
				}
			}
			if jti, _ := claims["jti"].(string); len(jti) < 20 {
				t.Errorf("jti = %q", jti)
			}
		})
	}
}

func TestPrivateKeyJWT_freshAssertionEveryAttempt(t *testing.T) {
	unavailable := func(w http.ResponseWriter) { writeJSON(w, 503, `{"error":"temporarily_unavailable"}`) }
	forms, _, tokenURL := captureForm(t, unavailable, unavailable, ok)
	key := testSigningKey(t, "ec256", KeyOptions{})
	req := Request{TokenURL: tokenURL, GrantType: GrantClientCredentials, ClientID: "app", ClientKey: key, ClientAssertionAudience: "https://issuer.example"}
	if _, err := newTestClient(t, Options{}).Exchange(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if len(*forms) != 3 {
		t.Fatalf("%d attempts, want 3", len(*forms))
	}
	seenJTI := map[string]bool{}
	for _, f := range *forms {
		_, claims := verifyJWT(t, f.Get("client_assertion"), testPrivateKey(t, "ec256").Public(), jose.ES256)
		if claims["aud"] != "https://issuer.example" {
			t.Errorf("aud = %v", claims["aud"])
		}
		jti, _ := claims["jti"].(string)
		if seenJTI[jti] {
			t.Errorf("jti %q sent twice", jti)
		}
		seenJTI[jti] = true
	}
}

func TestClientSecretJWT_wire(t *testing.T) {
	secret := strings.Repeat("s3cret-", 6)
	forms, auths, tokenURL := captureForm(t, ok)
	req := Request{TokenURL: tokenURL, GrantType: GrantClientCredentials, AuthStyle: AuthClientSecretJWT, ClientID: "app", ClientSecret: secret}
	if _, err := newTestClient(t, Options{}).Exchange(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	f := (*forms)[0]
	if (*auths)[0] != "" || f.Has("client_secret") || strings.Contains(f.Encode(), "s3cret") {
		t.Errorf("the secret itself was sent: %v", f)
	}
	_, claims := verifyJWT(t, f.Get("client_assertion"), []byte(secret), jose.HS256)
	if claims["iss"] != "app" || claims["sub"] != "app" || claims["aud"] != tokenURL {
		t.Errorf("claims = %v", claims)
	}

	req.ClientSecret = "short"
	if err := req.Validate(); err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Errorf("short secret: %v", err)
	}
}

func TestClientAssertion_readyAndNeverEchoed(t *testing.T) {
	assertion := "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMifQ.c2lnbmF0dXJlLW9mLXRoZS1jaS10b2tlbg"
	sig := assertion[strings.LastIndex(assertion, ".")+1:]
	forms, _, tokenURL := captureForm(t, func(w http.ResponseWriter) {
		writeJSON(w, 401, `{"error":"invalid_client","error_description":"assertion `+assertion+` refused; signature `+sig+`"}`)
	})
	req := Request{TokenURL: tokenURL, GrantType: GrantClientCredentials, ClientID: "app", ClientAssertion: assertion}
	_, err := newTestClient(t, Options{}).Exchange(context.Background(), req)
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.Contains(err.Error(), sig) {
		t.Errorf("error leaks the assertion: %v", err)
	}
	if got := (*forms)[0].Get("client_assertion"); got != assertion {
		t.Errorf("client_assertion = %q, want it as given", got)
	}
	if len(*forms) != 1 {
		t.Errorf("%d attempts, want 1 (no fallback with an assertion)", len(*forms))
	}
}

func TestJWTBearerGrant_wire(t *testing.T) {
	priv := testPrivateKey(t, "rsa")
	key := testSigningKey(t, "rsa", KeyOptions{})
	t.Run("Salesforce style: no client authentication", func(t *testing.T) {
		forms, auths, tokenURL := captureForm(t, ok)
		req := Request{TokenURL: tokenURL, GrantType: GrantJWTBearer, AssertionKey: key,
			AssertionClaims: AssertionClaims{Issuer: "consumer-key", Subject: "user@example.com", Audience: "https://login.salesforce.com"}}
		if _, err := newTestClient(t, Options{}).Exchange(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		f := (*forms)[0]
		if (*auths)[0] != "" || f.Has("client_id") || f.Has("client_assertion") {
			t.Errorf("client authentication sent: auth %q, form %v", (*auths)[0], f)
		}
		if f.Get("grant_type") != string(GrantJWTBearer) {
			t.Errorf("grant_type = %q", f.Get("grant_type"))
		}
		_, claims := verifyJWT(t, f.Get("assertion"), priv.Public(), jose.RS256)
		if claims["iss"] != "consumer-key" || claims["sub"] != "user@example.com" || claims["aud"] != "https://login.salesforce.com" {
			t.Errorf("claims = %v", claims)
		}
	})
	t.Run("Google style: scope claim, issuer from client id", func(t *testing.T) {
		forms, _, tokenURL := captureForm(t, ok)
		req := Request{TokenURL: tokenURL, GrantType: GrantJWTBearer, AuthStyle: AuthNone, ClientID: "sa@project.iam", AssertionKey: key,
			AssertionClaims: AssertionClaims{Extra: map[string]string{"scope": "https://www.googleapis.com/auth/cloud-platform"}, Lifetime: time.Hour}}
		if _, err := newTestClient(t, Options{}).Exchange(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		_, claims := verifyJWT(t, (*forms)[0].Get("assertion"), priv.Public(), jose.RS256)
		if claims["iss"] != "sa@project.iam" || claims["aud"] != tokenURL || claims["scope"] != "https://www.googleapis.com/auth/cloud-platform" {
			t.Errorf("claims = %v", claims)
		}
		if _, has := claims["sub"]; has {
			t.Errorf("sub set without a subject: %v", claims["sub"])
		}
		exp, _ := claims["exp"].(float64)
		iat, _ := claims["iat"].(float64)
		if exp-iat != 3600 {
			t.Errorf("lifetime = %v s", exp-iat)
		}
	})
	t.Run("ready assertion", func(t *testing.T) {
		forms, _, tokenURL := captureForm(t, ok)
		req := Request{TokenURL: tokenURL, GrantType: GrantJWTBearer, Assertion: "a.b.c"}
		if _, err := newTestClient(t, Options{}).Exchange(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		if got := (*forms)[0].Get("assertion"); got != "a.b.c" {
			t.Errorf("assertion = %q", got)
		}
	})
}

func TestTokenExchange_wire(t *testing.T) {
	var (
		mu   sync.Mutex
		body []string
		ct   []string
	)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		s := record(r)
		mu.Lock()
		body, ct = append(body, s.body), append(ct, s.ctype)
		mu.Unlock()
		writeJSON(w, 200, `{"access_token":"x","token_type":"Bearer","expires_in":60,"issued_token_type":"urn:ietf:params:oauth:token-type:access_token"}`)
	})
	req := Request{
		TokenURL: srv.URL, GrantType: GrantTokenExchange,
		SubjectToken: "subject.jwt.sig", SubjectTokenType: TokenTypeJWT,
		ActorToken: "actor-token", ActorTokenType: TokenTypeAccessToken,
		RequestedTokenType: TokenTypeAccessToken,
		Audiences:          []string{"api-1", "api-2"}, Resources: []string{"https://a.example/", "https://b.example/"},
	}
	c := newTestClient(t, Options{})
	tok, err := c.Exchange(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if tok.IssuedTokenType != TokenTypeAccessToken {
		t.Errorf("IssuedTokenType = %q", tok.IssuedTokenType)
	}
	want := "actor_token=actor-token&actor_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token" +
		"&audience=api-1&audience=api-2&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange" +
		"&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token" +
		"&resource=https%3A%2F%2Fa.example%2F&resource=https%3A%2F%2Fb.example%2F" +
		"&subject_token=subject.jwt.sig&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt"
	if body[0] != want {
		t.Errorf("body =\n%s\nwant\n%s", body[0], want)
	}

	req.Encoding = EncodingJSON
	if _, err := c.Exchange(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(body[1]), &obj); err != nil || ct[1] != "application/json" {
		t.Fatalf("JSON body %q (%s): %v", body[1], ct[1], err)
	}
	if aud, ok := obj["audience"].([]any); !ok || len(aud) != 2 || obj["subject_token"] != "subject.jwt.sig" {
		t.Errorf("JSON body = %v", obj)
	}
}

func TestTLSClientAuth_requestCertificate(t *testing.T) {
	var (
		mu    sync.Mutex
		certs []string
		forms []url.Values
	)
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := record(r)
		v, _ := url.ParseQuery(s.body)
		mu.Lock()
		forms = append(forms, v)
		if len(r.TLS.PeerCertificates) > 0 {
			sum := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
			certs = append(certs, base64.RawURLEncoding.EncodeToString(sum[:]))
		} else {
			certs = append(certs, "")
		}
		mu.Unlock()
		writeJSON(w, 200, okToken)
	}))
	tlsSrv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	cert := testClientCertificate(t)
	c := newTestClient(t, Options{CACertPEM: certPEM(tlsSrv.Certificate())})
	// auto with a certificate and no secret means tls_client_auth.
	req := Request{TokenURL: tlsSrv.URL, GrantType: GrantClientCredentials, ClientID: "app", ClientCertificate: cert}
	if _, err := c.Exchange(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	req.AuthStyle = AuthSelfSignedTLS
	if _, err := c.Exchange(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	for i, f := range forms {
		if f.Get("client_id") != "app" || f.Has("client_secret") || f.Has("client_assertion") {
			t.Errorf("attempt %d form = %v", i, f)
		}
		if certs[i] != base64.RawURLEncoding.EncodeToString(sum[:]) {
			t.Errorf("attempt %d presented certificate %q", i, certs[i])
		}
	}

	req.ClientCertificate = nil
	if _, err := c.Exchange(context.Background(), req); err == nil || !strings.Contains(err.Error(), "needs a client certificate") {
		t.Errorf("without a certificate: %v", err)
	}
}

func TestRequestValidate_assertions(t *testing.T) {
	key := testSigningKey(t, "ec256", KeyOptions{})
	base := Request{TokenURL: "https://idp.example/token", ClientID: "app"}
	cases := []struct {
		name string
		mod  func(*Request)
		want string
	}{
		{"key and assertion", func(r *Request) { r.GrantType = GrantClientCredentials; r.ClientKey = key; r.ClientAssertion = "a.b.c" }, "not both"},
		{"private_key_jwt without a key", func(r *Request) { r.GrantType = GrantClientCredentials; r.AuthStyle = AuthPrivateKeyJWT }, "needs a signing key"},
		{"key with basic", func(r *Request) { r.GrantType = GrantClientCredentials; r.AuthStyle = AuthBasic; r.ClientKey = key }, `use "private_key_jwt"`},
		{"audience without signing", func(r *Request) {
			r.GrantType = GrantClientCredentials
			r.ClientAssertion = "a.b.c"
			r.ClientAssertionAudience = "x"
		}, "only to an assertion the client signs"},
		{"exchange without a subject", func(r *Request) { r.GrantType = GrantTokenExchange }, "subject token and its type"},
		{"actor without a type", func(r *Request) {
			r.GrantType = GrantTokenExchange
			r.SubjectToken, r.SubjectTokenType, r.ActorToken = "s", TokenTypeJWT, "a"
		}, "actor token needs its type"},
		{"subject with another grant", func(r *Request) { r.GrantType = GrantClientCredentials; r.SubjectToken = "s" }, "token exchange grant"},
		{"jwt bearer with nothing", func(r *Request) { r.GrantType = GrantJWTBearer }, "either a ready assertion or a key"},
		{"jwt bearer with both", func(r *Request) { r.GrantType = GrantJWTBearer; r.Assertion = "a"; r.AssertionKey = key }, "not both"},
		{"jwt bearer without an issuer", func(r *Request) { r.GrantType = GrantJWTBearer; r.ClientID = ""; r.AssertionKey = key }, "needs an issuer"},
		{"registered claim in extra", func(r *Request) {
			r.GrantType = GrantJWTBearer
			r.AssertionKey = key
			r.AssertionClaims.Extra = map[string]string{"exp": "1"}
		}, `claim "exp" is set by the client`},
		{"assertion with another grant", func(r *Request) { r.GrantType = GrantPassword; r.Username, r.Password = "u", "p"; r.Assertion = "a" }, "JWT bearer grant"},
		{"audience clashes with extra", func(r *Request) {
			r.GrantType = GrantClientCredentials
			r.Audiences = []string{"a"}
			r.ExtraParams = map[string]string{"audience": "b"}
		}, `"audience" conflicts`},
	}
	for _, c := range cases {
		r := base
		c.mod(&r)
		if err := r.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}
