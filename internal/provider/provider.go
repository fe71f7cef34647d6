// Package provider implements the oauth2 Terraform and OpenTofu provider: it
// translates between schema models and internal/oauthclient requests.
package provider

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokens"
)

// Environment variables read when the matching provider attribute is not set.
const (
	envExpiryBuffer      = "OAUTH2_EXPIRY_BUFFER"
	envRequestTimeout    = "OAUTH2_REQUEST_TIMEOUT"
	envMaxRetries        = "OAUTH2_MAX_RETRIES"
	envCACertPEM         = "OAUTH2_CA_CERT_PEM"
	envAllowInsecureHTTP = "OAUTH2_ALLOW_INSECURE_HTTP"
	envAssumedLifetime   = "OAUTH2_ASSUMED_TOKEN_LIFETIME"
	envTLSClientCertFile = "OAUTH2_TLS_CLIENT_CERTIFICATE_FILE"
	envTLSClientKeyFile  = "OAUTH2_TLS_CLIENT_KEY_FILE"
)

// Provider defaults, applied when neither the attribute nor its environment
// variable is set.
const (
	defaultExpiryBuffer   = "5m"
	defaultRequestTimeout = "30s"
	defaultMaxRetries     = 3
	// defaultAssumedLifetime is tokens.DefaultUnknownLifetime as a setting.
	defaultAssumedLifetime = "15m"
)

var (
	_ provider.Provider                       = (*oauth2Provider)(nil)
	_ provider.ProviderWithEphemeralResources = (*oauth2Provider)(nil)
	_ provider.ProviderWithFunctions          = (*oauth2Provider)(nil)
)

// New returns a constructor for the provider at the given version, as
// providerserver.Serve and the acceptance tests expect.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &oauth2Provider{version: version}
	}
}

type oauth2Provider struct {
	version string
	// now is the clock deciding whether a stored token is fresh; nil means
	// time.Now. Tests set it to move past a token's expiry.
	now func() time.Time
	// stores keeps the token stores this provider opened.
	stores storeCache
}

// providerData is what Configure hands to every resource and ephemeral
// resource: one client, so its transport is shared, and one token engine
// over the token store.
type providerData struct {
	client *oauthclient.Client
	tokens *tokens.Engine
	// backend names the token store in messages: file, postgres, vault, or
	// memory when tokens live in this process only.
	backend string
	now     func() time.Time
	// allowInsecureHTTP is the resolved allow_insecure_http, for the
	// checks made before any request (endpointDiagnostics).
	allowInsecureHTTP bool
	// clientCertificates says the provider presents a TLS client
	// certificate of its own (tls_client).
	clientCertificates bool
}

// providerDataFrom returns what the provider's Configure handed to a resource
// or ephemeral resource, or nil before the provider is configured (validation
// runs then).
func providerDataFrom(v any, kind string, diags *diag.Diagnostics) *providerData {
	if v == nil {
		return nil
	}
	data, ok := v.(*providerData)
	if !ok {
		diags.AddError("Unexpected Provider Data",
			fmt.Sprintf("The %s received provider data of type %T instead of the provider's own. This is a bug in the provider; please report it.", kind, v))
		return nil
	}
	return data
}

type providerModel struct {
	ExpiryBuffer      types.String `tfsdk:"expiry_buffer"`
	RequestTimeout    types.String `tfsdk:"request_timeout"`
	MaxRetries        types.Int64  `tfsdk:"max_retries"`
	CACertPEM         types.String `tfsdk:"ca_cert_pem"`
	AllowInsecureHTTP types.Bool   `tfsdk:"allow_insecure_http"`

	TLSClient       types.Object `tfsdk:"tls_client"`
	AssumedLifetime types.String `tfsdk:"assumed_token_lifetime"`
	TokenStore      types.Object `tfsdk:"token_store"`
}

func (p *oauth2Provider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "oauth2"
	resp.Version = p.version
}

func (p *oauth2Provider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The `oauth2` provider proves OAuth 2.0 credentials work by requesting a real token " +
			"at apply time, and hands fresh access tokens to other providers through an ephemeral resource, " +
			"without ever writing a token to plan or state. Every attribute is optional and falls back to an " +
			"environment variable. Tokens are kept between runs in a token store, an encrypted file in the user's " +
			"configuration directory unless `token_store` says otherwise.",
		Attributes: map[string]schema.Attribute{
			// Optional
			"expiry_buffer": schema.StringAttribute{
				MarkdownDescription: "How long a token must still be valid to be handed out; a cached token closer to " +
					"its expiry is refreshed. A Go duration such as `5m` or `90s`. Defaults to `" + defaultExpiryBuffer +
					"`, or the `" + envExpiryBuffer + "` environment variable.",
				Optional:   true,
				Validators: []validator.String{durationValidator{}},
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: "Time limit for each HTTP attempt against a token endpoint. A Go duration such as " +
					"`30s`. Defaults to `" + defaultRequestTimeout + "`, or the `" + envRequestTimeout + "` environment variable.",
				Optional:   true,
				Validators: []validator.String{durationValidator{}},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: "How many times a request is retried after a network error, `429` or `5xx` " +
					"answer, from `0` to `" + strconv.Itoa(oauthclient.MaxRetriesLimit) + "`; credential errors and " +
					"certificate or TLS handshake failures are never retried. Defaults to `" + strconv.Itoa(defaultMaxRetries) +
					"`, or the `" + envMaxRetries + "` environment variable.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, oauthclient.MaxRetriesLimit)},
			},
			"ca_cert_pem": schema.StringAttribute{
				MarkdownDescription: "Extra PEM-encoded CA certificates trusted besides the system pool, for token " +
					"endpoints behind a private CA. Defaults to the `" + envCACertPEM + "` environment variable.",
				Optional: true,
			},
			"tls_client": schema.SingleNestedAttribute{
				MarkdownDescription: "A client certificate presented to every token endpoint that asks for one (mutual " +
					"TLS, RFC 8705), unless a connection or token sets its own `tls_client`. A token the server binds to " +
					"the certificate only works for an API client that presents the same certificate. Without this block, " +
					"the `" + envTLSClientCertFile + "` and `" + envTLSClientKeyFile + "` environment variables name the files.",
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"certificate": schema.StringAttribute{
						MarkdownDescription: "The PEM client certificate and any intermediates. Conflicts with `certificate_file`.",
						Optional:            true,
					},
					"certificate_file": schema.StringAttribute{
						MarkdownDescription: "Path of a file holding the PEM certificate.",
						Optional:            true,
						Validators:          []validator.String{stringvalidator.ConflictsWith(path.MatchRelative().AtParent().AtName("certificate"))},
					},
					"key": schema.StringAttribute{
						MarkdownDescription: "The PEM private key of the certificate. A provider block has no write-only " +
							"attributes; prefer `key_file`, which keeps the key out of Terraform values.",
						Optional:  true,
						Sensitive: true,
					},
					"key_file": schema.StringAttribute{
						MarkdownDescription: "Path of a file holding the PEM private key.",
						Optional:            true,
						Validators:          []validator.String{stringvalidator.ConflictsWith(path.MatchRelative().AtParent().AtName("key"))},
					},
				},
			},
			"allow_insecure_http": schema.BoolAttribute{
				MarkdownDescription: "Permit plain `http` token endpoints on hosts other than loopback. Plain `http` " +
					"to `localhost`, `127.0.0.1` or `::1` is always allowed. Defaults to `false`, or the `" +
					envAllowInsecureHTTP + "` environment variable.",
				Optional: true,
			},
			"assumed_token_lifetime": schema.StringAttribute{
				MarkdownDescription: "How long a token whose server announced no lifetime (no `expires_in`) is taken " +
					"to live from when it was issued: it is reused from the token store while it stays valid for longer " +
					"than the expiry buffer, then a new one is requested. `0s` never reuses such a token. A Go duration " +
					"such as `15m`. Defaults to `" + defaultAssumedLifetime + "`, or the `" + envAssumedLifetime +
					"` environment variable.",
				Optional:   true,
				Validators: []validator.String{durationValidator{}},
			},
			"token_store": tokenStoreAttribute(),
		},
	}
}

func (p *oauth2Provider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}

	opts, diags := clientOptions(config, os.Getenv)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	opts.Logger = tflogLogger

	client, err := oauthclient.New(opts)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("ca_cert_pem"), "Unable to Configure OAuth2 Provider",
			"The provider could not build its HTTP client. Check that ca_cert_pem (or "+envCACertPEM+
				") holds PEM-encoded certificates.\n\n"+errorCause(err))
		return
	}

	store, backend, diags := p.openStore(ctx, config.TokenStore, os.Getenv)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	lifetime := durationSetting(config.AssumedLifetime, "assumed_token_lifetime", envAssumedLifetime, defaultAssumedLifetime, os.Getenv, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if lifetime == 0 {
		// tokens reads zero as its default; the provider's zero means never.
		lifetime = -1
	}

	tflog.Debug(ctx, "configured oauth2 provider", map[string]any{
		"expiry_buffer":          client.ExpiryBuffer().String(),
		"request_timeout":        opts.Timeout.String(),
		"max_retries":            max(opts.MaxRetries, 0),
		"ca_cert_pem_set":        opts.CACertPEM != "",
		"allow_insecure_http":    opts.AllowInsecureHTTP,
		"assumed_token_lifetime": lifetime.String(),
		"token_store":            backend,
	})

	now := p.now
	if now == nil {
		now = time.Now
	}
	engine := tokens.New(tokens.Options{
		Client:          client,
		Store:           store,
		Now:             now,
		UnknownLifetime: lifetime,
		Logger:          tflogLogger,
	})
	data := &providerData{client: client, tokens: engine, backend: backend, now: now, allowInsecureHTTP: opts.AllowInsecureHTTP, clientCertificates: len(opts.ClientCertificates) > 0}
	resp.ResourceData = data
	resp.EphemeralResourceData = data
	resp.DataSourceData = data
}

// clientOptions resolves the provider settings, each from its attribute,
// else its environment variable (read through getenv), else its default.
// objectHasUnknown reports whether any attribute of o is unknown.
func objectHasUnknown(o types.Object) bool {
	for _, v := range o.Attributes() {
		if v.IsUnknown() {
			return true
		}
	}
	return false
}

func clientOptions(config providerModel, getenv func(string) string) (oauthclient.Options, diag.Diagnostics) {
	var diags diag.Diagnostics

	// Unknown values (for example from a resource not yet created) cannot
	// configure a client; say so instead of guessing.
	for _, a := range []struct {
		name    string
		unknown bool
	}{
		{"expiry_buffer", config.ExpiryBuffer.IsUnknown()},
		{"request_timeout", config.RequestTimeout.IsUnknown()},
		{"max_retries", config.MaxRetries.IsUnknown()},
		{"ca_cert_pem", config.CACertPEM.IsUnknown()},
		{"allow_insecure_http", config.AllowInsecureHTTP.IsUnknown()},
		{"assumed_token_lifetime", config.AssumedLifetime.IsUnknown()},
		{"tls_client", config.TLSClient.IsUnknown() || objectHasUnknown(config.TLSClient)},
	} {
		if a.unknown {
			diags.AddAttributeError(path.Root(a.name), "Unknown OAuth2 Provider Setting",
				fmt.Sprintf("The provider cannot be configured because %s depends on a value that is only known after apply. "+
					"Set it to a literal value or a variable, or remove it and use its environment variable instead.", a.name))
		}
	}
	if diags.HasError() {
		return oauthclient.Options{}, diags
	}

	expiryBuffer := durationSetting(config.ExpiryBuffer, "expiry_buffer", envExpiryBuffer, defaultExpiryBuffer, getenv, &diags)
	timeout := durationSetting(config.RequestTimeout, "request_timeout", envRequestTimeout, defaultRequestTimeout, getenv, &diags)

	maxRetries := int64(defaultMaxRetries)
	if !config.MaxRetries.IsNull() {
		maxRetries = config.MaxRetries.ValueInt64()
	} else if v := getenv(envMaxRetries); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > oauthclient.MaxRetriesLimit {
			diags.AddAttributeError(path.Root("max_retries"), "Invalid OAuth2 Provider Environment Variable",
				fmt.Sprintf("The %s environment variable must be a whole number from 0 to %d (it sets max_retries), got %q. "+
					"Correct or unset it, or set max_retries in the provider block.", envMaxRetries, oauthclient.MaxRetriesLimit, v))
		}
		maxRetries = n
	}

	caCertPEM := config.CACertPEM.ValueString()
	if config.CACertPEM.IsNull() {
		caCertPEM = getenv(envCACertPEM)
	}

	allowInsecure := config.AllowInsecureHTTP.ValueBool()
	if config.AllowInsecureHTTP.IsNull() {
		if v := getenv(envAllowInsecureHTTP); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				diags.AddAttributeError(path.Root("allow_insecure_http"), "Invalid OAuth2 Provider Environment Variable",
					fmt.Sprintf("The %s environment variable must be true or false, got %q. "+
						"Correct or unset it, or set allow_insecure_http in the provider block.", envAllowInsecureHTTP, v))
			}
			allowInsecure = b
		}
	}
	tc := config.TLSClient
	certFile, keyFile := nestedString(tc, "certificate_file"), nestedString(tc, "key_file")
	if tc.IsNull() {
		certFile, keyFile = getenv(envTLSClientCertFile), getenv(envTLSClientKeyFile)
	}
	cert, d := loadClientCertificate(path.Root("tls_client"), nestedString(tc, "certificate"), certFile, nestedString(tc, "key"), keyFile)
	diags.Append(d...)
	if diags.HasError() {
		return oauthclient.Options{}, diags
	}
	var certs []tls.Certificate
	if cert != nil {
		certs = []tls.Certificate{*cert}
	}

	// oauthclient reads zero as "the default" and a negative value as
	// "none"; the provider's zero means none.
	retries := int(maxRetries)
	if retries == 0 {
		retries = -1
	}
	if expiryBuffer == 0 {
		expiryBuffer = -1
	}
	return oauthclient.Options{
		Timeout:            timeout,
		MaxRetries:         retries,
		ExpiryBuffer:       expiryBuffer,
		CACertPEM:          caCertPEM,
		AllowInsecureHTTP:  allowInsecure,
		ClientCertificates: certs,
	}, diags
}

// tflogLogger forwards the client's debug events, already scrubbed of
// secrets, to the provider log.
func tflogLogger(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(ctx, msg, fields)
}

// durationSetting resolves a duration attribute from its configured value,
// its environment variable or its default. Configured values were already
// checked by durationValidator at plan time.
func durationSetting(v types.String, attr, env, def string, getenv func(string) string, diags *diag.Diagnostics) time.Duration {
	s, source := v.ValueString(), attr
	if v.IsNull() {
		s, source = getenv(env), env+" environment variable"
		if s == "" {
			s, source = def, attr
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		msg := "must not be negative"
		if err != nil {
			msg = err.Error()
		}
		diags.AddAttributeError(path.Root(attr), "Invalid OAuth2 Provider Duration",
			fmt.Sprintf("The %s must be a Go duration such as \"30s\" or \"5m\", got %q. Correct it or unset it to use the default.\n\nCause: %s",
				source, s, msg))
		return 0
	}
	return d
}

func (p *oauth2Provider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewConnectionResource,
		NewWebhookSecretResource,
	}
}

func (p *oauth2Provider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		NewAccessTokenEphemeralResource,
	}
}

func (p *oauth2Provider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewServerMetadataDataSource}
}

// Functions are the provider functions (Terraform 1.8 and later, OpenTofu
// 1.7 and later). They read no provider configuration and make no requests.
func (p *oauth2Provider) Functions(context.Context) []func() function.Function {
	return []func() function.Function{
		NewAuthorizationURLFunction,
		NewPKCEChallengeFunction,
		NewJWTClaimsFunction,
		NewBasicAuthFunction,
	}
}
