package pluginproc

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	prevPercent := debug.SetGCPercent(100)
	prevLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	})

	for _, tc := range []struct {
		name                 string
		gogc, gomemlimit     string
		wantPercent          int
		wantLimit, setBefore int64
	}{
		{"neither variable set", "", "", GCPercent, MemoryLimit, 1 << 40},
		{"GOGC set", "150", "", 100, MemoryLimit, 1 << 40},
		{"GOMEMLIMIT set", "", "1GiB", GCPercent, 1 << 40, 1 << 40},
		{"both set", "off", "512MiB", 100, 1 << 40, 1 << 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// What the runtime took from the environment, for tuneGC to
			// leave alone.
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(tc.setBefore)

			TuneGC(tc.gogc, tc.gomemlimit)

			if got := debug.SetGCPercent(100); got != tc.wantPercent {
				t.Errorf("GOGC = %d, want %d", got, tc.wantPercent)
			}
			if got := debug.SetMemoryLimit(-1); got != tc.wantLimit {
				t.Errorf("memory limit = %d, want %d", got, tc.wantLimit)
			}
		})
	}
}
