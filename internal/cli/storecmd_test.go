package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokens"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
)

// run runs the tool with a file store at path and key.
func run(t *testing.T, path, key string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string {
		switch k {
		case envStorePath:
			return path
		case tokenstore.KeyEnv:
			return key
		}
		return ""
	}}
	code := Main(context.Background(), args, env)
	return out.String(), errOut.String(), code
}

func TestStoreCommands(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdefghijklmnopqrstuv"))
	st, err := tokenstore.NewFile(tokenstore.FileConfig{Path: path, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	engine := tokens.New(tokens.Options{Store: st})
	req := oauthclient.Request{TokenURL: "https://idp.example/oauth/token?tenant=x", GrantType: oauthclient.GrantDeviceCode, ClientID: "tv-client"}
	tok := &oauthclient.Token{AccessToken: "SECRET-access", RefreshToken: "SECRET-refresh", TokenType: "Bearer", ExpiresIn: 3600, Expiry: time.Now().Add(time.Hour)}
	if err := engine.Adopt(context.Background(), "conn-1", tokens.Request{Token: req, Connection: "conn-1", Label: "TV"}, tok); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	list, stderr, code := run(t, path, key, "store", "list")
	if code != 0 || !strings.Contains(list, "TV") || !strings.Contains(list, "idp.example") || !strings.Contains(list, "yes") {
		t.Fatalf("store list exited %d:\n%s\n%s", code, list, stderr)
	}
	if strings.Contains(list+stderr, "SECRET") || strings.Contains(list, "tenant=x") {
		t.Errorf("store list shows a token or the URL's query:\n%s", list)
	}
	entryKey := tokens.ConnectionKey("conn-1").String()
	show, _, code := run(t, path, key, "store", "show", entryKey)
	if code != 0 || !regexp.MustCompile(`refresh token:\s+yes`).MatchString(show) || strings.Contains(show, "SECRET") {
		t.Errorf("store show exited %d:\n%s", code, show)
	}
	if out, _, code := run(t, path, key, "store", "verify"); code != 0 || !strings.Contains(out, "All 1 entries") {
		t.Errorf("store verify exited %d: %s", code, out)
	}
	other := base64.StdEncoding.EncodeToString([]byte("vutsrqponmlkjihgfedcba9876543210"))
	if out, stderr, code := run(t, path, other, "store", "verify"); code != 1 || !strings.Contains(out, "does not decrypt") {
		t.Errorf("verify with another key exited %d:\n%s\n%s", code, out, stderr)
	}
	if _, _, code := run(t, path, key, "store", "show", "not-a-key"); code != 2 {
		t.Errorf("a malformed key exited %d, want 2", code)
	}
	if out, _, code := run(t, path, key, "store", "rm", entryKey); code != 0 || !strings.Contains(out, "Removed") {
		t.Errorf("store rm exited %d: %s", code, out)
	}
	if list, _, _ := run(t, path, key, "store", "list"); strings.Contains(list, entryKey) {
		t.Errorf("the removed entry is still listed:\n%s", list)
	}
}
