package main

import "runtime/debug"

// The provider process lives for one CLI command and its live heap stays at
// a few megabytes, so with Go's defaults the collector runs once or twice
// for every resource instance, and each cycle's fixed cost (the binary's
// globals, every goroutine's stack) was a quarter of the provider's CPU
// time. A higher GOGC spaces the cycles out; the soft memory limit keeps
// the heap of a large run from growing with it: at 500 connections the
// peak resident size stays within 10 % of the default's (bench/profile.md).
// The limit is 5 to 50 times the live heap measured, so the collector is not
// driven by it in any run measured.
const (
	gcPercent   = 400
	memoryLimit = 128 << 20
)

// tuneGC applies gcPercent and memoryLimit, each unless its environment
// variable (GOGC, GOMEMLIMIT; their values are passed in) is set: the
// user's choice wins.
func tuneGC(gogc, gomemlimit string) {
	if gogc == "" {
		debug.SetGCPercent(gcPercent)
	}
	if gomemlimit == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
