package repo

import (
	"fmt"
	"sort"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/trust"
)

// ProjectKeyChanges says, per project, how one change rewrote who may sign
// it, in the words signers are shown (DescribeChange's KEY CHANGE lines):
// keys added, removed or replaced, thresholds. before and after are the
// delegating roles (targets, index roles) the change rewrote, as they were
// and as they are; a project delegated only after is new, one delegated
// only before was removed, one that moved unchanged (a reshard) is no
// change. labels gives a project's key labels (signed or not, as
// Labels.Name shows them). The web UI's project history reads this.
func ProjectKeyChanges(before, after []*metadata.Metadata[metadata.TargetsType], labels func(project string) Labels) map[string][]string {
	od, nd := projectDelegations(before), projectDelegations(after)
	out := map[string][]string{}
	names := make([]string, 0, len(od)+len(nd))
	for n := range od {
		names = append(names, n)
	}
	for n := range nd {
		if od[n] == nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		o, n := od[name], nd[name]
		// Keys are named as the delegations of that change sign them (a
		// rotated-out key keeps the label it was signed with), else as the
		// repository names them now.
		tree := Labels{}
		for id, kl := range labels(name) {
			tree[id] = kl
		}
		for _, dl := range []*trust.Delegation{o, n} {
			if dl == nil {
				continue
			}
			for id, k := range dl.Keys {
				if owner, ok := trust.KeyOwner(k); ok {
					tree[id] = KeyLabel{Label: owner, Signed: true, From: LabelSigned}
				}
			}
		}
		d := &describer{tree: tree, proposed: map[string]string{}}
		switch {
		case o == nil:
			out[name] = []string{fmt.Sprintf("%s: new project; %s %s", name, noun(name), d.signers(n).words())}
		case n == nil:
			out[name] = []string{fmt.Sprintf("%s: project removed: no longer delegated; its %s %s can no longer sign it", name, noun(name), d.signers(o).words())}
		default:
			if it, ok := d.changed(name, "", "", o, n); ok {
				out[name] = []string{it.Text}
			}
		}
	}
	return out
}

// projectDelegations is every project role's delegation in roles, by name.
func projectDelegations(roles []*metadata.Metadata[metadata.TargetsType]) map[string]*trust.Delegation {
	out := map[string]*trust.Delegation{}
	for _, m := range roles {
		if m == nil || m.Signed.Delegations == nil {
			continue
		}
		for _, r := range m.Signed.Delegations.Roles {
			if layout.RoleKind(r.Name) != layout.KindProjectRole {
				continue
			}
			dl := &trust.Delegation{Role: r.Name, KeyIDs: r.KeyIDs, Threshold: r.Threshold, Paths: r.Paths, Terminating: r.Terminating, Keys: map[string]*metadata.Key{}}
			for _, id := range r.KeyIDs {
				if k, ok := m.Signed.Delegations.Keys[id]; ok {
					dl.Keys[id] = k
				}
			}
			out[r.Name] = dl
		}
	}
	return out
}
