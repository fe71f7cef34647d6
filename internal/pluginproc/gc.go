package pluginproc

import "runtime/debug"

// The provider process lives for one CLI command and its live heap stays at
// a few megabytes, so with Go's defaults the collector runs once or twice
// for every resource instance, and each cycle's fixed cost (the binary's
// globals, every goroutine's stack) was a quarter of the provider's CPU
// time. A higher GOGC spaces the cycles out, and the soft memory limit
// bounds what that costs in memory in a large run: at 500 connections,
// about a quarter less CPU for a peak resident size of 145 MiB instead of
// 102 MiB (GOGC=400 alone: 250 MiB). The limit is 5 to 50 times the live
// heap measured, so it does not drive the collector in any run measured.
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
