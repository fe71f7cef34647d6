package provider

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
)

// Acceptance tests of the credentials without a shared secret: private_key_jwt
// and client_secret_jwt, workload identity tokens used for a token exchange
// and as client assertions, the JWT bearer grant, and mutual TLS. Each runs
// plan and apply through the CLI against the project's token server, which
// verifies every signature and certificate itself, and then searches the
// plan, the state, the TRACE log, every file the CLI left and the token store
// for the key, the assertions and the subject tokens.

// testKey is a private key with its PEM form.
type testKey struct {
	signer crypto.Signer
	pem    string
}

// newTestKey generates a key: "ec" (P-256) or "rsa" (2048 bits).
func newTestKey(t *testing.T, kind string) testKey {
	t.Helper()
	var (
		k   crypto.Signer
		err error
	)
	if kind == "rsa" {
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{signer: k, pem: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}
}

// secretPart is a distinctive run of the key's PEM body: finding it
// anywhere means the key leaked.
func (k testKey) secretPart() string {
	lines := strings.Split(k.pem, "\n")
	return lines[2]
}

// selfSigned returns a self-signed client certificate for k, in PEM, and
// the hex SHA-256 of its DER.
func (k testKey) selfSigned(t *testing.T) (string, string) {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "oauth2 test client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.signer.Public(), k.signer)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), hex.EncodeToString(sum[:])
}

// writeFile writes data to a file of its own under dir.
func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// recordingTokenServer serves a token server's handler and keeps every
// token request's body parameters, so that a test can search for the
// assertions the provider sent.
type recordingTokenServer struct {
	*tokenserver.Server
	url string

	mu    sync.Mutex
	forms []url.Values
}

func newRecordingTokenServer(t *testing.T, cfg tokenserver.Config) *recordingTokenServer {
	t.Helper()
	s := &recordingTokenServer{Server: tokenserver.New(cfg)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == tokenserver.TokenPath {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			form, _ := url.ParseQuery(string(body))
			s.mu.Lock()
			s.forms = append(s.forms, form)
			s.mu.Unlock()
		}
		s.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *recordingTokenServer) tokenURL() string { return s.url + tokenserver.TokenPath }

// sent returns every value of the named parameter the server received.
func (s *recordingTokenServer) sent(param string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, f := range s.forms {
		if v := f.Get(param); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// leakSearch keeps a test's CLI working directories, TRACE log and token
// store under one directory, and searches them all for secrets afterwards.
type leakSearch struct {
	dir, logPath string
}

func newLeakSearch(t *testing.T) leakSearch {
	t.Helper()
	dir, logPath := captureLogs(t)
	t.Setenv(envTokenStorePath, filepath.Join(dir, "store", "tokens.json"))
	return leakSearch{dir: dir, logPath: logPath}
}

// check fails the test when any secret appears in the log or a file, as
// itself, percent-encoded or in base64; JWTs are also searched for by their
// signature alone.
func (l leakSearch) check(t *testing.T, secrets map[string]string) {
	t.Helper()
	forms := map[string]string{}
	for name, s := range secrets {
		if s == "" {
			t.Fatalf("secret %s is empty: the search would prove nothing", name)
		}
		forms[name] = s
		forms[name+" percent-encoded"] = url.QueryEscape(s)
		forms[name+" base64"] = base64.StdEncoding.EncodeToString([]byte(s))
		forms[name+" base64url"] = base64.RawURLEncoding.EncodeToString([]byte(s))
		if parts := strings.Split(s, "."); len(parts) == 3 {
			forms[name+" signature"] = parts[2]
		}
	}
	logs, err := os.ReadFile(l.logPath)
	if err != nil {
		t.Fatalf("reading the captured log: %v", err)
	}
	if !bytes.Contains(logs, []byte("[TRACE]")) {
		t.Error("the captured log holds no TRACE line; the search would prove nothing")
	}
	if found := findForms(logs, forms); len(found) > 0 {
		t.Errorf("the TRACE log holds %q", found)
	}
	searchWorkingDirs(t, l.dir, l.logPath, forms)
	if _, err := os.Stat(filepath.Join(l.dir, "store", "tokens.json")); err != nil {
		t.Errorf("the token store was not written: %v", err)
	}
}

// countTokenRequests is a Check that records the token server's request
// count in *n, and a later step's check that compares with it.
func countTokenRequests(srv *tokenserver.Server, n *int64) resource.TestCheckFunc {
	return func(*terraform.State) error {
		*n = srv.Stats().TokenRequests
		return nil
	}
}

func noNewTokenRequests(srv *tokenserver.Server, before *int64) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := srv.Stats().TokenRequests; got != *before {
			return fmt.Errorf("the unchanged run made %d token requests, want 0: the stored token was not reused", got-*before)
		}
		return nil
	}
}

func TestAccCredentials_privateKeyJWT(t *testing.T) {
	leaks := newLeakSearch(t)
	key := newTestKey(t, "ec")
	srv := newRecordingTokenServer(t, tokenserver.Config{
		Clients: map[string]tokenserver.Client{
			"pkjwt-client": {AuthMethods: []tokenserver.AuthMethod{tokenserver.AuthPrivateKeyJWT}, PublicKeys: []crypto.PublicKey{key.signer.Public()}},
		},
	})
	keyFile := writeFile(t, t.TempDir(), "key.pem", key.pem)
	vars := config.Variables{
		"token_url":   config.StringVariable(srv.tokenURL()),
		"private_key": config.StringVariable(key.pem),
		"key_file":    config.StringVariable(keyFile),
	}
	hcl := `
variable "token_url" { type = string }
variable "key_file" { type = string }
variable "private_key" {
  type      = string
  sensitive = true
}

resource "oauth2_connection" "pkjwt" {
  label     = "private_key_jwt"
  token_url = var.token_url
  client_id = "pkjwt-client"
  signing_key = {
    private_key_wo         = var.private_key
    private_key_wo_version = 1
    key_id                 = "key-1"
  }
  scopes = ["read"]
}

ephemeral "oauth2_access_token" "pkjwt" {
  token_url = var.token_url
  client_id = "pkjwt-client"
  signing_key = {
    private_key_file = var.key_file
    key_id           = "key-1"
  }
  scopes = ["read"]
}

` + echoTokenType("pkjwt")
	var after int64
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{
			{
				Config:          hcl,
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.pkjwt", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
					statecheck.ExpectKnownValue("oauth2_connection.pkjwt", tfjsonpath.New("signing_key").AtMapKey("private_key_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue("echo.token_type", tfjsonpath.New("data"), knownvalue.StringExact("Bearer")),
				},
				Check: countTokenRequests(srv.Server, &after),
			},
			{
				// Nothing changed: the stored token is reused, though every
				// request would sign a new assertion.
				Config:          hcl,
				ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: noNewTokenRequests(srv.Server, &after),
			},
		},
	})

	st := srv.Stats()
	assertions := srv.sent("client_assertion")
	if st.AssertionsAccepted == 0 || int64(len(assertions)) != st.AssertionsAccepted || st.TokenErrors != 0 {
		t.Errorf("the server accepted %d assertions of %d sent, with %d errors", st.AssertionsAccepted, len(assertions), st.TokenErrors)
	}
	secrets := map[string]string{"private key": key.secretPart()}
	for i, a := range assertions {
		secrets[fmt.Sprintf("assertion %d", i)] = a
	}
	leaks.check(t, secrets)
}

func TestAccCredentials_clientSecretJWT(t *testing.T) {
	secret := "LEAK-" + strings.Repeat("client-secret-jwt-", 3)
	srv := newRecordingTokenServer(t, tokenserver.Config{
		Clients: map[string]tokenserver.Client{
			"csjwt-client": {Secret: secret, AuthMethods: []tokenserver.AuthMethod{tokenserver.AuthClientSecretJWT}},
		},
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{{
			ConfigVariables: config.Variables{"token_url": config.StringVariable(srv.tokenURL()), "secret": config.StringVariable(secret)},
			Config: `
variable "token_url" { type = string }
variable "secret" {
  type      = string
  sensitive = true
}

resource "oauth2_connection" "csjwt" {
  label                    = "client_secret_jwt"
  token_url                = var.token_url
  client_id                = "csjwt-client"
  client_auth              = "client_secret_jwt"
  client_secret_wo         = var.secret
  client_secret_wo_version = 1
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("oauth2_connection.csjwt", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
			},
		}},
	})
	for _, f := range srv.forms {
		if f.Has("client_secret") || strings.Contains(f.Encode(), "client-secret-jwt") {
			t.Errorf("the secret itself was sent: %v", f)
		}
	}
	if srv.Stats().AssertionsAccepted == 0 {
		t.Error("the server accepted no client_secret_jwt assertion")
	}
}

// ciIssuer plays a CI system's OpenID Connect provider: it serves the
// GitHub Actions ID token endpoint on loopback and signs a new token for
// every call.
type ciIssuer struct {
	issuer, subject string
	key             testKey
	requestToken    string

	mu     sync.Mutex
	issued []string
}

func newCIIssuer(t *testing.T, subject string) *ciIssuer {
	t.Helper()
	c := &ciIssuer{issuer: "https://token.actions.example", subject: subject, key: newTestKey(t, "ec"), requestToken: "LEAK-actions-request-token"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer "+c.requestToken {
			http.Error(w, "bad request token", http.StatusUnauthorized)
			return
		}
		tok := c.sign(t, r.URL.Query().Get("audience"))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"value": tok})
	}))
	t.Cleanup(srv.Close)
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_URL", srv.URL+"/token?api-version=2.0")
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", c.requestToken)
	return c
}

func (c *ciIssuer) sign(t *testing.T, audience string) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: c.key.signer}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Error(err)
		return ""
	}
	now := time.Now()
	tok, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: c.issuer, Subject: c.subject, Audience: jwt.Audience{audience},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(10 * time.Minute)),
		ID: base64.RawURLEncoding.EncodeToString([]byte(now.String())),
	}).Serialize()
	if err != nil {
		t.Error(err)
	}
	c.mu.Lock()
	c.issued = append(c.issued, tok)
	c.mu.Unlock()
	return tok
}

func TestAccCredentials_workloadIdentityTokenExchange(t *testing.T) {
	leaks := newLeakSearch(t)
	ci := newCIIssuer(t, "repo:acme/infra:ref:refs/heads/main")
	srv := newRecordingTokenServer(t, tokenserver.Config{
		TrustedIssuers: map[string]tokenserver.AssertionIssuer{
			ci.issuer: {PublicKeys: []crypto.PublicKey{ci.key.signer.Public()}, Audiences: []string{"oauth2-tf-test"}},
		},
		TokenExchangeWithoutClient: true,
	})
	hcl := `
variable "token_url" { type = string }

resource "oauth2_connection" "sts" {
  label          = "GitHub Actions to API"
  grant_type     = "token_exchange"
  token_url      = var.token_url
  identity_token = { source = "github_actions", audience = "oauth2-tf-test" }
  token_exchange = { audiences = ["https://api.example.test"] }
}

ephemeral "oauth2_access_token" "sts" {
  grant_type     = "token_exchange"
  token_url      = var.token_url
  identity_token = { source = "github_actions", audience = "oauth2-tf-test" }
  token_exchange = { audiences = ["https://api.example.test"] }
}

provider "echo" {
  data = ephemeral.oauth2_access_token.sts.issued_token_type
}

resource "echo" "issued" {}
`
	vars := config.Variables{"token_url": config.StringVariable(srv.tokenURL())}
	var after int64
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:          hcl,
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.sts", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
					statecheck.ExpectKnownValue("oauth2_connection.sts", tfjsonpath.New("issued_token_type"), knownvalue.StringExact(oauthclient.TokenTypeAccessToken)),
					statecheck.ExpectKnownValue("echo.issued", tfjsonpath.New("data"), knownvalue.StringExact(oauthclient.TokenTypeAccessToken)),
				},
				Check: countTokenRequests(srv.Server, &after),
			},
			{
				// The CI system issues a new token for this run; the same
				// workload's stored access token is reused without a request.
				Config:          hcl,
				ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: noNewTokenRequests(srv.Server, &after),
			},
		},
	})

	subjects := srv.sent("subject_token")
	if len(subjects) == 0 || srv.Stats().TokenErrors != 0 {
		t.Fatalf("%d exchanges, %d errors", len(subjects), srv.Stats().TokenErrors)
	}
	for _, f := range srv.forms {
		if f.Get("subject_token_type") != oauthclient.TokenTypeJWT || f.Get("audience") != "https://api.example.test" || f.Has("client_id") {
			t.Errorf("exchange form = %v", f)
		}
	}
	ci.mu.Lock()
	issued := append([]string(nil), ci.issued...)
	ci.mu.Unlock()
	if len(issued) < 3 {
		t.Errorf("the CI token endpoint was called %d times; every open and apply fetches a new token", len(issued))
	}
	secrets := map[string]string{"actions request token": ci.requestToken}
	for i, tok := range issued {
		secrets[fmt.Sprintf("CI token %d", i)] = tok
	}
	leaks.check(t, secrets)
}

// Microsoft Entra workload identity federation: the CI token is the client
// assertion of a client credentials grant.
func TestAccCredentials_workloadIdentityClientAssertion(t *testing.T) {
	ci := newCIIssuer(t, "repo:acme/infra:environment:prod")
	endpoint := newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		if r.Params["client_assertion_type"] != oauthclient.ClientAssertionType || strings.Count(r.Params["client_assertion"], ".") != 2 {
			return refuse(http.StatusUnauthorized, "invalid_client", "no client assertion")
		}
		return issue("federated-access-token", 3600, nil)
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			ConfigVariables: config.Variables{"token_url": config.StringVariable(endpoint.URL())},
			Config: `
variable "token_url" { type = string }

resource "oauth2_connection" "entra" {
  label          = "Entra workload identity"
  token_url      = var.token_url
  client_id      = "00000000-0000-0000-0000-000000000001"
  identity_token = { source = "github_actions", audience = "api://AzureADTokenExchange" }
  scopes         = ["https://graph.microsoft.com/.default"]
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("oauth2_connection.entra", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
			},
		}},
	})
	reqs := endpoint.Requests()
	if len(reqs) == 0 {
		t.Fatal("no token request")
	}
	ci.mu.Lock()
	defer ci.mu.Unlock()
	for _, r := range reqs {
		found := false
		for _, tok := range ci.issued {
			found = found || r.Params["client_assertion"] == tok
		}
		if !found || r.Params["client_id"] == "" || r.Authorization != "" || r.Params["client_secret"] != "" {
			t.Errorf("request %q does not carry a CI token as its client assertion", r.Body)
		}
	}
}

func TestAccCredentials_jwtBearerGrant(t *testing.T) {
	leaks := newLeakSearch(t)
	key := newTestKey(t, "rsa")
	srv := newRecordingTokenServer(t, tokenserver.Config{
		AssertionIssuers: map[string]tokenserver.AssertionIssuer{
			"consumer-key": {PublicKeys: []crypto.PublicKey{key.signer.Public()}, Subjects: []string{"alice@example.com"}},
		},
	})
	keyFile := writeFile(t, t.TempDir(), "key.pem", key.pem)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{{
			ConfigVariables: config.Variables{
				"token_url": config.StringVariable(srv.tokenURL()),
				"key":       config.StringVariable(key.pem),
				"key_file":  config.StringVariable(keyFile),
			},
			Config: `
variable "token_url" { type = string }
variable "key_file" { type = string }
variable "key" {
  type      = string
  sensitive = true
}

resource "oauth2_connection" "salesforce" {
  label      = "Salesforce JWT bearer"
  grant_type = "jwt_bearer"
  token_url  = var.token_url
  signing_key = {
    private_key_wo         = var.key
    private_key_wo_version = 1
  }
  jwt_bearer = { issuer = "consumer-key", subject = "alice@example.com" }
}

ephemeral "oauth2_access_token" "salesforce" {
  grant_type  = "jwt_bearer"
  token_url   = var.token_url
  signing_key = { private_key_file = var.key_file }
  jwt_bearer  = { issuer = "consumer-key", subject = "alice@example.com" }
}

` + echoTokenType("salesforce"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("oauth2_connection.salesforce", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
				statecheck.ExpectKnownValue("echo.token_type", tfjsonpath.New("data"), knownvalue.StringExact("Bearer")),
			},
		}},
	})
	assertions := srv.sent("assertion")
	if len(assertions) == 0 || srv.Stats().Grants[string(oauthclient.GrantJWTBearer)] != int64(len(assertions)) || srv.Stats().TokenErrors != 0 {
		t.Errorf("%d assertions sent, stats %+v", len(assertions), srv.Stats())
	}
	secrets := map[string]string{"private key": key.secretPart()}
	for i, a := range assertions {
		secrets[fmt.Sprintf("assertion %d", i)] = a
	}
	leaks.check(t, secrets)
}

func TestAccCredentials_mutualTLS(t *testing.T) {
	leaks := newLeakSearch(t)
	connKey, providerKey := newTestKey(t, "ec"), newTestKey(t, "ec")
	connCert, connPin := connKey.selfSigned(t)
	providerCert, providerPin := providerKey.selfSigned(t)
	srv := startedTokenServer(t, tokenserver.Config{
		TLS: true,
		Clients: map[string]tokenserver.Client{
			"mtls-connection": {AuthMethods: []tokenserver.AuthMethod{tokenserver.AuthSelfSignedTLS}, TLSClientCertSHA256: []string{connPin}},
			"mtls-provider":   {AuthMethods: []tokenserver.AuthMethod{tokenserver.AuthSelfSignedTLS}, TLSClientCertSHA256: []string{providerPin}},
		},
	})
	dir := t.TempDir()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{{
			ConfigVariables: config.Variables{
				"token_url":          config.StringVariable(srv.TokenURL()),
				"ca":                 config.StringVariable(srv.CACertPEM()),
				"conn_cert":          config.StringVariable(connCert),
				"conn_key":           config.StringVariable(connKey.pem),
				"provider_cert_file": config.StringVariable(writeFile(t, dir, "cert.pem", providerCert)),
				"provider_key_file":  config.StringVariable(writeFile(t, dir, "key.pem", providerKey.pem)),
			},
			Config: `
variable "token_url" { type = string }
variable "ca" { type = string }
variable "conn_cert" { type = string }
variable "provider_cert_file" { type = string }
variable "provider_key_file" { type = string }
variable "conn_key" {
  type      = string
  sensitive = true
}

provider "oauth2" {
  ca_cert_pem = var.ca
  tls_client = {
    certificate_file = var.provider_cert_file
    key_file         = var.provider_key_file
  }
}

# The connection presents its own certificate.
resource "oauth2_connection" "mtls" {
  label       = "mutual TLS"
  token_url   = var.token_url
  client_id   = "mtls-connection"
  client_auth = "self_signed_tls_client_auth"
  tls_client = {
    certificate    = var.conn_cert
    key_wo         = var.conn_key
    key_wo_version = 1
  }
}

# The token presents the provider's.
ephemeral "oauth2_access_token" "mtls" {
  token_url   = var.token_url
  client_id   = "mtls-provider"
  client_auth = "self_signed_tls_client_auth"
}

` + echoTokenType("mtls"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("oauth2_connection.mtls", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
				statecheck.ExpectKnownValue("oauth2_connection.mtls", tfjsonpath.New("tls_client").AtMapKey("key_wo"), knownvalue.Null()),
				statecheck.ExpectKnownValue("echo.token_type", tfjsonpath.New("data"), knownvalue.StringExact("Bearer")),
			},
		}},
	})
	if st := srv.Stats(); st.TLSClientAuthentications < 2 || st.TokenErrors != 0 {
		t.Errorf("%d certificate authentications and %d errors, want both clients authenticated", st.TLSClientAuthentications, st.TokenErrors)
	}
	leaks.check(t, map[string]string{"connection key": connKey.secretPart()})
}

func TestAccCredentials_planTimeValidation(t *testing.T) {
	key := newTestKey(t, "ec")
	keyFile := writeFile(t, t.TempDir(), "key.pem", key.pem)
	for _, tc := range []struct {
		name, body string
		want       *regexp.Regexp
	}{
		{"token exchange without a subject", `
resource "oauth2_connection" "x" {
  label      = "x"
  grant_type = "token_exchange"
  token_url  = "https://idp.example.test/token"
}`, regexp.MustCompile(wrapped(`token_exchange.subject_token_wo or identity_token must be set`))},
		{"jwt bearer without an assertion or key", `
ephemeral "oauth2_access_token" "x" {
  grant_type = "jwt_bearer"
  token_url  = "https://idp.example.test/token"
}`, regexp.MustCompile(wrapped(`jwt_bearer.assertion or signing_key or identity_token must be set`))},
		{"private_key_jwt without a key", `
resource "oauth2_connection" "x" {
  label       = "x"
  token_url   = "https://idp.example.test/token"
  client_id   = "c"
  client_auth = "private_key_jwt"
}`, regexp.MustCompile(wrapped(`signing_key or client_assertion_wo or identity_token must be set`))},
		{"signing key without a key", `
resource "oauth2_connection" "x" {
  label       = "x"
  token_url   = "https://idp.example.test/token"
  client_id   = "c"
  signing_key = { key_id = "k" }
}`, regexp.MustCompile(wrapped(`signing_key is set, so signing_key.private_key_wo or signing_key.private_key_file must be set too`))},
		{"key given twice", `
resource "oauth2_connection" "x" {
  label     = "x"
  token_url = "https://idp.example.test/token"
  client_id = "c"
  signing_key = {
    private_key_wo         = "k"
    private_key_wo_version = 1
    private_key_file       = "` + keyFile + `"
  }
}`, regexp.MustCompile(`cannot be configured together`)},
		{"actor token without its type", `
ephemeral "oauth2_access_token" "x" {
  grant_type     = "token_exchange"
  token_url      = "https://idp.example.test/token"
  token_exchange = { subject_token = "s", actor_token = "a" }
}`, regexp.MustCompile(wrapped(`token_exchange.actor_token is set, so token_exchange.actor_token_type must be set too`))},
		{"gitlab without a variable", `
ephemeral "oauth2_access_token" "x" {
  grant_type     = "token_exchange"
  token_url      = "https://idp.example.test/token"
  identity_token = { source = "gitlab_ci" }
}`, regexp.MustCompile(wrapped(`identity_token.name is required for gitlab_ci`))},
		{"unknown signing algorithm", `
ephemeral "oauth2_access_token" "x" {
  token_url   = "https://idp.example.test/token"
  client_id   = "c"
  signing_key = { private_key_file = "` + keyFile + `", algorithm = "HS256" }
}`, regexp.MustCompile(`algorithm`)},
		{"unknown grant", `
resource "oauth2_connection" "x" {
  label      = "x"
  grant_type = "urn:ietf:params:oauth:grant-type:jwt-bearer"
  token_url  = "https://idp.example.test/token"
}`, regexp.MustCompile(`jwt_bearer`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				TerraformVersionChecks:   writeOnlyVersions,
				Steps: []resource.TestStep{{
					Config:      tc.body,
					PlanOnly:    true,
					ExpectError: tc.want,
				}},
			})
		})
	}
}

// A key that cannot sign fails the apply naming the attribute, and says
// nothing of the key.
func TestAccCredentials_unusableKey(t *testing.T) {
	endpoint := newTokenEndpoint(t, func(recordedRequest) tokenAnswer { return issue("x", 60, nil) })
	bad := "-----BEGIN PRIVATE KEY-----\nTEVBSy1ub3QtYS1rZXktYXQtYWxs\n-----END PRIVATE KEY-----\n"
	var out string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		ErrorCheck:               expectFailure(regexp.MustCompile(`Unusable Private Key`), &out),
		Steps: []resource.TestStep{{
			ConfigVariables: config.Variables{"token_url": config.StringVariable(endpoint.URL()), "key": config.StringVariable(bad)},
			Config: `
variable "token_url" { type = string }
variable "key" {
  type      = string
  sensitive = true
}

resource "oauth2_connection" "x" {
  label     = "x"
  token_url = var.token_url
  client_id = "c"
  signing_key = {
    private_key_wo         = var.key
    private_key_wo_version = 1
  }
}
`,
		}},
	})
	if strings.Contains(out, "TEVBSy1ub3Qt") {
		t.Errorf("the error quotes the key: %s", out)
	}
	if endpoint.Count() != 0 {
		t.Errorf("%d requests were made with an unusable key", endpoint.Count())
	}
}

// tlsClientAttrTypes are the attributes of the provider's tls_client.
var tlsClientAttrTypes = map[string]attr.Type{
	"certificate": types.StringType, "certificate_file": types.StringType, "key": types.StringType, "key_file": types.StringType,
}

func TestClientOptions_clientCertificate(t *testing.T) {
	key := newTestKey(t, "ec")
	cert, _ := key.selfSigned(t)
	dir := t.TempDir()
	certFile, keyFile := writeFile(t, dir, "cert.pem", cert), writeFile(t, dir, "key.pem", key.pem)
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	opts, diags := clientOptions(providerModel{TLSClient: types.ObjectNull(tlsClientAttrTypes)}, env(map[string]string{envTLSClientCertFile: certFile, envTLSClientKeyFile: keyFile}))
	if diags.HasError() || len(opts.ClientCertificates) != 1 {
		t.Fatalf("from the environment: %d certificates, %v", len(opts.ClientCertificates), diags)
	}

	tlsClient := func(values map[string]string) providerModel {
		attrs := map[string]attr.Value{}
		for name := range tlsClientAttrTypes {
			attrs[name] = types.StringNull()
			if v, ok := values[name]; ok {
				attrs[name] = types.StringValue(v)
			}
		}
		return providerModel{TLSClient: types.ObjectValueMust(tlsClientAttrTypes, attrs)}
	}
	for _, tc := range []struct {
		name  string
		model providerModel
		want  path.Path
	}{
		{"certificate without key", tlsClient(map[string]string{"certificate": cert}), path.Root("tls_client")},
		{"key without certificate", tlsClient(map[string]string{"key_file": keyFile}), path.Root("tls_client").AtName("certificate")},
		{"missing file", tlsClient(map[string]string{"certificate_file": filepath.Join(dir, "nope.pem"), "key_file": keyFile}), path.Root("tls_client").AtName("certificate_file")},
		{"mismatched pair", tlsClient(map[string]string{"certificate": cert, "key": newTestKey(t, "ec").pem}), path.Root("tls_client").AtName("certificate")},
	} {
		_, diags := clientOptions(tc.model, env(nil))
		if !diags.HasError() {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, d := range diags.Errors() {
			if ad, ok := d.(diag.DiagnosticWithPath); !ok || !ad.Path().Equal(tc.want) {
				t.Errorf("%s: diagnostic %q is not on %s", tc.name, d.Summary(), tc.want)
			}
			if strings.Contains(d.Detail(), key.secretPart()) {
				t.Errorf("%s: the diagnostic quotes the key", tc.name)
			}
		}
	}
}
