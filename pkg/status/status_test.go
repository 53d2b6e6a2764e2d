package status_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/status"
)

const day = 24 * time.Hour

func byRole(st *status.Status) map[string]status.Role {
	out := map[string]status.Role{}
	for _, r := range st.Roles {
		out[r.Role] = r
	}
	return out
}

func TestStatus(t *testing.T) {
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "repo.git"), repotest.Spec{Projects: 60, MaxPerIndex: 4})
	if err != nil {
		t.Fatal(err)
	}
	get := func(at time.Time, within time.Duration) *status.Status {
		t.Helper()
		st, err := status.Get(status.Options{Repo: f.Repo, Rev: f.Head, Now: at, Within: within})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	// Fresh: every role listed once, nothing due; no online roles before
	// a publish.
	st := get(f.Now, 0)
	if st.Within != "30d" || len(st.Expiring) != 0 || st.Published != nil || len(st.Problems) != 0 {
		t.Fatalf("fresh: within %s, expiring %v, published %v, problems %v", st.Within, st.Expiring, st.Published, st.Problems)
	}
	want := map[string]int{status.KindRoot: 1, status.KindTargets: 1, status.KindIndex: len(f.IndexRoles), status.KindProject: len(f.Projects)}
	for _, k := range st.Kinds {
		if k.Roles != want[k.Kind] || k.Due != 0 || k.Expired != 0 {
			t.Errorf("kind %s: %+v, want %d roles, none due", k.Kind, k, want[k.Kind])
		}
		delete(want, k.Kind)
	}
	if len(want) != 0 || len(st.Roles) != 2+len(f.IndexRoles)+len(f.Projects) {
		t.Fatalf("kinds missing %v; %d roles listed", want, len(st.Roles))
	}
	roles := byRole(st)
	p := f.Projects[0]
	if roles[p].SignedBy != "maintainers of "+p || roles[p].Kind != status.KindProject || roles["targets"].SignedBy != "admins" ||
		roles[f.IndexRoles[0]].SignedBy != "admins" || roles["root"].SignedBy != "admins" {
		t.Errorf("signed_by: %+v %+v %+v", roles[p], roles["targets"], roles[f.IndexRoles[0]])
	}

	// The window decides: 400 days makes every offline role due, none
	// expired: exit 13's case.
	st = get(f.Now, 400*day)
	if len(st.Expiring) != len(st.Roles) || st.Expired() != 0 {
		t.Errorf("400d: %d of %d due, %d expired", len(st.Expiring), len(st.Roles), st.Expired())
	}
	// Past expiry: every role expired.
	st = get(f.Now.Add(366*day), 0)
	if st.Expired() != len(st.Roles) {
		t.Errorf("after a year: %d of %d expired", st.Expired(), len(st.Roles))
	}

	// Published: snapshot and timestamp, online, with their own window.
	if _, err := f.Publish(filepath.Join(t.TempDir(), "mirror"), false); err != nil {
		t.Fatal(err)
	}
	st = get(f.Now, 0)
	roles = byRole(st)
	if st.Published == nil || !st.Published.Current || roles["timestamp"].SignedBy != "online" || roles["snapshot"].Version != 1 {
		t.Fatalf("published: %+v, timestamp %+v, snapshot %+v", st.Published, roles["timestamp"], roles["snapshot"])
	}
	if len(st.Expiring) != 0 {
		t.Errorf("right after a publish, due: %+v", st.Expiring)
	}
	st = get(f.Now.Add(20*time.Hour), 0)
	if len(st.Expiring) != 1 || st.Expiring[0].Role != "timestamp" || st.Expiring[0].Expired {
		t.Errorf("20h after a publish, want the timestamp due (not expired), got %+v", st.Expiring)
	}
	st = get(f.Now.Add(17*time.Hour), 0)
	if len(st.Expiring) != 0 {
		t.Errorf("17h after a publish, want nothing due, got %+v", st.Expiring)
	}

	// 340 days on, one project renewed: it is no longer due; the others
	// are, earliest first, and the online roles have expired.
	later := f.Now.Add(340 * day)
	ch, err := f.Resign(p, func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Expires = later.Add(365 * day) }, f.ProjectKeys[p]...)
	if err != nil {
		t.Fatal(err)
	}
	if f.Head, err = f.Commit("renew "+p, ch); err != nil {
		t.Fatal(err)
	}
	st = get(later, 0)
	roles = byRole(st)
	if roles[p].Due || roles[p].Version != 2 {
		t.Errorf("renewed %s: %+v", p, roles[p])
	}
	if !roles[f.Projects[1]].Due || roles[f.Projects[1]].Expired || !roles["timestamp"].Expired || roles["root"].Renew != "tufgit root update --renew --key ROOT-KEY" {
		t.Errorf("after 340 days: %+v %+v %+v", roles[f.Projects[1]], roles["timestamp"], roles["root"])
	}
	if st.Published.Current {
		t.Error("the record of an older commit reported as current")
	}
	for i := 1; i < len(st.Expiring); i++ {
		if st.Expiring[i].Expires.Before(st.Expiring[i-1].Expires) {
			t.Fatalf("expiring not earliest first at %d: %v", i, st.Expiring)
		}
	}
	if len(st.Expiring) != len(st.Roles)-1 {
		t.Errorf("%d due of %d roles, want all but the renewed one", len(st.Expiring), len(st.Roles))
	}
	if _, err := status.Get(status.Options{Repo: f.Repo, Rev: f.Head, Now: later, Within: -day}); err == nil {
		t.Error("a negative window accepted")
	}
}

// A commit without a root (an init still waiting for signatures) is an
// error, not an empty report.
func TestStatusNoRoot(t *testing.T) {
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "repo.git"), repotest.Spec{Projects: 2})
	if err != nil {
		t.Fatal(err)
	}
	h, err := f.Commit("drop root", gitstore.FileChange{Path: layout.RootPath})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := status.Get(status.Options{Repo: f.Repo, Rev: h, Now: f.Now}); err == nil {
		t.Fatal("status of a tree without root succeeded")
	}
}

var (
	benchMu       sync.Mutex
	benchFixtures = map[int]*repotest.Fixture{}
)

func benchFixture(b *testing.B, projects int) *repotest.Fixture {
	benchMu.Lock()
	defer benchMu.Unlock()
	if f, ok := benchFixtures[projects]; ok {
		return f
	}
	dir, err := os.MkdirTemp("", "tufgit-bench-")
	if err != nil {
		b.Fatal(err)
	}
	f, err := repotest.Generate(filepath.Join(dir, "repo.git"), repotest.Spec{Projects: projects, Releases: 1})
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Pack(); err != nil {
		b.Fatal(err)
	}
	benchFixtures[projects] = f
	return f
}

// BenchmarkStatus: the whole report (every role's version and expiry) on
// a packed repository.
func BenchmarkStatus(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			f := benchFixture(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				st, err := status.Get(status.Options{Repo: f.Repo, Rev: f.Head, Now: f.Now})
				if err != nil || len(st.Roles) < n {
					b.Fatalf("err=%v roles=%d", err, len(st.Roles))
				}
				b.ReportMetric(float64(len(st.Roles)), "roles")
			}
		})
	}
}
