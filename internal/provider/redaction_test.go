package provider

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// redactionSecret holds characters that each encoding below changes.
const (
	redactionClientID = "echo-client"
	redactionSecret   = `LEAK/Zm9v+YmFy=~%&<>"é雪`
)

// echoedForms are the encodings in which a careless server echoes the
// client secret back, by name.
func echoedForms() map[string]string {
	s := redactionSecret
	var php, dotnet, hexRefs, decRefs strings.Builder
	for _, r := range s {
		switch r {
		case '/':
			php.WriteString(`\/`)
		case '"':
			php.WriteString(`\"`)
		default:
			php.WriteRune(r)
		}
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			dotnet.WriteRune(r)
		} else {
			fmt.Fprintf(&dotnet, `\u%04X`, r)
		}
		fmt.Fprintf(&hexRefs, "&#x%X;", r)
		fmt.Fprintf(&decRefs, "&#%d;", r)
	}
	basic := url.QueryEscape(redactionClientID) + ":" + url.QueryEscape(s)
	return map[string]string{
		"raw":                        s,
		"percent-encoded":            url.QueryEscape(s),
		"percent-encoded lower case": lowerHex(url.QueryEscape(s)),
		"percent-encoded twice":      url.QueryEscape(url.QueryEscape(s)),
		"php json":                   php.String(),
		".net json":                  dotnet.String(),
		"html hex references":        hexRefs.String(),
		"html decimal references":    decRefs.String(),
		"base64":                     base64.StdEncoding.EncodeToString([]byte(s)),
		"base64url unpadded":         base64.RawURLEncoding.EncodeToString([]byte(s)),
		"basic credentials unpadded": base64.RawStdEncoding.EncodeToString([]byte(basic)),
	}
}

// lowerHex writes the hex digits of every percent escape in lower case.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = bytes.ToLower(b[i+1 : i+2])[0], bytes.ToLower(b[i+2 : i+3])[0]
		}
	}
	return string(b)
}

// findForms returns the names of the forms that data holds.
func findForms(data []byte, forms map[string]string) []string {
	var out []string
	for name, f := range forms {
		if bytes.Contains(data, []byte(f)) {
			out = append(out, name)
		}
	}
	return out
}

// captureLogs makes the test's CLI runs keep their working directories
// under a temporary directory and log at TRACE to a file there, as
// TestAccProvider_noSecretLeaks does; it returns both paths.
func captureLogs(t *testing.T) (dir, logPath string) {
	dir = t.TempDir()
	logPath = filepath.Join(dir, "tf.log")
	t.Setenv("TF_ACC_TEMP_DIR", dir)
	t.Setenv("TF_ACC_PERSIST_WORKING_DIR", "1")
	t.Setenv("TF_ACC_LOG", "TRACE")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", logPath)
	return dir, logPath
}

// expectFailure is an ErrorCheck that keeps the CLI's error output in *out
// and lets the step pass when it matches want, so that the test can then
// search the whole output, not only match a pattern in it.
func expectFailure(want *regexp.Regexp, out *string) resource.ErrorCheckFunc {
	return func(err error) error {
		*out = err.Error()
		if !want.MatchString(*out) {
			return err
		}
		return nil
	}
}

// TestAccRedaction_echoedSecret applies three connections whose token
// endpoints echo the client secret in eleven encodings, in an
// error_description, in a JSON body that is no RFC 6749 error, and in a
// text body, next to one that succeeds; it then searches the CLI's output,
// the TRACE log, the plan, the state and every file the CLI left for any of
// the forms.
func TestAccRedaction_echoedSecret(t *testing.T) {
	forms := echoedForms()
	var echo []string
	for _, f := range forms {
		echo = append(echo, f)
	}
	all := strings.Join(echo, " | ")
	// PHP and .NET escapes go into the JSON body as those servers write
	// them; the others are escaped by the JSON encoder.
	rawJSON := `{"error":"invalid_client","error_description":"unknown client ` + forms["php json"] + ` ` + forms[".net json"] + `",` +
		`"input":{"client_secret":"` + forms["php json"] + `"}}`

	refusals := map[string]tokenAnswer{
		"/description": refuse(http.StatusUnauthorized, "invalid_client", "unknown client secret "+all),
		"/raw-json": {Status: http.StatusInternalServerError, ContentType: "application/json",
			Body: `{"input":{"client_secret":"` + forms["php json"] + `","echo":"` + forms[".net json"] + `"},"message":"failed for ` + forms["php json"] + `"}`},
		"/escaped-json": {Status: http.StatusUnauthorized, ContentType: "application/json", Body: rawJSON},
		"/text":         {Status: http.StatusBadGateway, Body: "upstream refused " + all},
	}
	server := newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		if a, ok := refusals[r.Path]; ok {
			return a
		}
		return acceptSecret("access-token", redactionSecret)(r)
	})
	dir, logPath := captureLogs(t)

	vars := config.Variables{
		"base_url":      config.StringVariable(strings.TrimSuffix(server.URL(), "/token")),
		"client_secret": config.StringVariable(redactionSecret),
	}
	const variables = `
variable "base_url" {
  type = string
}

variable "client_secret" {
  type      = string
  sensitive = true
}
`
	connection := func(name, path string) string {
		return fmt.Sprintf(`
resource "oauth2_connection" %[1]q {
  label                    = %[1]q
  grant_type               = "client_credentials"
  token_url                = "${var.base_url}%[2]s"
  client_id                = %[3]q
  client_auth              = "basic"
  client_secret_wo         = var.client_secret
  client_secret_wo_version = 1
}
`, name, path, redactionClientID)
	}
	good := connection("good", "/token")
	failing := good
	for _, p := range []string{"/description", "/raw-json", "/escaped-json", "/text"} {
		failing += connection(strings.TrimPrefix(p, "/"), p)
	}

	var output string
	noLeaks := noSecretsCheck{secrets: echo}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		ErrorCheck:               expectFailure(regexp.MustCompile(`Unable to Validate OAuth2 Connection`), &output),
		Steps: []resource.TestStep{
			{Config: variables + failing, ConfigVariables: vars},
			{
				Config:          variables + good,
				ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{noLeaks},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					noLeaks,
					statecheck.ExpectKnownValue("oauth2_connection.good", tfjsonpath.New("status"), knownvalue.StringExact("validated")),
				},
			},
		},
	})

	// Every failing endpoint was asked and reported.
	flat := strings.Join(strings.Fields(output), " ")
	for _, want := range []string{"unknown client secret [REDACTED]", "status 500 and no OAuth error code", "answered with status 502 and a non-JSON body", "unknown client [REDACTED] [REDACTED]"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the CLI output lacks %q; the search would prove nothing:\n%s", want, output)
		}
	}
	if found := findForms([]byte(output), forms); len(found) > 0 {
		t.Errorf("the CLI output holds the secret as %q:\n%s", found, output)
	}
	logs, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("reading the captured log: %v", err)
	}
	if !bytes.Contains(logs, []byte("[TRACE]")) || !bytes.Contains(logs, []byte("status 500 and no OAuth error code")) {
		t.Error("the captured log lacks the CLI's trace or the provider's error; the search would prove nothing")
	}
	if found := findForms(logs, forms); len(found) > 0 {
		t.Errorf("the TRACE log holds the secret as %q", found)
	}
	searchWorkingDirs(t, dir, logPath, forms)
}

// searchWorkingDirs fails when a file the CLI left under dir (state, plans,
// anything but the variables file, which holds the secret by design, and
// the log searched apart) holds one of forms; it also fails when no state
// file was found, since the search would then prove nothing.
func searchWorkingDirs(t *testing.T, dir, logPath string, forms map[string]string) {
	t.Helper()
	states := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == logPath || strings.HasSuffix(p, ".tfvars.json") || strings.Contains(p, "/plugins/") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".tfstate") {
			states++
		}
		if found := findForms(data, forms); len(found) > 0 {
			t.Errorf("%s holds the secret as %q", p, found)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if states == 0 {
		t.Errorf("no state file found under %s", dir)
	}
}

// TestAccRedaction_serverTextCleaned checks that terminal escapes and fake
// diagnostic lines in an error_description reach neither the CLI's output
// nor the log.
func TestAccRedaction_serverTextCleaned(t *testing.T) {
	server := newTokenEndpoint(t, func(recordedRequest) tokenAnswer {
		return refuse(http.StatusUnauthorized, "invalid_client", "\x1b[31mRED ALERT\x1b[0m\u202e\n\nError: fake diagnostic\r\n")
	})
	_, logPath := captureLogs(t)
	var output string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ErrorCheck:               expectFailure(regexp.MustCompile(`RED ALERT`), &output),
		Steps: []resource.TestStep{{
			Config: `provider "oauth2" {
  max_retries = 0
}
` + testAccConnectionClientCredentialsConfig(server.URL(), "basic", "s3cr3t-value"),
		}},
	})
	logs, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("reading the captured log: %v", err)
	}
	for where, text := range map[string]string{"output": output, "log": string(logs)} {
		for _, bad := range []string{"\x1b[31m", "\x1b", "\u202e", "\n\nError: fake", "\nError: fake"} {
			if strings.Contains(text, bad) {
				t.Errorf("the %s holds %q", where, bad)
			}
		}
	}
	if !strings.Contains(output, "RED ALERT Error: fake diagnostic") {
		t.Errorf("the output lacks the cleaned description:\n%s", output)
	}
}

// TestAccRedaction_tokenURLQueryReadable checks that a harmless query value
// of token_url no longer scrubs every "1" of the diagnostic.
func TestAccRedaction_tokenURLQueryReadable(t *testing.T) {
	server := newTokenEndpoint(t, func(recordedRequest) tokenAnswer {
		return refuse(http.StatusUnauthorized, "invalid_client", "client 1 is unknown")
	})
	tokenURL := server.URL() + "?x=1"
	var output string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ErrorCheck:               expectFailure(regexp.MustCompile(`Unable to Validate OAuth2 Connection`), &output),
		Steps: []resource.TestStep{{
			Config: `provider "oauth2" {
  max_retries = 0
}
` + testAccConnectionClientCredentialsConfig(tokenURL, "basic", "s3cr3t"),
		}},
	})
	flat := strings.Join(strings.Fields(output), " ")
	for _, want := range []string{
		"The token endpoint " + tokenURL + " did not issue a token",
		`The server answered with status 401 and error "invalid_client": client 1 is unknown.`,
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("the output lacks %q:\n%s", want, output)
		}
	}
	if strings.Contains(output, "[REDACTED]") {
		t.Errorf("the output redacts something that is no secret:\n%s", output)
	}
}

// TestAccRedaction_untrustedCertificateTriedOnce checks that a certificate
// the provider does not trust is tried once although retries are allowed:
// the server counts the connections it accepts.
func TestAccRedaction_untrustedCertificateTriedOnce(t *testing.T) {
	var conns atomic.Int32
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Errorf("a request reached a server whose certificate is not trusted")
	}))
	server.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	server.Config.ErrorLog = discardServerLog()
	server.StartTLS()
	t.Cleanup(server.Close)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `provider "oauth2" {
  max_retries = 3
}
` + testAccConnectionClientCredentialsConfig(server.URL+"/token", "basic", "s"),
			// The CLI wraps long lines, so words are matched across any space.
			ExpectError: regexp.MustCompile(`(?s)Unable to Validate OAuth2 Connection.*after\s+1\s+attempt\(s\).*certificate`),
		}},
	})
	if got := conns.Load(); got != 1 {
		t.Errorf("the server accepted %d connections, want 1", got)
	}
}
