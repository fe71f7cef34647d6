package provider

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

// ephemeralVersions are the CLI versions that support ephemeral resources.
var ephemeralVersions = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)}

func TestAccAccessToken_clientCredentials(t *testing.T) {
	server := newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		if r.clientSecret() != "eph-secret" {
			return refuse(http.StatusUnauthorized, "invalid_client", "Bad secret.")
		}
		return issue("at-eph-1", 3600, map[string]any{"scope": "read extra", "id_token": "idt-1"})
	})
	data := func(name string) tfjsonpath.Path { return tfjsonpath.New("data").AtMapKey(name) }
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   ephemeralVersions,
		Steps: []resource.TestStep{{
			Config: testAccAccessTokenConfig(fmt.Sprintf(`
  token_url     = %[1]q
  client_id     = "client-e"
  client_secret = "eph-secret"
  client_auth   = "post"
  scopes        = ["read"]
`, server.URL())),
			Check: func(*terraform.State) error {
				expectRequest(t, server.Last(), map[string]string{
					"Authorization": "",
					"grant_type":    "client_credentials",
					"client_id":     "client-e",
					"client_secret": "eph-secret",
					"scope":         "read",
				})
				return nil
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.test", data("access_token"), knownvalue.StringExact("at-eph-1")),
				statecheck.ExpectKnownValue("echo.test", data("token_type"), knownvalue.StringExact("Bearer")),
				statecheck.ExpectKnownValue("echo.test", data("authorization_header"), knownvalue.StringExact("Bearer at-eph-1")),
				statecheck.ExpectKnownValue("echo.test", data("id_token"), knownvalue.StringExact("idt-1")),
				statecheck.ExpectKnownValue("echo.test", data("expires_at"), knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`))),
				statecheck.ExpectKnownValue("echo.test", data("expires_in"), int64Between(3500, 3600)),
				statecheck.ExpectKnownValue("echo.test", data("granted_scopes"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact("read"), knownvalue.StringExact("extra"),
				})),
				// Configured attributes come back exactly as given, and defaults
				// applied in Open stay out of the result: Terraform refuses a
				// result that differs from the configuration.
				statecheck.ExpectKnownValue("echo.test", data("scopes"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact("read"),
				})),
				statecheck.ExpectKnownValue("echo.test", data("grant_type"), knownvalue.Null()),
				statecheck.ExpectKnownValue("echo.test", data("request_encoding"), knownvalue.Null()),
			},
		}},
	})
}

func TestAccAccessToken_lowercaseBearerAndUnknownExpiry(t *testing.T) {
	server := newTokenEndpoint(t, func(recordedRequest) tokenAnswer {
		return tokenAnswer{Body: map[string]any{"access_token": "at-lower", "token_type": "bearer"}}
	})
	data := func(name string) tfjsonpath.Path { return tfjsonpath.New("data").AtMapKey(name) }
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   ephemeralVersions,
		Steps: []resource.TestStep{{
			Config: testAccAccessTokenConfig(fmt.Sprintf(`
  grant_type       = "password"
  token_url        = %[1]q
  client_id        = "client-l"
  client_auth      = "none"
  username         = "bob"
  password         = "pw-bob"
  request_encoding = "json"
`, server.URL())),
			Check: func(*terraform.State) error {
				expectRequest(t, server.Last(), map[string]string{
					"Content-Type": "application/json",
					"Body":         `{"client_id":"client-l","grant_type":"password","password":"pw-bob","username":"bob"}`,
					"grant_type":   "password",
					"client_id":    "client-l",
					"username":     "bob",
					"password":     "pw-bob",
				})
				return nil
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.test", data("token_type"), knownvalue.StringExact("Bearer")),
				statecheck.ExpectKnownValue("echo.test", data("authorization_header"), knownvalue.StringExact("Bearer at-lower")),
				statecheck.ExpectKnownValue("echo.test", data("expires_at"), knownvalue.Null()),
				statecheck.ExpectKnownValue("echo.test", data("expires_in"), knownvalue.Null()),
				statecheck.ExpectKnownValue("echo.test", data("id_token"), knownvalue.Null()),
				// Unconfigured scopes report what was granted.
				statecheck.ExpectKnownValue("echo.test", data("scopes"), knownvalue.ListExact([]knownvalue.Check{})),
				statecheck.ExpectKnownValue("echo.test", data("granted_scopes"), knownvalue.ListExact([]knownvalue.Check{})),
			},
		}},
	})
}

func TestAccAccessToken_refusedCredentials(t *testing.T) {
	server := newTokenEndpoint(t, func(recordedRequest) tokenAnswer {
		return refuse(http.StatusBadRequest, "invalid_grant", "The refresh token has expired.")
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   ephemeralVersions,
		Steps: []resource.TestStep{{
			Config: testAccAccessTokenConfig(fmt.Sprintf(`
  grant_type    = "refresh_token"
  token_url     = %[1]q
  client_id     = "client-x"
  refresh_token = "rt-expired"
`, server.URL())),
			ExpectError: regexp.MustCompile(`(?s)Unable to Obtain OAuth2 Access Token.*invalid_grant.*The refresh token has\s+expired`),
		}},
	})
}

func TestAccAccessToken_planTimeValidation(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"password grant without username": {
			body: `grant_type = "password"
  token_url = "https://login.example.test/token"
  password = "p"`,
			want: `(?s)Missing Required Setting.*username must be set`,
		},
		"invalid min_validity": {
			body: `token_url = "https://login.example.test/token"
  client_id = "c"
  min_validity = "ten minutes"`,
			want: `(?s)Invalid Duration.*min_validity`,
		},
		"tenant placeholder without tenant_id": {
			body: `token_url = "https://login.example.test/{tenant_id}/token"
  client_id = "c"`,
			want: `Missing Tenant ID`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				TerraformVersionChecks:   ephemeralVersions,
				Steps: []resource.TestStep{{
					Config:      testAccAccessTokenConfig(tc.body),
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}

// TestAccessTokenRenew checks Renew's warnings at the exact expiry
// boundary; the CLI calls Renew only when a run outlives RenewAt.
func TestAccessTokenRenew(t *testing.T) {
	expiry := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	exp := tokenExpiry{ExpiresAt: expiry, MinValidity: 5 * time.Minute}
	for _, tc := range []struct {
		name        string
		now         time.Time
		wantSummary string
		wantRenewAt time.Time
	}{
		{name: "within buffer", now: expiry.Add(-5 * time.Minute), wantSummary: "OAuth2 Access Token Expiring During Run", wantRenewAt: expiry},
		{name: "1ns before expiry", now: expiry.Add(-time.Nanosecond), wantSummary: "OAuth2 Access Token Expiring During Run", wantRenewAt: expiry},
		{name: "at expiry", now: expiry, wantSummary: "OAuth2 Access Token Expired During Run"},
		{name: "after expiry", now: expiry.Add(time.Nanosecond), wantSummary: "OAuth2 Access Token Expired During Run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, renewAt := renewWarning(exp, tc.now)
			if d.Severity() != diag.SeverityWarning {
				t.Errorf("severity: got %v, want a warning", d.Severity())
			}
			if got := d.Summary(); got != tc.wantSummary {
				t.Errorf("summary: got %q, want %q", got, tc.wantSummary)
			}
			if !strings.Contains(d.Detail(), "2030-01-01T12:00:00Z") {
				t.Errorf("detail does not name the expiry: %q", d.Detail())
			}
			if !renewAt.Equal(tc.wantRenewAt) {
				t.Errorf("next renewal: got %v, want %v", renewAt, tc.wantRenewAt)
			}
		})
	}
}

func TestAuthorizationHeader(t *testing.T) {
	for _, tc := range []struct{ tokenType, want string }{
		{"", "Bearer tok"},
		{"bearer", "Bearer tok"},
		{"BEARER", "Bearer tok"},
		{"Bearer", "Bearer tok"},
		{"DPoP", "DPoP tok"},
		{"MAC", "MAC tok"},
	} {
		if got := authorizationHeader(&oauthclient.Token{AccessToken: "tok", TokenType: tc.tokenType}); got != tc.want {
			t.Errorf("authorizationHeader(token_type %q): got %q, want %q", tc.tokenType, got, tc.want)
		}
	}
}

func testAccAccessTokenConfig(body string) string {
	return fmt.Sprintf(`
ephemeral "oauth2_access_token" "test" {
  %[1]s
}

provider "echo" {
  data = ephemeral.oauth2_access_token.test
}

resource "echo" "test" {}
`, body)
}

// TestAccAccessToken_renewDuringLongApply keeps an apply running past the
// token's RenewAt and proves, from the provider's log, that Renew ran.
func TestAccAccessToken_renewDuringLongApply(t *testing.T) {
	server := newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		if r.Params["grant_type"] == "password" {
			// The webhook validation: slow enough to outlive RenewAt.
			time.Sleep(2500 * time.Millisecond)
			return issue("at-hook", 600, nil)
		}
		return issue("at-short", 3, nil)
	})
	logPath := t.TempDir() + "/tf.log"
	t.Setenv("TF_ACC_LOG_PATH", logPath)
	t.Setenv("TF_LOG", "WARN")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
ephemeral "oauth2_access_token" "test" {
  token_url     = %[1]q
  client_id     = "client-short"
  client_secret = "short-secret"
  min_validity  = "2s"
}

resource "oauth2_webhook_secret" "test" {
  name                = "Slow hook"
  convention          = "username_password"
  token_url           = %[1]q
  username            = "hook"
  password_wo         = ephemeral.oauth2_access_token.test.access_token
  password_wo_version = 1
}
`, server.URL()),
		}},
	})

	logs, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logs), "oauth2 access token outlived its usable life during the run") {
		t.Errorf("Renew did not run while the apply outlived the token's RenewAt")
	}
}
