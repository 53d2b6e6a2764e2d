package repo_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/verify"
)

func reshard(t *testing.T, dir string, k int, ks ...*keys.Key) (*repo.ReshardResult, error) {
	t.Helper()
	s, err := repo.Open(context.Background(), dir, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return s.Reshard(repo.ReshardOptions{Shards: k, Keys: ks})
}

func branchHead(t *testing.T, g *gitstore.Repo) gitstore.Hash {
	t.Helper()
	br, err := g.HeadBranch()
	if err != nil {
		t.Fatal(err)
	}
	h, err := g.Branch(br)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// A reshard from one shard to four, then to sixteen: every project sits
// in its new shard's index with the delegation it had, no project role
// changes by a byte, and the result verifies in full and as a transition.
func TestReshard(t *testing.T) {
	names := repotest.Names(40, 3)
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "repo.git"), repotest.Spec{Names: names, Releases: 1, MaxPerIndex: 2, Now: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]gitstore.Hash{}
	tree, _ := f.Repo.TreeAt(f.Head)
	for _, p := range names {
		e, err := tree.Lookup(layout.RolePath(p))
		if err != nil {
			t.Fatal(err)
		}
		before[p] = e.Hash
	}
	for _, step := range []struct{ k, bits int }{{4, 2}, {16, 4}} {
		old := branchHead(t, f.Repo)
		res, err := reshard(t, f.Dir, step.k, f.Admin)
		if err != nil {
			t.Fatalf("reshard to %d: %v", step.k, err)
		}
		if res.Projects != len(names) || res.ToShards != step.k {
			t.Fatalf("reshard to %d: %+v", step.k, res)
		}
		head := branchHead(t, f.Repo)
		for _, full := range []bool{true, false} {
			var rep *verify.Report
			if full {
				rep, err = verify.Commit(f.Repo, head, verify.Options{Now: time.Now()})
			} else {
				rep, err = verify.Since(f.Repo, old, head, verify.Options{Now: time.Now()})
			}
			if err != nil || !rep.Valid() {
				t.Fatalf("after a reshard to %d (full %v): %v %v", step.k, full, err, rep.Problems)
			}
		}
		tree, _ := f.Repo.TreeAt(head)
		raw, err := tree.ReadFile(layout.ConfigPath, layout.MaxConfigSize)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := layout.ParseConfig(raw)
		if err != nil || cfg.Index.ShardBits != step.bits {
			t.Fatalf("config after a reshard to %d: %+v %v", step.k, cfg, err)
		}
		for _, p := range names {
			e, err := tree.Lookup(layout.RolePath(p))
			if err != nil || e.Hash != before[p] {
				t.Fatalf("project role %s changed in a reshard: %v", p, err)
			}
		}
		// No index role of the old layout is left.
		tree.WalkDir(layout.IndexDir, func(e gitstore.Entry) error {
			le, err := layout.Classify(e.Path)
			if err != nil || le.Kind != layout.KindIndexRole {
				t.Fatalf("%s: %v", e.Path, err)
			}
			if _, err := layout.ParseShardName(layout.RoleShard(le.Role), step.bits); err != nil {
				t.Fatalf("index role %s after a reshard to %d shards: %v", le.Role, step.k, err)
			}
			return nil
		}, func(gitstore.BadName) error { return nil })
	}
}

// What a reshard refuses, leaving the branch where it was.
func TestReshardRefusals(t *testing.T) {
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "repo.git"), repotest.Spec{Names: []string{"hello", "world"}, Releases: 1, ShardBits: 2, Now: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	head := branchHead(t, f.Repo)
	for _, c := range []struct {
		k    int
		keys []*keys.Key
		want string
	}{
		{4, []*keys.Key{f.Admin}, "only raises the count"},
		{2, []*keys.Key{f.Admin}, "only raises the count"},
		{12, []*keys.Key{f.Admin}, "power of two"},
		{16, nil, "no admin key"},
		{16, []*keys.Key{repotest.Key("mallory")}, "not one of the targets keys"},
		{16, []*keys.Key{f.ProjectKeys["hello"][0]}, "not one of the targets keys"},
	} {
		_, err := reshard(t, f.Dir, c.k, c.keys...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("reshard to %d: %v, want %q", c.k, err, c.want)
		}
		if h := branchHead(t, f.Repo); h != head {
			t.Fatalf("a refused reshard moved the branch")
		}
	}
	// Positive control: the admin raises it.
	if _, err := reshard(t, f.Dir, 16, f.Admin); err != nil {
		t.Fatal(err)
	}
}

// An open request blocks a reshard: its index roles would not survive.
func TestReshardWaitsForRequests(t *testing.T) {
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "repo.git"), repotest.Spec{Names: []string{"hello"}, Releases: 1, Now: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := repo.Open(context.Background(), f.Dir, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	// A project creation signed by a key that is not the admin's: a request.
	res, err := s.CreateProject(repo.ProjectCreateOptions{Name: "newproj", Maintainers: []repo.NewMaintainer{{Name: "m1", Key: repotest.Key("m1")}}, Threshold: 1, Key: repotest.Key("m1")})
	s.Close()
	if err != nil || res.RequestID == "" {
		t.Fatalf("a request to create a project: %+v %v", res, err)
	}
	_, err = reshard(t, f.Dir, 4, f.Admin)
	if !errors.Is(err, repo.ErrReshardBusy) || !strings.Contains(err.Error(), res.RequestID) {
		t.Fatalf("reshard with request %s open: %v", res.RequestID, err)
	}
}
