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
)

// The CLI starts providers itself, so their peak memory cannot be read from
// outside once they exit. The bench installs itself under the provider's file
// name; started that way it runs the real provider as its child and records
// the child's peak RSS from the kernel's resource usage when it exits.
const (
	envWrapReal = "OAUTH2_BENCH_WRAP_REAL"
	envWrapRSS  = "OAUTH2_BENCH_WRAP_RSS_DIR"
)

func runWrapped(binPath string) int {
	cmd := exec.Command(binPath, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = os.Environ()
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
		if kib, ok := maxRSSKiB(cmd.ProcessState); ok {
			name := filepath.Join(dir, strconv.Itoa(cmd.ProcessState.Pid()))
			_ = os.WriteFile(name, []byte(strconv.FormatInt(kib, 10)), 0o600)
		}
	}
	if err != nil {
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode()
		}
		return 1
	}
	return 0
}

// peakRSS returns the largest peak RSS, in KiB, recorded in dir, and clears it.
func peakRSS(dir string) int64 {
	entries, _ := os.ReadDir(dir)
	var peak int64
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil {
			if v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && v > peak {
				peak = v
			}
		}
		_ = os.Remove(filepath.Join(dir, e.Name()))
	}
	return peak
}
