package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework-validators/resourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// connectionConfig builds an oauth2_connection configuration with the
// given attribute values; every other attribute is null.
func connectionConfig(t *testing.T, values map[string]any) tfsdk.Config {
	t.Helper()
	ctx := context.Background()
	resp := &resource.SchemaResponse{}
	NewConnectionResource().Schema(ctx, resource.SchemaRequest{}, resp)
	return tfsdk.Config{Raw: objectValue(t, resp.Schema.Type().TerraformType(ctx), values), Schema: resp.Schema}
}

// accessTokenConfig does the same for oauth2_access_token.
func accessTokenConfig(t *testing.T, values map[string]any) tfsdk.Config {
	t.Helper()
	ctx := context.Background()
	resp := &ephemeral.SchemaResponse{}
	NewAccessTokenEphemeralResource().Schema(ctx, ephemeral.SchemaRequest{}, resp)
	return tfsdk.Config{Raw: objectValue(t, resp.Schema.Type().TerraformType(ctx), values), Schema: resp.Schema}
}

func objectValue(t *testing.T, typ tftypes.Type, values map[string]any) tftypes.Value {
	t.Helper()
	obj, ok := typ.(tftypes.Object)
	if !ok {
		t.Fatalf("schema type is %T, want tftypes.Object", typ)
	}
	vals := map[string]tftypes.Value{}
	for name, at := range obj.AttributeTypes {
		v, ok := values[name]
		switch {
		case !ok:
			vals[name] = tftypes.NewValue(at, nil)
		case v == unknown:
			vals[name] = tftypes.NewValue(at, tftypes.UnknownValue)
		default:
			vals[name] = tftypes.NewValue(at, v)
		}
	}
	for name := range values {
		if _, ok := obj.AttributeTypes[name]; !ok {
			t.Fatalf("no attribute %q in the schema", name)
		}
	}
	return tftypes.NewValue(obj, vals)
}

// unknown marks a value as unknown in connectionConfig.
const unknown = "\x00unknown"

func TestConnectionRules(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		values   map[string]any
		wantPath string // empty: no error
		wantText string
	}{
		{name: "client credentials", values: map[string]any{"client_id": "c", "client_secret": "s"}},
		{name: "client credentials without client_id", values: map[string]any{}, wantPath: "client_id", wantText: `With grant_type = "client_credentials", client_id must be set`},
		{name: "unknown client_id counts as set", values: map[string]any{"client_id": unknown}},
		{name: "unknown grant type skips the rules", values: map[string]any{"grant_type": unknown}},
		{name: "password", values: map[string]any{"grant_type": "password", "username": "u", "password_wo": "p"}},
		{name: "password without username", values: map[string]any{"grant_type": "password", "password": "p"}, wantPath: "username"},
		{name: "password without password", values: map[string]any{"grant_type": "password", "username": "u"}, wantPath: "password", wantText: "password or password_wo must be set"},
		{name: "password empty string", values: map[string]any{"grant_type": "password", "username": "u", "password": ""}, wantPath: "password"},
		{name: "refresh token write-only", values: map[string]any{"grant_type": "refresh_token", "refresh_token_wo": "rt"}},
		{name: "refresh without token", values: map[string]any{"grant_type": "refresh_token"}, wantPath: "refresh_token"},
		{name: "authorization code", values: map[string]any{"grant_type": "authorization_code", "client_id": "c", "authorization_url": "https://a", "redirect_uri": "https://r"}},
		{name: "authorization code without authorization_url", values: map[string]any{"grant_type": "authorization_code", "client_id": "c", "redirect_uri": "https://r"}, wantPath: "authorization_url"},
		{name: "authorization code without redirect_uri", values: map[string]any{"grant_type": "authorization_code", "client_id": "c", "authorization_url": "https://a"}, wantPath: "redirect_uri"},
		{name: "basic without secret", values: map[string]any{"client_id": "c", "client_auth": "basic"}, wantPath: "client_secret"},
		{name: "post with write-only secret", values: map[string]any{"client_id": "c", "client_auth": "post", "client_secret_wo": "s"}},
		{name: "none without secret", values: map[string]any{"client_id": "c", "client_auth": "none"}},
		{name: "tenant placeholder", values: map[string]any{"client_id": "c", "token_url": "https://x/{tenant_id}/t"}, wantPath: "token_url", wantText: "tenant_id is not set"},
		{name: "tenant placeholder with tenant", values: map[string]any{"client_id": "c", "token_url": "https://x/{tenant_id}/t", "tenant_id": "t"}},
		{name: "tenant placeholder in authorization_url", values: map[string]any{"client_id": "c", "authorization_url": "https://x/{tenant_id}/a"}, wantPath: "authorization_url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := tc.values["token_url"]; !ok {
				tc.values["token_url"] = "https://login.example.test/token"
			}
			cfg := connectionConfig(t, tc.values)
			res := NewConnectionResource()
			r, ok := res.(*connectionResource)
			if !ok {
				t.Fatalf("NewConnectionResource returned %T, want *connectionResource", res)
			}
			var diags diag.Diagnostics
			for _, v := range r.ConfigValidators(ctx) {
				resp := &resource.ValidateConfigResponse{}
				v.ValidateResource(ctx, resource.ValidateConfigRequest{Config: cfg}, resp)
				diags.Append(resp.Diagnostics...)
			}
			checkRuleDiags(t, diags, tc.wantPath, tc.wantText)
		})
	}
}

func TestAccessTokenRules(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		values   map[string]any
		wantPath string
	}{
		{name: "password", values: map[string]any{"grant_type": "password", "username": "u", "password": "p"}},
		{name: "password without password", values: map[string]any{"grant_type": "password", "username": "u"}, wantPath: "password"},
		{name: "refresh without token", values: map[string]any{"grant_type": "refresh_token"}, wantPath: "refresh_token"},
		{name: "basic without secret", values: map[string]any{"client_id": "c", "client_auth": "basic"}, wantPath: "client_secret"},
		// connection_id stands in for refresh_token and makes refresh_token the default grant.
		{name: "connection id", values: map[string]any{"connection_id": "id"}},
		{name: "connection id with refresh grant", values: map[string]any{"connection_id": "id", "grant_type": "refresh_token"}},
		{name: "unknown connection id", values: map[string]any{"connection_id": unknown}},
		{name: "connection id with client credentials", values: map[string]any{"connection_id": "id", "grant_type": "client_credentials", "client_id": "c"}, wantPath: "grant_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.values["token_url"] = "https://login.example.test/token"
			cfg := accessTokenConfig(t, tc.values)
			res := NewAccessTokenEphemeralResource()
			r, ok := res.(*accessTokenEphemeralResource)
			if !ok {
				t.Fatalf("NewAccessTokenEphemeralResource returned %T, want *accessTokenEphemeralResource", res)
			}
			var diags diag.Diagnostics
			for _, v := range r.ConfigValidators(ctx) {
				resp := &ephemeral.ValidateConfigResponse{}
				v.ValidateEphemeralResource(ctx, ephemeral.ValidateConfigRequest{Config: cfg}, resp)
				diags.Append(resp.Diagnostics...)
			}
			checkRuleDiags(t, diags, tc.wantPath, "")
		})
	}
}

func checkRuleDiags(t *testing.T, diags diag.Diagnostics, wantPath, wantText string) {
	t.Helper()
	if wantPath == "" {
		if diags.HasError() {
			t.Fatalf("unexpected diagnostics: %v", diags)
		}
		return
	}
	if len(diags) != 1 {
		t.Fatalf("diagnostics: got %v, want one error at %s", diags, wantPath)
	}
	d, ok := diags[0].(diag.DiagnosticWithPath)
	if !ok || !d.Path().Equal(path.Root(wantPath)) {
		t.Errorf("error path: got %v, want %s", diags[0], wantPath)
	}
	if !strings.Contains(diags[0].Detail(), wantText) {
		t.Errorf("detail: got %q, want it to contain %q", diags[0].Detail(), wantText)
	}
}

func TestDurationValidator(t *testing.T) {
	for _, tc := range []struct {
		value   types.String
		wantErr bool
	}{
		{types.StringValue("5m"), false},
		{types.StringValue("1h30m"), false},
		{types.StringValue("0s"), false},
		{types.StringNull(), false},
		{types.StringUnknown(), false},
		{types.StringValue("5 minutes"), true},
		{types.StringValue("300"), true},
		{types.StringValue("-1m"), true},
		{types.StringValue(""), true},
	} {
		resp := &validator.StringResponse{}
		durationValidator{}.ValidateString(context.Background(), validator.StringRequest{
			Path: path.Root("expiry_buffer"), ConfigValue: tc.value,
		}, resp)
		if got := resp.Diagnostics.HasError(); got != tc.wantErr {
			t.Errorf("%s: error %v, want %v (%v)", tc.value, got, tc.wantErr, resp.Diagnostics)
		}
		if tc.wantErr && !strings.Contains(resp.Diagnostics[0].Detail(), "expiry_buffer") {
			t.Errorf("%s: detail does not name the attribute: %q", tc.value, resp.Diagnostics[0].Detail())
		}
	}
}

func TestTokenURLValidator(t *testing.T) {
	for _, tc := range []struct {
		value    types.String
		wantText string // empty: no error
	}{
		{types.StringValue("https://login.example.test/oauth2/token"), ""},
		{types.StringValue("http://127.0.0.1:8080/token"), ""},
		// Plain http to another host depends on allow_insecure_http,
		// which only the provider knows.
		{types.StringValue("http://login.example.test/token"), ""},
		{types.StringValue("https://login.example.test/{tenant_id}/token"), ""},
		{types.StringValue("https://login.example.test/token?p=B2C_1"), ""},
		{types.StringNull(), ""},
		{types.StringUnknown(), ""},
		{types.StringValue("https://user:Pw-s3cr3t@login.example.test/token"), "must not contain user information"},
		{types.StringValue("https://user:Pw-s3cr3t@login.example.test:bad/token"), "is not a valid URL"},
		{types.StringValue("ftp://user:Pw-s3cr3t@login.example.test/token"), `has scheme "ftp"`},
		{types.StringValue("user:Pw-s3cr3t@login.example.test/token"), "only https"},
		// Query values are hidden when named like a credential (see
		// oauthclient.RedactURL).
		{types.StringValue("login.example.test/token?key=Pw-s3cr3t"), "is not an absolute URL"},
		{types.StringValue("https://login.example.test/token?client_secret=Pw-s3cr3t#frag"), "must not contain a fragment"},
	} {
		resp := &validator.StringResponse{}
		tokenURLValidator{}.ValidateString(context.Background(), validator.StringRequest{
			Path: path.Root("token_url"), ConfigValue: tc.value,
		}, resp)
		if tc.wantText == "" {
			if resp.Diagnostics.HasError() {
				t.Errorf("%s: unexpected diagnostics %v", tc.value, resp.Diagnostics)
			}
			continue
		}
		checkRuleDiags(t, resp.Diagnostics, "token_url", tc.wantText)
		for _, d := range resp.Diagnostics {
			if strings.Contains(d.Summary()+d.Detail(), "Pw-s3cr3t") {
				t.Errorf("%s: the diagnostic shows the secret in the URL: %q", tc.value, d.Detail())
			}
		}
	}
}

// The one settings validator reports a secret given twice exactly as the
// framework validators' Conflicting did before it: same summary, detail and
// path.
func TestConflictingRuleMatchesFrameworkValidator(t *testing.T) {
	ctx := context.Background()
	for i, values := range []map[string]any{
		{"client_secret": "s", "client_secret_wo": "s2"},
		{"client_secret": "s"},
		{"client_secret_wo": "s2"},
		{"client_secret": unknown, "client_secret_wo": "s2"},
		{},
	} {
		wantErr := i == 0
		values["token_url"] = "https://login.example.test/token"
		values["client_id"] = "c"
		cfg := connectionConfig(t, values)
		want := &resource.ValidateConfigResponse{}
		resourcevalidator.Conflicting(path.MatchRoot("client_secret"), path.MatchRoot("client_secret_wo")).
			ValidateResource(ctx, resource.ValidateConfigRequest{Config: cfg}, want)
		got := &resource.ValidateConfigResponse{}
		settingsValidator{rules: []settingsRule{conflictingRule{names: []string{"client_secret", "client_secret_wo"}}}}.
			ValidateResource(ctx, resource.ValidateConfigRequest{Config: cfg}, got)
		if !got.Diagnostics.Equal(want.Diagnostics) {
			t.Errorf("%v: got %v, want %v", values, got.Diagnostics, want.Diagnostics)
		}
		if wantErr && len(got.Diagnostics) != 1 {
			t.Errorf("%v: got %v, want one error", values, got.Diagnostics)
		}
	}
}

// A rule naming an attribute the schema lacks is reported as a provider
// bug, not read as null.
func TestSettingsRuleUnknownAttribute(t *testing.T) {
	cfg := connectionConfig(t, map[string]any{"token_url": "https://login.example.test/token", "client_id": "c"})
	resp := &resource.ValidateConfigResponse{}
	settingsValidator{rules: []settingsRule{requiredWhenValidator{when: "grant_typo", values: []string{"x"}, anyOf: []string{"client_id"}}}}.
		ValidateResource(context.Background(), resource.ValidateConfigRequest{Config: cfg}, resp)
	if len(resp.Diagnostics) != 1 || !strings.Contains(resp.Diagnostics[0].Detail(), `"grant_typo"`) ||
		!strings.Contains(resp.Diagnostics[0].Detail(), "bug in the provider") {
		t.Errorf("got %v, want one provider bug error naming grant_typo", resp.Diagnostics)
	}
}

// The description is joined once, when the validator is built, and is
// every rule's.
func TestSettingsValidatorDescription(t *testing.T) {
	ctx := context.Background()
	rules := []settingsRule{
		conflictingRule{names: []string{"client_secret", "client_secret_wo"}},
		requiredWhenValidator{when: "grant_type", values: []string{"password"}, anyOf: []string{"username"}},
	}
	v := newSettingsValidator(rules...)
	want := rules[0].Description(ctx) + "; " + rules[1].Description(ctx)
	if v.description != want || v.Description(ctx) != want || v.MarkdownDescription(ctx) != want {
		t.Errorf("description %q, Description %q; want %q", v.description, v.Description(ctx), want)
	}
}
