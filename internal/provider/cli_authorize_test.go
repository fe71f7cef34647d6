package provider

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/cli"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
)

// The companion command-line tool authorizes a pending connection, and the
// next apply finds it authorized with no code to copy; an access token with
// its connection_id then works. The tool shares the provider's default store
// (OAUTH2_TOKEN_STORE_PATH, set for every test by TestMain).

// freeLoopbackPort returns a port nothing listens on now.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := ln.Addr().(*net.TCPAddr)
	_ = ln.Close()
	return addr.Port
}

// runTool runs the command-line tool in process with the test's
// environment, a browser that follows the authorization server's redirect,
// and the client secret in the environment, never in the arguments.
func runTool(t *testing.T, secret string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := cli.OSEnv()
	env.Stdout, env.Stderr = &stdout, &stderr
	env.Getenv = func(k string) string {
		if k == "OAUTH2_CLIENT_SECRET" {
			return secret
		}
		return cli.OSEnv().Getenv(k)
	}
	env.OpenBrowser = func(u string) error {
		go func() {
			// The token server approves at once and redirects to the
			// tool's loopback listener, as a browser would follow it.
			resp, err := http.Get(u)
			if err == nil {
				_ = resp.Body.Close()
			}
		}()
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := cli.Main(ctx, args, env)
	return stdout.String(), stderr.String(), code
}

func TestAccCLI_authorizeThenApply(t *testing.T) {
	srv := startedTokenServer(t, tokenserver.Config{
		Clients: map[string]tokenserver.Client{"cli-client": {Secret: "cli-secret"}},
		Users:   map[string]string{"alice": "alice-password"},
	})
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", freeLoopbackPort(t))

	hcl := pendingAuthCodeHCL("crm", "CRM", "cli-client")
	// The connection has no pending change by now, so the token may name
	// its id directly.
	ephemeral := `
ephemeral "oauth2_access_token" "crm" {
  connection_id = oauth2_connection.crm.id
  token_url     = var.token_url
  client_id     = "cli-client"
  client_secret = var.secret
}

` + echoTokenType("crm")
	vars := authCodeVars(srv, redirect, "cli-secret")
	var id string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{
			{
				Config:          hcl,
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.crm", tfjsonpath.New("status"), knownvalue.StringExact("pending_authorization")),
				},
				Check: func(s *terraform.State) error {
					id = s.RootModule().Resources["oauth2_connection.crm"].Primary.ID
					return nil
				},
			},
			{
				PreConfig: func() {
					stdout, stderr, code := runTool(t, "cli-secret", "authorize",
						"--connection-id", id, "--label", "CRM", "--token-url", srv.TokenURL(),
						"--authorization-url", srv.AuthorizeURL(), "--redirect-uri", redirect,
						"--client-id", "cli-client", "--scope", "read")
					if code != 0 || !strings.Contains(stdout, "Authorized CRM") {
						t.Fatalf("authorize exited %d:\n%s\n%s", code, stdout, stderr)
					}
					if strings.Contains(stdout+stderr, "cli-secret") {
						t.Errorf("the tool printed the client secret:\n%s\n%s", stdout, stderr)
					}
				},
				Config:          hcl,
				ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("oauth2_connection.crm", plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.crm", tfjsonpath.New("status"), knownvalue.StringExact("authorized")),
				},
			},
			{
				Config:          hcl + ephemeral,
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.token_type", tfjsonpath.New("data"), knownvalue.StringExact("Bearer")),
				},
			},
		},
	})

	// The tool prints a token through the same store, and store list shows
	// the connection's entry without any token in it.
	stdout, stderr, code := runTool(t, "cli-secret", "token", "--connection-id", id, "--token-url", srv.TokenURL(), "--client-id", "cli-client", "--header")
	if code != 0 || !strings.HasPrefix(stdout, "Bearer ") {
		t.Fatalf("token exited %d:\n%s\n%s", code, stdout, stderr)
	}
	tok := strings.TrimSpace(strings.TrimPrefix(stdout, "Bearer "))
	list, stderr, code := runTool(t, "", "store", "list")
	if code != 0 || !strings.Contains(list, "CRM") || !strings.Contains(list, "cli-client") {
		t.Fatalf("store list exited %d:\n%s\n%s", code, list, stderr)
	}
	if strings.Contains(list, tok) {
		t.Errorf("store list printed a token:\n%s", list)
	}
}

// lineWriter hands every complete line written to it to fn.
type lineWriter struct {
	buf bytes.Buffer
	fn  func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		w.fn(string(w.buf.Next(i + 1)))
	}
}

// The device flow: the tool prints a code, a person approves it at the
// server, and the next apply finds the connection authorized.
func TestAccCLI_authorizeDevice(t *testing.T) {
	srv := startedTokenServer(t, tokenserver.Config{
		Clients:            map[string]tokenserver.Client{"device-client": {Secret: "device-secret"}},
		Users:              map[string]string{"alice": "alice-password"},
		DevicePollInterval: -1, // poll at once: the test approves within milliseconds
	})

	hcl := `
variable "token_url" { type = string }
variable "authorization_url" { type = string }
variable "secret" {
  type      = string
  sensitive = true
}

resource "oauth2_connection" "device" {
  label                    = "Device"
  grant_type               = "authorization_code"
  token_url                = var.token_url
  authorization_url        = var.authorization_url
  redirect_uri             = "http://127.0.0.1:1/unused"
  client_id                = "device-client"
  client_secret_wo         = var.secret
  client_secret_wo_version = 1
}
`
	vars := config.Variables{
		"token_url":         config.StringVariable(srv.TokenURL()),
		"authorization_url": config.StringVariable(srv.AuthorizeURL()),
		"secret":            config.StringVariable("device-secret"),
	}
	userCode := regexp.MustCompile(`code ([A-Z]{4}-[A-Z]{4})`)
	var id string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{
			{
				Config:          hcl,
				ConfigVariables: vars,
				Check: func(s *terraform.State) error {
					id = s.RootModule().Resources["oauth2_connection.device"].Primary.ID
					return nil
				},
			},
			{
				PreConfig: func() {
					var stdout bytes.Buffer
					approved := make(chan error, 1)
					env := cli.OSEnv()
					env.Stdout = &stdout
					env.Stderr = &lineWriter{fn: func(line string) {
						if m := userCode.FindStringSubmatch(line); m != nil {
							approved <- srv.ApproveDevice(m[1])
						}
					}}
					env.Getenv = func(k string) string {
						if k == "OAUTH2_CLIENT_SECRET" {
							return "device-secret"
						}
						return cli.OSEnv().Getenv(k)
					}
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					code := cli.Main(ctx, []string{"authorize", "--device", "--connection-id", id, "--label", "Device",
						"--token-url", srv.TokenURL(), "--device-authorization-url", srv.DeviceAuthorizationURL(),
						"--client-id", "device-client"}, env)
					if code != 0 {
						t.Fatalf("authorize --device exited %d: %s", code, stdout.String())
					}
					select {
					case err := <-approved:
						if err != nil {
							t.Fatalf("approving the device code: %v", err)
						}
					default:
						t.Fatal("the tool printed no user code")
					}
				},
				Config:          hcl,
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.device", tfjsonpath.New("status"), knownvalue.StringExact("authorized")),
				},
			},
		},
	})
	if st := srv.Stats(); st.DeviceAuthorizations != 1 {
		t.Errorf("%d device authorizations, want 1", st.DeviceAuthorizations)
	}
}
