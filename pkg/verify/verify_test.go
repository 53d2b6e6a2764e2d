package verify_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/verify"
)

func gen(t testing.TB, spec repotest.Spec) *repotest.Fixture {
	t.Helper()
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "repo.git"), spec)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func opts(f *repotest.Fixture) verify.Options { return verify.Options{Now: f.Now.Add(time.Hour)} }

func full(t *testing.T, f *repotest.Fixture) *verify.Report {
	t.Helper()
	rep, err := verify.Commit(f.Repo, f.Head, opts(f))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func since(t *testing.T, f *repotest.Fixture, old gitstore.Hash) *verify.Report {
	t.Helper()
	rep, err := verify.Since(f.Repo, old, f.Head, opts(f))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func wantValid(t *testing.T, rep *verify.Report) {
	t.Helper()
	if !rep.Valid() {
		for _, p := range rep.Problems {
			t.Errorf("unexpected problem: %s", p)
		}
	}
}

func wantProblem(t *testing.T, rep *verify.Report, code, path, msg string) {
	t.Helper()
	for _, p := range rep.Problems {
		if p.Code == code && strings.Contains(p.Path, path) && strings.Contains(p.Message, msg) {
			return
		}
	}
	t.Errorf("no %s problem at %q containing %q; got:", code, path, msg)
	for _, p := range rep.Problems {
		t.Errorf("  %s", p)
	}
}

func TestGeneratedRepositoryIsValid(t *testing.T) {
	f := gen(t, repotest.Spec{Projects: 60, MaxPerIndex: 3, Releases: 2, Threshold: 2})
	rep := full(t, f)
	wantValid(t, rep)
	if rep.Stats.Projects != 60 || rep.Stats.Targets != 120 || rep.Stats.Artifacts != 120 {
		t.Errorf("stats = %+v", rep.Stats)
	}
	if len(f.IndexRoles) <= 36 {
		t.Errorf("expected index splits with max 3 per index role, got %d index roles", len(f.IndexRoles))
	}
	rep = since(t, f, f.Head)
	wantValid(t, rep)
	if rep.Stats.Mode != "incremental" || rep.Stats.RolesChecked != 0 {
		t.Errorf("empty change: stats = %+v", rep.Stats)
	}
}

// mutation is a change an attacker (or a buggy tool) pushes; both the full
// check of the result and the incremental check of the change must report it.
type mutation struct {
	name        string
	change      func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange
	code, where string // where: a path fragment; "{idx}" and "{p}" are replaced
	msg         string
	sinceOnly   bool // a transition rule: the end state alone is fine
	// sinceCode and sinceMsg, when set, are what the incremental check
	// reports instead (the same cause, seen as a transition).
	sinceCode, sinceMsg string
}

func TestMutationsAreReported(t *testing.T) {
	f0 := gen(t, repotest.Spec{Projects: 12, MaxPerIndex: 2, Threshold: 1})
	stranger := repotest.Key("stranger")
	for _, m := range []mutation{
		{name: "malformed JSON", code: verify.CodeFormat, where: "metadata/projects/", msg: "malformed JSON",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				return []gitstore.FileChange{{Path: layout.RolePath(p), Data: []byte(`{"signed": {`)}}
			}},
		{name: "duplicate JSON key", code: verify.CodeFormat, where: "metadata/projects/", msg: "duplicate key",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				raw := readRaw(t, f, layout.RolePath(p))
				raw = []byte(strings.Replace(string(raw), `"signed": {`, `"signed": {"version": 99, `, 1))
				return []gitstore.FileChange{{Path: layout.RolePath(p), Data: raw}}
			}},
		{name: "key differing only in case", code: verify.CodeFormat, where: "metadata/projects/", msg: "differs only in case",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				raw := readRaw(t, f, layout.RolePath(p))
				raw = []byte(strings.Replace(string(raw), `"signed": {`, `"signed": {"Version": 99, `, 1))
				return []gitstore.FileChange{{Path: layout.RolePath(p), Data: raw}}
			}},
		{name: "wrong _type", code: verify.CodeFormat, where: "metadata/projects/", msg: "expected metadata type targets",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				return []gitstore.FileChange{{Path: layout.RolePath(p), Data: readRaw(t, f, layout.RootPath)}}
			}},
		{name: "unsigned change", code: verify.CodeSignature, where: "metadata/projects/", msg: "does not verify",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				raw := readRaw(t, f, layout.RolePath(p))
				return []gitstore.FileChange{{Path: layout.RolePath(p), Data: []byte(strings.Replace(string(raw), `"version": 1`, `"version": 2`, 1))}}
			}},
		{name: "signed by a key that may not sign", code: verify.CodeSignature, where: "metadata/projects/", msg: "may not sign",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				return []gitstore.FileChange{resign(t, f, p, nil, stranger)}
			}},
		{name: "threshold not met", code: verify.CodeThreshold, where: "metadata/projects/", msg: "threshold is 1",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				return []gitstore.FileChange{resign(t, f, p, nil, stranger)}
			}},
		{name: "target outside the project's paths", code: verify.CodeDelegation, where: "metadata/projects/", msg: "outside the paths delegated",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				other := f.Projects[len(f.Projects)-1]
				return []gitstore.FileChange{resign(t, f, p, func(m *metadata.Metadata[metadata.TargetsType]) {
					for path, tf := range m.Signed.Targets {
						m.Signed.Targets[strings.Replace(path, p+"/", other+"/", 1)] = tf
					}
				}, f.ProjectKeys[p]...)}
			}},
		{name: "duplicate keyids fake a threshold", code: verify.CodeKeys, where: "metadata/index/", msg: "twice",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				return []gitstore.FileChange{resign(t, f, f.IndexOf(p), func(m *metadata.Metadata[metadata.TargetsType]) {
					for i, r := range m.Signed.Delegations.Roles {
						if r.Name == p {
							m.Signed.Delegations.Roles[i].KeyIDs = []string{r.KeyIDs[0], r.KeyIDs[0]}
							m.Signed.Delegations.Roles[i].Threshold = 2
						}
					}
				}, f.Admin)}
			}},
		{name: "same key under two keyids", code: verify.CodeKeys, where: "metadata/index/", msg: "the same public key is listed twice",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				return []gitstore.FileChange{resign(t, f, f.IndexOf(p), func(m *metadata.Metadata[metadata.TargetsType]) {
					for i, r := range m.Signed.Delegations.Roles {
						if r.Name == p {
							k := m.Signed.Delegations.Keys[r.KeyIDs[0]]
							fake := strings.Repeat("ab", 32)
							m.Signed.Delegations.Keys[fake] = k
							m.Signed.Delegations.Roles[i].KeyIDs = []string{r.KeyIDs[0], fake}
							m.Signed.Delegations.Roles[i].Threshold = 2
						}
					}
				}, f.Admin)}
			}},
		{name: "unknown keytype", code: verify.CodeKeys, where: "metadata/index/", msg: "unsupported keytype",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				return []gitstore.FileChange{resign(t, f, f.IndexOf(p), func(m *metadata.Metadata[metadata.TargetsType]) {
					for _, r := range m.Signed.Delegations.Roles {
						if r.Name == p {
							m.Signed.Delegations.Keys[r.KeyIDs[0]].Type = "dsa"
						}
					}
				}, f.Admin)}
			}},
		{name: "missing index role", code: verify.CodeMissing, where: "metadata/index/", msg: "its metadata is missing", sinceMsg: "was deleted, but targets still delegates",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				return []gitstore.FileChange{{Path: layout.RolePath(f.IndexOf(p))}}
			}},
		{name: "extra file", code: verify.CodeLayout, where: "notes.txt", msg: "not part of the tufgit layout",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				return []gitstore.FileChange{{Path: "notes.txt", Data: []byte("hi")}}
			}},
		{name: "orphan role file", code: verify.CodeOrphan, where: "metadata/projects/", msg: "no role delegates",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				return []gitstore.FileChange{{Path: layout.RolePath("zz-never-delegated"), Data: readRaw(t, f, layout.RolePath(p))}}
			}},
		{name: "huge metadata file", code: verify.CodeFormat, where: "metadata/projects/", msg: "exceeds its size limit",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				return []gitstore.FileChange{{Path: layout.RolePath(p), Data: make([]byte, layout.MaxTargetsSize+1)}}
			}},
		{name: "artifact bytes replaced", code: verify.CodeArtifact, where: "artifacts/sha256/", msg: "does not match target", sinceCode: verify.CodeImmutable, sinceMsg: "append-only",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				m, _ := f.ReadRole(p)
				for _, tf := range m.Signed.Targets {
					bad := make([]byte, tf.Length)
					return []gitstore.FileChange{{Path: layout.ArtifactPath(hex.EncodeToString(tf.Hashes["sha256"])), Data: bad}}
				}
				return nil
			}},
		{name: "orphan artifact", code: verify.CodeOrphan, where: "artifacts/sha256/", msg: "no ",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				return []gitstore.FileChange{{Path: layout.ArtifactPath(strings.Repeat("0", 64)), Data: []byte("x")}}
			}},
		{name: "online key signs targets", code: verify.CodeKeys, where: "metadata/root", msg: "online key must never sign",
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				return rotateRoot(t, f, func(r *metadata.Metadata[metadata.RootType]) {
					r.Signed.Roles["targets"].KeyIDs = append(r.Signed.Roles["targets"].KeyIDs, f.Online.ID)
				})
			}},
		{name: "version does not grow", code: verify.CodeVersion, where: "metadata/projects/", msg: "must grow", sinceOnly: true,
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				c := resign(t, f, p, func(m *metadata.Metadata[metadata.TargetsType]) {
					m.Signed.Version-- // Resign adds one back: same version, new content
					for _, tf := range m.Signed.Targets {
						custom := []byte(`{"tufgit":{"yanked":true}}`)
						tf.Custom = (*json.RawMessage)(&custom)
					}
				}, f.ProjectKeys[p]...)
				return []gitstore.FileChange{c}
			}},
		{name: "published target removed", code: verify.CodeImmutable, where: "metadata/projects/", msg: "yank it instead", sinceOnly: true,
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				return []gitstore.FileChange{resign(t, f, p, func(m *metadata.Metadata[metadata.TargetsType]) {
					m.Signed.Targets = map[string]*metadata.TargetFiles{}
				}, f.ProjectKeys[p]...)}
			}},
		{name: "project role deleted while delegated", code: verify.CodeMissing, where: "metadata/projects/", msg: "still delegates", sinceOnly: true,
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				return []gitstore.FileChange{{Path: layout.RolePath(p)}}
			}},
		{name: "root history rewritten", code: verify.CodeImmutable, where: "root_history/1.root.json", msg: "append-only", sinceOnly: true,
			change: func(t *testing.T, f *repotest.Fixture, p string) []gitstore.FileChange {
				raw := readRaw(t, f, layout.RootPath)
				return []gitstore.FileChange{{Path: layout.RootHistoryPath(1), Data: append(raw, '\n')}}
			}},
	} {
		t.Run(m.name, func(t *testing.T) {
			f := clone(t, f0)
			p := f.Projects[0]
			old := f.Head
			if _, err := f.Commit(m.name, m.change(t, f, p)...); err != nil {
				t.Fatal(err)
			}
			if !m.sinceOnly {
				wantProblem(t, full(t, f), m.code, m.where, m.msg)
			}
			code, msg := m.code, m.msg
			if m.sinceCode != "" {
				code = m.sinceCode
			}
			if m.sinceMsg != "" {
				msg = m.sinceMsg
			}
			wantProblem(t, since(t, f, old), code, m.where, msg)
		})
	}
}

// A root rotation must be signed by the old root's threshold too.
func TestRootRotationNeedsOldRoot(t *testing.T) {
	f := gen(t, repotest.Spec{Projects: 3})
	old := f.Head
	newAdmin := repotest.Key("new-admin")
	changes := rotateRootWith(t, f, func(r *metadata.Metadata[metadata.RootType]) {
		delete(r.Signed.Keys, f.Admin.ID)
		r.Signed.Roles["root"].KeyIDs = nil
		if err := r.Signed.AddKey(newAdmin.Public, "root"); err != nil {
			t.Fatal(err)
		}
		r.Signed.Keys[f.Admin.ID] = f.Admin.Public // still a targets key
	}, newAdmin)
	if _, err := f.Commit("rotate", changes...); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, full(t, f), verify.CodeThreshold, "root_history/2.root.json", "previous root v1")
	wantProblem(t, since(t, f, old), verify.CodeThreshold, "root_history/2.root.json", "previous root v1")

	// Signed by both the new and the old root: valid.
	f2 := gen(t, repotest.Spec{Projects: 3})
	old = f2.Head
	changes = rotateRootWith(t, f2, func(r *metadata.Metadata[metadata.RootType]) {
		r.Signed.Roles["root"].KeyIDs = nil
		if err := r.Signed.AddKey(newAdmin.Public, "root"); err != nil {
			t.Fatal(err)
		}
	}, newAdmin, f2.Admin)
	if _, err := f2.Commit("rotate", changes...); err != nil {
		t.Fatal(err)
	}
	wantValid(t, full(t, f2))
	wantValid(t, since(t, f2, old))
}

// Trees that git itself would never write: symlinks and '..' entries.
func TestHostileTreeEntries(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	f := gen(t, repotest.Spec{Projects: 2})
	old := f.Head
	gitc := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"--git-dir", f.Dir}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=x", "GIT_AUTHOR_EMAIL=x@x", "GIT_COMMITTER_NAME=x", "GIT_COMMITTER_EMAIL=x@x")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	blob := gitc("../../etc/passwd", "hash-object", "-w", "--stdin")
	top := gitc("", "ls-tree", "main")
	entries := top + "\n120000 blob " + blob + "\tlink\n100644 blob " + blob + "\t..\n"
	tree := gitc(entries, "mktree")
	commit := gitc("", "commit-tree", tree, "-p", old.String(), "-m", "hostile")
	f.Head = gitstore.NewHash(commit)
	for _, rep := range []*verify.Report{full(t, f), since(t, f, old)} {
		wantProblem(t, rep, verify.CodeLayout, "", `unsafe entry name ".."`)
		wantProblem(t, rep, verify.CodeLayout, "link", "symbolic link")
	}
}

func readRaw(t *testing.T, f *repotest.Fixture, p string) []byte {
	t.Helper()
	tree, err := f.Repo.TreeAt(f.Head)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tree.ReadFile(p, 10<<20)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func resign(t *testing.T, f *repotest.Fixture, role string, edit func(*metadata.Metadata[metadata.TargetsType]), signers ...*keys.Key) gitstore.FileChange {
	t.Helper()
	c, err := f.Resign(role, edit, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rotateRoot(t *testing.T, f *repotest.Fixture, edit func(*metadata.Metadata[metadata.RootType])) []gitstore.FileChange {
	return rotateRootWith(t, f, edit, f.Admin)
}

func rotateRootWith(t *testing.T, f *repotest.Fixture, edit func(*metadata.Metadata[metadata.RootType]), signers ...*keys.Key) []gitstore.FileChange {
	t.Helper()
	r, err := metadata.Root().FromBytes(readRaw(t, f, layout.RootPath))
	if err != nil {
		t.Fatal(err)
	}
	edit(r)
	r.Signed.Version++
	r.Signatures = nil
	for _, k := range signers {
		if _, err := r.Sign(k.Signer); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := r.ToBytes(true)
	if err != nil {
		t.Fatal(err)
	}
	return []gitstore.FileChange{{Path: layout.RootPath, Data: raw}, {Path: layout.RootHistoryPath(r.Signed.Version), Data: raw}}
}

// clone copies a generated fixture so each subtest mutates its own.
func clone(t *testing.T, f *repotest.Fixture) *repotest.Fixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo.git")
	if err := exec.Command("cp", "-a", f.Dir, dir).Run(); err != nil {
		t.Fatal(err)
	}
	g, err := gitstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := *f
	c.Dir, c.Repo = dir, g
	return &c
}

// TestStoreChangeIsChecked: a change of artifacts.store (unsigned) is
// checked against the new store even when the old config is one today's
// expiry bounds refuse, and without a way to open the new store it is a
// problem.
func TestStoreChangeIsChecked(t *testing.T) {
	f := gen(t, repotest.Spec{Names: []string{"hello"}, Releases: 1})
	tree, err := f.Repo.TreeAt(f.Head)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tree.ReadFile(layout.ConfigPath, layout.MaxConfigSize)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(from, to string) []byte {
		if !strings.Contains(string(raw), from) {
			t.Fatalf("no %q in %s", from, raw)
		}
		return []byte(strings.Replace(string(raw), from, to, 1))
	}
	// An old config with a century-long timestamp (written before the caps).
	old, err := f.Commit("old config", gitstore.FileChange{Path: layout.ConfigPath,
		Data: []byte(strings.NewReplacer(`"snapshot": "7d"`, `"snapshot": "36500d"`, `"timestamp": "1d"`, `"timestamp": "36500d"`).Replace(string(raw)))})
	if err != nil {
		t.Fatal(err)
	}
	moved, err := f.Commit("move the store", gitstore.FileChange{Path: layout.ConfigPath, Data: edit(`"store": "git"`, `"store": "file:///nonexistent/store"`)})
	if err != nil {
		t.Fatal(err)
	}
	opened := ""
	rep, err := verify.Since(f.Repo, old, moved, verify.Options{Now: f.Now, OpenStore: func(_ context.Context, url string) (verify.ArtifactSource, error) {
		opened = url
		return nil, os.ErrNotExist
	}})
	if err != nil {
		t.Fatal(err)
	}
	if opened != "file:///nonexistent/store" || !hasProblem(rep, "artifacts.store changes to file:///nonexistent/store, which cannot be reached") {
		t.Fatalf("opened %q; problems %v", opened, rep.Problems)
	}
	rep, err = verify.Since(f.Repo, old, moved, verify.Options{Now: f.Now})
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(rep, "which this check cannot read") {
		t.Fatalf("without OpenStore: %v", rep.Problems)
	}
	// Positive control: a config change that keeps the store opens nothing
	// and verifies.
	kept, err := f.Commit("shorter timestamp", gitstore.FileChange{Path: layout.ConfigPath, Data: edit(`"timestamp": "1d"`, `"timestamp": "12h"`)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = verify.Since(f.Repo, old, kept, verify.Options{Now: f.Now, OpenStore: func(context.Context, string) (verify.ArtifactSource, error) {
		t.Error("opened a store that did not change")
		return nil, os.ErrNotExist
	}})
	if err != nil || !rep.Valid() {
		t.Fatalf("%v %v", err, rep.Problems)
	}
}

func hasProblem(rep *verify.Report, s string) bool {
	for _, p := range rep.Problems {
		if strings.Contains(p.String(), s) {
			return true
		}
	}
	return false
}
