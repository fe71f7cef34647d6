package provider

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokens"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore/kvv2test"
)

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
