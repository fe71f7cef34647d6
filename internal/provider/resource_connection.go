package provider

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokens"
)

// Values of the status attribute of oauth2_connection.
const (
	statusValidated            = "validated"
	statusUnvalidated          = "unvalidated"
	statusPendingAuthorization = "pending_authorization"
	statusAuthorized           = "authorized"
)

// privateKeyRefreshTokenSeed is the private state key under which earlier
// versions recorded which configured refresh token the connection's own
// store entry descended from; see holdsConfiguredChain. It is cleared on the
// next validation, once the chain lives under its lineage's name.
const privateKeyRefreshTokenSeed = "refresh_token_seed"

var (
	_ resource.Resource                     = (*connectionResource)(nil)
	_ resource.ResourceWithConfigure        = (*connectionResource)(nil)
	_ resource.ResourceWithConfigValidators = (*connectionResource)(nil)
	_ resource.ResourceWithImportState      = (*connectionResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*connectionResource)(nil)
	_ resource.ResourceWithUpgradeState     = (*connectionResource)(nil)
)

// NewConnectionResource returns the oauth2_connection resource.
func NewConnectionResource() resource.Resource {
	return &connectionResource{}
}

type connectionResource struct {
	data *providerData
}

type connectionResourceModel struct {
	connectionSettingsModel
	connectionWriteOnlyModel

	ID                         types.String `tfsdk:"id"`
	Label                      types.String `tfsdk:"label"`
	APIBaseURL                 types.String `tfsdk:"api_base_url"`
	AuthorizationCodeWO        types.String `tfsdk:"authorization_code_wo"`
	AuthorizationCodeWOVersion types.Int64  `tfsdk:"authorization_code_wo_version"`
	PKCE                       types.Bool   `tfsdk:"pkce"`
	Validate                   types.Bool   `tfsdk:"validate"`
	RevalidateAfter            types.String `tfsdk:"revalidate_after"`

	Status                  types.String `tfsdk:"status"`
	ValidatedAt             types.String `tfsdk:"validated_at"`
	TokenType               types.String `tfsdk:"token_type"`
	IssuedTokenType         types.String `tfsdk:"issued_token_type"`
	RevocationEndpoint      types.String `tfsdk:"revocation_endpoint"`
	DeviceUserCode          types.String `tfsdk:"device_user_code"`
	GrantedScopes           types.List   `tfsdk:"granted_scopes"`
	ExpiresIn               types.Int64  `tfsdk:"expires_in"`
	AuthorizationRequestURL types.String `tfsdk:"authorization_request_url"`
	ObtainedRefreshToken    types.String `tfsdk:"obtained_refresh_token"`
}

// privateGetter and privateSetter are the parts of the framework's private
// state used here.
type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

type privateSetter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

func (r *connectionResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_connection"
}

func (r *connectionResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := connectionResourceAttributes()
	validationOutput := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}

	// Required
	attrs["label"] = schema.StringAttribute{
		MarkdownDescription: "A human-readable name for the connection, used in messages.",
		Required:            true,
		Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
	}

	// Optional
	for _, name := range []string{"refresh_token", "refresh_token_wo"} {
		a, ok := attrs[name].(schema.StringAttribute)
		if !ok {
			resp.Diagnostics.AddError("Invalid Provider Schema",
				fmt.Sprintf("The oauth2_connection attribute %q is a %T, not a string attribute. This is a bug in the provider; please report it.", name, attrs[name]))
			return
		}
		a.MarkdownDescription += refreshTokenRotationNote
		attrs[name] = a
	}
	attrs["api_base_url"] = schema.StringAttribute{
		MarkdownDescription: "The base URL of the API the tokens are for, kept for other resources to reference.",
		Optional:            true,
	}
	attrs["authorization_code_wo"] = schema.StringAttribute{
		MarkdownDescription: "Write-only: the authorization code the authorization server returned to `redirect_uri` after a " +
			"user opened `authorization_request_url`. It is exchanged for a token when `authorization_code_wo_version` " +
			"changes, and never stored.",
		Optional:   true,
		Sensitive:  true,
		WriteOnly:  true,
		Validators: []validator.String{stringvalidator.AlsoRequires(path.MatchRoot("authorization_code_wo_version"))},
	}
	attrs["authorization_code_wo_version"] = schema.Int64Attribute{
		MarkdownDescription: "Any number; change it whenever `authorization_code_wo` holds a new code so it is exchanged.",
		Optional:            true,
	}
	attrs["pkce"] = schema.BoolAttribute{
		MarkdownDescription: "Protect the `authorization_code` grant with PKCE S256 (RFC 7636). Defaults to `true` " +
			"with that grant, and is null with the others, which have no use for it. " +
			"The code verifier is not stored: it is derived from the client secret (`client_secret` or " +
			"`client_secret_wo`) and the request's `state`, and derived again when the code is exchanged, so the " +
			"client secret must stay the same between the two applies. A public client (no client secret) derives " +
			"it from the key of the provider's token store instead, which must likewise stay the same. A public " +
			"client with the token store disabled has nothing to derive it from: its verifier is then kept in the " +
			"resource's private state, which is saved in the state file until the code is exchanged; keep the " +
			"token store for public clients.",
		Optional: true,
		// Computed without a Default: ModifyPlan fills it in, because the
		// default depends on grant_type.
		Computed: true,
	}
	attrs["validate"] = schema.BoolAttribute{
		MarkdownDescription: "Request a token at apply time to prove the credentials work. Defaults to `true`.",
		Optional:            true,
		Computed:            true,
		Default:             booldefault.StaticBool(true),
	}
	attrs["revalidate_after"] = schema.StringAttribute{
		MarkdownDescription: "Check the credentials again at plan time once `validated_at` is older than this Go " +
			"duration, such as `24h`; `0s` checks on every plan. Off when null, the default. Plans then request a " +
			"token: when the server refuses, the plan warns and shows the validation outputs as changing, and apply " +
			"fails with the server's answer; when it issues one, the plan shows no change, and `validated_at` keeps " +
			"the time of the last apply that validated, so every later plan checks again. Only for the " +
			"`client_credentials` and `password` grants, whose requests can be repeated without spending anything.",
		Optional:   true,
		Validators: []validator.String{durationValidator{}},
	}

	// Computed
	attrs["id"] = schema.StringAttribute{
		MarkdownDescription: "A random identifier of the connection, stable for its lifetime.",
		Computed:            true,
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
	attrs["status"] = schema.StringAttribute{
		MarkdownDescription: "`validated` when a token was obtained, `unvalidated` when `validate` is `false`, " +
			"`pending_authorization` while an `authorization_code` connection waits for its code, and " +
			"`authorized` once the code was exchanged.",
		Computed:      true,
		PlanModifiers: validationOutput,
	}
	attrs["validated_at"] = schema.StringAttribute{
		MarkdownDescription: "When a token was last obtained (RFC 3339).",
		Computed:            true,
		PlanModifiers:       validationOutput,
	}
	attrs["token_type"] = schema.StringAttribute{
		MarkdownDescription: "The `token_type` the server answered with (RFC 6749 §7.1).",
		Computed:            true,
		PlanModifiers:       validationOutput,
	}
	attrs["device_user_code"] = schema.StringAttribute{
		MarkdownDescription: "With `grant_type = \"device_code\"` while the connection waits for approval: the code " +
			"to enter at `authorization_request_url` (RFC 8628 §3.3). Null otherwise.",
		Computed:      true,
		PlanModifiers: validationOutput,
	}
	attrs["revocation_endpoint"] = schema.StringAttribute{
		MarkdownDescription: "The revocation endpoint (RFC 7009) in use: `revocation_url`, or the one `preset` or the " +
			"issuer's metadata names. Destroying the connection revokes the refresh token it holds there.",
		Computed:      true,
		PlanModifiers: validationOutput,
	}
	attrs["issued_token_type"] = schema.StringAttribute{
		MarkdownDescription: "The type of the token a token exchange issued at validation (RFC 8693 §2.2.1); null for other grants.",
		Computed:            true,
		PlanModifiers:       validationOutput,
	}
	attrs["granted_scopes"] = schema.ListAttribute{
		MarkdownDescription: "The scopes the server granted; the requested ones when it did not say (RFC 6749 §5.1).",
		ElementType:         types.StringType,
		Computed:            true,
		PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown()},
	}
	attrs["expires_in"] = schema.Int64Attribute{
		MarkdownDescription: "The lifetime in seconds of the token obtained at validation; null when the server did not say.",
		Computed:            true,
		PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
	}
	attrs["authorization_request_url"] = schema.StringAttribute{
		MarkdownDescription: "For the `authorization_code` grant: the URL a user opens to grant access. Its `state` " +
			"is kept in the resource's private state; `pkce` says where the PKCE verifier comes from.",
		Computed:      true,
		PlanModifiers: validationOutput,
	}
	attrs["obtained_refresh_token"] = schema.StringAttribute{
		MarkdownDescription: "The newest refresh token of a provider whose token store is disabled. For the " +
			"`authorization_code` grant: the refresh token the server issued with the code exchange, for use with " +
			"the `refresh_token` grant. For the `refresh_token` grant: the new refresh token a server that rotates " +
			"refresh tokens (RFC 9700 §4.14.2) issued at validation, when it retired the configured one; the apply " +
			"then warns, and this value must be configured as the refresh token before the connection is validated " +
			"again. Null otherwise, and always null with the token store (on by default): the newest refresh token " +
			"is kept there instead, and an `oauth2_access_token` with `connection_id` set to this connection's `id` " +
			"uses it.",
		Computed:      true,
		Sensitive:     true,
		PlanModifiers: validationOutput,
	}

	resp.Schema = schema.Schema{
		// Version 1: pkce is null unless grant_type is authorization_code.
		Version: 1,
		MarkdownDescription: "An OAuth 2.0 client connection. Create and update prove the credentials work by " +
			"requesting a token from `token_url`; the apply fails, and nothing is saved, when the server refuses. " +
			"The access token itself is never stored. For the `authorization_code` grant the first apply produces " +
			"`authorization_request_url`; a second apply with `authorization_code_wo` exchanges the code. A " +
			"connection whose grant uses or yields a refresh token keeps the newest one in the provider's token " +
			"store (on by default), where an `oauth2_access_token` with `connection_id` finds it.",
		Attributes: attrs,
	}
}

// refreshTokenRotationNote explains, in the descriptions of refresh_token
// and refresh_token_wo, what validation does with a refresh token that the
// server rotates.
const refreshTokenRotationNote = " Validation presents it, and a server that rotates refresh tokens (RFC 9700 " +
	"§4.14.2) then retires it. The provider's token store (on by default) keeps the newest refresh token of the " +
	"chain that started from the configured one, and later validations present that one; a different configured " +
	"refresh token starts a chain of its own. Every `oauth2_access_token` that starts from the same refresh token, " +
	"or names this connection in `connection_id`, shares the chain. With the store disabled, the apply warns and " +
	"the new refresh token is kept in `obtained_refresh_token`."

// connectionValidator holds the rules of oauth2_connection, built once.
var connectionValidator = newSettingsValidator(append(connectionRules(true),
	writeOnlyConflicts("client_secret", "password", "refresh_token")...)...)

func (r *connectionResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{connectionValidator, revalidateAfterGrantValidator{}}
}

func (r *connectionResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, "resource", &resp.Diagnostics)
}

// ModifyPlan completes the plan. It fills pkce, whose default depends on
// grant_type; runs the checks that need the configured provider before any
// request; marks the validation outputs unknown when a setting that affects
// validation changes (otherwise UseStateForUnknown keeps them) or when a due
// revalidation was refused; warns about write-only values changed without
// their version; and plans as null the outputs the grant cannot produce,
// rather than "known after apply".
//
// Revalidation happens here, not in Read: Read gets no configuration, so no
// write-only value, and a failing Read would block even destroy.
func (r *connectionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	// A plan equal to the state (every plan of an unchanged configuration)
	// needs nothing from here unless a revalidation may be due or a
	// write-only value, which neither holds, may have changed. Looking at
	// those few raw values spares decoding three whole models.
	if !req.State.Raw.IsNull() && req.Plan.Raw.Equal(req.State.Raw) &&
		!rawSet(req.Plan.Raw, "revalidate_after") && !rawSet(req.Config.Raw, writeOnlyAttributeNames...) &&
		!rawEquals(req.State.Raw, "status", statusPendingAuthorization) {
		return
	}
	var plan connectionResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The configuration is decoded only for a connection that exists: a
	// new one's checks read from it just which write-only values are set
	// (below), and decoding a second whole model was a tenth of a plan.
	var config connectionResourceModel
	var state *connectionResourceModel
	if !req.State.Raw.IsNull() {
		state = &connectionResourceModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}

	switch {
	case rawSet(req.Config.Raw, "pkce"):
	case plan.GrantType.IsUnknown():
		plan.PKCE = types.BoolUnknown()
	case plan.GrantType.ValueString() == string(oauthclient.GrantAuthorizationCode):
		plan.PKCE = types.BoolValue(true)
	default:
		plan.PKCE = types.BoolNull()
	}

	// Before the provider is configured (its settings are unknown) there is
	// nothing to check against and no client to check with.
	if r.data != nil {
		subject := fmt.Sprintf("connection %q", plan.Label.ValueString())
		resp.Diagnostics.Append(endpointDiagnostics(subject, plan.connectionSettingsModel, r.data.allowInsecureHTTP)...)
		// Of the credentials, only write-only values are missing from the
		// plan; whether a nested credential is set is the same in both.
		wo := connectionWriteOnlyModel{
			ClientSecretWO:    rawString(req.Config.Raw, "client_secret_wo"),
			ClientAssertionWO: rawString(req.Config.Raw, "client_assertion_wo"),
		}
		resp.Diagnostics.Append(clientCredentialDiagnostics(subject, plan.connectionSettingsModel, wo, plan.credentialConfig(wo.ClientAssertionWO), true)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}

	if state != nil {
		switch {
		case validationInputsChanged(state, &plan):
			plan.markValidationUnknown()
		case state.Status.ValueString() == statusPendingAuthorization && plan.GrantType.ValueString() == grantDeviceCode:
			changed, d := r.pollDevice(ctx, state, &plan, &config)
			resp.Diagnostics.Append(d...)
			if changed {
				plan.markValidationUnknown()
			}
		case state.Status.ValueString() == statusPendingAuthorization && config.AuthorizationCodeWO.IsNull() && r.authorizedOutside(ctx, state):
			// Authorized with the command-line tool: apply proves the
			// stored refresh token and marks the connection authorized.
			plan.markValidationUnknown()
		default:
			resp.Diagnostics.Append(r.writeOnlyDriftWarnings(ctx, state, &plan, &config, req.Private)...)
			if r.data != nil && revalidationDue(state, &plan, timeNow()) {
				refused, d := r.revalidate(ctx, state, &plan, &config)
				resp.Diagnostics.Append(d...)
				if refused {
					plan.markValidationUnknown()
				}
			}
		}
	}

	if grant := plan.GrantType; !grant.IsUnknown() {
		g := oauthclient.GrantType(grant.ValueString())
		if plan.AuthorizationRequestURL.IsUnknown() && g != oauthclient.GrantAuthorizationCode && g != grantDeviceCode {
			plan.AuthorizationRequestURL = types.StringNull()
		}
		if plan.DeviceUserCode.IsUnknown() && g != grantDeviceCode {
			plan.DeviceUserCode = types.StringNull()
		}
		// Only a refresh token the server issues or rotates while no token
		// store is configured is kept in state; see apply.
		mayObtain := (g == oauthclient.GrantRefreshToken || g == oauthclient.GrantAuthorizationCode) &&
			(r.data == nil || !r.data.tokens.Durable())
		if plan.ObtainedRefreshToken.IsUnknown() && !mayObtain {
			plan.ObtainedRefreshToken = types.StringNull()
		}
	}

	resp.Diagnostics.Append(setTopLevel(ctx, &resp.Plan.Raw, map[string]attr.Value{
		"pkce":                      plan.PKCE,
		"status":                    plan.Status,
		"validated_at":              plan.ValidatedAt,
		"token_type":                plan.TokenType,
		"issued_token_type":         plan.IssuedTokenType,
		"revocation_endpoint":       plan.RevocationEndpoint,
		"device_user_code":          plan.DeviceUserCode,
		"granted_scopes":            plan.GrantedScopes,
		"expires_in":                plan.ExpiresIn,
		"authorization_request_url": plan.AuthorizationRequestURL,
		"obtained_refresh_token":    plan.ObtainedRefreshToken,
	})...)
}

// setTopLevel replaces top-level attributes of the object raw in one pass.
// Plan.SetAttribute would resolve each name through the schema and rebuild
// the whole object once per attribute, a tenth of a plan's CPU time with
// eleven of them (bench/profile.md).
func setTopLevel(ctx context.Context, raw *tftypes.Value, values map[string]attr.Value) diag.Diagnostics {
	var diags diag.Diagnostics
	typ, ok := raw.Type().(tftypes.Object)
	var attrs map[string]tftypes.Value
	if !ok || raw.As(&attrs) != nil || attrs == nil {
		diags.AddError("Internal error: plan is not an object",
			fmt.Sprintf("The plan of this resource is a %s, not a known object. Please report this issue to the provider developers.", raw.Type()))
		return diags
	}
	for name, v := range values {
		tv, err := v.ToTerraformValue(ctx)
		if err == nil && !tv.Type().Equal(typ.AttributeTypes[name]) {
			err = fmt.Errorf("the value is a %s, the schema's type is %v", tv.Type(), typ.AttributeTypes[name])
		}
		if err != nil {
			diags.AddAttributeError(path.Root(name), "Internal error: unusable planned value",
				fmt.Sprintf("The planned value of %s could not be set: %s. Please report this issue to the provider developers.", name, err))
			continue
		}
		attrs[name] = tv
	}
	if !diags.HasError() {
		*raw = tftypes.NewValue(typ, attrs)
	}
	return diags
}

// credentials returns the credential settings of a configuration model,
// where write-only values live.
func (m *connectionResourceModel) credentials() credentialConfig {
	return m.credentialConfig(m.ClientAssertionWO)
}

// markValidationUnknown marks the outputs of validation unknown: apply
// validates again and sets them.
func (m *connectionResourceModel) markValidationUnknown() {
	m.Status = types.StringUnknown()
	m.ValidatedAt = types.StringUnknown()
	m.TokenType = types.StringUnknown()
	m.IssuedTokenType = types.StringUnknown()
	m.RevocationEndpoint = types.StringUnknown()
	m.DeviceUserCode = types.StringUnknown()
	m.AuthorizationRequestURL = types.StringUnknown()
	m.ObtainedRefreshToken = types.StringUnknown()
	m.GrantedScopes = types.ListUnknown(types.StringType)
	m.ExpiresIn = types.Int64Unknown()
}

// UpgradeState upgrades version 0 states, whose pkce defaulted to true with
// every grant, so that they match the plan of an unchanged configuration.
func (r *connectionResource) UpgradeState(context.Context) map[int64]resource.StateUpgrader {
	return map[int64]resource.StateUpgrader{
		0: {StateUpgrader: upgradeConnectionStateV0},
	}
}

// upgradeConnectionStateV0 sets pkce to null where version 0 had filled in
// its default, true, for a grant other than authorization_code. An explicit
// pkce = false stays, as the configuration still says so. The state is
// handled as JSON so that no copy of the version 0 schema is needed: the
// only other change is the new revalidate_after, null.
func upgradeConnectionStateV0(_ context.Context, req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse) {
	if req.RawState == nil || req.RawState.JSON == nil {
		resp.Diagnostics.AddError("Unable to Upgrade OAuth2 Connection State",
			"The prior state of this oauth2_connection is not in JSON form. This is a bug in the provider; please report it.")
		return
	}
	var attrs map[string]json.RawMessage
	if err := json.Unmarshal(req.RawState.JSON, &attrs); err != nil {
		resp.Diagnostics.AddError("Unable to Upgrade OAuth2 Connection State",
			"The prior state of this oauth2_connection could not be read. This is a bug in the provider; please report it. "+errorCause(err))
		return
	}
	var grant string
	var pkce *bool
	_ = json.Unmarshal(attrs["grant_type"], &grant)
	_ = json.Unmarshal(attrs["pkce"], &pkce)
	if grant != string(oauthclient.GrantAuthorizationCode) && pkce != nil && *pkce {
		attrs["pkce"] = json.RawMessage("null")
	}
	if _, ok := attrs["revalidate_after"]; !ok {
		attrs["revalidate_after"] = json.RawMessage("null") // added in version 1
	}
	raw, err := json.Marshal(attrs)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Upgrade OAuth2 Connection State",
			"The upgraded state of this oauth2_connection could not be encoded. This is a bug in the provider; please report it. "+errorCause(err))
		return
	}
	resp.DynamicValue = &tfprotov6.DynamicValue{JSON: raw}
}

// validationInputsChanged reports whether anything that decides the outcome
// of validation differs between prior and plan. label and api_base_url do
// not.
func validationInputsChanged(prior, plan *connectionResourceModel) bool {
	a := append(prior.connectionSettingsModel.values(), prior.connectionWriteOnlyModel.versions()...)
	a = append(a, prior.AuthorizationCodeWOVersion, prior.PKCE, prior.Validate)
	b := append(plan.connectionSettingsModel.values(), plan.connectionWriteOnlyModel.versions()...)
	b = append(b, plan.AuthorizationCodeWOVersion, plan.PKCE, plan.Validate)
	return !valuesEqual(a, b)
}

func valuesEqual(a, b []attr.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

func (r *connectionResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config connectionResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}

	id, err := newID()
	if err != nil {
		resp.Diagnostics.AddError("Unable to Create OAuth2 Connection",
			"The provider could not generate a random identifier. Check the system's random source and apply again.\n\n"+errorCause(err))
		return
	}
	plan.ID = types.StringValue(id)

	resp.Diagnostics.Append(r.apply(ctx, &plan, &config, nil, nil, resp.Private)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(r.saveWriteOnlyFingerprints(ctx, &config, false, nil, resp.Private)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *connectionResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	// Read never calls the token endpoint: the connection lives only in
	// state, and a token request on every refresh would be noise at best
	// and a lockout at worst.
	//
	// resp.State starts as the prior state, which stays as it is once the
	// connection was applied: status is set then. Looking at status in the
	// raw value spares every refresh a decoding of the whole model.
	if applied(req.State.Raw) {
		return
	}
	var state connectionResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// After import only the id is known; the settings come from the
	// configuration on the next plan. Defaults are filled so that plan
	// shows only what the user configured differently.
	if state.Status.IsNull() {
		state.connectionSettingsModel.applyDefaults()
		if state.Validate.IsNull() {
			state.Validate = types.BoolValue(true)
		}
		if state.GrantedScopes.IsNull() {
			state.GrantedScopes = types.ListNull(types.StringType)
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// applied reports whether the state value of a connection has its status
// set, as every apply leaves it; after import it is null.
func applied(state tftypes.Value) bool {
	return rawSet(state, "status")
}

// writeOnlyAttributeNames are the connection's write-only attributes.
var writeOnlyAttributeNames = []string{"client_secret_wo", "password_wo", "refresh_token_wo", "authorization_code_wo"}

// rawSet reports whether any of the named top-level attributes of v is
// known and not null, or unknown (whose value may turn out set).
// rawEquals reports whether the string attribute name of v is want.
func rawEquals(v tftypes.Value, name, want string) bool {
	a, _, err := tftypes.WalkAttributePath(v, tftypes.NewAttributePath().WithAttributeName(name))
	if err != nil {
		return false
	}
	var s string
	av, ok := a.(tftypes.Value)
	return ok && av.IsKnown() && !av.IsNull() && av.As(&s) == nil && s == want
}

// rawString reads a top-level string attribute of v.
func rawString(v tftypes.Value, name string) types.String {
	a, _, err := tftypes.WalkAttributePath(v, tftypes.NewAttributePath().WithAttributeName(name))
	av, ok := a.(tftypes.Value)
	var s string
	switch {
	case err != nil || !ok || av.IsNull():
		return types.StringNull()
	case !av.IsKnown():
		return types.StringUnknown()
	case av.As(&s) != nil:
		return types.StringNull()
	}
	return types.StringValue(s)
}

func rawSet(v tftypes.Value, names ...string) bool {
	for _, name := range names {
		a, _, err := tftypes.WalkAttributePath(v, tftypes.NewAttributePath().WithAttributeName(name))
		if err != nil {
			continue
		}
		if av, ok := a.(tftypes.Value); ok && (!av.IsKnown() || !av.IsNull()) {
			return true
		}
	}
	return false
}

func (r *connectionResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, config, state connectionResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID = state.ID
	// apply sends the configured write-only values only when it validates.
	sent := validationInputsChanged(&state, &plan) || plan.Status.IsUnknown()

	resp.Diagnostics.Append(r.apply(ctx, &plan, &config, &state, req.Private, resp.Private)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(r.saveWriteOnlyFingerprints(ctx, &config, !sent, req.Private, resp.Private)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *connectionResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	// Outside state, only the connection's token store entry exists: its
	// refresh chain, or a link to the chain of its configured token.
	if r.data != nil {
		var state connectionResourceModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() {
			return
		}
		if keepsRefreshToken(oauthclient.GrantType(state.GrantType.ValueString())) && !state.ID.IsNull() {
			resp.Diagnostics.Append(r.revokeOwnRefreshToken(ctx, &state)...)
			if err := r.data.tokens.Forget(ctx, state.ID.ValueString()); err != nil {
				// The connection is gone either way; an entry left behind
				// is encrypted and named by a random id.
				resp.Diagnostics.AddWarning("Unable to Delete OAuth2 Token Store Entry",
					fmt.Sprintf("Connection %q was removed from state, but its tokens could not be deleted from the %s "+
						"token store. They stay encrypted there; revoke the grant at the authorization server if it "+
						"must end.\n\n%s", state.Label.ValueString(), r.data.backend, errorCause(err)))
			}
		}
	}
	tflog.Debug(ctx, "removed oauth2 connection from state")
}

// ImportState restores the id alone: every setting comes from the
// configuration at the next plan, and the next apply validates them, since
// nothing recorded says they were. The id names the connection's token store
// entry, so only the form newID gives is accepted.
func (r *connectionResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(importIDDiagnostics(req.ID)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}

// apply validates the connection described by plan (write-only values read
// from config) and fills the computed attributes of plan. prior is nil on
// create. It returns errors without touching state.
func (r *connectionResource) apply(ctx context.Context, plan, config, prior *connectionResourceModel, priorPrivate privateGetter, private privateSetter) diag.Diagnostics {
	var diags diag.Diagnostics
	if r.data == nil {
		diags.AddError("Unconfigured OAuth2 Provider",
			"The oauth2 provider was not configured before the connection was applied. This is a bug in the provider; please report it.")
		return diags
	}
	plan.connectionWriteOnlyModel.nullValues()
	plan.AuthorizationCodeWO = types.StringNull()
	if plan.RevocationEndpoint.IsUnknown() {
		// What the configuration and the preset name, without a request;
		// the paths below that fetch the issuer's metadata refine it.
		var offline *providerData
		_, eps, _ := offline.resolveSettings(ctx, plan.connectionSettingsModel, config.connectionSettingsModel)
		plan.RevocationEndpoint = stringOrNull(eps.RevocationURL)
	}

	ctx = tflog.SetField(ctx, "connection_id", plan.ID.ValueString())
	ctx = tflog.SetField(ctx, "token_url", oauthclient.RedactURL(plan.TokenURL.ValueString()))
	ctx = tflog.SetField(ctx, "grant_type", plan.GrantType.ValueString())

	if plan.GrantType.ValueString() == string(oauthclient.GrantAuthorizationCode) {
		plan.DeviceUserCode = types.StringNull()
		return r.applyAuthorizationCode(ctx, plan, config, prior, priorPrivate, private)
	}
	if plan.GrantType.ValueString() == grantDeviceCode {
		return r.applyDeviceCode(ctx, plan, config, prior)
	}
	plan.DeviceUserCode = types.StringNull()
	plan.AuthorizationRequestURL = types.StringNull()
	plan.ObtainedRefreshToken = types.StringNull()

	if !plan.Validate.ValueBool() {
		tflog.Debug(ctx, "validation disabled; no token requested")
		plan.Status = types.StringValue(statusUnvalidated)
		plan.setTokenOutputs(nil, oauthclient.Request{}, time.Time{})
		return diags
	}
	// An unknown status is a revalidation the plan found refused.
	if prior != nil && !validationInputsChanged(prior, plan) && prior.Status.ValueString() == statusValidated && !plan.Status.IsUnknown() {
		tflog.Debug(ctx, "validation inputs unchanged; keeping the previous result")
		plan.copyOutputs(prior)
		// Planned from state: a refresh token the server rotated while no
		// token store was configured stays until the next validation.
		plan.ObtainedRefreshToken = prior.ObtainedRefreshToken
		return diags
	}

	tokenReq, eps, d := r.data.connectionRequest(ctx, plan, config)
	diags.Append(d...)
	if diags.HasError() {
		return diags
	}
	plan.RevocationEndpoint = stringOrNull(eps.RevocationURL)
	ctx = maskSecrets(ctx, requestSecrets(tokenReq)...)
	tflog.Debug(ctx, "validating oauth2 connection")

	adopt := false
	if tokenReq.GrantType == oauthclient.GrantRefreshToken && r.data.tokens.Durable() {
		adopt, d = holdsConfiguredChain(ctx, priorPrivate, tokenReq.RefreshToken, r.data.tokens.Store().NameKey())
		diags.Append(d...)
	}
	res, err := r.data.tokens.Token(ctx, tokens.Request{
		Token:                tokenReq,
		Connection:           plan.ID.ValueString(),
		AdoptConnectionEntry: adopt,
		Label:                plan.Label.ValueString(),
	}, tokens.Policy{Fresh: true})
	if err != nil {
		addTokenError(&diags, "Unable to Validate OAuth2 Connection", fmt.Sprintf("connection %q", plan.Label.ValueString()),
			tokenReq.TokenURL, r.data.backend, err)
		return diags
	}
	// The chain lives under the lineage's own name now.
	diags.Append(private.SetKey(ctx, privateKeyRefreshTokenSeed, nil)...)
	tok := res.Token
	ctx = maskSecrets(ctx, tok.AccessToken, tok.RefreshToken, tok.IDToken)
	if res.RotationNotKept {
		// The server retired the configured refresh token, and no store
		// keeps its successor: state is the only place left.
		plan.ObtainedRefreshToken = types.StringValue(tok.RefreshToken)
		tflog.Warn(ctx, "the server rotated the configured refresh token")
		diags.AddWarning("OAuth2 Refresh Token Rotated",
			fmt.Sprintf("The token endpoint %s retired the configured refresh token of connection %q and issued a new "+
				"one (refresh token rotation, RFC 9700 §4.14.2), and the provider's token store is disabled. The next "+
				"validation would present the retired token and fail with invalid_grant. The new refresh token is in "+
				"the sensitive attribute obtained_refresh_token: configure it as refresh_token_wo (bumping "+
				"refresh_token_wo_version), or enable the token store (remove token_store.disabled or "+envTokenStoreDisabled+
				"), which keeps the newest refresh token for you.",
				oauthclient.RedactURL(plan.TokenURL.ValueString()), plan.Label.ValueString()))
	}
	tflog.Info(ctx, "oauth2 connection validated", map[string]any{
		"token_type":  tok.TokenType,
		"expires_in":  tok.ExpiresIn,
		"token_store": r.data.backend,
	})

	plan.Status = types.StringValue(statusValidated)
	plan.setTokenOutputs(tok, tokenReq, timeNow())
	return diags
}

// keepsRefreshToken reports whether a connection with grant has a token
// store entry: the refresh_token grant links to its chain, and the password
// and authorization_code grants may start one.
func keepsRefreshToken(grant oauthclient.GrantType) bool {
	switch grant {
	case oauthclient.GrantRefreshToken, oauthclient.GrantPassword, oauthclient.GrantAuthorizationCode, grantDeviceCode:
		return true
	}
	return false
}

// setTokenOutputs fills the computed validation outputs from tok, or nulls
// them when tok is nil. The access token is never kept.
func (m *connectionResourceModel) setTokenOutputs(tok *oauthclient.Token, req oauthclient.Request, now time.Time) {
	if tok == nil {
		m.ValidatedAt = types.StringNull()
		m.TokenType = types.StringNull()
		m.IssuedTokenType = types.StringNull()
		m.GrantedScopes = types.ListNull(types.StringType)
		m.ExpiresIn = types.Int64Null()
		return
	}
	m.ValidatedAt = types.StringValue(now.UTC().Format(time.RFC3339))
	m.TokenType = types.StringNull()
	if tok.TokenType != "" {
		m.TokenType = types.StringValue(tok.TokenType)
	}
	m.IssuedTokenType = types.StringNull()
	if tok.IssuedTokenType != "" {
		m.IssuedTokenType = types.StringValue(tok.IssuedTokenType)
	}
	m.GrantedScopes = stringList(grantedScopes(tok, req))
	m.ExpiresIn = types.Int64Null()
	if tok.ExpiryKnown() {
		m.ExpiresIn = types.Int64Value(tok.ExpiresIn)
	}
}

func (m *connectionResourceModel) copyOutputs(prior *connectionResourceModel) {
	m.Status = prior.Status
	m.ValidatedAt = prior.ValidatedAt
	m.TokenType = prior.TokenType
	m.IssuedTokenType = prior.IssuedTokenType
	m.RevocationEndpoint = prior.RevocationEndpoint
	m.DeviceUserCode = prior.DeviceUserCode
	m.GrantedScopes = prior.GrantedScopes
	m.ExpiresIn = prior.ExpiresIn
	if m.GrantedScopes.IsNull() || m.GrantedScopes.IsUnknown() {
		m.GrantedScopes = types.ListNull(types.StringType)
	}
	if m.AuthorizationRequestURL.IsUnknown() {
		m.AuthorizationRequestURL = types.StringNull()
	}
	if m.ObtainedRefreshToken.IsUnknown() {
		m.ObtainedRefreshToken = types.StringNull()
	}
}

func stringList(values []string) types.List {
	elems := make([]attr.Value, len(values))
	for i, v := range values {
		elems[i] = types.StringValue(v)
	}
	return types.ListValueMust(types.StringType, elems)
}

// newID returns a random RFC 4122 version 4 UUID.
func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// timeNow is replaced in tests.
var timeNow = time.Now
