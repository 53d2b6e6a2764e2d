package repo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/trust"
	"github.com/tufgit/tufgit/pkg/verify"
)

// ItemRecreated is a change that delegates a name that was removed before:
// signers are shown what the name held (metadata/retired/).
const ItemRecreated = "re-created"

// describeRecreated says, for each project that roles newly delegate and
// that was removed before, what the name held: who signed its last role,
// its releases, and that those versions stay reserved. It is derived from
// the signed retired role, never from request text.
func (s *Session) describeRecreated(roles map[string]*metadata.Metadata[metadata.TargetsType]) []ChangeItem {
	var out []ChangeItem
	for _, name := range sortedRoleNames(roles) {
		k := layout.RoleKind(name)
		m := roles[name]
		if (k != layout.KindIndexRole && k != layout.KindTargets) || m.Signed.Delegations == nil {
			continue
		}
		for _, r := range m.Signed.Delegations.Roles {
			if layout.RoleKind(r.Name) != layout.KindProjectRole {
				continue
			}
			if _, _, err := s.View.Delegation(r.Name); err == nil {
				continue // delegated already: not created here
			}
			if it, ok := s.recreatedItem(r.Name); ok {
				out = append(out, it)
			}
		}
	}
	return out
}

// recreatedItem describes what the removed name held, when it was removed:
// what each earlier project of the name held, when it was removed more
// than once.
func (s *Session) recreatedItem(name string) (ChangeItem, bool) {
	gens, err := verify.RetiredGenerations(s.Tree, name)
	if err != nil {
		return ChangeItem{Role: name, Kind: ItemRecreated, KeyChange: true,
			Text: fmt.Sprintf("%s: was removed before, but its retired role can not be read (%v)", name, err)}, true
	}
	if len(gens) == 0 {
		return ChangeItem{}, false
	}
	var parts []string
	published := false
	for i, old := range gens {
		what, released := heldBy(old, layout.RetiredGenerationPath(name, i+1))
		published = published || released
		if len(gens) == 1 {
			parts = append(parts, "its old project "+what)
		} else {
			parts = append(parts, fmt.Sprintf("its project until removal %d %s", i+1, what))
		}
	}
	text := fmt.Sprintf("%s: RE-CREATES a removed name: ", name)
	if len(gens) > 1 {
		text = fmt.Sprintf("%s: RE-CREATES a name removed %d times: ", name, len(gens))
	}
	text += strings.Join(parts, "; ")
	if published {
		text += "; those versions stay reserved: the new maintainers can never publish other bytes or another file under them, only new versions"
	}
	return ChangeItem{Role: name, Kind: ItemRecreated, Text: text}, true
}

// heldBy says who signed a retired role last and what it published; any
// is whether it published a release.
func heldBy(old *metadata.Metadata[metadata.TargetsType], path string) (text string, released bool) {
	var signers []string
	for _, sig := range old.Signatures {
		if id := trust.Short(sig.KeyID); !slices.Contains(signers, id) {
			signers = append(signers, id)
		}
	}
	who := "no signature"
	if len(signers) > 0 {
		who = "keys " + strings.Join(signers, ", ")
	}
	rels := Releases(old)
	var vs []string
	const shown = 20
	for i, r := range rels {
		if i == shown {
			vs = append(vs, fmt.Sprintf("and %d more (`git show HEAD:%s`)", len(rels)-shown, path))
			break
		}
		v := fmt.Sprintf("%s (%d file", r.Version, len(r.Files))
		if len(r.Files) != 1 {
			v += "s"
		}
		if r.Yanked {
			v += ", yanked"
		}
		vs = append(vs, v+")")
	}
	text = fmt.Sprintf("(role version %d) was signed last by %s (its maintainers then)", old.Signed.Version, who)
	if len(vs) == 0 {
		return text + " and published no release", false
	}
	return text + " and published " + strings.Join(vs, ", "), true
}
