package layout_test

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

// The rule as the design memo writes it for python users:
// int(sha256(name).hexdigest()[:3], 16) >> 2 at 10 bits.
func TestShardOfMatchesThePythonOneLiner(t *testing.T) {
	for _, name := range []string{"hello", "django-rest-framework", "tencentcloud-sdk-python-cvm", "a", "0"} {
		sum := sha256.Sum256([]byte(name))
		n, err := strconv.ParseUint(hex.EncodeToString(sum[:])[:3], 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := layout.ShardOf(name, 10), int(n>>2); got != want {
			t.Errorf("ShardOf(%q, 10) = %d, want %d", name, got, want)
		}
	}
	if layout.ShardOf("hello", 0) != 0 || layout.ShardName(0, 0) != "" {
		t.Fatal("bits 0 is the single-shard layout: shard 0, no name")
	}
}

// Raising bits splits every shard in place: a project's new shard, shifted
// back, is its old shard. That is what lets `reshard` move no project
// between old shards.
func TestShardSplitsInPlace(t *testing.T) {
	for _, name := range repotest.RealisticNames(2000, 3) {
		for b := 1; b < layout.MaxShardBits; b++ {
			for d := 1; b+d <= layout.MaxShardBits; d++ {
				if layout.ShardOf(name, b+d)>>d != layout.ShardOf(name, b) {
					t.Fatalf("%s: shard at %d bits does not refine the one at %d bits", name, b+d, b)
				}
			}
		}
	}
}

// At 10 bits and realistic names, shards stay within a few percent of
// even: no shard's snapshot outgrows the others.
func TestShardsAreEven(t *testing.T) {
	names := repotest.RealisticNames(200_000, 4)
	counts := make([]int, 1<<8)
	for _, n := range names {
		counts[layout.ShardOf(n, 8)]++
	}
	mean := len(names) / len(counts)
	for s, c := range counts {
		if c < mean*3/4 || c > mean*5/4 {
			t.Fatalf("shard %s has %d names, mean %d", layout.ShardName(s, 8), c, mean)
		}
	}
}

func TestShardNameRoundTrip(t *testing.T) {
	for _, bits := range []int{1, 4, 5, 10, 12} {
		for _, s := range []int{0, 1, 1<<bits - 1} {
			name := layout.ShardName(s, bits)
			if len(name) != (bits+3)/4 {
				t.Fatalf("ShardName(%d, %d) = %q", s, bits, name)
			}
			got, err := layout.ParseShardName(name, bits)
			if err != nil || got != s {
				t.Fatalf("ParseShardName(%q, %d) = %d, %v", name, bits, got, err)
			}
		}
	}
	for _, bad := range []struct {
		s    string
		bits int
	}{{"3FF", 10}, {"400", 10}, {"3f", 10}, {"03ff", 10}, {"x", 1}, {"2", 1}, {"", 4}, {"0", 0}, {"0", 13}} {
		if _, err := layout.ParseShardName(bad.s, bad.bits); err == nil {
			t.Errorf("ParseShardName(%q, %d) accepted", bad.s, bad.bits)
		}
	}
}

func TestParseShardMap(t *testing.T) {
	good := `{"type": "tufgit-shards", "format_version": 1, "rule": "sha256-prefix", "bits": 10, "metadata": "s10/{shard}/metadata/", "targets": "targets/"}`
	m, err := layout.ParseShardMap([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if *m != layout.DefaultShardMap(10) {
		t.Fatalf("parsed %+v, want the default map", m)
	}
	if got := m.MetadataPath(layout.ShardOf("hello", 10)); got != "s10/"+layout.ShardName(layout.ShardOf("hello", 10), 10)+"/metadata/" {
		t.Fatalf("MetadataPath = %q", got)
	}
	for _, c := range []struct{ from, to, want string }{
		{`"bits": 10`, `"bits": 13`, "bits 13 out of range"},
		{`"bits": 10`, `"bits": 0`, "bits 0 out of range"},
		{`"rule": "sha256-prefix"`, `"rule": "md5"`, `rule "md5" is not supported`},
		{`"type": "tufgit-shards"`, `"type": "tufgit-config"`, "type is"},
		{`"s10/{shard}/metadata/"`, `"s/metadata/"`, "exactly once"},
		{`"s10/{shard}/metadata/"`, `"s/{shard}/{shard}/"`, "exactly once"},
		{`"s10/{shard}/metadata/"`, `"../{shard}/"`, "segment"},
		{`"s10/{shard}/metadata/"`, `"/s/{shard}/"`, "segment"},
		{`"targets/"`, `"targets"`, "must end in /"},
		{`"targets/"`, `"t?x=1/"`, "segment"},
		{`"targets/"`, `"https:%2f%2fevil/"`, "segment"},
		{`"bits": 10`, `"bits": 10, "bits": 4`, "duplicate"},
		{`"bits": 10`, `"bits": 10, "extra": 1`, "extra"},
		{`"bits": 10`, `"BITS": 10`, "BITS"},
	} {
		bad := strings.Replace(good, c.from, c.to, 1)
		_, err := layout.ParseShardMap([]byte(bad))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s → %s: err %v, want it to mention %q", c.from, c.to, err, c.want)
		}
	}
}

func FuzzParseShardMap(f *testing.F) {
	f.Add([]byte(`{"type": "tufgit-shards", "format_version": 1, "rule": "sha256-prefix", "bits": 10, "metadata": "s10/{shard}/metadata/", "targets": "targets/"}`))
	f.Add([]byte(`{"type": "tufgit-shards", "format_version": 1, "rule": "sha256-prefix", "bits": 1, "metadata": "{shard}/", "targets": "t/"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := layout.ParseShardMap(data)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		// Property: every shard's metadata path is distinct, relative and
		// stays below the base; encoding and parsing again gives the same map.
		seen := map[string]bool{}
		for s := 0; s < 1<<m.Bits && s < 64; s++ {
			p := m.MetadataPath(s)
			if seen[p] || strings.HasPrefix(p, "/") || slices.Contains(strings.Split(p, "/"), "..") {
				t.Fatalf("shard %d: metadata path %q", s, p)
			}
			seen[p] = true
		}
		b, err := layout.EncodeFile(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := layout.ParseShardMap(b)
		if err != nil || *m2 != *m {
			t.Fatalf("round trip: %+v → %s → %+v, %v", m, b, m2, err)
		}
	})
}
