package provider

import (
	"encoding/base64"
	"net/url"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

func TestFunctionBasicAuth(t *testing.T) {
	for _, tc := range []struct{ id, secret, want string }{
		// The example of RFC 6749 §2.3.1 and RFC 7617 alike: nothing to
		// form-encode.
		{"s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw", "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3"},
		// Form-encoded first (RFC 6749 §2.3.1): "my+client:a%2Bb%3Ac%2F%3D%25~+%C3%A9".
		{"my client", "a+b:c/=%~ é", "Basic bXkrY2xpZW50OmElMkJiJTNBYyUyRiUzRCUyNX4rJUMzJUE5"},
	} {
		got, err := runFunction(t, NewBasicAuthFunction(), types.StringValue(tc.id), types.StringValue(tc.secret))
		if err != nil {
			t.Fatalf("%q: %s", tc.id, err.Text)
		}
		if !got.Equal(types.StringValue(tc.want)) {
			t.Errorf("%q: got %s, want %q", tc.id, got, tc.want)
		}
		// A server decodes it back as recordedRequest.basicAuth does.
		r := recordedRequest{Authorization: tc.want}
		if id, secret, ok := r.basicAuth(); !ok || id != tc.id || secret != tc.secret {
			t.Errorf("%q: decodes to %q, %q, %v", tc.id, id, secret, ok)
		}
	}
}

// TestFunctionBasicAuth_matchesClient checks the function against the
// header the provider's own client sends, the way oauthclient builds it.
func TestFunctionBasicAuth_matchesClient(t *testing.T) {
	id, secret := "id:with/colon", "s3cr+t=="
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
	if got := basicAuthorization(id, secret); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestFunctionBasicAuth_errors(t *testing.T) {
	_, err := runFunction(t, NewBasicAuthFunction(), types.StringValue(""), types.StringValue("secret"))
	wantArgumentError(t, err, 0, `^The client_id is empty\.`, `RFC 6749 §2\.2`)

	_, err = runFunction(t, NewBasicAuthFunction(), types.StringValue("client"), types.StringValue(""))
	wantArgumentError(t, err, 1, `^The client_secret is empty\.`, `public client`)
}

func TestAccFunction_basicAuth(t *testing.T) {
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   functionVersions,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: functionConfig(`
output "header" {
  value = provider::oauth2::basic_auth("my client", "a+b:c/=%~ é")
}
`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("header",
						knownvalue.StringExact("Basic bXkrY2xpZW50OmElMkJiJTNBYyUyRiUzRCUyNX4rJUMzJUE5")),
				},
			},
			{
				Config: functionConfig(`
output "header" {
  value = provider::oauth2::basic_auth("client", "")
}
`),
				ExpectError: cliError(`Invalid value for "client_secret" parameter: The client_secret is empty.`),
			},
		},
	})
}

func TestAccFunction_basicAuthExample(t *testing.T) {
	testAccFunctionExample(t, "basic_auth",
		config.Variables{
			"client_id":     config.StringVariable("s6BhdRkqt3"),
			"client_secret": config.StringVariable("7Fjfp0ZBr1KtDRbnfVdmIw"),
		},
		statecheck.ExpectKnownOutputValue("authorization_header",
			knownvalue.StringExact("Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3")),
	)
}
