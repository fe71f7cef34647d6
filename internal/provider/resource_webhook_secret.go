package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

// Webhook secret conventions: which credentials the sender presents.
const (
	conventionUsernamePassword  = "username_password"
	conventionClientCredentials = "client_credentials"
)

var (
	webhookConventions = []string{conventionUsernamePassword, conventionClientCredentials}
	// webhookDefaultGrant is the grant_type sent when none is configured.
	webhookDefaultGrant = map[string]string{
		conventionUsernamePassword:  string(oauthclient.GrantPassword),
		conventionClientCredentials: string(oauthclient.GrantClientCredentials),
	}
)

var (
	_ resource.Resource                     = (*webhookSecretResource)(nil)
	_ resource.ResourceWithConfigure        = (*webhookSecretResource)(nil)
	_ resource.ResourceWithConfigValidators = (*webhookSecretResource)(nil)
	_ resource.ResourceWithImportState      = (*webhookSecretResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*webhookSecretResource)(nil)
)

// NewWebhookSecretResource returns the oauth2_webhook_secret resource.
func NewWebhookSecretResource() resource.Resource {
	return &webhookSecretResource{}
}

type webhookSecretResource struct {
	data *providerData
}

type webhookSecretResourceModel struct {
	ID                    types.String `tfsdk:"id"`
	Name                  types.String `tfsdk:"name"`
	Convention            types.String `tfsdk:"convention"`
	TokenURL              types.String `tfsdk:"token_url"`
	GrantType             types.String `tfsdk:"grant_type"`
	Scope                 types.String `tfsdk:"scope"`
	Username              types.String `tfsdk:"username"`
	Password              types.String `tfsdk:"password"`
	PasswordWO            types.String `tfsdk:"password_wo"`
	PasswordWOVersion     types.Int64  `tfsdk:"password_wo_version"`
	ClientID              types.String `tfsdk:"client_id"`
	ClientSecret          types.String `tfsdk:"client_secret"`
	ClientSecretWO        types.String `tfsdk:"client_secret_wo"`
	ClientSecretWOVersion types.Int64  `tfsdk:"client_secret_wo_version"`
	RequestEncoding       types.String `tfsdk:"request_encoding"`

	ValidatedAt types.String `tfsdk:"validated_at"`
	TokenType   types.String `tfsdk:"token_type"`
	ExpiresIn   types.Int64  `tfsdk:"expires_in"`
}

func (r *webhookSecretResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_webhook_secret"
}

func (r *webhookSecretResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := map[string]schema.Attribute{}
	// The shared settings, rendered from the same specs as oauth2_connection.
	tokenURL := settingByName("token_url")
	// A webhook sender has no preset or issuer to take its endpoint from.
	tokenURL.required = true
	tokenURL.description = "The token endpoint (RFC 6749 §3.2)."
	tokenURL.resourceAttributes(attrs)
	for _, name := range []string{"username", "password", "client_id", "client_secret"} {
		settingByName(name).resourceAttributes(attrs)
	}
	// Webhook senders post JSON, so the encoding default differs.
	encoding := settingByName("request_encoding")
	encoding.defaultValue = string(oauthclient.EncodingJSON)
	encoding.resourceAttributes(attrs)

	// Required
	attrs["name"] = schema.StringAttribute{
		MarkdownDescription: "A human-readable name for the webhook secret, used in messages.",
		Required:            true,
		Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
	}
	attrs["convention"] = schema.StringAttribute{
		MarkdownDescription: "Which credentials the webhook sender presents to `token_url`: `username_password` " +
			"(`username` and `password`) or `client_credentials` (`client_id` and `client_secret`). One of " +
			quoteList(webhookConventions) + ".",
		Required:   true,
		Validators: []validator.String{stringvalidator.OneOf(webhookConventions...)},
	}

	// Optional
	attrs["grant_type"] = schema.StringAttribute{
		MarkdownDescription: "The `grant_type` sent verbatim. Defaults to `\"password\"` for `username_password` and " +
			"`\"client_credentials\"` for `client_credentials`.",
		Optional:      true,
		Computed:      true,
		PlanModifiers: []planmodifier.String{webhookGrantDefault{}},
	}
	attrs["scope"] = schema.StringAttribute{
		MarkdownDescription: "The `scope` parameter sent verbatim, for senders that store it as one string.",
		Optional:            true,
	}

	// Computed
	attrs["id"] = schema.StringAttribute{
		MarkdownDescription: "A random identifier of the webhook secret, stable for its lifetime.",
		Computed:            true,
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
	attrs["validated_at"] = schema.StringAttribute{
		MarkdownDescription: "When the token endpoint last answered with a usable token (RFC 3339).",
		Computed:            true,
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
	attrs["token_type"] = schema.StringAttribute{
		MarkdownDescription: "The `token_type` the server answered with.",
		Computed:            true,
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
	attrs["expires_in"] = schema.Int64Attribute{
		MarkdownDescription: "The token lifetime in seconds the server announced.",
		Computed:            true,
		PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
	}

	resp.Schema = schema.Schema{
		MarkdownDescription: "The secret a webhook sender uses to fetch a bearer token from `token_url` before each " +
			"call. Apply proves the endpoint answers with at least `access_token` and `expires_in`, which senders " +
			"need to cache the token; it fails, and nothing is saved, when either is missing.",
		Attributes: attrs,
	}
}

// webhookSecretValidator holds the rules of oauth2_webhook_secret, built once.
var webhookSecretValidator = func() settingsValidator {
	convention := func(c string, anyOf ...string) settingsRule {
		return requiredWhenValidator{when: "convention", values: []string{c}, anyOf: anyOf}
	}
	rules := []settingsRule{
		convention(conventionUsernamePassword, "username"),
		convention(conventionUsernamePassword, "password", woName("password")),
		convention(conventionClientCredentials, "client_id"),
		convention(conventionClientCredentials, "client_secret", woName("client_secret")),
	}
	return newSettingsValidator(append(rules, writeOnlyConflicts("client_secret", "password")...)...)
}()

func (r *webhookSecretResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{webhookSecretValidator}
}

func (r *webhookSecretResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, "resource", &resp.Diagnostics)
}

// ModifyPlan marks the validation outputs unknown when anything but the
// name changes, so the plan says a new validation will happen.
func (r *webhookSecretResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var plan, state webhookSecretResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !state.validationInputsChanged(&plan) {
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("validated_at"), types.StringUnknown())...)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("token_type"), types.StringUnknown())...)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("expires_in"), types.Int64Unknown())...)
}

func (m *webhookSecretResourceModel) validationInputs() []attr.Value {
	return []attr.Value{
		m.Convention, m.TokenURL, m.GrantType, m.Scope, m.Username, m.Password, m.PasswordWOVersion,
		m.ClientID, m.ClientSecret, m.ClientSecretWOVersion, m.RequestEncoding,
	}
}

func (m *webhookSecretResourceModel) validationInputsChanged(plan *webhookSecretResourceModel) bool {
	return !valuesEqual(m.validationInputs(), plan.validationInputs())
}

func (r *webhookSecretResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config webhookSecretResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, err := newID()
	if err != nil {
		resp.Diagnostics.AddError("Unable to Create OAuth2 Webhook Secret",
			"The provider could not generate a random identifier. Check the system's random source and apply again.\n\n"+errorCause(err))
		return
	}
	plan.ID = types.StringValue(id)
	resp.Diagnostics.Append(r.validate(ctx, &plan, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *webhookSecretResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	// Nothing to read remotely: the secret lives only in state.
	var state webhookSecretResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if state.RequestEncoding.IsNull() {
		state.RequestEncoding = types.StringValue(string(oauthclient.EncodingJSON))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *webhookSecretResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, config, state webhookSecretResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID = state.ID
	if !state.validationInputsChanged(&plan) && !state.ValidatedAt.IsNull() {
		plan.ValidatedAt, plan.TokenType, plan.ExpiresIn = state.ValidatedAt, state.TokenType, state.ExpiresIn
		plan.PasswordWO, plan.ClientSecretWO = types.StringNull(), types.StringNull()
	} else {
		resp.Diagnostics.Append(r.validate(ctx, &plan, &config)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *webhookSecretResource) Delete(ctx context.Context, _ resource.DeleteRequest, _ *resource.DeleteResponse) {
	tflog.Debug(ctx, "removed oauth2 webhook secret from state")
}

func (r *webhookSecretResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}

// tokenRequest builds the request a webhook sender makes: every parameter
// in the body, in the configured encoding, grant_type and scope verbatim.
func (m *webhookSecretResourceModel) tokenRequest(config *webhookSecretResourceModel) oauthclient.Request {
	req := oauthclient.Request{
		TokenURL:     m.TokenURL.ValueString(),
		GrantType:    oauthclient.GrantType(m.GrantType.ValueString()),
		Encoding:     oauthclient.Encoding(m.RequestEncoding.ValueString()),
		Scope:        m.Scope.ValueString(),
		Username:     m.Username.ValueString(),
		Password:     firstSet(m.Password, config.PasswordWO),
		ClientID:     m.ClientID.ValueString(),
		ClientSecret: firstSet(m.ClientSecret, config.ClientSecretWO),
		AuthStyle:    oauthclient.AuthNone,
	}
	if req.ClientSecret != "" {
		req.AuthStyle = oauthclient.AuthPost
	}
	return req
}

// validate requests a token as the webhook sender would and checks the
// answer carries what a sender needs.
func (r *webhookSecretResource) validate(ctx context.Context, plan, config *webhookSecretResourceModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if r.data == nil {
		diags.AddError("Unconfigured OAuth2 Provider",
			"The oauth2 provider was not configured before the webhook secret was applied. This is a bug in the provider; please report it.")
		return diags
	}
	plan.PasswordWO, plan.ClientSecretWO = types.StringNull(), types.StringNull()

	tokenReq := plan.tokenRequest(config)
	ctx = tflog.SetField(ctx, "webhook_secret_id", plan.ID.ValueString())
	ctx = tflog.SetField(ctx, "token_url", oauthclient.RedactURL(tokenReq.TokenURL))
	ctx = tflog.SetField(ctx, "grant_type", string(tokenReq.GrantType))
	ctx = maskSecrets(ctx, requestSecrets(tokenReq)...)
	tflog.Debug(ctx, "validating oauth2 webhook secret")

	tok, err := r.data.client.Exchange(ctx, tokenReq)
	if err != nil {
		diags.AddError("Unable to Validate OAuth2 Webhook Secret",
			validationErrorDetail(fmt.Sprintf("webhook secret %q", plan.Name.ValueString()), tokenReq.TokenURL, "Nothing was saved.", err))
		return diags
	}
	ctx = maskSecrets(ctx, tok.AccessToken, tok.RefreshToken, tok.IDToken)

	var missing []string
	if tok.AccessToken == "" {
		missing = append(missing, "access_token")
	}
	if _, ok := tok.Raw["expires_in"]; !ok || !tok.ExpiryKnown() {
		missing = append(missing, "expires_in")
	}
	if len(missing) > 0 {
		diags.AddError("Incomplete OAuth2 Webhook Token Response",
			fmt.Sprintf("The token endpoint %s answered webhook secret %q without %s, so nothing was saved. "+
				"Webhook senders need access_token to authenticate and expires_in to know when to fetch a new token. "+
				"Configure the endpoint to return %s, or point token_url at one that does.",
				oauthclient.RedactURL(tokenReq.TokenURL), plan.Name.ValueString(), andList(missing), andList(missing)))
		return diags
	}
	tflog.Info(ctx, "oauth2 webhook secret validated", map[string]any{"token_type": tok.TokenType, "expires_in": tok.ExpiresIn})

	plan.ValidatedAt = types.StringValue(timeNow().UTC().Format(time.RFC3339))
	plan.TokenType = types.StringNull()
	if tok.TokenType != "" {
		plan.TokenType = types.StringValue(tok.TokenType)
	}
	plan.ExpiresIn = types.Int64Value(tok.ExpiresIn)
	return diags
}

func andList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	out := names[0]
	for _, n := range names[1 : len(names)-1] {
		out += ", " + n
	}
	return out + " and " + names[len(names)-1]
}

// webhookGrantDefault sets grant_type, when not configured, from the
// convention: "password" or "client_credentials".
type webhookGrantDefault struct{}

func (m webhookGrantDefault) Description(context.Context) string {
	return "defaults to the grant type matching convention"
}

func (m webhookGrantDefault) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (m webhookGrantDefault) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if !req.ConfigValue.IsNull() {
		return
	}
	var convention types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("convention"), &convention)...)
	if convention.IsUnknown() || convention.IsNull() {
		return
	}
	if g, ok := webhookDefaultGrant[convention.ValueString()]; ok {
		resp.PlanValue = types.StringValue(g)
	}
}
