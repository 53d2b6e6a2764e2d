package verify

import (
	"fmt"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
)

// RenewalProblem is a role that a request of kind renew proposes but does
// not merely renew.
type RenewalProblem struct {
	Role    string
	Message string
}

// RenewalProblems checks a request of kind renew against the tree it is
// pending in (current): each role it proposes must exist there, and its
// proposed signed part must equal the current one (canonical JSON) except
// version and expires. A role already at the proposed version or later is
// skipped: the request is stale, which checkRequest reports, and can no
// longer be applied. Requests of other kinds have no such rule.
func RenewalProblems(current *state.View, p *Proposal) []RenewalProblem {
	if p == nil || p.Request == nil || p.Request.Kind != layout.KindRenew {
		return nil
	}
	var out []RenewalProblem
	bad := func(role, format string, args ...any) {
		out = append(out, RenewalProblem{Role: role, Message: fmt.Sprintf(format, args...)})
	}
	for _, role := range p.Roles {
		var before, after any
		var curVersion, newVersion int64
		if role == layout.RoleRoot {
			cur, err := current.Root()
			if err != nil || p.Root == nil {
				bad(role, "a renew request proposes root, but there is no current root to renew")
				continue
			}
			before, after, curVersion, newVersion = cur.Signed, p.Root.Signed, cur.Signed.Version, p.Root.Signed.Version
		} else {
			cur, err := current.Role(role)
			if err != nil {
				bad(role, "a renew request proposes role %s, which does not exist yet: a renewal only renews an existing role", role)
				continue
			}
			prop, err := p.View.Role(role)
			if err != nil {
				continue // a parse problem, reported by checkRequest
			}
			before, after, curVersion, newVersion = cur.Meta.Signed, prop.Meta.Signed, cur.Meta.Signed.Version, prop.Meta.Signed.Version
		}
		if curVersion >= newVersion {
			continue // stale
		}
		same, err := trust.SameExceptExpiry(before, after)
		if err != nil {
			bad(role, "comparing the proposed %s with the current one: %v", role, err)
			continue
		}
		if !same {
			bad(role, "a renew request may change only version and expires, but it changes more of %s (file the change under its own kind)", role)
		}
	}
	return out
}
