// Package gitstore is the one narrow seam between tufgit and git. It reads
// trees, blobs, commits and refs, builds new trees straight from objects
// and commits them, all through go-git. Nothing else in tufgit imports
// go-git, so performance work (caching, shelling out to git) goes here.
package gitstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Errors callers test for with errors.Is.
var (
	ErrNotExist      = errors.New("no such file in the tree")
	ErrTooLarge      = errors.New("file exceeds its size limit")
	ErrNotFile       = errors.New("not a regular file")
	ErrNoRepo        = errors.New("not a git repository")
	ErrRefMoved      = errors.New("the branch moved while this change was made")
	ErrUnknownRev    = errors.New("unknown revision")
	ErrDirtyWorkTree = errors.New("the working tree has uncommitted changes to a file this change writes")
)

// DefaultBranch is the branch tufgit creates and commits to.
const DefaultBranch = "main"

// Repo is an opened git repository, bare or with a working tree.
type Repo struct {
	r        *git.Repository
	gitDir   string
	worktree string // "" for a bare repository

	// trees caches decoded tree objects; a tree never changes under its hash.
	treeMu sync.Mutex
	trees  map[Hash][]treeEntry
}

// maxCachedTrees bounds the tree cache (a few MB for typical trees).
const maxCachedTrees = 8192

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
	repo := &Repo{r: r, gitDir: abs}
	dotgit := filepath.Join(abs, ".git")
	if fi, err := os.Stat(dotgit); err == nil {
		repo.worktree = abs
		repo.gitDir = dotgit
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
			repo.gitDir = dir
		}
	}
	return repo, nil
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
	return &Repo{r: r, gitDir: filepath.Join(abs, ".git"), worktree: abs}, nil
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
	return &Repo{r: r, gitDir: abs}, nil
}

// IsBare reports whether the repository has no working tree.
func (r *Repo) IsBare() bool { return r.worktree == "" }

// GitDir is the repository's git directory.
func (r *Repo) GitDir() string { return r.gitDir }

// WorkTree is the working tree's path, or "" for a bare repository.
func (r *Repo) WorkTree() string { return r.worktree }

// Resolve turns a revision (a branch, tag, HEAD or a hex hash) into a
// commit hash.
func (r *Repo) Resolve(rev string) (Hash, error) {
	h, err := r.r.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return ZeroHash, fmt.Errorf("%q: %w", rev, ErrUnknownRev)
	}
	if _, err := r.r.CommitObject(*h); err != nil {
		return ZeroHash, fmt.Errorf("%q is not a commit: %w", rev, ErrUnknownRev)
	}
	return Hash(*h), nil
}

// Branch returns the commit a branch points at, or ZeroHash when the branch
// does not exist yet.
func (r *Repo) Branch(name string) (Hash, error) {
	ref, err := r.r.Reference(plumbing.NewBranchReferenceName(name), true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return ZeroHash, nil
	}
	if err != nil {
		return ZeroHash, err
	}
	return Hash(ref.Hash()), nil
}

// HeadBranch is the short name of the branch HEAD points at.
func (r *Repo) HeadBranch() (string, error) {
	ref, err := r.r.Reference(plumbing.HEAD, false)
	if err != nil {
		return "", err
	}
	if ref.Type() != plumbing.SymbolicReference || !ref.Target().IsBranch() {
		return "", errors.New("HEAD is detached: check out a branch first")
	}
	return ref.Target().Short(), nil
}

// CommitInfo is what tufgit reads from a commit.
type CommitInfo struct {
	Hash    Hash
	Tree    Hash
	Parents []Hash
	Message string
	Author  string
	When    time.Time // author time
	// Committed is the committer time: when the commit was made (or last
	// rewritten), as the committer's clock claimed.
	Committed time.Time
}

// Commit reads a commit.
func (r *Repo) Commit(h Hash) (*CommitInfo, error) {
	c, err := r.r.CommitObject(plumbing.Hash(h))
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", h, err)
	}
	return &CommitInfo{Hash: h, Tree: Hash(c.TreeHash), Parents: hashes(c.ParentHashes), Message: c.Message,
		Author: c.Author.Name + " <" + c.Author.Email + ">", When: c.Author.When, Committed: c.Committer.When}, nil
}

// FindRemoval walks first parents back from head, at most max commits, for
// the commit that removed path (a file or directory): the first one whose
// tree lacks it while its first parent's has it. It returns that commit
// and its first parent's tree, or nil when path was not removed within
// those commits (it never existed there, or it exists at head).
func (r *Repo) FindRemoval(head Hash, path string, max int) (*CommitInfo, *Tree, error) {
	return r.findFlip(head, path, max, false)
}

// FindAddition is FindRemoval for the commit that added path, which exists
// at head.
func (r *Repo) FindAddition(head Hash, path string, max int) (*CommitInfo, *Tree, error) {
	return r.findFlip(head, path, max, true)
}

// findFlip finds the newest first-parent commit where path's existence
// became what it is at head (want), within max commits.
func (r *Repo) findFlip(head Hash, path string, max int, want bool) (*CommitInfo, *Tree, error) {
	if head == ZeroHash {
		return nil, nil, nil
	}
	t, err := r.TreeAt(head)
	if err != nil {
		return nil, nil, err
	}
	if ok, err := t.Exists(path); err != nil || ok != want {
		return nil, nil, err
	}
	c := head
	for i := 0; i < max; i++ {
		info, err := r.Commit(c)
		if err != nil {
			return nil, nil, err
		}
		if len(info.Parents) == 0 {
			if want {
				return info, r.EmptyTree(), nil
			}
			return nil, nil, nil
		}
		pt, err := r.TreeAt(info.Parents[0])
		if err != nil {
			return nil, nil, err
		}
		ok, err := pt.Exists(path)
		if err != nil {
			return nil, nil, err
		}
		if ok != want {
			return info, pt, nil
		}
		c = info.Parents[0]
	}
	return nil, nil, nil
}

// IsAncestor reports whether a is an ancestor of (or equal to) b.
func (r *Repo) IsAncestor(a, b Hash) (bool, error) {
	if a == b {
		return true, nil
	}
	ca, err := r.r.CommitObject(plumbing.Hash(a))
	if err != nil {
		return false, err
	}
	cb, err := r.r.CommitObject(plumbing.Hash(b))
	if err != nil {
		return false, err
	}
	return ca.IsAncestor(cb)
}

// Tree is a git tree, read lazily object by object.
type Tree struct {
	repo *Repo
	Hash Hash
}

// TreeAt returns the tree of a commit.
func (r *Repo) TreeAt(commit Hash) (*Tree, error) {
	c, err := r.r.CommitObject(plumbing.Hash(commit))
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", commit, err)
	}
	return &Tree{repo: r, Hash: Hash(c.TreeHash)}, nil
}

// EmptyTree is a tree with nothing in it.
func (r *Repo) EmptyTree() *Tree { return &Tree{repo: r, Hash: ZeroHash} }

// Entry is one entry of a tree.
type Entry struct {
	Path string
	Mode FileMode
	Hash Hash
}

// IsRegular reports whether the entry is a plain, non-executable file.
func (e Entry) IsRegular() bool { return e.Mode == ModeRegular }

// ModeProblem says in words why an entry is not a plain file, or "".
func (e Entry) ModeProblem() string {
	switch e.Mode {
	case ModeRegular:
		return ""
	case ModeSymlink:
		return "is a symbolic link; only regular files are allowed"
	case ModeSubmodule:
		return "is a submodule; only regular files are allowed"
	case ModeExecutable:
		return "is executable; only regular (mode 100644) files are allowed"
	}
	return fmt.Sprintf("has file mode %s; only regular files are allowed", e.Mode)
}

func (r *Repo) readTree(h Hash) ([]treeEntry, error) {
	if h == ZeroHash {
		return nil, nil
	}
	r.treeMu.Lock()
	if e, ok := r.trees[h]; ok {
		r.treeMu.Unlock()
		return e, nil
	}
	r.treeMu.Unlock()
	o, err := r.r.Storer.EncodedObject(plumbing.TreeObject, plumbing.Hash(h))
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	data, err := io.ReadAll(rd)
	rd.Close()
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	entries, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	r.treeMu.Lock()
	if r.trees == nil || len(r.trees) >= maxCachedTrees {
		r.trees = map[Hash][]treeEntry{}
	}
	r.trees[h] = entries
	r.treeMu.Unlock()
	return entries, nil
}

// ErrBadTree is returned for a tree object that git itself would not
// write: an entry name twice (git fsck's duplicateEntries: git show
// prints the first, a map-based reader would take the last), entries out
// of git's order, a zero-padded or unknown mode, or bytes that do not
// parse. tufgit refuses such a tree so that what it checks is exactly
// what git shows.
var ErrBadTree = errors.New("malformed tree object")

// canonicalModes are the mode strings git writes, exactly. go-git would
// read "100664" as a regular file and "040000" as a directory; tufgit
// keeps the raw mode so that verification refuses them.
var canonicalModes = map[string]FileMode{
	"100644": ModeRegular,
	"100755": ModeExecutable,
	"120000": ModeSymlink,
	"160000": ModeSubmodule,
	"40000":  ModeDir,
}

// parseTree decodes a raw tree object strictly. Modes are kept as
// written: any mode other than git's canonical ones ("100644", "100755",
// "120000", "160000", "40000") is an error, so that a "100664" file can
// not pass for "100644".
func parseTree(data []byte) ([]treeEntry, error) {
	var out []treeEntry
	seen := map[string]bool{}
	var prev treeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp < 0 {
			return nil, fmt.Errorf("%w: an entry has no mode terminator", ErrBadTree)
		}
		modeStr := string(data[:sp])
		data = data[sp+1:]
		nul := bytes.IndexByte(data, 0)
		if nul < 0 {
			return nil, fmt.Errorf("%w: an entry has no name terminator", ErrBadTree)
		}
		name := string(data[:nul])
		data = data[nul+1:]
		if len(data) < 20 {
			return nil, fmt.Errorf("%w: entry %q has a truncated object id", ErrBadTree, printable(name))
		}
		var hash Hash
		copy(hash[:], data[:20])
		data = data[20:]
		if name == "" {
			return nil, fmt.Errorf("%w: an entry has an empty name", ErrBadTree)
		}
		mode, ok := canonicalModes[modeStr]
		if !ok {
			return nil, fmt.Errorf("%w: entry %q has mode %q; only 100644 files and 40000 directories are allowed", ErrBadTree, printable(name), printable(modeStr))
		}
		e := treeEntry{Name: name, Mode: mode, Hash: hash}
		if seen[name] {
			return nil, fmt.Errorf("%w: entry %q appears twice (git fsck: duplicateEntries); git shows the first, so tufgit refuses the tree", ErrBadTree, printable(name))
		}
		seen[name] = true
		if len(out) > 0 && !gitLess(prev, e) {
			return nil, fmt.Errorf("%w: entry %q is out of git's order (git fsck: treeNotSorted)", ErrBadTree, printable(name))
		}
		out = append(out, e)
		prev = e
	}
	return out, nil
}

// inDir names the directory of a tree that failed to read.
func inDir(prefix string, err error) error {
	if prefix == "" {
		return fmt.Errorf("top level of the tree: %w", err)
	}
	return fmt.Errorf("%s: %w", strings.TrimSuffix(prefix, "/"), err)
}

func printable(s string) string {
	q := fmt.Sprintf("%q", s)
	return q[1 : len(q)-1]
}

// Lookup finds the entry at path without reading any blob.
func (t *Tree) Lookup(p string) (Entry, error) {
	parts := strings.Split(p, "/")
	for _, part := range parts {
		if !validName(part) {
			return Entry{}, fmt.Errorf("%q: %w", p, ErrNotExist)
		}
	}
	h := t.Hash
	for i, name := range parts {
		entries, err := t.repo.readTree(h)
		if err != nil {
			return Entry{}, err
		}
		found := false
		for _, e := range entries {
			if e.Name == name {
				if i == len(parts)-1 {
					return Entry{Path: p, Mode: e.Mode, Hash: e.Hash}, nil
				}
				if e.Mode != ModeDir {
					return Entry{}, fmt.Errorf("%s: %w", p, ErrNotExist)
				}
				h, found = e.Hash, true
				break
			}
		}
		if !found {
			return Entry{}, fmt.Errorf("%s: %w", p, ErrNotExist)
		}
	}
	return Entry{}, fmt.Errorf("%s: %w", p, ErrNotExist)
}

// Exists reports whether a regular file or directory exists at path.
func (t *Tree) Exists(p string) (bool, error) {
	_, err := t.Lookup(p)
	if errors.Is(err, ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// ReadFile reads the regular file at path, refusing one larger than max
// bytes before reading it.
func (t *Tree) ReadFile(p string, max int64) ([]byte, error) {
	e, err := t.Lookup(p)
	if err != nil {
		return nil, err
	}
	if e.Mode != ModeRegular {
		return nil, fmt.Errorf("%s: %w (mode %s)", p, ErrNotFile, e.Mode)
	}
	return t.repo.ReadBlob(e.Hash, max, p)
}

// BlobSize returns the size of a blob without reading its content when
// the storage can tell.
func (r *Repo) BlobSize(h Hash) (int64, error) {
	if s, ok := r.r.Storer.(interface {
		EncodedObjectSize(plumbing.Hash) (int64, error)
	}); ok {
		if n, err := s.EncodedObjectSize(plumbing.Hash(h)); err == nil {
			return n, nil
		}
	}
	o, err := r.r.Storer.EncodedObject(plumbing.BlobObject, plumbing.Hash(h))
	if err != nil {
		return 0, err
	}
	return o.Size(), nil
}

// ReadBlob reads a blob of at most max bytes; name is used in errors.
func (r *Repo) ReadBlob(h Hash, max int64, name string) ([]byte, error) {
	size, err := r.BlobSize(h)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if size > max {
		return nil, fmt.Errorf("%s: %w (%d bytes, limit %d)", name, ErrTooLarge, size, max)
	}
	o, err := r.r.Storer.EncodedObject(plumbing.BlobObject, plumbing.Hash(h))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer rd.Close()
	data, err := io.ReadAll(io.LimitReader(rd, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: %w", name, ErrTooLarge)
	}
	return data, nil
}

// OpenBlob streams a blob.
func (r *Repo) OpenBlob(h Hash) (io.ReadCloser, int64, error) {
	o, err := r.r.Storer.EncodedObject(plumbing.BlobObject, plumbing.Hash(h))
	if err != nil {
		return nil, 0, err
	}
	rd, err := o.Reader()
	return rd, o.Size(), err
}

// BadName describes a tree entry whose name is unsafe, like "..", a name
// with a slash or a control character. Such entries can only come from a
// crafted tree object, never from git add.
type BadName struct {
	Dir  string
	Name string
}

// Walk calls fn for every non-directory entry in the tree, depth first in
// tree order, with raw entry names. An unsafe name goes to bad and is not
// descended into.
func (t *Tree) Walk(fn func(Entry) error, bad func(BadName) error) error {
	return t.walk(t.Hash, "", fn, bad)
}

// WalkDir is Walk limited to the subtree at dir; a missing dir walks nothing.
func (t *Tree) WalkDir(dir string, fn func(Entry) error, bad func(BadName) error) error {
	e, err := t.Lookup(dir)
	if errors.Is(err, ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if e.Mode != ModeDir {
		return fn(e)
	}
	return t.walk(e.Hash, dir+"/", fn, bad)
}

func (t *Tree) walk(h Hash, prefix string, fn func(Entry) error, bad func(BadName) error) error {
	entries, err := t.repo.readTree(h)
	if err != nil {
		return inDir(prefix, err)
	}
	for _, e := range entries {
		if !validName(e.Name) {
			if err := bad(BadName{Dir: strings.TrimSuffix(prefix, "/"), Name: e.Name}); err != nil {
				return err
			}
			continue
		}
		p := prefix + e.Name
		if e.Mode == ModeDir {
			if err := t.walk(e.Hash, p+"/", fn, bad); err != nil {
				return err
			}
			continue
		}
		if err := fn(Entry{Path: p, Mode: e.Mode, Hash: e.Hash}); err != nil {
			return err
		}
	}
	return nil
}

func validName(name string) bool {
	if name == "" || name == "." || name == ".." || name == ".git" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c == 0x7f || c == '/' || c == '\\' {
			return false
		}
	}
	return true
}

// ChangeAction says how a path changed between two trees.
type ChangeAction int

const (
	Added ChangeAction = iota + 1
	Modified
	Deleted
)

func (a ChangeAction) String() string {
	switch a {
	case Added:
		return "added"
	case Modified:
		return "modified"
	case Deleted:
		return "deleted"
	}
	return "?"
}

// Change is one changed non-directory path between two trees.
type Change struct {
	Path   string
	Action ChangeAction
	Old    Entry // zero for Added
	New    Entry // zero for Deleted
}

// Diff lists what changed from old to new. Subtrees with equal hashes are
// skipped without being read, so the cost grows with the change, not with
// the repository. Unsafe names in new subtrees go to bad.
func Diff(old, new *Tree, bad func(BadName) error) ([]Change, error) {
	var out []Change
	err := diff(old.repo, old.Hash, new.Hash, "", &out, bad)
	return out, err
}

func diff(r *Repo, a, b Hash, prefix string, out *[]Change, bad func(BadName) error) error {
	if a == b {
		return nil
	}
	ea, err := r.readTree(a)
	if err != nil {
		return inDir(prefix, err)
	}
	eb, err := r.readTree(b)
	if err != nil {
		return inDir(prefix, err)
	}
	ma := make(map[string]treeEntry, len(ea))
	for _, e := range ea {
		ma[e.Name] = e
	}
	mb := make(map[string]treeEntry, len(eb))
	for _, e := range eb {
		if !validName(e.Name) {
			if err := bad(BadName{Dir: strings.TrimSuffix(prefix, "/"), Name: e.Name}); err != nil {
				return err
			}
			continue
		}
		mb[e.Name] = e
	}
	names := make([]string, 0, len(ma)+len(mb))
	for n := range ma {
		names = append(names, n)
	}
	for n := range mb {
		if _, ok := ma[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		x, inA := ma[n]
		y, inB := mb[n]
		p := prefix + n
		xDir := inA && x.Mode == ModeDir
		yDir := inB && y.Mode == ModeDir
		switch {
		case inA && inB && x.Hash == y.Hash && x.Mode == y.Mode:
			continue
		case xDir && yDir:
			if err := diff(r, x.Hash, y.Hash, p+"/", out, bad); err != nil {
				return err
			}
			continue
		}
		// A file replaced by a directory or the other way round is a
		// delete of one and an add of the other.
		if inA {
			if xDir {
				if err := diff(r, x.Hash, ZeroHash, p+"/", out, bad); err != nil {
					return err
				}
			} else if !inB || yDir {
				*out = append(*out, Change{Path: p, Action: Deleted, Old: Entry{p, x.Mode, x.Hash}})
			}
		}
		if inB {
			if yDir {
				if err := diff(r, ZeroHash, y.Hash, p+"/", out, bad); err != nil {
					return err
				}
			} else if inA && !xDir {
				*out = append(*out, Change{Path: p, Action: Modified, Old: Entry{p, x.Mode, x.Hash}, New: Entry{p, y.Mode, y.Hash}})
			} else {
				*out = append(*out, Change{Path: p, Action: Added, New: Entry{p, y.Mode, y.Hash}})
			}
		}
	}
	return nil
}

// FileChange is one file to write (Data non-nil) or delete (Data nil).
type FileChange struct {
	Path string
	Data []byte
}

// BuildTree writes a new tree that is base with changes applied. Only the
// trees on the changed paths are rewritten. Directories left empty vanish.
func (r *Repo) BuildTree(base *Tree, changes []FileChange) (Hash, error) {
	for _, c := range changes {
		for _, part := range strings.Split(c.Path, "/") {
			if !validName(part) {
				return ZeroHash, fmt.Errorf("refusing to write unsafe path %q", c.Path)
			}
		}
	}
	baseHash := ZeroHash
	if base != nil {
		baseHash = base.Hash
	}
	h, empty, err := r.buildTree(baseHash, changes)
	if err != nil || !empty {
		return h, err
	}
	// Nothing left: git's empty tree, written so the commit is valid.
	o := r.r.Storer.NewEncodedObject()
	if err := (&object.Tree{}).Encode(o); err != nil {
		return ZeroHash, err
	}
	return r.storeObject(o)
}

func (r *Repo) buildTree(base Hash, changes []FileChange) (Hash, bool, error) {
	entries, err := r.readTree(base)
	if err != nil {
		return ZeroHash, false, err
	}
	m := make(map[string]treeEntry, len(entries))
	for _, e := range entries {
		m[e.Name] = e
	}
	sub := map[string][]FileChange{}
	for _, c := range changes {
		first, rest, isDir := strings.Cut(c.Path, "/")
		if isDir {
			sub[first] = append(sub[first], FileChange{Path: rest, Data: c.Data})
			continue
		}
		if c.Data == nil {
			delete(m, first)
			continue
		}
		h, err := r.writeBlob(c.Data)
		if err != nil {
			return ZeroHash, false, err
		}
		m[first] = treeEntry{Name: first, Mode: ModeRegular, Hash: h}
	}
	for name, cs := range sub {
		old := ZeroHash
		e, exists := m[name]
		isDir := exists && e.Mode == ModeDir
		if isDir {
			old = e.Hash
		}
		h, empty, err := r.buildTree(old, cs)
		if err != nil {
			return ZeroHash, false, err
		}
		if empty {
			// Only a directory can be emptied: deleting a missing path
			// under a file leaves the file alone.
			if isDir {
				delete(m, name)
			}
		} else {
			m[name] = treeEntry{Name: name, Mode: ModeDir, Hash: h}
		}
	}
	if len(m) == 0 {
		return ZeroHash, true, nil
	}
	out := make([]treeEntry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return gitLess(out[i], out[j]) })
	t := goGitTree(out)
	o := r.r.Storer.NewEncodedObject()
	if err := t.Encode(o); err != nil {
		return ZeroHash, false, err
	}
	h, err := r.storeObject(o)
	return h, false, err
}

// goGitTree is entries as a go-git tree, to encode; the order is kept.
func goGitTree(entries []treeEntry) *object.Tree {
	t := &object.Tree{Entries: make([]object.TreeEntry, len(entries))}
	for i, e := range entries {
		t.Entries[i] = object.TreeEntry{Name: e.Name, Mode: filemode.FileMode(e.Mode), Hash: plumbing.Hash(e.Hash)}
	}
	return t
}

// gitLess is git's tree order: directories compare as if named "name/".
func gitLess(a, b treeEntry) bool {
	an, bn := a.Name, b.Name
	if a.Mode == ModeDir {
		an += "/"
	}
	if b.Mode == ModeDir {
		bn += "/"
	}
	return an < bn
}

func (r *Repo) writeBlob(data []byte) (Hash, error) {
	o := r.r.Storer.NewEncodedObject()
	o.SetType(plumbing.BlobObject)
	o.SetSize(int64(len(data)))
	w, err := o.Writer()
	if err != nil {
		return ZeroHash, err
	}
	if _, err := w.Write(data); err != nil {
		return ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return ZeroHash, err
	}
	return r.storeObject(o)
}

// storeObject writes an encoded object to the object database.
func (r *Repo) storeObject(o plumbing.EncodedObject) (Hash, error) {
	h, err := r.r.Storer.SetEncodedObject(o)
	return Hash(h), err
}

// HashBlob is the git blob hash of data, without storing it.
func HashBlob(data []byte) Hash {
	return Hash(plumbing.ComputeHash(plumbing.BlobObject, data))
}

// Signature names a commit's author.
type Signature struct {
	Name  string
	Email string
}

func (s Signature) String() string { return s.Name + " <" + s.Email + ">" }

// Author finds who is committing: GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL when
// set, else user.name and user.email from git's local, global and system
// config, as git itself does.
func (r *Repo) Author() (Signature, error) {
	s := Signature{Name: os.Getenv("GIT_AUTHOR_NAME"), Email: os.Getenv("GIT_AUTHOR_EMAIL")}
	if s.Name == "" || s.Email == "" {
		for _, scope := range []config.Scope{config.LocalScope, config.GlobalScope, config.SystemScope} {
			cfg, err := r.r.ConfigScoped(scope)
			if err != nil {
				continue
			}
			if s.Name == "" {
				s.Name = cfg.User.Name
			}
			if s.Email == "" {
				s.Email = cfg.User.Email
			}
		}
	}
	if s.Name == "" || s.Email == "" {
		return s, errors.New("git does not know who you are: set user.name and user.email (git config --global user.name \"Your Name\")")
	}
	return s, nil
}

// CommitOptions describes a commit to create.
type CommitOptions struct {
	Branch  string // branch to move; DefaultBranch when empty
	Parent  Hash   // expected current branch value; ZeroHash for a new branch
	Tree    Hash
	Message string
	Author  Signature
	When    time.Time
	// Detached writes the commit object without moving any branch.
	Detached bool
}

// CommitTree writes a commit of tree on top of Parent and moves the branch
// to it, only if the branch still points at Parent (compare and swap).
func (r *Repo) CommitTree(o CommitOptions) (Hash, error) {
	if o.Branch == "" {
		o.Branch = DefaultBranch
	}
	if o.When.IsZero() {
		o.When = time.Now()
	}
	sig := object.Signature{Name: o.Author.Name, Email: o.Author.Email, When: o.When}
	c := &object.Commit{Author: sig, Committer: sig, Message: o.Message, TreeHash: plumbing.Hash(o.Tree)}
	if o.Parent != ZeroHash {
		c.ParentHashes = []plumbing.Hash{plumbing.Hash(o.Parent)}
	}
	obj := r.r.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return ZeroHash, err
	}
	h, err := r.storeObject(obj)
	if err != nil || o.Detached {
		return h, err
	}
	name := plumbing.NewBranchReferenceName(o.Branch)
	var old *plumbing.Reference
	if o.Parent != ZeroHash {
		old = plumbing.NewHashReference(name, plumbing.Hash(o.Parent))
	}
	// Compare first ourselves: go-git's refused swap on a packed ref leaves
	// an empty loose ref file behind, which git then calls broken. The
	// swap below still guards the race against another writer.
	if cur, err := r.Branch(o.Branch); err != nil {
		return ZeroHash, err
	} else if cur != o.Parent {
		return ZeroHash, fmt.Errorf("branch %s: %w", o.Branch, ErrRefMoved)
	}
	if err := r.r.Storer.(storer.ReferenceStorer).CheckAndSetReference(plumbing.NewHashReference(name, plumbing.Hash(h)), old); err != nil {
		return ZeroHash, fmt.Errorf("branch %s: %w (%v)", o.Branch, ErrRefMoved, err)
	}
	return h, nil
}

// SetBranch moves a branch from old to new, only if it still points at old
// (ZeroHash: only if it does not exist yet).
func (r *Repo) SetBranch(branch string, new, old Hash) error {
	return r.SetRef(plumbing.NewBranchReferenceName(branch).String(), new, old)
}

// SetRef moves any ref (a full name like refs/tufgit/published) from old
// to new, only if it still points at old (ZeroHash: does not exist yet).
func (r *Repo) SetRef(name string, new, old Hash) error {
	if cur, err := r.ResolveRef(name); err != nil {
		return err
	} else if cur != old {
		return fmt.Errorf("%s: %w", name, ErrRefMoved)
	}
	rn := plumbing.ReferenceName(name)
	var oldRef *plumbing.Reference
	if old != ZeroHash {
		oldRef = plumbing.NewHashReference(rn, plumbing.Hash(old))
	}
	if err := r.r.Storer.(storer.ReferenceStorer).CheckAndSetReference(plumbing.NewHashReference(rn, plumbing.Hash(new)), oldRef); err != nil {
		return fmt.Errorf("%s: %w (%v)", name, ErrRefMoved, err)
	}
	return nil
}

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

// CheckWorkTree refuses when a working-tree file that changes would write
// differs from the version in base (an uncommitted local edit that the
// change would overwrite or lose).
func (r *Repo) CheckWorkTree(base *Tree, changes []FileChange) error {
	if r.worktree == "" {
		return nil
	}
	for _, c := range changes {
		local, err := os.ReadFile(filepath.Join(r.worktree, filepath.FromSlash(c.Path)))
		localExists := err == nil
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: %w", c.Path, err)
		}
		e, lerr := base.Lookup(c.Path)
		inBase := lerr == nil
		if lerr != nil && !errors.Is(lerr, ErrNotExist) {
			return lerr
		}
		switch {
		case !inBase && !localExists:
		case inBase && localExists && HashBlob(local) == e.Hash:
		case !inBase && localExists && c.Data != nil && bytes.Equal(local, c.Data):
		default:
			return fmt.Errorf("%s: %w", c.Path, ErrDirtyWorkTree)
		}
	}
	return nil
}

// WriteWorkTree writes changes into the working tree (each file to a
// temporary name, then renamed into place) and, when stage is set, records
// them in git's index so that the tree reads as clean after a commit.
func (r *Repo) WriteWorkTree(changes []FileChange, stage bool) error {
	if r.worktree == "" {
		return nil
	}
	for _, c := range changes {
		dst := filepath.Join(r.worktree, filepath.FromSlash(c.Path))
		if c.Data == nil {
			if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			removeEmptyDirs(r.worktree, filepath.Dir(dst))
			continue
		}
		if err := WriteFileAtomic(dst, c.Data, 0o644); err != nil {
			return err
		}
	}
	if !stage {
		return nil
	}
	idx, err := r.r.Storer.Index()
	if err != nil {
		return err
	}
	for _, c := range changes {
		if c.Data == nil {
			_, _ = idx.Remove(c.Path)
			continue
		}
		e, err := idx.Entry(c.Path)
		if err != nil {
			e = idx.Add(c.Path)
		}
		fi, err := os.Stat(filepath.Join(r.worktree, filepath.FromSlash(c.Path)))
		if err != nil {
			return err
		}
		e.Hash = plumbing.Hash(HashBlob(c.Data))
		e.Mode = filemode.Regular
		e.Size = uint32(len(c.Data))
		e.ModifiedAt = fi.ModTime()
		e.CreatedAt = fi.ModTime()
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			e.Dev, e.Inode, e.UID, e.GID = uint32(st.Dev), uint32(st.Ino), st.Uid, st.Gid
			e.CreatedAt = time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
		}
	}
	sort.Slice(idx.Entries, func(i, j int) bool { return idx.Entries[i].Name < idx.Entries[j].Name })
	return r.r.Storer.SetIndex(idx)
}

func removeEmptyDirs(top, dir string) {
	for dir != top && strings.HasPrefix(dir, top) {
		if err := os.Remove(dir); err != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// WriteFileAtomic writes data to a temporary file beside path, syncs it and
// renames it into place, creating parent directories as needed.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ConfigValues reads every value of section.key from the repository's own
// git config (e.g. "tufgit", "protectedRef").
func (r *Repo) ConfigValues(section, key string) ([]string, error) {
	cfg, err := r.r.Config()
	if err != nil {
		return nil, err
	}
	return cfg.Raw.Section(section).Options.GetAll(key), nil
}

// ConfigValue reads section.key as git does for one value: from the
// repository's own config, else the user's global config (~/.gitconfig or
// $XDG_CONFIG_HOME/git/config); the last value wins. "" when unset.
func (r *Repo) ConfigValue(section, key string) (string, error) {
	local, err := r.r.Config()
	if err != nil {
		return "", err
	}
	if vs := local.Raw.Section(section).Options.GetAll(key); len(vs) > 0 {
		return vs[len(vs)-1], nil
	}
	// go-git's scoped config merges typed fields only, not Raw: read the
	// global file itself.
	global, err := config.LoadConfig(config.GlobalScope)
	if err != nil {
		return "", fmt.Errorf("global git config: %w", err)
	}
	if vs := global.Raw.Section(section).Options.GetAll(key); len(vs) > 0 {
		return vs[len(vs)-1], nil
	}
	return "", nil
}

// ResolveRef returns what a full ref name points at, or ZeroHash.
func (r *Repo) ResolveRef(name string) (Hash, error) {
	ref, err := r.r.Reference(plumbing.ReferenceName(name), true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return ZeroHash, nil
	}
	if err != nil {
		return ZeroHash, err
	}
	return Hash(ref.Hash()), nil
}

// SetConfigValues replaces every value of section.key in the repository's
// own git config.
func (r *Repo) SetConfigValues(section, key string, values []string) error {
	cfg, err := r.r.Config()
	if err != nil {
		return err
	}
	sec := cfg.Raw.Section(section)
	sec.RemoveOption(key)
	for _, v := range values {
		sec.AddOption(key, v)
	}
	return r.r.SetConfig(cfg)
}
