package layout_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tufgit/tufgit/pkg/layout"
)

// TestCompareVersionsOrder: each version sorts strictly before the next.
func TestCompareVersionsOrder(t *testing.T) {
	chains := [][]string{
		// SemVer 2.0's own example, with a leading v here and there.
		{"1.0.0-alpha", "v1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "v1.0.1", "2.0.0", "2.1.0", "2.1.1"},
		// Issue #20: v1.1.0 is below 1.2.0.
		{"1.0.0", "v1.1.0", "1.2.0", "V1.10.0"},
		// PEP 440's example order.
		{"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1"},
		// Mixed spellings of pre-releases, numbers of any size, suffixes.
		{"1.0-alpha.1", "1.0b1", "1.0-RC2", "1.0.0-rc.10", "1.0", "1.0.post1", "1.0foo", "1.0.x", "1.1"},
		{"beta", "0.0.1", "2", "99999999999999999999", "100000000000000000000.0"},
		// SemVer: "-1" is a pre-release, before its release.
		{"1.0.0-1", "1.0.0"},
	}
	for _, c := range chains {
		for i := 0; i+1 < len(c); i++ {
			if got := layout.CompareVersions(c[i], c[i+1]); got >= 0 {
				t.Errorf("CompareVersions(%q, %q) = %d, want < 0", c[i], c[i+1], got)
			}
			if got := layout.CompareVersions(c[i+1], c[i]); got <= 0 {
				t.Errorf("CompareVersions(%q, %q) = %d, want > 0", c[i+1], c[i], got)
			}
		}
	}
	// Ties that precedence leaves are broken, so the order is total.
	for _, p := range [][2]string{{"1.0", "1.0.0"}, {"1.0.0+a", "1.0.0+b"}, {"1.0a1", "1.0-alpha.1"}, {"v1.0", "1.0"}} {
		x, y := layout.CompareVersions(p[0], p[1]), layout.CompareVersions(p[1], p[0])
		if x == 0 || x != -y {
			t.Errorf("CompareVersions(%q, %q) = %d and reversed %d, want a total order", p[0], p[1], x, y)
		}
	}
}

// FuzzCompareVersions: the order is antisymmetric and only equal strings
// tie, for any valid versions.
func FuzzCompareVersions(f *testing.F) {
	f.Add("1.0.0-rc.1", "1.0rc1")
	f.Add("v1.1.0", "1.2.0")
	f.Add("1.0.post1.dev2", "1.0-r1")
	f.Fuzz(func(t *testing.T, a, b string) {
		if layout.ValidateVersion(a) != nil || layout.ValidateVersion(b) != nil {
			return
		}
		x, y := layout.CompareVersions(a, b), layout.CompareVersions(b, a)
		if x != -y || (x == 0) != (a == b) {
			t.Fatalf("CompareVersions(%q, %q) = %d, reversed %d", a, b, x, y)
		}
	})
}

// TestCompareVersionsTotal: sorting any permutation of a mixed list gives
// one result, so the order is transitive as well as antisymmetric.
func TestCompareVersionsTotal(t *testing.T) {
	vs := []string{"1.0", "1.0.0", "v1.0.1", "1.0a1", "1.0.0-alpha.1", "1.0.dev1", "1.0a1.dev1", "1.0.post1", "1.0.post1.dev1",
		"1.0-1", "1.0.x", "1.0foo", "beta", "2", "1.0.0+b", "1.0rc1", "1.0.0-rc.1", "1.0.0-RC.1", "0.9", "1.0-r1", "10", "1.0-alpha.beta"}
	sorted := func(in []string) []string {
		out := slices.Clone(in)
		slices.SortFunc(out, layout.CompareVersions)
		return out
	}
	want := sorted(vs)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		p := slices.Clone(vs)
		r.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
		if got := sorted(p); !slices.Equal(got, want) {
			t.Fatalf("sorting a permutation gave\n%v\nwant\n%v", got, want)
		}
	}
	for i := range want {
		for j := range want {
			if c := layout.CompareVersions(want[i], want[j]); (i < j && c >= 0) || (i > j && c <= 0) {
				t.Fatalf("CompareVersions(%q, %q) = %d disagrees with the sorted order", want[i], want[j], c)
			}
		}
	}
}
