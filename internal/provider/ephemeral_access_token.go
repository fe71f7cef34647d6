package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokens"
)

// privateKeyExpiry holds the opened token's expiry for Renew.
const privateKeyExpiry = "token_expiry"

// privateKeyRevocation holds what Close needs to revoke the token: Close sees
// nothing but private data. Ephemeral private data stays in the CLI's memory
// for the run and is never saved.
const privateKeyRevocation = "revoke_on_close"

var (
	_ ephemeral.EphemeralResource                     = (*accessTokenEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithConfigure        = (*accessTokenEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithConfigValidators = (*accessTokenEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithRenew            = (*accessTokenEphemeralResource)(nil)
)

// NewAccessTokenEphemeralResource returns the oauth2_access_token ephemeral
// resource.
func NewAccessTokenEphemeralResource() ephemeral.EphemeralResource {
	return &accessTokenEphemeralResource{}
}

type accessTokenEphemeralResource struct {
	data *providerData
}

type accessTokenEphemeralModel struct {
	connectionSettingsModel
	credentialSecretsModel

	MinValidity   types.String `tfsdk:"min_validity"`
	MaxAge        types.String `tfsdk:"max_age"`
	ConnectionID  types.String `tfsdk:"connection_id"`
	RevokeOnClose types.Bool   `tfsdk:"revoke_on_close"`

	AccessToken         types.String `tfsdk:"access_token"`
	TokenType           types.String `tfsdk:"token_type"`
	AuthorizationHeader types.String `tfsdk:"authorization_header"`
	ExpiresAt           types.String `tfsdk:"expires_at"`
	ExpiresIn           types.Int64  `tfsdk:"expires_in"`
	GrantedScopes       types.List   `tfsdk:"granted_scopes"`
	IDToken             types.String `tfsdk:"id_token"`
	IssuedTokenType     types.String `tfsdk:"issued_token_type"`
}

// tokenExpiry is what Open leaves in private state for Renew.
type tokenExpiry struct {
	ExpiresAt   time.Time     `json:"expires_at"`
	MinValidity time.Duration `json:"min_validity"`
}

func (e *accessTokenEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_token"
}

func (e *accessTokenEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	attrs := connectionEphemeralAttributes()
	// Only the grants Open can run are offered. An authorization code is
	// single-use and exchanged by an oauth2_connection, whose stored refresh
	// token connection_id then uses.
	grant := settingByName("grant_type")
	grant.allowed = ephemeralGrantTypes
	grant.description += " For the `authorization_code` grant, exchange the code with an `oauth2_connection` and set " +
		"`connection_id` to its `id`."
	grant.ephemeralAttributes(attrs)

	// Optional
	attrs["min_validity"] = schema.StringAttribute{
		MarkdownDescription: "How long the handed-out token must still be valid; a cached token closer to its expiry " +
			"is replaced by a new one. A Go duration such as `10m`. Defaults to the provider's `expiry_buffer`.",
		Optional:   true,
		Validators: []validator.String{durationValidator{}},
	}
	attrs["max_age"] = schema.StringAttribute{
		MarkdownDescription: "The oldest a reused token may be: a stored token issued longer ago is replaced by a new " +
			"one even while it is valid, for instance after the token was revoked. `0s` requests a new token at every " +
			"open. A Go duration such as `30m`. By default a stored token is reused for as long as `min_validity` allows.",
		Optional:   true,
		Validators: []validator.String{durationValidator{}},
	}
	attrs["connection_id"] = schema.StringAttribute{
		MarkdownDescription: "The `id` of an `oauth2_connection` whose newest refresh token the provider's " +
			"token store holds: one with the `refresh_token` grant, or with the `authorization_code` or `password` " +
			"grant when the server issued a refresh token. The connection's stored access token is handed out while " +
			"it is fresh; otherwise a token is obtained with the `refresh_token` grant from the stored refresh token, " +
			"and a refresh token the server rotates is written back to the same entry, where the connection's next " +
			"validation finds it. `token_url`, `client_id` and the client secret are still needed to refresh; " +
			"`grant_type` defaults to `refresh_token` and `refresh_token` is not given. Needs the token store the " +
			"connection was applied with.",
		Optional: true,
	}
	attrs["revoke_on_close"] = schema.BoolAttribute{
		MarkdownDescription: "Revoke the access token (RFC 7009) when the CLI closes it, at the end of the plan or " +
			"apply that opened it, at `revocation_url` or the one `preset` or `issuer` names. Such a token is never " +
			"shared through the token store, since other runs would be handed a revoked token: every open requests a " +
			"new one. A failed revocation is a warning. Defaults to `false`.",
		Optional: true,
	}
	// scopes is both what is requested and, after opening, what was granted.
	attrs["scopes"] = schema.ListAttribute{
		MarkdownDescription: settingByName("scopes").markdown() + " When not configured, it is set after " +
			"opening to the scopes the server granted, like `granted_scopes`.",
		ElementType: types.StringType,
		Optional:    true,
		Computed:    true,
	}

	// Computed
	attrs["access_token"] = schema.StringAttribute{
		MarkdownDescription: "The access token (RFC 6749 §5.1).",
		Computed:            true,
		Sensitive:           true,
	}
	attrs["token_type"] = schema.StringAttribute{
		MarkdownDescription: "The `token_type` the server answered with; `Bearer` when it sent none.",
		Computed:            true,
	}
	attrs["issued_token_type"] = schema.StringAttribute{
		MarkdownDescription: "The type of the token a token exchange issued (RFC 8693 §2.2.1), such as " +
			"`urn:ietf:params:oauth:token-type:access_token`; null for other grants.",
		Computed: true,
	}
	attrs["authorization_header"] = schema.StringAttribute{
		MarkdownDescription: "The value of an HTTP `Authorization` header carrying the token, such as `Bearer eyJ…` " +
			"(RFC 6750 §2.1).",
		Computed:  true,
		Sensitive: true,
	}
	attrs["expires_at"] = schema.StringAttribute{
		MarkdownDescription: "When the token expires (RFC 3339); null when the server did not say.",
		Computed:            true,
	}
	attrs["expires_in"] = schema.Int64Attribute{
		MarkdownDescription: "The token's remaining lifetime in seconds when it was handed out; null when the server did not announce one.",
		Computed:            true,
	}
	attrs["granted_scopes"] = schema.ListAttribute{
		MarkdownDescription: "The scopes the server granted, or the requested ones when it did not say (RFC 6749 §5.1).",
		ElementType:         types.StringType,
		Computed:            true,
	}
	attrs["id_token"] = schema.StringAttribute{
		MarkdownDescription: "The OpenID Connect ID token, when the server issued one.",
		Computed:            true,
		Sensitive:           true,
	}

	resp.Schema = schema.Schema{
		MarkdownDescription: "A fresh OAuth 2.0 access token for other providers to use, never written to plan or " +
			"state. The token handed out is valid for longer than `min_validity`. Tokens are kept in the provider's " +
			"token store between plan, apply and later runs: a stored token that is still fresh is handed out without " +
			"any request, and a refresh token the server rotates is saved before the new access token is used. Blocks " +
			"that start from one refresh token share its newest successor, whatever else they ask for.",
		Attributes: attrs,
	}
}

// accessTokenValidator holds the rules of oauth2_access_token, built once.
var accessTokenValidator = newSettingsValidator(append(withConnectionID(connectionRules(false)),
	connectionIDGrantValidator{},
	conflictingRule{names: []string{"connection_id", "refresh_token"}},
)...)

func (e *accessTokenEphemeralResource) ConfigValidators(context.Context) []ephemeral.ConfigValidator {
	return []ephemeral.ConfigValidator{accessTokenValidator}
}

func (e *accessTokenEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.data = providerDataFrom(req.ProviderData, "ephemeral resource", &resp.Diagnostics)
}

func (e *accessTokenEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	if e.data == nil {
		resp.Diagnostics.AddError("Unconfigured OAuth2 Provider",
			"The oauth2 provider was not configured before the access token was opened. This is a bug in the provider; please report it.")
		return
	}
	var model accessTokenEphemeralModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Defaults go into a copy: the configured attributes are handed back
	// exactly as given, since Terraform refuses a result that changes them.
	settings := model.connectionSettingsModel
	connectionID := model.ConnectionID.ValueString()
	if connectionID != "" && settings.GrantType.IsNull() {
		settings.GrantType = types.StringValue(string(oauthclient.GrantRefreshToken))
	}
	settings.applyDefaults()

	// Checks that need the configured provider, before any request.
	resp.Diagnostics.Append(endpointDiagnostics("oauth2_access_token", settings, e.data.allowInsecureHTTP)...)
	creds := settings.credentialConfig(model.ClientAssertion)
	resp.Diagnostics.Append(clientCredentialDiagnostics("oauth2_access_token", settings, connectionWriteOnlyModel{}, creds, false)...)
	if resp.Diagnostics.HasError() {
		return
	}

	minValidity := e.data.client.ExpiryBuffer()
	if d, ok := optionalDuration(model.MinValidity, "min_validity", &resp.Diagnostics); ok {
		minValidity = d
	}
	maxAge, maxAgeSet := optionalDuration(model.MaxAge, "max_age", &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	settings, eps, diags := e.data.resolveSettings(ctx, settings, model.connectionSettingsModel)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	tokenReq, diags := settings.tokenRequest(ctx, connectionWriteOnlyModel{}, creds)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	eps.ApplyAuthMethods(&tokenReq, e.data.clientCertificates)
	ctx = tflog.SetField(ctx, "token_url", oauthclient.RedactURL(tokenReq.TokenURL))
	ctx = tflog.SetField(ctx, "grant_type", string(tokenReq.GrantType))
	ctx = maskSecrets(ctx, requestSecrets(tokenReq)...)
	tflog.Debug(ctx, "opening oauth2 access token", map[string]any{
		"min_validity": minValidity.String(),
		"token_store":  e.data.backend,
	})
	durable := e.data.tokens.Durable()
	if connectionID != "" && !durable {
		resp.Diagnostics.AddAttributeError(path.Root("connection_id"), "Missing OAuth2 Token Store",
			"connection_id needs the provider's token store, where the connection keeps its refresh token, but the "+
				"store is disabled. Enable it (remove token_store.disabled or "+envTokenStoreDisabled+"), the same one "+
				"the connection was applied with, or remove connection_id and give refresh_token instead.")
		return
	}

	if !durable && tokenReq.GrantType == oauthclient.GrantRefreshToken {
		resp.Diagnostics.AddAttributeWarning(path.Root("refresh_token"), "OAuth2 Token Store Disabled",
			"This access token is obtained with the refresh_token grant while the provider's token store is disabled. "+
				"If the server rotates refresh tokens, the one it issues is lost when the run ends, and opening this "+
				"token fails when the rotation is seen. Enable the token store (remove token_store.disabled or "+
				envTokenStoreDisabled+") to keep rotated refresh tokens.")
	}

	revokeOnClose := model.RevokeOnClose.ValueBool()
	if revokeOnClose && eps.RevocationURL == "" {
		resp.Diagnostics.AddAttributeError(path.Root("revoke_on_close"), "No Revocation Endpoint",
			"revoke_on_close is true but no revocation endpoint is known. Set revocation_url, or a preset or issuer that names one.")
		return
	}
	policy := tokens.Policy{MinValidity: minValidity, Unshared: revokeOnClose}
	if maxAgeSet {
		// Zero asks for a new token every time.
		policy.MaxAge = maxAge
		policy.Fresh = maxAge == 0
	}
	res, err := e.data.tokens.Token(ctx, tokens.Request{Token: tokenReq, Connection: connectionID, Label: "oauth2_access_token"}, policy)
	switch {
	case errors.Is(err, tokens.ErrNoRefreshToken):
		resp.Diagnostics.AddAttributeError(path.Root("connection_id"), "Unable to Obtain OAuth2 Access Token",
			fmt.Sprintf("The %s token store holds no refresh token for connection %q. Apply that oauth2_connection "+
				"with the same token store (an authorization_code connection with its authorization code in "+
				"authorization_code_wo; a refresh_token or password connection with validate = true), and check that "+
				"connection_id is its id.", e.data.backend, connectionID))
		return
	case err != nil:
		addTokenError(&resp.Diagnostics, "Unable to Obtain OAuth2 Access Token", "oauth2_access_token", tokenReq.TokenURL, e.data.backend, err)
		return
	case res.RotationNotKept:
		resp.Diagnostics.AddAttributeError(path.Root("refresh_token"), "OAuth2 Refresh Token Rotated Without a Store",
			fmt.Sprintf("The token endpoint %s retired the configured refresh token and issued a new one (refresh token "+
				"rotation, RFC 9700 §4.14.2), but the provider's token store is disabled, so the new one would be lost when "+
				"this run ends and the next run would present the retired token. Enable the token store (remove "+
				"token_store.disabled or %s), or use a connection's connection_id; then configure a refresh token the "+
				"server has not retired yet.", oauthclient.RedactURL(tokenReq.TokenURL), envTokenStoreDisabled))
		return
	}
	tok := res.Token
	ctx = maskSecrets(ctx, tok.AccessToken, tok.RefreshToken, tok.IDToken)
	now := e.data.now()

	model.AccessToken = types.StringValue(tok.AccessToken)
	model.TokenType = types.StringValue(tokenTypeOrBearer(tok.TokenType))
	model.AuthorizationHeader = types.StringValue(authorizationHeader(tok))
	model.GrantedScopes = stringList(grantedScopes(tok, tokenReq))
	if model.Scopes.IsNull() {
		model.Scopes = model.GrantedScopes
	}
	model.ExpiresAt = types.StringNull()
	model.ExpiresIn = types.Int64Null()
	model.IDToken = types.StringNull()
	model.IssuedTokenType = types.StringNull()
	if tok.IssuedTokenType != "" {
		model.IssuedTokenType = types.StringValue(tok.IssuedTokenType)
	}
	if tok.IDToken != "" {
		model.IDToken = types.StringValue(tok.IDToken)
	}
	if tok.ExpiryKnown() {
		model.ExpiresAt = types.StringValue(tok.Expiry.UTC().Format(time.RFC3339))
		model.ExpiresIn = types.Int64Value(int64(tok.Expiry.Sub(now).Seconds()))
		resp.RenewAt = tok.Expiry.Add(-minValidity)

		raw, err := json.Marshal(tokenExpiry{ExpiresAt: tok.Expiry, MinValidity: minValidity})
		if err != nil {
			resp.Diagnostics.AddError("Unable to Save OAuth2 Token Expiry",
				"The token's expiry could not be encoded. This is a bug in the provider; please report it.\n\n"+errorCause(err))
			return
		}
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateKeyExpiry, raw)...)
	}
	if revokeOnClose {
		raw, err := json.Marshal(revocationOnClose{
			Endpoint: eps.RevocationURL, Token: tok.AccessToken, ClientID: tokenReq.ClientID, ClientSecret: tokenReq.ClientSecret,
			AuthStyle: string(revocationAuthStyle(tokenReq.AuthStyle)), KeyPEM: nestedString(creds.SigningKey, "private_key"), KeyFile: nestedString(creds.SigningKey, "private_key_file"),
			KeyID: nestedString(creds.SigningKey, "key_id"), Algorithm: nestedString(creds.SigningKey, "algorithm"),
		})
		if err != nil {
			resp.Diagnostics.AddError("Unable to Keep OAuth2 Revocation Details",
				"The details revoke_on_close needs could not be encoded. This is a bug in the provider; please report it.\n\n"+errorCause(err))
			return
		}
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateKeyRevocation, raw)...)
	}
	tflog.Debug(ctx, "opened oauth2 access token", map[string]any{
		"token_type": model.TokenType.ValueString(),
		"expires_at": model.ExpiresAt.ValueString(),
	})
	resp.Diagnostics.Append(resp.Result.Set(ctx, &model)...)
}

// Renew cannot hand out a new token: Terraform keeps using the value Open
// returned. It runs when a long operation outlives the token's usable life
// and warns, so a later 401 from another provider has an explanation.
func (e *accessTokenEphemeralResource) Renew(ctx context.Context, req ephemeral.RenewRequest, resp *ephemeral.RenewResponse) {
	raw, diags := req.Private.GetKey(ctx, privateKeyExpiry)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() || len(raw) == 0 {
		return
	}
	var exp tokenExpiry
	if err := json.Unmarshal(raw, &exp); err != nil {
		resp.Diagnostics.AddError("Unable to Read OAuth2 Token Expiry",
			"The stored token expiry is unreadable. This is a bug in the provider; please report it.\n\n"+errorCause(err))
		return
	}
	warning, renewAt := renewWarning(exp, timeNow())
	tflog.Warn(ctx, "oauth2 access token outlived its usable life during the run", map[string]any{
		"expires_at": exp.ExpiresAt.UTC().Format(time.RFC3339),
	})
	resp.Diagnostics.Append(warning)
	if !renewAt.IsZero() {
		// Come back at expiry to say so plainly.
		resp.RenewAt = renewAt
		resp.Private = req.Private
	}
}

// renewWarning explains, at time now, what a token expiring as exp means
// for the running operation, and when to look again (zero: never).
func renewWarning(exp tokenExpiry, now time.Time) (diag.Diagnostic, time.Time) {
	at := exp.ExpiresAt.UTC().Format(time.RFC3339)
	if now.Before(exp.ExpiresAt) {
		return diag.NewWarningDiagnostic("OAuth2 Access Token Expiring During Run",
			fmt.Sprintf("The access token opened for this run expires at %s, in less than min_validity (%s). "+
				"A running operation cannot receive a new token, so requests made with it after that time will be "+
				"refused. Increase min_validity, or ask the authorization server for longer-lived tokens.",
				at, exp.MinValidity)), exp.ExpiresAt
	}
	return diag.NewWarningDiagnostic("OAuth2 Access Token Expired During Run",
		fmt.Sprintf("The access token opened for this run expired at %s while the run was still going; requests made "+
			"with it since then are refused. Run again to open a new token, and increase min_validity so the token "+
			"outlives the run.", at)), time.Time{}
}

// tokenTypeOrBearer returns the token type with "bearer" in its canonical
// spelling; a missing type is taken as Bearer (RFC 6750).
func tokenTypeOrBearer(t string) string {
	if t == "" || strings.EqualFold(t, "bearer") {
		return "Bearer"
	}
	return t
}

// authorizationHeader is the Authorization header value for tok (RFC 6750 §2.1).
func authorizationHeader(tok *oauthclient.Token) string {
	return tokenTypeOrBearer(tok.TokenType) + " " + tok.AccessToken
}

// optionalDuration parses a configured duration. It reports false when the
// attribute is not set, or adds an error when it does not parse, which
// durationValidator already refuses at plan time.
func optionalDuration(v types.String, attr string, diags *diag.Diagnostics) (time.Duration, bool) {
	if v.IsNull() || v.IsUnknown() {
		return 0, false
	}
	d, err := time.ParseDuration(v.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root(attr), "Invalid Duration",
			fmt.Sprintf("%s %q is not a Go duration such as \"10m\". Correct it.\n\n%s", attr, v.ValueString(), errorCause(err)))
		return 0, false
	}
	return d, true
}
