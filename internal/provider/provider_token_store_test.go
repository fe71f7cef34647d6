package provider

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokens"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore/kvv2test"
)

// testClock is a clock that tests move forward, shared by the token server
// and the provider so that both agree on when a token expires.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// testAccStoreFactories serves a new provider instance on clock: like a new
// process, it has nothing in memory from an earlier run.
func testAccStoreFactories(clock *testClock) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"oauth2": providerserver.NewProtocol6WithError(&oauth2Provider{version: "test", now: clock.Now}),
		"echo":   echoprovider.NewProviderServer(),
	}
}

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

func testStoreKey(t *testing.T) string {
	t.Helper()
	k, err := tokenstore.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testStoreBackend is one backend set up for a test.
type testStoreBackend struct {
	// hcl is the body of the provider's token_store block.
	hcl string
	// open opens the same store from the test.
	open func() tokenstore.Store
	// key returns the store's encryption key.
	key func() string
	// raw returns every byte the store keeps, names included; nil when the
	// test cannot read them.
	raw func() []byte
}

// storeBackendCase sets up one backend for a test.
type storeBackendCase struct {
	name  string
	setup func(t *testing.T) testStoreBackend
}

var storeBackendCases = []storeBackendCase{
	{
		name: "file",
		setup: func(t *testing.T) testStoreBackend {
			// The path and a generated key come from the environment and
			// the key file: file = {} is enough.
			p := filepath.Join(t.TempDir(), "state", "oauth2-tokens.json")
			t.Setenv(envTokenStorePath, p)
			t.Setenv(envTokenStoreKey, "")
			open := func() tokenstore.Store {
				s, err := tokenstore.NewFile(tokenstore.FileConfig{Path: p})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			key := func() string {
				b, err := os.ReadFile(p + ".key")
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			raw := func() []byte { b, _ := os.ReadFile(p); return b }
			return testStoreBackend{hcl: `file = {}`, open: open, key: key, raw: raw}
		},
	},
	{
		name: "postgres",
		setup: func(t *testing.T) testStoreBackend {
			conn := os.Getenv("OAUTH2_TEST_PG_CONN_STR")
			if conn == "" {
				t.Skip("OAUTH2_TEST_PG_CONN_STR is not set; run through scripts/postgres-test.sh to test the postgres backend")
			}
			var b [6]byte
			_, _ = rand.Read(b[:])
			schema := "oauth2_acc_" + hex.EncodeToString(b[:])
			key := testStoreKey(t)
			// The connection string comes from PG_CONN_STR, as for
			// Terraform's pg state backend.
			t.Setenv(envPGConnStr, conn)
			open := func() tokenstore.Store {
				s, err := tokenstore.NewPostgres(context.Background(), tokenstore.PostgresConfig{ConnString: conn, Schema: schema, Key: key})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = s.Close() })
				return s
			}
			return testStoreBackend{hcl: fmt.Sprintf(`postgres = {
      schema = %q
      key    = %q
    }`, schema, key), open: open, key: func() string { return key }}
		},
	},
	{
		name: "vault",
		setup: func(t *testing.T) testStoreBackend {
			srv := kvv2test.NewServer(t, "kv")
			key := testStoreKey(t)
			// The key comes from OAUTH2_TOKEN_STORE_KEY.
			t.Setenv(envTokenStoreKey, key)
			open := func() tokenstore.Store {
				s, err := tokenstore.NewVault(tokenstore.VaultConfig{Address: srv.URL, Token: srv.Token, Mount: "kv", PathPrefix: "ci/oauth2", Key: key})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			raw := func() []byte {
				var out []byte
				for _, p := range srv.Paths() {
					data, _ := srv.Data(p)
					b, _ := json.Marshal(data)
					out = append(out, p...)
					out = append(out, b...)
				}
				return out
			}
			return testStoreBackend{hcl: fmt.Sprintf(`vault = {
      address     = %q
      token       = %q
      mount       = "kv"
      path_prefix = "ci/oauth2"
    }`, srv.URL, srv.Token), open: open, key: func() string { return key }, raw: raw}
		},
	},
}

// TestAccTokenStore_rotatingRefreshToken runs three separate applies, each
// with a new provider instance as in separate processes, against a server
// that rotates the refresh token on every use and revokes the grant when a
// retired one comes back: the first run refreshes once, the second finds the
// stored token fresh and asks nothing, and the third, after the token
// expired, refreshes once with the refresh token the first run stored.
func TestAccTokenStore_rotatingRefreshToken(t *testing.T) {
	for _, bc := range storeBackendCases {
		t.Run(bc.name, func(t *testing.T) {
			backend := bc.setup(t)
			clock := &testClock{}
			server := newStoreTokenServer(t, clock)
			seed := server.IssueRefreshToken(storeClientID, "alice", "read write")

			cfg := fmt.Sprintf(`
provider "oauth2" {
  token_store = {
    %[1]s
  }
}
`, backend.hcl) + testAccAccessTokenConfig(fmt.Sprintf(`
  grant_type    = "refresh_token"
  token_url     = %[1]q
  client_id     = %[2]q
  client_secret = %[3]q
  refresh_token = %[4]q
  scopes        = ["read"]
`, server.TokenURL(), storeClientID, storeClientSecret, seed))

			data := func(name string) tfjsonpath.Path { return tfjsonpath.New("data").AtMapKey(name) }
			var handedOut []string
			run := func(n int, wantRefreshes int64, wantSame bool) {
				t.Helper()
				before := server.Stats()
				resource.Test(t, resource.TestCase{
					ProtoV6ProviderFactories: testAccStoreFactories(clock),
					TerraformVersionChecks:   ephemeralVersions,
					Steps: []resource.TestStep{{
						Config: cfg,
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue("echo.test", data("access_token"), stringValue(func(s string) error {
								handedOut = append(handedOut, s)
								return nil
							})),
							statecheck.ExpectKnownValue("echo.test", data("scopes"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("read")})),
							statecheck.ExpectKnownValue("echo.test", data("expires_in"), int64Between(3000, 3600)),
						},
					}},
				})
				after := server.Stats()
				if got := after.Refreshes - before.Refreshes; got != wantRefreshes {
					t.Errorf("run %d: refreshes: got %d, want %d", n, got, wantRefreshes)
				}
				if got := after.TokenRequests - before.TokenRequests; got != wantRefreshes {
					t.Errorf("run %d: token requests: got %d, want %d", n, got, wantRefreshes)
				}
				if after.InvalidGrants != 0 || after.FamiliesRevoked != 0 {
					t.Errorf("run %d: invalid_grant answers %d, families revoked %d; want none", n, after.InvalidGrants, after.FamiliesRevoked)
				}
				if len(handedOut) != n {
					t.Fatalf("run %d: access handedOut seen: %d", n, len(handedOut))
				}
				if n > 1 && (handedOut[n-1] == handedOut[n-2]) != wantSame {
					t.Errorf("run %d: access token same as the run before: %v, want %v", n, !wantSame, wantSame)
				}
				if !server.apiAccepts(t, handedOut[n-1]) {
					t.Errorf("run %d: the protected resource refused the access token handed out", n)
				}
			}

			run(1, 1, false)
			run(2, 0, true)
			clock.Advance(2 * time.Hour)
			run(3, 1, false)

			// The second refresh presented the token the first one issued.
			presented, issued := server.refreshTokens()
			if len(presented) != 2 || len(issued) != 2 || presented[0] != seed || presented[1] != issued[0] {
				t.Errorf("refresh chain: presented %d handedOut, issued %d; want the seed, then the first issued one", len(presented), len(issued))
			}

			// The store holds the newest refresh token, encrypted.
			req := oauthclient.Request{
				TokenURL: server.TokenURL(), GrantType: oauthclient.GrantRefreshToken, ClientID: storeClientID,
				ClientSecret: storeClientSecret, RefreshToken: seed, Scopes: []string{"read"},
			}
			store := backend.open()
			chain := tokens.ChainKey(req, store.NameKey())
			e, err := store.Get(context.Background(), chain)
			if err != nil || e == nil {
				t.Fatalf("stored chain: %v, %v", e, err)
			}
			if len(issued) != 2 || e.RefreshToken != issued[1] {
				t.Errorf("the stored refresh token is not the newest one issued")
			}
			e, err = store.Get(context.Background(), tokens.AccessKey(req, chain.String(), store.NameKey()))
			if err != nil || e == nil {
				t.Fatalf("stored access token: %v, %v", e, err)
			}
			if e.RefreshToken != "" {
				t.Errorf("the access token entry holds a refresh token")
			}
			if len(handedOut) != 3 || e.AccessToken != handedOut[2] {
				t.Errorf("the stored access token is not the one handed out last")
			}
			if backend.raw != nil {
				raw := backend.raw()
				if len(raw) == 0 {
					t.Errorf("nothing found in the store")
				}
				for _, secret := range append(append([]string{seed, storeClientSecret}, issued...), handedOut...) {
					if bytes.Contains(raw, []byte(secret)) {
						t.Errorf("a token or secret appears in clear in the store")
					}
				}
			}
		})
	}
}

// TestAccTokenStore_authorizationCodeConnection exchanges an authorization
// code with a token store: the refresh token goes to the store, not to
// state, and an access token with connection_id refreshes with it and
// stores the rotated one.
func TestAccTokenStore_authorizationCodeConnection(t *testing.T) {
	clock := &testClock{}
	server := newStoreTokenServer(t, clock)
	storePath := filepath.Join(t.TempDir(), "tokens.json")
	key := testStoreKey(t)
	const redirect = "http://127.0.0.1:8976/callback"

	var code, connectionID string
	vars := config.Variables{"code": lazyString{&code}}
	provider := fmt.Sprintf(`
variable "code" {
  type = string
}

provider "oauth2" {
  token_store = {
    file = {
      path = %[1]q
      key  = %[2]q
    }
  }
}
`, storePath, key)
	connection := func(withCode bool) string {
		codeLines := ""
		if withCode {
			codeLines = "authorization_code_wo = var.code\n  authorization_code_wo_version = 1"
		}
		return fmt.Sprintf(`
resource "oauth2_connection" "test" {
  label             = "Stored grant"
  grant_type        = "authorization_code"
  token_url         = %[1]q
  authorization_url = %[2]q
  redirect_uri      = %[3]q
  client_id         = %[4]q
  client_secret     = %[5]q
  scopes            = ["read", "write"]
  %[6]s
}
`, server.TokenURL(), server.url+tokenserver.AuthorizePath, redirect, storeClientID, storeClientSecret, codeLines)
	}
	ephemeral := fmt.Sprintf(`
ephemeral "oauth2_access_token" "test" {
  connection_id = oauth2_connection.test.id
  token_url     = oauth2_connection.test.token_url
  client_id     = oauth2_connection.test.client_id
  client_secret = %[1]q
  scopes        = ["read"]
}

provider "echo" {
  data = ephemeral.oauth2_access_token.test
}

resource "echo" "test" {}
`, storeClientSecret)

	openStore := func() tokenstore.Store {
		s, err := tokenstore.NewFile(tokenstore.FileConfig{Path: storePath, Key: key})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	noStoredTokensInState := func(s *terraform.State) error {
		_, issued := server.refreshTokens()
		for name, r := range s.RootModule().Resources {
			for k, v := range r.Primary.Attributes {
				for _, rt := range issued {
					if v == rt {
						return fmt.Errorf("%s.%s holds a refresh token", name, k)
					}
				}
			}
		}
		return nil
	}
	data := func(name string) tfjsonpath.Path { return tfjsonpath.New("data").AtMapKey(name) }
	var handedOut string

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccStoreFactories(clock),
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{
			{
				Config:          provider + connection(false),
				ConfigVariables: vars,
				Check: func(s *terraform.State) error {
					u, err := parseAuthURL(s.RootModule().Resources["oauth2_connection.test"].Primary.Attributes["authorization_request_url"])
					if err != nil {
						return err
					}
					// The user approves; the server redirects with a code.
					code = server.IssueCode(storeClientID, redirect, u.Query().Get("code_challenge"), "read write")
					return nil
				},
			},
			{
				Config:          provider + connection(true),
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("authorized")),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("obtained_refresh_token"), knownvalue.Null()),
				},
				Check: func(s *terraform.State) error {
					// Check runs before ConfigStateChecks.
					connectionID = s.RootModule().Resources["oauth2_connection.test"].Primary.Attributes["id"]
					_, issued := server.refreshTokens()
					if len(issued) != 1 {
						return fmt.Errorf("refresh tokens issued by the code exchange: got %d, want 1", len(issued))
					}
					e, err := connectionChain(openStore(), connectionID)
					if err != nil || e == nil {
						return fmt.Errorf("stored entry of the connection: %v, %v", e, err)
					}
					if e.RefreshToken != issued[0] {
						return fmt.Errorf("the store does not hold the refresh token of the code exchange")
					}
					return noStoredTokensInState(s)
				},
			},
			{
				// Two hours later the stored access token has expired: the
				// ephemeral refreshes with the stored refresh token.
				PreConfig:       func() { clock.Advance(2 * time.Hour) },
				Config:          provider + connection(true) + ephemeral,
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("obtained_refresh_token"), knownvalue.Null()),
					// grant_type defaults to refresh_token for the request only; the
					// result hands back the configuration as given.
					statecheck.ExpectKnownValue("echo.test", data("grant_type"), knownvalue.Null()),
					statecheck.ExpectKnownValue("echo.test", data("refresh_token"), knownvalue.Null()),
					statecheck.ExpectKnownValue("echo.test", data("access_token"), stringValue(func(s string) error {
						handedOut = s
						return nil
					})),
				},
				Check: func(s *terraform.State) error {
					st := server.Stats()
					if st.Refreshes != 1 || st.InvalidGrants != 0 || st.FamiliesRevoked != 0 {
						return fmt.Errorf("refreshes %d, invalid_grant answers %d, families revoked %d; want 1, 0, 0", st.Refreshes, st.InvalidGrants, st.FamiliesRevoked)
					}
					presented, issued := server.refreshTokens()
					if len(presented) != 1 || len(issued) != 2 || presented[0] != issued[0] {
						return fmt.Errorf("the refresh did not present the refresh token of the code exchange (presented %d, issued %d)", len(presented), len(issued))
					}
					e, err := connectionChain(openStore(), connectionID)
					if err != nil || e == nil {
						return fmt.Errorf("stored entry of the connection: %v, %v", e, err)
					}
					if e.RefreshToken != issued[1] {
						return fmt.Errorf("the rotated refresh token was not written back to the connection's entry")
					}
					return noStoredTokensInState(s)
				},
			},
		},
	})

	// Later plans found the stored token fresh.
	if st := server.Stats(); st.Refreshes != 1 || st.InvalidGrants != 0 {
		t.Errorf("refreshes %d, invalid_grant answers %d; want 1, 0", st.Refreshes, st.InvalidGrants)
	}
	if !server.apiAccepts(t, handedOut) {
		t.Errorf("the protected resource refused the access token handed out")
	}
	// Destroying the connection removed its entry.
	if e, err := openStore().Get(context.Background(), tokens.ConnectionKey(connectionID)); err != nil || e != nil {
		t.Errorf("entry of the destroyed connection: %v, %v; want none", e, err)
	}
}

// TestAccTokenStore_refreshTokenConnection validates a refresh_token
// connection with a token store against a server that rotates refresh
// tokens and revokes the grant when a retired one comes back. Every
// validation refreshes once, presenting the successor of the one before; an
// access token with connection_id refreshes from the same entry, and the
// next validation continues from what it stored; a newly configured refresh
// token starts the chain over.
func TestAccTokenStore_refreshTokenConnection(t *testing.T) {
	clock := &testClock{}
	server := newStoreTokenServer(t, clock)
	storePath := filepath.Join(t.TempDir(), "tokens.json")
	key := testStoreKey(t)
	seed := server.IssueRefreshToken(storeClientID, "alice", "read write")
	configured := seed
	vars := config.Variables{"refresh_token": lazyString{&configured}}

	connection := func(label, scopes string, version int) string {
		return fmt.Sprintf(`
variable "refresh_token" {
  type      = string
  sensitive = true
}

provider "oauth2" {
  token_store = {
    file = {
      path = %[1]q
      key  = %[2]q
    }
  }
}

resource "oauth2_connection" "test" {
  label                    = %[3]q
  grant_type               = "refresh_token"
  token_url                = %[4]q
  client_id                = %[5]q
  client_secret            = %[6]q
  refresh_token_wo         = var.refresh_token
  refresh_token_wo_version = %[7]d
  scopes                   = %[8]s
}
`, storePath, key, label, server.TokenURL(), storeClientID, storeClientSecret, version, scopes)
	}
	ephemeral := fmt.Sprintf(`
ephemeral "oauth2_access_token" "test" {
  connection_id = oauth2_connection.test.id
  token_url     = oauth2_connection.test.token_url
  client_id     = oauth2_connection.test.client_id
  client_secret = %[1]q
  scopes        = ["read"]
}

provider "echo" {
  data = ephemeral.oauth2_access_token.test
}

resource "echo" "test" {}
`, storeClientSecret)

	openStore := func() tokenstore.Store {
		s, err := tokenstore.NewFile(tokenstore.FileConfig{Path: storePath, Key: key})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	var connectionID string
	// chain checks that n refresh tokens were presented in all, that the
	// last one was want(issued), that the server refused none, and that the
	// connection's entry holds the newest refresh token issued.
	chain := func(n int, want func(issued []string) string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			connectionID = s.RootModule().Resources["oauth2_connection.test"].Primary.Attributes["id"]
			st := server.Stats()
			if st.InvalidGrants != 0 || st.FamiliesRevoked != 0 {
				return fmt.Errorf("invalid_grant answers %d, families revoked %d; want none", st.InvalidGrants, st.FamiliesRevoked)
			}
			presented, issued := server.refreshTokens()
			if len(presented) != n || len(issued) != n {
				return fmt.Errorf("refresh tokens presented %d, issued %d; want %d each (one refresh per validation)", len(presented), len(issued), n)
			}
			if presented[n-1] != want(issued) {
				return fmt.Errorf("refresh %d did not present the expected refresh token", n)
			}
			e, err := connectionChain(openStore(), connectionID)
			if err != nil || e == nil {
				return fmt.Errorf("stored entry of the connection: %v, %v", e, err)
			}
			if e.RefreshToken != issued[n-1] {
				return fmt.Errorf("the connection's entry does not hold the newest refresh token")
			}
			for name, r := range s.RootModule().Resources {
				for k, v := range r.Primary.Attributes {
					for _, rt := range append([]string{seed, configured}, issued...) {
						if v == rt {
							return fmt.Errorf("%s.%s holds a refresh token", name, k)
						}
					}
				}
			}
			return nil
		}
	}
	previous := func(issued []string) string { return issued[len(issued)-2] }
	validated := []statecheck.StateCheck{
		statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
		statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("obtained_refresh_token"), knownvalue.Null()),
	}
	data := func(name string) tfjsonpath.Path { return tfjsonpath.New("data").AtMapKey(name) }
	var handedOut string

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccStoreFactories(clock),
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{
			{
				Config:            connection("Rotating", `["read"]`, 1),
				ConfigVariables:   vars,
				Check:             chain(1, func([]string) string { return seed }),
				ConfigStateChecks: validated,
			},
			{
				// A changed scope validates again, from the stored successor.
				Config:            connection("Rotating", `["read", "write"]`, 1),
				ConfigVariables:   vars,
				Check:             chain(2, previous),
				ConfigStateChecks: validated,
			},
			{
				Config:            connection("Rotating again", `["write"]`, 1),
				ConfigVariables:   vars,
				Check:             chain(3, previous),
				ConfigStateChecks: validated,
			},
			{
				// Two hours later the stored access token has expired: the
				// ephemeral refreshes from the connection's entry.
				PreConfig:       func() { clock.Advance(2 * time.Hour) },
				Config:          connection("Rotating again", `["write"]`, 1) + ephemeral,
				ConfigVariables: vars,
				Check:           chain(4, previous),
				ConfigStateChecks: []statecheck.StateCheck{
					// grant_type defaults to refresh_token for the request only; the
					// result hands back the configuration as given.
					statecheck.ExpectKnownValue("echo.test", data("grant_type"), knownvalue.Null()),
					statecheck.ExpectKnownValue("echo.test", data("scopes"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("read")})),
					statecheck.ExpectKnownValue("echo.test", data("access_token"), stringValue(func(s string) error {
						handedOut = s
						return nil
					})),
				},
			},
			{
				// The next validation continues from what the ephemeral stored.
				Config:            connection("Rotating again", `["read"]`, 1),
				ConfigVariables:   vars,
				Check:             chain(5, previous),
				ConfigStateChecks: validated,
			},
			{
				// The same token under a new version continues the chain:
				// the configured one was retired long ago.
				Config:            connection("Rotating again", `["write"]`, 2),
				ConfigVariables:   vars,
				Check:             chain(6, previous),
				ConfigStateChecks: validated,
			},
			{
				// A newly configured refresh token starts over from it.
				PreConfig: func() {
					configured = server.IssueRefreshToken(storeClientID, "alice", "read write")
				},
				Config:            connection("Rotating again", `["write"]`, 3),
				ConfigVariables:   vars,
				Check:             chain(7, func([]string) string { return configured }),
				ConfigStateChecks: validated,
			},
		},
	})

	if !server.apiAccepts(t, handedOut) {
		t.Errorf("the protected resource refused the access token handed out through connection_id")
	}
	// Destroying the connection removed its entry.
	if e, err := openStore().Get(context.Background(), tokens.ConnectionKey(connectionID)); err != nil || e != nil {
		t.Errorf("entry of the destroyed connection: %v, %v; want none", e, err)
	}
}

// TestAccConnection_refreshTokenRotatedWithoutStore validates a
// refresh_token connection without a token store against a server that
// rotates refresh tokens: the successor lands in the sensitive
// obtained_refresh_token, and a later apply that does not validate keeps it.
func TestAccConnection_refreshTokenRotatedWithoutStore(t *testing.T) {
	t.Setenv(envTokenStoreDisabled, "true")
	clock := &testClock{}
	server := newStoreTokenServer(t, clock)
	seed := server.IssueRefreshToken(storeClientID, "alice", "read")
	cfg := func(label string) string {
		return fmt.Sprintf(`
resource "oauth2_connection" "test" {
  label         = %[1]q
  grant_type    = "refresh_token"
  token_url     = %[2]q
  client_id     = %[3]q
  client_secret = %[4]q
  refresh_token = %[5]q
}
`, label, server.TokenURL(), storeClientID, storeClientSecret, seed)
	}
	successor := stringValue(func(s string) error {
		if _, issued := server.refreshTokens(); len(issued) != 1 || s != issued[0] {
			return fmt.Errorf("obtained_refresh_token is not the refresh token the server issued")
		}
		return nil
	})
	checks := []statecheck.StateCheck{
		statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
		statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("obtained_refresh_token"), successor),
		statecheck.ExpectSensitiveValue("oauth2_connection.test", tfjsonpath.New("obtained_refresh_token")),
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccStoreFactories(clock),
		Steps: []resource.TestStep{
			{Config: cfg("Rotating"), ConfigStateChecks: checks},
			// A label change does not validate again.
			{Config: cfg("Renamed"), ConfigStateChecks: checks},
		},
	})
	if st := server.Stats(); st.Refreshes != 1 || st.InvalidGrants != 0 {
		t.Errorf("refreshes %d, invalid_grant answers %d; want 1, 0", st.Refreshes, st.InvalidGrants)
	}
}

func TestAccTokenStore_planTimeValidation(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ hcl, want string }{
		"two backends": {
			hcl: fmt.Sprintf(`
provider "oauth2" {
  token_store = {
    file  = { path = %q }
    vault = { address = "https://vault.example.test:8200" }
  }
}
`, filepath.Join(dir, "two")) + testAccConnectionClientCredentialsConfig("https://login.example.test/token", "basic", "s"),
			want: `(?s)Invalid Attribute Combination.*2 attributes specified when one \(and only one\) of\s+\[token_store\.disabled,token_store\.file,token_store\.postgres,token_store\.vault\]`,
		},
		"no backend": {
			hcl: `
provider "oauth2" {
  token_store = {}
}
` + testAccConnectionClientCredentialsConfig("https://login.example.test/token", "basic", "s"),
			want: `(?s)Invalid Attribute Combination.*No attribute specified when one \(and only one\) of\s+\[token_store\.disabled,token_store\.file,token_store\.postgres,token_store\.vault\]`,
		},
		"connection_id with the store disabled": {
			hcl: `
provider "oauth2" {
  token_store = { disabled = true }
}
` + testAccAccessTokenConfig(`
  connection_id = "0d6f0a64-33a4-4f3e-9a40-2b0b4a3b0e11"
  token_url     = "https://login.example.test/token"
  client_id     = "c"
  client_secret = "s"
`),
			want: `(?s)Missing OAuth2 Token Store.*connection_id needs the provider's token\s+store`,
		},
		"connection_id of a connection never applied": {
			hcl: testAccAccessTokenConfig(`
  connection_id = "0d6f0a64-33a4-4f3e-9a40-2b0b4a3b0e11"
  token_url     = "https://login.example.test/token"
  client_id     = "c"
  client_secret = "s"
`),
			want: `(?s)holds no refresh token for connection`,
		},
		"connection_id with another grant": {
			hcl: testAccAccessTokenConfig(`
  connection_id = "0d6f0a64-33a4-4f3e-9a40-2b0b4a3b0e11"
  grant_type    = "client_credentials"
  token_url     = "https://login.example.test/token"
  client_id     = "c"
`),
			want: `(?s)grant_type = "client_credentials" cannot be used with\s+connection_id`,
		},
		"unusable key": {
			hcl: fmt.Sprintf(`
provider "oauth2" {
  token_store = {
    file = {
      path = %q
      key  = "not-a-key"
    }
  }
}
`, filepath.Join(dir, "badkey")) + testAccConnectionClientCredentialsConfig("https://login.example.test/token", "basic", "s"),
			want: `(?s)Unable to Open OAuth2 Token Store.*file token store.*32 bytes`,
		},
		"unreachable database": {
			hcl: `
provider "oauth2" {
  token_store = {
    postgres = {
      conn_str = "postgres://oauth2:LEAK-db-password@127.0.0.1:1/terraform?sslmode=disable&connect_timeout=5"
      key      = "8facb639ef2690d905e0a6a6b4579e5affe358f17c5699c1c74a177f13cfb1e6"
    }
  }
}
` + testAccConnectionClientCredentialsConfig("https://login.example.test/token", "basic", "s"),
			want: `(?s)Unable to Open OAuth2 Token Store.*postgres token store.*reachable`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				TerraformVersionChecks:   ephemeralVersions,
				Steps: []resource.TestStep{{
					Config:      tc.hcl,
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}

func TestTokenStoreSettings(t *testing.T) {
	ctx := context.Background()
	str := types.StringType
	fileType := map[string]attr.Type{"path": str, "key": str}
	pgType := map[string]attr.Type{"conn_str": str, "schema": str, "key": str}
	vaultType := map[string]attr.Type{
		"address": str, "token": str, "namespace": str, "ca_cert_file": str, "mount": str, "path_prefix": str, "key": str,
	}
	block := func(file, pg, vault map[string]string) types.Object {
		obj := func(typ map[string]attr.Type, v map[string]string) types.Object {
			if v == nil {
				return types.ObjectNull(typ)
			}
			vals := map[string]attr.Value{}
			for name := range typ {
				vals[name] = types.StringNull()
				if s, ok := v[name]; ok {
					vals[name] = types.StringValue(s)
				}
			}
			return types.ObjectValueMust(typ, vals)
		}
		f, p, va := obj(fileType, file), obj(pgType, pg), obj(vaultType, vault)
		return types.ObjectValueMust(
			map[string]attr.Type{"disabled": types.BoolType, "file": f.Type(ctx), "postgres": p.Type(ctx), "vault": va.Type(ctx)},
			map[string]attr.Value{"disabled": types.BoolNull(), "file": f, "postgres": p, "vault": va},
		)
	}
	env := map[string]string{
		envTokenStorePath: "/env/tokens.json",
		envTokenStoreKey:  "env-key",
		envPGConnStr:      "postgres://env",
	}
	getenv := func(k string) string { return env[k] }

	noBlock := types.ObjectNull(block(nil, nil, nil).AttributeTypes(ctx))
	if s, disabled, diags := tokenStoreSettingsFrom(ctx, noBlock, getenv); s != nil || disabled || diags.HasError() {
		t.Errorf("no token_store block: got %+v, %v, %v; want the default store", s, disabled, diags)
	}
	env[envTokenStoreDisabled] = "true"
	if s, disabled, diags := tokenStoreSettingsFrom(ctx, noBlock, getenv); s != nil || !disabled || diags.HasError() {
		t.Errorf("no token_store block, %s=true: got %+v, %v, %v; want the store disabled", envTokenStoreDisabled, s, disabled, diags)
	}
	env[envTokenStoreDisabled] = "sometimes"
	if _, _, diags := tokenStoreSettingsFrom(ctx, noBlock, getenv); !diags.HasError() || !strings.Contains(diags[0].Detail(), envTokenStoreDisabled) {
		t.Errorf("%s=sometimes: got %v, want an error naming it", envTokenStoreDisabled, diags)
	}
	delete(env, envTokenStoreDisabled)
	off := block(nil, nil, nil)
	offAttrs := off.Attributes()
	offAttrs["disabled"] = types.BoolValue(true)
	if s, disabled, diags := tokenStoreSettingsFrom(ctx, types.ObjectValueMust(off.AttributeTypes(ctx), offAttrs), getenv); s != nil || !disabled || diags.HasError() {
		t.Errorf("disabled = true: got %+v, %v, %v; want the store disabled", s, disabled, diags)
	}

	for _, tc := range []struct {
		name  string
		block types.Object
		check func(tokenStoreSettings) string
	}{
		{"file from environment", block(map[string]string{}, nil, nil), func(s tokenStoreSettings) string {
			return s.backend + " " + s.file.Path + " " + s.file.Key
		}},
		{"file attributes win", block(map[string]string{"path": "/cfg", "key": "cfg-key"}, nil, nil), func(s tokenStoreSettings) string {
			return s.backend + " " + s.file.Path + " " + s.file.Key
		}},
		{"postgres from environment", block(nil, map[string]string{"schema": "ci"}, nil), func(s tokenStoreSettings) string {
			return s.backend + " " + s.postgres.ConnString + " " + s.postgres.Schema + " " + s.postgres.Key
		}},
		{"vault", block(nil, nil, map[string]string{"address": "https://v", "token": "t", "key": "k"}), func(s tokenStoreSettings) string {
			return s.backend + " " + s.vault.Address + " " + s.vault.Token + " " + s.vault.Key
		}},
	} {
		s, _, diags := tokenStoreSettingsFrom(ctx, tc.block, getenv)
		if diags.HasError() || s == nil {
			t.Errorf("%s: %v", tc.name, diags)
			continue
		}
		got := tc.check(*s)
		want := map[string]string{
			"file from environment":     "file /env/tokens.json env-key",
			"file attributes win":       "file /cfg cfg-key",
			"postgres from environment": "postgres postgres://env ci env-key",
			"vault":                     "vault https://v t k",
		}[tc.name]
		if got != want {
			t.Errorf("%s: got %q, want %q", tc.name, got, want)
		}
	}

	_, _, diags := tokenStoreSettingsFrom(ctx, block(map[string]string{}, nil, map[string]string{}), getenv)
	if !diags.HasError() || !strings.Contains(diags[0].Detail(), "at most one backend") {
		t.Errorf("two backends: got %v, want an error", diags)
	}
	unknownPath := types.ObjectValueMust(fileType, map[string]attr.Value{"path": types.StringUnknown(), "key": types.StringNull()})
	b := block(nil, nil, nil)
	attrs := b.Attributes()
	attrs["file"] = unknownPath
	_, _, diags = tokenStoreSettingsFrom(ctx, types.ObjectValueMust(b.AttributeTypes(ctx), attrs), getenv)
	var at path.Path
	if len(diags) > 0 {
		if d, ok := diags[0].(diag.DiagnosticWithPath); ok {
			at = d.Path()
		}
	}
	if !diags.HasError() || !at.Equal(path.Root("token_store")) {
		t.Errorf("unknown path: got %v, want an error at token_store", diags)
	}
}

// TestAccTokenStore_noSecretLeaks refreshes through the store twice, the
// second time with the stored, rotated refresh token, with TF_LOG=TRACE,
// then searches the logs and every file the CLI left for any secret or token
// the server knows.
func TestAccTokenStore_noSecretLeaks(t *testing.T) {
	clock := &testClock{}
	server := newStoreTokenServer(t, clock)
	seed := server.IssueRefreshToken(storeClientID, "alice", "read")

	dir := t.TempDir()
	logPath := filepath.Join(dir, "tf.log")
	t.Setenv("TF_ACC_TEMP_DIR", dir)
	t.Setenv("TF_ACC_PERSIST_WORKING_DIR", "1")
	t.Setenv("TF_ACC_LOG", "TRACE")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", logPath)

	// Secrets arrive through sensitive variables, as in real use.
	vars := config.Variables{
		"client_secret": config.StringVariable(storeClientSecret),
		"refresh_token": config.StringVariable(seed),
	}
	hcl := fmt.Sprintf(`
variable "client_secret" {
  type      = string
  sensitive = true
}

variable "refresh_token" {
  type      = string
  sensitive = true
}

provider "oauth2" {
  token_store = {
    file = {
      path = %[1]q
      key  = %[2]q
    }
  }
}

ephemeral "oauth2_access_token" "leak" {
  grant_type    = "refresh_token"
  token_url     = %[3]q
  client_id     = %[4]q
  client_secret = var.client_secret
  refresh_token = var.refresh_token
}

resource "terraform_data" "after" {
  input = "opened"
}
`, filepath.Join(dir, "store", "tokens.json"), testStoreKey(t), server.TokenURL(), storeClientID)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccStoreFactories(clock),
		TerraformVersionChecks:   ephemeralVersions,
		Steps: []resource.TestStep{
			{Config: hcl, ConfigVariables: vars},
			{
				PreConfig:       func() { clock.Advance(2 * time.Hour) },
				Config:          hcl,
				ConfigVariables: vars,
				PlanOnly:        true,
			},
		},
	})
	if st := server.Stats(); st.Refreshes != 2 || st.InvalidGrants != 0 {
		t.Errorf("refreshes %d, invalid_grant answers %d; want 2, 0", st.Refreshes, st.InvalidGrants)
	}

	logs, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("reading the captured log: %v", err)
	}
	for _, want := range []string{"opening oauth2 access token", "token refreshed and saved", "[TRACE]"} {
		if !bytes.Contains(logs, []byte(want)) {
			t.Errorf("the captured log lacks %q; the leak search would prove nothing", want)
		}
	}
	if leaks := server.Leaks(string(logs)); len(leaks) > 0 {
		t.Errorf("the logs hold: %s", strings.Join(leaks, ", "))
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == logPath || strings.HasSuffix(p, ".tfvars.json") || strings.Contains(p, "/plugins/") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if leaks := server.Leaks(string(data)); len(leaks) > 0 {
			t.Errorf("%s holds: %s", p, strings.Join(leaks, ", "))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestProviderSchemaDescriptions checks that every provider attribute,
// nested token_store attributes included, has a description, and that the
// secrets of the token store are sensitive.
func TestProviderSchemaDescriptions(t *testing.T) {
	server, err := testAccProtoV6ProviderFactories["oauth2"]()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]*tfprotov6.SchemaAttribute{}
	var walk func(prefix string, attrs []*tfprotov6.SchemaAttribute)
	walk = func(prefix string, attrs []*tfprotov6.SchemaAttribute) {
		for _, a := range attrs {
			name := prefix + a.Name
			seen[name] = a
			if a.DescriptionKind != tfprotov6.StringKindMarkdown || strings.TrimSpace(a.Description) == "" {
				t.Errorf("provider attribute %s has no Markdown description", name)
			}
			if a.NestedType != nil {
				walk(name+".", a.NestedType.Attributes)
			}
		}
	}
	walk("", resp.Provider.Block.Attributes)
	for _, name := range []string{
		"token_store.file.key", "token_store.postgres.key", "token_store.postgres.conn_str",
		"token_store.vault.key", "token_store.vault.token",
	} {
		if a := seen[name]; a == nil || !a.Sensitive {
			t.Errorf("provider attribute %s is missing or not sensitive", name)
		}
	}
	if a := seen["token_store.vault"]; a == nil || !strings.Contains(a.Description, "fake KV v2 server") {
		t.Errorf("the vault backend's description does not say how it is tested")
	}
}

// connectionChain returns the entry holding a connection's refresh chain:
// its own, or the one it links to.
func connectionChain(store tokenstore.Store, id string) (*tokenstore.Entry, error) {
	e, err := store.Get(context.Background(), tokens.ConnectionKey(id))
	if err != nil || e == nil || e.Chain == "" {
		return e, err
	}
	b, err := hex.DecodeString(e.Chain)
	if err != nil {
		return nil, err
	}
	var k tokenstore.Key
	copy(k[:], b)
	return store.Get(context.Background(), k)
}
