package provider

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
)

// Acceptance tests of what spares users from spelling out endpoints: the
// issuer's metadata (RFC 8414), presets, revocation (RFC 7009) on destroy and
// on close, and the server metadata data source.

// A connection, a token and the data source name only the issuer: the
// endpoints and the client authentication come from the server's metadata.
// The token revoked on close is never handed out again.
func TestAccDiscovery_issuer(t *testing.T) {
	srv := startedTokenServer(t, tokenserver.Config{
		Clients: map[string]tokenserver.Client{
			// Only client_secret_post: auto would try Basic first and be
			// refused once; the metadata says to use post.
			"disco-client": {Secret: "disco-secret", AuthMethods: []tokenserver.AuthMethod{tokenserver.AuthPost}},
		},
		AuthMethodsSupported: []string{"client_secret_post"},
	})

	hcl := `
variable "issuer" { type = string }
variable "secret" {
  type      = string
  sensitive = true
}

data "oauth2_server_metadata" "server" {
  issuer = var.issuer
}

resource "oauth2_connection" "disco" {
  label                    = "discovered"
  issuer                   = var.issuer
  client_id                = "disco-client"
  client_secret_wo         = var.secret
  client_secret_wo_version = 1
}

ephemeral "oauth2_access_token" "disco" {
  issuer          = var.issuer
  client_id       = "disco-client"
  client_secret   = var.secret
  revoke_on_close = true
}

` + echoTokenType("disco")
	vars := config.Variables{"issuer": config.StringVariable(srv.URL()), "secret": config.StringVariable("disco-secret")}
	var afterFirst tokenserver.Stats
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{
			{
				Config:          hcl,
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.disco", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
					statecheck.ExpectKnownValue("oauth2_connection.disco", tfjsonpath.New("revocation_endpoint"), knownvalue.StringExact(srv.RevocationURL())),
					statecheck.ExpectKnownValue("data.oauth2_server_metadata.server", tfjsonpath.New("token_endpoint"), knownvalue.StringExact(srv.TokenURL())),
					statecheck.ExpectKnownValue("data.oauth2_server_metadata.server", tfjsonpath.New("token_endpoint_auth_methods_supported"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("client_secret_post")})),
					statecheck.ExpectKnownValue("echo.token_type", tfjsonpath.New("data"), knownvalue.StringExact("Bearer")),
				},
				Check: func(*terraform.State) error {
					afterFirst = srv.Stats()
					return nil
				},
			},
			{
				// Nothing changed, but every open of a token revoked on
				// close asks for a new one and revokes it again.
				Config:          hcl,
				ConfigVariables: vars,
				Check: func(*terraform.State) error {
					st := srv.Stats()
					if st.Grants["client_credentials"] <= afterFirst.Grants["client_credentials"] {
						return fmt.Errorf("the second run made no new token request: a token revoked on close was reused")
					}
					if st.Revocations <= afterFirst.Revocations {
						return fmt.Errorf("the second run revoked nothing")
					}
					return nil
				},
			},
		},
	})
	st := srv.Stats()
	if st.MetadataRequests == 0 || st.TokenErrors != 0 {
		t.Errorf("%d metadata requests and %d token errors; want the metadata read and client_secret_post used from the start", st.MetadataRequests, st.TokenErrors)
	}
	if st.Revocations == 0 || st.Revocations > st.Grants["client_credentials"] {
		t.Errorf("%d revocations for %d tokens", st.Revocations, st.Grants["client_credentials"])
	}
}

// keycloakOverTLS serves a token server where the keycloak preset expects
// Keycloak's endpoints, on loopback over TLS: the preset's URLs are https.
func keycloakOverTLS(t *testing.T, cfg tokenserver.Config) (*tokenserver.Server, *httptest.Server) {
	t.Helper()
	ts := tokenserver.New(cfg)
	paths := map[string]string{
		"/realms/test/protocol/openid-connect/token":  tokenserver.TokenPath,
		"/realms/test/protocol/openid-connect/revoke": tokenserver.RevocationPath,
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := paths[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		r.URL.Path = p
		ts.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return ts, srv
}

// A preset and its parameters stand in for the endpoints. Destroying a
// connection revokes the refresh token it obtained when state holds what
// authenticates the client, and only then.
func TestAccPreset_keycloak(t *testing.T) {
	ts, srv := keycloakOverTLS(t, tokenserver.Config{
		Clients: map[string]tokenserver.Client{"kc-client": {Secret: "kc-secret"}},
		Users:   map[string]string{"alice": "alice-password"},
	})
	host := strings.TrimPrefix(srv.URL, "https://")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		CheckDestroy: func(*terraform.State) error {
			// One revocation: the connection whose secret is in state. The
			// one with a write-only secret cannot authenticate at destroy.
			if n := ts.Stats().Revocations; n != 1 {
				return fmt.Errorf("destroy revoked %d refresh tokens, want 1", n)
			}
			return nil
		},
		Steps: []resource.TestStep{{
			ConfigVariables: config.Variables{
				"ca":       config.StringVariable(certificatePEM(srv.Certificate().Raw)),
				"host":     config.StringVariable(host),
				"password": config.StringVariable("alice-password"),
			},
			Config: `
variable "ca" { type = string }
variable "host" { type = string }
variable "password" {
  type      = string
  sensitive = true
}

provider "oauth2" {
  ca_cert_pem = var.ca
}

resource "oauth2_connection" "secret_in_state" {
  label               = "keycloak, secret in state"
  preset              = "keycloak"
  preset_params       = { host = var.host, realm = "test" }
  grant_type          = "password"
  client_id           = "kc-client"
  client_secret       = "kc-secret"
  username            = "alice"
  password_wo         = var.password
  password_wo_version = 1
}

resource "oauth2_connection" "write_only_secret" {
  label                    = "keycloak, write-only secret"
  preset                   = "keycloak"
  preset_params            = { host = var.host, realm = "test" }
  grant_type               = "password"
  client_id                = "kc-client"
  client_secret_wo         = "kc-secret"
  client_secret_wo_version = 1
  username                 = "alice"
  password_wo              = var.password
  password_wo_version      = 1
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("oauth2_connection.secret_in_state", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
				statecheck.ExpectKnownValue("oauth2_connection.secret_in_state", tfjsonpath.New("revocation_endpoint"),
					knownvalue.StringExact("https://"+host+"/realms/test/protocol/openid-connect/revoke")),
				statecheck.ExpectKnownValue("oauth2_connection.secret_in_state", tfjsonpath.New("token_url"), knownvalue.Null()),
				statecheck.ExpectKnownValue("oauth2_connection.write_only_secret", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
			},
		}},
	})
}

func TestAccPreset_planTimeValidation(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       *regexp.Regexp
	}{
		{"missing parameter", `
resource "oauth2_connection" "x" {
  label     = "x"
  preset    = "microsoft_entra"
  client_id = "c"
}`, regexp.MustCompile(`(?s)Invalid Preset Parameters.*tenant_id`)},
		{"unknown parameter", `
ephemeral "oauth2_access_token" "x" {
  preset        = "google"
  preset_params = { tenant = "x" }
  client_id     = "c"
  client_secret = "s"
}`, regexp.MustCompile(`(?s)Invalid Preset Parameters.*tenant`)},
		{"host parameter that names another host", `
resource "oauth2_connection" "x" {
  label         = "x"
  preset        = "zendesk"
  preset_params = { subdomain = "evil.example/" }
  client_id     = "c"
}`, regexp.MustCompile(`Invalid Preset Parameters`)},
		{"parameters without a preset", `
resource "oauth2_connection" "x" {
  label         = "x"
  token_url     = "https://idp.example.test/token"
  preset_params = { tenant_id = "t" }
  client_id     = "c"
}`, regexp.MustCompile(wrapped(`preset_params is set without preset`))},
		{"unknown preset", `
resource "oauth2_connection" "x" {
  label     = "x"
  preset    = "not_a_platform"
  client_id = "c"
}`, regexp.MustCompile(`(?s)preset.*value must be one of`)},
		{"no endpoint at all", `
ephemeral "oauth2_access_token" "x" {
  client_id     = "c"
  client_secret = "s"
}`, regexp.MustCompile(`Missing Token Endpoint`)},
		{"issuer with a query", `
data "oauth2_server_metadata" "x" {
  issuer = "https://idp.example.test/?tenant=x"
}`, regexp.MustCompile(`Invalid Issuer`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				TerraformVersionChecks:   writeOnlyVersions,
				Steps:                    []resource.TestStep{{Config: tc.body, PlanOnly: true, ExpectError: tc.want}},
			})
		})
	}
}

// certificatePEM encodes a DER certificate as PEM.
func certificatePEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
