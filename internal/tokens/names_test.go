package tokens

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
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

// unsignedJWT builds a compact JWT with the given claims and a dummy
// signature: names only read the claims.
func unsignedJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." + enc.EncodeToString(b) + "." + enc.EncodeToString([]byte("sig"))
}

func TestAccessKey_credentialsWithoutSecrets(t *testing.T) {
	nameKey := []byte(strings.Repeat("k", 32))
	ci := func(sub, jti string) string {
		return unsignedJWT(t, map[string]any{"iss": "https://token.actions.example", "sub": sub, "aud": "api://federation", "jti": jti, "exp": 1})
	}
	base := oauthclient.Request{TokenURL: "https://idp.example/token", GrantType: oauthclient.GrantClientCredentials, ClientID: "app"}

	// A request without the new credentials keeps the name earlier versions
	// gave it.
	old := tokenstore.KeyFor("access token v2", "", base.Endpoint(), string(base.GrantType), base.ClientID, base.ScopeParam(),
		base.Delimiter(), base.Username, "0", tokenstore.SecretName(nameKey, "", "", ""))
	if AccessKey(base, "", nameKey) != old {
		t.Error("the name of a request with a shared secret changed")
	}

	run1, run2 := base, base
	run1.ClientAssertion, run2.ClientAssertion = ci("repo:acme/infra:ref:refs/heads/main", "1"), ci("repo:acme/infra:ref:refs/heads/main", "2")
	if AccessKey(run1, "", nameKey) != AccessKey(run2, "", nameKey) {
		t.Error("two assertions for the same workload got two names: every run would miss the store")
	}
	if AccessKey(run1, "", nameKey) == old {
		t.Error("an assertion request shares the name of a request without one")
	}
	other := base
	other.ClientAssertion = ci("repo:acme/other:ref:refs/heads/main", "1")
	if AccessKey(other, "", nameKey) == AccessKey(run1, "", nameKey) {
		t.Error("two workloads share a name")
	}

	// HCP Terraform gives plan and apply different subjects.
	plan, apply := base, base
	plan.GrantType, apply.GrantType = oauthclient.GrantTokenExchange, oauthclient.GrantTokenExchange
	plan.SubjectTokenType, apply.SubjectTokenType = oauthclient.TokenTypeJWT, oauthclient.TokenTypeJWT
	plan.SubjectToken = ci("organization:acme:workspace:infra:run_phase:plan", "1")
	apply.SubjectToken = ci("organization:acme:workspace:infra:run_phase:apply", "1")
	if AccessKey(plan, "", nameKey) == AccessKey(apply, "", nameKey) {
		t.Error("plan and apply identities share a name")
	}

	// A token that is not a JWT is named by its keyed hash.
	o1, o2 := plan, plan
	o1.SubjectToken, o2.SubjectToken = "opaque-1", "opaque-2"
	if AccessKey(o1, "", nameKey) == AccessKey(o2, "", nameKey) {
		t.Error("two opaque subject tokens share a name")
	}
	for _, s := range []string{"opaque-1", "acme", "run_phase"} {
		if strings.Contains(AccessKey(o1, "", nameKey).String()+AccessKey(plan, "", nameKey).String(), s) {
			t.Errorf("a name shows %q", s)
		}
	}

	for _, tc := range []struct {
		name   string
		change func(*oauthclient.Request)
	}{
		{"audience", func(r *oauthclient.Request) { r.Audiences = []string{"b"} }},
		{"resource", func(r *oauthclient.Request) { r.Resources = []string{"https://b.example"} }},
		{"requested type", func(r *oauthclient.Request) { r.RequestedTokenType = oauthclient.TokenTypeIDToken }},
		{"assertion subject", func(r *oauthclient.Request) { r.AssertionClaims.Subject = "bob" }},
		{"assertion claim", func(r *oauthclient.Request) { r.AssertionClaims.Extra = map[string]string{"scope": "b"} }},
	} {
		a := base
		a.GrantType = oauthclient.GrantJWTBearer
		a.AssertionKey = testKey(t)
		a.AssertionClaims = oauthclient.AssertionClaims{Subject: "alice", Extra: map[string]string{"scope": "a"}}
		b := a
		tc.change(&b)
		if AccessKey(a, "", nameKey) == AccessKey(b, "", nameKey) {
			t.Errorf("%s changed, name stayed the same", tc.name)
		}
	}
}

func testKey(t *testing.T) *oauthclient.SigningKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := oauthclient.ParseSigningKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), oauthclient.KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return sk
}
