package gitstore

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// FileChange is one file to write or delete: Data is written as a new
// blob; a non-zero Blob is an object already stored (by WriteBlobFrom, or
// a file of another tree) that the path takes as it is, never read into
// memory; with neither, the path is deleted.
type FileChange struct {
	Path string
	Data []byte
	Blob Hash
}

// Deletes reports whether c removes its path.
func (c FileChange) Deletes() bool { return c.Data == nil && c.Blob == ZeroHash }

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
			sub[first] = append(sub[first], FileChange{Path: rest, Data: c.Data, Blob: c.Blob})
			continue
		}
		if c.Deletes() {
			delete(m, first)
			continue
		}
		h := c.Blob
		if c.Data != nil {
			var err error
			if h, err = r.writeBlob(c.Data); err != nil {
				return ZeroHash, false, err
			}
		} else if _, err := r.BlobSize(h); err != nil {
			return ZeroHash, false, fmt.Errorf("%s: blob %s: %w", c.Path, h, err)
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
