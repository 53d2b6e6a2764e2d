package hook_test

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/hook"
	"github.com/tufgit/tufgit/pkg/internal/rusage"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/verify"
)

func TestParseUpdates(t *testing.T) {
	a, b := strings.Repeat("a", 40), strings.Repeat("0", 40)
	ups, err := hook.ParseUpdates(strings.NewReader(a + " " + b + " refs/heads/main\n"))
	if err != nil || len(ups) != 1 || ups[0].New != gitstore.ZeroHash || ups[0].Ref != "refs/heads/main" {
		t.Fatalf("%v %v", ups, err)
	}
	for _, bad := range []string{"x y z\n", a + " " + b + "\n", a + " " + b + " main\n", strings.Repeat("z", 40) + " " + b + " refs/x\n", strings.Repeat("x", 5000)} {
		if _, err := hook.ParseUpdates(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %.40q", bad)
		}
	}
}

func TestPolicy(t *testing.T) {
	p := hook.Policy{Protected: []string{"refs/heads/main", "refs/tags/*"}}
	for ref, want := range map[string]bool{"refs/heads/main": true, "refs/tags/v1": true, "refs/heads/requests/x": false, "refs/heads/mainly": false} {
		if p.IsProtected(ref) != want {
			t.Errorf("IsProtected(%s) = %v", ref, !want)
		}
	}
}

// TestShadows: a ref whose last path components are a protected branch's
// short name, in any namespace, shadows it; the branch itself, other
// names and names that only start or end alike do not. Under a pattern,
// a ref shadows the existing protected branch of its short name.
func TestShadows(t *testing.T) {
	p := hook.Policy{Protected: []string{"refs/heads/main", "refs/heads/release/*", "refs/tags/*"}}
	exists := func(name string) bool { return name == "refs/heads/release/1" || name == "refs/tags/release/3" }
	for ref, want := range map[string]string{
		"refs/tags/main": "refs/heads/main", "refs/remotes/main": "refs/heads/main", "refs/remotes/origin/main": "refs/heads/main",
		"refs/notes/main": "refs/heads/main", "refs/main": "refs/heads/main", "refs/heads/alice/main": "refs/heads/main",
		"refs/tags/release/1": "refs/heads/release/1", "refs/remotes/o/release/1": "refs/heads/release/1",
		"refs/tags/release/2": "", // no such protected branch (yet: ShadowedBy refuses creating it)
		"refs/heads/main":     "", "refs/heads/release/1": "", "refs/tags/v1.0": "", "refs/tags/mainly": "", "refs/tags/main-1": "",
		"refs/tags/domain": "", "refs/heads/main/x": "", "refs/tags/release": "",
	} {
		got, ok := p.Shadows(ref, exists)
		if got != want || ok != (want != "") {
			t.Errorf("Shadows(%s) = %q, %v; want %q", ref, got, ok, want)
		}
	}
	for ref, want := range map[string]string{"refs/heads/release/3": "refs/tags/release/3", "refs/heads/release/1": "", "refs/heads/main": "", "refs/heads/other": ""} {
		got, ok := p.ShadowedBy(ref, exists)
		if got != want || ok != (want != "") {
			t.Errorf("ShadowedBy(%s) = %q, %v; want %q", ref, got, ok, want)
		}
	}
	for ref, want := range map[string]bool{"refs/tags/HEAD": true, "refs/heads/HEAD": true, "refs/HEAD": true, "refs/tags/HEADS": false, "refs/tags/v1": false} {
		if hook.ShadowsHead(ref) != want {
			t.Errorf("ShadowsHead(%s) = %v", ref, !want)
		}
	}
}

// BenchmarkHookOneRelease: what the pre-receive hook does for a push that
// adds one release to one project, at 1,000 and 10,000 projects
// (TUFGIT_BENCH_PROJECTS=1000,10000,100000 for other sizes). Each run
// opens the repository, as each hook process does, and closes it, so
// cpu-ns/op counts the git reader's CPU too. It should be flat.
func BenchmarkHookOneRelease(b *testing.B) {
	sizes := []int{1000, 10000}
	if s := os.Getenv("TUFGIT_BENCH_PROJECTS"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				b.Fatalf("TUFGIT_BENCH_PROJECTS: %v", err)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			f, err := repotest.Generate(filepath.Join(dir, "repo.git"), repotest.Spec{Projects: n})
			if err != nil {
				b.Fatal(err)
			}
			if err := f.Pack(); err != nil {
				b.Fatal(err)
			}
			base := f.Head
			p := f.Projects[n/2]
			data := repotest.Artifact(p, "9.9.9", 4096)
			tp := layout.TargetPath(p, "9.9.9", p+"-9.9.9.tar.gz")
			tf, _ := metadata.TargetFile().FromBytes(tp, data, "sha256", "sha512")
			role, err := f.Resign(p, func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Targets[tp] = tf }, f.ProjectKeys[p]...)
			if err != nil {
				b.Fatal(err)
			}
			head, err := f.CommitDetached("release", role, gitstore.FileChange{Path: layout.ArtifactPath(hex.EncodeToString(tf.Hashes["sha256"])), Data: data})
			if err != nil {
				b.Fatal(err)
			}
			ups := []hook.Update{{Old: base, New: head, Ref: "refs/heads/main"}}
			pol := hook.Policy{Protected: []string{"refs/heads/main"}}
			cpu := rusage.WithChildren()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				g, err := gitstore.Open(f.Dir) // as each hook run does
				if err != nil {
					b.Fatal(err)
				}
				res, err := hook.Check(g, ups, pol, verify.Options{Now: f.Now})
				if err != nil || !res[0].Accepted {
					b.Fatalf("%v %+v", err, res)
				}
				g.Close()
			}
			b.ReportMetric(float64((rusage.WithChildren()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
