package gitstore

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockNamed is Lock with its own lock file, for work that must not run
// twice at once but may run beside other tufgit changes (publishing).
func (r *Repo) LockNamed(name string) (unlock func(), err error) {
	return r.lockFile(filepath.Join(r.gitDir, name+".lock"))
}

// Lock takes an exclusive lock on the repository for tufgit's
// read-modify-commit cycle, waiting for another tufgit to finish.
func (r *Repo) Lock() (unlock func(), err error) {
	return r.lockFile(filepath.Join(r.gitDir, "tufgit.lock"))
}

func (r *Repo) lockFile(p string) (unlock func(), err error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock repository: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock repository: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
