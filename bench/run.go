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

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
)

const (
	benchClientID     = "bench-client"
	benchClientSecret = "bench-client-secret"
)

// bench holds what every scenario shares: the token server, the working
// directory and the CLI environment.
type bench struct {
	cfg      config
	srv      *tokenserver.Server
	work     string
	rssDir   string
	oauth2   string // the real provider binary
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

	srv := tokenserver.New(tokenserver.Config{
		Clients: map[string]tokenserver.Client{benchClientID: {Secret: benchClientSecret}},
		Latency: cfg.latency,
	})
	if err := srv.Start(); err != nil {
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
	b.oauth2 = filepath.Join(b.work, "provider", "terraform-provider-oauth2")
	logf("building the provider")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", b.oauth2, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build the provider: %w", err)
	}
	if b.cfg.httpDir != "" {
		b.httpProv = filepath.Join(b.cfg.httpDir, "terraform-provider-http")
		if _, err := os.Stat(b.httpProv); err != nil {
			return fmt.Errorf("OAUTH2_BENCH_HTTP_PROVIDER_DIR: %w", err)
		}
	}

	b.rssDir = filepath.Join(b.work, "rss")
	wrapOAuth2 := filepath.Join(b.work, "wrap-oauth2")
	wrapHTTP := filepath.Join(b.work, "wrap-http")
	for _, d := range []string{b.rssDir, wrapOAuth2, wrapHTTP} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.Symlink(self, filepath.Join(wrapOAuth2, "terraform-provider-oauth2")); err != nil {
		return err
	}
	if err := os.Symlink(self, filepath.Join(wrapHTTP, "terraform-provider-http")); err != nil {
		return err
	}

	rc := filepath.Join(b.work, "cli.tfrc")
	var overrides strings.Builder
	for _, host := range []string{"registry.terraform.io", "registry.opentofu.org"} {
		fmt.Fprintf(&overrides, "    %q = %q\n", host+"/oauth2-tf/oauth2", wrapOAuth2)
		fmt.Fprintf(&overrides, "    %q = %q\n", host+"/hashicorp/http", wrapHTTP)
	}
	tfrc := "provider_installation {\n  dev_overrides {\n" + overrides.String() + "  }\n  direct {}\n}\n"
	if err := os.WriteFile(rc, []byte(tfrc), 0o600); err != nil {
		return err
	}
	b.env = append(cleanEnv(),
		"TF_CLI_CONFIG_FILE="+rc,
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		envWrapRSS+"="+b.rssDir,
	)
	return nil
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
	before := b.srv.Stats().TokenRequests
	cmd := exec.CommandContext(ctx, b.cfg.tofu, append([]string{"-chdir=" + dir}, args...)...)
	cmd.Env = append(b.env, envWrapReal+"="+binPath)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return result{}, fmt.Errorf("%s %s in %s: %w\n%s", filepath.Base(b.cfg.tofu), strings.Join(args, " "), dir, err, tail(out.String(), 40))
	}
	u := collectUsage(b.rssDir)
	return result{wall: wall, rssKiB: u.peakKiB, cpu: u.cpu, requests: b.srv.Stats().TokenRequests - before}, nil
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
