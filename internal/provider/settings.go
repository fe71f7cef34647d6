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

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/idtoken"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/presets"
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
		grantTokenExchange,
		grantJWTBearer,
		grantDeviceCode,
	}
	// ephemeralGrantTypes are the grants oauth2_access_token runs: every one
	// but authorization_code, whose code is single-use.
	ephemeralGrantTypes = []string{
		string(oauthclient.GrantClientCredentials),
		string(oauthclient.GrantPassword),
		string(oauthclient.GrantRefreshToken),
		grantTokenExchange,
		grantJWTBearer,
	}
	clientAuthStyles = authStyleNames()
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
	// settingNested is a single nested attribute of children: settings that
	// belong to one credential live together, which keeps the top-level
	// schema small (every top-level attribute costs the framework and the CLI
	// a little on every plan of every instance; see bench/profile.md).
	settingNested
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
	// writeOnlyOnly renders only the write-only form in resource schemas:
	// keys, assertions and subject tokens have no reason to be stored, and
	// short-lived ones would be stale by the next run anyway. The ephemeral
	// schema has the plain, sensitive attribute.
	writeOnlyOnly bool
	// allowed, when set, restricts the value and is listed in the description.
	allowed []string
	// validators check string values besides allowed.
	validators []validator.String
	// defaultValue is a schema Default in resources and applied in Open by
	// connectionSettingsModel.applyDefaults in the ephemeral resource.
	defaultValue string
	// children are the settings of a settingNested.
	children []settingSpec
	// nested is set on the children of a settingNested while they are
	// rendered: their validators refer to siblings, not to the root.
	nested bool
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
		name: "token_url",
		description: "The token endpoint (RFC 6749 §3.2). A `{tenant_id}` placeholder is replaced with `tenant_id`. " +
			"Required unless `preset` or `issuer` supplies it.",
		validators: []validator.String{tokenURLValidator{}},
	},
	{
		name: "preset",
		description: "A platform whose endpoints and conventions the provider knows (see the presets guide): it fills " +
			"`token_url`, `authorization_url`, `revocation_url`, `client_auth`, `scope_delimiter` and `request_encoding` " +
			"wherever the configuration leaves them unset. Explicit settings win.",
		allowed: presets.Names(),
	},
	{
		name:        "preset_params",
		kind:        settingStringMap,
		description: "The parameters of `preset`, such as `tenant_id` or `domain`; the presets guide lists each preset's.",
	},
	{
		name: "issuer",
		description: "The authorization server's issuer identifier. Its metadata (RFC 8414, or OpenID Connect Discovery) " +
			"is fetched once per run and fills `token_url`, `authorization_url` and `revocation_url` wherever the " +
			"configuration and `preset` leave them unset, and picks the client authentication from the methods it lists " +
			"when `client_auth` is unset. The document's issuer must match exactly.",
		validators: []validator.String{issuerValidator{}},
	},
	{
		name: "device_authorization_url",
		description: "The device authorization endpoint (RFC 8628 §3.1), for `grant_type = \"device_code\"` and the " +
			"`oauth2 authorize --device` command. Supplied by `preset` or `issuer` when unset.",
		validators: []validator.String{tokenURLValidator{}},
	},
	{
		name: "revocation_url",
		description: "The revocation endpoint (RFC 7009). Destroying a connection revokes the refresh token it holds " +
			"there, and `revoke_on_close` on an access token revokes that token. Supplied by `preset` or `issuer` when unset.",
		validators: []validator.String{tokenURLValidator{}},
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
	{
		name: "signing_key",
		kind: settingNested,
		description: "The private key the provider signs JWTs with: with `grant_type = \"jwt_bearer\"` and no " +
			"`jwt_bearer.assertion`, the grant's assertion (RFC 7523 §2.1); otherwise a client assertion, `private_key_jwt` " +
			"client authentication (RFC 7523 §2.2, OpenID Connect Core §9). Every attempt signs a new one.",
		children: []settingSpec{
			{
				name: "private_key",
				description: "The PEM private key: RSA of at least 2048 bits, ECDSA P-256/P-384/P-521 or Ed25519, in PKCS#1, " +
					"SEC 1 or PKCS#8 form, unencrypted. Conflicts with `private_key_file`.",
				sensitive:     true,
				writeOnlyTwin: true,
				writeOnlyOnly: true,
			},
			{
				name:        "private_key_file",
				description: "Path of a file holding the PEM private key, read at every token request, so the key never passes through Terraform values.",
			},
			{
				name:        "key_id",
				description: "Sent as the `kid` header, so the server picks the registered key (RFC 7515 §4.1.4).",
			},
			{
				name: "algorithm",
				description: "The JWS algorithm. Unset picks the key's usual one: `RS256` for RSA, `ES256`, `ES384` or `ES512` " +
					"by curve, `EdDSA` for Ed25519; `PS256` is the other choice for RSA.",
				allowed: oauthclient.SigningAlgorithms(),
			},
			{
				name: "certificate",
				description: "The PEM certificate of the key. Its SHA-256 thumbprint is sent as the `x5t#S256` header " +
					"(RFC 7515 §4.1.8), which certificate credentials such as Microsoft Entra's identify the key by.",
			},
			{
				name: "client_assertion_audience",
				description: "The `aud` claim of the client assertions the key (or `client_auth = \"client_secret_jwt\"`) " +
					"signs. Defaults to the token URL (RFC 7523 §3); some servers want their issuer identifier.",
			},
		},
	},
	{
		name: "client_assertion",
		description: "A ready client assertion (RFC 7523 §2.2), sent with `private_key_jwt` client authentication: a JWT " +
			"another system issued. Prefer `identity_token`, which fetches a new one at every request.",
		sensitive:     true,
		writeOnlyTwin: true,
		writeOnlyOnly: true,
	},
	{
		name: "identity_token",
		kind: settingNested,
		description: "The OpenID Connect token of the CI job or workload the provider runs in, fetched at every token " +
			"request: the `token_exchange` subject token of `grant_type = \"token_exchange\"`, the `jwt_bearer` assertion " +
			"of `grant_type = \"jwt_bearer\"` without a `signing_key`, and the client assertion of any other grant " +
			"(workload identity federation). No secret is configured at all.",
		children: []settingSpec{
			{
				name: "source",
				description: "Where the token comes from: `github_actions` (the job needs `permissions: id-token: write`), " +
					"`gitlab_ci` (an `id_tokens` variable named by `name`), `hcp_terraform` (workload identity: " +
					"`TFC_WORKLOAD_IDENTITY_TOKEN`, or `TFC_WORKLOAD_IDENTITY_TOKEN_<name>`) or `file` (`file`, such as a " +
					"Kubernetes projected service account token).",
				required: true,
				allowed:  idtoken.Kinds(),
			},
			{
				name:        "audience",
				description: "With `github_actions`, the audience GitHub puts in the token, such as `api://AzureADTokenExchange`.",
			},
			{
				name:        "name",
				description: "With `gitlab_ci`, the name of the `id_tokens` variable; with `hcp_terraform`, the optional tag of `TFC_WORKLOAD_IDENTITY_TOKEN_<tag>`.",
			},
			{
				name:        "file",
				description: "With `file`, the path of the token file, read afresh at every token request.",
			},
		},
	},
	{
		name:        "token_exchange",
		kind:        settingNested,
		description: "The parameters of `grant_type = \"token_exchange\"` (RFC 8693 §2.1).",
		children: []settingSpec{
			{
				name:          "subject_token",
				description:   "The token to exchange. Conflicts with `identity_token`, which supplies one.",
				sensitive:     true,
				writeOnlyTwin: true,
				writeOnlyOnly: true,
			},
			{
				name: "subject_token_type",
				description: "The type of the subject token (RFC 8693 §3). Defaults to `urn:ietf:params:oauth:token-type:jwt` " +
					"for a token from `identity_token` and to `urn:ietf:params:oauth:token-type:access_token` otherwise.",
			},
			{
				name:          "actor_token",
				description:   "The token of the party acting for the subject, for delegation. Requires `actor_token_type`.",
				sensitive:     true,
				writeOnlyTwin: true,
				writeOnlyOnly: true,
			},
			{
				name:        "actor_token_type",
				description: "The type of the actor token (RFC 8693 §3).",
			},
			{
				name:        "requested_token_type",
				description: "The type of token to ask for; the server's default when unset.",
			},
			{
				name:        "audiences",
				kind:        settingStringList,
				description: "Sent as repeated `audience` parameters: the services the token is for. Conflicts with an `audience` key in `extra_params`.",
			},
			{
				name:        "resources",
				kind:        settingStringList,
				description: "Sent as repeated `resource` parameters: the URIs of the resources the token is for (RFC 8707 §2).",
			},
		},
	},
	{
		name: "jwt_bearer",
		kind: settingNested,
		description: "The assertion of `grant_type = \"jwt_bearer\"` (RFC 7523 §2.1): ready, or signed by `signing_key` " +
			"from the claims below (Salesforce, Google service accounts).",
		children: []settingSpec{
			{
				name:          "assertion",
				description:   "A ready assertion. Without it, `signing_key` signs one from the claims below.",
				sensitive:     true,
				writeOnlyTwin: true,
				writeOnlyOnly: true,
			},
			{
				name:        "issuer",
				description: "The `iss` claim: a Salesforce connected app's consumer key, a Google service account's email. Defaults to `client_id`.",
			},
			{
				name:        "subject",
				description: "The `sub` claim: the user the token is for (a Salesforce username, a Google Workspace user to impersonate). Omitted when unset.",
			},
			{
				name:        "audience",
				description: "The `aud` claim, such as `https://login.salesforce.com`. Defaults to the token URL.",
			},
			{
				name:        "claims",
				kind:        settingStringMap,
				description: "Further string claims, such as the `scope` claim Google service accounts send. `iss`, `sub`, `aud`, `exp`, `iat`, `nbf` and `jti` are set by the provider.",
			},
		},
	},
	{
		name: "tls_client",
		kind: settingNested,
		description: "A client certificate presented in the TLS handshake with the token endpoint (RFC 8705): for " +
			"`client_auth = \"tls_client_auth\"` or `\"self_signed_tls_client_auth\"`, or for a server that requires " +
			"mutual TLS. It replaces the provider's `tls_client` here. A token bound to the certificate only works " +
			"for a client that presents the same certificate to the API.",
		children: []settingSpec{
			{
				name:        "certificate",
				description: "The PEM client certificate and any intermediates. Conflicts with `certificate_file`.",
			},
			{
				name:        "certificate_file",
				description: "Path of a file holding the PEM certificate, read at every token request.",
			},
			{
				name:          "key",
				description:   "The PEM private key of the certificate. Conflicts with `key_file`.",
				sensitive:     true,
				writeOnlyTwin: true,
				writeOnlyOnly: true,
			},
			{
				name:        "key_file",
				description: "Path of a file holding the PEM private key, read at every token request.",
			},
		},
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
	case settingNested:
		children := map[string]rschema.Attribute{}
		for _, c := range s.children {
			c.nested = true
			c.resourceAttributes(children)
		}
		attrs[s.name] = rschema.SingleNestedAttribute{
			MarkdownDescription: s.markdown(),
			Attributes:          children,
			Optional:            true,
		}
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
		if s.writeOnlyOnly {
			break
		}
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
	woDescription := fmt.Sprintf("Write-only form of `%s`: sent to the token endpoint, never stored in plan or state. "+
		"Requires `%s`; change that number to apply a new value. Conflicts with `%s`.",
		s.name, woVersionName(s.name), s.name)
	if s.writeOnlyOnly {
		woDescription = s.markdown() + fmt.Sprintf(" Write-only: never stored in plan or state. Requires `%s`; change "+
			"that number to apply a new value.", woVersionName(s.name))
	}
	attrs[woName(s.name)] = rschema.StringAttribute{
		MarkdownDescription: woDescription,
		Optional:            true,
		Sensitive:           true,
		WriteOnly:           true,
		Validators:          []validator.String{stringvalidator.AlsoRequires(s.sibling(woVersionName(s.name)))},
	}
	attrs[woVersionName(s.name)] = rschema.Int64Attribute{
		MarkdownDescription: fmt.Sprintf("Any number; change it whenever `%s` changes so the new value is sent and validated.", woName(s.name)),
		Optional:            true,
	}
}

// sibling is the path expression of the attribute called name beside s.
func (s settingSpec) sibling(name string) path.Expression {
	if s.nested {
		return path.MatchRelative().AtParent().AtName(name)
	}
	return path.MatchRoot(name)
}

// ephemeralAttributes adds the attributes for s to attrs in ephemeral schema
// form: no defaults (applyDefaults sets them in Open) and no write-only twin,
// because ephemeral values are never stored anyway.
func (s settingSpec) ephemeralAttributes(attrs map[string]eschema.Attribute) {
	optional := !s.required
	switch s.kind {
	case settingNested:
		children := map[string]eschema.Attribute{}
		for _, c := range s.children {
			c.nested = true
			c.ephemeralAttributes(children)
		}
		attrs[s.name] = eschema.SingleNestedAttribute{
			MarkdownDescription: s.markdown(),
			Attributes:          children,
			Optional:            true,
		}
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
	Preset           types.String `tfsdk:"preset"`
	PresetParams     types.Map    `tfsdk:"preset_params"`
	Issuer           types.String `tfsdk:"issuer"`
	RevocationURL    types.String `tfsdk:"revocation_url"`
	DeviceAuthURL    types.String `tfsdk:"device_authorization_url"`

	SigningKey    types.Object `tfsdk:"signing_key"`
	IdentityToken types.Object `tfsdk:"identity_token"`
	TokenExchange types.Object `tfsdk:"token_exchange"`
	JWTBearer     types.Object `tfsdk:"jwt_bearer"`
	TLSClient     types.Object `tfsdk:"tls_client"`
}

// credentialSecretsModel holds the secrets that resources take only in
// write-only form and the ephemeral resource as plain sensitive attributes,
// outside the nested settings.
type credentialSecretsModel struct {
	ClientAssertion types.String `tfsdk:"client_assertion"`
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

	ClientAssertionWO        types.String `tfsdk:"client_assertion_wo"`
	ClientAssertionWOVersion types.Int64  `tfsdk:"client_assertion_wo_version"`
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
	case "preset":
		return &m.Preset
	case "issuer":
		return &m.Issuer
	case "revocation_url":
		return &m.RevocationURL
	case "device_authorization_url":
		return &m.DeviceAuthURL
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
		m.AuthorizationURL, m.RedirectURI, m.Preset, m.PresetParams, m.Issuer, m.RevocationURL, m.DeviceAuthURL,
		m.SigningKey, m.IdentityToken, m.TokenExchange, m.JWTBearer, m.TLSClient,
	}
}

func (w connectionWriteOnlyModel) versions() []attr.Value {
	return []attr.Value{
		w.ClientSecretWOVersion, w.PasswordWOVersion, w.RefreshTokenWOVersion, w.ClientAssertionWOVersion,
	}
}

// nullValues clears the write-only values, which must never reach state.
func (w *connectionWriteOnlyModel) nullValues() {
	for _, v := range []*types.String{
		&w.ClientSecretWO, &w.PasswordWO, &w.RefreshTokenWO, &w.ClientAssertionWO,
	} {
		*v = types.StringNull()
	}
}

// tokenRequest converts the settings, with write-only values read from the
// configuration, into a token request: keys are parsed, files read and
// workload identity tokens fetched now, once per request. Null settings take
// their defaults.
func (m connectionSettingsModel) tokenRequest(ctx context.Context, wo connectionWriteOnlyModel, creds credentialConfig) (oauthclient.Request, diag.Diagnostics) {
	req, diags := m.baseRequest(ctx, wo)
	if diags.HasError() {
		return req, diags
	}
	diags.Append(creds.apply(ctx, &req)...)
	return req, diags
}

// baseRequest is tokenRequest without the credentials that need work to
// obtain.
func (m connectionSettingsModel) baseRequest(ctx context.Context, wo connectionWriteOnlyModel) (oauthclient.Request, diag.Diagnostics) {
	var diags diag.Diagnostics
	m.applyDefaults()

	req := oauthclient.Request{
		TokenURL:       m.TokenURL.ValueString(),
		TenantID:       m.TenantID.ValueString(),
		GrantType:      grantFromSetting(m.GrantType.ValueString()),
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
	tr, diags := m.baseRequest(ctx, connectionWriteOnlyModel{})
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
	for _, s := range append([]string{
		r.ClientSecret, r.Password, r.RefreshToken, r.Code, r.CodeVerifier,
		r.ClientAssertion, r.Assertion, r.SubjectToken, r.ActorToken,
	}, r.AlsoRedact...) {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// secretFieldKeys are log field keys whose values are always masked.
var secretFieldKeys = []string{
	"client_secret", "password", "refresh_token", "access_token", "id_token", "code", "code_verifier", "authorization",
	"client_assertion", "assertion", "subject_token", "actor_token", "private_key", "tls_client_key",
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
