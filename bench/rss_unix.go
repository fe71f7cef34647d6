//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSSKiB reads the peak resident set size of an exited process from the
// kernel's resource usage.
func maxRSSKiB(ps *os.ProcessState) (int64, bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, false
	}
	// Linux and the BSDs report ru_maxrss in KiB, macOS in bytes.
	if runtime.GOOS == "darwin" {
		return ru.Maxrss / 1024, true
	}
	return ru.Maxrss, true
}
