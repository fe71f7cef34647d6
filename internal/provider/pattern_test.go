package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	datasourceschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	providerschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	resourceschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	acc "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
)

// The tests in this file pin the pattern the README and the guides
// recommend: the ephemeral oauth2_access_token is fed from the same
// variables and locals as the oauth2_connection, never from the
// connection's attributes, and another provider is configured from it.
// The CLI, not this provider, decides when an ephemeral resource is opened:
// during plan, OpenTofu defers one that depends on a resource with pending
// changes, and the other provider then plans without a token. The "probe"
// provider below stands for that other provider: it calls an API with the
// Authorization header it was configured with, from a data source (read
// during plan) and a resource (created during apply), and fails when the
// API refuses it. Fed from the connection's attributes, the configuration
// below fails its first plan under OpenTofu 1.12 and passes under
// Terraform 1.11.

// TestAccPattern_tokenToAnotherProvider applies the recommended
// configuration twice: once from nothing, once after a client secret
// rotation (a new secret and a client_secret_wo_version bump). Each time
// the API must see a token that the authorization server issued for the
// secret of that run.
func TestAccPattern_tokenToAnotherProvider(t *testing.T) {
	server := newRotatingTokenServer(t, patternClientID, "pattern-secret-1")
	vars := func(secret string, version int) config.Variables {
		return config.Variables{
			"token_url":             config.StringVariable(server.url + tokenserver.TokenPath),
			"api_url":               config.StringVariable(server.url + tokenserver.APIPath),
			"client_secret":         config.StringVariable(secret),
			"client_secret_version": config.IntegerVariable(version),
		}
	}
	subject := statecheck.ExpectKnownValue("probe_call.me", tfjsonpath.New("subject"), knownvalue.StringExact(patternClientID))

	acc.Test(t, acc.TestCase{
		ProtoV6ProviderFactories: testAccPatternFactories(),
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []acc.TestStep{
			{
				// The first apply: nothing exists yet, so the connection
				// has pending changes while the token is opened.
				Config:            testAccPatternConfig,
				ConfigVariables:   vars("pattern-secret-1", 1),
				Check:             server.expectAPISawCurrentToken(t),
				ConfigStateChecks: []statecheck.StateCheck{subject},
			},
			{
				// The rotation: from now on the server knows only the new
				// secret and the tokens issued for it.
				PreConfig:         func() { server.rotate("pattern-secret-2") },
				Config:            testAccPatternConfig,
				ConfigVariables:   vars("pattern-secret-2", 2),
				Check:             server.expectAPISawCurrentToken(t),
				ConfigStateChecks: []statecheck.StateCheck{subject},
			},
		},
	})
}

// TestAccPattern_authorizationCodeConnectionID follows the authorization
// code guide with a token store: the code is exchanged on a second apply,
// then the ephemeral token is added with connection_id given as a variable
// (the connection's id, from an output) rather than as
// oauth2_connection.<name>.id, so that it does not depend on the
// connection. A last apply changes the connection, the case OpenTofu would
// defer an ephemeral resource that depends on it, and the API must still
// receive the token.
func TestAccPattern_authorizationCodeConnectionID(t *testing.T) {
	const secret = "pattern-secret"
	server := newRotatingTokenServer(t, patternClientID, secret)
	storePath := filepath.Join(t.TempDir(), "tokens.json")
	storeKey := testStoreKey(t)
	var code, connectionID string
	vars := func(codeVersion, secretVersion int) config.Variables {
		return config.Variables{
			"token_url":             config.StringVariable(server.url + tokenserver.TokenPath),
			"authorization_url":     config.StringVariable(server.url + tokenserver.AuthorizePath),
			"api_url":               config.StringVariable(server.url + tokenserver.APIPath),
			"client_secret":         config.StringVariable(secret),
			"client_secret_version": config.IntegerVariable(secretVersion),
			"code":                  lazyString{&code},
			"code_version":          config.IntegerVariable(codeVersion),
			"connection_id":         lazyString{&connectionID},
			"store_path":            config.StringVariable(storePath),
			"store_key":             config.StringVariable(storeKey),
		}
	}
	subject := statecheck.ExpectKnownValue("probe_call.me", tfjsonpath.New("subject"), knownvalue.StringExact(patternClientID))

	acc.Test(t, acc.TestCase{
		ProtoV6ProviderFactories: testAccPatternFactories(),
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []acc.TestStep{
			{
				// Step 1 of the guide: the authorization request URL.
				Config:          testAccPatternAuthorizationCodeConfig(false),
				ConfigVariables: vars(0, 1),
				Check: func(s *terraform.State) error {
					u, err := parseAuthURL(s.RootModule().Resources["oauth2_connection.api"].Primary.Attributes["authorization_request_url"])
					if err != nil {
						return err
					}
					// The user consents; the server redirects with a code.
					code = server.issueCode(u.Query().Get("redirect_uri"), u.Query().Get("code_challenge"), "read")
					return nil
				},
			},
			{
				// Step 2: the code exchange; the connection's id is read
				// from its output, as the guide says.
				Config:          testAccPatternAuthorizationCodeConfig(false),
				ConfigVariables: vars(1, 1),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.api", tfjsonpath.New("status"), knownvalue.StringExact("authorized")),
				},
				Check: func(s *terraform.State) error {
					return readOutput(s, "connection_id", &connectionID)
				},
			},
			{
				// Step 3: the token for another provider.
				Config:            testAccPatternAuthorizationCodeConfig(true),
				ConfigVariables:   vars(1, 1),
				Check:             server.expectAPISawCurrentToken(t),
				ConfigStateChecks: []statecheck.StateCheck{subject},
			},
			{
				// The connection changes (a client_secret_wo_version bump)
				// in the same apply that uses the token.
				Config:            testAccPatternAuthorizationCodeConfig(true),
				ConfigVariables:   vars(1, 2),
				Check:             server.expectAPISawCurrentToken(t),
				ConfigStateChecks: []statecheck.StateCheck{subject},
			},
			{
				// Authorizing again, as the guide says: replace the
				// connection without a code (the token waits meanwhile) ...
				PreConfig:       func() { code = "" },
				Taint:           []string{"oauth2_connection.api"},
				Config:          testAccPatternAuthorizationCodeConfig(false),
				ConfigVariables: vars(1, 2),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.api", tfjsonpath.New("status"), knownvalue.StringExact("pending_authorization")),
				},
				Check: func(s *terraform.State) error {
					u, err := parseAuthURL(s.RootModule().Resources["oauth2_connection.api"].Primary.Attributes["authorization_request_url"])
					if err != nil {
						return err
					}
					code = server.issueCode(u.Query().Get("redirect_uri"), u.Query().Get("code_challenge"), "read")
					return nil
				},
			},
			{
				// ... then give the new code with a higher version ...
				Config:          testAccPatternAuthorizationCodeConfig(false),
				ConfigVariables: vars(2, 2),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.api", tfjsonpath.New("status"), knownvalue.StringExact("authorized")),
				},
				Check: func(s *terraform.State) error {
					old := connectionID
					if err := readOutput(s, "connection_id", &connectionID); err != nil {
						return err
					}
					if connectionID == old {
						return fmt.Errorf("the replaced connection kept its id %q", old)
					}
					return nil
				},
			},
			{
				// ... and the token again, with the new id.
				Config:            testAccPatternAuthorizationCodeConfig(true),
				ConfigVariables:   vars(2, 2),
				Check:             server.expectAPISawCurrentToken(t),
				ConfigStateChecks: []statecheck.StateCheck{subject},
			},
		},
	})
}

const patternClientID = "pattern-client"

// readOutput copies the string output name of the root module into dst.
func readOutput(s *terraform.State, name string, dst *string) error {
	o, ok := s.RootModule().Outputs[name]
	if !ok {
		return fmt.Errorf("no output %q", name)
	}
	v, ok := o.Value.(string)
	if !ok {
		return fmt.Errorf("output %q is a %T, not a string", name, o.Value)
	}
	*dst = v
	return nil
}

// testAccPatternConfig is the README's pattern with the probe provider in
// the place of any provider that takes a bearer token.
const testAccPatternConfig = `
variable "token_url" {
  type = string
}

variable "api_url" {
  type = string
}

variable "client_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "client_secret_version" {
  type = number
}

locals {
  client_id = "pattern-client"
  scopes    = ["read"]
}

resource "oauth2_connection" "api" {
  label                    = "Pattern API"
  grant_type               = "client_credentials"
  token_url                = var.token_url
  client_id                = local.client_id
  client_secret_wo         = var.client_secret
  client_secret_wo_version = var.client_secret_version
  scopes                   = local.scopes
  api_base_url             = var.api_url
}

ephemeral "oauth2_access_token" "api" {
  token_url     = var.token_url
  client_id     = local.client_id
  client_secret = var.client_secret
  scopes        = local.scopes
}

provider "probe" {
  url           = var.api_url
  authorization = ephemeral.oauth2_access_token.api.authorization_header
}

# Calls the API on create and whenever the secret version changes.
resource "probe_call" "me" {
  trigger = var.client_secret_version
}

# Calls the API on every plan: many providers read data sources or check
# their credentials before any apply.
data "probe_me" "me" {}
`

// testAccPatternAuthorizationCodeConfig is the authorization code guide's
// configuration with a token store; withToken adds the ephemeral token and
// the probe provider that uses it.
func testAccPatternAuthorizationCodeConfig(withToken bool) string {
	hcl := `
variable "token_url" {
  type = string
}

variable "authorization_url" {
  type = string
}

variable "api_url" {
  type = string
}

variable "client_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "client_secret_version" {
  type = number
}

variable "code" {
  type      = string
  ephemeral = true
}

variable "code_version" {
  type = number
}

variable "connection_id" {
  type = string
}

variable "store_path" {
  type = string
}

variable "store_key" {
  type      = string
  sensitive = true
}

provider "oauth2" {
  token_store = {
    file = {
      path = var.store_path
      key  = var.store_key
    }
  }
}

locals {
  client_id = "pattern-client"
}

resource "oauth2_connection" "api" {
  label                         = "Pattern authorization code"
  grant_type                    = "authorization_code"
  authorization_url             = var.authorization_url
  token_url                     = var.token_url
  redirect_uri                  = "http://127.0.0.1:8976/callback"
  client_id                     = local.client_id
  client_secret_wo              = var.client_secret
  client_secret_wo_version      = var.client_secret_version
  scopes                        = ["read"]
  authorization_code_wo         = var.code_version > 0 ? var.code : null
  authorization_code_wo_version = var.code_version
}

output "connection_id" {
  value = oauth2_connection.api.id
}
`
	if !withToken {
		return hcl
	}
	return hcl + `
ephemeral "oauth2_access_token" "api" {
  connection_id = var.connection_id
  token_url     = var.token_url
  client_id     = local.client_id
  client_secret = var.client_secret
}

provider "probe" {
  url           = var.api_url
  authorization = ephemeral.oauth2_access_token.api.authorization_header
}

# Destroyed before the connection, whose stored tokens the token needs.
resource "probe_call" "me" {
  trigger    = var.client_secret_version
  depends_on = [oauth2_connection.api]
}

data "probe_me" "me" {}
`
}

// testAccPatternFactories serves a fresh oauth2 provider and the probe
// provider.
func testAccPatternFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"oauth2": providerserver.NewProtocol6WithError(New("test")()),
		"probe":  providerserver.NewProtocol6WithError(&probeProvider{}),
	}
}

// rotatingTokenServer is the project's token server behind a front door
// that can replace it with one knowing only a new client secret, as a
// rotation that also revokes every earlier token would. It records the
// access tokens each generation issued and every Authorization header the
// API received.
type rotatingTokenServer struct {
	url      string
	clientID string

	mu         sync.Mutex
	server     *tokenserver.Server
	generation int
	issued     map[string]int // access token -> generation that issued it
	apiSaw     []apiCall      // every call of the API, in order
	checked    int            // calls already looked at by a check
}

func newRotatingTokenServer(t *testing.T, clientID, secret string) *rotatingTokenServer {
	t.Helper()
	s := &rotatingTokenServer{clientID: clientID, issued: map[string]int{}}
	s.rotate(secret)
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// rotate replaces the server with one that accepts only secret.
func (s *rotatingTokenServer) rotate(secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.server = tokenserver.New(tokenserver.Config{
		Clients: map[string]tokenserver.Client{s.clientID: {Secret: secret}},
	})
	s.generation++
}

func (s *rotatingTokenServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	current, generation := s.server, s.generation
	if r.URL.Path == tokenserver.APIPath {
		s.apiSaw = append(s.apiSaw, apiCall{authorization: r.Header.Get("Authorization"), generation: generation})
	}
	s.mu.Unlock()

	if r.URL.Path != tokenserver.TokenPath {
		current.Handler().ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	current.Handler().ServeHTTP(rec, r)
	var answer struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &answer) == nil && answer.AccessToken != "" {
		s.mu.Lock()
		s.issued[answer.AccessToken] = generation
		s.mu.Unlock()
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// issueCode approves an authorization request of the client, as a user
// would in a browser, and returns the code.
func (s *rotatingTokenServer) issueCode(redirectURI, challenge, scope string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.server.IssueCode(s.clientID, redirectURI, challenge, scope)
}

// apiCall is one request to the API.
type apiCall struct {
	authorization string
	generation    int // the secret generation current when the call came
}

// expectAPISawCurrentToken checks the API calls made since the last check:
// there must be some, the last made with the current secret generation, and
// each must carry a token issued by the generation current at the time of
// the call. The probe fails a plan or apply on a 401 already; this also
// proves which token arrived.
func (s *rotatingTokenServer) expectAPISawCurrentToken(t *testing.T) func(*terraform.State) error {
	return func(*terraform.State) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		calls := s.apiSaw[s.checked:]
		s.checked = len(s.apiSaw)
		if len(calls) == 0 || calls[len(calls)-1].generation != s.generation {
			return fmt.Errorf("the API got %d calls since the last check, none during this step", len(calls))
		}
		for i, c := range calls {
			token, ok := strings.CutPrefix(c.authorization, "Bearer ")
			if !ok {
				return fmt.Errorf("API call %d carried no bearer token (Authorization header of %d bytes)", i+1, len(c.authorization))
			}
			if gen, issued := s.issued[token]; !issued || gen != c.generation {
				return fmt.Errorf("API call %d carried a token from secret generation %d (0: never issued), want %d", i+1, gen, c.generation)
			}
		}
		t.Logf("the API saw %d calls, each with a token of the secret current at the time", len(calls))
		return nil
	}
}

// probeProvider is a minimal provider that takes a bearer token in its
// configuration, like the REST API providers the README means.
type probeProvider struct{}

var (
	_ provider.Provider     = (*probeProvider)(nil)
	_ resource.Resource     = (*probeCallResource)(nil)
	_ datasource.DataSource = (*probeMeDataSource)(nil)
)

type probeProviderModel struct {
	URL           types.String `tfsdk:"url"`
	Authorization types.String `tfsdk:"authorization"`
}

// probeClient is what the probe provider hands its resource.
type probeClient struct {
	url, authorization string
}

func (p *probeProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "probe"
}

func (p *probeProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = providerschema.Schema{
		Attributes: map[string]providerschema.Attribute{
			"url":           providerschema.StringAttribute{Optional: true},
			"authorization": providerschema.StringAttribute{Optional: true, Sensitive: true},
		},
	}
}

func (p *probeProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m probeProviderModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// An unknown or null header is sent as none, as a real provider would.
	c := &probeClient{url: m.URL.ValueString(), authorization: m.Authorization.ValueString()}
	resp.ResourceData, resp.DataSourceData = c, c
}

func (p *probeProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return &probeCallResource{} }}
}

func (p *probeProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{func() datasource.DataSource { return &probeMeDataSource{} }}
}

// probeCallResource calls the API on create and update and records who the
// API says the token belongs to.
type probeCallResource struct{ client *probeClient }

type probeCallModel struct {
	ID      types.String `tfsdk:"id"`
	Trigger types.String `tfsdk:"trigger"`
	Subject types.String `tfsdk:"subject"`
}

func (r *probeCallResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_call"
}

func (r *probeCallResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = resourceschema.Schema{
		Attributes: map[string]resourceschema.Attribute{
			"id": resourceschema.StringAttribute{
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"trigger": resourceschema.StringAttribute{Required: true},
			"subject": resourceschema.StringAttribute{Computed: true},
		},
	}
}

func (r *probeCallResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*probeClient); ok {
		r.client = c
	}
}

func (r *probeCallResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m probeCallModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.ID = types.StringValue("probe")
	m.Subject, resp.Diagnostics = r.client.call(ctx)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *probeCallResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m probeCallModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.Subject, resp.Diagnostics = r.client.call(ctx)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// call sends one request to the API with the configured Authorization
// header and returns the client id the API says the token belongs to.
func (c *probeClient) call(ctx context.Context) (types.String, diag.Diagnostics) {
	var diags diag.Diagnostics
	if c == nil {
		diags.AddError("Unconfigured Probe Provider", "The probe provider was not configured.")
		return types.StringNull(), diags
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		diags.AddError("Invalid Probe URL", err.Error())
		return types.StringNull(), diags
	}
	if c.authorization != "" {
		httpReq.Header.Set("Authorization", c.authorization)
	}
	httpResp, err := http.DefaultClient.Do(httpReq)
	if err != nil {
		diags.AddError("Probe Request Failed", err.Error())
		return types.StringNull(), diags
	}
	defer httpResp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(httpResp.Body, 1<<16))
	if httpResp.StatusCode != http.StatusOK {
		diags.AddError("API Refused the Probe",
			fmt.Sprintf("The API answered %s; the provider was configured with an Authorization header: %v. Answer: %s",
				httpResp.Status, c.authorization != "", bytes.TrimSpace(body)))
		return types.StringNull(), diags
	}
	var me tokenserver.Me
	if err := json.Unmarshal(body, &me); err != nil {
		diags.AddError("Unreadable Probe Answer", err.Error())
		return types.StringNull(), diags
	}
	return types.StringValue(me.ClientID), diags
}

func (r *probeCallResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (r *probeCallResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}

// probeMeDataSource calls the API whenever it is read, at plan time too.
type probeMeDataSource struct{ client *probeClient }

type probeMeModel struct {
	Subject types.String `tfsdk:"subject"`
}

func (d *probeMeDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_me"
}

func (d *probeMeDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = datasourceschema.Schema{
		Attributes: map[string]datasourceschema.Attribute{
			"subject": datasourceschema.StringAttribute{Computed: true},
		},
	}
}

func (d *probeMeDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, _ *datasource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*probeClient); ok {
		d.client = c
	}
}

func (d *probeMeDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m probeMeModel
	m.Subject, resp.Diagnostics = d.client.call(ctx)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
