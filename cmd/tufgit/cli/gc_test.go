package cli

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestGCForFullCheck: a full check raises GOGC to 400 under a soft memory
// limit, and puts both back when it ends; a GOGC or GOMEMLIMIT in the
// environment is left to rule.
func TestGCForFullCheck(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	stop := gcForFullCheck()
	if p := debug.SetGCPercent(-1); p != 400 {
		t.Errorf("GOGC during a full check = %d, want 400", p)
	}
	debug.SetGCPercent(400)
	if l := debug.SetMemoryLimit(-1); l < 176<<20 || l == math.MaxInt64 {
		t.Errorf("memory limit during a full check = %d", l)
	}
	stop()
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GOGC after = %d, want 100 again", p)
	}
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("memory limit after = %d, want none", l)
	}

	t.Setenv("GOGC", "50")
	stop = gcForFullCheck()
	if p := debug.SetGCPercent(-1); p != 100 {
		t.Errorf("GOGC with GOGC set in the environment = %d, want it untouched", p)
	}
	debug.SetGCPercent(100)
	stop()
}
