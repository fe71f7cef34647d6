package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/resourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

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
			fmt.Sprintf("The value %q of %s is not a usable duration. Use a Go duration such as \"30s\", \"5m\" or \"1h30m\".\n\nError: %s",
				s, req.Path, err))
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
				"secret attributes, never in the URL.\n\nError: %s", req.Path, err))
	}
}

// settingsRule is a configuration check over several attributes. Each rule
// says what it checks and checks it; ruleAdapter hands it to resources and
// ephemeral resources alike.
type settingsRule interface {
	Description(context.Context) string
	validate(ctx context.Context, config tfsdk.Config) diag.Diagnostics
}

// ruleAdapter serves a settingsRule as a resource and as an ephemeral
// resource config validator.
type ruleAdapter struct{ settingsRule }

var (
	_ resource.ConfigValidator  = ruleAdapter{}
	_ ephemeral.ConfigValidator = ruleAdapter{}
)

func (a ruleAdapter) MarkdownDescription(ctx context.Context) string { return a.Description(ctx) }

func (a ruleAdapter) ValidateResource(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	resp.Diagnostics.Append(a.validate(ctx, req.Config)...)
}

func (a ruleAdapter) ValidateEphemeralResource(ctx context.Context, req ephemeral.ValidateConfigRequest, resp *ephemeral.ValidateConfigResponse) {
	resp.Diagnostics.Append(a.validate(ctx, req.Config)...)
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

func (v requiredWhenValidator) validate(ctx context.Context, config tfsdk.Config) diag.Diagnostics {
	var diags diag.Diagnostics
	var when types.String
	diags.Append(config.GetAttribute(ctx, path.Root(v.when), &when)...)
	if diags.HasError() || when.IsUnknown() {
		return diags
	}
	value := when.ValueString()
	if when.IsNull() {
		value = v.whenDefault
		if v.defaultIfSet != "" {
			var other types.String
			diags.Append(config.GetAttribute(ctx, path.Root(v.defaultIfSet), &other)...)
			if diags.HasError() {
				return diags
			}
			if !other.IsNull() {
				value = v.defaultIfSetValue
			}
		}
	}
	matched := false
	for _, want := range v.values {
		matched = matched || value == want
	}
	if !matched {
		return diags
	}
	for _, name := range v.anyOf {
		var got types.String
		diags.Append(config.GetAttribute(ctx, path.Root(name), &got)...)
		if diags.HasError() {
			return diags
		}
		// An unknown value will be set by apply time.
		if got.IsUnknown() || (!got.IsNull() && got.ValueString() != "") {
			return diags
		}
	}
	diags.AddAttributeError(path.Root(v.anyOf[0]),
		"Missing Required Setting",
		fmt.Sprintf("With %s = %q, %s must be set. Set %s, or choose another %s.",
			v.when, value, orList(v.anyOf), orList(v.anyOf), v.when))
	return diags
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

func (v tenantPlaceholderValidator) validate(ctx context.Context, config tfsdk.Config) diag.Diagnostics {
	var diags diag.Diagnostics
	var tenant types.String
	diags.Append(config.GetAttribute(ctx, path.Root("tenant_id"), &tenant)...)
	if diags.HasError() || tenant.IsUnknown() || (!tenant.IsNull() && tenant.ValueString() != "") {
		return diags
	}
	for _, name := range []string{"token_url", "authorization_url"} {
		var u types.String
		diags.Append(config.GetAttribute(ctx, path.Root(name), &u)...)
		if diags.HasError() {
			return diags
		}
		if strings.Contains(u.ValueString(), "{tenant_id}") {
			diags.AddAttributeError(path.Root(name), "Missing Tenant ID",
				fmt.Sprintf("The %s contains a {tenant_id} placeholder but tenant_id is not set. Set tenant_id, or put the tenant directly in the URL.", name))
		}
	}
	return diags
}

// connectionRules are the per-grant requirements of the connection
// settings. withWriteOnly says whether the schema has the *_wo twins.
func connectionRules(withWriteOnly bool) []settingsRule {
	secret := func(name string) []string {
		if withWriteOnly {
			return []string{name, woName(name)}
		}
		return []string{name}
	}
	grant := func(g string, anyOf ...string) requiredWhenValidator {
		return requiredWhenValidator{
			when:        "grant_type",
			whenDefault: settingByName("grant_type").defaultValue,
			values:      []string{g},
			anyOf:       anyOf,
		}
	}
	return []settingsRule{
		grant("client_credentials", "client_id"),
		grant("password", "username"),
		grant("password", secret("password")...),
		grant("refresh_token", secret("refresh_token")...),
		grant("authorization_code", "client_id"),
		grant("authorization_code", "authorization_url"),
		grant("authorization_code", "redirect_uri"),
		requiredWhenValidator{
			when:        "client_auth",
			whenDefault: settingByName("client_auth").defaultValue,
			values:      []string{"basic", "post"},
			anyOf:       secret("client_secret"),
		},
		tenantPlaceholderValidator{},
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

func (v connectionIDGrantValidator) validate(ctx context.Context, config tfsdk.Config) diag.Diagnostics {
	var id, grant types.String
	diags := config.GetAttribute(ctx, path.Root("connection_id"), &id)
	diags.Append(config.GetAttribute(ctx, path.Root("grant_type"), &grant)...)
	if diags.HasError() || id.IsNull() || grant.IsNull() || grant.IsUnknown() {
		return diags
	}
	if g := grant.ValueString(); g != string(oauthclient.GrantRefreshToken) {
		diags.AddAttributeError(path.Root("grant_type"), "Unsupported Setting",
			fmt.Sprintf("grant_type = %q cannot be used with connection_id: the connection's stored refresh token is "+
				"presented with the refresh_token grant. Remove grant_type or set it to \"refresh_token\".", g))
	}
	return diags
}

// writeOnlyConflicts forbids giving a secret both as the sensitive
// attribute and as its write-only twin.
func writeOnlyConflicts(names ...string) []resource.ConfigValidator {
	out := make([]resource.ConfigValidator, 0, len(names))
	for _, name := range names {
		out = append(out, resourcevalidator.Conflicting(path.MatchRoot(name), path.MatchRoot(woName(name))))
	}
	return out
}

func resourceRules(rules []settingsRule) []resource.ConfigValidator {
	out := make([]resource.ConfigValidator, 0, len(rules))
	for _, r := range rules {
		out = append(out, ruleAdapter{r})
	}
	return out
}

func ephemeralRules(rules []settingsRule) []ephemeral.ConfigValidator {
	out := make([]ephemeral.ConfigValidator, 0, len(rules))
	for _, r := range rules {
		out = append(out, ruleAdapter{r})
	}
	return out
}
