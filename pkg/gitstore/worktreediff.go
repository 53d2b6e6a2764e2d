package gitstore

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// WorkTreeChanges lists the paths at or under prefixes where the working
// tree differs from commit head (files changed, deleted or added), for a
// command that checks a commit to say that what is on disk is not what it
// checked. With the git binary it asks `git status` (quick: git's index
// caches what is unchanged); without, it hashes the working-tree files of
// head under prefixes (then added files are not seen). Nil for a bare
// repository.
func (r *Repo) WorkTreeChanges(head Hash, prefixes []string) ([]string, error) {
	if r.worktree == "" {
		return nil, nil
	}
	args := append([]string{"--git-dir=" + r.gitDir, "--work-tree=" + r.worktree, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--"}, prefixes...)
	cmd := exec.Command("git", args...)
	cmd.Env = catFileEnv(false)
	cmd.Dir = r.worktree
	out, err := cmd.Output()
	var ee *exec.ExitError
	switch {
	case err == nil:
		// git status compares with HEAD; head is what was checked.
		if cur, rerr := r.Resolve("HEAD"); rerr != nil || cur != head {
			return r.hashWorkTree(head, prefixes)
		}
		var paths []string
		for _, rec := range bytes.Split(out, []byte{0}) {
			if len(rec) > 3 {
				paths = append(paths, string(rec[3:]))
			}
		}
		return paths, nil
	case errors.As(err, &ee):
		return nil, nil // not something git status can answer here; say nothing
	}
	return r.hashWorkTree(head, prefixes)
}

// hashWorkTree compares the working-tree files of head's tree under
// prefixes with their blobs.
func (r *Repo) hashWorkTree(head Hash, prefixes []string) ([]string, error) {
	tree, err := r.TreeAt(head)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, p := range prefixes {
		err := tree.WalkDir(strings.TrimSuffix(p, "/"), func(e Entry) error {
			h, err := HashBlobFile(filepath.Join(r.worktree, filepath.FromSlash(e.Path)))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			if err != nil || h != e.Hash {
				paths = append(paths, e.Path)
			}
			return nil
		}, func(BadName) error { return nil })
		if err != nil {
			return nil, err
		}
	}
	return paths, nil
}
