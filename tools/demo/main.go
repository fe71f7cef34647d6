// Command demo runs examples/quickstart end to end with Terraform or
// OpenTofu and the provider built from this repository, against a token
// server started in this process on 127.0.0.1. It needs no network: the
// provider is installed through a dev_overrides CLI configuration and the
// only other resource is the built-in terraform_data.
//
// The CLI is the one -cli names; without -cli, `tofu` and then `terraform`
// from PATH, the first of version 1.11 or later (ephemeral resources and
// write-only attributes); without either, .bin/tofu, which `make tofu`
// builds from the pinned tools/tofu module when it is missing or outdated.
// The demo says which CLI it uses and its version.
//
// Steps: choose the CLI, start the token server, build the provider (unless
// -provider names one), copy the example into a temporary directory, run
// `apply`, `output` and `destroy`, print what happened, and stop the
// server. Any failure exits non-zero; the CLI's output is streamed as it
// runs.
//
// Run from the repository root:
//
//	go run ./tools/demo [-cli path/to/terraform-or-tofu] [-provider path/to/terraform-provider-oauth2] [-keep]
//
// -tofu is the former name of -cli and still works.
//
// With -probe URL the command instead acts as the example's token check: it
// calls URL/api/me with the Authorization header from $AUTH and exits
// non-zero unless the API answers 200. The example's local-exec provisioner
// runs it, so the demo needs no curl.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
)

// providerAddresses are the addresses "oauth2-tf/oauth2" means: OpenTofu
// resolves a source without a host to its own registry, Terraform to
// HashiCorp's. Overriding both lets the example run under either CLI.
var providerAddresses = []string{
	"registry.opentofu.org/oauth2-tf/oauth2",
	"registry.terraform.io/oauth2-tf/oauth2",
}

const (
	modulePath     = "github.com/oauth2-tf/terraform-provider-oauth2"
	providerBinary = "terraform-provider-oauth2"

	demoClientID     = "demo-client"
	demoClientSecret = "demo-secret"
	demoUser         = "demo-user"
	demoPassword     = "demo-password"
)

type options struct {
	cli      string
	provider string
	example  string
	keep     bool
	timeout  time.Duration
}

func main() {
	var opts options
	probeURL := flag.String("probe", "", "check mode: call `URL`/api/me with the Authorization header in $AUTH and exit non-zero unless it answers 200")
	flag.StringVar(&opts.cli, "cli", "", "Terraform or OpenTofu `binary`, version 1.11 or later; empty: tofu or terraform from PATH, else .bin/tofu (built by `make tofu`)")
	flag.StringVar(&opts.cli, "tofu", "", "the former name of -cli: a Terraform or OpenTofu `binary`")
	flag.StringVar(&opts.provider, "provider", "", "built provider `binary`; empty builds one from the repository root")
	flag.StringVar(&opts.example, "example", "", "example `directory` to run (default examples/quickstart under the repository root)")
	flag.BoolVar(&opts.keep, "keep", false, "keep the temporary working directory for inspection")
	flag.DurationVar(&opts.timeout, "timeout", 10*time.Minute, "give up after this long")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "demo: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}

	if *probeURL != "" {
		if err := probe(*probeURL, os.Getenv("AUTH")); err != nil {
			fmt.Fprintln(os.Stderr, "demo probe:", err)
			os.Exit(1)
		}
		return
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()
	if err := run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "\ndemo: FAILED:", err)
		os.Exit(1)
	}
}

// probe calls the protected resource once with the given Authorization
// header value.
func probe(baseURL, authorization string) error {
	if authorization == "" {
		return errors.New("$AUTH is empty: the ephemeral token did not reach the provisioner")
	}
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(baseURL, "/")+tokenserver.APIPath, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", authorization)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", req.URL, resp.Status, bytes.TrimSpace(body))
	}
	return nil
}

// demo holds the state of one run.
type demo struct {
	opts    options
	root    string
	workDir string // holds the CLI config and, when built here, the provider
	config  string // the root module the CLI runs in
	env     []string
	color   bool
	srv     *tokenserver.Server

	transcript bytes.Buffer // all CLI output, searched for secrets
}

func run(ctx context.Context, opts options) (err error) {
	started := time.Now()
	d := &demo{opts: opts, color: isTerminal(os.Stdout)}

	if d.root, err = repoRoot(); err != nil {
		return err
	}
	cli, err := chooseCLI(ctx, d.root, opts.cli, os.Getenv("PATH"))
	if err != nil {
		return err
	}
	step("Using %s %s (%s)", cli.name, cli.version, cli.path)
	d.opts.cli = cli.path
	if d.opts.example == "" {
		d.opts.example = filepath.Join(d.root, "examples", "quickstart")
	}

	if d.workDir, err = os.MkdirTemp("", "oauth2-demo-"); err != nil {
		return err
	}
	defer func() {
		if opts.keep {
			fmt.Printf("Working directory kept: %s\n", d.workDir)
			return
		}
		if rmErr := os.RemoveAll(d.workDir); rmErr != nil && err == nil {
			err = rmErr
		}
	}()

	providerDir, err := d.installProvider(ctx)
	if err != nil {
		return err
	}

	d.srv = tokenserver.New(tokenserver.Config{
		Clients: map[string]tokenserver.Client{demoClientID: {Secret: demoClientSecret}},
		Users:   map[string]string{demoUser: demoPassword},
		// The webhook secret's username_password convention sends no
		// client credentials, like the platforms it models.
		PasswordWithoutClient: true,
	})
	if err := d.srv.Start(); err != nil {
		return err
	}
	defer d.srv.Close()
	step("Token server listening at %s", d.srv.URL())

	if err := d.prepare(providerDir); err != nil {
		return err
	}

	// Destroy runs even after a failed apply, so a half-applied example
	// leaves nothing behind in the state it was given.
	applyErr := d.runCLI(ctx, nil, "apply", "-auto-approve", "-input=false")
	var outputs map[string]outputValue
	afterApply := d.srv.Stats()
	if applyErr == nil {
		if applyErr = d.runCLI(ctx, nil, "output"); applyErr == nil {
			outputs, applyErr = d.outputs(ctx)
		}
	}
	if applyErr == nil {
		applyErr = d.checkStateClean()
	}
	// An interrupted or timed-out run still gets its own time to clean up.
	// Without a state file nothing was created and there is nothing to do.
	var destroyErr error
	if _, err := os.Stat(filepath.Join(d.config, "terraform.tfstate")); err == nil {
		destroyCtx, cancelDestroy := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancelDestroy()
		destroyErr = d.runCLI(destroyCtx, nil, "destroy", "-auto-approve", "-input=false")
	}
	if applyErr != nil {
		return errors.Join(applyErr, destroyErr)
	}
	if destroyErr != nil {
		return destroyErr
	}
	if leaks := d.srv.Leaks(d.transcript.String()); len(leaks) > 0 {
		return fmt.Errorf("the CLI output shows secrets: %s", strings.Join(leaks, ", "))
	}
	if err := d.srv.Close(); err != nil {
		return fmt.Errorf("stopping the token server: %w", err)
	}
	return d.summary(outputs, afterApply, d.srv.Stats(), time.Since(started))
}

// checkStateClean fails when the state file holds any secret the token
// server knows: write-only attributes and ephemeral values must never reach
// it.
func (d *demo) checkStateClean() error {
	state, err := os.ReadFile(filepath.Join(d.config, "terraform.tfstate"))
	if err != nil {
		return fmt.Errorf("reading the state after apply: %w", err)
	}
	if leaks := d.srv.Leaks(string(state)); len(leaks) > 0 {
		return fmt.Errorf("the state holds secrets: %s", strings.Join(leaks, ", "))
	}
	step("State checked: no client secret, password or token in terraform.tfstate")
	return nil
}

// installProvider returns the directory that dev_overrides points at,
// building the provider into the working directory when -provider is empty.
func (d *demo) installProvider(ctx context.Context) (string, error) {
	dir := filepath.Join(d.workDir, "provider")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if d.opts.provider == "" {
		step("Building the provider")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, providerBinary), ".")
		cmd.Dir = d.root
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("go build of the provider in %s: %w", d.root, err)
		}
		return dir, nil
	}
	bin, err := filepath.Abs(d.opts.provider)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("provider binary: %w", err)
	}
	// dev_overrides looks for terraform-provider-oauth2* in a directory; a
	// binary named otherwise is linked in under that name.
	if strings.HasPrefix(filepath.Base(bin), providerBinary) {
		return filepath.Dir(bin), nil
	}
	if err := os.Symlink(bin, filepath.Join(dir, providerBinary)); err != nil {
		return "", err
	}
	return dir, nil
}

// prepare writes the CLI configuration, copies the example and builds the
// environment every CLI command runs with.
func (d *demo) prepare(providerDir string) error {
	cliConfig := filepath.Join(d.workDir, "cli.tfrc")
	var rc strings.Builder
	rc.WriteString("provider_installation {\n  dev_overrides {\n")
	for _, addr := range providerAddresses {
		fmt.Fprintf(&rc, "    %q = %q\n", addr, providerDir)
	}
	rc.WriteString("  }\n  direct {}\n}\n")
	if err := os.WriteFile(cliConfig, []byte(rc.String()), 0o600); err != nil {
		return err
	}

	d.config = filepath.Join(d.workDir, "config")
	if err := os.MkdirAll(d.config, 0o755); err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(d.opts.example, "*.tf"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no .tf files in %s", d.opts.example)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d.config, filepath.Base(f)), b, 0o644); err != nil {
			return err
		}
	}

	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locating this program for the probe: %w", err)
	}
	d.env = append(cleanEnv(os.Environ()),
		// Machines may export a TF_CLI_CONFIG_FILE that does not exist;
		// this run's own file replaces it.
		"TF_CLI_CONFIG_FILE="+cliConfig,
		// The token store of this run, not the user's own.
		"OAUTH2_TOKEN_STORE_PATH="+filepath.Join(d.workDir, "tokens.json"),
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		"TF_VAR_token_url="+d.srv.TokenURL(),
		"TF_VAR_api_base_url="+d.srv.URL(),
		"TF_VAR_client_id="+demoClientID,
		"TF_VAR_client_secret="+demoClientSecret,
		"TF_VAR_username="+demoUser,
		"TF_VAR_password="+demoPassword,
		"TF_VAR_probe_command="+shellQuote(self)+` -probe "$API_URL"`,
	)
	step("Example copied from %s to %s", d.opts.example, d.config)
	return nil
}

// cleanEnv drops inherited settings that would change what the CLI or the
// provider does, so the demo behaves the same on every machine.
func cleanEnv(env []string) []string {
	drop := []string{"TF_CLI_CONFIG_FILE", "TF_CLI_ARGS", "TF_DATA_DIR", "TF_WORKSPACE", "TF_PLUGIN_CACHE_DIR", "TF_REATTACH_PROVIDERS", "TF_IN_AUTOMATION", "CHECKPOINT_DISABLE"}
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if slices.Contains(drop, name) || strings.HasPrefix(name, "TF_VAR_") || strings.HasPrefix(name, "TF_CLI_ARGS_") || strings.HasPrefix(name, "OAUTH2_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// runCLI runs one CLI command in the example directory, streaming its
// output, or capturing stdout into capture when it is not nil.
func (d *demo) runCLI(ctx context.Context, capture *bytes.Buffer, args ...string) error {
	args = append([]string{"-chdir=" + d.config}, args...)
	if !d.color {
		args = append(args, "-no-color")
	}
	cli := filepath.Base(d.opts.cli)
	step("%s %s", cli, strings.Join(args[1:], " "))
	cmd := exec.CommandContext(ctx, d.opts.cli, args...)
	cmd.Env = d.env
	// Everything the CLI prints is also kept, to be searched for secrets.
	cmd.Stdout = io.MultiWriter(os.Stdout, &d.transcript)
	cmd.Stderr = io.MultiWriter(os.Stderr, &d.transcript)
	if capture != nil {
		cmd.Stdout = io.MultiWriter(capture, &d.transcript)
	}
	// Interrupt lets the CLI release its state lock and stop its provider
	// before it exits; WaitDelay bounds how long that may take.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Run(); err != nil {
		if capture != nil {
			_, _ = os.Stdout.Write(capture.Bytes())
		}
		return fmt.Errorf("%s %s: %w", cli, args[1], err)
	}
	return nil
}

// outputValue is one entry of `output -json`.
type outputValue struct {
	Sensitive bool            `json:"sensitive"`
	Value     json.RawMessage `json:"value"`
}

func (o outputValue) String() string {
	var s string
	if json.Unmarshal(o.Value, &s) == nil {
		return s
	}
	return string(o.Value)
}

func (d *demo) outputs(ctx context.Context) (map[string]outputValue, error) {
	var buf bytes.Buffer
	if err := d.runCLI(ctx, &buf, "output", "-json"); err != nil {
		return nil, err
	}
	var out map[string]outputValue
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("output -json: %w: %q", err, buf.String())
	}
	return out, nil
}

// summary prints what the run proved, and fails when the server's counters
// show that a step did not really happen.
func (d *demo) summary(outputs map[string]outputValue, applied, final tokenserver.Stats, took time.Duration) error {
	get := func(name string) string {
		if o, ok := outputs[name]; ok {
			return o.String()
		}
		return "(missing)"
	}
	var problems []string
	for _, name := range []string{"connection_id", "connection_token_type", "webhook_token_type", "webhook_expires_in"} {
		if o, ok := outputs[name]; !ok || o.String() == "" || o.String() == "null" {
			problems = append(problems, fmt.Sprintf("output %s is empty", name))
		}
	}
	// The ephemeral token may come from the provider's token cache, filled
	// by the connection's own request, so one request can serve both.
	if applied.Grants["client_credentials"] < 1 {
		problems = append(problems, "the connection never requested a client_credentials token")
	}
	if applied.Grants["password"] < 1 {
		problems = append(problems, "the webhook secret never requested a password token")
	}
	if applied.APICalls == 0 || applied.APIRejected > 0 {
		problems = append(problems, fmt.Sprintf("the API saw %d calls and rejected %d; the probe did not prove the ephemeral token", applied.APICalls, applied.APIRejected))
	}

	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Demo summary")
	fmt.Fprintln(w, "------------")
	fmt.Fprintf(w, "  Token server     %s (in this process, loopback only, now stopped)\n", d.srv.URL())
	fmt.Fprintf(w, "  Connection       validated: id=%s status=%s token_type=%s validated_at=%s\n",
		get("connection_id"), get("connection_status"), get("connection_token_type"), get("connection_validated_at"))
	fmt.Fprintf(w, "  Webhook secret   validated: token_type=%s expires_in=%s\n", get("webhook_token_type"), get("webhook_expires_in"))
	fmt.Fprintf(w, "  Ephemeral token  opened during apply and accepted by %s (API calls: %d, rejected: %d)\n", tokenserver.APIPath, applied.APICalls, applied.APIRejected)
	fmt.Fprintf(w, "  During apply     %d token requests (%s), %d errors\n", applied.TokenRequests, grants(applied), applied.TokenErrors)
	fmt.Fprintf(w, "  In total         %d token requests (%s), %d errors, %d API calls\n", final.TokenRequests, grants(final), final.TokenErrors, final.APICalls)
	fmt.Fprintf(w, "  Secrets          none in state or in the CLI's output\n")
	fmt.Fprintf(w, "  Destroy          done\n")
	fmt.Fprintf(w, "  Took             %s\n", took.Round(100*time.Millisecond))
	if err := w.Flush(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func grants(st tokenserver.Stats) string {
	names := make([]string, 0, len(st.Grants))
	for g := range st.Grants {
		names = append(names, g)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, g := range names {
		parts = append(parts, fmt.Sprintf("%s %d", g, st.Grants[g]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// repoRoot finds the module root by walking up from the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module "+modulePath+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("run the demo inside the %s repository", modulePath)
		}
		dir = parent
	}
}

// shellQuote quotes s for /bin/sh, which runs local-exec commands.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func step(format string, args ...any) {
	fmt.Printf("\n==> "+format+"\n", args...)
}
