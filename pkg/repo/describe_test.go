package repo_test

import (
	"strings"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/trust"
)

// A proposed root is described per top-level role: keys added and
// removed, thresholds, consistent_snapshot, expiry; key changes first.
func TestDescribeRootChange(t *testing.T) {
	dir, admin := newRepo(t, 256)
	s, err := repo.Open(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cur, err := s.View.Root()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := repo.EncodeMetadata(cur)
	if err != nil {
		t.Fatal(err)
	}
	m, err := metadata.Root().FromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	second, online2 := repotest.Key("admin2"), repotest.Key("online2")
	m.Signed.Keys[second.ID] = second.Public
	m.Signed.Keys[online2.ID] = online2.Public
	m.Signed.Roles[layout.RoleRoot].KeyIDs = append(m.Signed.Roles[layout.RoleRoot].KeyIDs, second.ID)
	m.Signed.Roles[layout.RoleRoot].Threshold = 2
	oldOnline := m.Signed.Roles[layout.RoleTimestamp].KeyIDs[0]
	m.Signed.Roles[layout.RoleTimestamp].KeyIDs = []string{online2.ID}
	m.Signed.ConsistentSnapshot = false
	m.Signed.Version++
	m.Signed.Expires = m.Signed.Expires.AddDate(1, 0, 0)

	items := s.DescribeChange(nil, m, nil, nil)
	lines := repo.Summary(items)
	text := strings.Join(lines, "\n")
	want := []string{
		"KEY CHANGE: root: root keys " + trust.Short(admin.ID) + " (1 of 1) → " + trust.Short(admin.ID) + ", " + trust.Short(second.ID) + " (2 of 2): adds " + trust.Short(second.ID) + "; threshold 1 → 2",
		"KEY CHANGE: timestamp: signed by online key (" + trust.Short(oldOnline) + ") (1 of 1) replaced by " + trust.Short(online2.ID) + " (1 of 1)",
		"root: consistent_snapshot true → false",
		"root: version 1 → 2, expires 2027-11-25 → 2028-11-25",
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("summary lacks %q:\n%s", w, text)
		}
	}
	// Unchanged roles are not mentioned; key changes come first.
	if strings.Contains(text, "targets:") || strings.Contains(text, "snapshot:") {
		t.Errorf("unchanged roles described:\n%s", text)
	}
	seenOther := false
	for _, it := range items {
		if !it.KeyChange {
			seenOther = true
		} else if seenOther {
			t.Errorf("key change %q after other changes:\n%s", it.Text, text)
		}
	}
	// The structured form names the keys.
	var ts *repo.DelegationChange
	for _, it := range items {
		if it.Role == layout.RoleTimestamp {
			ts = it.Delegation
		}
	}
	if ts == nil || len(ts.KeysAdded) != 1 || ts.KeysAdded[0].KeyID != online2.ID || len(ts.KeysRemoved) != 1 || ts.KeysRemoved[0].Label != "online key" {
		t.Errorf("timestamp delegation change = %+v", ts)
	}
	// Nothing changed: nothing but the version line.
	same, _ := metadata.Root().FromBytes(raw)
	same.Signed.Version++
	items = s.DescribeChange(nil, same, nil, nil)
	if len(items) != 1 || items[0].Kind != repo.ItemVersion {
		t.Errorf("an unchanged root is described as %v", repo.Summary(items))
	}
}
