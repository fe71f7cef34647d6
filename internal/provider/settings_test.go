package provider

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

func TestConnectionSettingsTokenRequest(t *testing.T) {
	ctx := context.Background()
	list := func(v ...string) types.List {
		elems := make([]attr.Value, len(v))
		for i, s := range v {
			elems[i] = types.StringValue(s)
		}
		return types.ListValueMust(types.StringType, elems)
	}

	for _, tc := range []struct {
		name  string
		model connectionSettingsModel
		wo    connectionWriteOnlyModel
		want  oauthclient.Request
	}{
		{
			name:  "defaults",
			model: connectionSettingsModel{TokenURL: types.StringValue("https://t.example/token"), ClientID: types.StringValue("c")},
			want: oauthclient.Request{
				TokenURL: "https://t.example/token", ClientID: "c",
				GrantType: oauthclient.GrantClientCredentials, AuthStyle: oauthclient.AuthAuto,
				Encoding: oauthclient.EncodingForm, ScopeDelimiter: " ",
			},
		},
		{
			name: "every setting",
			model: connectionSettingsModel{
				GrantType:        types.StringValue("password"),
				TokenURL:         types.StringValue("https://t.example/{tenant_id}/token"),
				ClientID:         types.StringValue("c"),
				ClientSecret:     types.StringValue("cs"),
				ClientAuth:       types.StringValue("post"),
				Scopes:           list("a", "b"),
				ScopeDelimiter:   types.StringValue(","),
				RequestEncoding:  types.StringValue("json"),
				ExtraParams:      types.MapValueMust(types.StringType, map[string]attr.Value{"audience": types.StringValue("api")}),
				TenantID:         types.StringValue("t1"),
				Username:         types.StringValue("u"),
				Password:         types.StringValue("p"),
				RefreshToken:     types.StringValue("rt"),
				AuthorizationURL: types.StringValue("https://t.example/authorize"),
				RedirectURI:      types.StringValue("http://127.0.0.1/cb"),
			},
			want: oauthclient.Request{
				TokenURL: "https://t.example/{tenant_id}/token", TenantID: "t1",
				GrantType: oauthclient.GrantPassword, AuthStyle: oauthclient.AuthPost, Encoding: oauthclient.EncodingJSON,
				ClientID: "c", ClientSecret: "cs", Scopes: []string{"a", "b"}, ScopeDelimiter: ",",
				Username: "u", Password: "p", RefreshToken: "rt", RedirectURI: "http://127.0.0.1/cb",
				ExtraParams: map[string]string{"audience": "api"},
			},
		},
		{
			name: "write-only values fill in for null secrets",
			model: connectionSettingsModel{
				GrantType: types.StringValue("refresh_token"),
				TokenURL:  types.StringValue("https://t.example/token"),
				ClientID:  types.StringValue("c"),
			},
			wo: connectionWriteOnlyModel{
				ClientSecretWO: types.StringValue("cs-wo"), PasswordWO: types.StringValue("p-wo"), RefreshTokenWO: types.StringValue("rt-wo"),
			},
			want: oauthclient.Request{
				TokenURL: "https://t.example/token", GrantType: oauthclient.GrantRefreshToken,
				AuthStyle: oauthclient.AuthAuto, Encoding: oauthclient.EncodingForm, ScopeDelimiter: " ",
				ClientID: "c", ClientSecret: "cs-wo", Password: "p-wo", RefreshToken: "rt-wo",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := tc.model.tokenRequest(ctx, tc.wo, credentialConfig{})
			if diags.HasError() {
				t.Fatalf("diagnostics: %v", diags)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("request:\ngot  %+v\nwant %+v", got, tc.want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("the request does not validate: %v", err)
			}
		})
	}
}

func TestConnectionSettingsAuthCodeRequest(t *testing.T) {
	m := connectionSettingsModel{
		GrantType:        types.StringValue("authorization_code"),
		TokenURL:         types.StringValue("https://t.example/token"),
		AuthorizationURL: types.StringValue("https://t.example/{tenant_id}/authorize"),
		TenantID:         types.StringValue("t1"),
		ClientID:         types.StringValue("c"),
		RedirectURI:      types.StringValue("http://127.0.0.1/cb"),
		Scopes:           types.ListValueMust(types.StringType, []attr.Value{types.StringValue("openid")}),
	}
	got, diags := m.authCodeRequest(context.Background(), "st", "ver")
	if diags.HasError() {
		t.Fatalf("diagnostics: %v", diags)
	}
	want := oauthclient.AuthCodeRequest{
		AuthorizationURL: "https://t.example/{tenant_id}/authorize", TenantID: "t1", ClientID: "c",
		RedirectURI: "http://127.0.0.1/cb", Scopes: []string{"openid"}, ScopeDelimiter: " ", State: "st", CodeVerifier: "ver",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("authorization request:\ngot  %+v\nwant %+v", got, want)
	}
}

func TestApplyDefaults(t *testing.T) {
	m := connectionSettingsModel{ClientAuth: types.StringValue("basic")}
	m.applyDefaults()
	for name, want := range map[string]string{
		"grant_type": "client_credentials", "client_auth": "basic", "scope_delimiter": " ", "request_encoding": "form",
	} {
		if got := m.stringField(name).ValueString(); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	if !m.TokenURL.IsNull() {
		t.Errorf("token_url: got %v, want null", m.TokenURL)
	}
}

func TestSettingSpecs(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range connectionSettings {
		if seen[s.name] {
			t.Errorf("setting %s is defined twice", s.name)
		}
		seen[s.name] = true
		if s.writeOnlyOnly {
			if !hasTag(reflect.TypeFor[credentialSecretsModel](), s.name) {
				t.Errorf("setting %s has no field in credentialSecretsModel", s.name)
			}
		} else if s.kind == settingString && (&connectionSettingsModel{}).stringField(s.name) == nil {
			t.Errorf("setting %s has no model field", s.name)
		}
		if s.defaultValue != "" && len(s.allowed) > 0 {
			found := false
			for _, v := range s.allowed {
				found = found || v == s.defaultValue
			}
			if !found {
				t.Errorf("setting %s: default %q is not an allowed value", s.name, s.defaultValue)
			}
		}
		md := s.markdown()
		for _, v := range s.allowed {
			if !strings.Contains(md, "`"+v+"`") {
				t.Errorf("setting %s: description %q does not list %q", s.name, md, v)
			}
		}
	}
	if got, want := len(connectionSettings), reflect.TypeFor[connectionSettingsModel]().NumField()+reflect.TypeFor[credentialSecretsModel]().NumField(); got != want {
		t.Errorf("settings: %d specs for %d model fields", got, want)
	}
}

func hasTag(t reflect.Type, name string) bool {
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("tfsdk") == name {
			return true
		}
	}
	return false
}

func TestGrantedScopes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tokScope  string
		req       oauthclient.Request
		wantScope []string
	}{
		{name: "server says nothing", req: oauthclient.Request{Scopes: []string{"a", "b"}}, wantScope: []string{"a", "b"}},
		{name: "server narrows", tokScope: "a", req: oauthclient.Request{Scopes: []string{"a", "b"}}, wantScope: []string{"a"}},
		{name: "comma delimiter", tokScope: "a,b", req: oauthclient.Request{ScopeDelimiter: ","}, wantScope: []string{"a", "b"}},
		{name: "comma requested, space answered", tokScope: "a b", req: oauthclient.Request{ScopeDelimiter: ","}, wantScope: []string{"a", "b"}},
		{name: "verbatim scope", req: oauthclient.Request{Scope: "x y"}, wantScope: []string{"x", "y"}},
		{name: "nothing", wantScope: []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := grantedScopes(&oauthclient.Token{Scope: tc.tokScope}, tc.req)
			if !reflect.DeepEqual(got, tc.wantScope) {
				t.Errorf("got %q, want %q", got, tc.wantScope)
			}
		})
	}
}

func TestRequestSecrets(t *testing.T) {
	got := requestSecrets(oauthclient.Request{
		ClientSecret: "cs", Password: "", RefreshToken: "rt", Code: "c", CodeVerifier: "v", Username: "u",
		ClientAssertion: "ca", Assertion: "a", SubjectToken: "st", ActorToken: "at", SubjectTokenType: "not secret",
	})
	if want := []string{"cs", "rt", "c", "v", "ca", "a", "st", "at"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
