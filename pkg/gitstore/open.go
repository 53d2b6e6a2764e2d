package gitstore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// Open opens the repository at path: a working tree (with .git inside) or a
// bare repository. It does not search parent directories.
func Open(path string) (*Repo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	r, err := git.PlainOpenWithOptions(abs, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return nil, fmt.Errorf("%s: %w", path, ErrNoRepo)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	gitDir, worktree := abs, ""
	dotgit := filepath.Join(abs, ".git")
	if fi, err := os.Stat(dotgit); err == nil {
		worktree = abs
		gitDir = dotgit
		if !fi.IsDir() {
			// A linked worktree: .git is a file saying "gitdir: PATH".
			data, err := os.ReadFile(dotgit)
			if err != nil {
				return nil, err
			}
			dir, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir: ")
			if !ok {
				return nil, fmt.Errorf("%s: %w: .git file has no gitdir line", path, ErrNoRepo)
			}
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(abs, dir)
			}
			gitDir = dir
		}
	}
	return wrapRepo(r, gitDir, worktree, false), nil
}

// Discover finds the repository that start is in, as git does: start
// itself or the nearest parent directory that has a .git (a directory, or
// a file of a linked worktree), or that is a bare repository. The search
// stops at a directory listed in GIT_CEILING_DIRECTORIES, and at the
// filesystem root.
func Discover(start string) (*Repo, error) {
	abs, err := filepath.Abs(start)
	if err != nil {
		return nil, err
	}
	ceilings := map[string]bool{}
	for _, c := range filepath.SplitList(os.Getenv("GIT_CEILING_DIRECTORIES")) {
		if c != "" && filepath.IsAbs(c) {
			ceilings[filepath.Clean(c)] = true
		}
	}
	for dir := abs; ; {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return Open(dir)
		}
		if isBareDir(dir) {
			return Open(dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir || ceilings[parent] {
			break
		}
		dir = parent
	}
	return nil, fmt.Errorf("%s (or any parent directory): %w", start, ErrNoRepo)
}

// isBareDir reports whether dir looks like a bare git repository: a HEAD
// file and objects and refs directories.
func isBareDir(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "HEAD"))
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	for _, d := range []string{"objects", "refs"} {
		if fi, err := os.Stat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// Init creates a new repository with a working tree at path, whose HEAD
// points at the (still unborn) main branch.
func Init(path string) (*Repo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	r, err := git.PlainInitWithOptions(abs, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(DefaultBranch)},
	})
	if err != nil {
		return nil, fmt.Errorf("create git repository %s: %w", path, err)
	}
	return wrapRepo(r, filepath.Join(abs, ".git"), abs, false), nil
}

// InitBare creates a new bare repository at path whose HEAD points at the
// (still unborn) main branch.
func InitBare(path string) (*Repo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	r, err := git.PlainInitWithOptions(abs, &git.PlainInitOptions{
		Bare:        true,
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(DefaultBranch)},
	})
	if err != nil {
		return nil, fmt.Errorf("create bare git repository %s: %w", path, err)
	}
	return wrapRepo(r, abs, "", false), nil
}

// IsBare reports whether the repository has no working tree.
func (r *Repo) IsBare() bool { return r.worktree == "" }

// GitDir is the repository's git directory.
func (r *Repo) GitDir() string { return r.gitDir }

// WorkTree is the working tree's path, or "" for a bare repository.
func (r *Repo) WorkTree() string { return r.worktree }

// Close releases what the open repository holds (open pack files, a
// reader process). A Repo must not be used after Close. Closing is
// optional for a short-lived process.
func (r *Repo) Close() error {
	r.cat.close()
	if c, ok := r.r.Storer.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
