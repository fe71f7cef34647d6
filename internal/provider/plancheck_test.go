package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

// revocableSecret is a token endpoint that accepts one client secret until
// the test revokes it, as an administrator would at the authorization server.
func revocableSecret(t *testing.T, secret string) (*tokenEndpoint, *atomic.Bool) {
	revoked := &atomic.Bool{}
	server := newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		if r.clientSecret() == secret && !revoked.Load() {
			return issue("at-revalidate", 3600, nil)
		}
		// The server echoes the secret; no message may repeat it.
		return refuse(http.StatusUnauthorized, "invalid_client", "Client secret "+r.clientSecret()+" was revoked.")
	})
	return server, revoked
}

func testAccRevalidateConfig(tokenURL, secret, revalidateAfter string) string {
	line := ""
	if revalidateAfter != "" {
		line = fmt.Sprintf("revalidate_after = %q", revalidateAfter)
	}
	return fmt.Sprintf(`
resource "oauth2_connection" "test" {
  label                    = "Drift"
  token_url                = %[1]q
  client_id                = "client-d"
  client_secret_wo         = %[2]q
  client_secret_wo_version = 1
  %[3]s
}
`, tokenURL, secret, line)
}

// TestAccConnection_revalidateAfterRevoked revokes the client secret on the
// server after the connection was created: with revalidate_after due, the
// plan shows the validation outputs changing and apply fails with the
// server's refusal.
func TestAccConnection_revalidateAfterRevoked(t *testing.T) {
	server, revoked := revocableSecret(t, "drift-secret")
	config := testAccRevalidateConfig(server.URL(), "drift-secret", "0s")
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []tfresource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
				},
			},
			{
				// Accepted: the plan-time request changes nothing.
				Config: config,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				PreConfig: func() { revoked.Store(true) },
				Config:    config,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("oauth2_connection.test", plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue("oauth2_connection.test", tfjsonpath.New("status")),
						plancheck.ExpectUnknownValue("oauth2_connection.test", tfjsonpath.New("validated_at")),
					},
				},
				ExpectError: regexp.MustCompile(`(?s)Unable to Validate OAuth2 Connection.*connection "Drift".*invalid_client`),
			},
		},
	})
	for _, r := range server.Requests() {
		if r.clientSecret() != "drift-secret" {
			t.Errorf("a request presented secret %q", r.clientSecret())
		}
	}
}

// TestAccConnection_revalidateAfterOff revokes the secret too: without
// revalidate_after, or before it is due, plans make no request and show no
// change.
func TestAccConnection_revalidateAfterOff(t *testing.T) {
	for name, after := range map[string]string{"unset": "", "not due": "24h"} {
		t.Run(name, func(t *testing.T) {
			server, revoked := revocableSecret(t, "quiet-secret")
			config := testAccRevalidateConfig(server.URL(), "quiet-secret", after)
			tfresource.Test(t, tfresource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				TerraformVersionChecks:   writeOnlyVersions,
				Steps: []tfresource.TestStep{
					{Config: config},
					{
						PreConfig: func() { revoked.Store(true) },
						Config:    config,
						PlanOnly:  true,
					},
				},
			})
			if n := server.Count(); n != 1 {
				t.Errorf("requests: got %d, want 1 (the validation at create)", n)
			}
		})
	}
}

func TestRevalidationDue(t *testing.T) {
	validatedAt := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	state := &connectionResourceModel{
		Status:      types.StringValue(statusValidated),
		ValidatedAt: types.StringValue(validatedAt.Format(time.RFC3339)),
	}
	plan := func(grant, after string) *connectionResourceModel {
		p := &connectionResourceModel{Validate: types.BoolValue(true), RevalidateAfter: types.StringValue(after)}
		p.GrantType = types.StringValue(grant)
		return p
	}
	for _, tc := range []struct {
		name string
		plan *connectionResourceModel
		now  time.Time
		want bool
	}{
		{"just before", plan("client_credentials", "24h"), validatedAt.Add(24*time.Hour - time.Nanosecond), false},
		{"at", plan("client_credentials", "24h"), validatedAt.Add(24 * time.Hour), true},
		{"password", plan("password", "1h"), validatedAt.Add(2 * time.Hour), true},
		{"every plan", plan("client_credentials", "0s"), validatedAt, true},
		{"off", &connectionResourceModel{Validate: types.BoolValue(true), RevalidateAfter: types.StringNull()}, validatedAt.Add(time.Hour), false},
		{"refresh token grant", plan("refresh_token", "0s"), validatedAt.Add(time.Hour), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := revalidationDue(state, tc.plan, tc.now); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestConnectionRevalidateWarning checks what a refused revalidation says,
// and that a network failure only warns.
func TestConnectionRevalidateWarning(t *testing.T) {
	server, revoked := revocableSecret(t, "warn-secret")
	revoked.Store(true)
	client, err := oauthclient.New(oauthclient.Options{MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	r := &connectionResource{data: &providerData{client: client, now: time.Now}}
	plan := &connectionResourceModel{Label: types.StringValue("CRM"), RevalidateAfter: types.StringValue("24h")}
	plan.GrantType = types.StringValue("client_credentials")
	plan.TokenURL = types.StringValue(server.URL())
	plan.ClientID = types.StringValue("c")
	plan.Scopes = types.ListNull(types.StringType)
	plan.ExtraParams = types.MapNull(types.StringType)
	config := *plan
	config.ClientSecretWO = types.StringValue("warn-secret")
	state := &connectionResourceModel{ValidatedAt: types.StringValue("2026-01-02T03:04:05Z")}

	refused, diags := r.revalidate(context.Background(), state, plan, &config)
	if !refused || diags.HasError() || diags.WarningsCount() != 1 {
		t.Fatalf("refused: got %v with %v, want one warning", refused, diags)
	}
	w := diags.Warnings()[0]
	if w.Summary() != "OAuth2 Connection Credentials Refused" {
		t.Errorf("summary: got %q", w.Summary())
	}
	for _, want := range []string{`connection "CRM"`, server.URL(), "2026-01-02T03:04:05Z", "revalidate_after (24h)", "invalid_client", "Check client_id"} {
		if !strings.Contains(w.Detail(), want) {
			t.Errorf("detail lacks %q: %q", want, w.Detail())
		}
	}
	if strings.Contains(w.Detail(), "warn-secret") {
		t.Errorf("the warning holds the secret: %q", w.Detail())
	}

	plan.TokenURL = types.StringValue("http://127.0.0.1:1/token")
	refused, diags = r.revalidate(context.Background(), state, plan, &config)
	if refused || diags.HasError() || diags.WarningsCount() != 1 || diags.Warnings()[0].Summary() != "Unable to Revalidate OAuth2 Connection" {
		t.Errorf("unreachable endpoint: got refused %v with %v, want only a warning", refused, diags)
	}
}

func TestAccConnection_revalidateAfterGrant(t *testing.T) {
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{{
			Config: `
resource "oauth2_connection" "test" {
  label            = "Refresh"
  grant_type       = "refresh_token"
  token_url        = "https://login.example.test/token"
  refresh_token    = "rt"
  revalidate_after = "1h"
}
`,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)revalidate_after cannot be used with grant_type = "refresh_token"`),
		}, {
			Config: `
resource "oauth2_connection" "test" {
  label            = "Typo"
  token_url        = "https://login.example.test/token"
  client_id        = "c"
  client_secret    = "s"
  revalidate_after = "1 day"
}
`,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Invalid Duration.*revalidate_after`),
		}},
	})
}

// TestAccConnection_importInvalidID refuses an import id that cannot be a
// connection's, naming the expected form.
func TestAccConnection_importInvalidID(t *testing.T) {
	server := newTokenEndpoint(t, acceptSecret("at-import", "s3cret"))
	config := testAccConnectionClientCredentialsConfig(server.URL(), "basic", "s3cret")
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{Config: config},
			{
				Config:        config,
				ResourceName:  "oauth2_connection.test",
				ImportState:   true,
				ImportStateId: "0b5f8a7c-3d1e-4f2a-9b6c-7d8e9f0a1b2", // one digit short
				ExpectError:   regexp.MustCompile(`(?s)Invalid OAuth2 Connection Import ID.*lower-case UUIDs`),
			},
		},
	})
}

func TestImportIDDiagnostics(t *testing.T) {
	for range 100 {
		id, err := newID()
		if err != nil {
			t.Fatal(err)
		}
		if d := importIDDiagnostics(id); d.HasError() {
			t.Fatalf("newID %q refused: %v", id, d)
		}
	}
	for _, id := range []string{
		"", "CRM", "0B5F8A7C-3D1E-4F2A-9B6C-7D8E9F0A1B2C", "0b5f8a7c3d1e4f2a9b6c7d8e9f0a1b2c",
		"0b5f8a7c-3d1e-1f2a-9b6c-7d8e9f0a1b2c", " 0b5f8a7c-3d1e-4f2a-9b6c-7d8e9f0a1b2c",
	} {
		d := importIDDiagnostics(id)
		if !d.HasError() || !strings.Contains(d[0].Detail(), fmt.Sprintf("%q", id)) {
			t.Errorf("id %q: got %v, want an error naming it", id, d)
		}
	}
}

// TestAccConnection_importWithEphemeral imports a connection while an
// oauth2_access_token is fed from the same locals, as the docs recommend:
// the CLI's import command then works. (TestAccConnection_importThenApply
// shows the next plan validating again.)
func TestAccConnection_importWithEphemeral(t *testing.T) {
	server := newTokenEndpoint(t, acceptSecret("at-import", "s3cret"))
	config := fmt.Sprintf(`
locals {
  token_url = %[1]q
  client_id = "client-i"
}

resource "oauth2_connection" "test" {
  label         = "Imported"
  token_url     = local.token_url
  client_id     = local.client_id
  client_secret = "s3cret"
}

ephemeral "oauth2_access_token" "test" {
  token_url     = local.token_url
  client_id     = local.client_id
  client_secret = "s3cret"
}
`, server.URL())
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []tfresource.TestStep{
			{Config: config},
			{
				Config:       config,
				ResourceName: "oauth2_connection.test",
				ImportState:  true,
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if len(states) != 1 || !connectionIDPattern.MatchString(states[0].ID) || states[0].Attributes["token_url"] != "" {
						return fmt.Errorf("import restored more than the id: %v", states)
					}
					return nil
				},
			},
		},
	})
}

// TestAccConnection_insecureEndpoint refuses plain http to a host other
// than loopback at plan time, before any request, unless the provider
// allows it.
func TestAccConnection_insecureEndpoint(t *testing.T) {
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config:      testAccConnectionClientCredentialsConfig("http://login.example.test/token", "basic", "s"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Insecure OAuth2 Endpoint.*token_url of connection "CRM".*allow_insecure_http`),
			},
			{
				Config: `
resource "oauth2_connection" "test" {
  label             = "Auth code"
  grant_type        = "authorization_code"
  token_url         = "https://login.example.test/token"
  authorization_url = "http://login.example.test/authorize"
  redirect_uri      = "http://127.0.0.1:8976/callback"
  client_id         = "c"
}
`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Insecure OAuth2 Endpoint.*authorization_url of connection.*allow_insecure_http`),
			},
			{
				Config: `provider "oauth2" {
  allow_insecure_http = true
}
` + testAccConnectionClientCredentialsConfig("http://login.example.test/token", "basic", "s"),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config: testAccAccessTokenConfig(`
  token_url     = "http://login.example.test/token"
  client_id     = "c"
  client_secret = "s"
`),
				ExpectError: regexp.MustCompile(`(?s)Insecure OAuth2 Endpoint.*token_url of oauth2_access_token.*allow_insecure_http`),
			},
		},
	})
}

// TestAccConnection_missingClientCredential fails a client_credentials
// grant without any client credential at plan time, and lets the other
// ways of authenticating pass.
func TestAccConnection_missingClientCredential(t *testing.T) {
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config:      testAccConnectionClientCredentialsConfig("https://login.example.test/token", "auto", ""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Missing OAuth2 Client Credential.*connection "CRM".*client_secret_wo\s+\(with\s+client_secret_wo_version\)\s+or\s+client_secret`),
			},
			{
				Config:      testAccAccessTokenConfig(`token_url = "https://login.example.test/token"` + "\n  client_id = \"c\""),
				ExpectError: regexp.MustCompile(`(?s)Missing OAuth2 Client Credential.*oauth2_access_token.*Set client_secret`),
			},
			{
				Config:             testAccConnectionClientCredentialsConfig("https://login.example.test/token", "none", ""),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config: `
resource "oauth2_connection" "test" {
  label        = "Assertion"
  token_url    = "https://login.example.test/token"
  client_id    = "c"
  extra_params = {
    client_assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    client_assertion      = "eyJ.signed.jwt"
  }
}
`,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			// Write-only credentials are in the configuration only, never in
			// the plan the check otherwise reads.
			{
				Config: `
resource "oauth2_connection" "test" {
  label                    = "Write-only secret"
  token_url                = "https://login.example.test/token"
  client_id                = "c"
  client_secret_wo         = "s"
  client_secret_wo_version = 1
}
`,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config: `
resource "oauth2_connection" "test" {
  label                       = "Write-only assertion"
  token_url                   = "https://login.example.test/token"
  client_id                   = "c"
  client_assertion_wo         = "eyJ.signed.jwt"
  client_assertion_wo_version = 1
}
`,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

// TestAccConnection_quietPlan checks that a client_credentials plan shows
// neither pkce nor the outputs only other grants produce as values to come.
func TestAccConnection_quietPlan(t *testing.T) {
	server := newTokenEndpoint(t, acceptSecret("at-quiet", "s"))
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: testAccConnectionClientCredentialsConfig(server.URL(), "basic", "s"),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("pkce"), knownvalue.Null()),
						plancheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("obtained_refresh_token"), knownvalue.Null()),
						plancheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("authorization_request_url"), knownvalue.Null()),
					},
				},
			},
			{
				Config: testAccConnectionAuthCodeConfig(server.URL(), ""),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("pkce"), knownvalue.Bool(true)),
						plancheck.ExpectUnknownValue("oauth2_connection.test", tfjsonpath.New("authorization_request_url")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("pkce"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("pending_authorization")),
				},
			},
		},
	})
}

// TestAccConnection_oneErrorBlock checks that a failed validation prints
// one error block: the detail holds no "Error:" paragraph of its own.
func TestAccConnection_oneErrorBlock(t *testing.T) {
	server := newTokenEndpoint(t, acceptSecret("at-good", "right-secret"))
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ErrorCheck: func(err error) error {
			if n := strings.Count(err.Error(), "Error:"); n != 1 {
				return fmt.Errorf("want one error block, got %d: %w", n, err)
			}
			if !strings.Contains(err.Error(), "Unable to Validate OAuth2 Connection") || strings.Contains(err.Error(), "oauthclient:") {
				return fmt.Errorf("unexpected error text: %w", err)
			}
			return nil
		},
		Steps: []tfresource.TestStep{
			{Config: testAccConnectionClientCredentialsConfig(server.URL(), "basic", "wrong-secret")},
			{Config: `provider "oauth2" {
  max_retries = 0
}
` + testAccConnectionClientCredentialsConfig("http://127.0.0.1:1/token", "basic", "s")},
		},
	})
}

// TestAccAccessToken_grantTypes checks that the ephemeral resource offers
// only the grants it runs.
func TestAccAccessToken_grantTypes(t *testing.T) {
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{{
			Config: testAccAccessTokenConfig(`
  grant_type        = "authorization_code"
  token_url         = "https://login.example.test/token"
  client_id         = "c"
  authorization_url = "https://login.example.test/authorize"
  redirect_uri      = "http://127.0.0.1:8976/callback"
`),
			ExpectError: regexp.MustCompile(`(?s)grant_type value must be one of:.*"client_credentials".*"password".*"refresh_token".*got:\s+"authorization_code"`),
		}},
	})
}

// v0ConnectionProvider serves oauth2_connection as schema version 0 did:
// pkce defaulting to true whatever the grant, and no plan modification.
type v0ConnectionProvider struct{ *oauth2Provider }

func (p v0ConnectionProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return v0ConnectionResource{&connectionResource{}} }}
}

type v0ConnectionResource struct{ *connectionResource }

func (r v0ConnectionResource) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	r.connectionResource.Schema(ctx, req, resp)
	resp.Schema.Version = 0
	a, ok := resp.Schema.Attributes["pkce"].(schema.BoolAttribute)
	if !ok {
		resp.Diagnostics.AddError("Test Schema", "pkce is not a bool attribute")
		return
	}
	a.Default = booldefault.StaticBool(true)
	resp.Schema.Attributes["pkce"] = a
}

// ModifyPlan hides the current one; version 0 kept the outputs from state
// only through UseStateForUnknown.
func (r v0ConnectionResource) ModifyPlan(context.Context, resource.ModifyPlanRequest, *resource.ModifyPlanResponse) {
}

func (r v0ConnectionResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return nil
}

var _ fwprovider.Provider = v0ConnectionProvider{}

// TestAccConnection_stateUpgradeV0 applies a client_credentials connection
// with schema version 0, whose state holds pkce = true, then plans it with
// the current provider: the upgraded state matches, so there is no change.
func TestAccConnection_stateUpgradeV0(t *testing.T) {
	server := newTokenEndpoint(t, acceptSecret("at-upgrade", "s"))
	config := testAccConnectionClientCredentialsConfig(server.URL(), "basic", "s")
	v0 := map[string]func() (tfprotov6.ProviderServer, error){
		"oauth2": providerserver.NewProtocol6WithError(v0ConnectionProvider{&oauth2Provider{version: "v0"}}),
	}
	tfresource.ParallelTest(t, tfresource.TestCase{
		Steps: []tfresource.TestStep{
			{
				ProtoV6ProviderFactories: v0,
				Config:                   config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("pkce"), knownvalue.Bool(true)),
				},
			},
			{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Config:                   config,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("pkce"), knownvalue.Null()),
				},
			},
		},
	})
	if n := server.Count(); n != 1 {
		t.Errorf("requests: got %d, want 1", n)
	}
}

func TestUpgradeConnectionStateV0(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"grant_type":"client_credentials","pkce":true,"id":"x"}`, `{"grant_type":"client_credentials","id":"x","pkce":null,"revalidate_after":null}`},
		{`{"grant_type":"authorization_code","pkce":true}`, `{"grant_type":"authorization_code","pkce":true,"revalidate_after":null}`},
		{`{"grant_type":"password","pkce":false}`, `{"grant_type":"password","pkce":false,"revalidate_after":null}`},
		{`{"grant_type":null,"pkce":true}`, `{"grant_type":null,"pkce":null,"revalidate_after":null}`},
		{`{"grant_type":"password","pkce":true,"revalidate_after":"1h"}`, `{"grant_type":"password","pkce":null,"revalidate_after":"1h"}`},
	} {
		resp := &resource.UpgradeStateResponse{}
		upgradeConnectionStateV0(context.Background(), resource.UpgradeStateRequest{RawState: &tfprotov6.RawState{JSON: []byte(tc.in)}}, resp)
		if resp.Diagnostics.HasError() || resp.DynamicValue == nil {
			t.Fatalf("%s: %v", tc.in, resp.Diagnostics)
		}
		var got, want map[string]any
		if err := json.Unmarshal(resp.DynamicValue.JSON, &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %s, want %s", tc.in, resp.DynamicValue.JSON, tc.want)
		}
	}
}

// TestAccConnection_writeOnlyChangedWithoutVersion changes client_secret_wo
// without its version under a token store: the plan shows no change, as the
// CLI cannot see the old value, and the provider warns. The fingerprint in
// private state does not hold the secret.
func TestAccConnection_writeOnlyChangedWithoutVersion(t *testing.T) {
	server := newTokenEndpoint(t, acceptSecret("at-wo", "first-secret", "second-secret"))
	dir := t.TempDir()
	logPath := filepath.Join(dir, "tf.log")
	t.Setenv("TF_ACC_TEMP_DIR", dir)
	t.Setenv("TF_ACC_PERSIST_WORKING_DIR", "1")
	t.Setenv("TF_ACC_LOG", "WARN")
	t.Setenv("TF_LOG", "WARN")
	t.Setenv("TF_ACC_LOG_PATH", logPath)
	provider := fmt.Sprintf(`
provider "oauth2" {
  token_store = {
    file = {
      path = %[1]q
      key  = %[2]q
    }
  }
}
`, filepath.Join(dir, "tokens.json"), testStoreKey(t))
	const warning = "Write-Only Value Changed Without Its Version"
	logHas := func(s string) bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), s)
	}

	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []tfresource.TestStep{
			{
				Config: provider + testAccConnectionWriteOnlyConfig(server.URL(), "first-secret", 1),
				Check: func(*terraform.State) error {
					if logHas(warning) {
						return fmt.Errorf("warned before any change")
					}
					return nil
				},
			},
			{
				Config: provider + testAccConnectionWriteOnlyConfig(server.URL(), "second-secret", 1),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					if !logHas(warning) || !logHas("Change client_secret_wo_version") {
						return fmt.Errorf("no warning naming client_secret_wo_version in %s", logPath)
					}
					// Private state holds the fingerprint, not the secret.
					raw, private, err := readStateFileInstance(dir, "oauth2_connection", "test")
					if err != nil {
						return err
					}
					if !regexp.MustCompile(`"client_secret_wo":"[0-9a-f]{64}"`).Match(private) {
						return fmt.Errorf("private state lacks the write-only fingerprints: %s", private)
					}
					for _, secret := range []string{"first-secret", "second-secret"} {
						if strings.Contains(string(raw), secret) || strings.Contains(string(private), secret) {
							return fmt.Errorf("the state file holds %q", secret)
						}
					}
					return nil
				},
			},
		},
	})
	if n := server.Count(); n != 1 {
		t.Errorf("requests: got %d, want 1", n)
	}
}

// TestConnectionWriteOnlyDriftWarnings checks the warnings about write-only
// values changed without their version: by fingerprint with a token store,
// and for an authorization code given while the connection waits for one
// (the code was added under a version set from the start) without one.
func TestConnectionWriteOnlyDriftWarnings(t *testing.T) {
	ctx := context.Background()
	store := newDurableMemory()
	key := store.NameKey()
	withStore := &connectionResource{data: testProviderData(t, store)}
	noStore := &connectionResource{data: testProviderData(t, nil)}
	recorded := testPrivate{}
	raw, _ := json.Marshal(map[string]string{"client_secret_wo": writeOnlyFingerprint(key, "client_secret_wo", "S-old")})
	recorded[privateKeyWriteOnlyFingerprints] = raw

	model := func(secret string, version int64, status string, code string) *connectionResourceModel {
		m := &connectionResourceModel{Label: types.StringValue("CRM"), Status: types.StringValue(status)}
		m.ClientSecretWO = types.StringValue(secret)
		m.ClientSecretWOVersion = types.Int64Value(version)
		m.AuthorizationCodeWO = types.StringNull()
		if code != "" {
			m.AuthorizationCodeWO = types.StringValue(code)
		}
		m.AuthorizationCodeWOVersion = types.Int64Value(1)
		return m
	}
	for _, tc := range []struct {
		name         string
		r            *connectionResource
		state        *connectionResourceModel
		config       *connectionResourceModel
		wantWarnings []string
	}{
		{"unchanged", withStore, model("S-old", 1, statusValidated, ""), model("S-old", 1, statusValidated, ""), nil},
		{"changed", withStore, model("S-old", 1, statusValidated, ""), model("S-new", 1, statusValidated, ""), []string{"client_secret_wo"}},
		{"changed with version", withStore, model("S-old", 1, statusValidated, ""), model("S-new", 2, statusValidated, ""), nil},
		{"no store", noStore, model("S-old", 1, statusValidated, ""), model("S-new", 1, statusValidated, ""), nil},
		{"code under the first version", noStore, model("S-old", 1, statusPendingAuthorization, ""), model("S-old", 1, statusPendingAuthorization, "C-code"), []string{"authorization_code_wo"}},
		{"code after exchange", noStore, model("S-old", 1, statusAuthorized, ""), model("S-old", 1, statusAuthorized, "C-code"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := *tc.config
			diags := tc.r.writeOnlyDriftWarnings(ctx, tc.state, &plan, tc.config, recorded)
			if diags.HasError() || diags.WarningsCount() != len(tc.wantWarnings) {
				t.Fatalf("got %v, want warnings about %v", diags, tc.wantWarnings)
			}
			for i, w := range diags.Warnings() {
				name := tc.wantWarnings[i]
				if !strings.Contains(w.Detail(), "Change "+name+"_version") || !strings.Contains(w.Detail(), `connection "CRM"`) {
					t.Errorf("warning %q does not name %s_version and the connection", w.Detail(), name)
				}
				for _, secret := range []string{"S-old", "S-new", "C-code"} {
					if strings.Contains(w.Detail(), secret) {
						t.Errorf("warning holds %q", secret)
					}
				}
			}
		})
	}
}
