package tokens

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

func TestAccessKey(t *testing.T) {
	base := oauthclient.Request{
		TokenURL:     "https://login.example.test/{tenant_id}/token",
		TenantID:     "contoso",
		GrantType:    oauthclient.GrantRefreshToken,
		ClientID:     "client",
		ClientSecret: "secret-1",
		Scopes:       []string{"read", "write"},
		RefreshToken: "rt-1",
		ExtraParams:  map[string]string{"audience": "api", "resource": "https://api.example.test"},
	}
	nameKey := []byte(strings.Repeat("k", 32))
	want := AccessKey(base, "", nameKey)
	if again := AccessKey(base, "", nameKey); again != want {
		t.Errorf("the same request gave two keys")
	}

	for _, tc := range []struct {
		name   string
		change func(*oauthclient.Request)
	}{
		{"client secret", func(r *oauthclient.Request) { r.ClientSecret = "secret-2" }},
		{"password", func(r *oauthclient.Request) { r.Password = "pw" }},
		{"refresh token", func(r *oauthclient.Request) { r.RefreshToken = "rt-2" }},
		{"tenant", func(r *oauthclient.Request) { r.TenantID = "fabrikam" }},
		{"token url", func(r *oauthclient.Request) { r.TokenURL = "https://login.example.test/other" }},
		{"grant", func(r *oauthclient.Request) { r.GrantType = oauthclient.GrantClientCredentials }},
		{"client id", func(r *oauthclient.Request) { r.ClientID = "other" }},
		{"scopes", func(r *oauthclient.Request) { r.Scopes = []string{"read"} }},
		{"scope delimiter", func(r *oauthclient.Request) { r.ScopeDelimiter = "," }},
		{"username", func(r *oauthclient.Request) { r.Username = "alice" }},
		{"extra param", func(r *oauthclient.Request) { r.ExtraParams = map[string]string{"audience": "api"} }},
		// Moving a character between two secrets is a different credential.
		{"secret boundary", func(r *oauthclient.Request) { r.ClientSecret, r.RefreshToken = "secret-1r", "t-1" }},
	} {
		r := base
		r.Scopes = append([]string(nil), base.Scopes...)
		tc.change(&r)
		if AccessKey(r, "", nameKey) == want {
			t.Errorf("%s changed, key stayed the same", tc.name)
		}
	}

	// Equal requests with the extra parameters listed in another order.
	r := base
	r.ExtraParams = map[string]string{"resource": "https://api.example.test", "audience": "api"}
	if AccessKey(r, "", nameKey) != want {
		t.Errorf("extra parameter order changed the key")
	}
	// A filled tenant placeholder names the same endpoint.
	r = base
	r.TokenURL, r.TenantID = "https://login.example.test/contoso/token", ""
	if AccessKey(r, "", nameKey) != want {
		t.Errorf("a filled tenant placeholder changed the key")
	}
	// Another store key gives other names: a name cannot be tested against a
	// guessed secret without the key.
	if AccessKey(base, "", []byte(strings.Repeat("j", 32))) == want {
		t.Errorf("the store key does not affect the entry name")
	}

	// The name reveals no secret, in any encoding.
	k := want.String()
	for _, s := range []string{base.ClientSecret, base.RefreshToken} {
		if strings.Contains(k, s) || strings.Contains(k, hex.EncodeToString([]byte(s))) {
			t.Errorf("key %s contains a secret", k)
		}
	}
	if ConnectionKey("a") == ConnectionKey("b") || ConnectionKey("a") == want {
		t.Errorf("connection entry names collide")
	}
	if AccessKey(base, "chain-a", nameKey) == AccessKey(base, "chain-b", nameKey) {
		t.Errorf("requests drawing on different chains share an access token entry")
	}
}

// A chain is named by its lineage only: requests that differ in anything
// else share it.
func TestChainKey(t *testing.T) {
	nameKey := []byte(strings.Repeat("k", 32))
	base := oauthclient.Request{
		TokenURL: "https://login.example.test/{tenant_id}/token", TenantID: "contoso",
		GrantType: oauthclient.GrantRefreshToken, ClientID: "client", ClientSecret: "secret-1", RefreshToken: "rt-1",
	}
	want := ChainKey(base, nameKey)
	for name, change := range map[string]func(*oauthclient.Request){
		"scopes":        func(r *oauthclient.Request) { r.Scopes = []string{"read"} },
		"extra param":   func(r *oauthclient.Request) { r.ExtraParams = map[string]string{"audience": "api"} },
		"client secret": func(r *oauthclient.Request) { r.ClientSecret = "rotated" },
		"client auth":   func(r *oauthclient.Request) { r.AuthStyle = oauthclient.AuthPost },
	} {
		r := base
		change(&r)
		if ChainKey(r, nameKey) != want {
			t.Errorf("%s changed the chain's name", name)
		}
	}
	for name, change := range map[string]func(*oauthclient.Request){
		"refresh token": func(r *oauthclient.Request) { r.RefreshToken = "rt-2" },
		"client id":     func(r *oauthclient.Request) { r.ClientID = "other" },
		"tenant":        func(r *oauthclient.Request) { r.TenantID = "fabrikam" },
	} {
		r := base
		change(&r)
		if ChainKey(r, nameKey) == want {
			t.Errorf("%s changed, the chain's name stayed the same", name)
		}
	}
	if ChainKey(base, []byte(strings.Repeat("j", 32))) == want {
		t.Errorf("the store's name key does not affect the chain's name")
	}
}
