package provider

import (
	"math/big"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// testObject builds an object value as Terraform sends an object literal.
func testObject(t *testing.T, attrs map[string]attr.Value) types.Object {
	t.Helper()
	ts := make(map[string]attr.Type, len(attrs))
	for k, v := range attrs {
		ts[k] = v.Type(t.Context())
	}
	return types.ObjectValueMust(ts, attrs)
}

// testTuple builds a tuple value as Terraform sends a list literal.
func testTuple(t *testing.T, elems ...attr.Value) types.Tuple {
	t.Helper()
	ts := make([]attr.Type, len(elems))
	for i, e := range elems {
		ts[i] = e.Type(t.Context())
	}
	return types.TupleValueMust(ts, elems)
}

func str(s string) types.String { return types.StringValue(s) }

// authURLSettings returns settings with the two required attributes and
// the given others.
func authURLSettings(t *testing.T, others map[string]attr.Value) types.Dynamic {
	t.Helper()
	attrs := map[string]attr.Value{
		"authorization_url": str("https://as.example.com/authorize"),
		"client_id":         str("client-1"),
	}
	for k, v := range others {
		if v == nil {
			delete(attrs, k)
			continue
		}
		attrs[k] = v
	}
	return types.DynamicValue(testObject(t, attrs))
}

func TestFunctionAuthorizationURL(t *testing.T) {
	minimal := "https://as.example.com/authorize?client_id=client-1&response_type=code&state=st"
	for name, tc := range map[string]struct {
		settings types.Dynamic
		want     string
	}{
		"minimal": {authURLSettings(t, nil), minimal},
		"everything": {
			authURLSettings(t, map[string]attr.Value{
				"authorization_url": str("https://login.example.com/{tenant_id}/oauth2/v2.0/authorize"),
				"tenant_id":         str("contoso"),
				"redirect_uri":      str("http://127.0.0.1:8080/cb"),
				"scopes":            testTuple(t, str("openid"), str("email")),
				"extra_params": testObject(t, map[string]attr.Value{
					"prompt":  str("consent"),
					"max_age": types.NumberValue(big.NewFloat(3600)),
				}),
				"code_verifier": str(rfc7636Verifier),
			}),
			"https://login.example.com/contoso/oauth2/v2.0/authorize?client_id=client-1&code_challenge=" + rfc7636Challenge +
				"&code_challenge_method=S256&max_age=3600&prompt=consent&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcb" +
				"&response_type=code&scope=openid+email&state=st",
		},
		// A variable of an object type with optional attributes sends the
		// ones left out as nulls.
		"nulls": {
			authURLSettings(t, map[string]attr.Value{
				"redirect_uri":    types.StringNull(),
				"scopes":          types.ListNull(types.StringType),
				"scope_delimiter": types.StringNull(),
				"tenant_id":       types.StringNull(),
				"extra_params":    types.MapNull(types.StringType),
				"code_verifier":   types.StringNull(),
			}),
			minimal,
		},
		// Inside a dynamic value, a null literal has no type.
		"untyped nulls": {
			authURLSettings(t, map[string]attr.Value{"redirect_uri": types.DynamicNull(), "scopes": types.DynamicNull()}),
			minimal,
		},
		"map": {
			types.DynamicValue(types.MapValueMust(types.StringType, map[string]attr.Value{
				"authorization_url": str("https://as.example.com/authorize"),
				"client_id":         str("client-1"),
			})),
			minimal,
		},
		"typed list, delimiter, query": {
			authURLSettings(t, map[string]attr.Value{
				"authorization_url": str("https://as.example.com/authorize?audience=api"),
				"scopes":            types.ListValueMust(types.StringType, []attr.Value{str("a"), str("b")}),
				"scope_delimiter":   str(","),
			}),
			"https://as.example.com/authorize?audience=api&client_id=client-1&response_type=code&scope=a%2Cb&state=st",
		},
		"set, bool and null extra params": {
			authURLSettings(t, map[string]attr.Value{
				"scopes": types.SetValueMust(types.StringType, []attr.Value{str("openid")}),
				"extra_params": testObject(t, map[string]attr.Value{
					"include_granted_scopes": types.BoolValue(true),
					"login_hint":             types.DynamicNull(),
				}),
			}),
			"https://as.example.com/authorize?client_id=client-1&include_granted_scopes=true&response_type=code&scope=openid&state=st",
		},
		"loopback http": {
			authURLSettings(t, map[string]attr.Value{"authorization_url": str("http://localhost:9000/authorize")}),
			"http://localhost:9000/authorize?client_id=client-1&response_type=code&state=st",
		},
		"numeric client id": {
			authURLSettings(t, map[string]attr.Value{"client_id": types.NumberValue(big.NewFloat(12345))}),
			"https://as.example.com/authorize?client_id=12345&response_type=code&state=st",
		},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := runFunction(t, NewAuthorizationURLFunction(), tc.settings, str("st"))
			if err != nil {
				t.Fatal(err.Text)
			}
			if !got.Equal(str(tc.want)) {
				t.Errorf("got  %s\nwant %q", got, tc.want)
			}
		})
	}
}

func TestFunctionAuthorizationURL_unknown(t *testing.T) {
	for name, settings := range map[string]types.Dynamic{
		"settings":     types.DynamicUnknown(),
		"attribute":    authURLSettings(t, map[string]attr.Value{"client_id": types.StringUnknown()}),
		"scope":        authURLSettings(t, map[string]attr.Value{"scopes": testTuple(t, types.StringUnknown())}),
		"extra params": authURLSettings(t, map[string]attr.Value{"extra_params": types.MapUnknown(types.StringType)}),
	} {
		got, err := runFunction(t, NewAuthorizationURLFunction(), settings, str("st"))
		if err != nil {
			t.Fatalf("%s: %s", name, err.Text)
		}
		if !got.Equal(types.StringUnknown()) {
			t.Errorf("%s: got %s, want an unknown string", name, got)
		}
	}
}

func TestFunctionAuthorizationURL_errors(t *testing.T) {
	list := func(elems ...attr.Value) attr.Value { return testTuple(t, elems...) }
	for name, tc := range map[string]struct {
		settings types.Dynamic
		state    string
		arg      int64
		want     []string
	}{
		"null settings": {types.DynamicNull(), "st", 0, []string{`settings are null`}},
		"string settings": {
			types.DynamicValue(str("https://as.example.com")), "st", 0,
			[]string{`must be an object such as \{ authorization_url = `, `not a string`},
		},
		"unknown attribute": {
			authURLSettings(t, map[string]attr.Value{"client_secret": str("x"), "foo": str("y")}), "st", 0,
			[]string{`no attribute "client_secret", "foo"\. The attributes are authorization_url, client_id, redirect_uri, scopes, ` +
				`scope_delimiter, tenant_id, extra_params, code_verifier`},
		},
		"scope": {
			authURLSettings(t, map[string]attr.Value{"scope": str("openid")}), "st", 0,
			[]string{`no attribute "scope"`, `Use scopes, a list of strings`},
		},
		"state in settings": {
			authURLSettings(t, map[string]attr.Value{"state": str("x")}), "st", 0,
			[]string{`no attribute "state"`, `second argument`},
		},
		"no authorization_url": {
			authURLSettings(t, map[string]attr.Value{"authorization_url": nil}), "st", 0,
			[]string{`settings\.authorization_url is missing or empty`, `RFC 6749 §3\.1`},
		},
		"empty authorization_url": {
			authURLSettings(t, map[string]attr.Value{"authorization_url": str("")}), "st", 0,
			[]string{`settings\.authorization_url is missing or empty`},
		},
		"no client_id": {
			authURLSettings(t, map[string]attr.Value{"client_id": types.StringNull()}), "st", 0,
			[]string{`settings\.client_id is missing or empty`, `RFC 6749 §2\.2`},
		},
		"authorization_url a list": {
			authURLSettings(t, map[string]attr.Value{"authorization_url": list(str("https://as.example.com"))}), "st", 0,
			[]string{`settings\.authorization_url must be a string, not a list`},
		},
		"scopes a string": {
			authURLSettings(t, map[string]attr.Value{"scopes": str("openid email")}), "st", 0,
			[]string{`settings\.scopes must be a list of strings such as \["openid", "email"\], not a string`},
		},
		"scope null": {
			authURLSettings(t, map[string]attr.Value{"scopes": list(str("openid"), types.StringNull())}), "st", 0,
			[]string{`settings\.scopes\[1\] is null\. Remove it`},
		},
		"scope empty": {
			authURLSettings(t, map[string]attr.Value{"scopes": list(str(""))}), "st", 0,
			[]string{`settings\.scopes\[0\] is empty`, `RFC 6749 §3\.3`},
		},
		"scope an object": {
			authURLSettings(t, map[string]attr.Value{"scopes": list(testObject(t, map[string]attr.Value{"a": str("b")}))}), "st", 0,
			[]string{`settings\.scopes\[0\] must be a string, not an object`},
		},
		"extra_params a list": {
			authURLSettings(t, map[string]attr.Value{"extra_params": list(str("prompt=consent"))}), "st", 0,
			[]string{`settings\.extra_params must be a map of strings such as \{ prompt = "consent" \}, not a list`},
		},
		"extra param a list": {
			authURLSettings(t, map[string]attr.Value{"extra_params": testObject(t, map[string]attr.Value{"resource": list(str("a"))})}), "st", 0,
			[]string{`settings\.extra_params\["resource"\] must be a string, not a list`},
		},
		"extra param conflict": {
			authURLSettings(t, map[string]attr.Value{"extra_params": testObject(t, map[string]attr.Value{"state": str("x")})}), "st", 0,
			[]string{`could not be built from settings`, `Cause: extra parameter "state" conflicts`},
		},
		"no tenant": {
			authURLSettings(t, map[string]attr.Value{"authorization_url": str("https://login.example.com/{tenant_id}/authorize")}), "st", 0,
			[]string{`\{tenant_id\} placeholder but settings\.tenant_id is missing or empty`},
		},
		"relative authorization_url": {
			authURLSettings(t, map[string]attr.Value{"authorization_url": str("as.example.com/authorize")}), "st", 0,
			[]string{`could not be built from settings`, `is not an absolute URL`},
		},
		"insecure": {
			authURLSettings(t, map[string]attr.Value{"authorization_url": str("http://as.example.com/authorize?secret=1")}), "st", 0,
			[]string{`settings\.authorization_url http://as\.example\.com/authorize\?\S* uses plain http`, `Use https`},
		},
		"relative redirect_uri": {
			authURLSettings(t, map[string]attr.Value{"redirect_uri": str("/callback")}), "st", 0,
			[]string{`settings\.redirect_uri must be an absolute URI without a fragment`, `RFC 6749 §3\.1\.2`},
		},
		"redirect_uri fragment": {
			authURLSettings(t, map[string]attr.Value{"redirect_uri": str("https://app.example.com/cb#x")}), "st", 0,
			[]string{`settings\.redirect_uri must be an absolute URI without a fragment`},
		},
		"empty code_verifier": {
			authURLSettings(t, map[string]attr.Value{"code_verifier": str("")}), "st", 0,
			[]string{`settings\.code_verifier is empty\. Set it to a PKCE code verifier, or leave it out`},
		},
		"short code_verifier": {
			authURLSettings(t, map[string]attr.Value{"code_verifier": str("abc")}), "st", 0,
			[]string{`^The settings\.code_verifier must be 43 to 128 characters long`},
		},
		"empty state": {
			authURLSettings(t, nil), "", 1,
			[]string{`^The state is empty`, `cross-site request forgery \(RFC 6749 §10\.12\)`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := runFunction(t, NewAuthorizationURLFunction(), tc.settings, str(tc.state))
			wantArgumentError(t, err, tc.arg, tc.want...)
			if err != nil && (err.Text == "" || err.Text[len(err.Text)-1] == '.') {
				t.Errorf("error text should not end with a period: %q", err.Text)
			}
		})
	}
}

func TestAccFunction_authorizationURL(t *testing.T) {
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   functionVersions,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: functionConfig(`
variable "settings" {
  type = object({
    authorization_url = string
    client_id         = string
    redirect_uri      = optional(string)
    scopes            = optional(list(string))
    extra_params      = optional(map(string))
  })
  default = {
    authorization_url = "https://as.example.com/authorize"
    client_id         = "client-1"
  }
}

output "literal" {
  value = provider::oauth2::authorization_url({
    authorization_url = "https://login.example.com/{tenant_id}/oauth2/v2.0/authorize"
    client_id         = "client-1"
    tenant_id         = "contoso"
    redirect_uri      = "http://127.0.0.1:8080/cb"
    scopes            = ["openid", "email"]
    extra_params      = { prompt = "consent", max_age = 3600 }
    code_verifier     = "` + rfc7636Verifier + `"
  }, "st")
}

output "minimal" {
  value = provider::oauth2::authorization_url({
    authorization_url = "https://as.example.com/authorize"
    client_id         = "client-1"
  }, "st")
}

output "typed" {
  value = provider::oauth2::authorization_url(var.settings, "st")
}

output "map" {
  value = provider::oauth2::authorization_url(tomap({
    authorization_url = "https://as.example.com/authorize"
    client_id         = "client-1"
  }), "st")
}
`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("literal", knownvalue.StringExact(
						"https://login.example.com/contoso/oauth2/v2.0/authorize?client_id=client-1&code_challenge="+rfc7636Challenge+
							"&code_challenge_method=S256&max_age=3600&prompt=consent&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcb"+
							"&response_type=code&scope=openid+email&state=st")),
					statecheck.ExpectKnownOutputValue("minimal", knownvalue.StringExact(
						"https://as.example.com/authorize?client_id=client-1&response_type=code&state=st")),
					statecheck.ExpectKnownOutputValue("typed", knownvalue.StringExact(
						"https://as.example.com/authorize?client_id=client-1&response_type=code&state=st")),
					statecheck.ExpectKnownOutputValue("map", knownvalue.StringExact(
						"https://as.example.com/authorize?client_id=client-1&response_type=code&state=st")),
				},
			},
			{
				Config: functionConfig(`
output "url" {
  value = provider::oauth2::authorization_url({
    authorization_url = "https://as.example.com/authorize"
    client_id         = "client-1"
    scope             = "openid"
  }, "st")
}
`),
				ExpectError: cliError(`Invalid value for "settings" parameter: The settings have no attribute "scope".`),
			},
			{
				Config: functionConfig(`
output "url" {
  value = provider::oauth2::authorization_url({
    authorization_url = "https://as.example.com/authorize"
    client_id         = "client-1"
  }, "")
}
`),
				ExpectError: cliError(`Invalid value for "state" parameter: The state is empty.`),
			},
		},
	})
}

func TestAccFunction_authorizationURLExample(t *testing.T) {
	testAccFunctionExample(t, "authorization_url",
		config.Variables{
			"client_id": config.StringVariable("client-1"),
			"state":     config.StringVariable("st"),
		},
		statecheck.ExpectKnownOutputValue("authorization_url", knownvalue.StringExact(
			"https://accounts.google.com/o/oauth2/v2/auth?access_type=offline&client_id=client-1&prompt=consent"+
				"&redirect_uri=http%3A%2F%2F127.0.0.1%3A8085%2Fcallback&response_type=code"+
				"&scope=openid+email+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar.readonly&state=st")),
	)
}
