package provider

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccWebhookSecret_usernamePassword(t *testing.T) {
	server := newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		if r.Params["password"] != "hook-pass" {
			return refuse(http.StatusUnauthorized, "invalid_grant", "Bad credentials.")
		}
		return issue("at-hook", 1800, nil)
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: testAccWebhookUsernamePasswordConfig(server.URL(), "Orders hook"),
				Check: func(*terraform.State) error {
					expectRequest(t, server.Last(), map[string]string{
						"Authorization": "",
						"Content-Type":  "application/json",
						"Body":          `{"grant_type":"password","password":"hook-pass","scope":"orders:write webhooks","username":"hook-user"}`,
						"grant_type":    "password",
						"username":      "hook-user",
						"password":      "hook-pass",
						"scope":         "orders:write webhooks",
					})
					return nil
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_webhook_secret.test", tfjsonpath.New("grant_type"), knownvalue.StringExact("password")),
					statecheck.ExpectKnownValue("oauth2_webhook_secret.test", tfjsonpath.New("request_encoding"), knownvalue.StringExact("json")),
					statecheck.ExpectKnownValue("oauth2_webhook_secret.test", tfjsonpath.New("expires_in"), knownvalue.Int64Exact(1800)),
					statecheck.ExpectKnownValue("oauth2_webhook_secret.test", tfjsonpath.New("token_type"), knownvalue.StringExact("Bearer")),
					statecheck.ExpectKnownValue("oauth2_webhook_secret.test", tfjsonpath.New("validated_at"), knownvalue.NotNull()),
					statecheck.ExpectSensitiveValue("oauth2_webhook_secret.test", tfjsonpath.New("password")),
				},
			},
			{
				// Renaming does not call the endpoint again.
				Config: testAccWebhookUsernamePasswordConfig(server.URL(), "Orders webhook"),
				Check: func(*terraform.State) error {
					if n := server.Count(); n != 1 {
						t.Errorf("requests after a rename: got %d, want 1", n)
					}
					return nil
				},
			},
			{
				ResourceName:            "oauth2_webhook_secret.test",
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"name", "convention", "token_url", "grant_type", "scope", "username", "password", "validated_at", "token_type", "expires_in"},
			},
		},
	})
}

func TestAccWebhookSecret_clientCredentialsWriteOnly(t *testing.T) {
	server := newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		if r.Params["client_secret"] != "hook-secret-2" && r.Params["client_secret"] != "hook-secret-1" {
			return refuse(http.StatusUnauthorized, "invalid_client", "Bad client.")
		}
		return issue("at-cc-hook", 900, nil)
	})
	config := func(secret string, version int) string {
		return fmt.Sprintf(`
resource "oauth2_webhook_secret" "test" {
  name                     = "Billing hook"
  convention               = "client_credentials"
  token_url                = %[1]q
  client_id                = "hook-client"
  client_secret_wo         = %[2]q
  client_secret_wo_version = %[3]d
  request_encoding         = "form"
}
`, server.URL(), secret, version)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{
			{
				Config: config("hook-secret-1", 1),
				Check: func(*terraform.State) error {
					expectRequest(t, server.Last(), map[string]string{
						"Authorization": "",
						"Content-Type":  "application/x-www-form-urlencoded",
						"grant_type":    "client_credentials",
						"client_id":     "hook-client",
						"client_secret": "hook-secret-1",
					})
					return nil
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_webhook_secret.test", tfjsonpath.New("grant_type"), knownvalue.StringExact("client_credentials")),
					statecheck.ExpectKnownValue("oauth2_webhook_secret.test", tfjsonpath.New("client_secret_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue("oauth2_webhook_secret.test", tfjsonpath.New("client_secret"), knownvalue.Null()),
				},
			},
			{
				Config: config("hook-secret-2", 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectUnknownValue("oauth2_webhook_secret.test", tfjsonpath.New("validated_at"))},
				},
				Check: func(*terraform.State) error {
					if n := server.Count(); n != 2 {
						t.Errorf("requests: got %d, want 2", n)
					}
					if got := server.Last().Params["client_secret"]; got != "hook-secret-2" {
						t.Errorf("secret after version bump: got %q, want %q", got, "hook-secret-2")
					}
					return nil
				},
			},
		},
	})
}

func TestAccWebhookSecret_missingExpiresIn(t *testing.T) {
	server := newTokenEndpoint(t, func(recordedRequest) tokenAnswer {
		return issue("at-no-expiry", 0, nil)
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      testAccWebhookUsernamePasswordConfig(server.URL(), "Orders hook"),
				ExpectError: regexp.MustCompile(`(?s)Incomplete OAuth2 Webhook Token Response.*"Orders hook" without\s+expires_in`),
			},
			{
				// Nothing was saved.
				Config:             testAccWebhookUsernamePasswordConfig(server.URL(), "Orders hook"),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

func TestAccWebhookSecret_missingAccessToken(t *testing.T) {
	server := newTokenEndpoint(t, func(recordedRequest) tokenAnswer {
		return tokenAnswer{Body: map[string]any{"token_type": "Bearer", "expires_in": 60}}
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      testAccWebhookUsernamePasswordConfig(server.URL(), "Orders hook"),
			ExpectError: regexp.MustCompile(`(?s)Unable to Validate OAuth2 Webhook Secret.*no\s+access_token`),
		}},
	})
}

func TestAccWebhookSecret_planTimeValidation(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"username_password without username": {
			body: `convention = "username_password"
  password = "p"`,
			want: `(?s)With convention = "username_password", username must be set`,
		},
		"username_password without password": {
			body: `convention = "username_password"
  username = "u"`,
			want: `password or password_wo must\s+be set`,
		},
		"client_credentials without secret": {
			body: `convention = "client_credentials"
  client_id = "c"`,
			want: `client_secret or client_secret_wo\s+must be set`,
		},
		"client_credentials without client_id": {
			body: `convention = "client_credentials"
  client_secret = "s"`,
			want: `client_id must be set`,
		},
		"unknown convention": {
			body: `convention = "api_key"`,
			want: `(?s)convention.*value must be one of`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: fmt.Sprintf(`
resource "oauth2_webhook_secret" "test" {
  name      = "Invalid"
  token_url = "https://hooks.example.test/token"
  %[1]s
}
`, tc.body),
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}

func testAccWebhookUsernamePasswordConfig(tokenURL, name string) string {
	return fmt.Sprintf(`
resource "oauth2_webhook_secret" "test" {
  name       = %[2]q
  convention = "username_password"
  token_url  = %[1]q
  scope      = "orders:write webhooks"
  username   = "hook-user"
  password   = "hook-pass"
}
`, tokenURL, name)
}
