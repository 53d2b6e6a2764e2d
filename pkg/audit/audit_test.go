package audit_test

import (
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/audit"
	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/verify"
)

func fixture(t testing.TB, projects int) *repotest.Fixture {
	t.Helper()
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "repo.git"), repotest.Spec{Projects: projects})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// release returns the changes that add release version of project p,
// signed by signers (the project's own keys when none are given).
func release(t testing.TB, f *repotest.Fixture, p, version string, signers ...*keys.Key) []gitstore.FileChange {
	t.Helper()
	if signers == nil {
		signers = f.ProjectKeys[p]
	}
	data := repotest.Artifact(p, version, 4096)
	tp := layout.TargetPath(p, version, p+"-"+version+".tar.gz")
	tf, err := metadata.TargetFile().FromBytes(tp, data, "sha256", "sha512")
	if err != nil {
		t.Fatal(err)
	}
	role, err := f.Resign(p, func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Targets[tp] = tf }, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return []gitstore.FileChange{role, {Path: layout.ArtifactPath(hex.EncodeToString(tf.Hashes["sha256"])), Data: data}}
}

func commit(t testing.TB, f *repotest.Fixture, msg string, ch []gitstore.FileChange) gitstore.Hash {
	t.Helper()
	h, err := f.Commit(msg, ch...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func run(t testing.TB, f *repotest.Fixture, o audit.Options) *audit.Result {
	t.Helper()
	if o.Rev == "" {
		o.Rev = "main"
	}
	if o.Head == gitstore.ZeroHash {
		o.Head = f.Head
	}
	if o.Now.IsZero() {
		o.Now = f.Now
	}
	res, err := audit.Run(f.Repo, o)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Checkpoint {
		// The same audit on three workers finds the same.
		o.Workers = 3
		par, err := audit.Run(f.Repo, o)
		if err != nil {
			t.Fatal(err)
		}
		same := par.CommitsChecked == res.CommitsChecked && par.Refused == res.Refused && (par.FirstRefused == nil) == (res.FirstRefused == nil)
		if same && res.FirstRefused != nil {
			same = par.FirstRefused.Commit == res.FirstRefused.Commit
		}
		if !same {
			t.Fatalf("on workers: %+v\none at a time: %+v", par, res)
		}
	}
	return res
}

func TestLinearHistory(t *testing.T) {
	f := fixture(t, 8)
	for i, p := range f.Projects[:4] {
		commit(t, f, fmt.Sprintf("release %d", i), release(t, f, p, "2.0.0"))
	}
	res := run(t, f, audit.Options{Checkpoint: true})
	if !res.Clean() || res.CommitsChecked != 5 || res.FirstRefused != nil || res.Checkpoint.Written != f.Head.String() {
		t.Fatalf("first audit: %+v", res)
	}
	// The checkpoint: nothing new, nothing checked.
	res = run(t, f, audit.Options{Checkpoint: true})
	if res.CommitsChecked != 0 || res.Start.Trusted != "checkpoint" || res.Checkpoint.Read != f.Head.String() {
		t.Fatalf("re-run: %+v", res)
	}
	// One more commit: one checked.
	commit(t, f, "release 5", release(t, f, f.Projects[5], "2.0.0"))
	if res = run(t, f, audit.Options{Checkpoint: true}); res.CommitsChecked != 1 || !res.Clean() {
		t.Fatalf("after one commit: %+v", res)
	}
	// A checkpoint is per mode: a first-parent audit does not use it.
	if res = run(t, f, audit.Options{Checkpoint: true, FirstParent: true}); res.CommitsChecked != 6 {
		t.Fatalf("first-parent: %+v", res)
	}
}

// A commit the hook would have refused, followed by valid commits, is
// named; later refusals are counted.
func TestFirstRefusedIsNamed(t *testing.T) {
	f := fixture(t, 8)
	commit(t, f, "good 1", release(t, f, f.Projects[0], "2.0.0"))
	bad := commit(t, f, "signed by the wrong key\x1b[31m", release(t, f, f.Projects[1], "2.0.0", f.Admin))
	commit(t, f, "good 2", release(t, f, f.Projects[2], "2.0.0"))
	commit(t, f, "bad again", release(t, f, f.Projects[3], "2.0.0", f.Admin))
	for _, fp := range []bool{false, true} {
		res := run(t, f, audit.Options{FirstParent: fp, Checkpoint: true})
		if res.FirstRefused == nil || res.FirstRefused.Commit != bad.String() || res.Refused != 2 || res.CommitsChecked != 5 {
			t.Fatalf("first-parent=%v: %+v", fp, res)
		}
		if res.FirstRefused.Subject != "signed by the wrong key?[31m" {
			t.Errorf("subject not made safe: %q", res.FirstRefused.Subject)
		}
		if res.Checkpoint.Written != "" {
			t.Errorf("a refused audit wrote a checkpoint")
		}
		if r := run(t, f, audit.Options{FirstParent: fp}); r.FirstRefused == nil || r.FirstRefused.Commit != bad.String() {
			t.Fatalf("without checkpoint, first-parent=%v: %+v", fp, r)
		}
		var codes []string
		for _, p := range res.FirstRefused.Problems {
			codes = append(codes, p.Code)
		}
		if got := strings.Join(codes, ","); !strings.Contains(got, verify.CodeSignature) {
			t.Errorf("problems %s", got)
		}
	}
	// --from the bad commit: only the two after it, one refused.
	res := run(t, f, audit.Options{From: bad})
	if res.CommitsChecked != 2 || res.Refused != 1 || res.Start.Trusted != "from" {
		t.Fatalf("--from: %+v", res)
	}
}

// gitCommitTree makes a commit with several parents through git itself
// (tufgit never writes merges).
func gitCommitTree(t *testing.T, f *repotest.Fixture, tree gitstore.Hash, msg string, parents ...gitstore.Hash) gitstore.Hash {
	t.Helper()
	args := []string{"--git-dir", f.Dir, "commit-tree", tree.String(), "-m", msg}
	for _, p := range parents {
		args = append(args, "-p", p.String())
	}
	cmd := exec.Command("git", args...)
	cmd.Env = append(cmd.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org",
		"GIT_COMMITTER_DATE="+f.Now.Format(time.RFC3339), "GIT_AUTHOR_DATE="+f.Now.Format(time.RFC3339))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git commit-tree: %v", err)
	}
	return gitstore.NewHash(strings.TrimSpace(string(out)))
}

// Merges: every commit is checked against its first parent, side branches
// too; --first-parent skips the side branch, which main never pointed at.
// A checkpoint below the fork is honoured: only new commits are checked.
func TestMerges(t *testing.T) {
	f := fixture(t, 8)
	base := f.Head
	// A side branch from base: a bad commit, then one that heals it.
	s1, err := f.CommitDetached("side: bad", release(t, f, f.Projects[0], "2.0.0", f.Admin)...)
	if err != nil {
		t.Fatal(err)
	}
	f.Head = s1
	s2, err := f.CommitDetached("side: re-signed", release(t, f, f.Projects[0], "2.0.1")...)
	if err != nil {
		t.Fatal(err)
	}
	f.Head = base
	a1 := commit(t, f, "main: release", release(t, f, f.Projects[1], "2.0.0"))
	if res := run(t, f, audit.Options{Checkpoint: true}); !res.Clean() || res.CommitsChecked != 2 {
		t.Fatalf("before the merge: %+v", res)
	}
	// Merge the side branch into main, keeping main's tree.
	tree, err := f.Repo.Commit(a1)
	if err != nil {
		t.Fatal(err)
	}
	m := gitCommitTree(t, f, tree.Tree, "merge side", a1, s2)
	if err := f.Repo.SetBranch("main", m, a1); err != nil {
		t.Fatal(err)
	}
	f.Head = m

	res := run(t, f, audit.Options{Checkpoint: true})
	if res.CommitsChecked != 3 || res.Refused != 1 || res.FirstRefused == nil || res.FirstRefused.Commit != s1.String() {
		t.Fatalf("all commits since the checkpoint: %+v", res)
	}
	res = run(t, f, audit.Options{Checkpoint: true, FirstParent: true})
	if res.CommitsChecked != 3 || !res.Clean() {
		t.Fatalf("first parent from the start: %+v", res)
	}
	res = run(t, f, audit.Options{})
	if res.CommitsChecked != 5 || res.Refused != 1 || res.FirstRefused.Commit != s1.String() {
		t.Fatalf("all commits from the start: %+v", res)
	}
	// --from a commit of the side branch is not on the first-parent chain.
	if _, err := audit.Run(f.Repo, audit.Options{Rev: "main", Head: m, From: s2, FirstParent: true, Now: f.Now}); err == nil {
		t.Fatal("--from off the first-parent chain accepted")
	}
	if res := run(t, f, audit.Options{From: s2}); res.CommitsChecked != 2 || !res.Clean() {
		t.Fatalf("--from the side branch: %+v", res)
	}
}

func TestSubject(t *testing.T) {
	for in, want := range map[string]string{
		"hello\nbody":             "hello",
		"a\x00b\u202ec":           "a?b?c",
		strings.Repeat("x", 300):  strings.Repeat("x", 200) + "…",
		"  padded  \r\nsecond":    "padded  ?",
		"\xff\xfe invalid utf-8 ": "?? invalid utf-8",
	} {
		if got := audit.Subject(in); got != want {
			t.Errorf("Subject(%q) = %q, want %q", in, got, want)
		}
	}
}

// rootV2 returns root version 2 with the root keys replaced by newKey,
// signed by signers.
func rootV2(t *testing.T, f *repotest.Fixture, newKey *keys.Key, signers ...*keys.Key) []gitstore.FileChange {
	t.Helper()
	tree, err := f.Repo.TreeAt(f.Head)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tree.ReadFile(layout.RootPath, layout.MaxRootSize)
	if err != nil {
		t.Fatal(err)
	}
	root, err := metadata.Root().FromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Signed.RevokeKey(f.Admin.ID, layout.RoleRoot); err != nil {
		t.Fatal(err)
	}
	if err := root.Signed.AddKey(newKey.Public, layout.RoleRoot); err != nil {
		t.Fatal(err)
	}
	root.Signed.Version = 2
	root.Signatures = nil
	for _, k := range signers {
		if err := repo.Sign(root, k); err != nil {
			t.Fatal(err)
		}
	}
	out, err := repo.EncodeMetadata(root)
	if err != nil {
		t.Fatal(err)
	}
	return []gitstore.FileChange{{Path: layout.RootPath, Data: out}, {Path: layout.RootHistoryPath(2), Data: out}}
}

// The root chain: a new root signed only by its own new key (not by the
// previous root's threshold) is refused at its commit, even when every
// later commit is signed by the keys it introduced; one signed by both is
// clean.
func TestRootChain(t *testing.T) {
	f := fixture(t, 4)
	base := f.Head
	newKey := repotest.Key("new-root")
	commit(t, f, "rotate the root key", rootV2(t, f, newKey, f.Admin, newKey))
	commit(t, f, "release", release(t, f, f.Projects[0], "2.0.0"))
	if res := run(t, f, audit.Options{}); !res.Clean() || res.CommitsChecked != 3 {
		t.Fatalf("a proper rotation: %+v", res)
	}

	// Another history from the same start, on no branch.
	f.Head = base
	bad, err := f.CommitDetached("take over root", rootV2(t, f, newKey, newKey)...)
	if err != nil {
		t.Fatal(err)
	}
	f.Head = bad
	next, err := f.CommitDetached("release", release(t, f, f.Projects[0], "2.0.0")...)
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, f, audit.Options{Rev: "takeover", Head: next})
	if res.FirstRefused == nil || res.FirstRefused.Commit != bad.String() {
		t.Fatalf("root taken over: %+v", res)
	}
	found := false
	for _, p := range res.FirstRefused.Problems {
		found = found || p.Role == layout.RoleRoot && (p.Code == verify.CodeThreshold || p.Code == verify.CodeSignature)
	}
	if !found {
		t.Errorf("no root signature problem: %+v", res.FirstRefused.Problems)
	}
}

// A history that lost the checkpointed commit (rolled back to an older
// head, or a checkpoint whose commit is gone from the repository) is
// rewritten: never clean, no checkpoint written, until the auditor names
// the lost commit. --from does not hide it.
func TestRewrittenHistoryKeepsCheckpoint(t *testing.T) {
	f := fixture(t, 4)
	older := commit(t, f, "release 0", release(t, f, f.Projects[0], "2.0.0"))
	head := commit(t, f, "release 1", release(t, f, f.Projects[1], "2.0.0"))
	if res := run(t, f, audit.Options{Checkpoint: true}); !res.Clean() || res.Checkpoint.Written != head.String() {
		t.Fatalf("first audit: %+v", res)
	}
	// Rolled back: the head is an ancestor of the checkpoint.
	for _, o := range []audit.Options{{Checkpoint: true, Head: older}, {Checkpoint: true, Head: older, From: older}} {
		res := run(t, f, o)
		if res.Clean() || !res.IsRewritten() || res.Rewritten.Checkpoint != head.String() || res.Rewritten.Why != "not an ancestor" || res.Checkpoint.Written != "" {
			t.Fatalf("rolled back (from %s): %+v", o.From, res)
		}
	}
	// Accepting another commit accepts nothing; naming the lost one does.
	if res := run(t, f, audit.Options{Checkpoint: true, Head: older, AcceptRewrite: older.String()[:12]}); !res.IsRewritten() {
		t.Fatalf("accepting the wrong commit: %+v", res)
	}
	if res := run(t, f, audit.Options{Checkpoint: true, Head: older, AcceptRewrite: head.String()[:7]}); !res.Clean() || res.Checkpoint.Written != older.String() {
		t.Fatalf("accepting the lost commit: %+v", res)
	}
	// A checkpoint whose commit is not in the repository: truncated.
	f.Head = older
	gone := gitstore.NewHash(strings.Repeat("ab", 20))
	if res := run(t, f, audit.Options{Checkpoint: true, Rev: "other"}); !res.Clean() {
		t.Fatalf("other rev: %+v", res)
	}
	data, err := os.ReadFile(filepath.Join(f.Repo.GitDir(), audit.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.ReplaceAll(string(data), older.String(), gone.String()))
	if err := os.WriteFile(filepath.Join(f.Repo.GitDir(), audit.CheckpointFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if res := run(t, f, audit.Options{Checkpoint: true, Rev: "other"}); !res.IsRewritten() || res.Rewritten.Why != "missing" || res.Checkpoint.Written != "" {
		t.Fatalf("missing checkpoint commit: %+v", res)
	}
}

// A checkpoint written under the branch's short name (before tufgit
// spelled it refs/heads/main) is still read, so a rewrite since is seen.
func TestCheckpointUnderShortNameStillCounts(t *testing.T) {
	f := fixture(t, 4)
	older := commit(t, f, "release 0", release(t, f, f.Projects[0], "2.0.0"))
	head := commit(t, f, "release 1", release(t, f, f.Projects[1], "2.0.0"))
	if res := run(t, f, audit.Options{Checkpoint: true, Rev: "main"}); res.Checkpoint.Written != head.String() {
		t.Fatalf("first audit: %+v", res)
	}
	if res := run(t, f, audit.Options{Checkpoint: true, Rev: "refs/heads/main"}); res.CommitsChecked != 0 || res.Start.Trusted != "checkpoint" {
		t.Fatalf("full name after short: %+v", res)
	}
	if res := run(t, f, audit.Options{Checkpoint: true, Rev: "refs/heads/main", Head: older}); !res.IsRewritten() {
		t.Fatalf("rolled back, full name after short: %+v", res)
	}
}
