package repo

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
)

// Errors of renew, for errors.Is.
var (
	// ErrRenewRoot: root is renewed by the root-update machinery, which
	// counts the old and the new root keys.
	ErrRenewRoot = errors.New("root is not renewed with `tufgit renew`")
	// ErrRenewOnline: snapshot and timestamp are signed online by publish.
	ErrRenewOnline = errors.New("snapshot and timestamp are re-signed by publish")
	// ErrBadExpiry: an expiry outside the bounds tufgit enforces.
	ErrBadExpiry = errors.New("expiry out of bounds")
	// ErrUnknownRole: an index role that the tree does not hold.
	ErrUnknownRole = errors.New("unknown role")
)

// RenewIndex names every index role at once in RenewOptions.Roles.
const RenewIndex = "index"

// RenewOptions describe a renewal: a new version and expiry of each role,
// and nothing else.
type RenewOptions struct {
	// Roles are "targets", "index" (every index role), an index role's
	// name, or project names.
	Roles []string
	// Expires is how long the renewed roles stay valid; 0 takes
	// tufgit.json's expiry for each role's kind. It must lie within
	// layout.MinOfflineExpiry … layout.MaxOfflineExpiry.
	Expires time.Duration
	Key     *keys.Key
	Note    string
	SubmitOptions
}

// Renew re-signs roles with a new version and expiry and no other change,
// as one change of kind renew: applied when the key meets every threshold,
// else a request. Signers are told "renews expiry only: no other change",
// and verify refuses a renew request that changes anything more.
func (s *Session) Renew(o RenewOptions) (*Result, error) {
	if len(o.Roles) == 0 {
		return nil, errors.New("no role given: name targets, index, or a project")
	}
	if o.Expires != 0 && (o.Expires < layout.MinOfflineExpiry || o.Expires > layout.MaxOfflineExpiry) {
		return nil, fmt.Errorf("%w: --expires %s is outside %s … %s, tufgit's bounds for offline roles",
			ErrBadExpiry, layout.Duration(o.Expires), layout.Duration(layout.MinOfflineExpiry), layout.Duration(layout.MaxOfflineExpiry))
	}
	if err := s.requireRoot(); err != nil {
		return nil, err
	}
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	var projects []string
	admin := 0
	for _, arg := range o.Roles {
		switch {
		case arg == layout.RoleRoot:
			return nil, fmt.Errorf("%w: renew root through the root update, which both the old and the new root keys sign (`tufgit root update --renew`)", ErrRenewRoot)
		case arg == layout.RoleSnapshot || arg == layout.RoleTimestamp:
			return nil, fmt.Errorf("%w: %s is signed online; `tufgit publish --refresh` re-signs it", ErrRenewOnline, arg)
		case arg == layout.RoleTargets:
			add(arg)
			admin++
		case arg == RenewIndex:
			idx, err := s.indexRoles()
			if err != nil {
				return nil, err
			}
			for _, n := range idx {
				add(n)
			}
			admin++
		case strings.HasPrefix(arg, layout.IndexRolePrefix):
			if _, ok := layout.IndexPrefix(arg); !ok {
				return nil, &layout.NameError{Kind: "index role", Value: arg, Reason: "is not idx_ followed by letters, digits or -"}
			}
			if _, err := s.View.Role(arg); err != nil {
				return nil, fmt.Errorf("%w %s: this repository has no such index role (`tufgit renew index` renews them all)", ErrUnknownRole, arg)
			}
			add(arg)
			admin++
		default:
			name, _, _, err := s.lookupProject(arg)
			if err != nil {
				return nil, err
			}
			if _, err := s.View.Role(name); err != nil {
				if state.IsNotExist(err) {
					return nil, fmt.Errorf("%w: project %s has no signed role yet (it has no releases), so it has nothing to expire", ErrNothingToDo, name)
				}
				return nil, err
			}
			add(name)
			projects = appendOnce(projects, name)
		}
	}
	roles := map[string]*metadata.Metadata[metadata.TargetsType]{}
	for _, n := range names {
		r, err := s.View.Role(n)
		if err != nil {
			return nil, fmt.Errorf("role %s: %w", n, err)
		}
		m, err := clone(r.Meta)
		if err != nil {
			return nil, err
		}
		roles[n] = m
	}
	ch := &Change{Kind: layout.KindRenew, Subject: "renew " + renewWords(names), Roles: roles, Note: o.Note, Expires: o.Expires}
	if len(projects) == 1 && admin == 0 {
		ch.Project = projects[0]
	}
	return s.Submit(ch, o.Key, o.SubmitOptions)
}

// indexRoles lists the index role files of the tree.
func (s *Session) indexRoles() ([]string, error) {
	var out []string
	err := s.Tree.WalkDir(layout.IndexDir, func(e gitstore.Entry) error {
		le, err := layout.Classify(e.Path)
		if err == nil && le.Kind == layout.KindIndexRole {
			out = append(out, le.Role)
		}
		return nil
	}, func(gitstore.BadName) error { return nil })
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no index role", layout.IndexDir)
	}
	return out, nil
}

// renewWords names the renewed roles for a commit subject, counting the
// index roles.
func renewWords(names []string) string {
	var parts []string
	idx := 0
	for _, n := range names {
		if layout.RoleKind(n) == layout.KindIndexRole {
			idx++
			continue
		}
		parts = append(parts, n)
	}
	switch {
	case idx == 1:
		for _, n := range names {
			if layout.RoleKind(n) == layout.KindIndexRole {
				parts = append(parts, n)
			}
		}
	case idx > 1:
		parts = append(parts, fmt.Sprintf("%d index roles", idx))
	}
	if len(parts) > 6 {
		parts = append(parts[:5], fmt.Sprintf("and %d more", len(parts)-5))
	}
	return strings.Join(parts, ", ")
}

// describeRenewal tells a change that only renews, every role of it
// existing and differing from the current one in version and expires
// alone, as "ROLE: renews expiry only: no other change (expires OLD →
// NEW)". It reports false for anything else, which is then described
// item by item.
func (s *Session) describeRenewal(root *metadata.Metadata[metadata.RootType], roles map[string]*metadata.Metadata[metadata.TargetsType]) ([]ChangeItem, bool) {
	if root != nil || len(roles) == 0 {
		return nil, false
	}
	var items []ChangeItem
	for _, name := range sortedRoleNames(roles) {
		m := roles[name]
		cur, err := s.View.Role(name)
		if err != nil {
			return nil, false
		}
		if same, err := trust.SameExceptExpiry(cur.Meta.Signed, m.Signed); err != nil || !same {
			return nil, false
		}
		exp := strings.TrimPrefix(expiryWords(&cur.Meta.Signed.Expires, m.Signed.Expires), ", ")
		if cur.Meta.Signed.Expires.Equal(m.Signed.Expires) {
			// Renewed within the second it was last signed: say so, in the
			// same words, rather than drop the old expiry.
			day := m.Signed.Expires.UTC().Format("2006-01-02")
			exp = "expires " + day + " → " + day + " (unchanged)"
		}
		items = append(items, ChangeItem{Role: name, Kind: ItemRenew, Text: fmt.Sprintf("%s: renews expiry only: no other change (%s)", name, exp)})
	}
	return groupIndexVersions(items), true
}
