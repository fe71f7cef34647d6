package provider

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// functionVersions skips the function acceptance tests on CLIs without
// provider functions (Terraform 1.8, OpenTofu 1.7).
var functionVersions = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)}

// functionConfig wraps HCL calling provider functions: a configuration must
// require the provider whose functions it calls. The source's host is the
// CLI's default registry, the one TF_ACC_PROVIDER_HOST names.
func functionConfig(body string) string {
	return `
terraform {
  required_providers {
    oauth2 = {
      source = "hashicorp/oauth2"
    }
  }
}
` + body
}

// testAccFunctionExample applies examples/functions/<name>/function.tf,
// the example the documentation shows, with vars as its variables, and runs
// checks on its outputs. The example requires the provider by its registry
// address; the test serves it under the acceptance tests' own.
func testAccFunctionExample(t *testing.T, name string, vars config.Variables, checks ...statecheck.StateCheck) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "functions", name, "function.tf"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	if !strings.Contains(cfg, `source = "oauth2-tf/oauth2"`) {
		t.Fatalf("the example of %s does not require oauth2-tf/oauth2", name)
	}
	cfg = strings.ReplaceAll(cfg, `source = "oauth2-tf/oauth2"`, `source = "hashicorp/oauth2"`)
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   functionVersions,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:            cfg,
			ConfigVariables:   vars,
			ConfigStateChecks: checks,
		}},
	})
}

// cliError matches a message as the CLI prints it, wrapped at any space.
func cliError(message string) *regexp.Regexp {
	return regexp.MustCompile(strings.Join(strings.Fields(regexp.QuoteMeta(message)), `\s+`))
}

// runFunction calls f's Run as Terraform would, with args as the
// arguments, and returns the result value and the function error.
func runFunction(t *testing.T, f function.Function, args ...attr.Value) (attr.Value, *function.FuncError) {
	t.Helper()
	ctx := context.Background()
	var def function.DefinitionResponse
	f.Definition(ctx, function.DefinitionRequest{}, &def)
	if def.Diagnostics.HasError() {
		t.Fatalf("Definition: %v", def.Diagnostics)
	}
	result, ferr := def.Definition.Return.NewResultData(ctx)
	if ferr != nil {
		t.Fatalf("NewResultData: %v", ferr)
	}
	resp := function.RunResponse{Result: result}
	f.Run(ctx, function.RunRequest{Arguments: function.NewArgumentsData(args)}, &resp)
	return resp.Result.Value(), resp.Error
}

// wantArgumentError fails unless err is an error about argument arg whose
// text matches every pattern.
func wantArgumentError(t *testing.T, err *function.FuncError, arg int64, patterns ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one about argument %d matching %q", arg, patterns)
	}
	if err.FunctionArgument == nil || *err.FunctionArgument != arg {
		t.Errorf("error names argument %v, want %d: %s", err.FunctionArgument, arg, err.Text)
	}
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(err.Text) {
			t.Errorf("error %q does not match %q", err.Text, p)
		}
	}
}

// TestFunctionDefinitions serves the provider and checks that it lists the
// functions with definitions the framework accepts: every parameter named
// and described, and a summary and description for each.
func TestFunctionDefinitions(t *testing.T) {
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("diagnostic: %s: %s", d.Summary, d.Detail)
	}
	want := []string{"authorization_url", "basic_auth", "jwt_claims", "pkce_challenge"}
	if len(resp.Functions) != len(want) {
		t.Errorf("got %d functions, want %v", len(resp.Functions), want)
	}
	for _, name := range want {
		f, ok := resp.Functions[name]
		if !ok {
			t.Errorf("function %s is missing", name)
			continue
		}
		if f.Summary == "" || f.Description == "" || f.DescriptionKind != tfprotov6.StringKindMarkdown {
			t.Errorf("function %s: want a summary and a markdown description", name)
		}
		if strings.HasSuffix(f.Summary, " ") || !strings.HasSuffix(f.Summary, ".") {
			t.Errorf("function %s: summary %q should be one sentence", name, f.Summary)
		}
		for i, p := range f.Parameters {
			if p.Name == "" || p.Description == "" {
				t.Errorf("function %s: parameter %d needs a name and a description", name, i)
			}
			if p.AllowNullValue || p.AllowUnknownValues {
				t.Errorf("function %s: parameter %s should refuse null and unknown values", name, p.Name)
			}
		}
	}
}

// TestAccFunction_sensitiveArgument shows that Terraform carries an
// argument's sensitivity over to a function's result, as the descriptions
// of basic_auth and jwt_claims say: an output of it must be sensitive.
func TestAccFunction_sensitiveArgument(t *testing.T) {
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   functionVersions,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: functionConfig(`
variable "secret" {
  type      = string
  default   = "s3cret"
  sensitive = true
}

output "header" {
  value = provider::oauth2::basic_auth("client", var.secret)
}
`),
				ExpectError: regexp.MustCompile(`(?i)output refers to sensitive values`),
			},
			{
				Config: functionConfig(`
variable "secret" {
  type      = string
  default   = "s3cret"
  sensitive = true
}

output "header" {
  value     = provider::oauth2::basic_auth("client", var.secret)
  sensitive = true
}
`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("header", knownvalue.StringExact("Basic Y2xpZW50OnMzY3JldA==")),
				},
			},
		},
	})
}
