package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// report collects the results as Markdown, which reads as well on a
// terminal as in bench/results.md.
type report struct {
	b strings.Builder
}

func newReport() *report { return &report{} }

func (r *report) header(ctx context.Context, cfg config, env []string) {
	version := "unknown"
	cmd := exec.CommandContext(ctx, cfg.tofu, "version")
	cmd.Env = env
	if out, err := cmd.Output(); err == nil {
		version = strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0]
	}
	fmt.Fprintf(&r.b, "# oauth2 provider benchmarks\n\n")
	fmt.Fprintf(&r.b, "- date: %s\n- machine: %s\n- CLI: %s\n\n", time.Now().UTC().Format(time.RFC3339), machine(), version)
}

type table struct {
	r    *report
	cols int
}

func (r *report) table(title, note string, cols ...string) *table {
	fmt.Fprintf(&r.b, "\n## %s\n\n%s\n\n| %s |\n|%s\n", title, note, strings.Join(cols, " | "), strings.Repeat(" --- |", len(cols)))
	return &table{r: r, cols: len(cols)}
}

func (t *table) row(cells ...string) {
	for len(cells) < t.cols {
		cells = append(cells, "")
	}
	fmt.Fprintf(&t.r.b, "| %s |\n", strings.Join(cells, " | "))
}

func (r *report) block(title, note, body string) {
	fmt.Fprintf(&r.b, "\n## %s\n\n%s\n\n```\n%s\n```\n", title, note, body)
}

func (r *report) String() string { return r.b.String() }

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func mib(kib int64) string {
	if kib <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", float64(a)/float64(b))
}
