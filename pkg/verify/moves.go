package verify

import (
	"fmt"
	"strings"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
)

// checkMoves enforces that a role whose delegation moves from one
// delegator to another (an index split) is delegated exactly as before:
// the same keys, threshold, paths and terminating flag. A move that also
// re-keys a project would let an admin signature hand the project to new
// keys while the signer reads "index split"; changing who maintains a
// project is a maintainer change, with its own signing rules.
//
// delegators are the targets-type roles that changed, path names the file
// each is reported against.
func checkMoves(rep *Report, before, after *state.View, delegators []string, path func(role string) string) {
	for _, name := range delegators {
		k := layout.RoleKind(name)
		if k != layout.KindTargets && k != layout.KindIndexRole {
			continue
		}
		nr, err := after.Role(name)
		if err != nil || nr.Meta.Signed.Delegations == nil {
			continue
		}
		var was map[string]bool
		if or, err := before.Role(name); err == nil && or.Meta.Signed.Delegations != nil {
			was = map[string]bool{}
			for _, r := range or.Meta.Signed.Delegations.Roles {
				was[r.Name] = true
			}
		}
		for _, r := range nr.Meta.Signed.Delegations.Roles {
			if was[r.Name] {
				continue // not a move: an ordinary change of this delegator
			}
			if layout.RoleKind(r.Name) != layout.KindProjectRole {
				continue // index roles never move: their place is their prefix
			}
			od, from, err := before.Delegation(r.Name)
			if err != nil || from == name {
				continue // a new role, not a move
			}
			nd, err := trust.FromTargets(nr.Meta, r.Name)
			if err != nil {
				continue
			}
			if cmp := trust.Compare(od, nd); !cmp.Same() {
				rep.add(path(name), name, CodeDelegation,
					"moves %s from %s and changes its delegation at once (%s); a move must keep keys, threshold, paths and terminating exactly, and changing who signs %s is a change of its own",
					r.Name, from, describeComparison(cmp), r.Name)
			}
		}
	}
}

// describeComparison says briefly what differs.
func describeComparison(c trust.Comparison) string {
	var out []string
	if len(c.KeysAdded) > 0 {
		out = append(out, "adds keys "+shortList(c.KeysAdded))
	}
	if len(c.KeysRemoved) > 0 {
		out = append(out, "removes keys "+shortList(c.KeysRemoved))
	}
	if c.ThresholdBefore != c.ThresholdAfter {
		out = append(out, fmt.Sprintf("threshold %d → %d", c.ThresholdBefore, c.ThresholdAfter))
	}
	if c.ScopeChanged() {
		out = append(out, fmt.Sprintf("paths %v terminating %t → paths %v terminating %t", c.PathsBefore, c.TerminatingBefore, c.PathsAfter, c.TerminatingAfter))
	}
	return strings.Join(out, "; ")
}
