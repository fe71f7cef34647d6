package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/pluginproc"
)

// The CLI starts providers itself, so their peak memory cannot be read from
// outside once they exit. The bench installs itself under the provider's file
// name; started that way it runs the real provider as its child and records
// the child's peak RSS and CPU time from the kernel's resource usage when it
// exits.
//
// envWrapChildEnv holds variables, one per line, that the wrapper adds to
// the provider's environment only, not to the CLI's.
const (
	envWrapReal     = "OAUTH2_BENCH_WRAP_REAL"
	envWrapRSS      = "OAUTH2_BENCH_WRAP_RSS_DIR"
	envWrapChildEnv = "OAUTH2_BENCH_WRAP_CHILD_ENV"
)

func runWrapped(binPath string) int {
	cmd := exec.Command(binPath, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = os.Environ()
	if extra := os.Getenv(envWrapChildEnv); extra != "" {
		cmd.Env = append(cmd.Env, strings.Split(extra, "\n")...)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "bench wrapper: start %s: %v\n", binPath, err)
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	if dir := os.Getenv(envWrapRSS); dir != "" && cmd.ProcessState != nil {
		ps := cmd.ProcessState
		kib, _ := maxRSSKiB(ps)
		cpu := ps.UserTime() + ps.SystemTime()
		name := filepath.Join(dir, strconv.Itoa(ps.Pid()))
		_ = os.WriteFile(name, []byte(fmt.Sprintf("%d %d", kib, cpu.Microseconds())), 0o600)
	}
	if err != nil {
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode()
		}
		return 1
	}
	return 0
}

// usage is what the provider processes of one CLI command used.
type usage struct {
	peakKiB int64         // the largest peak RSS of any of them
	cpu     time.Duration // their user and system CPU time together
}

// collectUsage reads what the wrapper recorded in dir, and clears it.
func collectUsage(dir string) usage {
	entries, _ := os.ReadDir(dir)
	var u usage
	for _, e := range entries {
		name := filepath.Join(dir, e.Name())
		if b, err := os.ReadFile(name); err == nil {
			var kib, cpuMicros int64
			if _, err := fmt.Sscan(string(b), &kib, &cpuMicros); err == nil {
				u.peakKiB = max(u.peakKiB, kib)
				u.cpu += time.Duration(cpuMicros) * time.Microsecond
			}
		}
		_ = os.Remove(name)
	}
	return u
}

// peerSettings returns the environment that gives another plugin-framework
// provider, named provider in its address, the process settings oauth2
// gives itself in main: SDK loggers off when no TF_LOG variable is set (the
// bench sets none), and its garbage collector settings.
func peerSettings(provider string) string {
	var env []string
	for _, name := range pluginproc.LogLevelVariables(provider) {
		env = append(env, name+"=off")
	}
	env = append(env, "GOGC="+strconv.Itoa(pluginproc.GCPercent), "GOMEMLIMIT="+strconv.Itoa(pluginproc.MemoryLimit))
	return strings.Join(env, "\n")
}
