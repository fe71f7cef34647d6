package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/pluginproc"
)

const providerBlock = `terraform {
  required_providers {
    oauth2 = { source = "oauth2-tf/oauth2" }
  }
}

provider "oauth2" {}
`

func (b *bench) connectionsHCL(n int) string {
	return providerBlock + fmt.Sprintf(`
resource "oauth2_connection" "bench" {
  count         = %d
  label         = "bench-${count.index}"
  grant_type    = "client_credentials"
  token_url     = %q
  client_id     = %q
  client_secret = %q
  scopes        = ["api"]
}
`, n, b.srv.TokenURL(), benchClientID, benchClientSecret)
}

// httpHCL is the peer: data "http" POSTing the same token request. It has
// no postcondition on status_code, though without one a refused request
// goes unnoticed (the data source does not fail on an error status): with
// OpenTofu 1.12 that postcondition makes the CLI itself spend about 50 ms of
// CPU per instance at N = 500, which measures the CLI rather than the
// provider (bench/profile.md).
func (b *bench) httpHCL(n int) string {
	basic := base64.StdEncoding.EncodeToString([]byte(benchClientID + ":" + benchClientSecret))
	return fmt.Sprintf(`terraform {
  required_providers {
    http = { source = "hashicorp/http" }
  }
}

data "http" "token" {
  count  = %d
  url    = %q
  method = "POST"
  request_headers = {
    Accept        = "application/json"
    Authorization = "Basic %s"
    Content-Type  = "application/x-www-form-urlencoded"
  }
  request_body = "grant_type=client_credentials&scope=api"
}
`, n, b.srv.TokenURL(), basic)
}

// floorHCL is connectionsHCL for the no-logic floor provider.
func (b *bench) floorHCL(n int) string {
	hcl := strings.Replace(b.connectionsHCL(n), `oauth2 = { source = "oauth2-tf/oauth2" }`, `floor = { source = "oauth2-tf/floor" }`, 1)
	hcl = strings.Replace(hcl, `provider "oauth2" {}`, `provider "floor" {}`, 1)
	return strings.Replace(hcl, `resource "oauth2_connection"`, `resource "floor_connection"`, 1)
}

// twoApplies is what one tool did in a first apply from empty state and in
// a second apply with nothing changed: medians over the runs.
type twoApplies struct{ first, rerun result }

// applyTwice runs, cfg.runs times, a first apply from empty state and then a
// second apply of the same configuration.
func (b *bench) applyTwice(ctx context.Context, name, hcl, binPath string) (twoApplies, error) {
	dir, err := b.dir(name, hcl)
	if err != nil {
		return twoApplies{}, err
	}
	p := "-parallelism=" + strconv.Itoa(b.cfg.parallelism)
	var firsts, reruns []result
	for range b.cfg.runs {
		resetState(dir)
		r, err := b.tofu(ctx, dir, binPath, "apply", "-auto-approve", "-input=false", p)
		if err != nil {
			return twoApplies{}, err
		}
		firsts = append(firsts, r)
		r, err = b.tofu(ctx, dir, binPath, "apply", "-auto-approve", "-input=false", p)
		if err != nil {
			return twoApplies{}, err
		}
		reruns = append(reruns, r)
	}
	return twoApplies{first: medianResult(firsts), rerun: medianResult(reruns)}, nil
}

// medianResult takes the median of each figure separately.
func medianResult(rs []result) result {
	var walls, cpus []time.Duration
	var rss, reqs []int64
	for _, r := range rs {
		walls, cpus = append(walls, r.wall), append(cpus, r.cpu)
		rss, reqs = append(rss, r.rssKiB), append(reqs, r.requests)
	}
	return result{wall: median(walls), cpu: median(cpus), rssKiB: medianInt(rss), requests: medianInt(reqs)}
}

// connections is scenario 1: apply N connections, then apply again with no
// change, beside the same for a provider with the same schema and no logic
// (the floor of any framework provider with this schema) and for data
// "http" POSTs of the same N token requests, and a curl loop.
func (b *bench) connections(ctx context.Context) error {
	note := fmt.Sprintf("Token endpoint latency %s, served by cmd/oauth2-token-server in its own process; "+
		"-parallelism=%d; median of %d runs. CPU is the user and system time of the provider processes "+
		"the command started, divided by N (their start-up included). floor = bench/floor, a provider whose "+
		"floor_connection has oauth2_connection's attributes and no logic. data \"http\" POSTs the same "+
		"client-credentials request, without a postcondition on its status (see bench/profile.md); a data "+
		"source is read again on every run, so its rerun makes N requests where ours makes none. %s",
		b.cfg.latency, b.cfg.parallelism, b.cfg.runs, b.peerNote())
	first := b.report.table("1. Apply of N oauth2_connection resources", note,
		"N", "oauth2", "CPU / conn", "floor", "floor CPU / inst", "data \"http\"", "http CPU / inst",
		"oauth2 / http", "CPU oauth2 / http", "token requests", "peak RSS", "curl loop")
	rerun := b.report.table("1b. Second apply of the same N, nothing changed", note,
		"N", "oauth2", "CPU / conn", "token requests", "floor", "floor CPU / inst", "data \"http\"",
		"http CPU / inst", "http requests", "oauth2 / http", "CPU oauth2 / http")
	perInstance := func(cpu time.Duration, n int) string {
		if n == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.1f ms", float64(cpu.Microseconds())/1000/float64(n))
	}
	for _, n := range b.cfg.sizes {
		logf("scenario 1: %d connections", n)
		ours, err := b.applyTwice(ctx, fmt.Sprintf("connections-%d", n), b.connectionsHCL(n), b.oauth2)
		if err != nil {
			return err
		}
		floor, err := b.applyTwice(ctx, fmt.Sprintf("floor-%d", n), b.floorHCL(n), b.floor)
		if err != nil {
			return err
		}
		skipped := "skipped: no http provider"
		httpFirst, httpRerun := []string{skipped, "", "n/a", "n/a"}, []string{skipped, "", "", "n/a", "n/a"}
		if b.httpProv != "" {
			h, err := b.applyTwice(ctx, fmt.Sprintf("http-%d", n), b.httpHCL(n), b.httpProv)
			if err != nil {
				return err
			}
			httpFirst = []string{seconds(h.first.wall), perInstance(h.first.cpu, n), ratio(ours.first.wall, h.first.wall), ratio(ours.first.cpu, h.first.cpu)}
			httpRerun = []string{seconds(h.rerun.wall), perInstance(h.rerun.cpu, n), strconv.FormatInt(h.rerun.requests, 10),
				ratio(ours.rerun.wall, h.rerun.wall), ratio(ours.rerun.cpu, h.rerun.cpu)}
		}
		curlCell := "skipped: curl not found"
		if _, err := exec.LookPath("curl"); err == nil {
			var walls []time.Duration
			for range b.cfg.runs {
				w, err := b.curlLoop(ctx, n)
				if err != nil {
					return err
				}
				walls = append(walls, w)
			}
			curlCell = seconds(median(walls))
		}
		first.row(append(append([]string{strconv.Itoa(n), seconds(ours.first.wall), perInstance(ours.first.cpu, n),
			seconds(floor.first.wall), perInstance(floor.first.cpu, n)}, httpFirst...),
			strconv.FormatInt(ours.first.requests, 10), mib(ours.first.rssKiB), curlCell)...)
		rerun.row(append([]string{strconv.Itoa(n), seconds(ours.rerun.wall), perInstance(ours.rerun.cpu, n),
			strconv.FormatInt(ours.rerun.requests, 10), seconds(floor.rerun.wall), perInstance(floor.rerun.cpu, n)}, httpRerun...)...)
	}
	return nil
}

// peerNote says which process settings the floor and http providers ran
// with.
func (b *bench) peerNote() string {
	if b.cfg.peersShipped {
		return "floor and http run as they ship: the SDK's loggers write every line down to TRACE for the CLI to discard, " +
			"and Go's garbage collector has its defaults; oauth2 turns both down itself (bench/profile.md)."
	}
	return fmt.Sprintf("floor and http run with the process settings oauth2 gives itself (SDK loggers off while no TF_LOG "+
		"variable is set, GOGC=%d, a %d MiB soft memory limit), given to them through their environment; "+
		"-peers-as-shipped runs them as they ship.", pluginproc.GCPercent, pluginproc.MemoryLimit>>20)
}

// curlLoop sends n client-credentials requests with curl at the bench's
// parallelism: the floor any tool can reach.
func (b *bench) curlLoop(ctx context.Context, n int) (time.Duration, error) {
	script := fmt.Sprintf(`seq %d | xargs -P %d -I{} curl -fsS -o /dev/null -u %s:%s -d grant_type=client_credentials -d scope=api %s`,
		n, b.cfg.parallelism, benchClientID, benchClientSecret, b.srv.TokenURL())
	cmd := exec.CommandContext(ctx, "sh", "-c", script)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("curl loop: %w\n%s", err, tail(out.String(), 10))
	}
	return time.Since(start), nil
}

func (b *bench) ephemeralHCL(m int) string {
	provider := providerBlock
	return provider + fmt.Sprintf(`
ephemeral "oauth2_access_token" "bench" {
  count         = %d
  token_url     = %q
  client_id     = %q
  client_secret = %q
  scopes        = ["api"]
}

resource "terraform_data" "use" {
  provisioner "local-exec" {
    command     = "true"
    environment = { for i, t in ephemeral.oauth2_access_token.bench : "TOKEN_${i}" => t.authorization_header }
  }
}
`, m, b.srv.TokenURL(), benchClientID, benchClientSecret)
}

// ephemeralTokens is scenario 2: M ephemeral tokens on one credential, plan
// and apply, against the same configuration with no token.
func (b *bench) ephemeralTokens(ctx context.Context) error {
	t := b.report.table("2. Plan and apply with M ephemeral tokens (one credential)",
		fmt.Sprintf("Token endpoint latency %s, median of %d runs, fresh state each run. "+
			"Token requests are counted by the server per CLI command (apply includes its own plan).", b.cfg.latency, b.cfg.runs),
		"M", "plan", "plan, no tokens", "plan / no tokens", "requests in plan", "apply", "apply, no tokens", "requests in apply")
	base, err := b.ephemeralRun(ctx, 0)
	if err != nil {
		return err
	}
	for _, m := range b.cfg.ephemeral {
		if m == 0 {
			continue
		}
		logf("scenario 2: %d ephemeral tokens", m)
		r, err := b.ephemeralRun(ctx, m)
		if err != nil {
			return err
		}
		t.row(strconv.Itoa(m), seconds(r.plan.wall), seconds(base.plan.wall), ratio(r.plan.wall, base.plan.wall),
			strconv.FormatInt(r.plan.requests, 10), seconds(r.apply.wall), seconds(base.apply.wall),
			strconv.FormatInt(r.apply.requests, 10))
	}
	return nil
}

// storedTokens is scenario 2b: with the default token store (no token_store
// block; OAUTH2_TOKEN_STORE_PATH moves it into the bench's directory), the
// first run fills the store and every later plan and apply should find a
// fresh token there and make no request at all.
func (b *bench) storedTokens(ctx context.Context) error {
	t := b.report.table("2b. Plan and apply with the default token store",
		fmt.Sprintf("One ephemeral token, no token_store block; the first plan fills the default file store, then %d "+
			"plan+apply runs follow. Token requests counted by the server; target 0 after the first run.", b.cfg.runs),
		"run", "requests in plan", "requests in apply", "plan", "apply")
	if err := os.Remove(filepath.Join(b.work, "tokens.json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dir, err := b.dir("stored", b.ephemeralHCL(1))
	if err != nil {
		return err
	}
	for i := range b.cfg.runs + 1 {
		resetState(dir)
		p, err := b.tofu(ctx, dir, b.oauth2, "plan", "-input=false")
		if err != nil {
			return err
		}
		a, err := b.tofu(ctx, dir, b.oauth2, "apply", "-auto-approve", "-input=false")
		if err != nil {
			return err
		}
		name := strconv.Itoa(i + 1)
		if i == 0 {
			name += " (empty store)"
		}
		t.row(name, strconv.FormatInt(p.requests, 10), strconv.FormatInt(a.requests, 10), seconds(p.wall), seconds(a.wall))
	}
	return nil
}

type planApply struct{ plan, apply result }

func (b *bench) ephemeralRun(ctx context.Context, m int) (planApply, error) {
	dir, err := b.dir(fmt.Sprintf("ephemeral-%d", m), b.ephemeralHCL(m))
	if err != nil {
		return planApply{}, err
	}
	var plans, applies []time.Duration
	var planReqs, applyReqs []int64
	for range b.cfg.runs {
		resetState(dir)
		p, err := b.tofu(ctx, dir, b.oauth2, "plan", "-input=false")
		if err != nil {
			return planApply{}, err
		}
		a, err := b.tofu(ctx, dir, b.oauth2, "apply", "-auto-approve", "-input=false")
		if err != nil {
			return planApply{}, err
		}
		plans, applies = append(plans, p.wall), append(applies, a.wall)
		planReqs, applyReqs = append(planReqs, p.requests), append(applyReqs, a.requests)
	}
	return planApply{
		plan:  result{wall: median(plans), requests: medianInt(planReqs)},
		apply: result{wall: median(applies), requests: medianInt(applyReqs)},
	}, nil
}

// startup is scenario 3: time from process start to a served schema, and
// binary size.
func (b *bench) startup(ctx context.Context) error {
	t := b.report.table("3. Provider start-up",
		fmt.Sprintf("`providers schema -json` with only that provider configured, median of %d runs; "+
			"the CLI alone (no provider) is the floor.", max(b.cfg.runs, 5)),
		"provider", "schema served", "minus CLI floor", "binary size")
	floorDir, err := b.dir("startup-none", "")
	if err != nil {
		return err
	}
	floor, err := b.schemaTime(ctx, floorDir, b.oauth2)
	if err != nil {
		return err
	}
	t.row("(none)", seconds(floor), "", "")
	type prov struct{ name, hcl, bin string }
	provs := []prov{{"oauth2", `terraform {
  required_providers {
    oauth2 = { source = "oauth2-tf/oauth2" }
  }
}
`, b.oauth2}}
	if b.httpProv != "" {
		provs = append(provs, prov{"http", `terraform {
  required_providers {
    http = { source = "hashicorp/http" }
  }
}
`, b.httpProv})
	}
	for _, p := range provs {
		dir, err := b.dir("startup-"+p.name, p.hcl)
		if err != nil {
			return err
		}
		d, err := b.schemaTime(ctx, dir, p.bin)
		if err != nil {
			return err
		}
		size := "?"
		if fi, err := os.Stat(p.bin); err == nil {
			size = mib(fi.Size() / 1024)
		}
		t.row(p.name, seconds(d), seconds(d-floor), size)
	}
	if b.httpProv == "" {
		t.row("http", "skipped: OAUTH2_BENCH_HTTP_PROVIDER_DIR unset", "", "")
	}
	return nil
}

func (b *bench) schemaTime(ctx context.Context, dir, binPath string) (time.Duration, error) {
	var walls []time.Duration
	for range max(b.cfg.runs, 5) {
		r, err := b.tofu(ctx, dir, binPath, "providers", "schema", "-json")
		if err != nil {
			return 0, err
		}
		walls = append(walls, r.wall)
	}
	return median(walls), nil
}

// micro is scenario 4: the oauthclient micro-benchmarks and the protocol
// benchmarks of one connection (bench/protocol_test.go).
func (b *bench) micro(ctx context.Context) error {
	for _, m := range []struct{ title, note, pkg, bench string }{
		{"4. internal/oauthclient micro-benchmarks", "`go test -run '^$' -bench . -benchmem ./internal/oauthclient/`",
			"./internal/oauthclient/", "."},
		{"5. One instance's RPCs, without the CLI",
			"`go test -run '^$' -bench Protocol -benchmem ./bench/`: the RPCs the CLI sends per instance for a first apply " +
				"(validate ×2, plan ×2, apply) and for a no-change rerun (upgrade, read, validate, plan), to oauth2_connection and " +
				"to the no-logic floor_connection. cpu-ms/op is the process's CPU time per op, garbage collection and the " +
				"in-process token endpoint included.",
			"./bench/", "Protocol"},
	} {
		logf("scenario 4: go test -bench %s %s", m.bench, m.pkg)
		cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", m.bench, "-benchmem", "-count", "1", m.pkg)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go test -bench: %w\n%s", err, tail(out.String(), 20))
		}
		var lines []string
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(line, "Benchmark") {
				lines = append(lines, line)
			}
		}
		b.report.block(m.title, m.note, strings.Join(lines, "\n"))
	}
	return nil
}
