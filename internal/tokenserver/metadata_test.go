package tokenserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// getMetadata fetches and decodes the document at base+path.
func getMetadata(t *testing.T, base, path string) (answer, Metadata) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := do(t, req)
	var md Metadata
	if a.status == http.StatusOK {
		if err := json.Unmarshal([]byte(a.raw), &md); err != nil {
			t.Fatalf("metadata is not JSON: %v: %q", err, a.raw)
		}
	}
	return a, md
}

func TestMetadata(t *testing.T) {
	s, ts := newTestServer(t, testConfig())
	for _, path := range []string{MetadataPath, OpenIDConfigurationPath} {
		a, md := getMetadata(t, ts.URL, path)
		if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s: got %d %q, want 200 JSON", path, a.status, a.header.Get("Content-Type"))
		}
		// RFC 8414 §3.3: the issuer is the URL the document was found under.
		if md.Issuer != ts.URL {
			t.Errorf("%s: got issuer %q, want %q", path, md.Issuer, ts.URL)
		}
		for got, want := range map[string]string{
			md.TokenEndpoint:               ts.URL + "/oauth2/token",
			md.AuthorizationEndpoint:       ts.URL + "/oauth2/authorize",
			md.RevocationEndpoint:          ts.URL + "/oauth2/revoke",
			md.DeviceAuthorizationEndpoint: ts.URL + "/oauth2/device_authorization",
		} {
			if got != want {
				t.Errorf("%s: got endpoint %q, want %q", path, got, want)
			}
		}
		// testConfig has secret clients with and without restrictions and
		// one public client.
		wantMethods := []string{"client_secret_basic", "client_secret_post", "none"}
		if !slices.Equal(md.TokenEndpointAuthMethodsSupported, wantMethods) || !slices.Equal(md.RevocationEndpointAuthMethodsSupported, wantMethods) {
			t.Errorf("%s: got auth methods %q and %q, want %q", path, md.TokenEndpointAuthMethodsSupported, md.RevocationEndpointAuthMethodsSupported, wantMethods)
		}
		for _, g := range []string{"authorization_code", "client_credentials", "password", "refresh_token", GrantTypeJWTBearer, GrantTypeTokenExchange, GrantTypeDeviceCode} {
			if !slices.Contains(md.GrantTypesSupported, g) {
				t.Errorf("%s: grant_types_supported %q lacks %q", path, md.GrantTypesSupported, g)
			}
		}
		if !slices.Equal(md.ResponseTypesSupported, []string{"code"}) || !slices.Equal(md.CodeChallengeMethodsSupported, []string{"S256"}) {
			t.Errorf("%s: got response types %q and challenge methods %q", path, md.ResponseTypesSupported, md.CodeChallengeMethodsSupported)
		}
		if md.ScopesSupported != nil || md.TLSClientCertificateBoundAccessTokens {
			t.Errorf("%s: got scopes %q and bound tokens %v from a server with neither", path, md.ScopesSupported, md.TLSClientCertificateBoundAccessTokens)
		}
	}

	req, _ := http.NewRequest(http.MethodPost, ts.URL+MetadataPath, nil)
	if a := do(t, req); a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: got %d Allow %q, want 405 GET, HEAD", a.status, a.header.Get("Allow"))
	}
	if st := s.Stats(); st.MetadataRequests != 3 {
		t.Errorf("got %d metadata requests, want 3", st.MetadataRequests)
	}
}

// TestMetadata_authMethods checks the union of the registered clients'
// methods comes out in one stable order, and that the configured list wins.
func TestMetadata_authMethods(t *testing.T) {
	cfg := Config{Clients: map[string]Client{
		"tls":   {AuthMethods: []AuthMethod{AuthSelfSignedTLS, AuthTLSClient}},
		"jwt":   {AuthMethods: []AuthMethod{AuthPrivateKeyJWT}},
		"hs":    {Secret: strings.Repeat("k", 32), AuthMethods: []AuthMethod{AuthClientSecretJWT, AuthPost}},
		"basic": {Secret: "b", AuthMethods: []AuthMethod{AuthBasic}},
	}}
	_, ts := newTestServer(t, cfg)
	want := []string{"client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth"}
	for range 5 {
		if _, md := getMetadata(t, ts.URL, MetadataPath); !slices.Equal(md.TokenEndpointAuthMethodsSupported, want) {
			t.Fatalf("got %q, want %q", md.TokenEndpointAuthMethodsSupported, want)
		}
	}

	cfg.AuthMethodsSupported = []string{"private_key_jwt", "client_secret_basic"}
	cfg.Scopes = []string{"read", "write"}
	_, ts = newTestServer(t, cfg)
	_, md := getMetadata(t, ts.URL, MetadataPath)
	if !slices.Equal(md.TokenEndpointAuthMethodsSupported, cfg.AuthMethodsSupported) || !slices.Equal(md.RevocationEndpointAuthMethodsSupported, cfg.AuthMethodsSupported) {
		t.Errorf("got %q and %q, want the configured %q", md.TokenEndpointAuthMethodsSupported, md.RevocationEndpointAuthMethodsSupported, cfg.AuthMethodsSupported)
	}
	if !slices.Equal(md.ScopesSupported, cfg.Scopes) {
		t.Errorf("got scopes_supported %q, want %q", md.ScopesSupported, cfg.Scopes)
	}

	// No clients: the member is left out, which RFC 8414 §2 reads as
	// client_secret_basic, rather than published empty.
	_, ts = newTestServer(t, Config{})
	if a, _ := getMetadata(t, ts.URL, MetadataPath); strings.Contains(a.raw, "auth_methods_supported") {
		t.Errorf("got %q from a server without clients, want no auth methods member", a.raw)
	}
}

func TestMetadata_issuerOverrideAndDisable(t *testing.T) {
	cfg := testConfig()
	cfg.MetadataIssuer = "https://issuer.example"
	_, ts := newTestServer(t, cfg)
	_, md := getMetadata(t, ts.URL, MetadataPath)
	if md.Issuer != "https://issuer.example" || md.TokenEndpoint != ts.URL+TokenPath {
		t.Errorf("got issuer %q and token endpoint %q, want the override and the real endpoint", md.Issuer, md.TokenEndpoint)
	}

	cfg = testConfig()
	cfg.DisableMetadata = true
	s, ts := newTestServer(t, cfg)
	for _, path := range []string{MetadataPath, OpenIDConfigurationPath} {
		if a, _ := getMetadata(t, ts.URL, path); a.status != http.StatusNotFound {
			t.Errorf("%s: got %d with DisableMetadata, want 404", path, a.status)
		}
	}
	if st := s.Stats(); st.MetadataRequests != 2 {
		t.Errorf("got %d metadata requests, want the 2 refused ones counted", st.MetadataRequests)
	}
}

// TestMetadata_started checks a started server names itself by the URL it
// listens on, whatever Host the request carried.
func TestMetadata_started(t *testing.T) {
	cfg := testConfig()
	cfg.TLS = true
	s := New(cfg)
	if s.MetadataURL() != "" {
		t.Errorf("got MetadataURL %q before Start, want empty", s.MetadataURL())
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if got, want := s.MetadataURL(), s.URL()+"/.well-known/oauth-authorization-server"; got != want {
		t.Errorf("got MetadataURL %q, want %q", got, want)
	}
	req, _ := http.NewRequest(http.MethodGet, s.MetadataURL(), nil)
	req.Host = "elsewhere.example"
	a := doWith(t, tlsClient(t, s, nil), req)
	var md Metadata
	if err := json.Unmarshal([]byte(a.raw), &md); err != nil {
		t.Fatalf("got %d %q: %v", a.status, a.raw, err)
	}
	if md.Issuer != s.URL() || md.TokenEndpoint != s.TokenURL() || !md.TLSClientCertificateBoundAccessTokens {
		t.Errorf("got %+v, want issuer %q and bound tokens", md, s.URL())
	}

	// A Handler mounted elsewhere knows only the request's host.
	ts := httptest.NewTLSServer(New(testConfig()).Handler())
	t.Cleanup(ts.Close)
	ts.Client().Timeout = 10 * time.Second
	req, _ = http.NewRequest(http.MethodGet, ts.URL+MetadataPath, nil)
	a = doWith(t, ts.Client(), req)
	if err := json.Unmarshal([]byte(a.raw), &md); err != nil || md.Issuer != ts.URL || !strings.HasPrefix(md.Issuer, "https://") {
		t.Errorf("got issuer %q (%v), want %q", md.Issuer, err, ts.URL)
	}
}
