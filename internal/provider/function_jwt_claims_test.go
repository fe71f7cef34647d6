package provider

import (
	"encoding/base64"
	"math/big"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// testJWT returns a compact JWS with the given header and payload JSON and
// a signature that is never checked.
func testJWT(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + enc([]byte("not a real signature"))
}

const (
	testJWTHeader = `{"alg":"RS256","typ":"JWT","kid":"k1"}`
	// testJWTPayload has a claim of every JSON type, a number no float64
	// holds exactly, and a claim name that is a URL.
	testJWTPayload = `{"iss":"https://issuer.example.com","sub":"user-1","aud":["api","web"],"exp":1700000000,` +
		`"admin":true,"ratio":1.5,"big":12345678901234567890123,"nested":{"tenant":"t1","groups":[]},` +
		`"none":null,"https://example.com/roles":["reader"]}`
)

func TestFunctionJWTClaims(t *testing.T) {
	tuple := func(elems ...attr.Value) attr.Value {
		ts := make([]attr.Type, len(elems))
		for i, e := range elems {
			ts[i] = e.Type(t.Context())
		}
		return types.TupleValueMust(ts, elems)
	}
	object := func(attrs map[string]attr.Value) attr.Value {
		ts := make(map[string]attr.Type, len(attrs))
		for k, v := range attrs {
			ts[k] = v.Type(t.Context())
		}
		return types.ObjectValueMust(ts, attrs)
	}
	want := types.DynamicValue(object(map[string]attr.Value{
		"iss":   types.StringValue("https://issuer.example.com"),
		"sub":   types.StringValue("user-1"),
		"aud":   tuple(types.StringValue("api"), types.StringValue("web")),
		"exp":   types.NumberValue(mustBigFloat("1700000000")),
		"admin": types.BoolValue(true),
		"ratio": types.NumberValue(mustBigFloat("1.5")),
		"big":   types.NumberValue(mustBigFloat("12345678901234567890123")),
		"nested": object(map[string]attr.Value{
			"tenant": types.StringValue("t1"),
			"groups": tuple(),
		}),
		"none":                      types.DynamicNull(),
		"https://example.com/roles": tuple(types.StringValue("reader")),
	}))

	token := testJWT(testJWTHeader, testJWTPayload)
	for name, tok := range map[string]string{
		"plain": token,
		// Surrounding whitespace, as a file read with file() has.
		"whitespace": "\n " + token + "\n",
		// Padding RFC 7515 §2 leaves out.
		"padded": base64.URLEncoding.EncodeToString([]byte(testJWTHeader)) + "." +
			base64.URLEncoding.EncodeToString([]byte(testJWTPayload)) + ".c2ln",
		// An unsecured JWT (RFC 7519 §6) has an empty signature.
		"unsecured": strings.TrimSuffix(token, token[strings.LastIndex(token, ".")+1:]),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := runFunction(t, NewJWTClaimsFunction(), types.StringValue(tok))
			if err != nil {
				t.Fatal(err.Text)
			}
			if !got.Equal(want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func mustBigFloat(s string) *big.Float {
	f, _, err := big.ParseFloat(s, 10, 512, big.ToNearestEven)
	if err != nil {
		panic(err)
	}
	return f
}

func TestFunctionJWTClaims_errors(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	payload := enc(`{"sub":"secret-subject"}`)
	header := enc(testJWTHeader)
	for name, tc := range map[string]struct {
		token string
		want  string
	}{
		"empty":              {"", `is empty`},
		"blank":              {" \n", `is empty`},
		"bearer":             {"Bearer " + testJWT(`{"alg":"ES256"}`, `{}`), `starts with "Bearer "`},
		"space":              {"abc def.ghi.jkl", `contains a space`},
		"opaque":             {"2YotnFZFEjr1zCsicMWpAA", `has no dots.*opaque access token`},
		"two parts":          {header + "." + payload, `has 2 dot-separated parts`},
		"four parts":         {header + "." + payload + ".sig.x", `has 4 dot-separated parts`},
		"jwe":                {header + ".key.iv.ciphertext.tag", `encrypted JWT \(JWE`},
		"empty payload":      {header + "..sig", `empty header or payload`},
		"empty header":       {"." + payload + ".sig", `empty header or payload`},
		"header not base64":  {"!!!." + payload + ".sig", `header \(the first part\) is not`},
		"header not object":  {enc(`["RS256"]`) + "." + payload + ".sig", `header \(the first part\) is not`},
		"payload not base64": {header + ".secret*subject.sig", `payload \(the second part\) is not valid base64url`},
		"payload array":      {header + "." + enc(`["secret-subject"]`) + ".sig", `payload \(the second part\) is not a JSON object`},
		"payload not json":   {header + "." + enc(`secret-subject`) + ".sig", `is not a JSON object`},
		"payload trailing":   {header + "." + enc(`{"sub":"secret-subject"} {}`) + ".sig", `is not a JSON object`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := runFunction(t, NewJWTClaimsFunction(), types.StringValue(tc.token))
			wantArgumentError(t, err, 0, `^The token `, tc.want)
			// No message repeats the token or any part of it.
			for _, part := range append(strings.FieldsFunc(tc.token, func(r rune) bool { return r == '.' || r == ' ' }), "secret-subject", "secret*subject") {
				if len(part) > 3 && part != "Bearer" && strings.Contains(err.Text, part) {
					t.Errorf("the error repeats %q: %s", part, err.Text)
				}
			}
		})
	}
}

func TestAccFunction_jwtClaims(t *testing.T) {
	token := testJWT(testJWTHeader, testJWTPayload)
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   functionVersions,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: functionConfig(`
locals {
  claims = provider::oauth2::jwt_claims("` + token + `")
}

output "claims" {
  value = local.claims
}

output "sub" {
  value = local.claims.sub
}

output "exp_plus_one" {
  value = local.claims.exp + 1
}

output "first_aud" {
  value = local.claims.aud[0]
}

output "roles" {
  value = local.claims["https://example.com/roles"]
}
`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("sub", knownvalue.StringExact("user-1")),
					statecheck.ExpectKnownOutputValue("exp_plus_one", knownvalue.Int64Exact(1700000001)),
					statecheck.ExpectKnownOutputValue("first_aud", knownvalue.StringExact("api")),
					statecheck.ExpectKnownOutputValue("roles", knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("reader")})),
					statecheck.ExpectKnownOutputValue("claims", knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"iss":    knownvalue.StringExact("https://issuer.example.com"),
						"admin":  knownvalue.Bool(true),
						"ratio":  knownvalue.Float64Exact(1.5),
						"aud":    knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("api"), knownvalue.StringExact("web")}),
						"nested": knownvalue.ObjectExact(map[string]knownvalue.Check{"tenant": knownvalue.StringExact("t1"), "groups": knownvalue.ListSizeExact(0)}),
						"none":   knownvalue.Null(),
					})),
				},
			},
			{
				Config: functionConfig(`
output "claims" {
  value = provider::oauth2::jwt_claims("2YotnFZFEjr1zCsicMWpAA")
}
`),
				ExpectError: cliError(`Invalid value for "token" parameter: The token has no dots, so it is not a JWT`),
			},
		},
	})
}

func TestAccFunction_jwtClaimsExample(t *testing.T) {
	testAccFunctionExample(t, "jwt_claims",
		config.Variables{"id_token": config.StringVariable(testJWT(testJWTHeader, testJWTPayload))},
		statecheck.ExpectKnownOutputValue("token_subject", knownvalue.StringExact("user-1")),
		statecheck.ExpectKnownOutputValue("token_expires", knownvalue.StringExact("2023-11-14T22:13:20Z")),
	)
}
