package presets

import (
	"fmt"
	"strings"
)

// GuidePath is where the generated guide template lives, relative to the
// module root.
const GuidePath = "templates/guides/presets.md.tmpl"

// RegenerateCommand, run from the module root, rewrites GuidePath from the
// table. The test it runs otherwise fails when the file is out of date.
const RegenerateCommand = "go test ./internal/presets/ -run TestGuideTemplate -update"

// MarkdownTable renders the presets as a markdown table: one row per preset
// with its platform (linked to DocsURL), parameters, token URL template,
// grants, client authentication, scope delimiter, refresh token behaviour
// and notes.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| Preset | Platform | Parameters | Token URL | Grants | Client auth | Scope delimiter | Refresh tokens | Notes |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, p := range All() {
		cells := []string{
			code(p.Name),
			fmt.Sprintf("[%s](%s)", p.Title, p.DocsURL),
			paramsCell(p),
			code(p.TokenURL),
			grantsCell(p.Grants),
			or(code(p.ClientAuth), "auto"),
			delimiterCell(p.ScopeDelimiter),
			or(p.RefreshTokenRotation, "—"),
			or(p.Notes, "—"),
		}
		if p.RequestEncoding == "json" {
			cells[5] += ", JSON body"
		}
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	return b.String()
}

// paramsMarkdown lists every parameter with its description and shape.
func paramsMarkdown() string {
	var b strings.Builder
	for _, p := range All() {
		if len(p.Params) == 0 {
			continue
		}
		fmt.Fprintf(&b, "- `%s`\n", p.Name)
		for _, prm := range p.Params {
			fmt.Fprintf(&b, "  - `%s`", prm.Name)
			switch {
			case prm.Required:
				b.WriteString(" (required)")
			case prm.Default != "":
				fmt.Fprintf(&b, " (default `%s`)", prm.Default)
			}
			fmt.Fprintf(&b, ": %s", prm.Description)
			if prm.Pattern != nil {
				fmt.Fprintf(&b, "; must match `%s`", prm.Pattern)
			}
			b.WriteString(".\n")
		}
	}
	return b.String()
}

func paramsCell(p Preset) string {
	if len(p.Params) == 0 {
		return "—"
	}
	var out []string
	for _, prm := range p.Params {
		s := code(prm.Name)
		switch {
		case prm.Required:
			s += " (required)"
		case prm.Default != "":
			s += " (default " + code(prm.Default) + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

func grantsCell(grants []string) string {
	out := make([]string, len(grants))
	for i, g := range grants {
		out[i] = code(g)
	}
	return strings.Join(out, ", ")
}

func delimiterCell(d string) string {
	if d == "" || d == " " {
		return "space"
	}
	return code(d)
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// GuideTemplate returns the tfplugindocs guide template for GuidePath:
// front matter, an introduction and the table.
func GuideTemplate() string {
	var b strings.Builder
	b.WriteString(`---
page_title: "Presets for common platforms"
subcategory: ""
description: |-
  Connect to a known platform with preset and preset_params instead of spelling out its endpoints and conventions.
---

<!-- Generated from internal/presets by '` + RegenerateCommand + `'. Do not edit by hand. -->

# Presets for common platforms

A connection to a platform listed below can name it with ` + "`preset`" + ` and give the platform's
parameters in ` + "`preset_params`" + `, together with its usual credential, instead of spelling out
` + "`token_url`" + `, ` + "`authorization_url`" + `, ` + "`client_auth`" + `, ` + "`scope_delimiter`" + ` and ` + "`request_encoding`" + `:

` + "```terraform" + `
resource "oauth2_connection" "graph" {
  label                    = "Microsoft Graph"
  preset                   = "microsoft_entra"
  preset_params            = { tenant_id = var.tenant_id }
  grant_type               = "client_credentials"
  client_id                = var.client_id
  client_secret_wo         = var.client_secret
  client_secret_wo_version = 1
  scopes                   = ["https://graph.microsoft.com/.default"]
}
` + "```" + `

- A setting given explicitly always wins over the preset: set ` + "`token_url`" + ` or ` + "`client_auth`" + `
  beside ` + "`preset`" + ` to override one value and keep the rest.
- ` + "`preset_params`" + ` must name only the preset's parameters; a required parameter that is
  missing, an unknown one, or a value of the wrong shape is an error.
- A parameter that becomes part of a host name (a subdomain, a region, an Okta or Auth0 domain)
  must match a strict pattern, so that a typo can never send credentials to another host.
  Platforms reached through a custom domain are configured with explicit URLs instead.
  The exceptions are ` + "`gitlab_host`" + ` and Keycloak's ` + "`host`" + `: self-hosted servers live wherever
  their owners put them, so these accept any bare host name (no scheme, path or user information).
- Parameters in a URL path are URL-escaped.

Each entry follows the platform's public documentation, linked from its name. The table below is
generated from the Go package ` + "`internal/presets`" + `; to add or correct a platform, change the table
there and run ` + "`" + RegenerateCommand + "`" + `.

## Presets

`)
	b.WriteString(MarkdownTable())
	b.WriteString("\n## Parameters\n\n")
	b.WriteString(paramsMarkdown())
	return b.String()
}
