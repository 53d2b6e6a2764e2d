package rusage

import (
	"os/exec"
	"runtime"
	"testing"
)

func TestCPUTimeMoves(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no getrusage on Windows: zero by design")
	}
	start := Self()
	x := 0
	for i := 0; i < 200_000_000 && Self()-start < 20e6; i++ {
		x += i
	}
	if Self() <= start {
		t.Fatalf("CPU time did not move after busy work (%d)", x)
	}
}

func TestChildMaxRSS(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no getrusage on Windows: zero by design")
	}
	cmd := exec.Command("git", "--version")
	if err := cmd.Run(); err != nil {
		t.Fatalf("git --version: %v", err)
	}
	if rss := ProcessMaxRSS(cmd.ProcessState.SysUsage()); rss < 1<<20 {
		t.Fatalf("peak RSS of git --version = %d bytes, want at least 1 MiB", rss)
	}
	if WithChildren() < Self() {
		t.Fatal("WithChildren is less than Self")
	}
}
