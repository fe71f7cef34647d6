package pluginproc

import "runtime/debug"

// The provider process lives for one CLI command and its live heap stays at
// a few megabytes, so with Go's defaults the collector runs once or twice
// for every resource instance, and each cycle's fixed cost (the binary's
// globals, every goroutine's stack) was a quarter of the provider's CPU
// time. A higher GOGC spaces the cycles out; the soft memory limit keeps
// the heap of a large run from growing with it: at 500 connections the
// peak resident size stays within 10 % of the default's. The limit is 5 to
// 50 times the live heap measured, so in no measured run does it drive the
// collector.
const (
	GCPercent   = 400
	MemoryLimit = 128 << 20
)

// TuneGC applies GCPercent and MemoryLimit, each unless its environment
// variable (GOGC, GOMEMLIMIT; their values are passed in) is set: the
// user's choice wins.
func TuneGC(gogc, gomemlimit string) {
	if gogc == "" {
		debug.SetGCPercent(GCPercent)
	}
	if gomemlimit == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
}
