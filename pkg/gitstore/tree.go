package gitstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// treeEntry is one decoded entry of a tree object, mode as written.
type treeEntry struct {
	Name string
	Mode FileMode
	Hash Hash
}

// Tree is a git tree, read lazily object by object.
type Tree struct {
	repo *Repo
	Hash Hash
}

// TreeAt returns the tree of a commit.
func (r *Repo) TreeAt(commit Hash) (*Tree, error) {
	c, err := r.commitObject(commit)
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
	if e, ok := r.cachedTree(h); ok {
		return e, nil
	}
	data, err := r.readRaw(plumbing.TreeObject, h)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	entries, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	r.cacheTree(h, entries)
	return entries, nil
}

// cachedTree returns a tree from the cache.
func (r *Repo) cachedTree(h Hash) ([]treeEntry, bool) {
	r.treeMu.Lock()
	defer r.treeMu.Unlock()
	e, ok := r.trees[h]
	return e, ok
}

func (r *Repo) cacheTree(h Hash, entries []treeEntry) {
	r.treeMu.Lock()
	if r.trees == nil || len(r.trees) >= maxCachedTrees {
		r.trees = map[Hash][]treeEntry{}
	}
	r.trees[h] = entries
	r.treeMu.Unlock()
}

// readRaw reads a whole object of type typ: through git when it can,
// else through go-git.
func (r *Repo) readRaw(typ plumbing.ObjectType, h Hash) ([]byte, error) {
	if data, ok, err := r.catRead(typ, h, -1); ok {
		return data, err
	}
	o, err := r.r.Storer.EncodedObject(typ, plumbing.Hash(h))
	if err != nil {
		return nil, err
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
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
	p := t.repo.NewPipeline()
	defer p.Close()
	return t.walkPiped(p, t.Hash, "", fn, bad)
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
	p := t.repo.NewPipeline()
	defer p.Close()
	return t.walkPiped(p, e.Hash, dir+"/", fn, bad)
}

// walkPiped is walk with the subdirectories of each directory read in one
// pipelined batch (Pipeline) before the first of them is walked: one
// round trip to git per directory that has subdirectories, instead of one
// per directory.
func (t *Tree) walkPiped(p *Pipeline, h Hash, prefix string, fn func(Entry) error, bad func(BadName) error) error {
	p.AskTree(h)
	entries, err := p.NextTree()
	if err != nil {
		return inDir(prefix, err)
	}
	return t.walkEntries(p, entries, prefix, fn, bad)
}

func (t *Tree) walkEntries(p *Pipeline, entries []treeEntry, prefix string, fn func(Entry) error, bad func(BadName) error) error {
	var subdirs [][]treeEntry
	var subErr error
	n := 0
	for _, e := range entries {
		if e.Mode == ModeDir && validName(e.Name) {
			p.AskTree(e.Hash)
			n++
		}
	}
	if n > 0 {
		subdirs = make([][]treeEntry, 0, n)
		for i := 0; i < n; i++ {
			sub, err := p.NextTree()
			if err != nil {
				// Reported when the walk reaches this directory, after the
				// entries before it, as a walk one directory at a time
				// would; the rest are not needed then.
				subErr = err
				for j := i + 1; j < n; j++ {
					_, _ = p.NextTree()
				}
				break
			}
			subdirs = append(subdirs, sub)
		}
	}
	k := 0
	for _, e := range entries {
		if !validName(e.Name) {
			if err := bad(BadName{Dir: strings.TrimSuffix(prefix, "/"), Name: e.Name}); err != nil {
				return err
			}
			continue
		}
		path := prefix + e.Name
		if e.Mode == ModeDir {
			if k == len(subdirs) {
				return inDir(path+"/", subErr)
			}
			sub := subdirs[k]
			subdirs[k] = nil
			k++
			if err := t.walkEntries(p, sub, path+"/", fn, bad); err != nil {
				return err
			}
			continue
		}
		if err := fn(Entry{Path: path, Mode: e.Mode, Hash: e.Hash}); err != nil {
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

// ReadDir lists the entries directly under dir (files and directories,
// with their paths), in tree order, reading no blob and no subtree; a
// missing dir lists nothing. Unsafe names are left out.
func (t *Tree) ReadDir(dir string) ([]Entry, error) {
	e, err := t.Lookup(dir)
	if errors.Is(err, ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if e.Mode != ModeDir {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	entries, err := t.repo.readTree(e.Hash)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(entries))
	for _, te := range entries {
		if validName(te.Name) {
			out = append(out, Entry{Path: dir + "/" + te.Name, Mode: te.Mode, Hash: te.Hash})
		}
	}
	return out, nil
}
