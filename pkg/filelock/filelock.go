// Package filelock takes advisory locks on files, the one place tufgit's
// per-OS locking lives: flock(2) on Unix, LockFileEx on Windows. The
// repository (pkg/gitstore) and the client's cache directory (pkg/client)
// both lock through it.
//
// An exclusive lock is for writers; a shared lock is for readers, who may
// hold it together while no writer does. Locks are advisory: they order
// tufgit processes, not other programs.
package filelock

import (
	"fmt"
	"os"
)

// Lock opens (creating if needed) the lock file at path and waits for an
// exclusive lock on it. The returned function releases the lock and closes
// the file.
func Lock(path string) (unlock func(), err error) { return lock(path, true) }

// RLock is Lock for a reader: it waits only while a writer holds the lock.
func RLock(path string) (unlock func(), err error) { return lock(path, false) }

func lock(path string, exclusive bool) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := lockFile(f, exclusive); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		_ = unlockFile(f)
		f.Close()
	}, nil
}
