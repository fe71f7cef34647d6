package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindResource(t *testing.T) {
	doc := []byte(`{"values":{"root_module":{"resources":[
		{"address":"oauth2_connection.a","type":"oauth2_connection","values":{"id":"id-a","token_url":"https://a.example/token","client_secret":"never-read","scopes":["x","y"],"extra_params":{"k":"v"}}},
		{"address":"echo.e","type":"echo","values":{}}]}}}`)
	attrs, err := findResource(doc, "oauth2_connection.a")
	if err != nil || attrs["id"] != "id-a" {
		t.Fatalf("attrs %v, err %v", attrs, err)
	}
	if _, err := findResource(doc, "oauth2_connection.b"); err == nil || !strings.Contains(err.Error(), "oauth2_connection.a") {
		t.Errorf("a missing address: %v, want the known ones named", err)
	}
}

func TestLoopbackRedirect(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8765/callback", "http://[::1]:9000/", "http://localhost:1234"} {
		if _, err := loopbackRedirect(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "https://127.0.0.1:8765/cb", "http://example.com:80/cb", "http://127.0.0.1/cb"} {
		if _, err := loopbackRedirect(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	env := Env{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut}
	if code := Main(context.Background(), []string{"help"}, env); code != 0 || !strings.Contains(out.String(), "oauth2 authorize") {
		t.Errorf("help exited %d: %s", code, out.String())
	}
	if code := Main(context.Background(), []string{"frobnicate"}, env); code != 2 {
		t.Errorf("an unknown command exited %d, want 2", code)
	}
	errOut.Reset()
	if code := Main(context.Background(), []string{"authorize", "my-secret"}, env); code != 2 || !strings.Contains(errOut.String(), "never given on the command line") {
		t.Errorf("a positional argument exited %d: %s", code, errOut.String())
	}
}

// --address reads the connection's id and settings from the CLI's
// `show -json`; flags win, and the secret never comes from state.
func TestConnectionFromState(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "fake-tofu")
	doc := `{"values":{"root_module":{"resources":[{"address":"oauth2_connection.crm","type":"oauth2_connection","values":{` +
		`"id":"0b9b2c1e-6a5f-4f57-9d2c-2f6f2b1f7c11","label":"CRM","token_url":"https://idp.example/token",` +
		`"authorization_url":"https://idp.example/authorize","client_id":"crm-client","client_auth":"auto",` +
		`"client_secret":"from-state","redirect_uri":"http://127.0.0.1:8765/cb","scopes":["a","b"]}}]}}}`
	if err := os.WriteFile(script, []byte("#!/bin/sh\n[ \"$1 $2\" = \"show -json\" ] || exit 3\ncat <<'EOF'\n"+doc+"\nEOF\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	f := connectionFlags{address: "oauth2_connection.crm", dir: dir, tfCLI: script, clientID: "override", secretEnv: "SECRET"}
	env := Env{Getenv: func(k string) string {
		if k == "SECRET" {
			return "from-env"
		}
		return ""
	}, Stderr: &bytes.Buffer{}}
	conn, err := f.resolve(context.Background(), env, nil)
	if err != nil {
		t.Fatal(err)
	}
	if conn.id != "0b9b2c1e-6a5f-4f57-9d2c-2f6f2b1f7c11" || conn.label != "CRM" || conn.req.TokenURL != "https://idp.example/token" ||
		conn.authorizationURL != "https://idp.example/authorize" || conn.req.RedirectURI != "http://127.0.0.1:8765/cb" ||
		strings.Join(conn.req.Scopes, " ") != "a b" {
		t.Errorf("connection = %+v", conn)
	}
	if conn.req.ClientID != "override" || conn.req.ClientSecret != "from-env" || conn.req.AuthStyle != "" {
		t.Errorf("client %q secret %q auth %q: want the flag, the environment, and auto left to the defaults", conn.req.ClientID, conn.req.ClientSecret, conn.req.AuthStyle)
	}
}

// The command's guide shows its help text as it is.
func TestGuideShowsHelp(t *testing.T) {
	guide, err := os.ReadFile(filepath.Join("..", "..", "templates", "guides", "command-line-tool.md.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(guide), strings.TrimSpace(usage)) {
		t.Error("templates/guides/command-line-tool.md.tmpl does not show the current help text (oauth2 help); update its Reference section")
	}
}
