// Command bench measures what the oauth2 provider costs per run, beside what
// users do without it: data "http" POSTs to the token URL and a plain curl
// loop, and beside bench/floor, a provider with oauth2_connection's schema
// and no logic, which is the floor of any plugin-framework provider with that
// schema. Every comparison is measured in the same run against
// cmd/oauth2-token-server, started in its own process on 127.0.0.1 with added
// latency; each figure is the median of -runs repetitions. Besides wall
// times it reports the providers' CPU time per instance, which a shared
// machine's load changes far less. The tables go to stdout and to -out,
// with the machine's load average at the start and the end.
//
//	go run ./bench -tofu .bin/tofu -http-provider-src ../terraform-provider-http
//
// -http-provider-src (or OAUTH2_BENCH_HTTP_PROVIDER_SRC) names a source
// checkout of hashicorp/terraform-provider-http (v3 or later), which the
// bench builds with the flags the provider here is built with
// (go build -trimpath -ldflags "-s -w"); -http-provider-dir (or
// OAUTH2_BENCH_HTTP_PROVIDER_DIR) names a directory holding one built so.
// Without either, the http columns are skipped.
//
// The floor and http providers run with the process settings the oauth2
// provider gives itself in main (internal/pluginproc: SDK loggers off while
// no TF_LOG variable is set, its garbage collector settings), set in their
// environment only, so that the columns compare the work per instance;
// -peers-as-shipped runs them as they ship.
//
// The protocol benchmarks in protocol_test.go send one instance's RPCs to
// the provider server directly, without the CLI, for profiles:
//
//	go test ./bench/ -run '^$' -bench Protocol -benchmem -cpuprofile cpu.out
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type config struct {
	tofu        string
	sizes       []int
	ephemeral   []int
	runs        int
	latency     time.Duration
	parallelism int
	httpDir     string
	httpSrc     string
	out         string
	skipMicro   bool
	// peersShipped runs the floor and http providers as they ship rather
	// than with the process settings oauth2 gives itself.
	peersShipped bool
}

func main() {
	// A provider process started by the CLI through the RSS wrapper lands
	// here first: it runs the real provider and records its peak memory.
	if binPath := os.Getenv(envWrapReal); binPath != "" {
		os.Exit(runWrapped(binPath))
	}

	var cfg config
	var sizes, eph string
	flag.StringVar(&cfg.tofu, "tofu", ".bin/tofu", "path to the Terraform-compatible CLI")
	flag.StringVar(&sizes, "sizes", "10,100,500", "numbers of oauth2_connection resources to apply")
	flag.StringVar(&eph, "ephemeral", "1,50", "numbers of ephemeral tokens per run")
	flag.IntVar(&cfg.runs, "runs", 3, "repetitions per figure (the median is reported)")
	flag.DurationVar(&cfg.latency, "latency", 50*time.Millisecond, "latency the token server adds to every token request")
	flag.IntVar(&cfg.parallelism, "parallelism", 10, "CLI -parallelism and curl loop concurrency")
	flag.StringVar(&cfg.httpDir, "http-provider-dir", os.Getenv("OAUTH2_BENCH_HTTP_PROVIDER_DIR"), "directory holding a built terraform-provider-http (v3+)")
	flag.StringVar(&cfg.httpSrc, "http-provider-src", os.Getenv("OAUTH2_BENCH_HTTP_PROVIDER_SRC"), "source checkout of hashicorp/terraform-provider-http (v3+), built like ours; wins over -http-provider-dir; with neither the http columns are skipped")
	flag.StringVar(&cfg.out, "out", "bench/results.md", "file the results table is written to")
	flag.BoolVar(&cfg.skipMicro, "skip-micro", false, "skip the go test -bench micro-benchmarks")
	flag.BoolVar(&cfg.peersShipped, "peers-as-shipped", false, "run the floor and http providers as they ship (SDK loggers at TRACE, Go's GC defaults) instead of with the process settings oauth2 gives itself")
	flag.Parse()

	var err error
	if cfg.sizes, err = parseInts(sizes); err != nil {
		fatalf("-sizes: %v", err)
	}
	if cfg.ephemeral, err = parseInts(eph); err != nil {
		fatalf("-ephemeral: %v", err)
	}
	if cfg.runs < 1 {
		fatalf("-runs must be at least 1")
	}
	if cfg.httpSrc != "" {
		if cfg.httpSrc, err = filepath.Abs(cfg.httpSrc); err != nil {
			fatalf("-http-provider-src: %v", err)
		}
	}
	if cfg.tofu, err = filepath.Abs(cfg.tofu); err != nil {
		fatalf("-tofu: %v", err)
	}
	if _, err := os.Stat(cfg.tofu); err != nil {
		fatalf("the CLI %s is missing: run `make tofu` first (%v)", cfg.tofu, err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fatalf("%v", err)
	}
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a non-negative whole number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}
