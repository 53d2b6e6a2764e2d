package layout_test

import (
	"fmt"
	"testing"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

// indexShape plans today's one-character-per-level prefix index for names
// and returns the deepest and the average depth a client walks below
// targets to reach a project (index roles on its path), and the number of
// index roles.
func indexShape(names []string, max int) (maxDepth int, avgDepth float64, roles int) {
	byFirst := map[byte][]string{}
	for _, n := range names {
		byFirst[n[0]] = append(byFirst[n[0]], n)
	}
	total := 0
	for c, group := range byFirst {
		for _, node := range layout.PlanIndex(string(c), group, max) {
			roles++
			d := len(node.Prefix)
			if d > maxDepth {
				maxDepth = d
			}
			total += d * len(node.Projects)
		}
	}
	return maxDepth, float64(total) / float64(len(names)), roles
}

func TestRealisticNames(t *testing.T) {
	a := repotest.RealisticNames(5000, 1)
	b := repotest.RealisticNames(5000, 1)
	seen := map[string]bool{}
	long := 0
	for i, n := range a {
		if n != b[i] {
			t.Fatalf("not deterministic at %d: %q vs %q", i, n, b[i])
		}
		if !layout.IsNormalizedProjectName(n) || seen[n] || (i > 0 && a[i-1] >= n) {
			t.Fatalf("name %d %q: not normalized, unique and sorted", i, n)
		}
		seen[n] = true
		if len(n) >= 20 {
			long++
		}
	}
	if long == 0 {
		t.Fatal("no long shared-prefix names: the generator lost its families")
	}
}

// BenchmarkIndexDepthRealisticNames measures how deep today's prefix index
// gets with PyPI-shaped names (issue #13): a family like
// tencentcloud-sdk-python-* with more than max_projects members drives a
// one-character-per-level index as deep as its shared prefix is long, near
// the 32 roles every standard client walks at most.
func BenchmarkIndexDepthRealisticNames(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			names := repotest.RealisticNames(n, 1)
			b.ResetTimer()
			var maxD, roles int
			var avgD float64
			for b.Loop() {
				maxD, avgD, roles = indexShape(names, layout.DefaultMaxProjects)
			}
			b.ReportMetric(float64(maxD), "max-depth")
			b.ReportMetric(avgD, "avg-depth")
			b.ReportMetric(float64(roles), "index-roles")
		})
	}
}
