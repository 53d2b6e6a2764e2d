package repo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/atomicfile"
	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/verify"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func newRepo(t *testing.T, maxProjects int) (string, *keys.Key) {
	t.Helper()
	t.Setenv("GIT_AUTHOR_NAME", "Test")
	t.Setenv("GIT_AUTHOR_EMAIL", "test@example.org")
	dir := filepath.Join(t.TempDir(), "repo")
	admin := repotest.Key("admin")
	online := repotest.Key("online")
	online.Signer = nil
	if _, err := repo.Init(context.Background(), repo.InitOptions{Dir: dir, RootKeys: []*keys.Key{admin}, RootThreshold: 1,
		TargetsKeys: []*keys.Key{admin}, TargetsThreshold: 1, OnlineKey: online, Now: now}); err != nil {
		t.Fatal(err)
	}
	// Lower the split size (an unsigned config change: it decides only
	// how the admins lay out what they sign).
	g, err := gitstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := g.Branch("main")
	tree, _ := g.TreeAt(head)
	raw, _ := tree.ReadFile(layout.ConfigPath, layout.MaxConfigSize)
	cfg, err := layout.ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Index.MaxProjects = maxProjects
	raw, _ = layout.EncodeFile(cfg)
	ch := []gitstore.FileChange{{Path: layout.ConfigPath, Data: raw}}
	th, _ := g.BuildTree(tree, ch)
	c, err := g.CommitTree(gitstore.CommitOptions{Parent: head, Tree: th, Message: "config", Author: gitstore.Signature{Name: "t", Email: "t@t"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = c
	if err := g.WriteWorkTree(ch, true); err != nil {
		t.Fatal(err)
	}
	return dir, admin
}

func mustVerify(t *testing.T, dir string) *verify.Report {
	t.Helper()
	g, err := gitstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := g.Branch("main")
	rep, err := verify.Commit(g, head, verify.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Errorf("problem: %s", p)
	}
	return rep
}

// Creating projects past index.max_projects splits the index role by the
// next character, and every commit on the way verifies, both fully and as
// a transition.
func TestCreateProjectsSplitsIndex(t *testing.T) {
	dir, admin := newRepo(t, 2)
	alice := repotest.Key("alice")
	names := []string{"hello", "help", "helium", "hyper", "h", "he", "hel", "hello-world", "hx"}
	for i, n := range names {
		s, err := repo.Open(context.Background(), dir, now)
		if err != nil {
			t.Fatal(err)
		}
		old := s.Head
		res, err := s.CreateProject(repo.ProjectCreateOptions{Name: n, Threshold: 1, Key: admin,
			Maintainers: []repo.NewMaintainer{{Name: "alice", Key: alice}}})
		s.Close()
		if err != nil {
			t.Fatalf("create %s: %v", n, err)
		}
		if !res.Applied {
			t.Fatalf("create %s: not applied", n)
		}
		rep := mustVerify(t, dir)
		if rep.Stats.Projects != i+1 {
			t.Fatalf("after %s: %d projects delegated, want %d", n, rep.Stats.Projects, i+1)
		}
		g, _ := gitstore.Open(dir)
		head, _ := g.Branch("main")
		srep, err := verify.Since(g, old, head, verify.Options{Now: now})
		if err != nil || !srep.Valid() {
			t.Fatalf("after %s: since: %v %v", n, err, srep.Problems)
		}
	}
	s, err := repo.Open(context.Background(), dir, now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ps, err := s.ListProjects()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != len(names) {
		t.Fatalf("listed %d projects, want %d", len(ps), len(names))
	}
	byIndex := map[string]int{}
	for _, p := range ps {
		byIndex[p.Index]++
		if want, _ := s.View.IndexFor(p.Name); want != p.Index {
			t.Errorf("%s listed under %s, resolves to %s", p.Name, p.Index, want)
		}
	}
	for idx, n := range byIndex {
		if n > 2 {
			t.Errorf("%s delegates %d projects, more than max_projects=2", idx, n)
		}
	}
	if len(byIndex) < 4 {
		t.Errorf("expected the index to split into several roles, got %v", byIndex)
	}
	// A release in a project that moved during a split still works.
	res, err := s.AddRelease(repo.ReleaseAddOptions{Project: "hello", Version: "1.0.0", Files: []string{writeFile(t, "hello-1.0.0.tar.gz", "x")}, Key: alice})
	if err != nil || !res.Applied {
		t.Fatalf("release after split: %v", err)
	}
	mustVerify(t, dir)
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := writeAll(p, content); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeAll(p, content string) error {
	return atomicfile.Write(p, []byte(content), 0o644)
}

// Versions order by SemVer precedence in listings.
func TestReleasesOrder(t *testing.T) {
	dir, admin := newRepo(t, 256)
	alice := repotest.Key("alice")
	s, err := repo.Open(context.Background(), dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateProject(repo.ProjectCreateOptions{Name: "hello", Threshold: 1, Key: admin, Maintainers: []repo.NewMaintainer{{Name: "alice", Key: alice}}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, v := range []string{"1.10.0", "1.2.0", "1.2.0-rc.1", "1.2.0-alpha", "0.9", "2.0.0+build.7"} {
		s, err := repo.Open(context.Background(), dir, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddRelease(repo.ReleaseAddOptions{Project: "hello", Version: v, Files: []string{writeFile(t, "hello.tar.gz", v)}, Key: alice}); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	s, _ = repo.Open(context.Background(), dir, now)
	defer s.Close()
	p, err := s.ShowProject("hello")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range p.Releases {
		got = append(got, r.Version)
	}
	want := []string{"0.9", "1.2.0-alpha", "1.2.0-rc.1", "1.2.0", "1.10.0", "2.0.0+build.7"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("releases %v, want %v", got, want)
	}
	mustVerify(t, dir)
}

// A request for a project that the admins removed meanwhile can not be
// signed: its role is no longer delegated.
func TestSignRequestForDeletedProject(t *testing.T) {
	dir, admin := newRepo(t, 256)
	alice, bob := repotest.Key("alice"), repotest.Key("bob")
	s, err := repo.Open(context.Background(), dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateProject(repo.ProjectCreateOptions{Name: "hello", Threshold: 2, Key: admin,
		Maintainers: []repo.NewMaintainer{{Name: "alice", Key: alice}, {Name: "bob", Key: bob}}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, _ = repo.Open(context.Background(), dir, now)
	res, err := s.AddRelease(repo.ReleaseAddOptions{Project: "hello", Version: "1.0.0", Files: []string{writeFile(t, "hello.tar.gz", "x")}, Key: alice})
	s.Close()
	if err != nil || res.Applied {
		t.Fatalf("release: %v applied=%v", err, res != nil && res.Applied)
	}
	// The admins remove hello: a signed index role without it, and no config.
	g, _ := gitstore.Open(dir)
	head, _ := g.Branch("main")
	tree, _ := g.TreeAt(head)
	raw, _ := tree.ReadFile(layout.RolePath("idx_h"), layout.MaxTargetsSize)
	m, err := metadata.Targets().FromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	m.Signed.Delegations.Roles = nil
	m.Signed.Delegations.Keys = map[string]*metadata.Key{}
	m.Signed.Version++
	m.Signatures = nil
	if err := repo.Sign(m, admin); err != nil {
		t.Fatal(err)
	}
	raw, _ = repo.EncodeMetadata(m)
	changes := []gitstore.FileChange{{Path: layout.RolePath("idx_h"), Data: raw}, {Path: layout.ProjectConfigPath("hello")}}
	th, _ := g.BuildTree(tree, changes)
	if _, err := g.CommitTree(gitstore.CommitOptions{Parent: head, Tree: th, Message: "remove hello", Author: gitstore.Signature{Name: "a", Email: "a@a"}}); err != nil {
		t.Fatal(err)
	}
	if err := g.WriteWorkTree(changes, true); err != nil {
		t.Fatal(err)
	}
	s, _ = repo.Open(context.Background(), dir, now)
	defer s.Close()
	_, err = s.Sign(repo.SignOptions{ID: res.RequestID, Key: bob})
	if err == nil || !strings.Contains(err.Error(), "no longer delegated") {
		t.Fatalf("sign after delete: err = %v, want 'no longer delegated'", err)
	}
	after, _ := g.Branch("main")
	if after == head {
		t.Fatal("setup commit missing")
	}
	if h, _ := g.Branch("main"); h != after {
		t.Fatal("a refused sign moved the branch")
	}
}

// TestInitVerifiesBeforeCommitting: init runs the full verification before
// any branch points at its commit. A signer whose signatures do not match
// the public key it claims (a broken KMS key, a mismatched key file) leaves
// no repository behind, in a new directory or in an existing empty one.
func TestInitVerifiesBeforeCommitting(t *testing.T) {
	t.Setenv("GIT_AUTHOR_NAME", "Test")
	t.Setenv("GIT_AUTHOR_EMAIL", "test@example.org")
	online := repotest.Key("online")
	online.Signer = nil
	admin := repotest.Key("admin")
	// The public part of admin, the signer of another key: every signature
	// it makes is "by admin" and does not verify.
	forged := *repotest.Key("admin")
	forged.Signer = repotest.Key("mallory").Signer
	for _, tc := range []struct {
		name          string
		root, targets *keys.Key
	}{{"root signer", &forged, admin}, {"targets signer", admin, &forged}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, existing := range []bool{false, true} {
				dir := filepath.Join(t.TempDir(), "repo")
				if existing {
					if err := os.Mkdir(dir, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				_, err := repo.Init(context.Background(), repo.InitOptions{Dir: dir, RootKeys: []*keys.Key{tc.root}, RootThreshold: 1,
					TargetsKeys: []*keys.Key{tc.targets}, TargetsThreshold: 1, OnlineKey: online, Now: now})
				var inv *repo.InvalidInitError
				if !errors.As(err, &inv) || !strings.Contains(err.Error(), "would not verify, so nothing was created") {
					t.Fatalf("Init with a bad signer = %v, want an InvalidInitError", err)
				}
				bad := false
				for _, p := range inv.Problems {
					bad = bad || (p.Code == verify.CodeThreshold && strings.Contains(p.Message, "has 0 valid signature(s)"))
				}
				if !bad {
					t.Fatalf("Init with a bad signer: no unmet threshold among %v", inv.Problems)
				}
				entries, statErr := os.ReadDir(dir)
				switch {
				case existing && (statErr != nil || len(entries) != 0):
					t.Errorf("Init left %v in the existing directory (%v)", entries, statErr)
				case !existing && !errors.Is(statErr, os.ErrNotExist):
					t.Errorf("Init left the directory behind: %v %v", entries, statErr)
				}
			}
		})
	}

	// Positive control: the honest keys make a repository that verifies.
	dir := filepath.Join(t.TempDir(), "repo")
	res, err := repo.Init(context.Background(), repo.InitOptions{Dir: dir, RootKeys: []*keys.Key{admin}, RootThreshold: 1,
		TargetsKeys: []*keys.Key{admin}, TargetsThreshold: 1, OnlineKey: online, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gitstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, err := g.Branch(gitstore.DefaultBranch)
	if err != nil || head.String() != res.Commit {
		t.Fatalf("main = %s (%v), want %s", head, err, res.Commit)
	}
	rep, err := verify.Commit(g, head, verify.Options{Now: now})
	if err != nil || !rep.Valid() {
		t.Fatalf("verify after init: %v %+v", err, rep)
	}
}
