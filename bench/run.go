package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

const (
	benchClientID     = "bench-client"
	benchClientSecret = "bench-client-secret"
)

// bench holds what every scenario shares: the token server, the working
// directory and the CLI environment.
type bench struct {
	cfg      config
	srv      *tokenServer
	work     string
	rssDir   string
	oauth2   string // the real provider binary
	floor    string // the no-logic provider binary (bench/floorprovider)
	httpProv string // the real http provider binary, or ""
	env      []string
	report   *report
}

func run(ctx context.Context, cfg config) error {
	work, err := os.MkdirTemp("", "oauth2-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	logf("building and starting the token server")
	srv, err := startTokenServer(ctx, work, cfg.latency)
	if err != nil {
		return err
	}
	defer srv.Close()

	b := &bench{cfg: cfg, srv: srv, work: work, report: newReport()}
	if err := b.setup(ctx); err != nil {
		return err
	}

	b.report.header(ctx, cfg, b.env)
	steps := []func(context.Context) error{b.connections, b.ephemeralTokens, b.storedTokens, b.startup}
	if !cfg.skipMicro {
		steps = append(steps, b.micro)
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	b.report.note(fmt.Sprintf("Load average (1, 5, 15 min) at the end: %s. The machine may be shared: wall times "+
		"grow with its load, CPU times far less.", loadAverage()))
	out := b.report.String()
	fmt.Print(out)
	if cfg.out != "" {
		if err := os.WriteFile(cfg.out, []byte(out), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bench: wrote %s\n", cfg.out)
	}
	return nil
}

// setup builds the provider and lays out the CLI configuration that points
// both providers at the RSS wrapper.
func (b *bench) setup(ctx context.Context) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	// Every provider is built alike, as the release builds ours.
	b.oauth2 = filepath.Join(b.work, "provider", "terraform-provider-oauth2")
	logf("building the provider")
	if err := buildProvider(ctx, ".", ".", b.oauth2); err != nil {
		return fmt.Errorf("build the provider: %w", err)
	}
	b.floor = filepath.Join(b.work, "provider", "terraform-provider-floor")
	if err := buildProvider(ctx, ".", "./bench/floorprovider", b.floor); err != nil {
		return fmt.Errorf("build the floor provider: %w", err)
	}
	switch {
	case b.cfg.httpSrc != "":
		b.httpProv = filepath.Join(b.work, "provider", "terraform-provider-http")
		logf("building terraform-provider-http from %s", b.cfg.httpSrc)
		if err := buildProvider(ctx, b.cfg.httpSrc, ".", b.httpProv); err != nil {
			return fmt.Errorf("build terraform-provider-http from %s: %w", b.cfg.httpSrc, err)
		}
	case b.cfg.httpDir != "":
		b.httpProv = filepath.Join(b.cfg.httpDir, "terraform-provider-http")
		if _, err := os.Stat(b.httpProv); err != nil {
			return fmt.Errorf("OAUTH2_BENCH_HTTP_PROVIDER_DIR: %w", err)
		}
	}

	b.rssDir = filepath.Join(b.work, "rss")
	if err := os.MkdirAll(b.rssDir, 0o755); err != nil {
		return err
	}
	var overrides strings.Builder
	for _, p := range []struct{ source, name string }{
		{"oauth2-tf/oauth2", "oauth2"}, {"oauth2-tf/floor", "floor"}, {"hashicorp/http", "http"},
	} {
		wrap := filepath.Join(b.work, "wrap-"+p.name)
		if err := os.MkdirAll(wrap, 0o755); err != nil {
			return err
		}
		if err := os.Symlink(self, filepath.Join(wrap, "terraform-provider-"+p.name)); err != nil {
			return err
		}
		for _, host := range []string{"registry.terraform.io", "registry.opentofu.org"} {
			fmt.Fprintf(&overrides, "    %q = %q\n", host+"/"+p.source, wrap)
		}
	}

	rc := filepath.Join(b.work, "cli.tfrc")
	tfrc := "provider_installation {\n  dev_overrides {\n" + overrides.String() + "  }\n  direct {}\n}\n"
	if err := os.WriteFile(rc, []byte(tfrc), 0o600); err != nil {
		return err
	}
	b.env = append(cleanEnv(),
		"TF_CLI_CONFIG_FILE="+rc,
		// The default token store, in the bench's own directory: a rerun
		// reuses the tokens the first apply stored.
		"OAUTH2_TOKEN_STORE_PATH="+filepath.Join(b.work, "tokens.json"),
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		envWrapRSS+"="+b.rssDir,
	)
	return nil
}

// buildProvider builds the main package pkg of the module in dir into out,
// with the flags of a release build.
func buildProvider(ctx context.Context, dir, pkg, out string) error {
	out, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	build.Dir = dir
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	return build.Run()
}

// cleanEnv drops inherited CLI settings that would change what is measured.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TF_") || strings.HasPrefix(k, "OAUTH2_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// result is one measured CLI run.
type result struct {
	wall     time.Duration
	rssKiB   int64
	cpu      time.Duration // provider processes' CPU time
	requests int64
}

// tofu runs the CLI in dir with the wrapper pointed at binPath, and returns how
// long it took, the providers' peak RSS and the token requests it caused.
func (b *bench) tofu(ctx context.Context, dir, binPath string, args ...string) (result, error) {
	collectUsage(b.rssDir)
	before, err := b.srv.TokenRequests()
	if err != nil {
		return result{}, err
	}
	cmd := exec.CommandContext(ctx, b.cfg.tofu, append([]string{"-chdir=" + dir}, args...)...)
	cmd.Env = append(b.env, envWrapReal+"="+binPath)
	if !b.cfg.peersShipped {
		switch binPath {
		case b.floor:
			cmd.Env = append(cmd.Env, envWrapChildEnv+"="+peerSettings("floor"))
		case b.httpProv:
			cmd.Env = append(cmd.Env, envWrapChildEnv+"="+peerSettings("http"))
		}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return result{}, fmt.Errorf("%s %s in %s: %w\n%s", filepath.Base(b.cfg.tofu), strings.Join(args, " "), dir, err, tail(out.String(), 40))
	}
	u := collectUsage(b.rssDir)
	after, err := b.srv.TokenRequests()
	if err != nil {
		return result{}, err
	}
	return result{wall: wall, rssKiB: u.peakKiB, cpu: u.cpu, requests: after - before}, nil
}

func (b *bench) dir(name, hcl string) (string, error) {
	dir := filepath.Join(b.work, name)
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(hcl), 0o644)
}

func resetState(dir string) {
	for _, f := range []string{"terraform.tfstate", "terraform.tfstate.backup"} {
		_ = os.Remove(filepath.Join(dir, f))
	}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func medianInt(vs []int64) int64 {
	s := append([]int64(nil), vs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// loadAverage returns the system's 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s/%s, %d CPUs (%s), %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu, runtime.Version())
}
