package oauthclient

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// metadataDoc is a metadata document for issuer whose endpoints sit under
// base, with fields replaced or added by extra (a nil value removes one).
func metadataDoc(t *testing.T, issuer, base string, extra map[string]any) string {
	t.Helper()
	doc := map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                base + "/authorize",
		"token_endpoint":                        base + "/token",
		"revocation_endpoint":                   base + "/revoke",
		"jwks_uri":                              base + "/jwks",
		"scopes_supported":                      []string{"read", "write"},
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"client_credentials", "refresh_token"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt"},
		"code_challenge_methods_supported":      []string{"S256"},
		"x_vendor_extension":                    "kept in Raw",
	}
	for k, v := range extra {
		if v == nil {
			delete(doc, k)
		} else {
			doc[k] = v
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// discoveryServer serves documents by path; every other path answers 404.
// It counts the requests it receives.
type discoveryServer struct {
	mu    sync.Mutex
	docs  map[string]func(w http.ResponseWriter, r *http.Request)
	paths []string
	n     atomic.Int32
	url   string
}

func newDiscoveryServer(t *testing.T) *discoveryServer {
	t.Helper()
	ds := &discoveryServer{docs: map[string]func(http.ResponseWriter, *http.Request){}}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		ds.n.Add(1)
		ds.mu.Lock()
		ds.paths = append(ds.paths, r.Method+" "+r.URL.Path)
		h := ds.docs[r.URL.Path]
		ds.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	})
	ds.url = srv.URL
	return ds
}

func (ds *discoveryServer) serve(path string, h func(w http.ResponseWriter, r *http.Request)) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	ds.docs[path] = h
}

func (ds *discoveryServer) serveJSON(path, body string) {
	ds.serve(path, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, body) })
}

func (ds *discoveryServer) seen() []string {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	return append([]string(nil), ds.paths...)
}

func TestWellKnownURLs(t *testing.T) {
	tests := []struct{ issuer, oauth, openid string }{
		{"https://h", "https://h/.well-known/oauth-authorization-server", "https://h/.well-known/openid-configuration"},
		{"https://h/", "https://h/.well-known/oauth-authorization-server", "https://h/.well-known/openid-configuration"},
		{"https://h/tenant", "https://h/.well-known/oauth-authorization-server/tenant", "https://h/tenant/.well-known/openid-configuration"},
		{"https://h/tenant/", "https://h/.well-known/oauth-authorization-server/tenant", "https://h/tenant/.well-known/openid-configuration"},
		{"https://h:8443/a/b", "https://h:8443/.well-known/oauth-authorization-server/a/b", "https://h:8443/a/b/.well-known/openid-configuration"},
		{"https://h/realms/a%2Fb", "https://h/.well-known/oauth-authorization-server/realms/a%2Fb", "https://h/realms/a%2Fb/.well-known/openid-configuration"},
	}
	for _, tt := range tests {
		u, err := parseIssuer(tt.issuer, false)
		if err != nil {
			t.Fatalf("parseIssuer(%q): %v", tt.issuer, err)
		}
		oauth, openid := wellKnownURLs(tt.issuer, u)
		if oauth != tt.oauth || openid != tt.openid {
			t.Errorf("wellKnownURLs(%q) = %q, %q; want %q, %q", tt.issuer, oauth, openid, tt.oauth, tt.openid)
		}
	}
}

func TestDiscover_rfc8414(t *testing.T) {
	for _, tc := range []struct{ name, path, wellKnown string }{
		{"with path", "/tenant", "/.well-known/oauth-authorization-server/tenant"},
		{"with path and trailing slash", "/tenant/", "/.well-known/oauth-authorization-server/tenant"},
		{"without path", "", "/.well-known/oauth-authorization-server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := newDiscoveryServer(t)
			issuer := ds.url + tc.path
			var accept string
			doc := metadataDoc(t, issuer, ds.url, map[string]any{"mtls_endpoint_aliases": map[string]string{"token_endpoint": ds.url + "/mtls/token"}})
			ds.serve(tc.wellKnown, func(w http.ResponseWriter, r *http.Request) {
				accept = r.Header.Get("Accept")
				writeJSON(w, http.StatusOK, doc)
			})
			now := setClock(t, time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
			m, err := newTestClient(t, Options{}).Discover(t.Context(), issuer)
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			if got := ds.seen(); len(got) != 1 || got[0] != "GET "+tc.wellKnown {
				t.Errorf("requests = %q, want one GET %s", got, tc.wellKnown)
			}
			if accept != "application/json" {
				t.Errorf("Accept = %q, want application/json", accept)
			}
			if m.Issuer != issuer || m.TokenEndpoint != ds.url+"/token" || m.AuthorizationEndpoint != ds.url+"/authorize" ||
				m.RevocationEndpoint != ds.url+"/revoke" || m.JWKSURI != ds.url+"/jwks" {
				t.Errorf("metadata = %+v", m)
			}
			if strings.Join(m.TokenEndpointAuthMethodsSupported, ",") != "client_secret_post,private_key_jwt" ||
				strings.Join(m.ScopesSupported, ",") != "read,write" || strings.Join(m.CodeChallengeMethodsSupported, ",") != "S256" ||
				strings.Join(m.GrantTypesSupported, ",") != "client_credentials,refresh_token" {
				t.Errorf("lists = %+v", m)
			}
			if m.MTLSEndpointAliases["token_endpoint"] != ds.url+"/mtls/token" {
				t.Errorf("MTLSEndpointAliases = %v", m.MTLSEndpointAliases)
			}
			if m.MetadataURL != ds.url+tc.wellKnown {
				t.Errorf("MetadataURL = %q, want %q", m.MetadataURL, ds.url+tc.wellKnown)
			}
			if string(m.Raw) != doc {
				t.Errorf("Raw = %s, want the document %s", m.Raw, doc)
			}
			if !m.FetchedAt.Equal(*now) {
				t.Errorf("FetchedAt = %v, want %v", m.FetchedAt, *now)
			}
		})
	}
}

func TestDiscover_fallbackToOpenID(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusGone} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			ds := newDiscoveryServer(t)
			issuer := ds.url + "/realms/main/"
			ds.serve("/.well-known/oauth-authorization-server/realms/main", func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, status, `{"error":"nope"}`)
			})
			ds.serveJSON("/realms/main/.well-known/openid-configuration", metadataDoc(t, issuer, ds.url, nil))
			var logs logSink
			m, err := newTestClient(t, Options{Logger: logs.logger()}).Discover(t.Context(), issuer)
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			if m.MetadataURL != ds.url+"/realms/main/.well-known/openid-configuration" {
				t.Errorf("MetadataURL = %q", m.MetadataURL)
			}
			if n := ds.n.Load(); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
			found := false
			for _, e := range logs.all() {
				found = found || (e.msg == "discovery fallback" && e.fields["status"] == status)
			}
			if !found {
				t.Errorf("no discovery fallback event logged: %+v", logs.all())
			}
		})
	}
}

func TestDiscover_noFallbackOnOtherStatus(t *testing.T) {
	ds := newDiscoveryServer(t)
	issuer := ds.url
	ds.serve("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusUnauthorized, `{"message":"login required","access_token":"leaked-token-value"}`)
	})
	ds.serveJSON("/.well-known/openid-configuration", metadataDoc(t, issuer, ds.url, nil))
	_, err := newTestClient(t, Options{}).Discover(t.Context(), issuer)
	if err == nil || !strings.Contains(err.Error(), "status 401") || !strings.Contains(err.Error(), "login required") {
		t.Fatalf("err = %v, want the 401 with its message", err)
	}
	if strings.Contains(err.Error(), "leaked-token-value") {
		t.Errorf("error shows a token: %v", err)
	}
	if n := ds.n.Load(); n != 1 {
		t.Errorf("%d requests, want 1: 401 is no reason to try the OpenID address", n)
	}
}

func TestDiscover_neitherAddress(t *testing.T) {
	ds := newDiscoveryServer(t)
	_, err := newTestClient(t, Options{}).Discover(t.Context(), ds.url+"/t")
	if err == nil {
		t.Fatal("Discover succeeded with no document")
	}
	for _, want := range []string{"found no metadata", ds.url + "/.well-known/oauth-authorization-server/t", ds.url + "/t/.well-known/openid-configuration", "status 404"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestDiscover_issuerMismatch(t *testing.T) {
	for _, tc := range []struct{ name, docIssuer, want string }{
		{"other host", "https://evil.example", `names issuer "https://evil.example"`},
		{"trailing slash", "SELF/", `names issuer "SELF/"`},
		{"escape sequences cleaned", "https://x.example/\x1b[31m\nError: fake", `"https://x.example/ Error: fake"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := newDiscoveryServer(t)
			docIssuer := strings.ReplaceAll(tc.docIssuer, "SELF", ds.url)
			ds.serveJSON("/.well-known/oauth-authorization-server", metadataDoc(t, docIssuer, ds.url, nil))
			_, err := newTestClient(t, Options{}).Discover(t.Context(), ds.url)
			if err == nil {
				t.Fatal("Discover accepted a document for another issuer")
			}
			msg := err.Error()
			if !strings.Contains(msg, strings.ReplaceAll(tc.want, "SELF", ds.url)) || !strings.Contains(msg, `configured issuer "`+ds.url+`"`) || !strings.Contains(msg, "RFC 8414 §3.3") {
				t.Errorf("error %q does not name both issuers", msg)
			}
			if strings.ContainsAny(msg, "\x1b\n") {
				t.Errorf("error holds control characters: %q", msg)
			}
		})
	}
	t.Run("no issuer, or Issuer spelt otherwise", func(t *testing.T) {
		ds := newDiscoveryServer(t)
		ds.serveJSON("/.well-known/oauth-authorization-server", `{"Issuer":"`+ds.url+`","token_endpoint":"`+ds.url+`/token"}`)
		_, err := newTestClient(t, Options{}).Discover(t.Context(), ds.url)
		if err == nil || !strings.Contains(err.Error(), "names no issuer") {
			t.Fatalf("err = %v, want no issuer", err)
		}
	})
}

func TestDiscover_redirectRefused(t *testing.T) {
	ds := newDiscoveryServer(t)
	var followed atomic.Bool
	ds.serve("/elsewhere", func(w http.ResponseWriter, _ *http.Request) { followed.Store(true) })
	ds.serve("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusMovedPermanently)
	})
	_, err := newTestClient(t, Options{}).Discover(t.Context(), ds.url)
	if err == nil {
		t.Fatal("Discover followed a redirect")
	}
	for _, want := range []string{"redirect (status 301)", ds.url + "/elsewhere", "never follows redirects", "set the issuer to the server's final address"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if followed.Load() || ds.n.Load() != 1 {
		t.Errorf("redirect followed, or OpenID address tried (%d requests)", ds.n.Load())
	}
}

func TestDiscover_notADocument(t *testing.T) {
	for _, tc := range []struct{ name, ctype, body, want string }{
		{"HTML", "text/html", "<html><body>Sign in</body></html>", "an HTML page"},
		{"text", "text/plain", "hello\x1b[2J world", `a non-JSON body "hello world"`},
		{"array", "application/json", `["issuer"]`, "not a JSON metadata document"},
		{"truncated", "application/json", `{"issuer":`, "not a JSON metadata document"},
		{"trailing data", "application/json", `{"issuer":"x"} {}`, "not a JSON metadata document"},
		{"list of the wrong type", "application/json", `{"issuer":"ISSUER","scopes_supported":"read write"}`, "scopes_supported that is not an array of strings"},
		{"endpoint of the wrong type", "application/json", `{"issuer":"ISSUER","token_endpoint":42}`, "token_endpoint that is not a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := newDiscoveryServer(t)
			ds.serve("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				_, _ = w.Write([]byte(strings.ReplaceAll(tc.body, "ISSUER", ds.url)))
			})
			_, err := newTestClient(t, Options{}).Discover(t.Context(), ds.url)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDiscover_oversize(t *testing.T) {
	ds := newDiscoveryServer(t)
	ds.serve("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"` + strings.Repeat("a", MaxResponseBytes) + `"}`))
	})
	_, err := newTestClient(t, Options{}).Discover(t.Context(), ds.url)
	if !errors.Is(err, ErrBodyTooLarge) || !strings.Contains(err.Error(), "1 MiB") {
		t.Fatalf("err = %v, want ErrBodyTooLarge", err)
	}
}

// failTransport fails the test on any request.
type failTransport struct{ t *testing.T }

func (f failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("unexpected request to %s", r.URL)
	return nil, errors.New("no request expected")
}

func TestDiscover_badIssuerWithoutRequest(t *testing.T) {
	c := newTestClient(t, Options{Transport: failTransport{t}})
	for _, tc := range []struct{ issuer, want string }{
		{"", "needs an issuer"},
		{"http://login.example.com", `plain http to host "login.example.com"`},
		{"https://login.example.com?tenant=a", "must not contain a query"},
		{"https://login.example.com/?", "must not contain a query"},
		{"https://login.example.com/#frag", "must not contain a fragment"},
		{"https://user:pw@login.example.com", "must not contain user information"},
		{"login.example.com", "not an absolute https URL"},
		{"ftp://login.example.com", "not an absolute https URL"},
		{"https:///path", "not an absolute https URL"},
	} {
		_, err := c.Discover(t.Context(), tc.issuer)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Discover(%q) = %v, want %q", tc.issuer, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("error shows user information: %v", err)
		}
	}
}

// staticTransport answers every request with a document, for issuers that
// are not loopback.
type staticTransport struct{ body string }

func (s staticTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path != "/.well-known/oauth-authorization-server" {
		return &http.Response{StatusCode: 404, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: nopCloser{strings.NewReader(s.body)}, Request: r}, nil
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func TestDiscover_insecureHTTPAllowed(t *testing.T) {
	issuer := "http://login.example.com"
	doc := metadataDoc(t, issuer, issuer, nil)
	c := newTestClient(t, Options{AllowInsecureHTTP: true, Transport: staticTransport{doc}})
	m, err := c.Discover(t.Context(), issuer)
	if err != nil {
		t.Fatalf("Discover with insecure http allowed: %v", err)
	}
	if m.TokenEndpoint != issuer+"/token" {
		t.Errorf("TokenEndpoint = %q", m.TokenEndpoint)
	}
}

func TestDiscover_badEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra map[string]any
		want  string
	}{
		{"plain http to another host", map[string]any{"token_endpoint": "http://login.example.com/token"}, `token_endpoint "http://login.example.com/token" that uses plain http`},
		{"relative", map[string]any{"revocation_endpoint": "/revoke"}, `revocation_endpoint "/revoke" that is not an absolute https URL`},
		{"other scheme", map[string]any{"jwks_uri": "ftp://h/jwks"}, "jwks_uri"},
		{"user information", map[string]any{"userinfo_endpoint": "https://u:secretpw@h/userinfo"}, "userinfo_endpoint"},
		{"fragment", map[string]any{"authorization_endpoint": "https://h/a#x"}, "authorization_endpoint"},
		{"mtls alias", map[string]any{"mtls_endpoint_aliases": map[string]string{"token_endpoint": "http://mtls.example.com/token"}}, "mtls_endpoint_aliases.token_endpoint"},
		{"not a URL", map[string]any{"introspection_endpoint": "https://h/%zz"}, "introspection_endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := newDiscoveryServer(t)
			ds.serveJSON("/.well-known/oauth-authorization-server", metadataDoc(t, ds.url, ds.url, tc.extra))
			_, err := newTestClient(t, Options{}).Discover(t.Context(), ds.url)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secretpw") {
				t.Errorf("error shows user information: %v", err)
			}
		})
	}
}

func TestDiscover_noTokenEndpoint(t *testing.T) {
	ds := newDiscoveryServer(t)
	ds.serveJSON("/.well-known/oauth-authorization-server", metadataDoc(t, ds.url, ds.url, map[string]any{"token_endpoint": nil}))
	m, err := newTestClient(t, Options{}).Discover(t.Context(), ds.url)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if m.TokenEndpoint != "" || m.AuthorizationEndpoint == "" {
		t.Errorf("metadata = %+v", m)
	}
}

func TestDiscover_retry(t *testing.T) {
	ds := newDiscoveryServer(t)
	var calls atomic.Int32
	doc := metadataDoc(t, ds.url, ds.url, nil)
	ds.serve("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "2")
			writeJSON(w, http.StatusServiceUnavailable, `{"message":"warming up"}`)
			return
		}
		writeJSON(w, http.StatusOK, doc)
	})
	c := newTestClient(t, Options{})
	waits := recordSleeps(c)
	if _, err := c.Discover(t.Context(), ds.url); err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if calls.Load() != 2 || len(*waits) != 1 || (*waits)[0] != 2*time.Second {
		t.Errorf("calls = %d, waits = %v; want 2 calls and one wait of the Retry-After 2s", calls.Load(), *waits)
	}
}

func TestDiscover_cache(t *testing.T) {
	ds := newDiscoveryServer(t)
	doc := metadataDoc(t, ds.url, ds.url, nil)
	release := make(chan struct{})
	ds.serve("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, _ *http.Request) {
		<-release
		writeJSON(w, http.StatusOK, doc)
	})
	c := newTestClient(t, Options{})

	const callers = 8
	var wg sync.WaitGroup
	results := make([]*ServerMetadata, callers)
	for i := range callers {
		wg.Go(func() {
			m, err := c.Discover(t.Context(), ds.url)
			if err != nil {
				t.Errorf("Discover: %v", err)
			}
			results[i] = m
		})
	}
	time.Sleep(50 * time.Millisecond) // let the callers join the flight
	close(release)
	wg.Wait()
	if n := ds.n.Load(); n != 1 {
		t.Errorf("%d concurrent callers made %d requests, want 1", callers, n)
	}
	for _, m := range results {
		if m != results[0] {
			t.Fatal("callers got different documents")
		}
	}
	m, err := c.Discover(t.Context(), ds.url)
	if err != nil || m != results[0] || ds.n.Load() != 1 {
		t.Errorf("second Discover: %v, %d requests; want the cached document", err, ds.n.Load())
	}
	// Another issuer is another document.
	if _, err := c.Discover(t.Context(), ds.url+"/"); err == nil {
		t.Error("issuer with a trailing slash matched a document without one")
	}
}

func TestDiscover_failureNotCached(t *testing.T) {
	ds := newDiscoveryServer(t)
	c := newTestClient(t, Options{})
	if _, err := c.Discover(t.Context(), ds.url); err == nil {
		t.Fatal("Discover succeeded without a document")
	}
	ds.serveJSON("/.well-known/oauth-authorization-server", metadataDoc(t, ds.url, ds.url, nil))
	if _, err := c.Discover(t.Context(), ds.url); err != nil {
		t.Fatalf("Discover after the document appeared: %v", err)
	}
}

func TestDiscover_cancelled(t *testing.T) {
	ds := newDiscoveryServer(t)
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	ds.serve("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := newTestClient(t, Options{}).Discover(ctx, ds.url)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
}

func TestAuthStyleFor(t *testing.T) {
	all := []string{"none", "client_secret_jwt", "client_secret_post", "client_secret_basic", "self_signed_tls_client_auth", "tls_client_auth", "private_key_jwt"}
	tests := []struct {
		name              string
		methods           []string
		secret, key, cert bool
		want              AuthStyle
		wantOK            bool
	}{
		{"default is basic", nil, true, false, false, AuthBasic, true},
		{"default without secret", nil, false, true, false, AuthAuto, false},
		{"key wins", all, true, true, true, AuthPrivateKeyJWT, true},
		{"certificate before secret", all, true, false, true, AuthTLSClient, true},
		{"self-signed certificate", []string{"self_signed_tls_client_auth", "client_secret_basic"}, false, false, true, AuthSelfSignedTLS, true},
		{"basic before post", all, true, false, false, AuthBasic, true},
		{"post", []string{"client_secret_post", "private_key_jwt"}, true, false, false, AuthPost, true},
		{"client_secret_jwt", []string{"client_secret_jwt"}, true, false, false, AuthClientSecretJWT, true},
		{"key not listed falls to secret", []string{"client_secret_post"}, true, true, false, AuthPost, true},
		{"certificate not listed falls to secret", []string{"client_secret_basic"}, true, false, true, AuthBasic, true},
		{"nothing held: none", all, false, false, false, AuthNone, true},
		{"nothing held, none not listed", []string{"client_secret_basic"}, false, false, false, AuthAuto, false},
		{"secret held, only none listed", []string{"none"}, true, false, false, AuthAuto, false},
		{"key only, not listed", []string{"client_secret_basic"}, false, true, false, AuthAuto, false},
		{"unknown methods", []string{"magic"}, true, true, true, AuthAuto, false},
	}
	for _, tt := range tests {
		got, ok := AuthStyleFor(tt.methods, tt.secret, tt.key, tt.cert)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: AuthStyleFor = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}
