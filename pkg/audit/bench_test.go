package audit_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tufgit/tufgit/pkg/audit"
	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

// BenchmarkAuditPerCommit audits a history of release commits (each adds
// one 4 KB release to one project, as `tufgit release add` does) on a
// packed repository of 1,000 projects, and reports the cost per commit
// checked, apart from the head's one full check. Each run starts after the
// generated first commit (--from), so the first commit's full check, like
// the head's, is not counted per commit. With workers, µs/commit is wall
// time divided by commits.
func BenchmarkAuditPerCommit(b *testing.B) {
	for _, c := range []struct{ n, workers int }{{100, 1}, {400, 1}, {400, 2}} {
		n := c.n
		b.Run(fmt.Sprintf("commits=%d/workers=%d", n, c.workers), func(b *testing.B) {
			f, base := benchHistory(b, 1000, n)
			b.ReportAllocs()
			b.ResetTimer()
			var walk, head float64
			for i := 0; i < b.N; i++ {
				res, err := audit.Run(f.Repo, audit.Options{Rev: "main", Head: f.Head, From: base, Now: f.Now, Workers: c.workers})
				if err != nil || !res.Clean() || res.CommitsChecked != n {
					b.Fatalf("err=%v res=%+v", err, res)
				}
				walk += res.Stats.WalkSeconds
				head += res.Stats.HeadCheckSeconds
			}
			b.ReportMetric(walk/float64(b.N)/float64(n)*1e6, "µs/commit")
			b.ReportMetric(head/float64(b.N)*1e3, "ms-head-check")
		})
	}
}

var benchHistories = map[[2]int]struct {
	f    *repotest.Fixture
	base gitstore.Hash
}{}

// benchHistory generates, once per process and size, a repository of
// projects with commits release commits on top of its first commit.
func benchHistory(b *testing.B, projects, commits int) (*repotest.Fixture, gitstore.Hash) {
	key := [2]int{projects, commits}
	if h, ok := benchHistories[key]; ok {
		return h.f, h.base
	}
	dir, err := os.MkdirTemp("", "tufgit-audit-bench-")
	if err != nil {
		b.Fatal(err)
	}
	f, err := repotest.Generate(filepath.Join(dir, "repo.git"), repotest.Spec{Projects: projects})
	if err != nil {
		b.Fatal(err)
	}
	base := f.Head
	for i := 0; i < commits; i++ {
		p := f.Projects[i%len(f.Projects)]
		commit(b, f, "release "+p, release(b, f, p, fmt.Sprintf("9.%d.0", i)))
	}
	// As a server's repository: mostly packed.
	if err := f.Pack(); err != nil {
		b.Fatal(err)
	}
	benchHistories[key] = struct {
		f    *repotest.Fixture
		base gitstore.Hash
	}{f, base}
	return f, base
}
