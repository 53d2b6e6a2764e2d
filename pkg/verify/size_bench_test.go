package verify_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/state"
)

// BenchmarkFreshClientBytes measures what a client with only root.json
// downloads to fetch one file: timestamp, snapshot, targets, the index
// roles on the project's path and the project role (the artifact aside).
// Snapshot lists every role file by version. Set TUFGIT_BENCH_100K=1 to add
// the 100,000-project case (about a minute to generate).
func BenchmarkFreshClientBytes(b *testing.B) {
	ns := []int{1000, 10000}
	if os.Getenv("TUFGIT_BENCH_100K") != "" {
		ns = append(ns, 100000)
	}
	for _, n := range ns {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			f := benchFixture(b, n)
			tree, err := f.Repo.TreeAt(f.Head)
			if err != nil {
				b.Fatal(err)
			}
			v := state.New(tree)
			size := func(p string) int {
				raw, err := tree.ReadFile(p, layout.MaxTargetsSize)
				if err != nil {
					b.Fatal(err)
				}
				return len(raw)
			}
			snap := metadata.Snapshot(f.Now)
			snap.Signed.Meta[layout.RoleTargets+".json"] = metadata.MetaFile(1)
			for _, r := range f.IndexRoles {
				snap.Signed.Meta[r+".json"] = metadata.MetaFile(1)
			}
			for _, p := range f.Projects {
				snap.Signed.Meta[p+".json"] = metadata.MetaFile(1)
			}
			if err := repo.Sign(snap, f.Online); err != nil {
				b.Fatal(err)
			}
			snapRaw, err := snap.ToBytes(false)
			if err != nil {
				b.Fatal(err)
			}
			ts := metadata.Timestamp(f.Now)
			ts.Signed.Meta["snapshot.json"] = metadata.MetaFile(1)
			if err := repo.Sign(ts, f.Online); err != nil {
				b.Fatal(err)
			}
			tsRaw, _ := ts.ToBytes(false)

			// Average the path over a sample of projects.
			var chain, maxChain, depth, proj int
			sample := f.Projects[:0:0]
			for i := 0; i < len(f.Projects); i += len(f.Projects) / 100 {
				sample = append(sample, f.Projects[i])
			}
			for _, p := range sample {
				c, d := 0, 0
				for name := p; ; {
					parent, err := v.Parent(name)
					if err != nil {
						b.Fatal(err)
					}
					if parent == layout.RoleTargets {
						break
					}
					c += size(layout.RolePath(parent))
					d++
					name = parent
				}
				chain += c
				depth += d
				maxChain = max(maxChain, c)
				proj += size(layout.RolePath(p))
			}
			k := len(sample)
			targets := size(layout.TargetsPath)
			total := len(tsRaw) + len(snapRaw) + targets + chain/k + proj/k
			b.ReportMetric(float64(len(snapRaw)), "snapshot-B")
			b.ReportMetric(float64(targets), "targets-B")
			b.ReportMetric(float64(chain/k), "index-path-B")
			b.ReportMetric(float64(maxChain), "index-path-max-B")
			b.ReportMetric(float64(depth)/float64(k), "index-depth")
			b.ReportMetric(float64(proj/k), "project-B")
			b.ReportMetric(float64(total), "fresh-client-B")
			b.ReportMetric(float64(size(layout.RootPath)), "root-B")
			for i := 0; i < b.N; i++ {
			}
		})
	}
}
