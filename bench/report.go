package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// report collects the results as Markdown, which reads as well on a
// terminal as in bench/results.md. Each table keeps its own rows, so a
// scenario can fill two tables at once.
type report struct {
	b        strings.Builder
	sections []*strings.Builder
}

func (r *report) section() *strings.Builder {
	s := &strings.Builder{}
	r.sections = append(r.sections, s)
	return s
}

func newReport() *report { return &report{} }

func (r *report) header(ctx context.Context, cfg config, env []string) {
	version := "unknown"
	cmd := exec.CommandContext(ctx, cfg.tofu, "version")
	cmd.Env = env
	if out, err := cmd.Output(); err == nil {
		version = strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0]
	}
	fmt.Fprintf(&r.b, "# oauth2 provider benchmarks\n\nWritten by `make bench`; bench/profile.md says where the CPU goes and what changed it.\n\n")
	fmt.Fprintf(&r.b, "- date: %s\n- machine: %s\n- CLI: %s\n- load average (1, 5, 15 min) at the start: %s\n\n",
		time.Now().UTC().Format(time.RFC3339), machine(), version, loadAverage())
}

type table struct {
	b    *strings.Builder
	cols int
}

func (r *report) table(title, note string, cols ...string) *table {
	b := r.section()
	fmt.Fprintf(b, "\n## %s\n\n%s\n\n| %s |\n|%s\n", title, note, strings.Join(cols, " | "), strings.Repeat(" --- |", len(cols)))
	return &table{b: b, cols: len(cols)}
}

func (t *table) row(cells ...string) {
	for len(cells) < t.cols {
		cells = append(cells, "")
	}
	fmt.Fprintf(t.b, "| %s |\n", strings.Join(cells, " | "))
}

func (r *report) block(title, note, body string) {
	fmt.Fprintf(r.section(), "\n## %s\n\n%s\n\n```\n%s\n```\n", title, note, body)
}

// note adds a paragraph after the sections so far.
func (r *report) note(text string) {
	fmt.Fprintf(r.section(), "\n%s\n", text)
}

func (r *report) String() string {
	var out strings.Builder
	out.WriteString(r.b.String())
	for _, s := range r.sections {
		out.WriteString(s.String())
	}
	return out.String()
}

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
