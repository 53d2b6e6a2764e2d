package repo

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/trust"
	"github.com/tufgit/tufgit/pkg/verify"
)

// Request kinds of root changes.
const (
	KindRootUpdate = "root-update"
	KindRootRenew  = verify.KindRootRenew
)

// RootUpdate is a new root version: keys added and removed per role, new
// thresholds, a new online key, or only a new expiry.
type RootUpdate struct {
	AddRootKeys       []*keys.Key
	RemoveRootKeys    []string // keyids or unique keyid prefixes
	RootThreshold     int      // 0 keeps it
	AddTargetsKeys    []*keys.Key
	RemoveTargetsKeys []string
	TargetsThreshold  int
	// Labels are owner labels, by keyid, for keys this update adds to
	// root: signed into their key objects (trust.KeyOwnerField). Keys root
	// already lists keep their label.
	Labels map[string]string
	// OnlineKey replaces the snapshot and timestamp key.
	OnlineKey *keys.Key
	// Expires overrides the configured root expiry.
	Expires time.Duration
	// Rewrite, when set, is the root keys' acceptance of a rewritten
	// history (layout.RewriteField): the publisher may then publish a head
	// that no longer contains Rewrite.Abandons, verified from Rewrite.Base.
	Rewrite *layout.Rewrite
	Key     *keys.Key
	Note    string
	SubmitOptions
}

// UpdateRoot proposes the next root. TUF demands that a new root be
// signed by a threshold of the current root's keys and of its own; the
// request collects both. A change of the targets keys re-signs targets and
// every index role under the new keys in the same change (index roles are
// signed like targets). A new online key makes the next publish sign
// snapshot and timestamp with it; tufgit.json follows when it is applied.
// With no key change it only renews root's expiry.
func (s *Session) UpdateRoot(o RootUpdate) (*Result, error) {
	if err := s.requireRoot(); err != nil {
		return nil, err
	}
	cur, err := s.View.Root()
	if err != nil {
		return nil, err
	}
	root, err := clone(cur)
	if err != nil {
		return nil, err
	}
	var what []string
	known := map[string]bool{}
	for id := range root.Signed.Keys {
		known[id] = true
	}
	rootChanged, err := editRole(root, layout.RoleRoot, o.AddRootKeys, o.RemoveRootKeys, o.RootThreshold)
	if err != nil {
		return nil, err
	}
	targetsChanged, err := editRole(root, layout.RoleTargets, o.AddTargetsKeys, o.RemoveTargetsKeys, o.TargetsThreshold)
	if err != nil {
		return nil, err
	}
	for id, l := range o.Labels {
		if k, ok := root.Signed.Keys[id]; ok && !known[id] && l != "" {
			if err := trust.CheckOwnerLabel(l); err != nil {
				return nil, fmt.Errorf("label %q of key %s %v", l, trust.Short(id), err)
			}
			root.Signed.Keys[id] = trust.WithOwner(k, l)
		}
	}
	if rootChanged {
		what = append(what, "root keys")
	}
	if o.Rewrite != nil {
		if err := o.Rewrite.Valid(); err != nil {
			return nil, err
		}
		if root.Signed.UnrecognizedFields == nil {
			root.Signed.UnrecognizedFields = map[string]any{}
		}
		root.Signed.UnrecognizedFields[layout.RewriteField] = map[string]any{"abandons": o.Rewrite.Abandons, "base": o.Rewrite.Base}
		what = append(what, "accept a rewritten history")
	}
	if targetsChanged {
		what = append(what, "targets keys")
	}
	if o.OnlineKey != nil {
		for _, r := range []string{layout.RoleRoot, layout.RoleTargets} {
			if slices.Contains(root.Signed.Roles[r].KeyIDs, o.OnlineKey.ID) {
				return nil, fmt.Errorf("%w: %s is a %s key", ErrOnlineKey, o.OnlineKey.Ref, r)
			}
		}
		for _, r := range []string{layout.RoleSnapshot, layout.RoleTimestamp} {
			if !slices.Equal(root.Signed.Roles[r].KeyIDs, []string{o.OnlineKey.ID}) {
				root.Signed.Roles[r].KeyIDs = []string{o.OnlineKey.ID}
				root.Signed.Roles[r].Threshold = 1
				root.Signed.Keys[o.OnlineKey.ID] = o.OnlineKey.Public
				if !slices.Contains(what, "online key") {
					what = append(what, "online key")
				}
			}
		}
	}
	for _, r := range []string{layout.RoleRoot, layout.RoleTargets} {
		for _, id := range root.Signed.Roles[r].KeyIDs {
			for _, online := range []string{layout.RoleSnapshot, layout.RoleTimestamp} {
				if slices.Contains(root.Signed.Roles[online].KeyIDs, id) {
					return nil, fmt.Errorf("%w: key %s would sign %s and %s", ErrOnlineKey, trust.Short(id), r, online)
				}
			}
		}
	}
	pruneRootKeys(root)
	kind := KindRootUpdate
	if len(what) == 0 {
		kind = KindRootRenew // the expiry is all that changes
	}
	ch := &Change{Kind: kind, Root: root, RootExpires: o.Expires, Note: o.Note, Roles: map[string]*metadata.Metadata[metadata.TargetsType]{}}
	if len(what) == 0 {
		ch.Subject = "root: renew"
	} else {
		ch.Subject = "root: change " + strings.Join(what, ", ")
	}
	if targetsChanged {
		admin, err := trust.FromRoot(root, layout.RoleTargets)
		if err != nil {
			return nil, err
		}
		if err := s.resignIndex(ch, admin); err != nil {
			return nil, err
		}
	}
	if o.Key != nil && o.Key.CanSign() {
		mine := false
		for _, r := range []*metadata.Metadata[metadata.RootType]{cur, root} {
			for _, role := range []string{layout.RoleRoot, layout.RoleTargets} {
				mine = mine || slices.Contains(r.Signed.Roles[role].KeyIDs, o.Key.ID)
			}
		}
		if !mine {
			var who []string
			for _, id := range cur.Signed.Roles[layout.RoleRoot].KeyIDs {
				who = append(who, trust.Short(id))
			}
			return nil, &NotAuthorizedError{Key: fmt.Sprintf("key %s (%s)", o.Key.Ref, trust.Short(o.Key.ID)), What: "a new root", Allowd: who}
		}
	}
	return s.Submit(ch, o.Key, o.SubmitOptions)
}

// editRole adds and removes keys of a top-level role and sets its
// threshold, checking the result.
func editRole(root *metadata.Metadata[metadata.RootType], role string, add []*keys.Key, remove []string, threshold int) (bool, error) {
	r := root.Signed.Roles[role]
	before := slices.Clone(r.KeyIDs)
	beforeT := r.Threshold
	for _, ref := range remove {
		id, err := resolveKeyID(ref, r.KeyIDs, role)
		if err != nil {
			return false, err
		}
		r.KeyIDs = slices.DeleteFunc(r.KeyIDs, func(x string) bool { return x == id })
	}
	for _, k := range add {
		if slices.Contains(r.KeyIDs, k.ID) {
			return false, fmt.Errorf("%w: %s is a %s key already", ErrNothingToDo, k.Ref, role)
		}
		if err := trust.SupportedKey(k.Public); err != nil {
			return false, fmt.Errorf("%s: %w", k.Ref, err)
		}
		root.Signed.Keys[k.ID] = k.Public
		r.KeyIDs = append(r.KeyIDs, k.ID)
	}
	if threshold != 0 {
		r.Threshold = threshold
	}
	if len(r.KeyIDs) == 0 {
		return false, fmt.Errorf("%w: %s would have no keys left", ErrBadThreshold, role)
	}
	if r.Threshold > len(r.KeyIDs) {
		if threshold != 0 {
			return false, fmt.Errorf("%w: %s threshold %d is more than its %d key(s)", ErrBadThreshold, role, r.Threshold, len(r.KeyIDs))
		}
		r.Threshold = len(r.KeyIDs)
	}
	if r.Threshold < 1 {
		return false, fmt.Errorf("%w: %s threshold %d is below 1", ErrBadThreshold, role, r.Threshold)
	}
	return !slices.Equal(before, r.KeyIDs) || beforeT != r.Threshold, nil
}

// resolveKeyID finds the keyid a reference (full keyid or unique prefix of
// at least 8 hex digits) names among ids.
func resolveKeyID(ref string, ids []string, role string) (string, error) {
	ref = strings.ToLower(strings.TrimSpace(ref))
	if len(ref) < 8 {
		return "", fmt.Errorf("key %q: give at least 8 hex digits of the keyid", ref)
	}
	var found []string
	for _, id := range ids {
		if strings.HasPrefix(id, ref) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("key %q is not a %s key (%s)", ref, role, strings.Join(shortAll(ids), ", "))
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("key %q names %d %s keys; give more digits", ref, len(found), role)
}

func shortAll(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = trust.Short(id)
	}
	return out
}

// pruneRootKeys drops keys no top-level role lists.
func pruneRootKeys(root *metadata.Metadata[metadata.RootType]) {
	used := map[string]bool{}
	for _, r := range root.Signed.Roles {
		for _, id := range r.KeyIDs {
			used[id] = true
		}
	}
	for id := range root.Signed.Keys {
		if !used[id] {
			delete(root.Signed.Keys, id)
		}
	}
}

// resignIndex rewrites targets and every index role so that each index
// role is delegated to the (new) targets keys; they are signed by those
// keys in the same change. Project delegations stay as they are. The index
// roles are the tree's files (as renew finds them): in a sharded
// repository targets delegates idx_P once for every shard, and each
// shard's idx_P lives in its own file (SHARD/idx_P), which walking
// targets' delegation names would not reach.
func (s *Session) resignIndex(ch *Change, admin *trust.Delegation) error {
	idx, err := s.indexRoles()
	if err != nil {
		return err
	}
	names := append([]string{layout.RoleTargets}, idx...)
	for i := 0; i < len(names); i++ {
		r, err := s.View.Role(names[i])
		if err != nil {
			return fmt.Errorf("role %s: %w", names[i], err)
		}
		m, err := clone(r.Meta)
		if err != nil {
			return err
		}
		if m.Signed.Delegations != nil {
			used := map[string]bool{}
			for j := range m.Signed.Delegations.Roles {
				dr := &m.Signed.Delegations.Roles[j]
				if layout.RoleKind(dr.Name) == layout.KindIndexRole {
					dr.KeyIDs = slices.Clone(admin.KeyIDs)
					dr.Threshold = admin.Threshold
				}
				for _, id := range dr.KeyIDs {
					used[id] = true
				}
			}
			for _, id := range admin.KeyIDs {
				m.Signed.Delegations.Keys[id] = admin.Keys[id]
			}
			for id := range m.Signed.Delegations.Keys {
				if !used[id] {
					delete(m.Signed.Delegations.Keys, id)
				}
			}
		}
		ch.Roles[names[i]] = m
	}
	return nil
}
