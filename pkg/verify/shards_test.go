package verify_test

import (
	"strings"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

// A sharded repository (issue #13) verifies, fully and as a transition;
// every project sits in an index role of its own shard.
func TestShardedRepositoryIsValid(t *testing.T) {
	f := gen(t, repotest.Spec{Projects: 80, MaxPerIndex: 2, Releases: 2, ShardBits: 2})
	rep := full(t, f)
	wantValid(t, rep)
	if rep.Stats.Projects != 80 {
		t.Fatalf("%d projects delegated, want 80", rep.Stats.Projects)
	}
	shards := map[string]bool{}
	for _, p := range f.Projects {
		idx := f.IndexOf(p)
		if want := layout.ProjectShard(p, 2); layout.RoleShard(idx) != want {
			t.Errorf("%s is delegated by %s, want shard %s", p, idx, want)
		}
		shards[layout.RoleShard(idx)] = true
	}
	if len(shards) != 4 {
		t.Errorf("projects fill %d shards, want 4", len(shards))
	}
	// An honest release in one shard: the transition check passes.
	old := f.Head
	p := f.Projects[0]
	ch := resign(t, f, p, func(m *metadata.Metadata[metadata.TargetsType]) {}, f.ProjectKeys[p]...)
	if _, err := f.Commit("re-sign", ch); err != nil {
		t.Fatal(err)
	}
	wantValid(t, since(t, f, old))
}

// What an attacker holding the git server (but no admin key) or an admin
// making a mistake could do to the shard layout, each refused by the full
// check and by the transition check the hook runs.
func TestShardLayoutMutationsAreReported(t *testing.T) {
	base := gen(t, repotest.Spec{Projects: 40, MaxPerIndex: 256, ShardBits: 2})
	var p, wrong string
	for _, n := range base.Projects {
		p = n
		break
	}
	own := base.IndexOf(p)
	for _, s := range layout.ShardNames(2) {
		if s != layout.RoleShard(own) {
			wrong = layout.IndexRoleID(s, p[:1])
			break
		}
	}
	cfgWith := func(f *repotest.Fixture, bits int) gitstore.FileChange {
		cfg, err := layout.ParseConfig(readRaw(t, f, layout.ConfigPath))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Index.ShardBits = bits
		raw, _ := layout.EncodeFile(cfg)
		return gitstore.FileChange{Path: layout.ConfigPath, Data: raw}
	}
	cases := []struct {
		name       string
		change     func(f *repotest.Fixture) []gitstore.FileChange
		code, path string
		msg        string
	}{
		{"unsigned config says other bits", func(f *repotest.Fixture) []gitstore.FileChange {
			return []gitstore.FileChange{cfgWith(f, 3)}
		}, "layout", layout.ShardMapPath, "not the shard map tufgit publishes for index.shard_bits 3"},
		{"unsigned config says one shard", func(f *repotest.Fixture) []gitstore.FileChange {
			return []gitstore.FileChange{cfgWith(f, 0)}
		}, "layout", layout.ShardMapPath, "single-shard repository"},
		{"shard map edited", func(f *repotest.Fixture) []gitstore.FileChange {
			raw := strings.Replace(string(readRaw(t, f, layout.ShardMapPath)), `"targets/"`, `"other/"`, 1)
			return []gitstore.FileChange{{Path: layout.ShardMapPath, Data: []byte(raw)}}
		}, "layout", layout.ShardMapPath, "not the shard map"},
		{"shard map deleted", func(f *repotest.Fixture) []gitstore.FileChange {
			return []gitstore.FileChange{{Path: layout.ShardMapPath, Data: nil}}
		}, "missing", layout.ShardMapPath, "shard map is missing"},
		{"targets drops the shard map", func(f *repotest.Fixture) []gitstore.FileChange {
			return []gitstore.FileChange{resign(t, f, layout.RoleTargets, func(m *metadata.Metadata[metadata.TargetsType]) {
				delete(m.Signed.Targets, layout.ShardMapTarget)
			}, f.Admin)}
		}, "missing", layout.TargetsPath, "does not list _tufgit/shards.json"},
		{"targets lists another target", func(f *repotest.Fixture) []gitstore.FileChange {
			return []gitstore.FileChange{resign(t, f, layout.RoleTargets, func(m *metadata.Metadata[metadata.TargetsType]) {
				tf, _ := metadata.TargetFile().FromBytes("_tufgit/x", []byte("x"), "sha256", "sha512")
				m.Signed.Targets["_tufgit/x"] = tf
			}, f.Admin)}
		}, "delegation", layout.TargetsPath, "lists target _tufgit/x"},
		{"project delegated in another shard", func(f *repotest.Fixture) []gitstore.FileChange {
			// Even signed by the admins: a client computes the shard
			// and would never find it there.
			var dr metadata.DelegatedRole
			var keys map[string]*metadata.Key
			c1 := resign(t, f, own, func(m *metadata.Metadata[metadata.TargetsType]) {
				kept := m.Signed.Delegations.Roles[:0]
				for _, r := range m.Signed.Delegations.Roles {
					if r.Name == p {
						dr = r
						continue
					}
					kept = append(kept, r)
				}
				m.Signed.Delegations.Roles = kept
				keys = m.Signed.Delegations.Keys
			}, f.Admin)
			c2 := resign(t, f, wrong, func(m *metadata.Metadata[metadata.TargetsType]) {
				if m.Signed.Delegations == nil {
					m.Signed.Delegations = &metadata.Delegations{Keys: map[string]*metadata.Key{}}
				}
				for _, id := range dr.KeyIDs {
					m.Signed.Delegations.Keys[id] = keys[id]
				}
				m.Signed.Delegations.Roles = append(m.Signed.Delegations.Roles, dr)
			}, f.Admin)
			return []gitstore.FileChange{c1, c2}
		}, "delegation", layout.RolePath(wrong), "belongs in shard " + layout.ProjectShard(p, 2)},
		{"a shard's index role deleted", func(f *repotest.Fixture) []gitstore.FileChange {
			return []gitstore.FileChange{{Path: layout.RolePath(layout.IndexRoleID("3", "z")), Data: nil}}
		}, "missing", layout.RolePath(layout.IndexRoleID("3", "z")), "3/idx_z"},
		{"an index role in a shard that does not exist", func(f *repotest.Fixture) []gitstore.FileChange {
			raw := readRaw(t, f, layout.RolePath(layout.IndexRoleID("3", "z")))
			return []gitstore.FileChange{{Path: "metadata/index/7/idx_z.json", Data: raw}}
		}, "orphan", "metadata/index/7/idx_z.json", "no role delegates"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := clone(t, base)
			old := f.Head
			if _, err := f.Commit(tc.name, tc.change(f)...); err != nil {
				t.Fatal(err)
			}
			wantProblem(t, full(t, f), tc.code, tc.path, tc.msg)
			wantProblem(t, since(t, f, old), tc.code, tc.path, tc.msg)
		})
	}
}
