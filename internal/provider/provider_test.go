package provider

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

func TestProviderSchemas(t *testing.T) {
	server, err := testAccProtoV6ProviderFactories["oauth2"]()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	for _, name := range []string{"oauth2_connection", "oauth2_webhook_secret"} {
		if resp.ResourceSchemas[name] == nil {
			t.Errorf("resource %s is not served", name)
		}
	}
	if resp.EphemeralResourceSchemas["oauth2_access_token"] == nil {
		t.Errorf("ephemeral resource oauth2_access_token is not served")
	}

	// The shared settings appear alike in the resource and the ephemeral
	// resource, apart from write-only twins and defaults.
	conn := resp.ResourceSchemas["oauth2_connection"].Block.Attributes
	eph := resp.EphemeralResourceSchemas["oauth2_access_token"].Block.Attributes
	byName := func(attrs []*tfprotov6.SchemaAttribute) map[string]*tfprotov6.SchemaAttribute {
		m := map[string]*tfprotov6.SchemaAttribute{}
		for _, a := range attrs {
			m[a.Name] = a
		}
		return m
	}
	c, e := byName(conn), byName(eph)
	for _, s := range connectionSettings {
		ca, ea := c[s.name], e[s.name]
		if s.writeOnlyOnly {
			// Resources take these only write-only.
			if ca != nil || ea == nil || !ea.Sensitive {
				t.Errorf("setting %s: resource has the plain form %v, ephemeral has a sensitive one %v", s.name, ca != nil, ea != nil && ea.Sensitive)
			}
			if wo := c[woName(s.name)]; wo == nil || !wo.WriteOnly || !wo.Sensitive || c[woVersionName(s.name)] == nil {
				t.Errorf("setting %s: no sensitive write-only form with a version trigger", s.name)
			}
			continue
		}
		if ca == nil || ea == nil {
			t.Errorf("setting %s: resource has it %v, ephemeral has it %v", s.name, ca != nil, ea != nil)
			continue
		}
		if s.kind == settingNested {
			if ca.NestedType == nil || ea.NestedType == nil {
				t.Errorf("setting %s: not a nested attribute in both schemas", s.name)
				continue
			}
			cc, ec := byName(ca.NestedType.Attributes), byName(ea.NestedType.Attributes)
			for _, child := range s.children {
				if child.writeOnlyOnly {
					wo := cc[woName(child.name)]
					if cc[child.name] != nil || wo == nil || !wo.WriteOnly || !wo.Sensitive || cc[woVersionName(child.name)] == nil || ec[child.name] == nil || !ec[child.name].Sensitive {
						t.Errorf("setting %s.%s: want only a write-only form with a version in the resource and a sensitive one in the ephemeral resource", s.name, child.name)
					}
					continue
				}
				if cc[child.name] == nil || ec[child.name] == nil || cc[child.name].Required != ec[child.name].Required {
					t.Errorf("setting %s.%s differs between resource and ephemeral resource", s.name, child.name)
				}
			}
		}
		if ca.Sensitive != ea.Sensitive || ca.Required != ea.Required ||
			!strings.HasPrefix(ca.Description, s.description) || !strings.HasPrefix(ea.Description, s.description) {
			t.Errorf("setting %s differs between resource and ephemeral resource", s.name)
		}
		if s.writeOnlyTwin {
			if wo := c[woName(s.name)]; wo == nil || !wo.WriteOnly || !wo.Sensitive {
				t.Errorf("setting %s: no sensitive write-only twin", s.name)
			}
			if c[woVersionName(s.name)] == nil {
				t.Errorf("setting %s: no version trigger", s.name)
			}
			if e[woName(s.name)] != nil {
				t.Errorf("setting %s: the ephemeral resource has a write-only twin", s.name)
			}
		}
		for _, v := range s.allowed {
			if !strings.Contains(ca.Description, "`"+v+"`") {
				t.Errorf("setting %s: description does not list allowed value %q", s.name, v)
			}
		}
	}
}

func TestClientOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		config  providerModel
		env     map[string]string
		want    oauthclient.Options
		wantErr string
	}{
		{
			name: "defaults",
			want: oauthclient.Options{Timeout: 30 * time.Second, MaxRetries: 3, ExpiryBuffer: 5 * time.Minute},
		},
		{
			name: "environment",
			env: map[string]string{
				envExpiryBuffer: "90s", envRequestTimeout: "2s", envMaxRetries: "7",
				envCACertPEM: "PEM", envAllowInsecureHTTP: "true",
			},
			want: oauthclient.Options{Timeout: 2 * time.Second, MaxRetries: 7, ExpiryBuffer: 90 * time.Second, CACertPEM: "PEM", AllowInsecureHTTP: true},
		},
		{
			name: "attributes win over environment",
			config: providerModel{
				ExpiryBuffer: types.StringValue("1m"), RequestTimeout: types.StringValue("10s"), MaxRetries: types.Int64Value(1),
				CACertPEM: types.StringValue("CFG"), AllowInsecureHTTP: types.BoolValue(false),
			},
			env: map[string]string{
				envExpiryBuffer: "90s", envRequestTimeout: "2s", envMaxRetries: "7",
				envCACertPEM: "PEM", envAllowInsecureHTTP: "true",
			},
			want: oauthclient.Options{Timeout: 10 * time.Second, MaxRetries: 1, ExpiryBuffer: time.Minute, CACertPEM: "CFG"},
		},
		{
			name:   "zero means none",
			config: providerModel{ExpiryBuffer: types.StringValue("0s"), MaxRetries: types.Int64Value(0)},
			want:   oauthclient.Options{Timeout: 30 * time.Second, MaxRetries: -1, ExpiryBuffer: -1},
		},
		{
			name:    "invalid duration in environment",
			env:     map[string]string{envRequestTimeout: "soon"},
			wantErr: "OAUTH2_REQUEST_TIMEOUT environment variable must be a Go duration",
		},
		{
			name:    "invalid retries in environment",
			env:     map[string]string{envMaxRetries: "-1"},
			wantErr: "OAUTH2_MAX_RETRIES environment variable must be a whole number",
		},
		{
			name:    "invalid bool in environment",
			env:     map[string]string{envAllowInsecureHTTP: "maybe"},
			wantErr: "OAUTH2_ALLOW_INSECURE_HTTP environment variable must be true or false",
		},
		{
			name:    "unknown attribute",
			config:  providerModel{ExpiryBuffer: types.StringUnknown()},
			wantErr: "expiry_buffer depends on a value that is only known after apply",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The zero values of the model's fields are null, as when
			// nothing is configured.
			got, diags := clientOptions(tc.config, func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if !diags.HasError() || !strings.Contains(diags[0].Detail(), tc.wantErr) {
					t.Fatalf("diagnostics: got %v, want an error containing %q", diags, tc.wantErr)
				}
				return
			}
			if diags.HasError() {
				t.Fatalf("unexpected diagnostics: %v", diags)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("options: got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAccProvider_invalidDuration(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
provider "oauth2" {
  expiry_buffer = "5 minutes"
}

resource "oauth2_connection" "test" {
  label     = "Unused"
  token_url = "https://login.example.test/token"
  client_id = "c"
  validate  = false
}
`,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Invalid Duration.*expiry_buffer.*"5 minutes"`),
		}},
	})
}

func TestAccProvider_environmentFallbacks(t *testing.T) {
	var server *tokenEndpoint
	server = newTokenEndpoint(t, func(recordedRequest) tokenAnswer {
		// Count includes the request being answered.
		switch server.Count() {
		case 1:
			// Slower than OAUTH2_REQUEST_TIMEOUT.
			time.Sleep(700 * time.Millisecond)
			return issue("late", 60, nil)
		case 2, 3:
			return refuse(http.StatusServiceUnavailable, "temporarily_unavailable", "Try again.")
		}
		return issue("at-env", 60, nil)
	})
	t.Setenv(envRequestTimeout, "200ms")
	t.Setenv(envMaxRetries, "0")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// request_timeout from the environment, and no retries.
				Config:      testAccConnectionClientCredentialsConfig(server.URL(), "basic", "s"),
				ExpectError: regexp.MustCompile(`Unable to Validate OAuth2 Connection`),
			},
			{
				// Two 503 answers, then a token: needs OAUTH2_MAX_RETRIES >= 2,
				// which the provider block overrides here.
				PreConfig: func() {
					if n := server.Count(); n != 1 {
						t.Errorf("requests with OAUTH2_MAX_RETRIES=0: got %d, want 1", n)
					}
				},
				Config: `provider "oauth2" {
  max_retries     = 2
  request_timeout = "5s"
}
` + testAccConnectionClientCredentialsConfig(server.URL(), "basic", "s"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
				},
				Check: func(*terraform.State) error {
					if n := server.Count(); n != 4 {
						t.Errorf("requests: got %d, want 4", n)
					}
					return nil
				},
			},
		},
	})
}

func TestAccProvider_invalidEnvironmentDuration(t *testing.T) {
	t.Setenv(envExpiryBuffer, "soon")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
resource "oauth2_connection" "test" {
  label     = "Unused"
  token_url = "https://login.example.test/token"
  client_id = "c"
  validate  = false
}
`,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Invalid OAuth2 Provider Duration.*OAUTH2_EXPIRY_BUFFER environment\s+variable`),
		}},
	})
}

func TestAccProvider_caCertFromEnvironment(t *testing.T) {
	server := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"at-tls","token_type":"Bearer","expires_in":60}`)
	}))
	t.Cleanup(server.Close)
	t.Setenv(envCACertPEM, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: server.Certificate().Raw})))
	if _, err := x509.ParseCertificate(server.Certificate().Raw); err != nil {
		t.Fatal(err)
	}
	config := testAccConnectionClientCredentialsConfig(server.URL+"/token", "basic", "s")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// An explicit attribute wins over the environment: here it
				// holds the server's certificate too.
				Config: `provider "oauth2" {
  ca_cert_pem = <<-EOT
` + string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: server.Certificate().Raw})) + `EOT
}
` + config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
				},
			},
			{
				// From OAUTH2_CA_CERT_PEM alone; a scope change forces a new
				// request.
				Config: strings.Replace(config, `["read", "write"]`, `["read"]`, 1),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.test", tfjsonpath.New("granted_scopes"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("read")})),
				},
			},
		},
	})
}

func TestAccProvider_untrustedCertificate(t *testing.T) {
	server := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		t.Errorf("a request reached a server whose certificate is not trusted")
	}))
	t.Cleanup(server.Close)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `provider "oauth2" {
  max_retries = 0
}
` + testAccConnectionClientCredentialsConfig(server.URL+"/token", "basic", "s"),
			ExpectError: regexp.MustCompile(`(?s)Unable to Validate OAuth2 Connection.*certificate`),
		}},
	})
}

// TestAccProvider_noSecretLeaks applies and plans a configuration holding
// every kind of secret with TF_LOG=TRACE, then searches the state, the plan
// JSON, every file left in the working directories and the captured logs
// (the CLI's and the provider's) for each secret and access token.
func TestAccProvider_noSecretLeaks(t *testing.T) {
	secrets := []string{
		"LEAK-client-secret-wo", "LEAK-password-wo", "LEAK-ephemeral-client-secret", "LEAK-refresh-token",
		"LEAK-access-token-conn", "LEAK-access-token-eph", "LEAK-access-token-hook", "LEAK-rotated-refresh", "LEAK-id-token",
	}
	server := newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		switch {
		case r.Params["grant_type"] == "refresh_token" && r.clientSecret() == "LEAK-ephemeral-client-secret" && r.Params["refresh_token"] == "LEAK-refresh-token":
			return issue("LEAK-access-token-eph", 3600, map[string]any{"refresh_token": "LEAK-rotated-refresh", "id_token": "LEAK-id-token"})
		case r.Params["grant_type"] == "password" && r.clientSecret() == "LEAK-client-secret-wo" && r.Params["password"] == "LEAK-password-wo":
			return issue("LEAK-access-token-conn", 3600, map[string]any{"refresh_token": "LEAK-rotated-refresh"})
		case r.Params["grant_type"] == "client_credentials" && r.clientSecret() == "LEAK-access-token-eph":
			return issue("LEAK-access-token-hook", 3600, nil)
		}
		// An error answer that echoes a secret must not leak either.
		return refuse(http.StatusUnauthorized, "invalid_client", "unexpected request "+r.Body)
	})

	dir := t.TempDir()
	logPath := dir + "/tf.log"
	t.Setenv("TF_ACC_TEMP_DIR", dir)
	t.Setenv("TF_ACC_PERSIST_WORKING_DIR", "1")
	t.Setenv("TF_ACC_LOG", "TRACE")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", logPath)

	// Secrets arrive through sensitive variables, as in real use; the CLI
	// logs the configuration source, which must therefore hold none.
	vars := config.Variables{
		"token_url":             config.StringVariable(server.URL()),
		"client_secret":         config.StringVariable("LEAK-client-secret-wo"),
		"password":              config.StringVariable("LEAK-password-wo"),
		"ephemeral_secret":      config.StringVariable("LEAK-ephemeral-client-secret"),
		"ephemeral_refresh_tok": config.StringVariable("LEAK-refresh-token"),
	}
	hcl := `
variable "token_url" {
  type = string
}

variable "client_secret" {
  type      = string
  sensitive = true
}

variable "password" {
  type      = string
  sensitive = true
}

variable "ephemeral_secret" {
  type      = string
  sensitive = true
}

variable "ephemeral_refresh_tok" {
  type      = string
  sensitive = true
}

resource "oauth2_connection" "leak" {
  label                    = "Leak check"
  grant_type               = "password"
  token_url                = var.token_url
  client_id                = "leak-client"
  client_auth              = "basic"
  client_secret_wo         = var.client_secret
  client_secret_wo_version = 1
  username                 = "leak-user"
  password_wo              = var.password
  password_wo_version      = 1
}

ephemeral "oauth2_access_token" "leak" {
  grant_type    = "refresh_token"
  token_url     = var.token_url
  client_id     = "leak-client"
  client_secret = var.ephemeral_secret
  refresh_token = var.ephemeral_refresh_tok
}

# The access token travels on through a write-only attribute.
resource "oauth2_webhook_secret" "leak" {
  name                     = "Leak hook"
  convention               = "client_credentials"
  token_url                = var.token_url
  client_id                = "leak-hook"
  client_secret_wo         = ephemeral.oauth2_access_token.leak.access_token
  client_secret_wo_version = 1
  request_encoding         = "form"
}
`

	noLeaks := noSecretsCheck{secrets: secrets}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{
			{
				Config:          hcl,
				ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{noLeaks},
					PostApplyPostRefresh: []plancheck.PlanCheck{noLeaks},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					noLeaks,
					statecheck.ExpectKnownValue("oauth2_connection.leak", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
					statecheck.ExpectKnownValue("oauth2_webhook_secret.leak", tfjsonpath.New("expires_in"), knownvalue.Int64Exact(3600)),
				},
			},
			{
				Config:          hcl,
				ConfigVariables: vars,
				PlanOnly:        true,
			},
		},
	})

	// Every request was answered with a token: the secrets did flow.
	for _, r := range server.Requests() {
		if strings.Contains(r.Body, "unexpected request") || r.Params["error"] != "" {
			t.Errorf("unexpected request %q", r.Body)
		}
	}
	if n := server.Count(); n < 3 {
		t.Errorf("requests: got %d, want at least 3", n)
	}

	logs, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("reading the captured log: %v", err)
	}
	// The capture holds both the CLI's trace and the provider's own lines.
	for _, want := range []string{"validating oauth2 connection", "opening oauth2 access token", "[TRACE]"} {
		if !bytes.Contains(logs, []byte(want)) {
			t.Errorf("the captured log lacks %q; the leak search would prove nothing", want)
		}
	}
	for _, s := range secrets {
		if n := bytes.Count(logs, []byte(s)); n > 0 {
			t.Errorf("secret %q appears %d times in the logs", s, n)
		}
	}

	// State files, plans and anything else the CLI left behind; only the
	// variable values file holds the secrets, by design.
	files := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == logPath || strings.HasSuffix(p, ".tfvars.json") || strings.Contains(p, "/plugins/") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".tfstate") {
			files++
		}
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("secret %q appears in %s", s, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Errorf("no state file found under %s", dir)
	}
}

// noSecretsCheck fails when any secret appears in a plan or state.
type noSecretsCheck struct{ secrets []string }

func (c noSecretsCheck) find(what string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	for _, s := range c.secrets {
		if bytes.Contains(data, []byte(s)) {
			return fmt.Errorf("secret %q appears in the %s", s, what)
		}
	}
	return nil
}

func (c noSecretsCheck) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	// A saved plan records the input variables, which carry the secrets
	// by design; everything else must be clean.
	plan := *req.Plan
	plan.Variables = nil
	resp.Error = c.find("plan", plan)
}

func (c noSecretsCheck) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = c.find("state", req.State)
}

// testAccStoreFactories serves a new provider instance on clock: like a new
// process, it has nothing in memory from an earlier run.
func testAccStoreFactories(clock *testClock) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"oauth2": providerserver.NewProtocol6WithError(&oauth2Provider{version: "test", now: clock.Now}),
		"echo":   echoprovider.NewProviderServer(),
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
	// User docs describe what the provider does, not how the project tests it.
	for name, a := range seen {
		if strings.Contains(a.Description, " CI") && strings.Contains(a.Description, "project") {
			t.Errorf("provider attribute %s describes the project's CI: %q", name, a.Description)
		}
	}
	if a := seen["token_store.disabled"]; a == nil || a.Type.String() != "tftypes.Bool" {
		t.Errorf("token_store.disabled is missing or not a bool")
	}
}
