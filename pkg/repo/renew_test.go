package repo_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/trust"
)

// renewFixture: a repository with hello (maintainer alice, one release)
// and world (no release, so no role file).
func renewFixture(t *testing.T) (dir string, admin, alice *keys.Key) {
	dir, admin = newRepo(t, 256)
	alice = repotest.Key("alice")
	change := func(do func(s *repo.Session) error) {
		s, err := repo.Open(context.Background(), dir, now)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := do(s); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"hello", "world"} {
		change(func(s *repo.Session) error {
			_, err := s.CreateProject(repo.ProjectCreateOptions{Name: n, Threshold: 1, Key: admin, Maintainers: []repo.NewMaintainer{{Name: "alice", Key: alice}}})
			return err
		})
	}
	change(func(s *repo.Session) error {
		_, err := s.AddRelease(repo.ReleaseAddOptions{Project: "hello", Version: "1.0.0", Files: []string{writeFile(t, "hello-1.0.0.tar.gz", "x")}, Key: alice})
		return err
	})
	return dir, admin, alice
}

// Renewing changes version and expiry and nothing else, signers are told
// so, and the result verifies.
func TestRenew(t *testing.T) {
	dir, admin, alice := renewFixture(t)
	later := now.Add(300 * 24 * time.Hour)
	s, err := repo.Open(context.Background(), dir, later)
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]int64{}
	for _, n := range []string{"targets", "idx_h", "idx_w", "idx_0"} {
		r, err := s.View.Role(n)
		if err != nil {
			t.Fatal(err)
		}
		before[n] = r.Meta.Signed.Version
	}
	res, err := s.Renew(repo.RenewOptions{Roles: []string{"index", "targets", "index"}, Key: admin})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !res.Applied {
		t.Fatalf("an admin key alone did not apply the renewal of admin roles: %+v", res.Signed)
	}
	if len(res.Signed) != 37 {
		t.Errorf("renewed %d roles, want targets and 36 index roles once each", len(res.Signed))
	}
	text := strings.Join(res.Summary, "\n")
	for _, want := range []string{"targets: renews expiry only: no other change (expires 2027-11-25 → 2028-09-20)",
		"index roles idx_0, idx_1, idx_2, …, idx_z (36): renews expiry only: no other change (expires 2027-11-25 → 2028-09-20)"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "KEY CHANGE") || strings.Contains(text, "version ") {
		t.Errorf("a renewal described as more:\n%s", text)
	}
	mustVerify(t, dir)

	s, err = repo.Open(context.Background(), dir, later)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for n, v := range before {
		r, err := s.View.Role(n)
		if err != nil {
			t.Fatal(err)
		}
		if r.Meta.Signed.Version != v+1 {
			t.Errorf("%s: version %d, want %d", n, r.Meta.Signed.Version, v+1)
		}
		if want := later.Add(365 * 24 * time.Hour); !r.Meta.Signed.Expires.Equal(want) {
			t.Errorf("%s: expires %s, want %s", n, r.Meta.Signed.Expires, want)
		}
	}

	// A maintainer's public key: a request of kind renew, with --expires.
	pub := *alice
	pub.Signer = nil
	res, err = s.Renew(repo.RenewOptions{Roles: []string{"Hello"}, Expires: 730 * 24 * time.Hour, Key: &pub})
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied || !strings.HasPrefix(res.RequestID, "hello-") {
		t.Fatalf("want a request for hello, got applied=%v id=%q", res.Applied, res.RequestID)
	}
	s.Close()
	s, err = repo.Open(context.Background(), dir, later)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.ShowRequest(res.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != layout.KindRenew || len(info.Problems) != 0 {
		t.Fatalf("kind %q, problems %v", info.Kind, info.Problems)
	}
	if want := "hello: renews expiry only: no other change (expires 2027-11-25 → 2029-09-20)"; len(info.Summary) != 1 || info.Summary[0] != want {
		t.Errorf("summary %q, want %q", info.Summary, want)
	}
	if _, err := s.Sign(repo.SignOptions{ID: res.RequestID, Key: alice}); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, dir)
}

// What renew refuses, each with its own error.
func TestRenewRefuses(t *testing.T) {
	dir, admin, _ := renewFixture(t)
	s, err := repo.Open(context.Background(), dir, now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	head := s.Head
	cases := []struct {
		roles   []string
		expires time.Duration
		want    error
		text    string
	}{
		{[]string{"targets", "root"}, 0, repo.ErrRenewRoot, "tufgit root update --renew"},
		{[]string{"timestamp"}, 0, repo.ErrRenewOnline, "publish --refresh"},
		{[]string{"snapshot"}, 0, repo.ErrRenewOnline, ""},
		{[]string{"targets"}, 12 * time.Hour, repo.ErrBadExpiry, "outside 1d … 1825d"},
		{[]string{"targets"}, 6 * 365 * 24 * time.Hour, repo.ErrBadExpiry, ""},
		{[]string{"nosuch"}, 0, repo.ErrUnknownProject, ""},
		{[]string{"world"}, 0, repo.ErrNothingToDo, "no signed role yet"},
		{[]string{"idx_zz"}, 0, repo.ErrUnknownRole, ""},
		{[]string{"hello"}, 0, repo.ErrNotAuthorized, "who may: alice"},
	}
	for _, c := range cases {
		_, err := s.Renew(repo.RenewOptions{Roles: c.roles, Expires: c.expires, Key: admin})
		if !errors.Is(err, c.want) || !strings.Contains(fmtErr(err), c.text) {
			t.Errorf("renew %v (expires %s): got %v, want %v containing %q", c.roles, c.expires, err, c.want, c.text)
		}
	}
	var ne *layout.NameError
	for _, bad := range []string{"../x", "idx_/", "idx_../x", "hello world", "", "\x00"} {
		if _, err := s.Renew(repo.RenewOptions{Roles: []string{bad}, Key: admin}); err == nil {
			t.Errorf("renew %q accepted", bad)
		} else if bad != "" && !errors.As(err, &ne) {
			t.Errorf("renew %q: %v, want a name error", bad, err)
		}
	}
	if _, err := s.Renew(repo.RenewOptions{Key: admin}); err == nil {
		t.Error("renew of no role accepted")
	}
	if s.Head != head {
		t.Error("a refused renewal moved the branch")
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A change is told as a renewal only when every role in it merely
// renews: a maintainer change re-signs the project role (the same
// releases) but also changes the index role, and is told as such.
func TestDescribeRenewalOnlyWhenNothingElse(t *testing.T) {
	dir, admin, alice := renewFixture(t)
	_ = admin
	s, err := repo.Open(context.Background(), dir, now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bob := repotest.Key("bob")
	res, err := s.ChangeMaintainers(repo.MaintainerChange{Project: "hello", Add: &repo.NewMaintainer{Name: "bob", Key: bob}, Key: alice})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(res.Summary, "\n")
	if strings.Contains(text, "renews expiry only") {
		t.Errorf("a maintainer change told as a renewal:\n%s", text)
	}
	if !strings.Contains(text, "re-signs hello with its releases unchanged") || !strings.Contains(text, "KEY CHANGE: hello: maintainers") {
		t.Errorf("maintainer change not described:\n%s", text)
	}
	_ = trust.Short
}
