package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// The example of RFC 7636 Appendix B.
const (
	rfc7636Verifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	rfc7636Challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

func TestFunctionPKCEChallenge(t *testing.T) {
	for _, v := range []struct{ verifier, want string }{
		{rfc7636Verifier, rfc7636Challenge},
		// The shortest and longest verifiers, with every special character.
		{strings.Repeat("a", 39) + "-._~", "UheydNW_E50xRNt6bNVTvx16_Is-_AprG6g5oV1I3fo"},
		{strings.Repeat("Z9", 64), "QQml09iEGLFV4CNqL9PSGOynSHn9mXDT6u6OTwhuTFI"},
	} {
		got, err := runFunction(t, NewPKCEChallengeFunction(), types.StringValue(v.verifier))
		if err != nil {
			t.Fatalf("verifier of %d characters: %s", len(v.verifier), err.Text)
		}
		if !got.Equal(types.StringValue(v.want)) {
			t.Errorf("verifier of %d characters: got %s, want %q", len(v.verifier), got, v.want)
		}
	}
}

func TestFunctionPKCEChallenge_errors(t *testing.T) {
	for name, tc := range map[string]struct {
		verifier string
		want     []string
	}{
		"empty":     {"", []string{`43 to 128 characters`, `has 0\.`, `random_password`}},
		"too short": {strings.Repeat("a", 42), []string{`43 to 128 characters`, `has 42\.`}},
		"too long":  {strings.Repeat("a", 129), []string{`43 to 128 characters`, `has 129\.`}},
		"plus": {
			strings.Repeat("a", 50) + "+", []string{`A-Z, a-z, 0-9`, `character 51 is not one of them`, `special = false`},
		},
		"space":     {"a b" + strings.Repeat("c", 50), []string{`character 2 is not`}},
		"non-ascii": {strings.Repeat("a", 50) + "é", []string{`character 51 is not`}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := runFunction(t, NewPKCEChallengeFunction(), types.StringValue(tc.verifier))
			wantArgumentError(t, err, 0, append(tc.want, `^The verifier `, `RFC 7636 §4\.1`)...)
			if len(tc.verifier) > 0 && strings.Contains(err.Text, tc.verifier) {
				t.Errorf("the error repeats the verifier: %s", err.Text)
			}
		})
	}
}

func TestAccFunction_pkceChallenge(t *testing.T) {
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   functionVersions,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: functionConfig(`
output "challenge" {
  value = provider::oauth2::pkce_challenge("` + rfc7636Verifier + `")
}
`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("challenge", knownvalue.StringExact(rfc7636Challenge)),
				},
			},
			{
				Config: functionConfig(`
output "challenge" {
  value = provider::oauth2::pkce_challenge("too-short")
}
`),
				ExpectError: cliError(`Invalid value for "verifier" parameter: The verifier must be 43 to 128 characters long`),
			},
		},
	})
}

func TestAccFunction_pkceChallengeExample(t *testing.T) {
	testAccFunctionExample(t, "pkce_challenge",
		config.Variables{"code_verifier": config.StringVariable(rfc7636Verifier)},
		statecheck.ExpectKnownOutputValue("code_challenge", knownvalue.StringExact(rfc7636Challenge)))
}
