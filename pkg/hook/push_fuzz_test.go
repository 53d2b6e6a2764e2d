package hook_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/hook"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/verify"
)

// pushFixture is a repository with main at a valid head and a few commits
// a push could name: a valid child, an invalid child (a role changed
// without its maintainers' signatures), a valid and an invalid commit
// unrelated to main. Each commit's full verification is computed once.
type pushFixture struct {
	g       *gitstore.Repo
	now     time.Time
	commits []gitstore.Hash // [0] is the zero id: a deletion, or a new ref
	valid   map[gitstore.Hash]bool
}

func newPushFixture(tb testing.TB) *pushFixture {
	f, err := repotest.Generate(filepath.Join(tb.TempDir(), "repo.git"), repotest.Spec{Names: []string{"hello", "world"}})
	if err != nil {
		tb.Fatal(err)
	}
	head := f.Head
	later := func(m *metadata.Metadata[metadata.TargetsType]) {
		m.Signed.Expires = m.Signed.Expires.Add(24 * time.Hour)
	}
	good, err := f.Resign("hello", later, f.ProjectKeys["hello"]...)
	if err != nil {
		tb.Fatal(err)
	}
	unsigned, err := f.Resign("hello", later)
	if err != nil {
		tb.Fatal(err)
	}
	child, err := f.CommitDetached("renew hello", good)
	if err != nil {
		tb.Fatal(err)
	}
	bad, err := f.CommitDetached("unsigned change", unsigned)
	if err != nil {
		tb.Fatal(err)
	}
	tree, err := f.Repo.TreeAt(head)
	if err != nil {
		tb.Fatal(err)
	}
	orphan, err := f.Repo.CommitTree(gitstore.CommitOptions{Tree: tree.Hash, Message: "unrelated history", Detached: true, Author: gitstore.Signature{Name: "x", Email: "x@example.org"}, When: f.Now})
	if err != nil {
		tb.Fatal(err)
	}
	broken, err := f.Repo.BuildTree(tree, []gitstore.FileChange{{Path: layout.ConfigPath}})
	if err != nil {
		tb.Fatal(err)
	}
	badOrphan, err := f.Repo.CommitTree(gitstore.CommitOptions{Tree: broken, Message: "no config", Detached: true, Author: gitstore.Signature{Name: "x", Email: "x@example.org"}, When: f.Now})
	if err != nil {
		tb.Fatal(err)
	}
	pf := &pushFixture{g: f.Repo, now: f.Now, commits: []gitstore.Hash{gitstore.ZeroHash, head, child, bad, orphan, badOrphan}, valid: map[gitstore.Hash]bool{}}
	for _, c := range pf.commits[1:] {
		rep, err := verify.Commit(f.Repo, c, verify.Options{Now: f.Now})
		if err != nil {
			tb.Fatal(err)
		}
		pf.valid[c] = rep.Valid()
	}
	if !pf.valid[head] || !pf.valid[child] || pf.valid[bad] || !pf.valid[orphan] || pf.valid[badOrphan] {
		tb.Fatalf("fixture commits verify as %v", pf.valid)
	}
	return pf
}

// FuzzHookPush feeds one ref update, as git writes it to the pre-receive
// hook (old and new picked from the fixture's commits, the ref name and
// one more protected pattern fuzzed), through ParseUpdates and Check.
// Properties:
//   - what parses is exactly the update written (format, parse, same);
//   - whatever the hook accepts on top of a valid old commit (or for a
//     new ref), a full verify of the pushed commit accepts (git gives the
//     hook the ref's current value as old, which the hook accepted
//     before; it checks what changed since);
//   - it never accepts a push to refs/tufgit/, the deletion of a protected
//     ref, or a protected ref moving to a commit its old value is not an
//     ancestor of;
//   - every refusal says why, on one line.
func FuzzHookPush(f *testing.F) {
	pf := newPushFixture(f)
	for _, s := range []struct {
		old, new uint8
		ref, pat string
	}{
		{1, 2, "refs/heads/main", ""},
		{1, 3, "refs/heads/main", ""},
		{1, 4, "refs/heads/main", ""},
		{0, 5, "refs/heads/requests/x", ""},
		{0, 4, "refs/heads/requests/x", ""},
		{1, 0, "refs/heads/main", ""},
		{1, 0, "refs/heads/release/1", "refs/heads/release/*"},
		{0, 2, "refs/tufgit/published", ""},
		{2, 1, "refs/heads/main", ""},
	} {
		f.Add(s.old, s.new, s.ref, s.pat)
	}
	// Controls: the hook's verdicts on the seeds, as intended.
	for i, want := range []bool{true, false, false, false, true, false, true, false, false} {
		s := []struct{ old, new uint8 }{{1, 2}, {1, 3}, {1, 4}, {0, 5}, {0, 4}, {1, 0}, {1, 0}, {0, 2}, {2, 1}}[i]
		ref := []string{"refs/heads/main", "refs/heads/main", "refs/heads/main", "refs/heads/requests/x", "refs/heads/requests/x", "refs/heads/main", "refs/heads/release/1", "refs/tufgit/published", "refs/heads/main"}[i]
		res, err := hook.Check(pf.g, []hook.Update{{Old: pf.commits[s.old], New: pf.commits[s.new], Ref: ref}}, hook.Policy{Protected: []string{hook.DefaultProtected}}, verify.Options{Now: pf.now})
		if err != nil || res[0].Accepted != want {
			f.Fatalf("seed %d: %v %+v, want accepted=%v", i, err, res, want)
		}
	}
	n := uint8(len(pf.commits))
	f.Fuzz(func(t *testing.T, oldSel, newSel uint8, ref, pattern string) {
		old, new := pf.commits[oldSel%n], pf.commits[newSel%n]
		line := old.String() + " " + new.String() + " " + ref + "\n"
		ups, err := hook.ParseUpdates(strings.NewReader(line))
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("refusal is not one line: %q", err)
			}
			return
		}
		if len(ups) != 1 || ups[0].Old != old || ups[0].New != new || ups[0].Ref != strings.TrimSpace(ref) {
			t.Fatalf("parsed %+v from %q", ups, line)
		}
		pol := hook.Policy{Protected: []string{hook.DefaultProtected}}
		if pattern != "" {
			pol.Protected = append(pol.Protected, pattern)
		}
		res, err := hook.Check(pf.g, ups, pol, verify.Options{Now: pf.now})
		if err != nil {
			t.Fatalf("check: %v", err)
		}
		r := res[0]
		for _, why := range r.Reasons {
			if why == "" || strings.ContainsAny(why, "\r\n") {
				t.Fatalf("a reason that is not one line: %q", why)
			}
		}
		if !r.Accepted {
			if len(r.Reasons) == 0 && (r.Report == nil || r.Report.Valid()) {
				t.Fatalf("refused %+v without saying why", r.Update)
			}
			return
		}
		u := r.Update
		switch {
		case strings.HasPrefix(u.Ref, hook.ReservedPrefix):
			t.Fatalf("accepted a push to %s", u.Ref)
		case u.New == gitstore.ZeroHash && pol.IsProtected(u.Ref):
			t.Fatalf("accepted deleting protected %s", u.Ref)
		case u.New != gitstore.ZeroHash && !pf.valid[u.New] && (u.Old == gitstore.ZeroHash || pf.valid[u.Old]):
			// git hands the hook the ref's current value as old, which the
			// hook accepted before: the hook checks only what changed since.
			// From a valid old commit (or none), what it accepts must be
			// valid in full.
			t.Fatalf("accepted %s moving from %s to %s, which a full verify refuses", u.Ref, u.Old, u.New)
		}
		if pol.IsProtected(u.Ref) && u.Old != gitstore.ZeroHash && u.New != gitstore.ZeroHash {
			if ok, err := pf.g.IsAncestor(u.Old, u.New); err != nil || !ok {
				t.Fatalf("accepted a non-fast-forward update of protected %s", u.Ref)
			}
		}
	})
}
