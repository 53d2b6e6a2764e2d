package repo

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/trust"
)

// sortedRoleNames orders roles from the top of the delegation tree down.
func sortedRoleNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return layout.RoleOrder(out[i]) < layout.RoleOrder(out[j]) })
	return out
}

// Describe says in words what the proposed roles change compared with the
// current tree. It reads only metadata: what a signer is shown is what
// they sign, never text a requester wrote.
func (s *Session) Describe(roles map[string]*metadata.Metadata[metadata.TargetsType], pc *layout.ProjectConfig) []string {
	labels := Labels{}
	if pc != nil {
		for _, m := range pc.Maintainers {
			labels[m.KeyID] = m.Name
		}
	}
	var out []string
	for _, name := range sortedRoleNames(roles) {
		m := roles[name]
		var old *metadata.Metadata[metadata.TargetsType]
		if r, err := s.View.Role(name); err == nil {
			old = r.Meta
		}
		switch layout.RoleKind(name) {
		case layout.KindProjectRole:
			s.ProjectLabels(name, labels)
			out = append(out, describeProject(name, old, m)...)
		case layout.KindIndexRole, layout.KindTargets:
			out = append(out, s.describeIndex(name, old, m, labels)...)
		}
		ver := fmt.Sprintf("%s: new role, version %d", name, m.Signed.Version)
		if old != nil {
			ver = fmt.Sprintf("%s: version %d → %d", name, old.Signed.Version, m.Signed.Version)
		}
		out = append(out, ver+", expires "+m.Signed.Expires.UTC().Format("2006-01-02"))
	}
	return out
}

func describeProject(name string, old, m *metadata.Metadata[metadata.TargetsType]) []string {
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
	for _, p := range sortedKeys(m.Signed.Targets) {
		tf := m.Signed.Targets[p]
		_, v, f, _ := layout.ParseTargetPath(p)
		o, had := oldT[p]
		if !had {
			added[v] = append(added[v], fmt.Sprintf("%s, %s bytes, sha256 %s…", f, commas(tf.Length), hex.EncodeToString(tf.Hashes["sha256"])[:12]))
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
	var out []string
	vs := sortedKeys(added)
	sort.Slice(vs, func(i, j int) bool { return layout.CompareVersions(vs[i], vs[j]) < 0 })
	for _, v := range vs {
		if versions[v] {
			out = append(out, fmt.Sprintf("adds to existing release %s of %s: %s", v, name, strings.Join(added[v], "; ")))
		} else {
			out = append(out, fmt.Sprintf("adds release %s of %s: %s", v, name, strings.Join(added[v], "; ")))
		}
	}
	for _, y := range yanked {
		v, reason, _ := strings.Cut(y, "\x00")
		if reason != "" {
			out = append(out, fmt.Sprintf("yanks release %s of %s (reason: %q)", v, name, reason))
		} else {
			out = append(out, fmt.Sprintf("yanks release %s of %s", v, name))
		}
	}
	for _, y := range reasons {
		v, reason, _ := strings.Cut(y, "\x00")
		out = append(out, fmt.Sprintf("changes the yank reason of release %s of %s to %q", v, name, reason))
	}
	for _, v := range unyanked {
		out = append(out, fmt.Sprintf("unyanks release %s of %s", v, name))
	}
	for _, p := range removed {
		out = append(out, "REMOVES published file "+p)
	}
	if len(out) == 0 {
		out = append(out, fmt.Sprintf("re-signs %s with its releases unchanged", name))
	}
	return out
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

func (s *Session) describeIndex(name string, old, m *metadata.Metadata[metadata.TargetsType], labels Labels) []string {
	var out []string
	oldDel := map[string]*trust.Delegation{}
	if old != nil && old.Signed.Delegations != nil {
		for _, r := range old.Signed.Delegations.Roles {
			oldDel[r.Name], _ = trust.FromTargets(old, r.Name)
		}
	}
	newNames := map[string]bool{}
	var moved []string
	if m.Signed.Delegations != nil {
		for _, r := range m.Signed.Delegations.Roles {
			newNames[r.Name] = true
			d, _ := trust.FromTargets(m, r.Name)
			od := oldDel[r.Name]
			if layout.RoleKind(r.Name) == layout.KindIndexRole {
				if od == nil {
					out = append(out, fmt.Sprintf("%s delegates new index role %s (%s)", name, r.Name, strings.Join(r.Paths, ", ")))
				}
				continue
			}
			if s.ProjectLabels(r.Name, labels); od == nil {
				if _, _, err := s.View.Delegation(r.Name); err == nil {
					moved = append(moved, r.Name)
					continue
				}
				out = append(out, fmt.Sprintf("creates project %s: maintainers %s; threshold %d of %d", r.Name, names(labels, d.KeyIDs), d.Threshold, len(d.KeyIDs)))
				continue
			}
			for _, id := range d.KeyIDs {
				if !contains(od.KeyIDs, id) {
					out = append(out, fmt.Sprintf("adds maintainer %s to %s (keyid %s)", labels.Name(id), r.Name, id))
				}
			}
			for _, id := range od.KeyIDs {
				if !contains(d.KeyIDs, id) {
					out = append(out, fmt.Sprintf("removes maintainer %s from %s", labels.Name(id), r.Name))
				}
			}
			if d.Threshold != od.Threshold {
				out = append(out, fmt.Sprintf("threshold of %s %d → %d (of %d maintainers)", r.Name, od.Threshold, d.Threshold, len(d.KeyIDs)))
			}
		}
	}
	if len(moved) > 0 {
		out = append(out, fmt.Sprintf("%s takes over the delegation of %d existing project(s), keys unchanged (index split): %s", name, len(moved), strings.Join(moved, ", ")))
	}
	var gone []string
	for n := range oldDel {
		if !newNames[n] {
			gone = append(gone, n)
		}
	}
	sort.Strings(gone)
	if len(gone) > 0 {
		out = append(out, fmt.Sprintf("%s no longer delegates: %s", name, strings.Join(gone, ", ")))
	}
	return out
}

func names(l Labels, ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = l.Name(id)
	}
	return strings.Join(out, ", ")
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func appendOnce(list []string, s string) []string {
	if contains(list, s) {
		return list
	}
	return append(list, s)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
