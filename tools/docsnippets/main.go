// Command docsnippets extracts the ```terraform blocks of the documentation
// templates so that scripts/check-doc-snippets.sh can run `tofu fmt -check`
// and `tofu validate` on each of them.
//
// Each block is written, unchanged, to OUT/NNN/main.tf. What the block uses
// without declaring goes to OUT/NNN/context.tf, so that snippets can stay
// short and main.tf keeps the block's own line numbers:
//
//   - every var.NAME becomes `variable "NAME" {}`, with `sensitive = true`
//     when the name suggests a secret;
//   - every local.NAME becomes a local holding such a variable, so its value
//     is unknown, as a variable's is;
//   - every resource, data source or ephemeral resource of this provider
//     gets a minimal declaration of its type (see minimal below), when it is
//     referred to by its plain address (no count or for_each index).
//
// A block that refers to anything else it does not declare (another
// provider's resource, an indexed instance, a module) needs context the
// checker cannot make up: it must be preceded in the template by
//
//	<!-- snippet: partial -->
//
// and is then skipped, as are blocks that contain tfplugindocs template
// syntax ({{). An unmarked block that needs context is reported as an error.
//
// One line per block goes to stdout, tab-separated:
//
//	KIND DIR TEMPLATE LINE NOTE
//
// KIND is check (DIR holds main.tf), partial, template or context (needs a
// marker; NOTE says why); LINE is the template line of the block's first
// line. Usage, from the repository root:
//
//	go run ./tools/docsnippets -out DIR templates
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// PartialMarker, on the last non-blank line before a block, marks the block
// as needing context it does not show.
const PartialMarker = "<!-- snippet: partial -->"

// minimal holds, by "resource.TYPE", "data.TYPE" or "ephemeral.TYPE", the
// body of the smallest declaration of that type that validates. Values are
// fixed so that the result is deterministic.
var minimal = map[string]string{
	"resource.oauth2_connection": `  label         = "context"
  grant_type    = "client_credentials"
  token_url     = "https://auth.example.com/oauth2/token"
  client_id     = "context"
  client_secret = "context"
`,
	"resource.oauth2_webhook_secret": `  name          = "context"
  convention    = "client_credentials"
  token_url     = "https://hooks.example.com/oauth2/token"
  client_id     = "context"
  client_secret = "context"
`,
	"ephemeral.oauth2_access_token": `  grant_type    = "client_credentials"
  token_url     = "https://auth.example.com/oauth2/token"
  client_id     = "context"
  client_secret = "context"
`,
	"data.oauth2_server_metadata": `  issuer = "https://auth.example.com"
`,
}

var (
	fenceOpen = regexp.MustCompile("^([ \t]*)(```+|~~~+)[ \t]*terraform[ \t]*$")
	secretish = regexp.MustCompile(`(?i)secret|password|key|token`)
)

// Snippet is one ```terraform block of a template.
type Snippet struct {
	File    string // template path
	Line    int    // template line of the block's first line
	Body    string // the block, without its fences and indentation
	Partial bool   // preceded by PartialMarker
}

func main() {
	out := flag.String("out", "", "directory to write one sub-directory per snippet into")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: docsnippets -out DIR TEMPLATE_DIR...")
		os.Exit(2)
	}
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "docsnippets:", err)
		os.Exit(1)
	}
}

func run(out string, roots []string) error {
	var files []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md.tmpl") {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	sort.Strings(files)

	n := 0
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		snippets, err := Extract(file, string(src))
		if err != nil {
			return err
		}
		for _, s := range snippets {
			switch {
			case strings.Contains(s.Body, "{{"):
				fmt.Fprintf(w, "template\t-\t%s\t%d\t\n", s.File, s.Line)
				continue
			case s.Partial:
				fmt.Fprintf(w, "partial\t-\t%s\t%d\t\n", s.File, s.Line)
				continue
			}
			context, missing := Context(s.Body)
			if len(missing) > 0 {
				fmt.Fprintf(w, "context\t-\t%s\t%d\trefers to %s, which it does not declare\n",
					s.File, s.Line, strings.Join(missing, ", "))
				continue
			}
			n++
			dir := filepath.Join(out, fmt.Sprintf("%03d", n))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(s.Body), 0o644); err != nil {
				return err
			}
			if context != "" {
				if err := os.WriteFile(filepath.Join(dir, "context.tf"), []byte(context), 0o644); err != nil {
					return err
				}
			}
			fmt.Fprintf(w, "check\t%s\t%s\t%d\t\n", dir, s.File, s.Line)
		}
	}
	return nil
}

// Extract returns the ```terraform blocks of a template, in order. A block
// indented inside a list item loses that indentation.
func Extract(file, src string) ([]Snippet, error) {
	var (
		snippets []Snippet
		lines    = strings.Split(src, "\n")
		prev     string // last non-blank line outside a block
	)
	for i := 0; i < len(lines); i++ {
		m := fenceOpen.FindStringSubmatch(lines[i])
		if m == nil {
			if t := strings.TrimSpace(lines[i]); t != "" {
				prev = t
			}
			continue
		}
		indent, fence := m[1], m[2]
		s := Snippet{File: file, Line: i + 2, Partial: prev == PartialMarker}
		var body strings.Builder
		closed := false
		for i++; i < len(lines); i++ {
			t := strings.TrimSpace(lines[i])
			if strings.HasPrefix(t, fence[:3]) && strings.Trim(t, fence[:1]) == "" && len(t) >= len(fence) {
				closed = true
				break
			}
			body.WriteString(strings.TrimPrefix(lines[i], indent))
			body.WriteByte('\n')
		}
		if !closed {
			return nil, fmt.Errorf("%s:%d: unclosed ```terraform block", file, s.Line-1)
		}
		s.Body = body.String()
		snippets = append(snippets, s)
		prev = ""
	}
	return snippets, nil
}

// Context returns the declarations a snippet needs to validate on its own,
// and what it refers to but no declaration can be made up for. A snippet
// that does not parse gets no context: validation reports the syntax error.
func Context(body string) (context string, missing []string) {
	f, diags := hclsyntax.ParseConfig([]byte(body), "main.tf", hcl.InitialPos)
	if diags.HasErrors() {
		return "", nil
	}
	top, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return "", nil
	}

	declared := map[string]bool{}
	for _, b := range top.Blocks {
		switch {
		case b.Type == "variable" && len(b.Labels) == 1:
			declared["var."+b.Labels[0]] = true
		case b.Type == "locals":
			for name := range b.Body.Attributes {
				declared["local."+name] = true
			}
		case b.Type == "resource" && len(b.Labels) == 2:
			declared["resource."+b.Labels[0]+"."+b.Labels[1]] = true
		case (b.Type == "data" || b.Type == "ephemeral") && len(b.Labels) == 2:
			declared[b.Type+"."+b.Labels[0]+"."+b.Labels[1]] = true
		}
	}

	vars, locals, blocks := map[string]bool{}, map[string]bool{}, map[string]bool{}
	miss := map[string]bool{}
	for _, t := range traversals(top) {
		root := t.RootName()
		names := attrNames(t)
		switch root {
		case "var":
			if len(names) > 0 && !declared["var."+names[0]] {
				vars[names[0]] = true
			}
		case "local":
			if len(names) > 0 && !declared["local."+names[0]] {
				locals[names[0]] = true
			}
		case "each", "count", "path", "terraform", "self":
		case "module":
			miss[addr(t, 2)] = true
		case "data", "ephemeral":
			if len(names) < 2 || declared[root+"."+names[0]+"."+names[1]] {
				continue
			}
			a := root + "." + names[0] + "." + names[1]
			if _, ok := minimal[root+"."+names[0]]; !ok || indexed(t, 3) {
				miss[a] = true
			} else {
				blocks[root+" "+names[0]+" "+names[1]] = true
			}
		default:
			if len(names) < 1 || declared["resource."+root+"."+names[0]] {
				continue
			}
			a := root + "." + names[0]
			if _, ok := minimal["resource."+root]; !ok || indexed(t, 2) {
				miss[a] = true
			} else {
				blocks["resource "+root+" "+names[0]] = true
			}
		}
	}
	for a := range miss {
		missing = append(missing, a)
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		return "", missing
	}

	var c strings.Builder
	c.WriteString("# Declarations the snippet uses but does not show.\n")
	for _, name := range sorted(locals) {
		vars["local_"+name] = true
	}
	for _, name := range sorted(vars) {
		if secretish.MatchString(name) {
			fmt.Fprintf(&c, "\nvariable %q {\n  sensitive = true\n}\n", name)
		} else {
			fmt.Fprintf(&c, "\nvariable %q {}\n", name)
		}
	}
	if len(locals) > 0 {
		c.WriteString("\nlocals {\n")
		for _, name := range sorted(locals) {
			fmt.Fprintf(&c, "  %s = var.local_%s\n", name, name)
		}
		c.WriteString("}\n")
	}
	for _, b := range sorted(blocks) {
		f := strings.Fields(b)
		key := f[0] + "." + f[1]
		fmt.Fprintf(&c, "\n%s %q %q {\n%s}\n", f[0], f[1], f[2], minimal[key])
	}
	if len(vars) == 0 && len(blocks) == 0 {
		return "", nil
	}
	return c.String(), nil
}

// traversals returns every reference in a body, nested blocks included;
// names local to a for expression or a dynamic block are left out.
func traversals(body *hclsyntax.Body) []hcl.Traversal {
	var ts []hcl.Traversal
	for _, a := range body.Attributes {
		ts = append(ts, a.Expr.Variables()...)
	}
	for _, b := range body.Blocks {
		ts = append(ts, traversals(b.Body)...)
	}
	return ts
}

// attrNames returns the attribute names that follow a traversal's root, up
// to the first index.
func attrNames(t hcl.Traversal) []string {
	var names []string
	for _, step := range t[1:] {
		a, ok := step.(hcl.TraverseAttr)
		if !ok {
			break
		}
		names = append(names, a.Name)
	}
	return names
}

// indexed reports whether step n of a traversal (counting the root as 0) is
// an index, as in oauth2_connection.x["a"] (n = 2).
func indexed(t hcl.Traversal, n int) bool {
	if len(t) <= n {
		return false
	}
	_, ok := t[n].(hcl.TraverseIndex)
	return ok
}

// addr renders the first n steps of a traversal.
func addr(t hcl.Traversal, n int) string {
	parts := []string{t.RootName()}
	for _, name := range attrNames(t) {
		if len(parts) == n {
			break
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, ".")
}

func sorted(set map[string]bool) []string {
	s := make([]string, 0, len(set))
	for k := range set {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}
