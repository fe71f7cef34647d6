package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

// privateKeyExpiry holds the opened token's expiry for Renew.
const privateKeyExpiry = "token_expiry"

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

	MinValidity types.String `tfsdk:"min_validity"`

	AccessToken         types.String `tfsdk:"access_token"`
	TokenType           types.String `tfsdk:"token_type"`
	AuthorizationHeader types.String `tfsdk:"authorization_header"`
	ExpiresAt           types.String `tfsdk:"expires_at"`
	ExpiresIn           types.Int64  `tfsdk:"expires_in"`
	IDToken             types.String `tfsdk:"id_token"`
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

	// Optional
	attrs["min_validity"] = schema.StringAttribute{
		MarkdownDescription: "How long the handed-out token must still be valid; a cached token closer to its expiry " +
			"is replaced by a new one. A Go duration such as `10m`. Defaults to the provider's `expiry_buffer`.",
		Optional:   true,
		Validators: []validator.String{durationValidator{}},
	}
	// scopes is both what is requested and, after opening, what was granted.
	attrs["scopes"] = schema.ListAttribute{
		MarkdownDescription: settingByName("scopes").markdown() + " After opening: the scopes the server " +
			"granted, or the requested ones when it did not say (RFC 6749 §5.1).",
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
	attrs["id_token"] = schema.StringAttribute{
		MarkdownDescription: "The OpenID Connect ID token, when the server issued one.",
		Computed:            true,
		Sensitive:           true,
	}

	resp.Schema = schema.Schema{
		MarkdownDescription: "A fresh OAuth 2.0 access token for other providers to use, never written to plan or " +
			"state. The token handed out is valid for longer than `min_validity`; tokens are cached per request " +
			"within a run.",
		Attributes: attrs,
	}
}

func (e *accessTokenEphemeralResource) ConfigValidators(context.Context) []ephemeral.ConfigValidator {
	rules := append(connectionRules(false), unsupportedValueValidator{
		attr:  "grant_type",
		value: string(oauthclient.GrantAuthorizationCode),
		instead: "An authorization code is single-use and is exchanged by an oauth2_connection resource; use " +
			"grant_type = \"refresh_token\" with that connection's obtained_refresh_token instead.",
	})
	return ephemeralRules(rules)
}

func (e *accessTokenEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	if req.ProviderData == nil {
		return
	}
	data, ok := req.ProviderData.(*providerData)
	if !ok {
		resp.Diagnostics.AddError("Unexpected Provider Data",
			fmt.Sprintf("The ephemeral resource received provider data of type %T instead of the provider's own. This is a bug in the provider; please report it.", req.ProviderData))
		return
	}
	e.data = data
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
	model.connectionSettingsModel.applyDefaults()

	minValidity := e.data.client.ExpiryBuffer()
	if !model.MinValidity.IsNull() {
		d, err := time.ParseDuration(model.MinValidity.ValueString())
		if err != nil {
			// durationValidator rejects this at plan time already.
			resp.Diagnostics.AddError("Invalid Duration",
				fmt.Sprintf("min_validity %q is not a Go duration such as \"10m\". Correct it.\n\nError: %s", model.MinValidity.ValueString(), err))
			return
		}
		minValidity = d
	}

	tokenReq, diags := model.connectionSettingsModel.tokenRequest(ctx, connectionWriteOnlyModel{})
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = tflog.SetField(ctx, "token_url", tokenReq.TokenURL)
	ctx = tflog.SetField(ctx, "grant_type", string(tokenReq.GrantType))
	ctx = maskSecrets(ctx, requestSecrets(tokenReq)...)
	tflog.Debug(ctx, "opening oauth2 access token", map[string]any{"min_validity": minValidity.String()})

	tok, err := e.data.client.TokenValidFor(ctx, tokenReq, minValidity)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Obtain OAuth2 Access Token",
			validationErrorDetail("oauth2_access_token", tokenReq.TokenURL, "", err))
		return
	}
	ctx = maskSecrets(ctx, tok.AccessToken, tok.RefreshToken, tok.IDToken)

	model.AccessToken = types.StringValue(tok.AccessToken)
	model.TokenType = types.StringValue(tokenTypeOrBearer(tok.TokenType))
	model.AuthorizationHeader = types.StringValue(authorizationHeader(tok))
	model.Scopes = stringList(grantedScopes(tok, tokenReq))
	model.ExpiresAt = types.StringNull()
	model.ExpiresIn = types.Int64Null()
	model.IDToken = types.StringNull()
	if tok.IDToken != "" {
		model.IDToken = types.StringValue(tok.IDToken)
	}
	if tok.ExpiryKnown() {
		model.ExpiresAt = types.StringValue(tok.Expiry.UTC().Format(time.RFC3339))
		model.ExpiresIn = types.Int64Value(int64(tok.Expiry.Sub(timeNow()).Seconds()))
		resp.RenewAt = tok.Expiry.Add(-minValidity)

		raw, err := json.Marshal(tokenExpiry{ExpiresAt: tok.Expiry, MinValidity: minValidity})
		if err != nil {
			resp.Diagnostics.AddError("Unable to Save OAuth2 Token Expiry",
				"The token's expiry could not be encoded. This is a bug in the provider; please report it.\n\nError: "+err.Error())
			return
		}
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateKeyExpiry, raw)...)
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
			"The stored token expiry is unreadable. This is a bug in the provider; please report it.\n\nError: "+err.Error())
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
