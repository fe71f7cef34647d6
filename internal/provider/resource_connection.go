package provider

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
)

// Values of the status attribute of oauth2_connection.
const (
	statusValidated            = "validated"
	statusUnvalidated          = "unvalidated"
	statusPendingAuthorization = "pending_authorization"
	statusAuthorized           = "authorized"
)

// privateKeyAuthorization is the private state key holding the pending
// authorization request; see pendingAuthorization. Private state is never
// shown in plan output or attributes, but it is saved in the state file.
const privateKeyAuthorization = "authorization_request"

// Sources of the PKCE code verifier of a pending authorization request, as
// recorded in pendingAuthorization.VerifierSource.
const (
	// verifierFromClientSecret: derived from the client secret.
	verifierFromClientSecret = "client_secret"
	// verifierFromTokenStore: derived from the token store's name key.
	verifierFromTokenStore = "token_store"
	// verifierStored: random and kept in private state, for a public client
	// without a token store, which has no secret to derive it from.
	verifierStored = "stored"
)

// pkceVerifierDomain separates the code verifier HMAC from every other HMAC
// under the same key: the token store's name key also names entries and
// refresh token seeds.
const pkceVerifierDomain = "oauth2 pkce verifier v1"

// privateKeyRefreshTokenSeed is the private state key recording which
// configured refresh token the connection's token store entry descends
// from; see refreshTokenSeedRecord.
const privateKeyRefreshTokenSeed = "refresh_token_seed"

var (
	_ resource.Resource                     = (*connectionResource)(nil)
	_ resource.ResourceWithConfigure        = (*connectionResource)(nil)
	_ resource.ResourceWithConfigValidators = (*connectionResource)(nil)
	_ resource.ResourceWithImportState      = (*connectionResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*connectionResource)(nil)
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

	Status                  types.String `tfsdk:"status"`
	ValidatedAt             types.String `tfsdk:"validated_at"`
	TokenType               types.String `tfsdk:"token_type"`
	GrantedScopes           types.List   `tfsdk:"granted_scopes"`
	ExpiresIn               types.Int64  `tfsdk:"expires_in"`
	AuthorizationRequestURL types.String `tfsdk:"authorization_request_url"`
	ObtainedRefreshToken    types.String `tfsdk:"obtained_refresh_token"`
}

// pendingAuthorization is kept in private state between the two applies of
// the authorization code flow. Private state goes into the state file, so the
// PKCE code verifier is derived again at the exchange (see pkceVerifier)
// rather than kept, unless there is no secret to derive it from. The state
// value is kept: it is no secret, being part of the URL the user opens.
type pendingAuthorization struct {
	State string `json:"state"`
	// VerifierSource is one of the verifier* constants; empty without PKCE.
	VerifierSource string `json:"verifier_source,omitempty"`
	// CodeVerifier is set only when VerifierSource is verifierStored.
	CodeVerifier string `json:"code_verifier,omitempty"`
}

// pkceVerifier derives the PKCE code verifier of the authorization request
// carrying state (RFC 7636 §4.1) from key: the HMAC-SHA256 of a domain
// separator and state, base64url-encoded without padding to 43 characters
// of the unreserved set. key is the client secret or, for a public client,
// the token store's name key (entryNameKey).
//
// Deriving it means the verifier need not be kept between the two applies,
// so it never reaches the state file. RFC 7636 §7.1 asks only that an
// attacker cannot guess the verifier; an HMAC under a key the attacker lacks
// is as unguessable as 32 random octets, even to one who sees state in the
// authorization request URL, and a fresh state gives every request its own
// verifier. A client_secret kept in state gives the verifier away to whoever
// reads the state, as it gives away the client itself; client_secret_wo
// keeps both out.
func pkceVerifier(key []byte, state string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(pkceVerifierDomain))
	mac.Write([]byte{0})
	mac.Write([]byte(state))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// refreshTokenSeedRecord is kept in private state by a refresh_token
// connection validated through a token store. Its HMAC names the configured
// refresh token that the newest stored one descends from.
//
// A server that rotates refresh tokens retires the configured one on its
// first use, so later validations present the stored successor instead. Yet
// when the user configures a new refresh token, the chain must start over
// from that one. The record tells the two apart:
//
//   - It is compared by value, not by refresh_token_wo_version: a changed
//     refresh_token has no version, and a version bumped over the same token
//     (say, after a failed apply) must not start over from a token the
//     server already retired, which a server with reuse detection answers
//     by revoking the whole grant (RFC 9700 §4.14.2).
//   - It lives in private state, not in the entry: the entry is rewritten by
//     every oauth2_access_token that refreshes through connection_id, which
//     knows nothing of the configured token, while private state is written
//     only by this resource and goes wherever its state goes.
//   - It holds an HMAC keyed from the store's key (refreshTokenSeed), never
//     the token, because state files are read by more people than the store.
type refreshTokenSeedRecord struct {
	HMAC string `json:"hmac"`
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
		MarkdownDescription: "Protect the `authorization_code` grant with PKCE S256 (RFC 7636). Defaults to `true`. " +
			"The code verifier is not stored: it is derived from the client secret (`client_secret` or " +
			"`client_secret_wo`) and the request's `state`, and derived again when the code is exchanged, so the " +
			"client secret must stay the same between the two applies. A public client (no client secret) derives " +
			"it from the key of the provider `token_store` instead, which must likewise stay the same. A public " +
			"client without a `token_store` has nothing to derive it from: its verifier is then kept in the " +
			"resource's private state, which is saved in the state file until the code is exchanged; configure a " +
			"`token_store` for public clients.",
		Optional: true,
		Computed: true,
		Default:  booldefault.StaticBool(true),
	}
	attrs["validate"] = schema.BoolAttribute{
		MarkdownDescription: "Request a token at apply time to prove the credentials work. Defaults to `true`.",
		Optional:            true,
		Computed:            true,
		Default:             booldefault.StaticBool(true),
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
		MarkdownDescription: "The newest refresh token of a provider without a `token_store`. For the " +
			"`authorization_code` grant: the refresh token the server issued with the code exchange, for use with " +
			"the `refresh_token` grant. For the `refresh_token` grant: the new refresh token a server that rotates " +
			"refresh tokens (RFC 9700 §4.14.2) issued at validation, when it retired the configured one; the apply " +
			"then warns, and this value must be configured as the refresh token before the connection is validated " +
			"again. Null otherwise, and always null when the provider has a `token_store`: the newest refresh token " +
			"is kept there instead, and an `oauth2_access_token` with `connection_id` set to this connection's `id` " +
			"uses it.",
		Computed:      true,
		Sensitive:     true,
		PlanModifiers: validationOutput,
	}

	resp.Schema = schema.Schema{
		MarkdownDescription: "An OAuth 2.0 client connection. Create and update prove the credentials work by " +
			"requesting a token from `token_url`; the apply fails, and nothing is saved, when the server refuses. " +
			"The access token itself is never stored. For the `authorization_code` grant the first apply produces " +
			"`authorization_request_url`; a second apply with `authorization_code_wo` exchanges the code. With a " +
			"provider `token_store`, a connection whose grant uses or yields a refresh token keeps the newest one in " +
			"the store, where an `oauth2_access_token` with `connection_id` finds it.",
		Attributes: attrs,
	}
}

// refreshTokenRotationNote explains, in the descriptions of refresh_token
// and refresh_token_wo, what validation does with a refresh token that the
// server rotates.
const refreshTokenRotationNote = " Validation presents it, and a server that rotates refresh tokens (RFC 9700 " +
	"§4.14.2) then retires it. With a provider `token_store` the connection keeps the newest refresh token in the " +
	"store and presents that one at later validations, starting over from the configured one only when a " +
	"different refresh token is configured; an `oauth2_access_token` with `connection_id` refreshes from the same " +
	"entry. Without a store, the apply warns and the new refresh token is kept in `obtained_refresh_token`."

// connectionValidator holds the rules of oauth2_connection, built once.
var connectionValidator = settingsValidator{rules: append(connectionRules(true),
	writeOnlyConflicts("client_secret", "password", "refresh_token")...)}

func (r *connectionResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{connectionValidator}
}

func (r *connectionResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, "resource", &resp.Diagnostics)
}

// ModifyPlan marks the validation outputs unknown when a setting that
// affects validation changes; otherwise UseStateForUnknown keeps them.
func (r *connectionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	// A plan equal to the state (every refresh of an unchanged
	// configuration) changes no validation input; comparing the raw values
	// spares decoding both models.
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || req.Plan.Raw.Equal(req.State.Raw) {
		return
	}
	var plan, state connectionResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !validationInputsChanged(&state, &plan) {
		return
	}
	for _, name := range []string{"status", "validated_at", "token_type", "authorization_request_url", "obtained_refresh_token"} {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(name), types.StringUnknown())...)
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("granted_scopes"), types.ListUnknown(types.StringType))...)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("expires_in"), types.Int64Unknown())...)
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
			"The provider could not generate a random identifier. Check the system's random source and apply again.\n\nError: "+err.Error())
		return
	}
	plan.ID = types.StringValue(id)

	resp.Diagnostics.Append(r.apply(ctx, &plan, &config, nil, nil, resp.Private)...)
	if resp.Diagnostics.HasError() {
		return
	}
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
		if state.PKCE.IsNull() {
			state.PKCE = types.BoolValue(true)
		}
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
	v, _, err := tftypes.WalkAttributePath(state, tftypes.NewAttributePath().WithAttributeName("status"))
	status, ok := v.(tftypes.Value)
	return err == nil && ok && status.IsKnown() && !status.IsNull()
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

	resp.Diagnostics.Append(r.apply(ctx, &plan, &config, &state, req.Private, resp.Private)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *connectionResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	// Outside state, only the token store entry of a connection whose grant
	// keeps a refresh token exists.
	if r.data != nil && r.data.store != nil {
		var state connectionResourceModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() {
			return
		}
		if keepsRefreshToken(oauthclient.GrantType(state.GrantType.ValueString())) && !state.ID.IsNull() {
			store := r.data.store
			if err := store.Delete(ctx, connectionEntryKey(state.ID.ValueString())); err != nil {
				// The connection is gone either way; an entry left behind
				// is encrypted and named by a random id.
				resp.Diagnostics.AddWarning("Unable to Delete OAuth2 Token Store Entry",
					fmt.Sprintf("Connection %q was removed from state, but its tokens could not be deleted from the %s "+
						"token store. They stay encrypted there; revoke the grant at the authorization server if it "+
						"must end.\n\nError: %s", state.Label.ValueString(), store.backend, err))
			}
		}
	}
	tflog.Debug(ctx, "removed oauth2 connection from state")
}

func (r *connectionResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
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

	ctx = tflog.SetField(ctx, "connection_id", plan.ID.ValueString())
	ctx = tflog.SetField(ctx, "token_url", oauthclient.RedactURL(plan.TokenURL.ValueString()))
	ctx = tflog.SetField(ctx, "grant_type", plan.GrantType.ValueString())

	if plan.GrantType.ValueString() == string(oauthclient.GrantAuthorizationCode) {
		return r.applyAuthorizationCode(ctx, plan, config, prior, priorPrivate, private)
	}
	plan.AuthorizationRequestURL = types.StringNull()
	plan.ObtainedRefreshToken = types.StringNull()

	if !plan.Validate.ValueBool() {
		tflog.Debug(ctx, "validation disabled; no token requested")
		plan.Status = types.StringValue(statusUnvalidated)
		plan.setTokenOutputs(nil, oauthclient.Request{}, time.Time{})
		return diags
	}
	if prior != nil && !validationInputsChanged(prior, plan) && prior.Status.ValueString() == statusValidated {
		tflog.Debug(ctx, "validation inputs unchanged; keeping the previous result")
		plan.copyOutputs(prior)
		// Planned from state: a refresh token the server rotated while no
		// token store was configured stays until the next validation.
		plan.ObtainedRefreshToken = prior.ObtainedRefreshToken
		return diags
	}

	tokenReq, d := plan.connectionSettingsModel.tokenRequest(ctx, config.connectionWriteOnlyModel)
	diags.Append(d...)
	if diags.HasError() {
		return diags
	}
	ctx = maskSecrets(ctx, requestSecrets(tokenReq)...)
	tflog.Debug(ctx, "validating oauth2 connection")

	var tok *oauthclient.Token
	switch store := r.data.store; {
	case store != nil && tokenReq.GrantType == oauthclient.GrantRefreshToken:
		tok = r.refreshThroughStore(ctx, plan, tokenReq, priorPrivate, private, &diags)
		if diags.HasError() {
			return diags
		}
		ctx = maskSecrets(ctx, tok.AccessToken, tok.RefreshToken, tok.IDToken)
	default:
		var err error
		tok, err = r.data.client.Exchange(ctx, tokenReq)
		if err != nil {
			diags.AddError("Unable to Validate OAuth2 Connection", validationErrorDetail(fmt.Sprintf("connection %q", plan.Label.ValueString()), plan.TokenURL.ValueString(), "Nothing was saved.", err))
			return diags
		}
		ctx = maskSecrets(ctx, tok.AccessToken, tok.RefreshToken, tok.IDToken)
		switch {
		case store != nil && keepsRefreshToken(tokenReq.GrantType) && tok.RefreshToken != "":
			// A password grant that yields a refresh token starts a new
			// grant: its tokens replace whatever the entry held, so that
			// an oauth2_access_token with connection_id refreshes from it.
			entry := entryFromToken(tok, tokenReq, r.data.now())
			_, err := store.Update(ctx, connectionEntryKey(plan.ID.ValueString()), func(context.Context, *tokenstore.Entry) (*tokenstore.Entry, error) {
				return entry, nil
			})
			if err != nil {
				diags.AddError("Unable to Save OAuth2 Token",
					fmt.Sprintf("Connection %q was validated, but the %s token store could not save the refresh token "+
						"the server issued with it, so nothing was saved. Check that the token store is reachable and "+
						"writable, then apply again.\n\nError: %s", plan.Label.ValueString(), store.backend, err))
				return diags
			}
			tflog.Info(ctx, "oauth2 tokens saved in the token store", map[string]any{"token_store": store.backend})
		case store == nil && tok.RefreshTokenRotated:
			// The server retired the configured refresh token. Without a
			// store the only place its successor can be kept is state.
			plan.ObtainedRefreshToken = types.StringValue(tok.RefreshToken)
			tflog.Warn(ctx, "the server rotated the configured refresh token")
			diags.AddWarning("OAuth2 Refresh Token Rotated",
				fmt.Sprintf("The token endpoint %s retired the configured refresh token of connection %q when it was "+
					"presented, and issued a new one (refresh token rotation, RFC 9700 §4.14.2). The next validation "+
					"of this connection would present the retired token again: it would fail with invalid_grant, and "+
					"the server may then revoke every token of the grant. The new refresh token is kept in the "+
					"sensitive attribute obtained_refresh_token; configure it as refresh_token_wo (bumping "+
					"refresh_token_wo_version) or refresh_token before a setting that affects validation changes. "+
					"A provider token_store avoids this: the connection then keeps its newest refresh token there and "+
					"presents it on every validation.", oauthclient.RedactURL(plan.TokenURL.ValueString()), plan.Label.ValueString()))
		}
	}
	tflog.Info(ctx, "oauth2 connection validated", map[string]any{"token_type": tok.TokenType, "expires_in": tok.ExpiresIn})

	plan.Status = types.StringValue(statusValidated)
	plan.setTokenOutputs(tok, tokenReq, timeNow())
	return diags
}

// keepsRefreshToken reports whether a connection with grant keeps its newest
// refresh token in the provider's token store: the refresh_token grant uses
// one, and the password and authorization_code grants may yield one.
func keepsRefreshToken(grant oauthclient.GrantType) bool {
	switch grant {
	case oauthclient.GrantRefreshToken, oauthclient.GrantPassword, oauthclient.GrantAuthorizationCode:
		return true
	}
	return false
}

// refreshThroughStore validates a refresh_token connection through the
// token store, under the lock of the connection's entry: it presents the
// newest stored refresh token, unless the configured one is new (see
// refreshTokenSeedRecord), and saves what the server answered, a rotated
// refresh token included, before the apply goes on. Problems are added to
// diags, and then no token is returned.
func (r *connectionResource) refreshThroughStore(ctx context.Context, plan *connectionResourceModel, tokenReq oauthclient.Request, priorPrivate privateGetter, private privateSetter, diags *diag.Diagnostics) *oauthclient.Token {
	store := r.data.store
	label := plan.Label.ValueString()
	seed := refreshTokenSeed(tokenReq.RefreshToken, store.nameKey)
	recorded, d := recordedRefreshTokenSeed(ctx, priorPrivate)
	diags.Append(d...)
	if diags.HasError() {
		return nil
	}

	var (
		tok             *oauthclient.Token
		requests        int
		presentedStored bool
	)
	_, err := store.Update(ctx, connectionEntryKey(plan.ID.ValueString()), func(ctx context.Context, current *tokenstore.Entry) (*tokenstore.Entry, error) {
		// A store may run this more than once; each run decides afresh.
		tok, presentedStored = nil, false
		req := tokenReq
		if current != nil && current.RefreshToken != "" && (recorded == "" || recorded == seed) {
			ctx = maskSecrets(ctx, current.AccessToken, current.RefreshToken, current.IDToken)
			req.AlsoRedact = append(req.AlsoRedact, req.RefreshToken)
			req.RefreshToken = current.RefreshToken
			presentedStored = req.RefreshToken != tokenReq.RefreshToken
		}
		tflog.Debug(ctx, "refreshing oauth2 connection through the token store", map[string]any{
			"stored_refresh_token": presentedStored,
			"token_store":          store.backend,
		})
		requests++
		t, err := r.data.client.Exchange(ctx, req)
		if err != nil && presentedStored && recorded == "" && isInvalidGrant(err) {
			// Nothing says where the stored chain came from (the
			// connection was imported, or last applied by an older
			// provider), and the server refused it: the configured
			// token may be a new one, so it gets its chance.
			tflog.Warn(ctx, "stored refresh token refused; presenting the configured one")
			req, presentedStored = tokenReq, false
			requests++
			t, err = r.data.client.Exchange(ctx, req)
		}
		if err != nil {
			return nil, &exchangeError{err}
		}
		tok = t
		return entryFromToken(t, req, r.data.now()), nil
	})

	var xe *exchangeError
	switch {
	case errors.As(err, &xe):
		consequence := "Nothing was saved."
		if presentedStored {
			consequence += " The refresh token presented was the newest one this connection keeps in the token " +
				"store, the successor of the configured one. If the server revoked the grant, configure a new " +
				"refresh token (a changed refresh_token, or refresh_token_wo with a bumped refresh_token_wo_version) " +
				"and apply again to start over from it."
		}
		diags.AddError("Unable to Validate OAuth2 Connection",
			validationErrorDetail(fmt.Sprintf("connection %q", label), plan.TokenURL.ValueString(), consequence, xe.err))
		return nil
	case err != nil && requests > 0:
		diags.AddError("Unable to Save OAuth2 Token",
			fmt.Sprintf("The token endpoint %s issued a token for connection %q, but the %s token store could not save "+
				"the refresh token that came with it, so the apply stops and nothing was saved. Check that the token "+
				"store is reachable and writable, then apply again. If the server rotates refresh tokens, the one just "+
				"presented is now retired and its successor is lost: configure a new refresh token (a changed "+
				"refresh_token, or refresh_token_wo with a bumped refresh_token_wo_version) as well.\n\nError: %s",
				oauthclient.RedactURL(plan.TokenURL.ValueString()), label, store.backend, err))
		return nil
	case err != nil:
		diags.AddError("Unable to Read OAuth2 Token Store",
			fmt.Sprintf("The %s token store could not be read or locked, so connection %q was not validated and nothing "+
				"was saved. Check that the store is reachable and that its key is the one the entries were written "+
				"with, then apply again.\n\nError: %s", store.backend, label, err))
		return nil
	case tok == nil:
		diags.AddError("Unable to Validate OAuth2 Connection",
			"The token store saved an entry without a token request having succeeded. This is a bug in the provider; please report it.")
		return nil
	}

	raw, err := json.Marshal(refreshTokenSeedRecord{HMAC: seed})
	if err != nil {
		diags.AddError("Unable to Save OAuth2 Refresh Token Record",
			"The record of the configured refresh token could not be encoded. This is a bug in the provider; please report it.\n\nError: "+err.Error())
		return nil
	}
	diags.Append(private.SetKey(ctx, privateKeyRefreshTokenSeed, raw)...)
	if diags.HasError() {
		return nil
	}
	tflog.Info(ctx, "oauth2 refresh token saved in the token store", map[string]any{
		"token_store": store.backend,
		"rotated":     tok.RefreshTokenRotated,
		"requests":    requests,
	})
	return tok
}

// recordedRefreshTokenSeed returns the seed HMAC kept in private state, or
// "" when there is none: on create, after import, and for state written
// before the record existed.
func recordedRefreshTokenSeed(ctx context.Context, priorPrivate privateGetter) (string, diag.Diagnostics) {
	if priorPrivate == nil {
		return "", nil
	}
	raw, diags := priorPrivate.GetKey(ctx, privateKeyRefreshTokenSeed)
	if diags.HasError() || len(raw) == 0 {
		return "", diags
	}
	var rec refreshTokenSeedRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		diags.AddError("Unable to Read OAuth2 Refresh Token Record",
			"The record of the configured refresh token this connection's stored one descends from is unreadable. "+
				"This is a bug in the provider; please report it.\n\nError: "+err.Error())
		return "", diags
	}
	return rec.HMAC, diags
}

// isInvalidGrant reports whether the server refused the grant itself (RFC
// 6749 §5.2): for a refresh token, one it does not know, retired or revoked.
func isInvalidGrant(err error) bool {
	var oe *oauthclient.Error
	return errors.As(err, &oe) && oe.Code == "invalid_grant"
}

// applyAuthorizationCode runs the two steps of the authorization code grant
// (RFC 6749 §4.1): without a code it publishes the authorization request
// URL; with a new code it exchanges it, with the PKCE verifier of the
// pending request.
func (r *connectionResource) applyAuthorizationCode(ctx context.Context, plan, config, prior *connectionResourceModel, priorPrivate privateGetter, private privateSetter) diag.Diagnostics {
	var diags diag.Diagnostics

	pending, d := readPendingAuthorization(ctx, priorPrivate)
	diags.Append(d...)
	if diags.HasError() {
		return diags
	}
	clientSecret := firstSet(plan.ClientSecret, config.ClientSecretWO)

	codeGiven := !config.AuthorizationCodeWO.IsNull() && config.AuthorizationCodeWO.ValueString() != ""
	codeIsNew := codeGiven && (prior == nil || !prior.AuthorizationCodeWOVersion.Equal(plan.AuthorizationCodeWOVersion))

	switch {
	case codeIsNew:
		if pending == nil && plan.PKCE.ValueBool() {
			diags.AddAttributeError(path.Root("authorization_code_wo"), "Unable to Exchange OAuth2 Authorization Code",
				fmt.Sprintf("Connection %q has no pending authorization request, so the PKCE verifier matching this code is unknown. "+
					"Apply once without authorization_code_wo, open authorization_request_url, then set authorization_code_wo "+
					"and bump authorization_code_wo_version.", plan.Label.ValueString()))
			return diags
		}
		tokenReq, d := plan.connectionSettingsModel.tokenRequest(ctx, config.connectionWriteOnlyModel)
		diags.Append(d...)
		if diags.HasError() {
			return diags
		}
		tokenReq.Code = config.AuthorizationCodeWO.ValueString()
		// The scope was granted in the authorization request; the access
		// token request carries none (RFC 6749 §4.1.3).
		requested := tokenReq
		tokenReq.Scopes = nil
		var invalidGrantNote string
		if pending != nil && plan.PKCE.ValueBool() {
			verifier, ok := r.codeVerifier(pending, clientSecret)
			if !ok {
				diags.AddAttributeError(path.Root("authorization_code_wo"), "Unable to Exchange OAuth2 Authorization Code",
					fmt.Sprintf("The PKCE verifier of the pending authorization request of connection %q is derived from %s, "+
						"which is no longer configured, so the code cannot be exchanged and nothing was saved. Configure it as "+
						"it was when authorization_request_url was created and apply again, or start over: remove "+
						"authorization_code_wo, replace the connection (apply with -replace), open the new "+
						"authorization_request_url and give its code.", plan.Label.ValueString(), verifierSourceName(pending.VerifierSource)))
				return diags
			}
			tokenReq.CodeVerifier = verifier
			if pending.VerifierSource != verifierStored {
				invalidGrantNote = fmt.Sprintf("The PKCE verifier is derived from %s, which must be the same as when "+
					"authorization_request_url was created; if it changed since, remove authorization_code_wo and replace "+
					"the connection (apply with -replace) to start a new authorization request.",
					verifierSourceName(pending.VerifierSource))
			}
		}
		ctx = maskSecrets(ctx, requestSecrets(tokenReq)...)
		tflog.Debug(ctx, "exchanging oauth2 authorization code", map[string]any{"verifier_source": verifierSource(pending)})

		tok, err := r.data.client.Exchange(ctx, tokenReq)
		if err != nil {
			var notes []string
			if invalidGrantNote != "" && isInvalidGrant(err) {
				notes = append(notes, invalidGrantNote)
			}
			diags.AddError("Unable to Validate OAuth2 Connection", validationErrorDetail(fmt.Sprintf("connection %q", plan.Label.ValueString()), plan.TokenURL.ValueString(), "Nothing was saved.", err, notes...))
			return diags
		}
		ctx = maskSecrets(ctx, tok.AccessToken, tok.RefreshToken, tok.IDToken)
		tflog.Info(ctx, "oauth2 authorization code exchanged", map[string]any{"token_type": tok.TokenType, "expires_in": tok.ExpiresIn})

		plan.Status = types.StringValue(statusAuthorized)
		plan.setTokenOutputs(tok, requested, timeNow())
		plan.ObtainedRefreshToken = types.StringNull()
		if store := r.data.store; store != nil {
			// The tokens go to the store, named by the connection's id;
			// state keeps only that id. A code exchange starts a new grant,
			// so whatever the entry held before is replaced.
			entry := entryFromToken(tok, requested, r.data.now())
			_, err := store.Update(ctx, connectionEntryKey(plan.ID.ValueString()), func(context.Context, *tokenstore.Entry) (*tokenstore.Entry, error) {
				return entry, nil
			})
			if err != nil {
				diags.AddError("Unable to Save OAuth2 Token",
					fmt.Sprintf("The authorization code of connection %q was exchanged, but the %s token store could not "+
						"save the tokens, so nothing was saved. The code is spent: open authorization_request_url again, "+
						"then give the new code in authorization_code_wo and bump authorization_code_wo_version once the "+
						"token store is reachable and writable.\n\nError: %s", plan.Label.ValueString(), store.backend, err))
				return diags
			}
			tflog.Info(ctx, "oauth2 tokens saved in the token store", map[string]any{"token_store": store.backend})
		} else if tok.RefreshToken != "" {
			plan.ObtainedRefreshToken = types.StringValue(tok.RefreshToken)
		}
		plan.AuthorizationRequestURL = types.StringNull()
		if prior != nil {
			plan.AuthorizationRequestURL = prior.AuthorizationRequestURL
		}
		// The request is spent with the code.
		diags.Append(private.SetKey(ctx, privateKeyAuthorization, nil)...)
		return diags

	case prior != nil && prior.Status.ValueString() == statusAuthorized:
		// The code is single-use; an authorized connection keeps its result
		// until a new code is given.
		plan.copyOutputs(prior)
		plan.AuthorizationRequestURL = prior.AuthorizationRequestURL
		plan.ObtainedRefreshToken = prior.ObtainedRefreshToken
		return diags
	}

	// Waiting for a code: publish the authorization request URL, with a
	// fresh state and verifier when the request itself changed.
	var authURL string
	if pending == nil || prior == nil || validationInputsChanged(prior, plan) {
		pending = &pendingAuthorization{State: oauthclient.NewState()}
		if plan.PKCE.ValueBool() {
			pending.VerifierSource = verifierStored
			for _, source := range []string{verifierFromClientSecret, verifierFromTokenStore} {
				if r.pkceVerifierKey(source, clientSecret) != nil {
					pending.VerifierSource = source
					break
				}
			}
			if pending.VerifierSource == verifierStored {
				pending.CodeVerifier = oauthclient.NewCodeVerifier()
			}
		}
	} else if !prior.AuthorizationRequestURL.IsNull() && !prior.AuthorizationRequestURL.IsUnknown() {
		// The request is unchanged, and so is its URL, which the user may
		// have opened already. The verifier is not derived again here: a
		// key replaced meanwhile (client_secret_wo without a version bump)
		// would change the URL; the exchange reports that case instead.
		authURL = prior.AuthorizationRequestURL.ValueString()
	}
	if authURL == "" {
		verifier, ok := r.codeVerifier(pending, clientSecret)
		if !ok {
			diags.AddError("Unable to Build OAuth2 Authorization Request",
				fmt.Sprintf("The PKCE verifier of the pending authorization request of connection %q is derived from %s, "+
					"which is no longer configured. Configure it as it was, or replace the connection (apply with -replace) "+
					"to start a new authorization request.", plan.Label.ValueString(), verifierSourceName(pending.VerifierSource)))
			return diags
		}
		authReq, d := plan.connectionSettingsModel.authCodeRequest(ctx, pending.State, verifier)
		diags.Append(d...)
		if diags.HasError() {
			return diags
		}
		var err error
		authURL, err = oauthclient.AuthCodeURL(authReq)
		if err != nil {
			diags.AddAttributeError(path.Root("authorization_url"), "Unable to Build OAuth2 Authorization Request",
				fmt.Sprintf("The authorization request URL of connection %q could not be built. Check authorization_url, "+
					"redirect_uri and extra_params.\n\nError: %s", plan.Label.ValueString(), err))
			return diags
		}
	}
	raw, err := json.Marshal(pending)
	if err != nil {
		diags.AddError("Unable to Save OAuth2 Authorization Request",
			"The pending authorization request could not be encoded. This is a bug in the provider; please report it.\n\nError: "+err.Error())
		return diags
	}
	diags.Append(private.SetKey(ctx, privateKeyAuthorization, raw)...)
	if diags.HasError() {
		return diags
	}
	tflog.Info(ctx, "oauth2 connection waits for an authorization code", map[string]any{"verifier_source": verifierSource(pending)})

	plan.Status = types.StringValue(statusPendingAuthorization)
	plan.AuthorizationRequestURL = types.StringValue(authURL)
	plan.ObtainedRefreshToken = types.StringNull()
	plan.setTokenOutputs(nil, oauthclient.Request{}, time.Time{})
	return diags
}

// readPendingAuthorization returns the pending authorization request kept in
// private state, or nil when there is none.
func readPendingAuthorization(ctx context.Context, priorPrivate privateGetter) (*pendingAuthorization, diag.Diagnostics) {
	if priorPrivate == nil {
		return nil, nil
	}
	raw, diags := priorPrivate.GetKey(ctx, privateKeyAuthorization)
	if diags.HasError() || len(raw) == 0 {
		return nil, diags
	}
	pending := &pendingAuthorization{}
	if err := json.Unmarshal(raw, pending); err != nil {
		diags.AddError("Unable to Read OAuth2 Authorization Request",
			"The stored authorization request of this connection is unreadable. This is a bug in the provider; "+
				"please report it. Recreating the connection starts a new authorization.\n\nError: "+err.Error())
		return nil, diags
	}
	if pending.VerifierSource == "" && pending.CodeVerifier != "" {
		// Written before verifiers were derived.
		pending.VerifierSource = verifierStored
	}
	return pending, diags
}

// pkceVerifierKey returns the key that verifiers of source are derived from
// (see pkceVerifier), or nil when it is not at hand: no client secret, or no
// token store whose encryption key could be read.
func (r *connectionResource) pkceVerifierKey(source, clientSecret string) []byte {
	switch source {
	case verifierFromClientSecret:
		if clientSecret != "" {
			return []byte(clientSecret)
		}
	case verifierFromTokenStore:
		if s := r.data.store; s != nil && secretNameKey(s.nameKey) {
			return s.nameKey
		}
	}
	return nil
}

// codeVerifier returns the PKCE code verifier of pending: "" without PKCE,
// the kept one, or the one derived again from its source. It reports false
// when that source's key is not at hand.
func (r *connectionResource) codeVerifier(pending *pendingAuthorization, clientSecret string) (string, bool) {
	switch pending.VerifierSource {
	case "":
		return "", true
	case verifierStored:
		return pending.CodeVerifier, pending.CodeVerifier != ""
	}
	key := r.pkceVerifierKey(pending.VerifierSource, clientSecret)
	if key == nil {
		return "", false
	}
	return pkceVerifier(key, pending.State), true
}

// verifierSource names the verifier source of pending for logs.
func verifierSource(pending *pendingAuthorization) string {
	if pending == nil || pending.VerifierSource == "" {
		return "none"
	}
	return pending.VerifierSource
}

// verifierSourceName says in a diagnostic where a derived verifier comes
// from, naming no secret.
func verifierSourceName(source string) string {
	if source == verifierFromTokenStore {
		return "the encryption key of the provider's token_store"
	}
	return "the client secret (client_secret or client_secret_wo)"
}

// setTokenOutputs fills the computed validation outputs from tok, or nulls
// them when tok is nil. The access token is never kept.
func (m *connectionResourceModel) setTokenOutputs(tok *oauthclient.Token, req oauthclient.Request, now time.Time) {
	if tok == nil {
		m.ValidatedAt = types.StringNull()
		m.TokenType = types.StringNull()
		m.GrantedScopes = types.ListNull(types.StringType)
		m.ExpiresIn = types.Int64Null()
		return
	}
	m.ValidatedAt = types.StringValue(now.UTC().Format(time.RFC3339))
	m.TokenType = types.StringNull()
	if tok.TokenType != "" {
		m.TokenType = types.StringValue(tok.TokenType)
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

// validationErrorDetail explains a failed token request: which connection,
// which endpoint (through oauthclient.RedactURL), what the server said and
// what to check.
// subject names what asked, such as `connection "CRM"`; consequence, when
// set, is a sentence saying what did not happen; notes are sentences added
// after the hint, before the error.
func validationErrorDetail(subject, tokenURL, consequence string, err error, notes ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The token endpoint %s did not issue a token for %s.", oauthclient.RedactURL(tokenURL), subject)
	if consequence != "" {
		b.WriteString(" " + consequence)
	}
	var oe *oauthclient.Error
	if errors.As(err, &oe) {
		switch {
		case oe.Code != "":
			fmt.Fprintf(&b, " The server answered with status %d and error %q", oe.StatusCode, oe.Code)
			if d := strings.TrimRight(oe.Description, ". "); d != "" {
				fmt.Fprintf(&b, ": %s", d)
			}
			b.WriteString(".")
			b.WriteString(" " + errorHint(oe.Code))
		case oe.Reason != "":
			fmt.Fprintf(&b, " %s.", upperFirst(strings.TrimSuffix(oe.Reason, ".")))
			b.WriteString(" Check that token_url points at the token endpoint itself, not a login page or API base URL.")
		}
	} else {
		b.WriteString(" Check that token_url is right and reachable from where Terraform runs, and that request_timeout and max_retries suit the network.")
	}
	for _, n := range notes {
		b.WriteString(" " + n)
	}
	b.WriteString("\n\nError: " + err.Error())
	return b.String()
}

// errorHint says what to check for each RFC 6749 §5.2 error code.
func errorHint(code string) string {
	switch code {
	case "invalid_client":
		return "Check client_id and the client secret, and whether the server expects client_auth = \"basic\" or \"post\"."
	case "invalid_grant":
		return "Check the username and password, the refresh token, or the authorization code: codes are single-use and expire within minutes."
	case "invalid_scope":
		return "Check scopes and scope_delimiter against the scopes this client may request."
	case "unauthorized_client":
		return "The client is not allowed to use this grant_type; enable it for the client or choose another grant."
	case "unsupported_grant_type":
		return "The server does not support this grant_type; choose one it supports."
	case "invalid_request":
		return "Check request_encoding, extra_params and the settings the chosen grant_type needs."
	default:
		return "Check the credentials and settings against the authorization server's documentation."
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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
