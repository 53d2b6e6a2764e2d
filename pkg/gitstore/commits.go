package gitstore

import (
	"fmt"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

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
	c, err := r.commitObject(h)
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
	if _, err := r.commitObject(a); err != nil {
		return false, err
	}
	// Every ancestor of b, depth first, until a turns up (as go-git's
	// Commit.IsAncestor walks, but through this Repo's reader).
	seen := map[Hash]bool{}
	stack := []Hash{b}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[h] {
			continue
		}
		seen[h] = true
		if h == a {
			return true, nil
		}
		c, err := r.commitObject(h)
		if err != nil {
			return false, err
		}
		for i := len(c.ParentHashes) - 1; i >= 0; i-- {
			stack = append(stack, Hash(c.ParentHashes[i]))
		}
	}
	return false, nil
}

// commitObject reads and decodes a commit: through git when it can, else
// through go-git.
func (r *Repo) commitObject(h Hash) (*object.Commit, error) {
	data, ok, err := r.catRead(plumbing.CommitObject, h, -1)
	if !ok {
		return r.r.CommitObject(plumbing.Hash(h))
	}
	if err != nil {
		return nil, err
	}
	o := &plumbing.MemoryObject{}
	o.SetType(plumbing.CommitObject)
	if _, err := o.Write(data); err != nil {
		return nil, err
	}
	return object.DecodeCommit(r.r.Storer, o)
}
