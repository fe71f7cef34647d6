package provider

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
)

// writeOnlyVersions are the CLI versions that support write-only attributes.
var writeOnlyVersions = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)}

// expectRequest checks one recorded request field by field.
func expectRequest(t *testing.T, got recordedRequest, want map[string]string) {
	t.Helper()
	if got.Method != http.MethodPost {
		t.Errorf("method: got %q, want %q", got.Method, http.MethodPost)
	}
	for k, v := range want {
		var g string
		switch k {
		case "Authorization":
			g = got.Authorization
		case "Content-Type":
			g = got.ContentType
		case "Path":
			g = got.Path
		case "Body":
			g = got.Body
		default:
			g = got.Params[k]
		}
		if g != v {
			t.Errorf("%s: got %q, want %q (body %q)", k, g, v, got.Body)
		}
	}
	for k := range got.Params {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected body parameter %q in %q", k, got.Body)
		}
	}
}

func TestAccConnection_clientCredentials(t *testing.T) {
	server := newTokenEndpoint(t, acceptSecret("at-cc-1", "s3cret"))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: testAccConnectionClientCredentialsConfig(server.URL(), "basic", "s3cret"),
				Check: func(*terraform.State) error {
					expectRequest(t, server.Last(), map[string]string{
						"Authorization": "Basic Y2xpZW50LWE6czNjcmV0",
						"Content-Type":  "application/x-www-form-urlencoded",
						"Path":          "/token",
						"Body":          "grant_type=client_credentials&scope=read+write",
						"grant_type":    "client_credentials",
						"scope":         "read write",
					})
					return nil
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`))),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("token_type"), knownvalue.StringExact("Bearer")),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("expires_in"), knownvalue.Int64Exact(3600)),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("granted_scopes"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("read"), knownvalue.StringExact("write"),
					})),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("validated_at"), knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`))),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("client_secret"), knownvalue.StringExact("s3cret")),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("authorization_request_url"), knownvalue.Null()),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("grant_type"), knownvalue.StringExact("client_credentials")),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("client_auth"), knownvalue.StringExact("basic")),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("request_encoding"), knownvalue.StringExact("form")),
				},
			},
			{
				// A label change does not affect validation: no request,
				// outputs kept.
				Config: testAccConnectionClientCredentialsConfigLabel(server.URL(), "basic", "s3cret", "Renamed"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("oauth2_connection.test", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
					},
				},
				Check: func(*terraform.State) error {
					if n := server.Count(); n != 1 {
						t.Errorf("requests after a label change: got %d, want 1", n)
					}
					return nil
				},
			},
			{
				// Scopes affect validation: outputs become unknown and a
				// new request is made.
				Config: testAccConnectionClientCredentialsConfigScopes(server.URL(), "s3cret", `["read"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectUnknownValue("oauth2_connection.test", tfjsonpath.New("validated_at")),
						plancheck.ExpectUnknownValue("oauth2_connection.test", tfjsonpath.New("granted_scopes")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("granted_scopes"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("read")})),
				},
				Check: func(*terraform.State) error {
					if n := server.Count(); n != 2 {
						t.Errorf("requests after a scope change: got %d, want 2", n)
					}
					return nil
				},
			},
		},
	})
}

func TestAccConnection_clientAuthStyles(t *testing.T) {
	for _, tc := range []struct {
		style string
		// secretInBody says where the secret must be.
		want map[string]string
		// basicFirst: the server refuses Basic so auto must fall back.
		refuseBasic bool
		requests    int
	}{
		{style: "basic", want: map[string]string{"Authorization": "Basic Y2xpZW50LWE6czNjcmV0", "grant_type": "client_credentials", "scope": "read write"}, requests: 1},
		{style: "post", want: map[string]string{"Authorization": "", "grant_type": "client_credentials", "scope": "read write", "client_id": "client-a", "client_secret": "s3cret"}, requests: 1},
		{style: "none", want: map[string]string{"Authorization": "", "grant_type": "client_credentials", "scope": "read write", "client_id": "client-a"}, requests: 1},
		{style: "auto", refuseBasic: true, want: map[string]string{"Authorization": "", "grant_type": "client_credentials", "scope": "read write", "client_id": "client-a", "client_secret": "s3cret"}, requests: 2},
	} {
		t.Run(tc.style, func(t *testing.T) {
			server := newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
				if tc.refuseBasic && r.Authorization != "" {
					return refuse(http.StatusUnauthorized, "invalid_client", "Basic is not supported here.")
				}
				return issue("at-"+tc.style, 600, nil)
			})
			secret := "s3cret"
			if tc.style == "none" {
				secret = ""
			}
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: testAccConnectionClientCredentialsConfig(server.URL(), tc.style, secret),
					Check: func(*terraform.State) error {
						if n := server.Count(); n != tc.requests {
							t.Errorf("requests: got %d, want %d", n, tc.requests)
						}
						expectRequest(t, server.Last(), tc.want)
						return nil
					},
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
						statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("expires_in"), knownvalue.Int64Exact(600)),
					},
				}},
			})
		})
	}
}

func TestAccConnection_jsonEncoding(t *testing.T) {
	server := newTokenEndpoint(t, func(recordedRequest) tokenAnswer {
		// expires_in as a string and a granted scope narrower than asked.
		return tokenAnswer{Body: map[string]any{"access_token": "at-json", "token_type": "bearer", "expires_in": "120", "scope": "a,b"}}
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "oauth2_connection" "test" {
  label            = "JSON platform"
  token_url        = %[1]q
  client_id        = "client-j"
  client_secret    = "json-secret"
  client_auth      = "post"
  request_encoding = "json"
  scopes           = ["a", "b", "c"]
  scope_delimiter  = ","
  extra_params     = { audience = "https://api.example.test" }
}
`, server.URL()),
			Check: func(*terraform.State) error {
				expectRequest(t, server.Last(), map[string]string{
					"Content-Type":  "application/json",
					"Body":          `{"audience":"https://api.example.test","client_id":"client-j","client_secret":"json-secret","grant_type":"client_credentials","scope":"a,b,c"}`,
					"audience":      "https://api.example.test",
					"client_id":     "client-j",
					"client_secret": "json-secret",
					"grant_type":    "client_credentials",
					"scope":         "a,b,c",
				})
				return nil
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("token_type"), knownvalue.StringExact("bearer")),
				statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("expires_in"), knownvalue.Int64Exact(120)),
				statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("granted_scopes"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact("a"), knownvalue.StringExact("b"),
				})),
			},
		}},
	})
}

func TestAccConnection_passwordGrantWriteOnly(t *testing.T) {
	server := newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		if r.Params["password"] != "hunter2" {
			return refuse(http.StatusBadRequest, "invalid_grant", "Wrong username or password.")
		}
		return issue("at-pw", 0, nil)
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "oauth2_connection" "test" {
  label               = "Password grant"
  grant_type          = "password"
  token_url           = %[1]q
  client_id           = "client-p"
  client_auth         = "none"
  username            = "alice"
  password_wo         = "hunter2"
  password_wo_version = 1
}
`, server.URL()),
			Check: func(*terraform.State) error {
				expectRequest(t, server.Last(), map[string]string{
					"Authorization": "",
					"Content-Type":  "application/x-www-form-urlencoded",
					"grant_type":    "password",
					"client_id":     "client-p",
					"username":      "alice",
					"password":      "hunter2",
				})
				return nil
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
				statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("password_wo"), knownvalue.Null()),
				statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("password"), knownvalue.Null()),
				statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("password_wo_version"), knownvalue.Int64Exact(1)),
				// No expires_in in the answer: unknown expiry, not expired.
				statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("expires_in"), knownvalue.Null()),
			},
		}},
	})
}

func TestAccConnection_refreshTokenGrant(t *testing.T) {
	// Without a store the rotated refresh token can only go to state. The
	// environment is the process's, so this test does not run in parallel.
	t.Setenv(envTokenStoreDisabled, "true")
	server := newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		if r.Params["refresh_token"] != "rt-original" {
			return refuse(http.StatusBadRequest, "invalid_grant", "Unknown refresh token.")
		}
		return issue("at-rt", 300, map[string]any{"refresh_token": "rt-rotated"})
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "oauth2_connection" "test" {
  label         = "Refresh grant"
  grant_type    = "refresh_token"
  token_url     = %[1]q
  client_id     = "client-r"
  client_secret = "r-secret"
  client_auth   = "basic"
  refresh_token = "rt-original"
}
`, server.URL()),
			Check: func(*terraform.State) error {
				expectRequest(t, server.Last(), map[string]string{
					"Authorization": "Basic Y2xpZW50LXI6ci1zZWNyZXQ=",
					"grant_type":    "refresh_token",
					"refresh_token": "rt-original",
				})
				return nil
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
				statecheck.ExpectSensitiveValue("oauth2_connection.test", tfjsonpath.New("refresh_token")),
				// The server rotated the configured refresh token, and no
				// token store is configured.
				statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("obtained_refresh_token"), knownvalue.StringExact("rt-rotated")),
				statecheck.ExpectSensitiveValue("oauth2_connection.test", tfjsonpath.New("obtained_refresh_token")),
			},
		}},
	})
}

func TestAccConnection_tenantID(t *testing.T) {
	server := newTokenEndpoint(t, acceptSecret("at-tenant", "t-secret"))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "oauth2_connection" "test" {
  label         = "Tenant"
  token_url     = "%[1]s/{tenant_id}/oauth2/token"
  tenant_id     = "contoso"
  client_id     = "client-t"
  client_secret = "t-secret"
}
`, server.server.URL),
			Check: func(*terraform.State) error {
				expectRequest(t, server.Last(), map[string]string{"Path": "/contoso/oauth2/token", "grant_type": "client_credentials"})
				return nil
			},
		}},
	})
}

func TestAccConnection_invalidSecret(t *testing.T) {
	server := newTokenEndpoint(t, acceptSecret("at-good", "right-secret"))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: testAccConnectionClientCredentialsConfig(server.URL(), "basic", "wrong-secret"),
				ExpectError: regexp.MustCompile(`(?s)Unable to Validate OAuth2 Connection.*` +
					`connection "CRM`),
			},
			{
				// The same failure names the token URL and the RFC 6749 error.
				Config:      testAccConnectionClientCredentialsConfig(server.URL(), "basic", "wrong-secret"),
				ExpectError: regexp.MustCompile(`(?s)` + regexp.QuoteMeta(server.URL()) + `.*invalid_client.*Client\s+authentication\s+failed.*Check\s+client_id\s+and\s+the\s+client\s+secret`),
			},
			{
				// Nothing was saved: the right secret creates the resource
				// instead of updating it.
				Config: testAccConnectionClientCredentialsConfig(server.URL(), "basic", "right-secret"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("oauth2_connection.test", plancheck.ResourceActionCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
				},
			},
		},
	})
}

// TestAccConnection_tokenURLWithCredentials gives token_url credentials of
// its own, in the query (accepted, and echoed back by the server) and as
// user information (refused at plan time); no diagnostic repeats them.
func TestAccConnection_tokenURLWithCredentials(t *testing.T) {
	server := newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		return refuse(http.StatusUnauthorized, "invalid_client", "unknown client for "+r.Query)
	})
	userinfoURL := strings.Replace(server.URL(), "://", "://crm:Us3cr3t@", 1)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: testAccConnectionClientCredentialsConfig(server.URL()+"?api_key=Qs3cr3t", "basic", "wrong-secret"),
				// Redacted, the URL matches; as configured, it would not.
				ExpectError: regexp.MustCompile(`(?s)Unable to Validate OAuth2 Connection.*` + regexp.QuoteMeta(server.URL()) +
					`\?api_key=\[REDACTED\]\s+did\s+not\s+issue.*unknown\s+client\s+for\s+api_key=\[REDACTED\]`),
			},
			{
				Config:      testAccConnectionClientCredentialsConfig(userinfoURL, "basic", "wrong-secret"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid Token URL.*token_url.*must\s+not\s+contain\s+user\s+information`),
			},
		},
	})
	if n := server.Count(); n != 1 {
		t.Errorf("requests: got %d, want 1 (none with user information in the URL)", n)
	}
}

func TestAccConnection_writeOnlySecretVersionBump(t *testing.T) {
	server := newTokenEndpoint(t, acceptSecret("at-wo", "first-secret", "second-secret"))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{
			{
				Config: testAccConnectionWriteOnlyConfig(server.URL(), "first-secret", 1),
				Check: func(*terraform.State) error {
					if got := server.Last().clientSecret(); got != "first-secret" {
						t.Errorf("secret: got %q, want %q", got, "first-secret")
					}
					return nil
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("client_secret_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("client_secret"), knownvalue.Null()),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
				},
			},
			{
				// A new write-only value without a version bump is not sent.
				Config: testAccConnectionWriteOnlyConfig(server.URL(), "second-secret", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				Config: testAccConnectionWriteOnlyConfig(server.URL(), "second-secret", 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("oauth2_connection.test", plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue("oauth2_connection.test", tfjsonpath.New("validated_at")),
					},
				},
				Check: func(*terraform.State) error {
					if n := server.Count(); n != 2 {
						t.Errorf("requests: got %d, want 2", n)
					}
					if got := server.Last().clientSecret(); got != "second-secret" {
						t.Errorf("secret after version bump: got %q, want %q", got, "second-secret")
					}
					return nil
				},
			},
			{
				// A bump with a secret the server refuses fails the apply
				// and keeps the previous state.
				Config:      testAccConnectionWriteOnlyConfig(server.URL(), "revoked-secret", 3),
				ExpectError: regexp.MustCompile(`Unable to Validate OAuth2 Connection`),
			},
		},
	})
}

func TestAccConnection_validateFalse(t *testing.T) {
	server := newTokenEndpoint(t, acceptSecret("at-none", "s"))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "oauth2_connection" "test" {
  label         = "Unvalidated"
  token_url     = %[1]q
  client_id     = "client-u"
  client_secret = "not-checked"
  validate      = false
}
`, server.URL()),
			Check: func(*terraform.State) error {
				if n := server.Count(); n != 0 {
					t.Errorf("requests with validate = false: got %d, want 0", n)
				}
				return nil
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("unvalidated")),
				statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("validated_at"), knownvalue.Null()),
			},
		}},
	})
}

func TestAccConnection_authorizationCode(t *testing.T) {
	// Without a store the rotated refresh token can only go to state. The
	// environment is the process's, so this test does not run in parallel.
	t.Setenv(envTokenStoreDisabled, "true")
	var authURL string
	server := newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		u, err := parseAuthURL(authURL)
		if err != nil {
			t.Errorf("authorization_request_url %q: %v", authURL, err)
			return refuse(http.StatusBadRequest, "invalid_request", "no authorization request")
		}
		if got, want := oauthclient.CodeChallengeS256(r.Params["code_verifier"]), u.Query().Get("code_challenge"); got != want {
			return refuse(http.StatusBadRequest, "invalid_grant", "PKCE verification failed.")
		}
		if r.Params["code"] != "code-from-redirect" {
			return refuse(http.StatusBadRequest, "invalid_grant", "Unknown code.")
		}
		return issue("at-ac", 3600, map[string]any{"refresh_token": "rt-from-code", "scope": "openid offline_access"})
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{
			{
				Config: testAccConnectionAuthCodeConfig(server.URL(), ""),
				Check: resource.ComposeTestCheckFunc(
					func(s *terraform.State) error {
						authURL = s.RootModule().Resources["oauth2_connection.test"].Primary.Attributes["authorization_request_url"]
						u, err := parseAuthURL(authURL)
						if err != nil {
							return err
						}
						q := u.Query()
						for k, want := range map[string]string{
							"response_type":         "code",
							"client_id":             "client-ac",
							"redirect_uri":          "http://127.0.0.1:8976/callback",
							"scope":                 "openid offline_access",
							"code_challenge_method": "S256",
						} {
							if got := q.Get(k); got != want {
								t.Errorf("authorization_request_url %s: got %q, want %q", k, got, want)
							}
						}
						if q.Get("state") == "" || len(q.Get("code_challenge")) != 43 {
							t.Errorf("authorization_request_url lacks state or an S256 challenge: %s", authURL)
						}
						if n := server.Count(); n != 0 {
							t.Errorf("requests before a code is given: got %d, want 0", n)
						}
						// The verifier and state stay out of the attributes.
						for k, v := range s.RootModule().Resources["oauth2_connection.test"].Primary.Attributes {
							if len(v) == 43 && v != q.Get("code_challenge") && k != "id" {
								t.Errorf("attribute %s looks like a PKCE verifier", k)
							}
						}
						return nil
					},
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("pending_authorization")),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("authorization_request_url"), knownvalue.StringRegexp(regexp.MustCompile(`^https://login\.example\.test/authorize\?`))),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("validated_at"), knownvalue.Null()),
				},
			},
			{
				// Re-planning the pending connection keeps the same URL.
				Config: testAccConnectionAuthCodeConfig(server.URL(), ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				Config: testAccConnectionAuthCodeConfig(server.URL(), "code-from-redirect"),
				Check: func(*terraform.State) error {
					expectRequest(t, server.Last(), map[string]string{
						"Authorization": "Basic Y2xpZW50LWFjOmFjLXNlY3JldA==",
						"grant_type":    "authorization_code",
						"code":          "code-from-redirect",
						"redirect_uri":  "http://127.0.0.1:8976/callback",
						"code_verifier": server.Last().Params["code_verifier"],
					})
					return nil
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("authorized")),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("obtained_refresh_token"), knownvalue.StringExact("rt-from-code")),
					statecheck.ExpectSensitiveValue("oauth2_connection.test", tfjsonpath.New("obtained_refresh_token")),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("authorization_code_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("granted_scopes"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("openid"), knownvalue.StringExact("offline_access"),
					})),
				},
			},
			{
				// The code is single-use: an unchanged version does not
				// present it again.
				Config: testAccConnectionAuthCodeConfig(server.URL(), "code-from-redirect"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					if n := server.Count(); n != 1 {
						t.Errorf("code exchanges: got %d, want 1", n)
					}
					return nil
				},
			},
		},
	})
}

func TestAccConnection_authorizationCodeWithoutPendingRequest(t *testing.T) {
	server := newTokenEndpoint(t, acceptSecret("at", "ac-secret"))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{{
			Config:      testAccConnectionAuthCodeConfig(server.URL(), "code-out-of-nowhere"),
			ExpectError: regexp.MustCompile(`(?s)no pending authorization request.*authorization_request_url`),
		}},
	})
}

// TestAccConnection_authorizationCodeVerifierNotInState reads the state file
// the CLI wrote after the first apply of a confidential client: it holds the
// request's state value, and nowhere the PKCE verifier, which the exchange
// derives again from client_secret_wo. A client secret replaced between the
// two applies is then refused with a diagnostic saying why.
func TestAccConnection_authorizationCodeVerifierNotInState(t *testing.T) {
	// The working directories, and the state files in them, go where the
	// test can read them: the state handed to checks has no private state.
	// Setenv rules out a parallel test.
	tempDir := t.TempDir()
	t.Setenv("TF_ACC_TEMP_DIR", tempDir)

	var authURL, verifier string
	server := newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		// Both secrets are valid, as while a secret is rotated.
		if got := r.clientSecret(); got != "ac-secret-wo" && got != "rotated-secret" {
			return refuse(http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		}
		u, err := parseAuthURL(authURL)
		if err != nil {
			t.Errorf("authorization_request_url %q: %v", authURL, err)
			return refuse(http.StatusBadRequest, "invalid_request", "no authorization request")
		}
		if got, want := oauthclient.CodeChallengeS256(r.Params["code_verifier"]), u.Query().Get("code_challenge"); got != want {
			return refuse(http.StatusBadRequest, "invalid_grant", "PKCE verification failed.")
		}
		return issue("at-ac", 3600, nil)
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{
			{
				Config: testAccConnectionAuthCodeWriteOnlyConfig(server.URL(), "ac-secret-wo", ""),
				Check: func(s *terraform.State) error {
					authURL = s.RootModule().Resources["oauth2_connection.test"].Primary.Attributes["authorization_request_url"]
					u, err := parseAuthURL(authURL)
					if err != nil {
						return err
					}
					state := u.Query().Get("state")
					verifier = pkceVerifier([]byte("ac-secret-wo"), state)
					if got, want := u.Query().Get("code_challenge"), oauthclient.CodeChallengeS256(verifier); got != want {
						return fmt.Errorf("code_challenge: got %q, want %q, the challenge of the verifier derived from the client secret", got, want)
					}
					raw, private, err := readStateFileInstance(tempDir, "oauth2_connection", "test")
					if err != nil {
						return err
					}
					if !bytes.Contains(private, []byte(`"state":"`+state+`"`)) {
						return fmt.Errorf("private state %q lacks the state value of the authorization request", private)
					}
					if !bytes.Contains(private, []byte(`"verifier_source":"client_secret"`)) {
						return fmt.Errorf("private state %q does not record the client secret derivation", private)
					}
					for what, b := range map[string][]byte{"state file": raw, "private state": private} {
						if bytes.Contains(b, []byte(verifier)) || bytes.Contains(b, []byte("code_verifier")) {
							return fmt.Errorf("the %s holds the PKCE verifier", what)
						}
					}
					return nil
				},
			},
			{
				// client_secret_wo replaced without a version bump: the
				// client authenticates, but the verifier derived from the
				// new secret does not match the challenge.
				Config:      testAccConnectionAuthCodeWriteOnlyConfig(server.URL(), "rotated-secret", "code-from-redirect"),
				ExpectError: regexp.MustCompile(`(?s)invalid_grant.*derived\s+from\s+the\s+client\s+secret.*must\s+be\s+the\s+same\s+as\s+when`),
			},
			{
				Config: testAccConnectionAuthCodeWriteOnlyConfig(server.URL(), "ac-secret-wo", "code-from-redirect"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("authorized")),
				},
				Check: func(*terraform.State) error {
					if got := server.Last().Params["code_verifier"]; got != verifier {
						return fmt.Errorf("code_verifier: got %q, want the one derived at the first apply", got)
					}
					return nil
				},
			},
		},
	})
}

func TestAccConnection_import(t *testing.T) {
	server := newTokenEndpoint(t, acceptSecret("at-import", "s3cret"))
	config := testAccConnectionClientCredentialsConfig(server.URL(), "basic", "s3cret")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				// Import knows only the id; Read fills the defaults and
				// never calls the network. The settings come back from
				// the configuration on the next apply.
				Config:            config,
				ResourceName:      "oauth2_connection.test",
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{
					"client_secret", "label", "api_base_url", "token_url", "client_id", "client_auth", "scopes.#", "scopes.0", "scopes.1",
					"status", "validated_at", "token_type", "granted_scopes.#", "granted_scopes.0", "granted_scopes.1", "expires_in",
				},
				Check: func(*terraform.State) error {
					if n := server.Count(); n != 1 {
						t.Errorf("requests after import: got %d, want 1", n)
					}
					return nil
				},
			},
		},
	})
}

func TestAccConnection_importThenApply(t *testing.T) {
	server := newTokenEndpoint(t, acceptSecret("at-import", "s3cret"))
	config := testAccConnectionClientCredentialsConfig(server.URL(), "basic", "s3cret")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				// An import block: the plan restores the settings from the
				// configuration and validates them again.
				Config:             config,
				ResourceName:       "oauth2_connection.test",
				ImportState:        true,
				ImportStateKind:    resource.ImportBlockWithID,
				ExpectNonEmptyPlan: true,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("oauth2_connection.test", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("label"), knownvalue.StringExact("CRM")),
						plancheck.ExpectUnknownValue("oauth2_connection.test", tfjsonpath.New("status")),
					},
				},
			},
		},
	})
}

func TestAccConnection_planTimeValidation(t *testing.T) {
	const defaultTokenURL = "https://login.example.test/token"
	for name, tc := range map[string]struct {
		body string
		want string
	}{
		"password grant without username": {
			body: `grant_type = "password"
  password = "p"`,
			want: `(?s)Missing Required Setting.*grant_type = "password", username must be set`,
		},
		"password grant without password": {
			body: `grant_type = "password"
  username = "u"`,
			want: `(?s)With grant_type = "password", password or password_wo must\s+be set`,
		},
		"refresh grant without refresh token": {
			body: `grant_type = "refresh_token"
  client_id = "c"`,
			want: `refresh_token or refresh_token_wo`,
		},
		"authorization code without authorization_url": {
			body: `grant_type = "authorization_code"
  client_id = "c"
  redirect_uri = "http://127.0.0.1/cb"`,
			want: `authorization_url or preset or issuer\s+must be set`,
		},
		"authorization code without redirect_uri": {
			body: `grant_type = "authorization_code"
  client_id = "c"
  authorization_url = "https://login.example.test/authorize"`,
			want: `redirect_uri must be set`,
		},
		"basic auth without secret": {
			body: `client_id = "c"
  client_auth = "basic"`,
			want: `client_secret or client_secret_wo must be set`,
		},
		"client credentials without client_id": {
			body: `client_secret = "s"`,
			want: `(?s)grant_type = "client_credentials", client_id must be set`,
		},
		"secret both sensitive and write-only": {
			body: `client_id = "c"
  client_secret = "s"
  client_secret_wo = "s"
  client_secret_wo_version = 1`,
			want: `(?s)Invalid Attribute Combination.*client_secret_wo`,
		},
		"write-only without version": {
			body: `client_id = "c"
  client_secret_wo = "s"`,
			want: `(?s)client_secret_wo_version.*must be specified`,
		},
		"tenant placeholder without tenant_id": {
			body: `client_id = "c"
  client_secret = "s"`,
			want: `(?s)Missing Tenant ID.*token_url contains a \{tenant_id\}`,
		},
		"unknown grant type": {
			body: `grant_type = "implicit"
  client_id = "c"`,
			want: `(?s)grant_type.*value must be one of`,
		},
		"unknown encoding": {
			body: `client_id = "c"
  request_encoding = "xml"`,
			want: `(?s)request_encoding.*value must be one of`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			tokenURL := defaultTokenURL
			if name == "tenant placeholder without tenant_id" {
				tokenURL = "https://login.example.test/{tenant_id}/token"
			}
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				TerraformVersionChecks:   writeOnlyVersions,
				Steps: []resource.TestStep{{
					Config: fmt.Sprintf(`
resource "oauth2_connection" "test" {
  label     = "Invalid"
  token_url = %[1]q
  %[2]s
}
`, tokenURL, tc.body),
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}

func testAccConnectionClientCredentialsConfig(tokenURL, clientAuth, secret string) string {
	return testAccConnectionClientCredentialsConfigLabel(tokenURL, clientAuth, secret, "CRM")
}

func testAccConnectionClientCredentialsConfigLabel(tokenURL, clientAuth, secret, label string) string {
	secretLine := ""
	if secret != "" {
		secretLine = fmt.Sprintf("client_secret = %q", secret)
	}
	return fmt.Sprintf(`
resource "oauth2_connection" "test" {
  label        = %[4]q
  token_url    = %[1]q
  client_id    = "client-a"
  %[3]s
  client_auth  = %[2]q
  scopes       = ["read", "write"]
  api_base_url = "https://api.example.test"
}
`, tokenURL, clientAuth, secretLine, label)
}

func testAccConnectionClientCredentialsConfigScopes(tokenURL, secret, scopes string) string {
	return fmt.Sprintf(`
resource "oauth2_connection" "test" {
  label         = "Renamed"
  token_url     = %[1]q
  client_id     = "client-a"
  client_secret = %[2]q
  client_auth   = "basic"
  scopes        = %[3]s
  api_base_url  = "https://api.example.test"
}
`, tokenURL, secret, scopes)
}

func testAccConnectionWriteOnlyConfig(tokenURL, secret string, version int) string {
	return fmt.Sprintf(`
resource "oauth2_connection" "test" {
  label                    = "Write-only"
  token_url                = %[1]q
  client_id                = "client-w"
  client_secret_wo         = %[2]q
  client_secret_wo_version = %[3]d
}
`, tokenURL, secret, version)
}

func testAccConnectionAuthCodeConfig(tokenURL, code string) string {
	codeLines := ""
	if code != "" {
		codeLines = fmt.Sprintf("authorization_code_wo = %q\n  authorization_code_wo_version = 1", code)
	}
	return fmt.Sprintf(`
resource "oauth2_connection" "test" {
  label             = "Auth code"
  grant_type        = "authorization_code"
  token_url         = %[1]q
  authorization_url = "https://login.example.test/authorize"
  redirect_uri      = "http://127.0.0.1:8976/callback"
  client_id         = "client-ac"
  client_secret     = "ac-secret"
  scopes            = ["openid", "offline_access"]
  %[2]s
}
`, tokenURL, codeLines)
}

func testAccConnectionAuthCodeWriteOnlyConfig(tokenURL, secret, code string) string {
	codeLines := ""
	if code != "" {
		codeLines = fmt.Sprintf("authorization_code_wo = %q\n  authorization_code_wo_version = 1", code)
	}
	return fmt.Sprintf(`
resource "oauth2_connection" "test" {
  label                    = "Auth code"
  grant_type               = "authorization_code"
  token_url                = %[1]q
  authorization_url        = "https://login.example.test/authorize"
  redirect_uri             = "http://127.0.0.1:8976/callback"
  client_id                = "client-ac"
  client_secret_wo         = %[2]q
  client_secret_wo_version = 1
  %[3]s
}
`, tokenURL, secret, codeLines)
}

func TestValidationErrorDetail(t *testing.T) {
	const tokenURL = "https://login.example.test/token"
	for _, tc := range []struct {
		name string
		err  error
		want []string
		// cause says whether the detail ends with the underlying error:
		// a refusal is told in full without it.
		cause bool
	}{
		{
			name: "RFC 6749 error",
			err:  &oauthclient.Error{TokenURL: tokenURL, StatusCode: 401, Code: "invalid_client", Description: "Client authentication failed."},
			want: []string{
				`The token endpoint ` + tokenURL + ` did not issue a token for connection "CRM". Nothing was saved.`,
				`status 401 and error "invalid_client": Client authentication failed. Check client_id`,
			},
		},
		{
			name: "refused both auth styles",
			err: &oauthclient.AuthFallbackError{
				Basic: &oauthclient.Error{StatusCode: 401, Code: "invalid_client"},
				Post:  &oauthclient.Error{StatusCode: 400, Code: "invalid_grant", Description: "bad password"},
			},
			// The first refusal (Basic) is the cause; the second is
			// mentioned in the error.
			want: []string{`status 401 and error "invalid_client".`, "Check client_id and the client secret",
				"auto then also tried the secret in the request body, client_secret_post, and was refused too: status 400, invalid_grant: bad password"},
			cause: true,
		},
		{
			name: "not a token response",
			err:  &oauthclient.Error{TokenURL: tokenURL, StatusCode: 200, Reason: "the token endpoint answered with HTML (status 200), not a token response"},
			want: []string{"The token endpoint answered with HTML (status 200), not a token response. Check that token_url points"},
		},
		{
			name:  "network",
			err:   fmt.Errorf("oauthclient: dial tcp 127.0.0.1:1: connection refused"),
			want:  []string{"reachable from where the CLI (terraform or tofu) runs"},
			cause: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := validationErrorDetail(`connection "CRM"`, tokenURL, "Nothing was saved.", tc.err)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("detail %q lacks %q", got, w)
				}
			}
			// The CLI prints the detail as it is: a paragraph starting
			// "Error:" would read as a second error block.
			if strings.Contains(got, "Error:") || strings.Contains(got, "oauthclient:") {
				t.Errorf("detail holds a raw Go error block: %q", got)
			}
			cause := "\n\nCause: " + strings.TrimPrefix(tc.err.Error(), "oauthclient: ")
			if got := strings.HasSuffix(got, cause); got != tc.cause {
				t.Errorf("detail ends with the cause %q: got %v, want %v", cause, got, tc.cause)
			}
		})
	}
}

// TestValidationErrorDetail_tokenURLCredentials checks that credentials
// written into token_url, as user information or in the query, are not
// repeated by the diagnostic.
func TestValidationErrorDetail_tokenURLCredentials(t *testing.T) {
	for _, tc := range []struct{ tokenURL, want string }{
		{"https://login.example.test/token?client_secret=Qs3cr3t", "https://login.example.test/token?client_secret=[REDACTED]"},
		{"https://client:Qs3cr3t@login.example.test/token", "https://[REDACTED]@login.example.test/token"},
		{"https://client:Qs3cr3t@login.example.test:bad/token", "https://[REDACTED]@login.example.test:bad/token"},
	} {
		err := &oauthclient.Error{TokenURL: oauthclient.RedactURL(tc.tokenURL), StatusCode: 401, Code: "invalid_client"}
		got := validationErrorDetail(`connection "CRM"`, tc.tokenURL, "Nothing was saved.", err)
		if strings.Contains(got, "Qs3cr3t") {
			t.Errorf("detail shows the secret in %q: %q", tc.tokenURL, got)
		}
		if !strings.Contains(got, "The token endpoint "+tc.want+" did not issue") {
			t.Errorf("detail %q does not name the endpoint as %q", got, tc.want)
		}
	}
}

// TestConnectionRefreshTokenRotatedWithoutStore checks the warning and
// obtained_refresh_token of a validation whose refresh token the server
// rotated while no token store is configured, and their absence when it
// did not.
func TestConnectionRefreshTokenRotatedWithoutStore(t *testing.T) {
	for name, tc := range map[string]struct {
		answer   tokenAnswer
		warning  bool
		obtained string
	}{
		"rotated": {
			answer:   issue("at-unit", 3600, map[string]any{"refresh_token": "rt-successor"}),
			warning:  true,
			obtained: "rt-successor",
		},
		"kept": {answer: issue("at-unit", 3600, nil)},
		"same one sent back": {
			answer: issue("at-unit", 3600, map[string]any{"refresh_token": "rt-configured"}),
		},
	} {
		t.Run(name, func(t *testing.T) {
			server := newTokenEndpoint(t, func(recordedRequest) tokenAnswer { return tc.answer })
			plan := testRefreshConnection(server.URL(), "rt-configured")
			config := plan
			r := &connectionResource{data: testProviderData(t, nil)}
			diags := r.apply(context.Background(), &plan, &config, nil, nil, testPrivate{})
			if diags.HasError() {
				t.Fatalf("diagnostics: %v", diags)
			}
			if got := diags.WarningsCount() == 1; got != tc.warning {
				t.Fatalf("warning: got %v, want %v (%v)", got, tc.warning, diags)
			}
			if tc.warning {
				w := diags.Warnings()[0]
				if w.Summary() != "OAuth2 Refresh Token Rotated" {
					t.Errorf("summary: got %q", w.Summary())
				}
				for _, want := range []string{"retired the configured refresh token", "obtained_refresh_token", "token_store"} {
					if !strings.Contains(w.Detail(), want) {
						t.Errorf("detail does not mention %q: %q", want, w.Detail())
					}
				}
				for _, secret := range []string{"rt-successor", "rt-configured", "at-unit", "r-secret"} {
					if strings.Contains(w.Detail(), secret) {
						t.Errorf("the warning holds a secret")
					}
				}
			}
			if got := plan.ObtainedRefreshToken.ValueString(); got != tc.obtained {
				t.Errorf("obtained_refresh_token: got %q, want %q", got, tc.obtained)
			}
		})
	}
}

// TestPKCEVerifier checks the derivation of PKCE code verifiers: a pinned
// construction, deterministic, distinct per key and per state, and a valid
// RFC 7636 §4.1 code verifier.
func TestPKCEVerifier(t *testing.T) {
	key, state := []byte("ac-secret"), "state-1"
	v := pkceVerifier(key, state)

	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("oauth2 pkce verifier v1\x00state-1"))
	if want := base64.RawURLEncoding.EncodeToString(mac.Sum(nil)); v != want {
		t.Errorf("verifier: got %q, want %q", v, want)
	}
	if again := pkceVerifier(key, state); again != v {
		t.Errorf("same key and state: got %q, then %q", v, again)
	}
	if other := pkceVerifier([]byte("ac-secret2"), state); other == v {
		t.Errorf("a different key gave the same verifier %q", v)
	}
	if other := pkceVerifier(key, "state-2"); other == v {
		t.Errorf("a different state gave the same verifier %q", v)
	}

	// code-verifier = 43*128unreserved; unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
	rfc7636 := regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)
	for _, tc := range []struct {
		key   []byte
		state string
	}{
		{key, state},
		{newDurableMemory().NameKey(), oauthclient.NewState()},
		{[]byte("x"), ""},
		{[]byte(strings.Repeat("long secret ", 20)), strings.Repeat("s", 500)},
	} {
		v := pkceVerifier(tc.key, tc.state)
		if len(v) != 43 || !rfc7636.MatchString(v) {
			t.Errorf("verifier %q: want 43 characters of the RFC 7636 unreserved set", v)
		}
	}
}

// testAuthCodeConnection is a planned authorization_code connection with a
// code verifier; an empty secret makes it a public client.
func testAuthCodeConnection(tokenURL, secret string) connectionResourceModel {
	var m connectionResourceModel
	m.ID = types.StringValue("0b6c7a51-8f0e-4d3a-9c2e-5b1f3e7d9a20")
	m.Label = types.StringValue("Unit")
	m.GrantType = types.StringValue(string(oauthclient.GrantAuthorizationCode))
	m.TokenURL = types.StringValue(tokenURL)
	m.AuthorizationURL = types.StringValue("https://login.example.test/authorize")
	m.RedirectURI = types.StringValue("http://127.0.0.1:8976/callback")
	m.ClientID = types.StringValue("client-ac")
	m.ClientSecret = types.StringNull()
	m.ClientAuth = types.StringValue(string(oauthclient.AuthNone))
	if secret != "" {
		m.ClientSecret = types.StringValue(secret)
		m.ClientAuth = types.StringValue(string(oauthclient.AuthBasic))
	}
	m.Scopes = types.ListNull(types.StringType)
	m.ExtraParams = types.MapNull(types.StringType)
	m.Validate = types.BoolValue(true)
	m.PKCE = types.BoolValue(true)
	return m
}

// pkceEndpoint is a token endpoint that checks the code verifier of an
// exchange against the code_challenge of *authURL.
func pkceEndpoint(t *testing.T, authURL *string) *tokenEndpoint {
	return newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		u, err := parseAuthURL(*authURL)
		if err != nil {
			return refuse(http.StatusBadRequest, "invalid_request", "no authorization request")
		}
		if r.Params["code_verifier"] == "" || oauthclient.CodeChallengeS256(r.Params["code_verifier"]) != u.Query().Get("code_challenge") {
			return refuse(http.StatusBadRequest, "invalid_grant", "PKCE verification failed.")
		}
		return issue("at-ac", 3600, map[string]any{"refresh_token": "rt-from-code"})
	})
}

// TestConnectionAuthorizationCodeVerifierSources runs both applies of the
// authorization code grant for each place the code verifier can come from,
// and checks what private state holds in between.
func TestConnectionAuthorizationCodeVerifierSources(t *testing.T) {
	store := newDurableMemory()
	for name, tc := range map[string]struct {
		secret, woSecret string
		store            tokenstore.Store
		source           string
		key              []byte
	}{
		"client secret":                     {secret: "ac-secret", source: verifierFromClientSecret, key: []byte("ac-secret")},
		"write-only client secret":          {woSecret: "ac-secret-wo", source: verifierFromClientSecret, key: []byte("ac-secret-wo")},
		"client secret and token store":     {secret: "ac-secret", store: store, source: verifierFromClientSecret, key: []byte("ac-secret")},
		"public client with token store":    {store: store, source: verifierFromTokenStore, key: store.NameKey()},
		"public client without token store": {source: verifierStored},
	} {
		t.Run(name, func(t *testing.T) {
			var authURL string
			server := pkceEndpoint(t, &authURL)
			r := &connectionResource{data: testProviderData(t, tc.store)}
			ctx := context.Background()

			plan := testAuthCodeConnection(server.URL(), tc.secret)
			config := plan
			if tc.woSecret != "" {
				config.ClientSecretWO = types.StringValue(tc.woSecret)
				config.ClientAuth = types.StringValue(string(oauthclient.AuthBasic))
				plan.ClientAuth = config.ClientAuth
			}
			pending := testPrivate{}
			if diags := r.apply(ctx, &plan, &config, nil, nil, pending); diags.HasError() {
				t.Fatalf("first apply: %v", diags)
			}
			authURL = plan.AuthorizationRequestURL.ValueString()
			u, err := parseAuthURL(authURL)
			if err != nil {
				t.Fatal(err)
			}
			raw := pending[privateKeyAuthorization]
			var rec map[string]string
			if err := json.Unmarshal(raw, &rec); err != nil {
				t.Fatalf("private state %q: %v", raw, err)
			}
			if got, want := rec["state"], u.Query().Get("state"); got != want {
				t.Errorf("private state: state %q, want the URL's %q", got, want)
			}
			if got := rec["verifier_source"]; got != tc.source {
				t.Errorf("private state: verifier_source %q, want %q", got, tc.source)
			}

			prior := plan
			plan = testAuthCodeConnection(server.URL(), tc.secret)
			plan.ClientAuth = prior.ClientAuth
			plan.AuthorizationCodeWOVersion = types.Int64Value(1)
			config = plan
			config.ClientSecretWO = types.StringValue(tc.woSecret)
			config.AuthorizationCodeWO = types.StringValue("code-from-redirect")
			after := testPrivate{}
			if diags := r.apply(ctx, &plan, &config, &prior, pending, after); diags.HasError() {
				t.Fatalf("exchange: %v", diags)
			}
			if got := plan.Status.ValueString(); got != statusAuthorized {
				t.Errorf("status: got %q, want %q", got, statusAuthorized)
			}
			if after[privateKeyAuthorization] != nil {
				t.Errorf("the spent authorization request stays in private state: %q", after[privateKeyAuthorization])
			}
			verifier := server.Last().Params["code_verifier"]
			if tc.source == verifierStored {
				if got := rec["code_verifier"]; got != verifier {
					t.Errorf("kept verifier: got %q, want the one presented, %q", got, verifier)
				}
				return
			}
			if bytes.Contains(raw, []byte(verifier)) || rec["code_verifier"] != "" {
				t.Errorf("private state %q holds the code verifier", raw)
			}
			if want := pkceVerifier(tc.key, rec["state"]); verifier != want {
				t.Errorf("code_verifier: got %q, want %q", verifier, want)
			}
		})
	}
}

// TestConnectionAuthorizationCodeVerifierKeyChanged exchanges a code after
// the key its verifier derives from changed or went away: the diagnostics
// say why, and name no secret.
func TestConnectionAuthorizationCodeVerifierKeyChanged(t *testing.T) {
	for name, tc := range map[string]struct {
		secret, newSecret string
		store, newStore   tokenstore.Store
		otherChallenge    bool
		want              []string
		not               []string
	}{
		"client secret replaced": {
			secret: "ac-secret", newSecret: "rotated-secret",
			want: []string{
				`error "invalid_grant"`,
				"derived from the client secret (client_secret or client_secret_wo), which must be the same as when authorization_request_url was created",
			},
		},
		"token store key replaced": {
			store:    newDurableMemory(),
			newStore: newDurableMemory(),
			want:     []string{`error "invalid_grant"`, "derived from the encryption key of the provider's token_store, which must be the same"},
		},
		"token store removed": {
			store: newDurableMemory(),
			want:  []string{"derived from the encryption key of the provider's token_store, which is no longer configured"},
		},
		"client secret removed": {
			secret: "ac-secret",
			want:   []string{"derived from the client secret (client_secret or client_secret_wo), which is no longer configured"},
		},
		"verifier kept, code refused": {
			// Nothing to derive from, so nothing to blame on a key.
			otherChallenge: true,
			want:           []string{`error "invalid_grant"`},
			not:            []string{"derived from"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			var authURL string
			server := pkceEndpoint(t, &authURL)
			r := &connectionResource{data: testProviderData(t, tc.store)}
			ctx := context.Background()

			plan := testAuthCodeConnection(server.URL(), tc.secret)
			config := plan
			pending := testPrivate{}
			if diags := r.apply(ctx, &plan, &config, nil, nil, pending); diags.HasError() {
				t.Fatalf("first apply: %v", diags)
			}
			authURL = plan.AuthorizationRequestURL.ValueString()
			if tc.otherChallenge {
				// Another request's challenge: the kept verifier does not fit.
				authURL = strings.Replace(authURL, "code_challenge=", "code_challenge=x", 1)
			}

			r.data = testProviderData(t, tc.newStore)
			prior := plan
			plan = testAuthCodeConnection(server.URL(), tc.newSecret)
			plan.AuthorizationCodeWOVersion = types.Int64Value(1)
			config = plan
			config.AuthorizationCodeWO = types.StringValue("code-from-redirect")
			diags := r.apply(ctx, &plan, &config, &prior, pending, testPrivate{})
			if !diags.HasError() {
				t.Fatalf("the exchange succeeded")
			}
			detail := diags.Errors()[0].Detail()
			for _, w := range tc.want {
				if !strings.Contains(detail, w) {
					t.Errorf("detail lacks %q: %q", w, detail)
				}
			}
			for _, n := range append(tc.not, "ac-secret", "rotated-secret") {
				if strings.Contains(detail, n) {
					t.Errorf("detail holds %q: %q", n, detail)
				}
			}
		})
	}
}

// readStateFileInstance reads the one state file the CLI wrote under dir and
// returns it with the decoded private state of resource typ.name.
func readStateFileInstance(dir, typ, name string) (raw, private []byte, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "*", "*", "terraform.tfstate"))
	if err != nil || len(files) != 1 {
		return nil, nil, fmt.Errorf("state files under %s: got %q (%v), want one", dir, files, err)
	}
	raw, err = os.ReadFile(files[0])
	if err != nil {
		return nil, nil, err
	}
	var state struct {
		Resources []struct {
			Type      string `json:"type"`
			Name      string `json:"name"`
			Instances []struct {
				Private []byte `json:"private"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &state); err != nil {
		return nil, nil, fmt.Errorf("state file %s: %w", files[0], err)
	}
	for _, r := range state.Resources {
		if r.Type != typ || r.Name != name || len(r.Instances) != 1 {
			continue
		}
		// The framework keeps private state as a JSON object of
		// base64-encoded values, one per key.
		var keys map[string][]byte
		if err := json.Unmarshal(r.Instances[0].Private, &keys); err != nil {
			return nil, nil, fmt.Errorf("private state of %s.%s: %w", typ, name, err)
		}
		return raw, bytes.Join(slices.Collect(maps.Values(keys)), []byte("\n")), nil
	}
	return nil, nil, fmt.Errorf("state file %s has no instance of %s.%s", files[0], typ, name)
}
