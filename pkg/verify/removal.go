package verify

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
)

// A key can not race its own removal. Once an admin has signed a pending
// request that takes keys away from a project's delegation (maintainer
// remove, rotate or recover, project remove):
//
//   - those keys no longer count towards the project role's threshold in
//     any change (a release, a yank, a renewal): the other maintainers
//     must meet it without them. So the key being removed can not move
//     the project role on and make the removal stale, nor publish in the
//     meantime;
//   - the request can not be pruned while a key it removes is still
//     delegated, even when something else (an honest release, an admin
//     change) made it stale: it leaves when applied, when its proposed
//     metadata expires, or with a withdrawal signed by an admin
//     (`tufgit request rebase` makes it again on the current head, and
//     withdraws the old one with the admin's key).
//
// A request counts only while its proposed index role carries a valid
// signature by a key that may sign that role (an admin) and has not
// expired; an unsigned request filed by anyone freezes nothing.

// KeyRemoval is what a pending request takes away from one project.
type KeyRemoval struct {
	Request string
	Project string
	// Keys are the keyids the project's current delegation lists and the
	// request's does not (all of them when it removes the project).
	Keys []string
}

// KeyRemovals lists the keys request p (pending in the tree view reads)
// takes away from projects' delegations, when an admin has signed the
// index role that does it and it has not expired at now.
func KeyRemovals(p *Proposal, view *state.View, now time.Time) []KeyRemoval {
	if p == nil || p.Request == nil {
		return nil
	}
	var out []KeyRemoval
	for _, role := range p.Roles {
		if k := layout.RoleKind(role); k != layout.KindIndexRole && k != layout.KindTargets {
			continue
		}
		prop, err := p.View.Role(role)
		if err != nil || prop.Meta.Signed.IsExpired(now) {
			continue
		}
		d, _, err := p.View.Delegation(role)
		if err != nil {
			continue
		}
		if s := trust.Check(d, prop.Meta, prop.Meta.Signatures); len(s.Valid) == 0 || len(s.Invalid) > 0 {
			continue
		}
		cur, err := view.Role(role)
		if err != nil || cur.Meta.Signed.Delegations == nil {
			continue
		}
		for _, dr := range cur.Meta.Signed.Delegations.Roles {
			if layout.RoleKind(dr.Name) != layout.KindProjectRole {
				continue
			}
			od, err := trust.FromTargets(cur.Meta, dr.Name)
			if err != nil {
				continue
			}
			keep := map[string]bool{}
			if nd, _, err := p.View.Delegation(dr.Name); err == nil {
				for _, id := range nd.KeyIDs {
					keep[id] = true
				}
			}
			var gone []string
			for _, id := range od.KeyIDs {
				if !keep[id] {
					gone = append(gone, id)
				}
			}
			if len(gone) > 0 {
				out = append(out, KeyRemoval{Request: p.Request.ID, Project: dr.Name, Keys: gone})
			}
		}
	}
	return out
}

// heldRemoval is the first admin-signed key removal of p whose keys view
// still delegates: such a request is not prunable.
func heldRemoval(p *Proposal, view *state.View, now time.Time) *KeyRemoval {
	rs := KeyRemovals(p, view, now)
	if len(rs) == 0 {
		return nil
	}
	return &rs[0]
}

// adminKeys are the keys that may sign the index roles (or targets) p
// proposes: who may withdraw an admin-signed key removal.
func adminKeys(p *Proposal) map[string]*metadata.Key {
	out := map[string]*metadata.Key{}
	for _, role := range p.Roles {
		if k := layout.RoleKind(role); k != layout.KindIndexRole && k != layout.KindTargets {
			continue
		}
		if d, _, err := p.View.Delegation(role); err == nil {
			for id, k := range d.Keys {
				out[id] = k
			}
		}
	}
	return out
}

// FrozenKeys are the keys an admin-signed pending request in tree (read
// through view) takes away from project, each with that request's id.
// Only requests named for the project (PROJECT-…, as tufgit names every
// request about one) are read, so the cost follows the project's own
// pending requests, not the repository's.
func FrozenKeys(tree *gitstore.Tree, view *state.View, project string, now time.Time) map[string]string {
	entries, err := tree.ReadDir(layout.RequestsDir)
	if err != nil {
		return nil
	}
	var out map[string]string
	prefix := layout.RequestsDir + "/" + project + "-"
	for _, e := range entries {
		if e.Mode != gitstore.ModeDir || !strings.HasPrefix(e.Path, prefix) {
			continue
		}
		id := strings.TrimPrefix(e.Path, layout.RequestsDir+"/")
		if ok, _ := tree.Exists(layout.RequestWithdrawalPath(id)); ok {
			continue
		}
		p, errs := ReadProposal(tree, id)
		if len(errs) > 0 || p == nil {
			continue
		}
		for _, r := range KeyRemovals(p, view, now) {
			if r.Project != project {
				continue
			}
			for _, k := range r.Keys {
				if out == nil {
					out = map[string]string{}
				}
				if _, ok := out[k]; !ok {
					out[k] = id
				}
			}
		}
	}
	return out
}

// checkFrozenKeys: a changed project role must meet its threshold without
// the keys that an admin-signed request pending before the change takes
// away from it.
func (t *transition) checkFrozenKeys() {
	c := t.c
	for _, name := range slices.Sorted(maps.Keys(t.roles)) {
		if t.roles[name] == gitstore.Deleted || layout.RoleKind(name) != layout.KindProjectRole {
			continue
		}
		frozen := FrozenKeys(t.oldTree, t.oldView, name, c.now)
		if len(frozen) == 0 {
			continue
		}
		d, _, err := c.view.Delegation(name)
		if err != nil {
			continue
		}
		nr, err := c.view.Role(name)
		if err != nil {
			continue
		}
		full := trust.Check(d, nr.Meta, nr.Meta.Signatures)
		if !full.Met {
			continue // reported by the role check
		}
		reduced := &trust.Delegation{Role: d.Role, Keys: map[string]*metadata.Key{}, Threshold: d.Threshold, Paths: d.Paths, Terminating: d.Terminating}
		var counted []string
		for _, id := range d.KeyIDs {
			if _, ok := frozen[id]; ok {
				if slices.Contains(full.Valid, id) {
					counted = append(counted, id)
				}
				continue
			}
			reduced.KeyIDs = append(reduced.KeyIDs, id)
			reduced.Keys[id] = d.Keys[id]
		}
		if len(counted) == 0 {
			continue
		}
		if s := trust.Check(reduced, nr.Meta, nr.Meta.Signatures); s.Met {
			continue
		}
		var names []string
		for _, id := range counted {
			names = append(names, fmt.Sprintf("%s (removal pending in request %s)", trust.Short(id), frozen[id]))
		}
		c.rep.add(layout.RolePath(name), name, CodeThreshold,
			"version %d meets its threshold of %d only with key %s, which an admin-signed pending request takes away from %s; a key can not sign for its project while its removal is pending: the other maintainers sign, or an admin withdraws the request (`tufgit request show %s`)",
			nr.Meta.Signed.Version, d.Threshold, strings.Join(names, ", "), name, frozen[counted[0]])
	}
}

func shortIDs(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = trust.Short(id)
	}
	return strings.Join(out, ", ")
}
