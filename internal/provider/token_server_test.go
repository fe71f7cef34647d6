package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/config"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
)

// testClock is a clock that tests move forward, shared by the token server
// and the provider so that both agree on when a token expires.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// storeTokenServer is an authorization server that rotates refresh tokens
// and refuses reuse, with a log of the refresh tokens it received and
// issued.
type storeTokenServer struct {
	*tokenserver.Server
	url string

	mu        sync.Mutex
	presented []string // refresh tokens presented, in order
	issued    []string // refresh tokens issued, in order
}

const (
	storeClientID     = "store-client"
	storeClientSecret = "store-client-secret"
)

func newStoreTokenServer(t *testing.T, clock *testClock) *storeTokenServer {
	t.Helper()
	s := &storeTokenServer{Server: tokenserver.New(tokenserver.Config{
		Clients:             map[string]tokenserver.Client{storeClientID: {Secret: storeClientSecret}},
		Users:               map[string]string{"alice": "alice-password"},
		RotateRefreshTokens: true,
		TokenLifetime:       time.Hour,
		Now:                 clock.Now,
	})}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *storeTokenServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == tokenserver.TokenPath {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, r)
		var answer struct {
			RefreshToken string `json:"refresh_token"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &answer)
		s.mu.Lock()
		if rt := form.Get("refresh_token"); rt != "" {
			s.presented = append(s.presented, rt)
		}
		if answer.RefreshToken != "" {
			s.issued = append(s.issued, answer.RefreshToken)
		}
		s.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	s.Handler().ServeHTTP(w, r)
}

func (s *storeTokenServer) TokenURL() string { return s.url + tokenserver.TokenPath }

func (s *storeTokenServer) refreshTokens() (presented, issued []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.presented...), append([]string(nil), s.issued...)
}

// apiAccepts reports whether the protected resource accepts the token.
func (s *storeTokenServer) apiAccepts(t *testing.T, accessToken string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url+tokenserver.APIPath, nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stringValue is a knownvalue check that hands the value to fn.
type stringValue func(string) error

func (f stringValue) CheckValue(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("expected a string, got %T", v)
	}
	return f(s)
}

func (f stringValue) String() string { return "string checked by the test" }

// lazyString is a configuration variable whose value is read when the step
// runs, for values an earlier step produces.
type lazyString struct{ p *string }

func (v lazyString) MarshalJSON() ([]byte, error) { return json.Marshal(*v.p) }

// startedTokenServer starts a token server of cfg on loopback, stopped when
// the test ends.
func startedTokenServer(t *testing.T, cfg tokenserver.Config) *tokenserver.Server {
	t.Helper()
	srv := tokenserver.New(cfg)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// echoTokenType makes the token_type of the ephemeral oauth2_access_token
// called name observable in state, through the echo provider.
func echoTokenType(name string) string {
	return `
provider "echo" {
  data = ephemeral.oauth2_access_token.` + name + `.token_type
}

resource "echo" "token_type" {}
`
}

// pendingAuthCodeHCL is an authorization_code connection called name, with
// label and the client clientID of a test token server, whose endpoints,
// redirect URI and write-only secret are the variables authCodeVars sets.
// Its first apply leaves it waiting for the user's consent.
func pendingAuthCodeHCL(name, label, clientID string) string {
	return fmt.Sprintf(`
variable "token_url" { type = string }
variable "authorization_url" { type = string }
variable "redirect_uri" { type = string }
variable "secret" {
  type      = string
  sensitive = true
}

resource "oauth2_connection" %q {
  label                    = %q
  grant_type               = "authorization_code"
  token_url                = var.token_url
  authorization_url        = var.authorization_url
  redirect_uri             = var.redirect_uri
  client_id                = %q
  client_secret_wo         = var.secret
  client_secret_wo_version = 1
  scopes                   = ["read"]
}
`, name, label, clientID)
}

// authCodeVars are pendingAuthCodeHCL's variables for srv.
func authCodeVars(srv *tokenserver.Server, redirect, secret string) config.Variables {
	return config.Variables{
		"token_url":         config.StringVariable(srv.TokenURL()),
		"authorization_url": config.StringVariable(srv.AuthorizeURL()),
		"redirect_uri":      config.StringVariable(redirect),
		"secret":            config.StringVariable(secret),
	}
}
