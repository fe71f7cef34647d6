package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
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

	MinValidity  types.String `tfsdk:"min_validity"`
	ConnectionID types.String `tfsdk:"connection_id"`

	AccessToken         types.String `tfsdk:"access_token"`
	TokenType           types.String `tfsdk:"token_type"`
	AuthorizationHeader types.String `tfsdk:"authorization_header"`
	ExpiresAt           types.String `tfsdk:"expires_at"`
	ExpiresIn           types.Int64  `tfsdk:"expires_in"`
	GrantedScopes       types.List   `tfsdk:"granted_scopes"`
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
	attrs["connection_id"] = schema.StringAttribute{
		MarkdownDescription: "The `id` of an `oauth2_connection` whose newest refresh token the provider's " +
			"`token_store` holds: one with the `refresh_token` grant, or with the `authorization_code` or `password` " +
			"grant when the server issued a refresh token. The connection's stored access token is handed out while " +
			"it is fresh; otherwise a token is obtained with the `refresh_token` grant from the stored refresh token, " +
			"and a refresh token the server rotates is written back to the same entry, where the connection's next " +
			"validation finds it. `token_url`, `client_id` and the client secret are still needed to refresh; " +
			"`grant_type` defaults to `refresh_token` and `refresh_token` is not given. Needs a provider `token_store`, " +
			"the same one the connection was applied with.",
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
			"state. The token handed out is valid for longer than `min_validity`; tokens are cached per request " +
			"within a run, and between runs when the provider has a `token_store`: a stored token that is still " +
			"fresh is handed out without any request, and a refresh token the server rotates is saved before the " +
			"new access token is used.",
		Attributes: attrs,
	}
}

// accessTokenValidator holds the rules of oauth2_access_token, built once.
var accessTokenValidator = settingsValidator{rules: append(withConnectionID(connectionRules(false)),
	unsupportedValueValidator{
		attr:  "grant_type",
		value: string(oauthclient.GrantAuthorizationCode),
		instead: "An authorization code is single-use and is exchanged by an oauth2_connection resource; use " +
			"connection_id with that connection's id, or grant_type = \"refresh_token\" with its " +
			"obtained_refresh_token, instead.",
	},
	connectionIDGrantValidator{},
	conflictingRule{names: []string{"connection_id", "refresh_token"}},
)}

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

	if connectionID != "" && e.data.store == nil {
		resp.Diagnostics.AddAttributeError(path.Root("connection_id"), "Missing OAuth2 Token Store",
			"connection_id needs a provider token_store: the connection's refresh token lives only there. Add a "+
				"token_store block to the oauth2 provider, the same one the connection was applied with, or remove "+
				"connection_id and give refresh_token instead.")
		return
	}

	tokenReq, diags := settings.tokenRequest(ctx, connectionWriteOnlyModel{})
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = tflog.SetField(ctx, "token_url", oauthclient.RedactURL(tokenReq.TokenURL))
	ctx = tflog.SetField(ctx, "grant_type", string(tokenReq.GrantType))
	ctx = maskSecrets(ctx, requestSecrets(tokenReq)...)
	tflog.Debug(ctx, "opening oauth2 access token", map[string]any{
		"min_validity": minValidity.String(),
		"token_store":  storeBackend(e.data.store),
	})

	var tok *oauthclient.Token
	if e.data.store == nil {
		var err error
		tok, err = e.data.client.TokenValidFor(ctx, tokenReq, minValidity)
		if err != nil {
			resp.Diagnostics.AddError("Unable to Obtain OAuth2 Access Token",
				validationErrorDetail("oauth2_access_token", tokenReq.TokenURL, "", err))
			return
		}
	} else {
		tok = e.storedToken(ctx, tokenReq, connectionID, minValidity, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
	}
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

// exchangeError marks a failed token request inside a store update, so that
// it is told apart from a failure of the store itself.
type exchangeError struct{ err error }

func (e *exchangeError) Error() string { return e.err.Error() }
func (e *exchangeError) Unwrap() error { return e.err }

// errNoStoredRefreshToken is returned inside a store update for a
// connection_id whose entry holds no refresh token.
var errNoStoredRefreshToken = errors.New("no refresh token is stored for this connection")

// storedToken returns a token for tokenReq through the provider's token
// store: the stored one while it stays valid for longer than minValidity,
// without any request, or else a new one, which is saved before it is
// returned. The refresh_token grant presents the newest stored refresh
// token, so a token the server rotated in an earlier run is the one sent.
// With connectionID the entry is that connection's. Problems are added to
// diags, and then no token is returned.
func (e *accessTokenEphemeralResource) storedToken(ctx context.Context, tokenReq oauthclient.Request, connectionID string, minValidity time.Duration, diags *diag.Diagnostics) *oauthclient.Token {
	store := e.data.store
	key := accessTokenEntryKey(tokenReq, store.nameKey)
	if connectionID != "" {
		key = connectionEntryKey(connectionID)
	}
	requested := grantedScopes(&oauthclient.Token{}, tokenReq)

	var requests int
	entry, err := store.Update(ctx, key, func(ctx context.Context, current *tokenstore.Entry) (*tokenstore.Entry, error) {
		if current != nil {
			ctx = maskSecrets(ctx, current.AccessToken, current.RefreshToken, current.IDToken)
		}
		now := e.data.now()
		if current.ValidFor(now, minValidity) && scopesCover(current.Scope, tokenReq.ScopeDelimiter, requested) {
			tflog.Debug(ctx, "stored oauth2 access token is fresh; no request", map[string]any{"revision": current.Revision})
			return current, nil
		}
		req := tokenReq
		if req.GrantType == oauthclient.GrantRefreshToken {
			switch {
			case current != nil && current.RefreshToken != "":
				req.AlsoRedact = append(req.AlsoRedact, req.RefreshToken)
				req.RefreshToken = current.RefreshToken
			case connectionID != "":
				return nil, errNoStoredRefreshToken
			}
		}
		requests++
		tflog.Debug(ctx, "requesting oauth2 access token for the token store", map[string]any{
			"stored_refresh_token": req.RefreshToken != tokenReq.RefreshToken,
		})
		tok, err := e.data.client.Exchange(ctx, req)
		if err != nil {
			return nil, &exchangeError{err}
		}
		return entryFromToken(tok, req, e.data.now()), nil
	})

	var xe *exchangeError
	switch {
	case errors.As(err, &xe):
		diags.AddError("Unable to Obtain OAuth2 Access Token",
			validationErrorDetail("oauth2_access_token", tokenReq.TokenURL, "", xe.err))
		return nil
	case errors.Is(err, errNoStoredRefreshToken):
		diags.AddAttributeError(path.Root("connection_id"), "Unable to Obtain OAuth2 Access Token",
			fmt.Sprintf("The %s token store holds no refresh token for connection %q. Apply that oauth2_connection "+
				"using the same token_store (an authorization_code connection with its authorization code in "+
				"authorization_code_wo; a refresh_token or password connection with validate = true), and check that "+
				"connection_id is its id.\n\nError: %s", store.backend, connectionID, err))
		return nil
	case err != nil && requests > 0:
		diags.AddError("Unable to Save OAuth2 Token",
			fmt.Sprintf("The token endpoint %s issued a token, but the %s token store could not save it, so the token "+
				"is not used: a refresh token the server rotated would otherwise be lost for the next run. Check that "+
				"the token store is reachable and writable, then run again; if the server rotates refresh tokens and "+
				"the one it just issued is lost, obtain a new one (for a connection, apply a new authorization code).\n\nError: %s",
				oauthclient.RedactURL(tokenReq.TokenURL), store.backend, err))
		return nil
	case err != nil:
		diags.AddError("Unable to Read OAuth2 Token Store",
			fmt.Sprintf("The %s token store could not be read or locked, so no token was requested. Check that the "+
				"store is reachable and that its key is the one the entries were written with, then run again.\n\nError: %s",
				store.backend, err))
		return nil
	case entry == nil || entry.AccessToken == "":
		diags.AddError("Unable to Obtain OAuth2 Access Token",
			"The token store returned no access token after an update that did not fail. This is a bug in the provider; please report it.")
		return nil
	}
	tflog.Debug(ctx, "oauth2 access token from the token store", map[string]any{
		"requests": requests,
		"revision": entry.Revision,
	})
	return tokenFromEntry(entry, e.data.now())
}

// entryFromToken is what the store keeps of a token response. The expiry is
// taken from expires_in on the provider's clock, the one that later decides
// whether the entry is fresh.
func entryFromToken(tok *oauthclient.Token, req oauthclient.Request, now time.Time) *tokenstore.Entry {
	e := &tokenstore.Entry{
		AccessToken:  tok.AccessToken,
		TokenType:    tok.TokenType,
		RefreshToken: tok.RefreshToken,
		IDToken:      tok.IDToken,
		Scope:        tok.Scope,
	}
	if e.Scope == "" {
		// RFC 6749 §5.1: no scope in the answer means the requested one.
		e.Scope = strings.Join(grantedScopes(tok, req), scopeDelimiter(req))
	}
	if tok.ExpiryKnown() {
		e.Expiry = now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	return e
}

// tokenFromEntry turns a stored entry back into a token.
func tokenFromEntry(e *tokenstore.Entry, now time.Time) *oauthclient.Token {
	tok := &oauthclient.Token{
		AccessToken:  e.AccessToken,
		TokenType:    e.TokenType,
		RefreshToken: e.RefreshToken,
		IDToken:      e.IDToken,
		Scope:        e.Scope,
		Expiry:       e.Expiry,
	}
	if !e.Expiry.IsZero() {
		tok.ExpiresIn = int64(e.Expiry.Sub(now).Seconds())
	}
	return tok
}

func scopeDelimiter(req oauthclient.Request) string {
	if req.ScopeDelimiter == "" {
		return oauthclient.DefaultScopeDelimiter
	}
	return req.ScopeDelimiter
}

// scopesCover reports whether a stored granted scope includes every
// requested scope. Entries of plain requests are named by their scopes, so
// this matters for a connection's entry, which different requests share.
func scopesCover(granted, delimiter string, requested []string) bool {
	have := splitScope(granted, delimiter)
	for _, s := range requested {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
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
