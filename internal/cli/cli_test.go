package cli

import (
	"bytes"
	"context"
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
