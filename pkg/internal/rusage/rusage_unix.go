//go:build unix

package rusage

import (
	"runtime"
	"syscall"
	"time"
)

func get(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func self() time.Duration     { return get(syscall.RUSAGE_SELF) }
func children() time.Duration { return get(syscall.RUSAGE_CHILDREN) }

func maxRSS(sysUsage any) int64 {
	ru, ok := sysUsage.(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return int64(ru.Maxrss) // bytes there
	}
	return int64(ru.Maxrss) << 10 // KiB elsewhere
}
