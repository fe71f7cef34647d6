package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
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

  lifecycle {
    postcondition {
      condition     = self.status_code == 200
      error_message = "The token request failed."
    }
  }
}

output "tokens" {
  value = length([for d in data.http.token : jsondecode(d.response_body).access_token])
}
`, n, b.srv.TokenURL(), basic)
}

// connections is scenario 1: apply N connections, beside data "http" POSTs
// and a curl loop doing the same N token requests.
func (b *bench) connections(ctx context.Context) error {
	p := strconv.Itoa(b.cfg.parallelism)
	t := b.report.table("1. Apply of N oauth2_connection resources",
		fmt.Sprintf("Token endpoint latency %s, -parallelism=%s, median of %d runs. "+
			"Floor = no-op apply of the same state + N × latency / parallelism.", b.cfg.latency, p, b.cfg.runs),
		"N", "oauth2 apply", "provider CPU", "provider peak RSS", "token requests", "no-op apply", "floor", "oauth2 / floor",
		"data \"http\" apply", "http provider CPU", "oauth2 / http", "curl loop")
	for _, n := range b.cfg.sizes {
		logf("scenario 1: %d connections", n)
		dir, err := b.dir(fmt.Sprintf("connections-%d", n), b.connectionsHCL(n))
		if err != nil {
			return err
		}
		var applies, noops, cpus []time.Duration
		var rss, reqs []int64
		for range b.cfg.runs {
			resetState(dir)
			r, err := b.tofu(ctx, dir, b.oauth2, "apply", "-auto-approve", "-input=false", "-parallelism="+p)
			if err != nil {
				return err
			}
			applies, rss, reqs = append(applies, r.wall), append(rss, r.rssKiB), append(reqs, r.requests)
			cpus = append(cpus, r.cpu)
			noop, err := b.tofu(ctx, dir, b.oauth2, "apply", "-auto-approve", "-input=false", "-parallelism="+p)
			if err != nil {
				return err
			}
			noops = append(noops, noop.wall)
		}
		apply, noop := median(applies), median(noops)
		floor := noop + time.Duration(n)*b.cfg.latency/time.Duration(b.cfg.parallelism)

		httpCell, httpCPUCell, ratioCell := "skipped: OAUTH2_BENCH_HTTP_PROVIDER_DIR unset", "", "n/a"
		if b.httpProv != "" {
			hdir, err := b.dir(fmt.Sprintf("http-%d", n), b.httpHCL(n))
			if err != nil {
				return err
			}
			var walls, hcpus []time.Duration
			for range b.cfg.runs {
				resetState(hdir)
				r, err := b.tofu(ctx, hdir, b.httpProv, "apply", "-auto-approve", "-input=false", "-parallelism="+p)
				if err != nil {
					return err
				}
				walls, hcpus = append(walls, r.wall), append(hcpus, r.cpu)
			}
			h := median(walls)
			httpCell, httpCPUCell, ratioCell = seconds(h), seconds(median(hcpus)), ratio(apply, h)
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
		t.row(strconv.Itoa(n), seconds(apply), seconds(median(cpus)), mib(medianInt(rss)), strconv.FormatInt(medianInt(reqs), 10),
			seconds(noop), seconds(floor), ratio(apply, floor), httpCell, httpCPUCell, ratioCell, curlCell)
	}
	return nil
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

func (b *bench) ephemeralHCL(m int, storePath string) string {
	provider := providerBlock
	if storePath != "" {
		provider = strings.Replace(providerBlock, `provider "oauth2" {}`, fmt.Sprintf(`provider "oauth2" {
  token_store = {
    file = { path = %q }
  }
}`, storePath), 1)
	}
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

// storedTokens is scenario 2b: with the file token store, the first run
// fills the store and every later plan and apply should find a fresh token
// there and make no request at all.
func (b *bench) storedTokens(ctx context.Context) error {
	t := b.report.table("2b. Plan and apply with a token store (file backend)",
		fmt.Sprintf("One ephemeral token; the first plan fills the store, then %d plan+apply runs follow. "+
			"Token requests counted by the server; target 0 after the first run.", b.cfg.runs),
		"run", "requests in plan", "requests in apply", "plan", "apply")
	dir, err := b.dir("stored", b.ephemeralHCL(1, filepath.Join(b.work, "stored-tokens")))
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
	dir, err := b.dir(fmt.Sprintf("ephemeral-%d", m), b.ephemeralHCL(m, ""))
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

// micro is scenario 4: the oauthclient micro-benchmarks.
func (b *bench) micro(ctx context.Context) error {
	logf("scenario 4: go test -bench ./internal/oauthclient/")
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "1", "./internal/oauthclient/")
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
	b.report.block("4. internal/oauthclient micro-benchmarks", "`go test -run '^$' -bench . -benchmem ./internal/oauthclient/`", strings.Join(lines, "\n"))
	return nil
}
