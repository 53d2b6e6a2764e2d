package repo

import (
	"fmt"
	"slices"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/verify"
)

// KindProjectRemove is the request kind of a project removal.
const KindProjectRemove = "project-remove"

// ProjectRemoveOptions describe a project removal.
type ProjectRemoveOptions struct {
	Name string
	Key  *keys.Key
	Note string
	SubmitOptions
}

// RemoveProject stops delegating a project: its index role (signed by the
// admins) drops the delegation. When that is applied the project's role
// metadata moves to metadata/retired/ (its releases and version stay on
// record, and the publisher keeps it in snapshot), its config goes, and so
// do its pending requests. Its artifacts stay.
func (s *Session) RemoveProject(o ProjectRemoveOptions) (*Result, error) {
	name, _, idxName, m, err := s.editIndexOf(o.Name)
	if err != nil {
		return nil, err
	}
	kept := m.Signed.Delegations.Roles[:0]
	for _, r := range m.Signed.Delegations.Roles {
		if r.Name != name {
			kept = append(kept, r)
		}
	}
	m.Signed.Delegations.Roles = kept
	pruneKeys(m.Signed.Delegations)
	ch := &Change{Kind: KindProjectRemove, Project: name, Subject: fmt.Sprintf("%s: remove project", name), Note: o.Note,
		Roles: map[string]*metadata.Metadata[metadata.TargetsType]{idxName: m}}
	// Like a project creation, anyone may ask the admins for it (a
	// maintainer giving up a project): a key that may not sign files it
	// unsigned.
	return s.submitAllowUnsigned(ch, o.Key, o.SubmitOptions)
}

// removals are the file changes that go with applying roles which stop
// delegating projects (after is the tree as if they were applied): each
// removed project's role is retired, its config and pending requests go.
// They are derived from the signed metadata, never from request text.
func (s *Session) removals(after *state.View, roles []string, skipRequest string) ([]gitstore.FileChange, error) {
	var out []gitstore.FileChange
	var removed []string
	for _, name := range roles {
		k := layout.RoleKind(name)
		if k != layout.KindTargets && k != layout.KindIndexRole {
			continue
		}
		cur, err := s.View.Role(name)
		if err != nil || cur.Meta.Signed.Delegations == nil {
			continue
		}
		for _, r := range cur.Meta.Signed.Delegations.Roles {
			if layout.RoleKind(r.Name) != layout.KindProjectRole {
				continue
			}
			if _, _, err := after.Delegation(r.Name); err == nil {
				continue // still delegated (or moved)
			}
			removed = append(removed, r.Name)
		}
	}
	for _, p := range removed {
		if pr, err := s.View.Role(p); err == nil {
			// A name removed before keeps that record: this removal
			// adds the next one (NAME.json, then NAME.2.json, …).
			rp, err := verify.NextRetiredPath(s.Tree, p)
			if err != nil {
				return nil, err
			}
			out = append(out, gitstore.FileChange{Path: rp, Data: pr.Raw}, gitstore.FileChange{Path: layout.RolePath(p)})
		}
		if ok, _ := s.Tree.Exists(layout.ProjectConfigPath(p)); ok {
			out = append(out, gitstore.FileChange{Path: layout.ProjectConfigPath(p)})
		}
	}
	if len(removed) == 0 {
		return out, nil
	}
	// Pending requests that only the removed projects' roles could apply.
	ids, err := s.requestIDs()
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if id == skipRequest {
			continue
		}
		p, errs := verify.ReadProposal(s.Tree, id)
		if len(errs) > 0 || p == nil {
			continue
		}
		touches := false
		for _, role := range p.Roles {
			touches = touches || slices.Contains(removed, role)
		}
		if !touches && !slices.Contains(removed, p.Request.Project) {
			continue
		}
		err := s.Tree.WalkDir(layout.RequestDir(id), func(e gitstore.Entry) error {
			out = append(out, gitstore.FileChange{Path: e.Path})
			return nil
		}, func(gitstore.BadName) error { return nil })
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
