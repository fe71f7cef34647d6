package provider

import (
	"fmt"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// runRotatingRuns applies cfg three times, each as a new provider process
// two hours after the one before, against a server that rotates refresh
// tokens and revokes the grant when a retired one comes back. Each run must
// refresh exactly refreshesPerRun times and be refused never.
func runRotatingRuns(t *testing.T, clock *testClock, server *storeTokenServer, cfg string, refreshesPerRun int64, checks ...statecheck.StateCheck) {
	t.Helper()
	for run := 1; run <= 3; run++ {
		before := server.Stats()
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccStoreFactories(clock),
			TerraformVersionChecks:   ephemeralVersions,
			Steps:                    []resource.TestStep{{Config: cfg, ConfigStateChecks: checks}},
		})
		after := server.Stats()
		if got := after.Refreshes - before.Refreshes; got != refreshesPerRun {
			t.Errorf("run %d: refreshes: got %d, want %d", run, got, refreshesPerRun)
		}
		if after.InvalidGrants != 0 || after.FamiliesRevoked != 0 {
			t.Fatalf("run %d: invalid_grant answers %d, families revoked %d; want none", run, after.InvalidGrants, after.FamiliesRevoked)
		}
		clock.Advance(2 * time.Hour)
	}
}

// TestAccTokenStore_defaultStoreKeepsRotations: with no token_store block, an
// oauth2_access_token on the refresh_token grant survives three runs against
// a rotating server. Plan and apply of one run share one refresh.
func TestAccTokenStore_defaultStoreKeepsRotations(t *testing.T) {
	t.Setenv(envTokenStorePath, filepath.Join(t.TempDir(), "config", "tokens.json"))
	clock := &testClock{}
	server := newStoreTokenServer(t, clock)
	seed := server.IssueRefreshToken(storeClientID, "alice", "read")
	cfg := testAccAccessTokenConfig(fmt.Sprintf(`
  grant_type    = "refresh_token"
  token_url     = %[1]q
  client_id     = %[2]q
  client_secret = %[3]q
  refresh_token = %[4]q
`, server.TokenURL(), storeClientID, storeClientSecret, seed))
	runRotatingRuns(t, clock, server, cfg, 1,
		statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("access_token"), knownvalue.NotNull()))
}

// TestAccTokenStore_blocksShareRefreshToken: two oauth2_access_token blocks
// that start from one refresh token but ask for different scopes and extra
// parameters share its chain: neither presents a token the other retired.
func TestAccTokenStore_blocksShareRefreshToken(t *testing.T) {
	t.Setenv(envTokenStorePath, filepath.Join(t.TempDir(), "tokens.json"))
	clock := &testClock{}
	server := newStoreTokenServer(t, clock)
	seed := server.IssueRefreshToken(storeClientID, "alice", "read write")
	cfg := fmt.Sprintf(`
ephemeral "oauth2_access_token" "read" {
  grant_type    = "refresh_token"
  token_url     = %[1]q
  client_id     = %[2]q
  client_secret = %[3]q
  refresh_token = %[4]q
  scopes        = ["read"]
}

ephemeral "oauth2_access_token" "write" {
  grant_type    = "refresh_token"
  token_url     = %[1]q
  client_id     = %[2]q
  client_secret = %[3]q
  refresh_token = %[4]q
  scopes        = ["write"]
  extra_params  = { audience = "api" }
}

provider "echo" {
  data = {
    read  = ephemeral.oauth2_access_token.read.access_token
    write = ephemeral.oauth2_access_token.write.access_token
  }
}

resource "echo" "test" {}
`, server.TokenURL(), storeClientID, storeClientSecret, seed)
	runRotatingRuns(t, clock, server, cfg, 2,
		statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("read"), knownvalue.NotNull()),
		statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data").AtMapKey("write"), knownvalue.NotNull()))
}

// TestAccTokenStore_disabledStoreRefusesLostRotation: with the store turned
// off, a rotation the ephemeral resource sees fails the run, naming the fix,
// instead of losing the new refresh token silently.
func TestAccTokenStore_disabledStoreRefusesLostRotation(t *testing.T) {
	clock := &testClock{}
	server := newStoreTokenServer(t, clock)
	seed := server.IssueRefreshToken(storeClientID, "alice", "read")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccStoreFactories(clock),
		TerraformVersionChecks:   ephemeralVersions,
		Steps: []resource.TestStep{{
			Config: `
provider "oauth2" {
  token_store = { disabled = true }
}
` + testAccAccessTokenConfig(fmt.Sprintf(`
  grant_type    = "refresh_token"
  token_url     = %[1]q
  client_id     = %[2]q
  client_secret = %[3]q
  refresh_token = %[4]q
`, server.TokenURL(), storeClientID, storeClientSecret, seed)),
			ExpectError: regexp.MustCompile(`(?s)Rotated Without a Store.*token_store\.disabled`),
		}},
	})
}
