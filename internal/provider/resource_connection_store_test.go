package provider

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokens"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
)

// durableMemory is an in-memory store that the token engine treats as
// durable, as it treats the real backends.
type durableMemory struct{ tokenstore.Store }

func newDurableMemory() durableMemory { return durableMemory{tokenstore.NewMemory()} }

// failingWrites runs the update function, as a store does, then fails to save
// what it returned.
type failingWrites struct{ tokenstore.Store }

func (s failingWrites) Update(ctx context.Context, key tokenstore.Key, fn tokenstore.UpdateFunc) (*tokenstore.Entry, error) {
	cur, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	next, err := fn(ctx, cur)
	if err != nil {
		return nil, err
	}
	if next == nil || next == cur {
		return cur, nil
	}
	if next.AccessToken == "" {
		// Records without a token (the refresh-in-flight marker) save.
		return s.Store.Update(ctx, key, func(context.Context, *tokenstore.Entry) (*tokenstore.Entry, error) { return next, nil })
	}
	return nil, errors.New("tokenstore: writing the token store file: disk full")
}

// testProviderData is what Configure hands out, over store (nil: memory).
func testProviderData(t *testing.T, store tokenstore.Store) *providerData {
	t.Helper()
	client, err := oauthclient.New(oauthclient.Options{MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	backend := backendFile
	if store == nil {
		backend = backendMemory
	}
	return &providerData{
		client:  client,
		tokens:  tokens.New(tokens.Options{Client: client, Store: store}),
		backend: backend,
		now:     time.Now,
	}
}

// put writes an entry as a test's starting point.
func put(t *testing.T, store tokenstore.Store, key tokenstore.Key, e tokenstore.Entry) {
	t.Helper()
	if _, err := store.Update(context.Background(), key, func(context.Context, *tokenstore.Entry) (*tokenstore.Entry, error) {
		return &e, nil
	}); err != nil {
		t.Fatal(err)
	}
}

// legacySeedRecord is the private state record earlier versions kept for a
// refresh_token connection's own store entry.
func legacySeedRecord(refreshToken string, nameKey []byte) []byte {
	mac := hmac.New(sha256.New, nameKey)
	mac.Write([]byte(legacyRefreshTokenSeedDomain + "\x00" + refreshToken))
	return []byte(`{"hmac":"` + hex.EncodeToString(mac.Sum(nil)) + `"}`)
}

// testPrivate is private state in memory.
type testPrivate map[string][]byte

func (p testPrivate) GetKey(_ context.Context, key string) ([]byte, diag.Diagnostics) {
	return p[key], nil
}
func (p testPrivate) SetKey(_ context.Context, key string, value []byte) diag.Diagnostics {
	p[key] = value
	return nil
}

// testRefreshConnection is a planned refresh_token connection presenting
// refreshToken to tokenURL.
func testRefreshConnection(tokenURL, refreshToken string) connectionResourceModel {
	var m connectionResourceModel
	m.ID = types.StringValue("6f1c1f4e-2a4b-4c59-9d35-6a0c2f0d9e11")
	m.Label = types.StringValue("Unit")
	m.GrantType = types.StringValue(string(oauthclient.GrantRefreshToken))
	m.TokenURL = types.StringValue(tokenURL)
	m.ClientID = types.StringValue("client-r")
	m.ClientSecret = types.StringValue("r-secret")
	m.ClientAuth = types.StringValue(string(oauthclient.AuthBasic))
	m.RefreshToken = types.StringValue(refreshToken)
	m.Scopes = types.ListNull(types.StringType)
	m.ExtraParams = types.MapNull(types.StringType)
	m.Validate = types.BoolValue(true)
	m.PKCE = types.BoolValue(true)
	return m
}

// rotatingEndpoint accepts the refresh tokens in valid, retiring each on
// use and issuing "<token>-next" in its place.
func rotatingEndpoint(t *testing.T, valid ...string) *tokenEndpoint {
	var mu sync.Mutex
	live := map[string]bool{}
	for _, v := range valid {
		live[v] = true
	}
	return newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		mu.Lock()
		defer mu.Unlock()
		rt := r.Params["refresh_token"]
		if !live[rt] {
			return refuse(http.StatusBadRequest, "invalid_grant", "The refresh token is not valid.")
		}
		delete(live, rt)
		live[rt+"-next"] = true
		return issue("at-"+rt, 3600, map[string]any{"refresh_token": rt + "-next"})
	})
}

// TestConnectionRefreshThroughStore checks which refresh token validation
// presents with a token store, and what it leaves in the store and in
// private state.
func TestConnectionRefreshThroughStore(t *testing.T) {
	const id = "6f1c1f4e-2a4b-4c59-9d35-6a0c2f0d9e11"
	for name, tc := range map[string]struct {
		setup func(t *testing.T, store tokenstore.Store, req oauthclient.Request, prior testPrivate)
		valid []string
		want  []string // refresh tokens presented, in order
	}{
		"create: the configured token": {
			valid: []string{"rt-configured"},
			want:  []string{"rt-configured"},
		},
		"the chain's newest successor": {
			setup: func(t *testing.T, store tokenstore.Store, req oauthclient.Request, _ testPrivate) {
				put(t, store, tokens.ChainKey(req, store.NameKey()), tokenstore.Entry{RefreshToken: "rt-configured-next"})
			},
			valid: []string{"rt-configured-next"},
			want:  []string{"rt-configured-next"},
		},
		"new configured token: a chain of its own": {
			setup: func(t *testing.T, store tokenstore.Store, req oauthclient.Request, _ testPrivate) {
				req.RefreshToken = "rt-old"
				put(t, store, tokens.ChainKey(req, store.NameKey()), tokenstore.Entry{RefreshToken: "rt-old-next"})
			},
			valid: []string{"rt-configured", "rt-old-next"},
			want:  []string{"rt-configured"},
		},
		"chain in the connection's own entry, recorded: moved": {
			setup: func(t *testing.T, store tokenstore.Store, _ oauthclient.Request, prior testPrivate) {
				put(t, store, tokens.ConnectionKey(id), tokenstore.Entry{RefreshToken: "rt-configured-next"})
				prior[privateKeyRefreshTokenSeed] = legacySeedRecord("rt-configured", store.NameKey())
			},
			valid: []string{"rt-configured-next"},
			want:  []string{"rt-configured-next"},
		},
		"chain in the connection's own entry, of another token: left": {
			setup: func(t *testing.T, store tokenstore.Store, _ oauthclient.Request, prior testPrivate) {
				put(t, store, tokens.ConnectionKey(id), tokenstore.Entry{RefreshToken: "rt-old-next"})
				prior[privateKeyRefreshTokenSeed] = legacySeedRecord("rt-old", store.NameKey())
			},
			valid: []string{"rt-configured", "rt-old-next"},
			want:  []string{"rt-configured"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			server := rotatingEndpoint(t, tc.valid...)
			store := newDurableMemory()
			plan := testRefreshConnection(server.URL(), "rt-configured")
			config := plan
			req, diags := plan.connectionSettingsModel.tokenRequest(context.Background(), config.connectionWriteOnlyModel, config.credentials())
			if diags.HasError() {
				t.Fatal(diags)
			}
			prior := testPrivate{}
			if tc.setup != nil {
				tc.setup(t, store, req, prior)
			}
			private := testPrivate{}
			r := &connectionResource{data: testProviderData(t, store)}

			diags = r.apply(context.Background(), &plan, &config, nil, prior, private)
			if diags.HasError() || diags.WarningsCount() != 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			var presented []string
			for _, req := range server.Requests() {
				presented = append(presented, req.Params["refresh_token"])
			}
			if !slices.Equal(presented, tc.want) {
				t.Errorf("refresh tokens presented: got %q, want %q", presented, tc.want)
			}
			last := tc.want[len(tc.want)-1]
			chain, err := store.Get(context.Background(), tokens.ChainKey(req, store.NameKey()))
			if err != nil || chain == nil || chain.RefreshToken != last+"-next" {
				t.Errorf("chain entry: got %v, %v; want the refresh token issued for %q", chain, err, last)
			}
			link, err := store.Get(context.Background(), tokens.ConnectionKey(id))
			if err != nil || link == nil || link.Chain != tokens.ChainKey(req, store.NameKey()).String() || link.RefreshToken != "" {
				t.Errorf("connection entry: got %v, %v; want a link to the chain", link, err)
			}
			if len(private[privateKeyRefreshTokenSeed]) != 0 {
				t.Errorf("the earlier versions' seed record is still in private state")
			}
			if plan.Status.ValueString() != statusValidated || !plan.ObtainedRefreshToken.IsNull() {
				t.Errorf("status %s, obtained_refresh_token null %v; want validated, null", plan.Status, plan.ObtainedRefreshToken.IsNull())
			}
		})
	}
}

// TestConnectionRefreshThroughStoreFailures checks that validation stops
// when the store cannot save the rotated refresh token or the server
// refuses the stored one, without a token in any diagnostic.
func TestConnectionRefreshThroughStoreFailures(t *testing.T) {
	for name, tc := range map[string]struct {
		store   func() tokenstore.Store
		stored  bool
		valid   []string
		summary string
		detail  string
	}{
		"save fails": {
			store:   func() tokenstore.Store { return failingWrites{newDurableMemory()} },
			valid:   []string{"rt-configured"},
			summary: "Unable to Save OAuth2 Token",
			detail:  "writing the token store file: disk full",
		},
		"stored token refused": {
			store:   func() tokenstore.Store { return newDurableMemory() },
			stored:  true,
			summary: "Unable to Validate OAuth2 Connection",
			detail:  "configure a new refresh token",
		},
	} {
		t.Run(name, func(t *testing.T) {
			server := rotatingEndpoint(t, tc.valid...)
			store := tc.store()
			plan := testRefreshConnection(server.URL(), "rt-configured")
			config := plan
			want := "rt-configured"
			if tc.stored {
				req, _ := plan.connectionSettingsModel.tokenRequest(context.Background(), config.connectionWriteOnlyModel, config.credentials())
				put(t, store, tokens.ChainKey(req, store.NameKey()), tokenstore.Entry{RefreshToken: "rt-stored"})
				want = "rt-stored"
			}
			r := &connectionResource{data: testProviderData(t, store)}
			diags := r.apply(context.Background(), &plan, &config, nil, testPrivate{}, testPrivate{})
			if !diags.HasError() || diags[0].Summary() != tc.summary || !strings.Contains(diags[0].Detail(), tc.detail) {
				t.Fatalf("diagnostics: got %v, want %q mentioning %q", diags, tc.summary, tc.detail)
			}
			if server.Count() != 1 || server.Last().Params["refresh_token"] != want {
				t.Errorf("want one request presenting %q, got %d", want, server.Count())
			}
			for _, d := range diags {
				for _, s := range []string{"rt-stored", "rt-configured", "r-secret", "at-rt"} {
					if strings.Contains(d.Detail(), s) || strings.Contains(d.Summary(), s) {
						t.Errorf("a diagnostic holds a secret")
					}
				}
			}
		})
	}
}

// TestConnectionPasswordGrantKeepsRefreshToken checks that a password
// connection validated with a token store keeps the refresh token the
// server issued in the connection's entry.
func TestConnectionPasswordGrantKeepsRefreshToken(t *testing.T) {
	for name, tc := range map[string]struct {
		answer tokenAnswer
		stored string
	}{
		"refresh token issued": {answer: issue("at-pw", 3600, map[string]any{"refresh_token": "rt-pw"}), stored: "rt-pw"},
		"none issued":          {answer: issue("at-pw", 3600, nil)},
	} {
		t.Run(name, func(t *testing.T) {
			server := newTokenEndpoint(t, func(recordedRequest) tokenAnswer { return tc.answer })
			plan := testRefreshConnection(server.URL(), "")
			plan.GrantType = types.StringValue(string(oauthclient.GrantPassword))
			plan.RefreshToken = types.StringNull()
			plan.Username = types.StringValue("alice")
			plan.Password = types.StringValue("alice-password")
			config := plan
			store := newDurableMemory()
			r := &connectionResource{data: testProviderData(t, store)}
			diags := r.apply(context.Background(), &plan, &config, nil, nil, testPrivate{})
			if diags.HasError() || diags.WarningsCount() != 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			e, err := store.Get(context.Background(), tokens.ConnectionKey(plan.ID.ValueString()))
			if err != nil || e == nil || e.RefreshToken != tc.stored || e.AccessToken != "at-pw" {
				t.Errorf("stored entry: got %v, %v; want the issued tokens", e, err)
			}
			if !plan.ObtainedRefreshToken.IsNull() {
				t.Errorf("obtained_refresh_token is set although the provider has a token store")
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
