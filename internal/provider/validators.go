package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/endpoints"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/idtoken"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

var _ validator.String = durationValidator{}

// durationValidator checks that a string is a non-negative Go duration such
// as "30s" or "5m", so a typo fails at plan time with the attribute path.
type durationValidator struct{}

func (v durationValidator) Description(context.Context) string {
	return "value must be a Go duration such as \"30s\" or \"5m\""
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	d, err := time.ParseDuration(s)
	if err == nil && d < 0 {
		err = fmt.Errorf("duration %q is negative", s)
	}
	if err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Duration",
			fmt.Sprintf("The value %q of %s is not a usable duration. Use a Go duration such as \"30s\", \"5m\" or \"1h30m\".\n\n%s",
				s, req.Path, errorCause(err)))
	}
}

var _ validator.String = tokenURLValidator{}

// tokenURLValidator checks the form of a token endpoint URL at plan time:
// absolute, http or https, a host, and no user information or fragment
// (RFC 6749 §3.2). Whether plain http is allowed depends on the provider's
// allow_insecure_http, which is not known here, so that rule waits for the
// token request. Messages show the URL through oauthclient.RedactURL.
type tokenURLValidator struct{}

func (v tokenURLValidator) Description(context.Context) string {
	return "value must be an absolute http or https URL without user information or a fragment"
}

func (v tokenURLValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v tokenURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := oauthclient.ValidateTokenURL(req.ConfigValue.ValueString(), true); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Token URL",
			fmt.Sprintf("The %s is not a usable token endpoint. Give the absolute URL of the token endpoint, such as "+
				"\"https://login.example.com/oauth2/token\", and put the client credentials in client_id and the client "+
				"secret attributes, never in the URL.\n\n%s", req.Path, errorCause(err)))
	}
}

var _ validator.String = issuerValidator{}

// issuerValidator checks the form of an issuer identifier at plan time
// (RFC 8414 §2): an absolute http or https URL with no query or fragment.
// Whether plain http is allowed waits for the provider's settings, as for
// token_url.
type issuerValidator struct{}

func (v issuerValidator) Description(context.Context) string {
	return "value must be an absolute https URL without a query or fragment"
}

func (v issuerValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v issuerValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	raw := req.ConfigValue.ValueString()
	err := oauthclient.ValidateTokenURL(raw, true)
	if err == nil && strings.ContainsAny(raw, "?") {
		err = errors.New("an issuer identifier has no query component (RFC 8414 §2)")
	}
	if err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Issuer",
			fmt.Sprintf("The %s is not a usable issuer identifier. Give the authorization server's issuer exactly as its "+
				"metadata states it, such as \"https://login.example.com\" or \"https://login.example.com/tenant\".\n\n%s",
				req.Path, errorCause(err)))
	}
}

// settingsRule is a configuration check over several attributes. Each rule
// says what it checks and checks it on the configuration's values; a
// settingsValidator runs all the rules of an entity.
type settingsRule interface {
	Description(context.Context) string
	check(c configValues, diags *diag.Diagnostics)
}

// settingsValidator runs an entity's settings rules as its one resource or
// ephemeral resource config validator. The configuration is decoded once,
// straight from its Terraform value, and every rule reads that decoding:
// each framework path lookup (tfsdk.Config.GetAttribute, PathMatches) walks
// the schema and copies its attribute map, which with some forty attributes
// and a dozen rules made validation cost more than the rest of a plan.
type settingsValidator struct {
	rules []settingsRule
	// description is every rule's, joined once: the framework asks for it
	// on every validation, to log it.
	description string
}

var (
	_ resource.ConfigValidator  = settingsValidator{}
	_ ephemeral.ConfigValidator = settingsValidator{}
)

// newSettingsValidator builds an entity's validator once per process.
func newSettingsValidator(rules ...settingsRule) settingsValidator {
	v := settingsValidator{rules: rules}
	v.description = v.describe(context.Background())
	return v
}

func (v settingsValidator) Description(ctx context.Context) string {
	if v.description != "" {
		return v.description
	}
	return v.describe(ctx)
}

func (v settingsValidator) describe(ctx context.Context) string {
	descriptions := make([]string, len(v.rules))
	for i, r := range v.rules {
		descriptions[i] = r.Description(ctx)
	}
	return strings.Join(descriptions, "; ")
}

func (v settingsValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v settingsValidator) ValidateResource(_ context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	v.validate(req.Config, &resp.Diagnostics)
}

func (v settingsValidator) ValidateEphemeralResource(_ context.Context, req ephemeral.ValidateConfigRequest, resp *ephemeral.ValidateConfigResponse) {
	v.validate(req.Config, &resp.Diagnostics)
}

func (v settingsValidator) validate(config tfsdk.Config, diags *diag.Diagnostics) {
	c, ok := decodeConfig(config, diags)
	if !ok {
		return
	}
	for _, r := range v.rules {
		r.check(c, diags)
	}
}

// configValues are the top-level attribute values of a configuration.
type configValues map[string]tftypes.Value

// decodeConfig decodes config's top-level attributes. It reports false, and
// the rules are skipped, when there is nothing to check yet: a configuration
// that is null or wholly unknown.
func decodeConfig(config tfsdk.Config, diags *diag.Diagnostics) (configValues, bool) {
	if config.Raw.IsNull() || !config.Raw.IsKnown() {
		return nil, false
	}
	var c configValues
	if err := config.Raw.As((*map[string]tftypes.Value)(&c)); err != nil {
		diags.AddError("Unable to Read Configuration",
			"The configuration could not be decoded for validation. This is a bug in the provider; please report it.\n\n"+errorCause(err))
		return nil, false
	}
	return c, true
}

// value returns the attribute called name. A rule naming an attribute the
// schema lacks is a provider bug, reported as such.
// A name of the form "parent.child" reads an attribute of a single nested
// attribute: null when the parent is null, unknown when it is unknown.
func (c configValues) value(name string, diags *diag.Diagnostics) (tftypes.Value, bool) {
	parent, child, nested := strings.Cut(name, ".")
	v, ok := c[parent]
	if ok && nested {
		switch {
		case !v.IsKnown():
			return tftypes.NewValue(tftypes.String, tftypes.UnknownValue), true
		case v.IsNull():
			return tftypes.NewValue(tftypes.String, nil), true
		}
		var attrs map[string]tftypes.Value
		if err := v.As(&attrs); err == nil {
			v, ok = attrs[child]
		} else {
			ok = false
		}
	}
	if !ok {
		diags.AddError("Invalid Configuration Rule",
			fmt.Sprintf("A configuration rule reads the attribute %q, which this schema does not have. This is a bug in the provider; please report it.", name))
	}
	return v, ok
}

// set reports whether the attribute called name is configured: not null, a
// string not empty, or unknown (it will be set by apply time).
func (c configValues) set(name string, diags *diag.Diagnostics) (bool, bool) {
	v, ok := c.value(name, diags)
	switch {
	case !ok:
		return false, false
	case !v.IsKnown():
		return true, true
	case v.IsNull():
		return false, true
	}
	var s string
	if v.Type().Is(tftypes.String) && v.As(&s) == nil {
		return s != "", true
	}
	return true, true
}

// attrPath is the path of an attribute named as configValues.value names it.
func attrPath(name string) path.Path {
	parent, child, nested := strings.Cut(name, ".")
	if nested {
		return path.Root(parent).AtName(child)
	}
	return path.Root(name)
}

// str returns the string attribute called name as tfsdk.Config.GetAttribute
// would.
func (c configValues) str(name string, diags *diag.Diagnostics) (types.String, bool) {
	v, ok := c.value(name, diags)
	switch {
	case !ok:
		return types.StringNull(), false
	case !v.IsKnown():
		return types.StringUnknown(), true
	case v.IsNull():
		return types.StringNull(), true
	}
	var s string
	if err := v.As(&s); err != nil {
		diags.AddError("Invalid Configuration Rule",
			fmt.Sprintf("A configuration rule reads the attribute %q as a string, which it is not. This is a bug in the provider; please report it.\n\n%s", name, errorCause(err)))
		return types.StringNull(), false
	}
	return types.StringValue(s), true
}

var (
	_ settingsRule = requiredWhenValidator{}
	_ settingsRule = tenantPlaceholderValidator{}
)

// requiredWhenValidator requires, when attribute when has one of values
// (whenDefault standing in for null), that at least one of anyOf is set.
// When defaultIfSet names an attribute that is set, a null when stands for
// defaultIfSetValue instead of whenDefault.
type requiredWhenValidator struct {
	when              string
	whenDefault       string
	defaultIfSet      string
	defaultIfSetValue string
	values            []string
	anyOf             []string
}

func (v requiredWhenValidator) Description(context.Context) string {
	return fmt.Sprintf("when %s is one of %s, %s must be set", v.when, strings.Join(v.values, ", "), strings.Join(v.anyOf, " or "))
}

func (v requiredWhenValidator) check(c configValues, diags *diag.Diagnostics) {
	when, ok := c.str(v.when, diags)
	if !ok || when.IsUnknown() {
		return
	}
	value := when.ValueString()
	if when.IsNull() {
		value = v.whenDefault
		if v.defaultIfSet != "" {
			other, ok := c.str(v.defaultIfSet, diags)
			if !ok {
				return
			}
			if !other.IsNull() {
				value = v.defaultIfSetValue
			}
		}
	}
	if !slices.Contains(v.values, value) {
		return
	}
	for _, name := range v.anyOf {
		set, ok := c.set(name, diags)
		if !ok || set {
			return
		}
	}
	diags.AddAttributeError(attrPath(v.anyOf[0]),
		"Missing Required Setting",
		fmt.Sprintf("With %s = %q, %s must be set. Set %s, or choose another %s.",
			v.when, value, orList(v.anyOf), orList(v.anyOf), v.when))
}

func orList(names []string) string {
	return strings.Join(names, " or ")
}

// tenantPlaceholderValidator fails when token_url or authorization_url holds
// a {tenant_id} placeholder but tenant_id is not set.
type tenantPlaceholderValidator struct{}

func (v tenantPlaceholderValidator) Description(context.Context) string {
	return "tenant_id must be set when token_url or authorization_url contains {tenant_id}"
}

func (v tenantPlaceholderValidator) check(c configValues, diags *diag.Diagnostics) {
	tenant, ok := c.str("tenant_id", diags)
	if !ok || tenant.IsUnknown() || (!tenant.IsNull() && tenant.ValueString() != "") {
		return
	}
	for _, name := range []string{"token_url", "authorization_url"} {
		u, ok := c.str(name, diags)
		if !ok {
			return
		}
		if strings.Contains(u.ValueString(), "{tenant_id}") {
			diags.AddAttributeError(path.Root(name), "Missing Tenant ID",
				fmt.Sprintf("The %s contains a {tenant_id} placeholder but tenant_id is not set. Set tenant_id, or put the tenant directly in the URL.", name))
		}
	}
}

// connectionRules are the per-grant requirements of the connection
// settings. withWriteOnly says whether the schema has the *_wo twins.
func connectionRules(withWriteOnly bool) []settingsRule {
	// secret lists the attributes a secret setting may be given in.
	// secret lists the attributes a secret setting may be given in;
	// nested settings are named "parent.child".
	secret := func(name string) []string {
		var spec settingSpec
		if parent, child, ok := strings.Cut(name, "."); ok {
			spec = childSpec(parent, child)
		} else {
			spec = settingByName(name)
		}
		switch {
		case !withWriteOnly:
			return []string{name}
		case spec.writeOnlyOnly:
			return []string{woName(name)}
		}
		return []string{name, woName(name)}
	}
	grant := func(g string, anyOf ...string) requiredWhenValidator {
		return requiredWhenValidator{
			when:        "grant_type",
			whenDefault: settingByName("grant_type").defaultValue,
			values:      []string{g},
			anyOf:       anyOf,
		}
	}
	clientAuth := func(style oauthclient.AuthStyle, anyOf ...string) requiredWhenValidator {
		return requiredWhenValidator{
			when:        "client_auth",
			whenDefault: settingByName("client_auth").defaultValue,
			values:      []string{string(style)},
			anyOf:       anyOf,
		}
	}
	join := func(lists ...[]string) []string { return slices.Concat(lists...) }
	signingKey := join(secret("signing_key.private_key"), []string{"signing_key.private_key_file"})
	return []settingsRule{
		grant("client_credentials", "client_id"),
		grant("password", "username"),
		grant("password", secret("password")...),
		grant("refresh_token", secret("refresh_token")...),
		grant("authorization_code", "client_id"),
		grant("authorization_code", "authorization_url", "preset", "issuer"),
		grant("authorization_code", "redirect_uri"),
		grant(grantDeviceCode, "client_id"),
		grant(grantDeviceCode, "device_authorization_url", "preset", "issuer"),
		grant(grantTokenExchange, join(secret("token_exchange.subject_token"), []string{"identity_token"})...),
		grant(grantJWTBearer, join(secret("jwt_bearer.assertion"), []string{"signing_key", "identity_token"})...),
		requiredWhenValidator{
			when:        "client_auth",
			whenDefault: settingByName("client_auth").defaultValue,
			values:      []string{"basic", "post"},
			anyOf:       secret("client_secret"),
		},
		clientAuth(oauthclient.AuthPrivateKeyJWT, join([]string{"signing_key"}, secret("client_assertion"), []string{"identity_token"})...),
		clientAuth(oauthclient.AuthClientSecretJWT, secret("client_secret")...),
		alsoRequiresRule{anyOf: secret("token_exchange.actor_token"), requires: "token_exchange.actor_token_type"},
		alsoRequiresRule{anyOf: []string{"token_exchange.actor_token_type"}, requires: secret("token_exchange.actor_token")[0]},
		alsoRequiresRule{anyOf: []string{"signing_key"}, requires: signingKey[0], orElse: "signing_key.private_key_file"},
		alsoRequiresRule{anyOf: join(secret("tls_client.key"), []string{"tls_client.key_file"}), requires: "tls_client.certificate", orElse: "tls_client.certificate_file"},
		alsoRequiresRule{anyOf: []string{"tls_client.certificate", "tls_client.certificate_file"}, requires: secret("tls_client.key")[0], orElse: "tls_client.key_file"},
		conflictingRule{names: signingKey},
		conflictingRule{names: []string{"tls_client.certificate", "tls_client.certificate_file"}},
		conflictingRule{names: join(secret("tls_client.key"), []string{"tls_client.key_file"})},
		conflictingRule{names: join(secret("token_exchange.subject_token"), []string{"identity_token"})},
		conflictingRule{names: join(secret("jwt_bearer.assertion"), []string{"identity_token"})},
		conflictingRule{names: join(secret("client_assertion"), []string{"identity_token"})},
		conflictingRule{names: join(secret("client_assertion"), []string{"signing_key"})},
		identityTokenRule{},
		endpointSourceRule{},
		presetRule{},
		tenantPlaceholderValidator{},
	}
}

var (
	_ settingsRule = endpointSourceRule{}
	_ settingsRule = presetRule{}
)

// endpointSourceRule requires somewhere to take the token endpoint from.
type endpointSourceRule struct{}

func (v endpointSourceRule) Description(context.Context) string {
	return "one of token_url, preset or issuer must be set"
}

func (v endpointSourceRule) check(c configValues, diags *diag.Diagnostics) {
	for _, name := range []string{"token_url", "preset", "issuer"} {
		set, ok := c.set(name, diags)
		if !ok || set {
			return
		}
	}
	diags.AddAttributeError(path.Root("token_url"), "Missing Token Endpoint",
		"Set token_url to the token endpoint, preset to a platform the provider knows, or issuer to let the "+
			"authorization server's metadata name it.")
}

// presetRule resolves the preset with its parameters at plan time, so that a
// missing or malformed parameter fails before any request. No request is
// made: a preset is data.
type presetRule struct{}

func (v presetRule) Description(context.Context) string {
	return "preset_params must fit preset"
}

func (v presetRule) check(c configValues, diags *diag.Diagnostics) {
	name, ok := c.str("preset", diags)
	if !ok || name.IsUnknown() {
		return
	}
	raw, ok := c.value("preset_params", diags)
	if !ok || !raw.IsFullyKnown() {
		return
	}
	if name.IsNull() {
		if !raw.IsNull() {
			diags.AddAttributeError(path.Root("preset_params"), "Invalid Attribute Combination",
				"preset_params is set without preset. Set preset, or remove preset_params.")
		}
		return
	}
	p, found := endpoints.Lookup(name.ValueString())
	if !found {
		return // the preset's OneOf validator names the choices
	}
	params := map[string]string{}
	if !raw.IsNull() {
		var values map[string]tftypes.Value
		if err := raw.As(&values); err != nil {
			return
		}
		for k, val := range values {
			var s string
			if val.As(&s) == nil {
				params[k] = s
			}
		}
	}
	if _, err := p.Resolve(params); err != nil {
		diags.AddAttributeError(path.Root("preset_params"), "Invalid Preset Parameters",
			fmt.Sprintf("The parameters do not fit preset %q.\n\n%s", name.ValueString(), errorCause(err)))
	}
}

// childSpec returns the spec of a nested setting; it panics on a typo,
// which the schema tests catch.
func childSpec(parent, child string) settingSpec {
	for _, c := range settingByName(parent).children {
		if c.name == child {
			return c
		}
	}
	panic(fmt.Sprintf("provider: no setting %s.%s", parent, child))
}

var (
	_ settingsRule = alsoRequiresRule{}
	_ settingsRule = identityTokenRule{}
)

// alsoRequiresRule requires, when any of anyOf is set, that requires (or
// orElse, when given) is set too.
type alsoRequiresRule struct {
	anyOf    []string
	requires string
	orElse   string
}

func (v alsoRequiresRule) Description(context.Context) string {
	return fmt.Sprintf("%s requires %s", orList(v.anyOf), orList(v.wanted()))
}

func (v alsoRequiresRule) wanted() []string {
	if v.orElse == "" {
		return []string{v.requires}
	}
	return []string{v.requires, v.orElse}
}

func (v alsoRequiresRule) check(c configValues, diags *diag.Diagnostics) {
	set := ""
	for _, name := range v.anyOf {
		value, ok := c.value(name, diags)
		if !ok {
			return
		}
		if !value.IsKnown() || !value.IsNull() {
			set = name
			break
		}
	}
	if set == "" {
		return
	}
	for _, name := range v.wanted() {
		value, ok := c.value(name, diags)
		if !ok || !value.IsKnown() || !value.IsNull() {
			return
		}
	}
	diags.AddAttributeError(attrPath(set), "Missing Required Setting",
		fmt.Sprintf("%s is set, so %s must be set too. Set %s, or remove %s.", set, orList(v.wanted()), orList(v.wanted()), set))
}

// identityTokenRule checks the identity_token_* settings as far as they can
// be checked without the CI environment, which only exists when the token is
// fetched.
type identityTokenRule struct{}

func (v identityTokenRule) Description(context.Context) string {
	return "the identity_token settings fit its source"
}

func (v identityTokenRule) check(c configValues, diags *diag.Diagnostics) {
	names := []string{"identity_token.source", "identity_token.audience", "identity_token.name", "identity_token.file"}
	values := make([]types.String, len(names))
	for i, name := range names {
		s, ok := c.str(name, diags)
		if !ok || s.IsUnknown() {
			return
		}
		values[i] = s
	}
	if values[0].IsNull() {
		return
	}
	src := idtoken.Source{Kind: idtoken.Kind(values[0].ValueString()), Audience: values[1].ValueString(), Name: values[2].ValueString(), File: values[3].ValueString()}
	err := src.Validate()
	if err == nil {
		return
	}
	var fields []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		fields = joined.Unwrap()
	} else {
		fields = []error{err}
	}
	for _, e := range fields {
		attr, detail := "identity_token.source", e.Error()
		var fe *idtoken.FieldError
		if errors.As(e, &fe) {
			if fe.Field != "kind" {
				attr = "identity_token." + fe.Field
			}
			detail = attr + " " + fe.Msg + "."
		}
		diags.AddAttributeError(attrPath(attr), "Invalid Identity Token Setting",
			fmt.Sprintf("The identity token settings do not fit source = %q: %s", values[0].ValueString(), detail))
	}
}

// withConnectionID adapts the grant rules of the ephemeral resource to its
// connection_id: with it, grant_type defaults to refresh_token, and the
// stored refresh token stands in for the refresh_token attribute.
func withConnectionID(rules []settingsRule) []settingsRule {
	out := make([]settingsRule, 0, len(rules))
	for _, r := range rules {
		if rw, ok := r.(requiredWhenValidator); ok && rw.when == "grant_type" {
			rw.defaultIfSet = "connection_id"
			rw.defaultIfSetValue = string(oauthclient.GrantRefreshToken)
			if slices.Contains(rw.values, string(oauthclient.GrantRefreshToken)) && slices.Contains(rw.anyOf, "refresh_token") {
				rw.anyOf = append(slices.Clone(rw.anyOf), "connection_id")
			}
			r = rw
		}
		out = append(out, r)
	}
	return out
}

var _ settingsRule = connectionIDGrantValidator{}

// connectionIDGrantValidator rejects a grant_type other than refresh_token
// together with connection_id, whose stored refresh token is only usable by
// that grant.
type connectionIDGrantValidator struct{}

func (v connectionIDGrantValidator) Description(context.Context) string {
	return "with connection_id, grant_type must be refresh_token or unset"
}

func (v connectionIDGrantValidator) check(c configValues, diags *diag.Diagnostics) {
	id, ok := c.str("connection_id", diags)
	if !ok {
		return
	}
	grant, ok := c.str("grant_type", diags)
	if !ok || id.IsNull() || grant.IsNull() || grant.IsUnknown() {
		return
	}
	if g := grant.ValueString(); g != string(oauthclient.GrantRefreshToken) {
		diags.AddAttributeError(path.Root("grant_type"), "Unsupported Setting",
			fmt.Sprintf("grant_type = %q cannot be used with connection_id: the connection's stored refresh token is "+
				"presented with the refresh_token grant. Remove grant_type or set it to \"refresh_token\".", g))
	}
}

var _ settingsRule = conflictingRule{}

// conflictingRule forbids configuring more than one of names, with the
// diagnostic of the framework validators' resourcevalidator.Conflicting.
type conflictingRule struct{ names []string }

func (v conflictingRule) Description(context.Context) string {
	expressions := make(path.Expressions, len(v.names))
	for i, name := range v.names {
		expressions[i] = path.MatchRoot(name)
	}
	return fmt.Sprintf("These attributes cannot be configured together: %s", expressions)
}

func (v conflictingRule) check(c configValues, diags *diag.Diagnostics) {
	var configured []string
	for _, name := range v.names {
		value, ok := c.value(name, diags)
		if ok && value.IsKnown() && !value.IsNull() {
			configured = append(configured, name)
		}
	}
	if len(configured) > 1 {
		diags.AddAttributeError(attrPath(configured[0]), "Invalid Attribute Combination", v.Description(context.Background()))
	}
}

// writeOnlyConflicts forbids giving a secret both as the sensitive
// attribute and as its write-only twin.
func writeOnlyConflicts(names ...string) []settingsRule {
	out := make([]settingsRule, 0, len(names))
	for _, name := range names {
		out = append(out, conflictingRule{names: []string{name, woName(name)}})
	}
	return out
}
