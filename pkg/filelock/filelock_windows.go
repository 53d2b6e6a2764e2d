//go:build windows

package filelock

import (
	"os"

	"golang.org/x/sys/windows"
)

// The whole file: LockFileEx locks a byte range, and tufgit's lock files
// are empty, so the range is simply "everything".
const allBytes = ^uint32(0)

func lockFile(f *os.File, exclusive bool) error {
	var flags uint32
	if exclusive {
		flags = windows.LOCKFILE_EXCLUSIVE_LOCK
	}
	return windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, allBytes, allBytes, new(windows.Overlapped))
}

func unlockFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, allBytes, allBytes, new(windows.Overlapped))
}
