package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestExtract(t *testing.T) {
	src := "# Title\n" +
		"\n" +
		"```terraform\n" +
		"provider \"oauth2\" {}\n" +
		"```\n" +
		"\n" +
		"<!-- snippet: partial -->\n" +
		"\n" +
		"```terraform\n" +
		"# ...\n" +
		"```\n" +
		"\n" +
		"1. Step:\n" +
		"\n" +
		"   ```terraform\n" +
		"   locals {\n" +
		"     a = 1\n" +
		"   }\n" +
		"   ```\n" +
		"```shell\n" +
		"echo\n" +
		"```\n"
	got, err := Extract("x.md.tmpl", src)
	if err != nil {
		t.Fatal(err)
	}
	want := []Snippet{
		{File: "x.md.tmpl", Line: 4, Body: "provider \"oauth2\" {}\n"},
		{File: "x.md.tmpl", Line: 10, Body: "# ...\n", Partial: true},
		{File: "x.md.tmpl", Line: 16, Body: "locals {\n  a = 1\n}\n"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Extract:\n got %#v\nwant %#v", got, want)
	}

	if _, err := Extract("x.md.tmpl", "```terraform\nx = 1\n"); err == nil {
		t.Error("an unclosed block is not reported")
	}
}

func TestContext(t *testing.T) {
	context, missing := Context(`
variable "declared" {}

ephemeral "oauth2_access_token" "t" {
  connection_id = oauth2_connection.crm.id
  client_id     = var.declared
  client_secret = var.client_secret
  scopes        = [for s in local.scopes : s]
}
`)
	if missing != nil {
		t.Fatalf("missing = %v", missing)
	}
	for _, want := range []string{
		"variable \"client_secret\" {\n  sensitive = true\n}",
		"locals {\n  scopes = var.local_scopes\n}",
		"resource \"oauth2_connection\" \"crm\" {",
	} {
		if !strings.Contains(context, want) {
			t.Errorf("context lacks %q:\n%s", want, context)
		}
	}
	if strings.Contains(context, `variable "declared"`) || strings.Contains(context, `variable "s"`) {
		t.Errorf("context declares what needs no declaration:\n%s", context)
	}

	_, missing = Context(`
output "x" {
  value = [restapi_object.a.id, oauth2_connection.b["k"].id, module.m.out]
}
`)
	if want := []string{"module.m", "oauth2_connection.b", "restapi_object.a"}; !reflect.DeepEqual(missing, want) {
		t.Errorf("missing = %v, want %v", missing, want)
	}

	if context, missing := Context(`provider "oauth2" {}`); context != "" || missing != nil {
		t.Errorf("a self-contained snippet got %q, %v", context, missing)
	}
}
