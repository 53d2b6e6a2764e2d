package gitstore

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/tufgit/tufgit/pkg/filelock"
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
	unlock, err = filelock.Lock(p)
	if err != nil {
		return nil, fmt.Errorf("lock repository: %w", err)
	}
	return unlock, nil
}

// fileStat is what git's index records about a worktree file beyond its
// size and modification time; statOf (per OS) fills it.
type fileStat struct {
	dev, ino, uid, gid uint32
	ctime              time.Time
}
