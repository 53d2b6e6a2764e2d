package repo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
	"github.com/tufgit/tufgit/pkg/verify"
)

// A proposed root is described per top-level role: keys added and
// removed, thresholds, consistent_snapshot, expiry; key changes first.
func TestDescribeRootChange(t *testing.T) {
	dir, admin := newRepo(t, 256)
	s, err := repo.Open(context.Background(), dir, now)
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

// A request whose proposed metadata has expired may be pruned by anyone,
// and verify (so the hook) agrees; before it expires, removing it without
// a withdrawal record is refused. The request's new maintainer may
// withdraw it; a stranger may not.
func TestWithdrawExpiredAndEntitled(t *testing.T) {
	dir, admin := newRepo(t, 256)
	alice, bob, eve := repotest.Key("alice"), repotest.Key("bob"), repotest.Key("eve")
	s, err := repo.Open(context.Background(), dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateProject(repo.ProjectCreateOptions{Name: "hello", Threshold: 1, Key: admin,
		Maintainers: []repo.NewMaintainer{{Name: "alice", Key: alice}}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	art := filepath.Join(t.TempDir(), "hello-1.0.tar.gz")
	if err := os.WriteFile(art, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _ = repo.Open(context.Background(), dir, now)
	if _, err := s.AddRelease(repo.ReleaseAddOptions{Project: "hello", Version: "1.0", Files: []string{art}, Key: alice}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, _ = repo.Open(context.Background(), dir, now)
	res, err := s.ChangeMaintainers(repo.MaintainerChange{Project: "hello", Add: &repo.NewMaintainer{Name: "bob", Key: bob}, Key: alice})
	s.Close()
	if err != nil || res.RequestID == "" {
		t.Fatalf("maintainer add: %v %+v", err, res)
	}
	id := res.RequestID

	// Not expired: a key is needed, and it must be entitled.
	s, _ = repo.Open(context.Background(), dir, now)
	if _, err := s.Withdraw(repo.WithdrawOptions{ID: id}); !errors.Is(err, repo.ErrNeedsKey) {
		t.Errorf("keyless withdraw of a live request: %v, want ErrNeedsKey", err)
	}
	if _, err := s.Withdraw(repo.WithdrawOptions{ID: id, Key: eve}); !errors.Is(err, repo.ErrNotAuthorized) {
		t.Errorf("withdraw by a stranger: %v, want ErrNotAuthorized", err)
	}
	s.Close()
	// Who may: alice and the admins (they sign it), and bob, whom it adds.
	g, _ := gitstore.Open(dir)
	head, _ := g.Branch("main")
	tree, _ := g.TreeAt(head)
	p, errs := verify.ReadProposal(tree, id)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ent := verify.EntitledKeys(p, state.New(tree))
	for _, k := range []*keys.Key{alice, bob, admin} {
		if _, ok := ent[k.ID]; !ok {
			t.Errorf("%s may not withdraw the request", k.Ref)
		}
	}
	if _, ok := ent[eve.ID]; ok || len(ent) != 3 {
		t.Errorf("entitled keys: %d, eve among them: %v", len(ent), ok)
	}

	// Past the proposed expiry anyone may prune it, and verify agrees.
	later := now.AddDate(2, 0, 0)
	s, err = repo.Open(context.Background(), dir, later)
	if err != nil {
		t.Fatal(err)
	}
	old := s.Head
	wr, err := s.Withdraw(repo.WithdrawOptions{ID: id})
	s.Close()
	if err != nil || !strings.Contains(wr.Pruned, "expired") {
		t.Fatalf("prune of an expired request: %v %+v", err, wr)
	}
	head, _ = g.Branch("main")
	for _, c := range []struct {
		at    time.Time
		valid bool
	}{{later, true}, {now, false}} {
		rep, err := verify.Since(g, old, head, verify.Options{Now: c.at})
		if err != nil {
			t.Fatal(err)
		}
		refused := false
		for _, p := range rep.Problems {
			refused = refused || strings.Contains(p.Message, "was removed without a signed withdrawal")
		}
		if refused == c.valid {
			t.Errorf("removal judged at %s: refused=%v, problems %v", c.at.Format("2006-01-02"), refused, rep.Problems)
		}
	}
}

// How a key is named depends on who signed its label: a signed label
// first, an unsigned or proposed one after the keyid, marked.
func TestLabelName(t *testing.T) {
	id := "33e1c0ffee1234567890abcdef33e1c0ffee1234567890abcdef33e1c0ffee12"
	for _, c := range []struct {
		l    repo.KeyLabel
		want string
	}{
		{repo.KeyLabel{Label: "alice", Signed: true, From: repo.LabelSigned}, "alice (33e1c0ffee12)"},
		{repo.KeyLabel{Label: "alice", From: repo.LabelConfig}, `33e1c0ffee12 (label "alice", unsigned)`},
		{repo.KeyLabel{Label: "alice", From: repo.LabelRequest}, `33e1c0ffee12 (named "alice" by this request)`},
		// Signed false wins over a From that says signed.
		{repo.KeyLabel{Label: "alice", From: repo.LabelSigned}, `33e1c0ffee12 (label "alice", unsigned)`},
		{repo.KeyLabel{}, "33e1c0ffee12"},
	} {
		if got := repo.LabelName(id, c.l); got != c.want {
			t.Errorf("LabelName(%+v) = %s; want %s", c.l, got, c.want)
		}
	}
}
