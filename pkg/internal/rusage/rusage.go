// Package rusage reads the CPU time and peak memory that benchmarks and
// test fixtures report, on every OS tufgit builds for: getrusage(2) on Unix,
// nothing (zero) elsewhere, so that a benchmark still compiles and runs on
// Windows and simply reports no CPU figure.
package rusage

import "time"

// Self is this process's user and system CPU time so far, every thread.
func Self() time.Duration { return self() }

// WithChildren is Self plus the CPU time of this process's children that
// have exited and been waited for (git readers, fast-import).
func WithChildren() time.Duration { return self() + children() }

// ProcessMaxRSS is the peak resident set size, in bytes, of an exited
// child process whose state is ps (an *os.ProcessState's SysUsage), or 0
// where the OS does not report it.
func ProcessMaxRSS(sysUsage any) int64 { return maxRSS(sysUsage) }
