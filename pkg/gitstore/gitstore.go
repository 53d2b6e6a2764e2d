// Package gitstore is the one narrow seam between tufgit and git. It reads
// trees, blobs, commits and refs, builds new trees straight from objects
// and commits them through go-git, and reads objects through a `git
// cat-file` process when git is installed (catfile.go). Nothing else in
// tufgit imports go-git; object ids cross the seam as gitstore.Hash.
//
// The files, by concern: open.go (open, discover, init), refs.go
// (revisions, branches, refs), commits.go (reading commits and history),
// tree.go (reading and walking trees), blob.go (reading blobs), diff.go
// (what changed between two trees), write.go (building trees, writing
// blobs and commits), blobwrite.go (writing a blob from a stream), worktree.go (the working tree), lock.go
// (repository locks), config.go (git config), hash.go (object ids and
// modes), quarantine.go (a push's quarantined objects), catfile.go (the
// git reader).
package gitstore

import (
	"errors"
	"runtime"
	"sync"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Errors callers test for with errors.Is.
var (
	ErrNotExist   = errors.New("no such file in the tree")
	ErrTooLarge   = errors.New("file exceeds its size limit")
	ErrNotFile    = errors.New("not a regular file")
	ErrNoRepo     = errors.New("not a git repository")
	ErrRefMoved   = errors.New("the branch moved while this change was made")
	ErrUnknownRev = errors.New("unknown revision")
	// ErrAmbiguousRev: a short name that names more than one ref (a
	// branch and a tag of one name), which tufgit never resolves by
	// git's precedence.
	ErrAmbiguousRev  = errors.New("names more than one ref")
	ErrDirtyWorkTree = errors.New("the working tree has uncommitted changes to a file this change writes")
)

// DefaultBranch is the branch tufgit creates and commits to.
const DefaultBranch = "main"

// DefaultRef is DefaultBranch spelled out, as tufgit names it everywhere
// it resolves it: a tag or any other ref named "main" is never it.
const DefaultRef = "refs/heads/" + DefaultBranch

// Repo is an opened git repository, bare or with a working tree.
type Repo struct {
	r        *git.Repository
	gitDir   string
	worktree string // "" for a bare repository
	// cat reads objects through git when it is installed (catfile.go).
	cat *catFilePool

	// trees caches decoded tree objects; a tree never changes under its hash.
	treeMu sync.Mutex
	trees  map[Hash][]treeEntry
}

// wrapRepo wraps an opened go-git repository; receiving keeps a hook's
// quarantine in view of the git reader.
func wrapRepo(r *git.Repository, gitDir, worktree string, receiving bool) *Repo {
	if st, ok := r.Storer.(*filesystem.Storage); ok {
		// Objects over largeObject are read from their file or pack as
		// they stream (go-git otherwise inflates a whole object into
		// memory before handing out its reader).
		var wt billy.Filesystem
		if worktree != "" {
			wt = osfs.New(worktree)
		}
		if r2, err := git.Open(filesystem.NewStorageWithOptions(st.Filesystem(), cache.NewObjectLRUDefault(),
			filesystem.Options{LargeObjectThreshold: largeObject}), wt); err == nil {
			r = r2
		}
	}
	repo := &Repo{r: r, gitDir: gitDir, worktree: worktree, cat: newCatFilePool(gitDir, receiving)}
	if repo.cat != nil {
		// A Repo nobody closed stops its git processes when it is collected.
		runtime.AddCleanup(repo, func(p *catFilePool) { p.close() }, repo.cat)
	}
	return repo
}

// largeObject is the size over which go-git streams an object instead of
// reading it whole: artifacts, not metadata.
const largeObject = 1 << 20

// maxCachedTrees bounds the tree cache (a few MB for typical trees).
const maxCachedTrees = 8192
