package gitstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5/helper/mount"
	"github.com/go-git/go-billy/v5/helper/polyfill"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/transactional"
)

// OpenReceiving opens the repository at dir as a pre-receive hook sees it.
// git keeps the objects of a push in quarantine until the hook accepts it:
// GIT_OBJECT_DIRECTORY names the quarantine and GIT_ALTERNATE_OBJECT_DIRECTORIES
// the repository's own object stores. A plain open would see only loose
// quarantined objects, or none (a push of more than receive.unpackLimit
// objects stays a pack), so each extra object directory is layered over
// the repository: reads try the quarantine first, then the alternates,
// then the repository. Outside a hook it is Open.
func OpenReceiving(dir string) (*Repo, error) {
	base, err := Open(dir)
	if err != nil {
		return nil, err
	}
	q := os.Getenv("GIT_OBJECT_DIRECTORY")
	if q == "" {
		return base, nil
	}
	own, _ := filepath.Abs(filepath.Join(base.gitDir, "objects"))
	var layers []string
	for _, a := range filepath.SplitList(os.Getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES")) {
		a = strings.TrimSpace(a)
		if abs, err := filepath.Abs(a); err == nil && abs != own && a != "" {
			layers = append(layers, abs)
		}
	}
	qa, err := filepath.Abs(q)
	if err != nil {
		return nil, err
	}
	if qa != own {
		layers = append(layers, qa)
	}
	var st storage.Storer = base.r.Storer
	for _, l := range layers {
		fi, err := os.Stat(l)
		if err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("object directory %s from the hook environment: %w", l, err)
		}
		fs := polyfill.New(mount.New(memfs.New(), "objects", osfs.New(l)))
		st = transactional.NewStorage(st, filesystem.NewStorageWithOptions(fs, cache.NewObjectLRUDefault(),
			filesystem.Options{LargeObjectThreshold: largeObject}))
	}
	r, err := git.Open(st, nil)
	if err != nil {
		return nil, err
	}
	base.cat.close()
	return wrapRepo(r, base.gitDir, base.worktree, true), nil
}
