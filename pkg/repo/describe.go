package repo

import (
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
)

// What a signer is shown is a semantic diff of each role a change rewrites
// against the current tree, computed from metadata only: never from text a
// requester wrote. Changes of who may sign come first.

// Kinds of change items.
const (
	ItemSigners       = "signers"     // keys or threshold of a delegation change
	ItemScope         = "scope"       // paths or terminating of a delegation change
	ItemDelegated     = "delegated"   // a role is newly delegated
	ItemUndelegated   = "undelegated" // a role is no longer delegated
	ItemMoved         = "moved"       // a delegation moves to another delegator, unchanged
	ItemMovedChanged  = "moved-and-changed"
	ItemRootSetting   = "root-setting"   // consistent_snapshot
	ItemRelease       = "release"        // a release or a file of one is added
	ItemYank          = "yank"           // yank, unyank, new yank reason
	ItemTargetRemoved = "target-removed" // a published file is dropped or changes bytes
	ItemResign        = "re-sign"        // the role is re-signed, targets unchanged
	ItemVersion       = "version"        // version and expiry of a rewritten role
	ItemRenew         = "renew"          // a new version and expiry only (renew.go)
	ItemLabel         = "label"          // the signed owner label of a listed key changes
)

// ChangeItem is one thing a change does.
type ChangeItem struct {
	// Role is the role whose signers or content the item is about.
	Role string `json:"role"`
	Kind string `json:"kind"`
	// KeyChange marks a change of who may sign (or what they may sign)
	// for a project or a top-level role.
	KeyChange  bool              `json:"key_change"`
	Text       string            `json:"text"`
	Delegation *DelegationChange `json:"delegation,omitempty"`
}

// DelegationChange is the structured form of a delegation item.
type DelegationChange struct {
	Role string `json:"role"`
	// Delegator is the role (or "root") that delegates Role after the
	// change; From the one that delegated it before, when it moves.
	Delegator   string   `json:"delegator"`
	From        string   `json:"from,omitempty"`
	Change      string   `json:"change"` // added, removed, changed, moved, moved-and-changed
	Before      *Signers `json:"before,omitempty"`
	After       *Signers `json:"after,omitempty"`
	KeysAdded   []KeyRef `json:"keys_added,omitempty"`
	KeysRemoved []KeyRef `json:"keys_removed,omitempty"`
	// RemovedNotSigning are the removed (or replaced) keys whose holder
	// has not signed any role of the change.
	RemovedNotSigning []KeyRef `json:"removed_keys_not_signing,omitempty"`
}

// Signers is who may sign a role and what.
type Signers struct {
	Keys        []KeyRef `json:"keys"`
	Threshold   int      `json:"threshold"`
	Paths       []string `json:"paths,omitempty"`
	Terminating bool     `json:"terminating"`
}

// KeyRef names a key.
type KeyRef struct {
	KeyID string `json:"keyid"`
	Label string `json:"label,omitempty"`
	// LabelSigned is true only for a label the current tree's signed
	// metadata carries in the key object (see KeyLabel).
	LabelSigned bool `json:"label_signed"`
	// LabelFrom is "signed" for a label signed in the current tree,
	// "config" for one only the unsigned project config gives, and
	// "request" for one only the request proposes: the requester's word.
	LabelFrom string `json:"label_from,omitempty"`
}

// Summary turns items into lines, key changes first and marked.
func Summary(items []ChangeItem) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		if it.KeyChange {
			out = append(out, "KEY CHANGE: "+it.Text)
		} else {
			out = append(out, it.Text)
		}
	}
	return out
}

// describer holds what naming keys needs.
type describer struct {
	s *Session
	// labels of keys in the current tree (signed, or from the unsigned
	// config), and labels only the change proposes, by keyid
	tree     Labels
	proposed map[string]string
	online   map[string]bool
	after    *state.View
}

func (s *Session) newDescriber(pc *layout.ProjectConfig) *describer {
	d := &describer{s: s, tree: Labels{}, proposed: map[string]string{}, online: map[string]bool{}}
	if pc != nil {
		for _, m := range pc.Maintainers {
			d.proposed[m.KeyID] = m.Name
		}
	}
	// Admin keys are named by the labels root signs in their key objects.
	s.RootLabels(d.tree)
	// The online key is named from root's timestamp role (signed), not
	// from the unsigned config.
	if root, err := s.View.Root(); err == nil {
		if td, err := trust.FromRoot(root, layout.RoleTimestamp); err == nil {
			for _, id := range td.KeyIDs {
				d.online[id] = true
			}
		}
	}
	return d
}

// project reads the labels of a project's keys, in the current tree and
// as the change proposes them.
func (d *describer) project(name string) {
	d.s.ProjectLabels(name, d.tree)
	if d.after == nil {
		return
	}
	if nd, _, err := d.after.Delegation(name); err == nil {
		for _, id := range nd.KeyIDs {
			if l, ok := trust.KeyOwner(nd.Keys[id]); ok {
				d.proposed[id] = l
			}
		}
	}
}

// ref names a key: a label signed in the current tree first; then one the
// change proposes (the requester's word); then the unsigned config's.
func (d *describer) ref(id string) KeyRef {
	r := KeyRef{KeyID: id}
	t, inTree := d.tree[id]
	switch {
	case inTree && t.Signed:
		r.Label, r.LabelSigned, r.LabelFrom = t.Label, true, LabelSigned
	case d.proposed[id] != "":
		r.Label, r.LabelFrom = d.proposed[id], LabelRequest
	case inTree:
		r.Label, r.LabelFrom = t.Label, t.From
	case d.online[id]:
		r.Label, r.LabelSigned, r.LabelFrom = "online key", true, LabelSigned
	}
	return r
}

func (d *describer) refs(ids []string) []KeyRef {
	out := make([]KeyRef, len(ids))
	for i, id := range ids {
		out[i] = d.ref(id)
	}
	return out
}

func (d *describer) signers(t *trust.Delegation) *Signers {
	if t == nil {
		return nil
	}
	return &Signers{Keys: d.refs(t.KeyIDs), Threshold: t.Threshold, Paths: t.Paths, Terminating: t.Terminating}
}

// keyName is "alice (3f9a2c1b0d4e)" for a signed label, `9f3e1a2b3c4d
// (named "carol" by this request)`, `9f3e1a2b3c4d (label "carol",
// unsigned)` or "3f9a2c1b0d4e".
func keyName(r KeyRef) string {
	return LabelName(r.KeyID, KeyLabel{Label: r.Label, Signed: r.LabelSigned, From: r.LabelFrom})
}

func keyNames(rs []KeyRef) string {
	if len(rs) == 0 {
		return "no keys"
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = keyName(r)
	}
	return strings.Join(out, ", ")
}

func (s *Signers) words() string {
	return fmt.Sprintf("%s (%d of %d)", keyNames(s.Keys), s.Threshold, len(s.Keys))
}

// noun is how the signers of a role are called.
func noun(role string) string {
	switch {
	case role == layout.RoleRoot:
		return "root keys"
	case role == layout.RoleTargets:
		return "targets keys"
	case role == layout.RoleSnapshot || role == layout.RoleTimestamp:
		return "signed by"
	case layout.RoleKind(role) == layout.KindIndexRole:
		return "signers"
	default:
		return "maintainers"
	}
}

// DescribeChange says what the proposed roles (and a proposed root) change
// compared with the current tree. after is the tree as if the change were
// applied.
func (s *Session) DescribeChange(after *state.View, root *metadata.Metadata[metadata.RootType], roles map[string]*metadata.Metadata[metadata.TargetsType], pc *layout.ProjectConfig) []ChangeItem {
	if pc == nil {
		if items, ok := s.describeRenewal(root, roles); ok {
			return items
		}
	}
	d := s.newDescriber(pc)
	d.after = after
	if root != nil {
		for id, k := range root.Signed.Keys {
			if l, ok := trust.KeyOwner(k); ok {
				d.proposed[id] = l
			}
		}
		// For a new repository, "online key" names the timestamp role's
		// keys of the root being signed: read from its signed part, not
		// from a label. (A rotation names only the current one so.)
		if _, err := s.View.Root(); err != nil {
			if td, err := trust.FromRoot(root, layout.RoleTimestamp); err == nil {
				for _, id := range td.KeyIDs {
					d.online[id] = true
				}
			}
		}
	}
	var trustItems, other, versions []ChangeItem
	if root != nil {
		t, o, v := d.root(root)
		trustItems, other, versions = append(trustItems, t...), append(other, o...), append(versions, v...)
	}
	for _, name := range sortedRoleNames(roles) {
		m := roles[name]
		var old *metadata.Metadata[metadata.TargetsType]
		if r, err := s.View.Role(name); err == nil {
			old = r.Meta
		}
		switch layout.RoleKind(name) {
		case layout.KindProjectRole:
			d.project(name)
			other = append(other, describeProject(name, old, m)...)
		case layout.KindIndexRole, layout.KindTargets:
			t, o := d.delegations(name, old, m)
			trustItems, other = append(trustItems, t...), append(other, o...)
		}
		ver := fmt.Sprintf("%s: new role, version %d", name, m.Signed.Version)
		if old != nil {
			ver = fmt.Sprintf("%s: version %d → %d", name, old.Signed.Version, m.Signed.Version)
		}
		var oldExp *time.Time
		if old != nil {
			oldExp = &old.Signed.Expires
		}
		exp := expiryWords(oldExp, m.Signed.Expires)
		versions = append(versions, ChangeItem{Role: name, Kind: ItemVersion, Text: ver + exp})
	}
	// A name removed before says what it held (recreate.go).
	trustItems = append(trustItems, s.describeRecreated(roles)...)
	// Key changes first, then the rest of the trust changes, then content.
	sort.SliceStable(trustItems, func(i, j int) bool { return trustItems[i].KeyChange && !trustItems[j].KeyChange })
	out := append(trustItems, other...)
	return append(out, groupIndexVersions(versions)...)
}

// groupIndexVersions tells identical version lines of index roles once
// (init and a targets key rotation rewrite all of them).
func groupIndexVersions(items []ChangeItem) []ChangeItem {
	var out []ChangeItem
	groups := map[string]int{} // text with the role blanked -> index in out
	count := map[int][]string{}
	for _, it := range items {
		if layout.RoleKind(it.Role) != layout.KindIndexRole {
			out = append(out, it)
			continue
		}
		key := strings.Replace(it.Text, it.Role+":", "\x00", 1)
		if i, ok := groups[key]; ok {
			count[i] = append(count[i], it.Role)
			continue
		}
		groups[key] = len(out)
		count[len(out)] = []string{it.Role}
		out = append(out, it)
	}
	for i, roles := range count {
		if len(roles) < 2 {
			continue
		}
		list := strings.Join(roles, ", ")
		if len(roles) > 6 {
			list = strings.Join(roles[:3], ", ") + ", …, " + roles[len(roles)-1]
		}
		out[i].Text = strings.Replace(out[i].Text, roles[0]+":", fmt.Sprintf("index roles %s (%d):", list, len(roles)), 1)
	}
	return out
}

// root compares a proposed root with the current one: per top-level role
// keys and threshold, consistent_snapshot, expiry and version.
func (d *describer) root(m *metadata.Metadata[metadata.RootType]) (trustItems, other, versions []ChangeItem) {
	old, err := d.s.View.Root()
	if err != nil {
		old = nil
	}
	for _, role := range []string{layout.RoleRoot, layout.RoleTargets, layout.RoleSnapshot, layout.RoleTimestamp} {
		nd, nerr := trust.FromRoot(m, role)
		var od *trust.Delegation
		if old != nil {
			od, _ = trust.FromRoot(old, role)
		}
		switch {
		case nerr != nil && od != nil:
			trustItems = append(trustItems, ChangeItem{Role: role, Kind: ItemUndelegated, KeyChange: true,
				Text:       fmt.Sprintf("%s: root no longer lists the role; %s %s can no longer sign it", role, noun(role), d.signers(od).words()),
				Delegation: &DelegationChange{Role: role, Delegator: layout.RoleRoot, Change: "removed", Before: d.signers(od)}})
		case nerr != nil:
		case od == nil:
			trustItems = append(trustItems, ChangeItem{Role: role, Kind: ItemDelegated, KeyChange: true,
				Text:       fmt.Sprintf("%s: %s %s", role, noun(role), d.signers(nd).words()),
				Delegation: &DelegationChange{Role: role, Delegator: layout.RoleRoot, Change: "added", After: d.signers(nd)}})
		default:
			if it, ok := d.changed(role, layout.RoleRoot, "", od, nd); ok {
				trustItems = append(trustItems, it)
			}
		}
	}
	if it, ok := describeRewrite(old, m); ok {
		other = append(other, it)
	}
	if old != nil && old.Signed.ConsistentSnapshot != m.Signed.ConsistentSnapshot {
		other = append(other, ChangeItem{Role: layout.RoleRoot, Kind: ItemRootSetting,
			Text: fmt.Sprintf("root: consistent_snapshot %t → %t", old.Signed.ConsistentSnapshot, m.Signed.ConsistentSnapshot)})
	}
	if old == nil {
		versions = append(versions, ChangeItem{Role: layout.RoleRoot, Kind: ItemVersion,
			Text: fmt.Sprintf("root: new repository, version %d, expires %s", m.Signed.Version, m.Signed.Expires.UTC().Format("2006-01-02"))})
		return
	}
	exp := expiryWords(&old.Signed.Expires, m.Signed.Expires)
	text := fmt.Sprintf("root: version %d → %d%s", old.Signed.Version, m.Signed.Version, exp)
	if len(trustItems) == 0 && len(other) == 0 {
		text = fmt.Sprintf("root: renews expiry only: no other change (version %d → %d%s)", old.Signed.Version, m.Signed.Version, exp)
	}
	versions = append(versions, ChangeItem{Role: layout.RoleRoot, Kind: ItemVersion, Text: text})
	return
}

// changed describes a delegation that exists before and after. from is the
// delegator it moves from, if it moves.
func (d *describer) changed(role, delegator, from string, od, nd *trust.Delegation) (ChangeItem, bool) {
	cmp := trust.Compare(od, nd)
	before, after := d.signers(od), d.signers(nd)
	dc := &DelegationChange{Role: role, Delegator: delegator, From: from, Change: "changed", Before: before, After: after,
		KeysAdded: d.refs(cmp.KeysAdded), KeysRemoved: d.refs(cmp.KeysRemoved)}
	moveWords := ""
	if from != "" {
		dc.Change = "moved"
		moveWords = fmt.Sprintf(" moves from %s to %s;", from, delegator)
		if cmp.Same() {
			return ChangeItem{Role: role, Kind: ItemMoved, Delegation: dc,
				Text: fmt.Sprintf("%s:%s its %s %s, paths and terminating stay exactly the same", role, moveWords, noun(role), after.words())}, true
		}
		dc.Change = "moved-and-changed"
	} else if cmp.Same() {
		return ChangeItem{}, false
	}
	var parts []string
	if cmp.SignersChanged() {
		if len(cmp.KeysKept) == 0 && len(cmp.KeysRemoved) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s replaced by %s", noun(role), before.words(), after.words()))
		} else {
			var what []string
			if len(dc.KeysAdded) > 0 {
				what = append(what, "adds "+keyNames(dc.KeysAdded))
			}
			if len(dc.KeysRemoved) > 0 {
				what = append(what, "removes "+keyNames(dc.KeysRemoved))
			}
			if cmp.ThresholdBefore != cmp.ThresholdAfter {
				what = append(what, fmt.Sprintf("threshold %d → %d", cmp.ThresholdBefore, cmp.ThresholdAfter))
			}
			parts = append(parts, fmt.Sprintf("%s %s → %s: %s", noun(role), before.words(), after.words(), strings.Join(what, "; ")))
		}
	}
	if cmp.ScopeChanged() {
		parts = append(parts, fmt.Sprintf("may sign paths %s (terminating %t), before %s (terminating %t)",
			pathWords(cmp.PathsAfter), cmp.TerminatingAfter, pathWords(cmp.PathsBefore), cmp.TerminatingBefore))
	}
	text := role + ":" + moveWords + " " + strings.Join(parts, "; ")
	if from == "" && layout.RoleKind(role) == layout.KindProjectRole && len(cmp.KeysKept) == 0 && len(cmp.KeysRemoved) > 0 {
		text += " — NONE of the current maintainers stays: the admins alone decide this (recovery of lost keys)"
	}
	kind := ItemSigners
	if !cmp.SignersChanged() {
		kind = ItemScope
	}
	if from != "" {
		kind = ItemMovedChanged
		text += " — a move that also changes the delegation, which verify refuses"
	}
	return ChangeItem{Role: role, Kind: kind, KeyChange: true, Text: text, Delegation: dc}, true
}

// expiryWords is ", expires DATE" or ", expires OLD → NEW", with the time
// of day when the dates alone would read the same.
func expiryWords(old *time.Time, now time.Time) string {
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	if old == nil || old.Equal(now) {
		return ", expires " + day(now)
	}
	if day(*old) == day(now) {
		exact := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
		return fmt.Sprintf(", expires %s → %s", exact(*old), exact(now))
	}
	return fmt.Sprintf(", expires %s → %s", day(*old), day(now))
}

func pathWords(p []string) string {
	if len(p) == 0 {
		return "none"
	}
	return strings.Join(p, ", ")
}

// delegations compares the delegations of a targets or index role.
// Identical changes to several index roles are told once.
func (d *describer) delegations(name string, old, m *metadata.Metadata[metadata.TargetsType]) (trustItems, other []ChangeItem) {
	oldDel := map[string]*trust.Delegation{}
	if old != nil && old.Signed.Delegations != nil {
		for _, r := range old.Signed.Delegations.Roles {
			oldDel[r.Name], _ = trust.FromTargets(old, r.Name)
		}
	}
	// Index roles are signed by the targets keys as they stand after the
	// change (a new root may rotate them).
	var admin *trust.Delegation
	if d.after != nil {
		if root, err := d.after.Root(); err == nil {
			admin, _ = trust.FromRoot(root, layout.RoleTargets)
		}
	} else if root, err := d.s.View.Root(); err == nil {
		admin, _ = trust.FromRoot(root, layout.RoleTargets)
	}
	type group struct {
		roles []string
		item  ChangeItem
	}
	var groups []*group
	byText := map[string]*group{}
	addIndex := func(role string, it ChangeItem) {
		key := strings.ReplaceAll(it.Text, role, "\x00")
		if g, ok := byText[key]; ok {
			g.roles = append(g.roles, role)
			return
		}
		g := &group{roles: []string{role}, item: it}
		byText[key] = g
		groups = append(groups, g)
	}
	newNames := map[string]bool{}
	if m.Signed.Delegations != nil {
		for _, r := range m.Signed.Delegations.Roles {
			newNames[r.Name] = true
			nd, err := trust.FromTargets(m, r.Name)
			if err != nil {
				continue
			}
			isIndex := layout.RoleKind(r.Name) == layout.KindIndexRole
			if !isIndex {
				d.project(r.Name)
			}
			if od := oldDel[r.Name]; od != nil {
				it, ok := d.changed(r.Name, name, "", od, nd)
				switch {
				case !ok:
				case isIndex:
					addIndex(r.Name, it)
				default:
					trustItems = append(trustItems, it)
				}
				continue
			}
			// Not delegated here before: a move, or a new role.
			if od, from, err := d.s.View.Delegation(r.Name); err == nil && from != name {
				it, _ := d.changed(r.Name, name, from, od, nd)
				if it.KeyChange {
					trustItems = append(trustItems, it)
				} else {
					other = append(other, it)
				}
				continue
			}
			after := d.signers(nd)
			dc := &DelegationChange{Role: r.Name, Delegator: name, Change: "added", After: after}
			if isIndex {
				text := fmt.Sprintf("%s: new index role, delegated by %s to %s %s", r.Name, name, noun(r.Name), after.words())
				sameAsAdmins := admin != nil && admin.Threshold == nd.Threshold && slices.Equal(slices.Sorted(slices.Values(admin.KeyIDs)), slices.Sorted(slices.Values(nd.KeyIDs)))
				if sameAsAdmins {
					text += ", the targets keys"
				} else {
					text += ", NOT the targets keys"
				}
				addIndex(r.Name, ChangeItem{Role: r.Name, Kind: ItemDelegated, KeyChange: !sameAsAdmins, Text: text, Delegation: dc})
				continue
			}
			trustItems = append(trustItems, ChangeItem{Role: r.Name, Kind: ItemDelegated, KeyChange: true, Delegation: dc,
				Text: fmt.Sprintf("%s: new project, delegated by %s; %s %s", r.Name, name, noun(r.Name), after.words())})
		}
	}
	for _, g := range groups {
		it := g.item
		if len(g.roles) > 1 {
			list := strings.Join(g.roles, ", ")
			if len(g.roles) > 6 {
				list = strings.Join(g.roles[:3], ", ") + ", …, " + g.roles[len(g.roles)-1]
			}
			it.Text = strings.Replace(it.Text, g.roles[0], fmt.Sprintf("index roles %s (%d)", list, len(g.roles)), 1)
		}
		if it.KeyChange {
			trustItems = append(trustItems, it)
		} else {
			other = append(other, it)
		}
	}
	trustItems = append(trustItems, d.labelChanges(name, old, m)...)
	var gone []string
	for n := range oldDel {
		if !newNames[n] {
			gone = append(gone, n)
		}
	}
	sort.Strings(gone)
	for _, n := range gone {
		od := oldDel[n]
		if layout.RoleKind(n) != layout.KindIndexRole {
			d.project(n)
		}
		if d.after != nil {
			if _, to, err := d.after.Delegation(n); err == nil && to != name {
				continue // it moves: told where it arrives
			}
		}
		dc := &DelegationChange{Role: n, Delegator: name, Change: "removed", Before: d.signers(od)}
		trustItems = append(trustItems, ChangeItem{Role: n, Kind: ItemUndelegated, KeyChange: true, Delegation: dc,
			Text: fmt.Sprintf("%s: no longer delegated (by %s); its %s %s can no longer sign it", n, name, noun(n), dc.Before.words())})
	}
	return trustItems, other
}

// markUnconsented says, on each change that removes or replaces a
// maintainer key, whether that key's holder signed any role of the change:
// "replaces alice's key 33e1c0ffee12; alice has not signed this". A key
// signed a role when its signature on that role's proposed metadata
// verifies (go-tuf), whether or not the key still counts for the role.
func (s *Session) markUnconsented(items []ChangeItem, root *metadata.Metadata[metadata.RootType], roles map[string]*metadata.Metadata[metadata.TargetsType]) {
	signedBy := func(id string, key *metadata.Key) bool {
		if key == nil {
			return false
		}
		one := func(role string, md any, sigs []metadata.Signature) bool {
			d := &trust.Delegation{Role: role, Keys: map[string]*metadata.Key{id: key}, KeyIDs: []string{id}, Threshold: 1}
			return trust.Check(d, md, sigs).Met
		}
		for name, m := range roles {
			if one(name, m, m.Signatures) {
				return true
			}
		}
		return root != nil && one(layout.RoleRoot, root, root.Signatures)
	}
	for i := range items {
		it := &items[i]
		dc := it.Delegation
		if dc == nil || len(dc.KeysRemoved) == 0 || layout.RoleKind(dc.Role) != layout.KindProjectRole || it.Kind == ItemMovedChanged {
			continue
		}
		od, _, err := s.View.Delegation(dc.Role)
		if err != nil {
			continue
		}
		verb := "removes"
		if len(dc.KeysAdded) > 0 {
			verb = "replaces"
		}
		var words []string
		for _, r := range dc.KeysRemoved {
			if signedBy(r.KeyID, od.Keys[r.KeyID]) {
				continue
			}
			dc.RemovedNotSigning = append(dc.RemovedNotSigning, r)
			if r.LabelSigned {
				words = append(words, fmt.Sprintf("%s %s's key %s; %s has not signed this", verb, r.Label, trust.Short(r.KeyID), r.Label))
			} else {
				words = append(words, fmt.Sprintf("%s key %s; its holder has not signed this", verb, keyName(r)))
			}
		}
		if len(words) > 0 {
			it.Text += " — " + strings.Join(words, "; ")
		}
	}
}

// labelChanges tells each key that both the old and the new version of a
// role list and whose signed owner label changes: the label signers will
// be shown from then on, so it is a key change.
func (d *describer) labelChanges(name string, old, m *metadata.Metadata[metadata.TargetsType]) []ChangeItem {
	if old == nil || old.Signed.Delegations == nil || m.Signed.Delegations == nil {
		return nil
	}
	var out []ChangeItem
	for _, id := range slices.Sorted(maps.Keys(m.Signed.Delegations.Keys)) {
		ok, had := old.Signed.Delegations.Keys[id]
		if !had {
			continue
		}
		was, wasSigned := trust.KeyOwner(ok)
		now, isSigned := trust.KeyOwner(m.Signed.Delegations.Keys[id])
		if was == now && wasSigned == isSigned {
			continue
		}
		var users []string
		for _, r := range m.Signed.Delegations.Roles {
			if slices.Contains(r.KeyIDs, id) {
				users = append(users, r.Name)
			}
		}
		of := ""
		if len(users) > 0 {
			of = " (maintainer of " + strings.Join(users, ", ") + ")"
		}
		var text string
		switch {
		case !isSigned:
			text = fmt.Sprintf("%s: drops the signed label %q of key %s%s", name, was, trust.Short(id), of)
		case !wasSigned:
			text = fmt.Sprintf("%s: signs the label %q for key %s%s, proposed by this request", name, now, trust.Short(id), of)
			if t, inTree := d.tree[id]; inTree && !t.Signed && t.Label != now {
				text += fmt.Sprintf(" (the unsigned project config says %q)", t.Label)
			}
		default:
			text = fmt.Sprintf("%s: relabels key %s%s from %q (signed) to %q, proposed by this request", name, trust.Short(id), of, was, now)
		}
		out = append(out, ChangeItem{Role: name, Kind: ItemLabel, KeyChange: true, Text: text})
	}
	return out
}

// sortedRoleNames orders roles from the top of the delegation tree down.
func sortedRoleNames[V any](m map[string]V) []string {
	return slices.SortedFunc(maps.Keys(m), func(a, b string) int { return strings.Compare(layout.RoleOrder(a), layout.RoleOrder(b)) })
}

func describeProject(name string, old, m *metadata.Metadata[metadata.TargetsType]) []ChangeItem {
	var oldT map[string]*metadata.TargetFiles
	if old != nil {
		oldT = old.Signed.Targets
	}
	added := map[string][]string{}
	var yanked, unyanked, reasons, removed []string
	versions := map[string]bool{}
	for p := range oldT {
		_, v, _, _ := layout.ParseTargetPath(p)
		versions[v] = true
	}
	for _, p := range slices.Sorted(maps.Keys(m.Signed.Targets)) {
		tf := m.Signed.Targets[p]
		_, v, f, _ := layout.ParseTargetPath(p)
		o, had := oldT[p]
		if !had {
			added[v] = append(added[v], fmt.Sprintf("%s, %s bytes, sha256 %s…", f, commas(tf.Length), shortHash(tf.Hashes["sha256"])))
			continue
		}
		if !o.Equal(*tf) && (o.Length != tf.Length || !o.Hashes.Equal(tf.Hashes)) {
			removed = append(removed, p+" (CHANGES ITS BYTES)")
		}
		wasY, isY := yankOf(o), yankOf(tf)
		switch {
		case isY != nil && wasY == nil:
			yanked = appendOnce(yanked, v+"\x00"+isY.YankReason)
		case isY == nil && wasY != nil:
			unyanked = appendOnce(unyanked, v)
		case isY != nil && wasY != nil && isY.YankReason != wasY.YankReason:
			reasons = appendOnce(reasons, v+"\x00"+isY.YankReason)
		}
	}
	for p := range oldT {
		if _, ok := m.Signed.Targets[p]; !ok {
			removed = append(removed, p)
		}
	}
	sort.Strings(removed)
	var out []ChangeItem
	add := func(kind, text string) { out = append(out, ChangeItem{Role: name, Kind: kind, Text: text}) }
	vs := slices.Sorted(maps.Keys(added))
	sort.Slice(vs, func(i, j int) bool { return layout.CompareVersions(vs[i], vs[j]) < 0 })
	for _, v := range vs {
		if versions[v] {
			add(ItemRelease, fmt.Sprintf("adds to existing release %s of %s: %s", v, name, strings.Join(added[v], "; ")))
		} else {
			add(ItemRelease, fmt.Sprintf("adds release %s of %s: %s", v, name, strings.Join(added[v], "; ")))
		}
	}
	for _, y := range yanked {
		v, reason, _ := strings.Cut(y, "\x00")
		if reason != "" {
			add(ItemYank, fmt.Sprintf("yanks release %s of %s (reason: %q)", v, name, reason))
		} else {
			add(ItemYank, fmt.Sprintf("yanks release %s of %s", v, name))
		}
	}
	for _, y := range reasons {
		v, reason, _ := strings.Cut(y, "\x00")
		add(ItemYank, fmt.Sprintf("changes the yank reason of release %s of %s to %q", v, name, reason))
	}
	for _, v := range unyanked {
		add(ItemYank, fmt.Sprintf("unyanks release %s of %s", v, name))
	}
	for _, p := range removed {
		add(ItemTargetRemoved, "REMOVES published file "+p)
	}
	if len(out) == 0 {
		add(ItemResign, fmt.Sprintf("re-signs %s with its releases unchanged", name))
	}
	return out
}

func shortHash(h []byte) string {
	s := hex.EncodeToString(h)
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func yankOf(tf *metadata.TargetFiles) *layout.TargetCustom {
	if tf == nil || tf.Custom == nil {
		return nil
	}
	c, err := layout.ParseTargetCustom(*tf.Custom)
	if err != nil || !c.Yanked {
		return nil
	}
	return c
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// describeRewrite says what a new root's acceptance of a rewritten
// history (layout.RewriteField) allows, when it is new in m.
func describeRewrite(old, m *metadata.Metadata[metadata.RootType]) (ChangeItem, bool) {
	nw, err := layout.ParseRewrite(m.Signed.UnrecognizedFields)
	if err != nil {
		return ChangeItem{Role: layout.RoleRoot, Kind: ItemRootSetting,
			Text: fmt.Sprintf("root: carries a malformed %s, which the publisher refuses: %v", layout.RewriteField, err)}, true
	}
	if nw == nil {
		return ChangeItem{}, false
	}
	if old != nil {
		if ow, err := layout.ParseRewrite(old.Signed.UnrecognizedFields); err == nil && ow != nil && *ow == *nw {
			return ChangeItem{}, false
		}
	}
	return ChangeItem{Role: layout.RoleRoot, Kind: ItemRootSetting, KeyChange: true,
		Text: fmt.Sprintf("root: ACCEPTS A REWRITTEN HISTORY: the publisher may publish a branch that no longer contains %s (the commit last published), restarting from %s; every commit after %s is verified as a push from it, and role versions still never go down unless the online key changes",
			nw.Abandons[:12], nw.Base[:12], nw.Base[:12])}, true
}
