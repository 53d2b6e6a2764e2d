package gitstore

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Resolve turns a revision (a branch, tag, HEAD or a hex hash) into a
// commit hash.
func (r *Repo) Resolve(rev string) (Hash, error) {
	if h, ok, err := r.catResolve(rev); ok {
		return h, err
	}
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
