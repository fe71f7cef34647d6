package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	eschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

// The connection settings are defined once, in connectionSettings, and
// rendered into the schema of oauth2_connection (resource/schema) and
// oauth2_access_token (ephemeral/schema), so the two can never drift apart.
// oauth2_webhook_secret renders a subset of the same specs.

// Allowed values, each stated once: they feed both stringvalidator.OneOf and
// the attribute descriptions.
var (
	grantTypes = []string{
		string(oauthclient.GrantClientCredentials),
		string(oauthclient.GrantPassword),
		string(oauthclient.GrantRefreshToken),
		string(oauthclient.GrantAuthorizationCode),
	}
	// ephemeralGrantTypes are the grants oauth2_access_token runs: every one
	// but authorization_code, whose code is single-use.
	ephemeralGrantTypes = []string{
		string(oauthclient.GrantClientCredentials),
		string(oauthclient.GrantPassword),
		string(oauthclient.GrantRefreshToken),
	}
	clientAuthStyles = []string{
		string(oauthclient.AuthAuto),
		string(oauthclient.AuthBasic),
		string(oauthclient.AuthPost),
		string(oauthclient.AuthNone),
	}
	requestEncodings = []string{
		string(oauthclient.EncodingForm),
		string(oauthclient.EncodingJSON),
	}
)

type settingKind int

const (
	settingString settingKind = iota
	settingStringList
	settingStringMap
)

// settingSpec describes one connection setting independently of the schema
// package it is rendered into.
type settingSpec struct {
	name        string
	kind        settingKind
	description string
	required    bool
	sensitive   bool
	// writeOnlyTwin adds "<name>_wo" (write-only) and "<name>_wo_version" to
	// resource schemas. Ephemeral schemas have no write-only attributes.
	writeOnlyTwin bool
	// allowed, when set, restricts the value and is listed in the description.
	allowed []string
	// validators check string values besides allowed.
	validators []validator.String
	// defaultValue is a schema Default in resources and applied in Open by
	// connectionSettingsModel.applyDefaults in the ephemeral resource.
	defaultValue string
}

// connectionSettings is the single definition of the settings shared by the
// connection resource and the access token ephemeral resource.
var connectionSettings = []settingSpec{
	{
		name:         "grant_type",
		description:  "The OAuth 2.0 grant used to obtain a token (RFC 6749 §4).",
		allowed:      grantTypes,
		defaultValue: string(oauthclient.GrantClientCredentials),
	},
	{
		name:        "token_url",
		description: "The token endpoint (RFC 6749 §3.2). A `{tenant_id}` placeholder is replaced with `tenant_id`.",
		required:    true,
		validators:  []validator.String{tokenURLValidator{}},
	},
	{
		name:        "client_id",
		description: "The client identifier issued by the authorization server (RFC 6749 §2.2).",
	},
	{
		name:          "client_secret",
		description:   "The client secret (RFC 6749 §2.3.1).",
		sensitive:     true,
		writeOnlyTwin: true,
	},
	{
		name: "client_auth",
		description: "How the client authenticates to the token endpoint: `basic` sends an HTTP Basic header " +
			"(`client_secret_basic`), `post` sends the secret in the body (`client_secret_post`), `none` is a " +
			"public client, and `auto` tries `basic` and falls back to `post`. With `auto`, a wrong secret is " +
			"presented twice, which counts twice toward the server's lockout threshold, and the error reports " +
			"the `basic` refusal: set `basic` or `post` when you know which the server expects.",
		allowed:      clientAuthStyles,
		defaultValue: string(oauthclient.AuthAuto),
	},
	{
		name:        "scopes",
		kind:        settingStringList,
		description: "The scopes to request (RFC 6749 §3.3), joined with `scope_delimiter`.",
	},
	{
		name:         "scope_delimiter",
		description:  "The separator used to join `scopes`; some platforms want a comma.",
		defaultValue: oauthclient.DefaultScopeDelimiter,
	},
	{
		name: "request_encoding",
		description: "The body encoding of the token request: `form` (`application/x-www-form-urlencoded`, as " +
			"RFC 6749 specifies) or `json`, which several integration platforms expect.",
		allowed:      requestEncodings,
		defaultValue: string(oauthclient.EncodingForm),
	},
	{
		name:        "extra_params",
		kind:        settingStringMap,
		description: "Extra parameters added to the token request, such as `audience` or `resource`.",
	},
	{
		name:        "tenant_id",
		description: "Fills `{tenant_id}` placeholders in `token_url` and `authorization_url`.",
	},
	{
		name:        "username",
		description: "The resource owner's username for the `password` grant (RFC 6749 §4.3.2).",
	},
	{
		name:          "password",
		description:   "The resource owner's password for the `password` grant (RFC 6749 §4.3.2).",
		sensitive:     true,
		writeOnlyTwin: true,
	},
	{
		name:          "refresh_token",
		description:   "The refresh token presented by the `refresh_token` grant (RFC 6749 §6).",
		sensitive:     true,
		writeOnlyTwin: true,
	},
	{
		name:        "authorization_url",
		description: "The authorization endpoint for the `authorization_code` grant (RFC 6749 §3.1).",
	},
	{
		name:        "redirect_uri",
		description: "The redirection endpoint registered for the client, used by the `authorization_code` grant (RFC 6749 §3.1.2).",
	},
}

// settingByName returns the spec called name; it panics on a typo, which
// the schema tests catch.
func settingByName(name string) settingSpec {
	for _, s := range connectionSettings {
		if s.name == name {
			return s
		}
	}
	panic(fmt.Sprintf("provider: no connection setting %q", name))
}

// markdown renders the description with allowed values and default.
func (s settingSpec) markdown() string {
	d := s.description
	if len(s.allowed) > 0 {
		d += " One of " + quoteList(s.allowed) + "."
	}
	if s.defaultValue != "" {
		d += fmt.Sprintf(" Defaults to `%q`.", s.defaultValue)
	}
	return d
}

func (s settingSpec) stringValidators() []validator.String {
	out := slices.Clone(s.validators)
	if len(s.allowed) > 0 {
		out = append(out, stringvalidator.OneOf(s.allowed...))
	}
	return out
}

func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = "`" + v + "`"
	}
	return strings.Join(q, ", ")
}

func woName(name string) string        { return name + "_wo" }
func woVersionName(name string) string { return name + "_wo_version" }

// resourceAttributes adds the attributes for s to attrs in resource schema
// form, including the write-only twin and its version trigger.
func (s settingSpec) resourceAttributes(attrs map[string]rschema.Attribute) {
	optional := !s.required
	computed := s.defaultValue != ""
	switch s.kind {
	case settingStringList:
		attrs[s.name] = rschema.ListAttribute{
			MarkdownDescription: s.markdown(),
			ElementType:         types.StringType,
			Required:            s.required,
			Optional:            optional,
		}
	case settingStringMap:
		attrs[s.name] = rschema.MapAttribute{
			MarkdownDescription: s.markdown(),
			ElementType:         types.StringType,
			Required:            s.required,
			Optional:            optional,
		}
	default:
		a := rschema.StringAttribute{
			MarkdownDescription: s.markdown(),
			Required:            s.required,
			Optional:            optional,
			Computed:            computed,
			Sensitive:           s.sensitive,
			Validators:          s.stringValidators(),
		}
		if computed {
			a.Default = stringdefault.StaticString(s.defaultValue)
		}
		if s.writeOnlyTwin {
			a.MarkdownDescription += fmt.Sprintf(" Stored in state; prefer `%s`, which never is.", woName(s.name))
		}
		attrs[s.name] = a
	}
	if !s.writeOnlyTwin {
		return
	}
	attrs[woName(s.name)] = rschema.StringAttribute{
		MarkdownDescription: fmt.Sprintf("Write-only form of `%s`: sent to the token endpoint, never stored in plan or state. "+
			"Requires `%s`; change that number to apply a new value. Conflicts with `%s`.",
			s.name, woVersionName(s.name), s.name),
		Optional:   true,
		Sensitive:  true,
		WriteOnly:  true,
		Validators: []validator.String{stringvalidator.AlsoRequires(path.MatchRoot(woVersionName(s.name)))},
	}
	attrs[woVersionName(s.name)] = rschema.Int64Attribute{
		MarkdownDescription: fmt.Sprintf("Any number; change it whenever `%s` changes so the new value is sent and validated.", woName(s.name)),
		Optional:            true,
	}
}

// ephemeralAttributes adds the attributes for s to attrs in ephemeral schema
// form: no defaults (applyDefaults sets them in Open) and no write-only twin,
// because ephemeral values are never stored anyway.
func (s settingSpec) ephemeralAttributes(attrs map[string]eschema.Attribute) {
	optional := !s.required
	switch s.kind {
	case settingStringList:
		attrs[s.name] = eschema.ListAttribute{
			MarkdownDescription: s.markdown(),
			ElementType:         types.StringType,
			Required:            s.required,
			Optional:            optional,
		}
	case settingStringMap:
		attrs[s.name] = eschema.MapAttribute{
			MarkdownDescription: s.markdown(),
			ElementType:         types.StringType,
			Required:            s.required,
			Optional:            optional,
		}
	default:
		attrs[s.name] = eschema.StringAttribute{
			MarkdownDescription: s.markdown(),
			Required:            s.required,
			Optional:            optional,
			Sensitive:           s.sensitive,
			Validators:          s.stringValidators(),
		}
	}
}

// connectionResourceAttributes renders every connection setting for a resource.
func connectionResourceAttributes() map[string]rschema.Attribute {
	attrs := map[string]rschema.Attribute{}
	for _, s := range connectionSettings {
		s.resourceAttributes(attrs)
	}
	return attrs
}

// connectionEphemeralAttributes renders every connection setting for an
// ephemeral resource.
func connectionEphemeralAttributes() map[string]eschema.Attribute {
	attrs := map[string]eschema.Attribute{}
	for _, s := range connectionSettings {
		s.ephemeralAttributes(attrs)
	}
	return attrs
}

// connectionSettingsModel holds the shared settings; it is embedded in each
// entity's model.
type connectionSettingsModel struct {
	GrantType        types.String `tfsdk:"grant_type"`
	TokenURL         types.String `tfsdk:"token_url"`
	ClientID         types.String `tfsdk:"client_id"`
	ClientSecret     types.String `tfsdk:"client_secret"`
	ClientAuth       types.String `tfsdk:"client_auth"`
	Scopes           types.List   `tfsdk:"scopes"`
	ScopeDelimiter   types.String `tfsdk:"scope_delimiter"`
	RequestEncoding  types.String `tfsdk:"request_encoding"`
	ExtraParams      types.Map    `tfsdk:"extra_params"`
	TenantID         types.String `tfsdk:"tenant_id"`
	Username         types.String `tfsdk:"username"`
	Password         types.String `tfsdk:"password"`
	RefreshToken     types.String `tfsdk:"refresh_token"`
	AuthorizationURL types.String `tfsdk:"authorization_url"`
	RedirectURI      types.String `tfsdk:"redirect_uri"`
}

// connectionWriteOnlyModel holds the write-only twins of the secret
// settings. Their values exist only in the configuration.
type connectionWriteOnlyModel struct {
	ClientSecretWO        types.String `tfsdk:"client_secret_wo"`
	ClientSecretWOVersion types.Int64  `tfsdk:"client_secret_wo_version"`
	PasswordWO            types.String `tfsdk:"password_wo"`
	PasswordWOVersion     types.Int64  `tfsdk:"password_wo_version"`
	RefreshTokenWO        types.String `tfsdk:"refresh_token_wo"`
	RefreshTokenWOVersion types.Int64  `tfsdk:"refresh_token_wo_version"`
}

// stringField maps a string setting's name to its field.
func (m *connectionSettingsModel) stringField(name string) *types.String {
	switch name {
	case "grant_type":
		return &m.GrantType
	case "token_url":
		return &m.TokenURL
	case "client_id":
		return &m.ClientID
	case "client_secret":
		return &m.ClientSecret
	case "client_auth":
		return &m.ClientAuth
	case "scope_delimiter":
		return &m.ScopeDelimiter
	case "request_encoding":
		return &m.RequestEncoding
	case "tenant_id":
		return &m.TenantID
	case "username":
		return &m.Username
	case "password":
		return &m.Password
	case "refresh_token":
		return &m.RefreshToken
	case "authorization_url":
		return &m.AuthorizationURL
	case "redirect_uri":
		return &m.RedirectURI
	}
	return nil
}

// applyDefaults sets every null setting that has a default, as resource
// schemas do through Default. The ephemeral resource calls it in Open.
func (m *connectionSettingsModel) applyDefaults() {
	for _, s := range connectionSettings {
		if s.defaultValue == "" {
			continue
		}
		if f := m.stringField(s.name); f != nil && f.IsNull() {
			*f = types.StringValue(s.defaultValue)
		}
	}
}

// values lists every setting, for change detection.
func (m connectionSettingsModel) values() []attr.Value {
	return []attr.Value{
		m.GrantType, m.TokenURL, m.ClientID, m.ClientSecret, m.ClientAuth, m.Scopes, m.ScopeDelimiter,
		m.RequestEncoding, m.ExtraParams, m.TenantID, m.Username, m.Password, m.RefreshToken,
		m.AuthorizationURL, m.RedirectURI,
	}
}

func (w connectionWriteOnlyModel) versions() []attr.Value {
	return []attr.Value{w.ClientSecretWOVersion, w.PasswordWOVersion, w.RefreshTokenWOVersion}
}

// nullValues clears the write-only values, which must never reach state.
func (w *connectionWriteOnlyModel) nullValues() {
	w.ClientSecretWO = types.StringNull()
	w.PasswordWO = types.StringNull()
	w.RefreshTokenWO = types.StringNull()
}

// tokenRequest converts the settings, with write-only values read from the
// configuration, into a token request. Null settings take their defaults.
func (m connectionSettingsModel) tokenRequest(ctx context.Context, wo connectionWriteOnlyModel) (oauthclient.Request, diag.Diagnostics) {
	var diags diag.Diagnostics
	m.applyDefaults()

	req := oauthclient.Request{
		TokenURL:       m.TokenURL.ValueString(),
		TenantID:       m.TenantID.ValueString(),
		GrantType:      oauthclient.GrantType(m.GrantType.ValueString()),
		AuthStyle:      oauthclient.AuthStyle(m.ClientAuth.ValueString()),
		Encoding:       oauthclient.Encoding(m.RequestEncoding.ValueString()),
		ClientID:       m.ClientID.ValueString(),
		ClientSecret:   firstSet(m.ClientSecret, wo.ClientSecretWO),
		ScopeDelimiter: m.ScopeDelimiter.ValueString(),
		Username:       m.Username.ValueString(),
		Password:       firstSet(m.Password, wo.PasswordWO),
		RefreshToken:   firstSet(m.RefreshToken, wo.RefreshTokenWO),
		RedirectURI:    m.RedirectURI.ValueString(),
	}
	if !m.Scopes.IsNull() && !m.Scopes.IsUnknown() {
		diags.Append(m.Scopes.ElementsAs(ctx, &req.Scopes, false)...)
	}
	if !m.ExtraParams.IsNull() && !m.ExtraParams.IsUnknown() {
		diags.Append(m.ExtraParams.ElementsAs(ctx, &req.ExtraParams, false)...)
	}
	return req, diags
}

// authCodeRequest builds the authorization request matching the settings
// (RFC 6749 §4.1.1).
func (m connectionSettingsModel) authCodeRequest(ctx context.Context, state, verifier string) (oauthclient.AuthCodeRequest, diag.Diagnostics) {
	tr, diags := m.tokenRequest(ctx, connectionWriteOnlyModel{})
	return oauthclient.AuthCodeRequest{
		AuthorizationURL: m.AuthorizationURL.ValueString(),
		TenantID:         tr.TenantID,
		ClientID:         tr.ClientID,
		RedirectURI:      tr.RedirectURI,
		Scopes:           tr.Scopes,
		ScopeDelimiter:   tr.ScopeDelimiter,
		State:            state,
		CodeVerifier:     verifier,
		ExtraParams:      tr.ExtraParams,
	}, diags
}

// firstSet returns the first value that is set and not empty.
func firstSet(values ...types.String) string {
	for _, v := range values {
		if !v.IsNull() && !v.IsUnknown() && v.ValueString() != "" {
			return v.ValueString()
		}
	}
	return ""
}

// requestSecrets lists the secret values a request carries, for log masking.
func requestSecrets(r oauthclient.Request) []string {
	var out []string
	for _, s := range append([]string{r.ClientSecret, r.Password, r.RefreshToken, r.Code, r.CodeVerifier}, r.AlsoRedact...) {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// secretFieldKeys are log field keys whose values are always masked.
var secretFieldKeys = []string{
	"client_secret", "password", "refresh_token", "access_token", "id_token", "code", "code_verifier", "authorization",
}

// maskSecrets registers the given secret values and the secret field keys
// for masking in every later log line on ctx.
func maskSecrets(ctx context.Context, secrets ...string) context.Context {
	var set []string
	for _, s := range secrets {
		if s != "" {
			set = append(set, s)
		}
	}
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, secretFieldKeys...)
	if len(set) > 0 {
		ctx = tflog.MaskAllFieldValuesStrings(ctx, set...)
		ctx = tflog.MaskMessageStrings(ctx, set...)
	}
	return ctx
}

// grantedScopes returns the scopes the server granted, or the requested ones
// when it did not say (RFC 6749 §5.1).
func grantedScopes(tok *oauthclient.Token, req oauthclient.Request) []string {
	if tok.Scope == "" {
		if req.Scope != "" {
			return splitScope(req.Scope, req.ScopeDelimiter)
		}
		out := make([]string, 0, len(req.Scopes))
		return append(out, req.Scopes...)
	}
	return splitScope(tok.Scope, req.ScopeDelimiter)
}

// splitScope splits a scope string on the delimiter, on spaces too (the
// RFC 6749 §3.3 form servers often answer with), dropping empty parts.
func splitScope(scope, delimiter string) []string {
	if delimiter == "" {
		delimiter = oauthclient.DefaultScopeDelimiter
	}
	out := []string{}
	for _, part := range strings.Split(scope, delimiter) {
		out = append(out, strings.Fields(part)...)
	}
	return out
}
