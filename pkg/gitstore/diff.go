package gitstore

import (
	"sort"
	"strings"
)

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
