package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/cli"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
)

// Real-browser tests of the companion tool's consent flow: "oauth2
// authorize" runs in process, and its browser is a headless Chromium that
// the test drives over the DevTools protocol (chromedp). The token server
// shows its consent page (Config.ConsentPage); the test clicks Allow or Deny
// there and waits for the tool's own page on its loopback listener. Both
// pages are saved as screenshots.
//
// The tests run with TF_ACC and OAUTH2_BROWSER_TEST=1 (make testacc and make
// test set both, after scripts/browser-test-deps.sh installs Chromium). Once
// asked for, they fail, and never skip, when no Chromium is found.

const (
	envBrowserTest        = "OAUTH2_BROWSER_TEST"
	envChromium           = "OAUTH2_CHROMIUM"
	envBrowserScreenshots = "OAUTH2_BROWSER_SCREENSHOTS"
	defaultChromium       = "/usr/bin/chromium"

	// browserWait bounds every wait for the browser: its start, each page
	// load, element and screenshot.
	browserWait = 30 * time.Second
)

// browserTab is one headless Chromium with one tab, started for one test
// and stopped when the test ends.
type browserTab struct {
	ctx         context.Context
	screenshots string
}

// newBrowserTab skips the test unless the browser tests are asked for,
// fails it when no Chromium is found, and starts the browser.
func newBrowserTab(t *testing.T) *browserTab {
	t.Helper()
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skipf("acceptance test: set %s=1 (and %s=1) to run it", resource.EnvTfAcc, envBrowserTest)
	}
	if os.Getenv(envBrowserTest) != "1" {
		t.Skipf("real-browser test: set %s=1 to run it (make testacc and make test set it, after scripts/browser-test-deps.sh installs Chromium)", envBrowserTest)
	}
	exe := chromiumPath(t)
	dir := screenshotDir(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.WindowSize(1024, 768),
	)
	// One allocator (one browser process) per test. The cleanups run last
	// in, first out: the tab and browser close, then the allocator stops
	// the process and removes its profile directory.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)

	// The first Run starts the browser and ties its life to the context it
	// is given, so that context has no deadline; a timer cancels a start
	// that hangs instead.
	timer := time.AfterFunc(browserWait, cancel)
	err := chromedp.Do(ctx)
	timer.Stop()
	if err != nil {
		t.Fatalf("starting Chromium %s: %v", exe, err)
	}
	return &browserTab{ctx: ctx, screenshots: dir}
}

// chromiumPath is OAUTH2_CHROMIUM or /usr/bin/chromium; the test fails when
// neither is an executable.
func chromiumPath(t *testing.T) string {
	t.Helper()
	exe := os.Getenv(envChromium)
	if exe == "" {
		exe = defaultChromium
	}
	fi, err := os.Stat(exe)
	if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s=1 but no Chromium at %s (%v): run scripts/browser-test-deps.sh (it installs Debian's chromium package) or set %s to a Chromium binary",
			envBrowserTest, exe, err, envChromium)
	}
	return exe
}

// screenshotDir is OAUTH2_BROWSER_SCREENSHOTS, or test-output/browser at the
// repository root, made absolute and created.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(envBrowserScreenshots)
	if dir == "" {
		root, err := repositoryRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "test-output", "browser")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("creating the screenshot directory: %v", err)
	}
	return dir
}

// repositoryRoot is the nearest directory above the working directory (the
// package's, under go test) that holds go.mod.
func repositoryRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory; set " + envBrowserScreenshots)
		}
		dir = parent
	}
}

// within runs one action in the tab with the browserWait deadline.
func within[T any](b *browserTab, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, browserWait)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// screenshot saves a full-page PNG of the tab as name.png and returns its
// absolute path.
func (b *browserTab) screenshot(name string) (string, error) {
	png, err := within(b, chromedp.FullScreenshot(100))
	if err != nil {
		return "", fmt.Errorf("screenshot %s: %w", name, err)
	}
	path := filepath.Join(b.screenshots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return "", err
	}
	return path, nil
}

// consentResult is what the browser saw.
type consentResult struct {
	screenshots []string
	page        string // the visible text of the tool's page
	err         error
}

// consent walks the tab through the consent: it opens authURL, waits for the
// consent page's #allow, saves it as name-consent.png, clicks the button
// (allow or deny), waits for the tool's page to show the element with the id
// want (success or failure) and saves that as name-want.png.
func (b *browserTab) consent(authURL, button, want, name string) (res consentResult) {
	step := func(what string, a chromedp.Action[chromedp.Void]) bool {
		if _, err := within(b, a); err != nil {
			res.err = fmt.Errorf("%s: %w", what, err)
			return false
		}
		return true
	}
	shot := func(suffix string) bool {
		path, err := b.screenshot(name + "-" + suffix)
		if err != nil {
			res.err = err
			return false
		}
		res.screenshots = append(res.screenshots, path)
		return true
	}
	if !step("opening the authorization URL", chromedp.Navigate(authURL)) ||
		!step("waiting for #allow on the consent page", chromedp.WaitVisible(chromedp.ID("allow"))) ||
		!shot("consent") ||
		!step("clicking #"+button, chromedp.Click(chromedp.ID(button))) ||
		!step("waiting for #"+want+" on the tool's page", chromedp.WaitVisible(chromedp.ID(want))) {
		return res
	}
	text, err := within(b, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		res.err = fmt.Errorf("reading the tool's page: %w", err)
		return res
	}
	res.page = text
	shot(want)
	return res
}

// runToolInBrowser runs the tool in process like runTool, with the browser
// tab as its browser: the tab consents by clicking button and expects the
// tool's page to show want. It returns the tool's output and exit code and
// what the browser saw, and logs the screenshots' paths.
func runToolInBrowser(t *testing.T, b *browserTab, secret, button, want, name string, args ...string) (string, string, int, consentResult) {
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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan consentResult, 1)
	opened := false
	env.OpenBrowser = func(u string) error {
		opened = true
		go func() {
			res := b.consent(u, button, want, name)
			if res.err != nil {
				// No redirect will come: stop the tool waiting for it.
				cancel()
			}
			done <- res
		}()
		return nil
	}
	code := cli.Main(ctx, args, env)
	if !opened {
		t.Fatalf("the tool exited %d without opening a browser:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	// Every step of the browser has its own deadline, so this ends.
	res := <-done
	for _, p := range res.screenshots {
		t.Logf("screenshot: %s", p)
	}
	if res.err != nil {
		t.Fatalf("browser: %v\ntool exited %d:\n%s\n%s", res.err, code, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String(), code, res
}

// browserConsentServer is a token server that asks for consent on its page.
func browserConsentServer(t *testing.T) *tokenserver.Server {
	t.Helper()
	srv := startedTokenServer(t, tokenserver.Config{
		Clients:     map[string]tokenserver.Client{"browser-client": {Secret: "browser-secret"}},
		Users:       map[string]string{"alice": "alice-password"},
		ConsentPage: true,
	})
	return srv
}

// browserConnectionHCL is the connection the browser tests authorize.
var browserConnectionHCL = pendingAuthCodeHCL("x", "Browser", "browser-client")

// authorizeArgs are the tool's arguments for the connection with id.
func authorizeArgs(srv *tokenserver.Server, id, redirect string) []string {
	return []string{"authorize",
		"--connection-id", id, "--label", "Browser", "--token-url", srv.TokenURL(),
		"--authorization-url", srv.AuthorizeURL(), "--redirect-uri", redirect,
		"--client-id", "browser-client", "--scope", "read", "--timeout", "1m"}
}

// A person allows the consent in a real browser: the tool saves the grant,
// the next apply finds the connection authorized, and an access token with
// its connection_id works.
func TestAccBrowser_authorize(t *testing.T) {
	b := newBrowserTab(t)
	srv := browserConsentServer(t)
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", freeLoopbackPort(t))
	vars := authCodeVars(srv, redirect, "browser-secret")
	ephemeral := `
ephemeral "oauth2_access_token" "x" {
  connection_id = oauth2_connection.x.id
  token_url     = var.token_url
  client_id     = "browser-client"
  client_secret = var.secret
}

` + echoTokenType("x")
	var id string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{
			{
				Config:          browserConnectionHCL,
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.x", tfjsonpath.New("status"), knownvalue.StringExact("pending_authorization")),
				},
				Check: func(s *terraform.State) error {
					id = s.RootModule().Resources["oauth2_connection.x"].Primary.ID
					return nil
				},
			},
			{
				PreConfig: func() {
					stdout, stderr, code, res := runToolInBrowser(t, b, "browser-secret", "allow", "success", "authorize",
						authorizeArgs(srv, id, redirect)...)
					if code != 0 || !strings.Contains(stdout, "Authorized Browser") {
						t.Fatalf("authorize exited %d:\n%s\n%s", code, stdout, stderr)
					}
					if !strings.Contains(res.page, "Authorized") {
						t.Errorf("the tool's page says %q, want Authorized", res.page)
					}
					if strings.Contains(stdout+stderr+res.page, "browser-secret") {
						t.Errorf("the tool showed the client secret:\n%s\n%s\n%s", stdout, stderr, res.page)
					}
				},
				Config:          browserConnectionHCL,
				ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("oauth2_connection.x", plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.x", tfjsonpath.New("status"), knownvalue.StringExact("authorized")),
				},
			},
			{
				Config:          browserConnectionHCL + ephemeral,
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.token_type", tfjsonpath.New("data"), knownvalue.StringExact("Bearer")),
				},
			},
		},
	})
}

// A person denies the consent: the tool exits 1 naming access_denied, its
// page shows the failure, nothing is saved and the connection stays
// pending.
func TestAccBrowser_deny(t *testing.T) {
	b := newBrowserTab(t)
	srv := browserConsentServer(t)
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", freeLoopbackPort(t))
	vars := authCodeVars(srv, redirect, "browser-secret")
	var id string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{
			{
				Config:          browserConnectionHCL,
				ConfigVariables: vars,
				Check: func(s *terraform.State) error {
					id = s.RootModule().Resources["oauth2_connection.x"].Primary.ID
					return nil
				},
			},
			{
				PreConfig: func() {
					stdout, stderr, code, res := runToolInBrowser(t, b, "browser-secret", "deny", "failure", "deny",
						authorizeArgs(srv, id, redirect)...)
					if code != 1 || !strings.Contains(stderr, "access_denied") {
						t.Fatalf("authorize exited %d, want 1 with access_denied:\n%s\n%s", code, stdout, stderr)
					}
					if strings.Contains(stdout, "Authorized") {
						t.Errorf("the tool says it authorized after a denial:\n%s", stdout)
					}
					if !strings.Contains(res.page, "access_denied") {
						t.Errorf("the tool's page says %q, want access_denied", res.page)
					}
				},
				Config:          browserConnectionHCL,
				ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.x", tfjsonpath.New("status"), knownvalue.StringExact("pending_authorization")),
				},
			},
		},
	})
}
