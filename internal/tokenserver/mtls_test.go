package tokenserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// clientCert makes a self-signed client certificate and returns it with the
// hex SHA-256 of its DER, the value Client.TLSClientCertSHA256 pins.
func clientCert(t *testing.T, name string) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, hex.EncodeToString(sum[:])
}

// tlsClient trusts the server's certificate and presents cert, if any. Each
// call makes its own transport, so connections made with different
// certificates are never shared.
func tlsClient(t *testing.T, s *Server, cert *tls.Certificate) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(s.CACertPEM())) {
		t.Fatalf("CACertPEM is not a PEM certificate: %q", s.CACertPEM())
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	tr := &http.Transport{TLSClientConfig: cfg}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Timeout: 10 * time.Second, Transport: tr}
}

func apiWith(t *testing.T, client *http.Client, s *Server, tok string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.APIURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return doWith(t, client, req)
}

// colonHex writes a digest the way openssl prints fingerprints.
func colonHex(h string) string {
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, strings.ToUpper(h[i:i+2]))
	}
	return strings.Join(parts, ":")
}

// startTLS starts a TLS server with a tls_client_auth client pinned to one
// certificate and a self_signed_tls_client_auth client pinned to another.
func startTLS(t *testing.T) (s *Server, certA, certB tls.Certificate, sumA string) {
	t.Helper()
	certA, sumA = clientCert(t, "client-a")
	certB, sumB := clientCert(t, "client-b")
	cfg := testConfig()
	cfg.TLS = true
	cfg.Clients["mtls"] = Client{AuthMethods: []AuthMethod{AuthTLSClient}, TLSClientCertSHA256: []string{sumA}}
	cfg.Clients["self-signed"] = Client{AuthMethods: []AuthMethod{AuthSelfSignedTLS}, TLSClientCertSHA256: []string{colonHex(sumB)}}
	s = New(cfg)
	if s.CACertPEM() != "" {
		t.Errorf("got CACertPEM before Start, want empty")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, certA, certB, sumA
}

func TestTLSClientAuth(t *testing.T) {
	s, certA, certB, sumA := startTLS(t)
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") || s.TokenURL() != s.URL()+TokenPath {
		t.Errorf("got URL %q and TokenURL %q, want https on 127.0.0.1", s.URL(), s.TokenURL())
	}
	withA, withB, without := tlsClient(t, s, &certA), tlsClient(t, s, &certB), tlsClient(t, s, nil)
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {"mtls"}, "scope": {"read"}}

	a := postValues(t, withA, s.TokenURL(), cc)
	wantToken(t, a)
	tok := a.str("access_token")

	// RFC 8705 §3: the token works with the certificate it was issued to...
	me := apiWith(t, withA, s, tok)
	if me.status != http.StatusOK || me.str("client_id") != "mtls" {
		t.Fatalf("got /api/me %d %q with the bound certificate, want 200", me.status, me.raw)
	}
	raw, _ := hex.DecodeString(sumA)
	cnf, _ := me.fields["cnf"].(map[string]any)
	if got, want := cnf["x5t#S256"], base64.RawURLEncoding.EncodeToString(raw); got != want {
		t.Errorf("got cnf %v, want x5t#S256 %q", me.fields["cnf"], want)
	}
	// ...and with no other.
	for name, client := range map[string]*http.Client{"no certificate": without, "another certificate": withB} {
		me := apiWith(t, client, s, tok)
		if me.status != http.StatusUnauthorized || !strings.Contains(me.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s: got /api/me %d %q (WWW-Authenticate %q), want 401 invalid_token", name, me.status, me.raw, me.header.Get("WWW-Authenticate"))
		}
	}

	// self_signed_tls_client_auth, with the pin written as openssl prints
	// it.
	b := postValues(t, withB, s.TokenURL(), url.Values{"grant_type": {"client_credentials"}, "client_id": {"self-signed"}})
	wantToken(t, b)
	if me := apiWith(t, withB, s, b.str("access_token")); me.status != http.StatusOK {
		t.Errorf("got /api/me %d %q, want 200", me.status, me.raw)
	}

	// Unbound tokens from a secret still work without a certificate on
	// the TLS server.
	c := postValues(t, without, s.TokenURL(), url.Values{"grant_type": {"client_credentials"}}, testClient, testSecret)
	wantToken(t, c)
	if me := apiWith(t, without, s, c.str("access_token")); me.status != http.StatusOK || me.fields["cnf"] != nil {
		t.Errorf("got /api/me %d %q, want 200 without cnf", me.status, me.raw)
	}

	if st := s.Stats(); st.TLSClientAuthentications != 2 || st.APIRejected != 2 {
		t.Errorf("got stats %+v, want 2 TLS authentications and 2 rejected API calls", st)
	}
}

func TestTLSClientAuth_errors(t *testing.T) {
	s, certA, certB, _ := startTLS(t)
	for _, tc := range []struct {
		name   string
		client *http.Client
		id     string
		says   string
	}{
		{"no certificate", tlsClient(t, s, nil), "mtls", "must present"},
		{"wrong certificate", tlsClient(t, s, &certB), "mtls", "not registered"},
		{"wrong certificate, self-signed", tlsClient(t, s, &certA), "self-signed", "not registered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := postValues(t, tc.client, s.TokenURL(), url.Values{"grant_type": {"client_credentials"}, "client_id": {tc.id}})
			wantError(t, a, http.StatusUnauthorized, "invalid_client")
			if !strings.Contains(a.str("error_description"), tc.says) {
				t.Errorf("got error_description %q, want it to say %q", a.str("error_description"), tc.says)
			}
		})
	}

	// A certificate does not stand in for the secret of a client that is
	// not registered for mutual TLS.
	a := postValues(t, tlsClient(t, s, &certA), s.TokenURL(), url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient}})
	wantError(t, a, http.StatusUnauthorized, "invalid_client")

	// Over plain HTTP there is no certificate to check.
	cfg := testConfig()
	cfg.Clients["mtls"] = Client{AuthMethods: []AuthMethod{AuthTLSClient}, TLSClientCertSHA256: []string{strings.Repeat("00", 32)}}
	_, plain := newTestServer(t, cfg)
	a = postValues(t, nil, plain.URL+TokenPath, url.Values{"grant_type": {"client_credentials"}, "client_id": {"mtls"}})
	wantError(t, a, http.StatusUnauthorized, "invalid_client")
	if !strings.Contains(a.str("error_description"), "TLS") {
		t.Errorf("got error_description %q, want it to mention TLS", a.str("error_description"))
	}
}

func TestTLSClientAuth_refreshStaysBound(t *testing.T) {
	s, certA, _, _ := startTLS(t)
	withA, without := tlsClient(t, s, &certA), tlsClient(t, s, nil)
	rt := s.IssueRefreshToken("mtls", testUser, "read")
	a := postValues(t, withA, s.TokenURL(), url.Values{"grant_type": {"refresh_token"}, "client_id": {"mtls"}, "refresh_token": {rt}})
	wantToken(t, a)
	if me := apiWith(t, without, s, a.str("access_token")); me.status != http.StatusUnauthorized {
		t.Errorf("got /api/me %d without the certificate, want 401", me.status)
	}
	if me := apiWith(t, withA, s, a.str("access_token")); me.status != http.StatusOK || me.str("username") != testUser {
		t.Errorf("got /api/me %d %q, want 200 for %q", me.status, me.raw, testUser)
	}
}
