package verify_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/internal/rusage"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/verify"
)

// Benchmarks generate their repositories once per size and process (real
// keys, signatures and git objects; nothing is committed to this repo).
var (
	benchMu       sync.Mutex
	benchFixtures = map[int]*repotest.Fixture{}
)

func benchFixture(b *testing.B, projects int) *repotest.Fixture {
	benchMu.Lock()
	defer benchMu.Unlock()
	if f, ok := benchFixtures[projects]; ok {
		return f
	}
	dir, err := os.MkdirTemp("", "tufgit-bench-")
	if err != nil {
		b.Fatal(err)
	}
	f, err := repotest.Generate(filepath.Join(dir, "repo.git"), repotest.Spec{Projects: projects, Releases: 1})
	if err != nil {
		b.Fatal(err)
	}
	// A server's repository is mostly packed (receive-pack keeps pushes of
	// more than 100 objects as packs; gc packs the rest): measure that.
	if os.Getenv("TUFGIT_BENCH_LOOSE") == "" {
		if err := f.Pack(); err != nil {
			b.Fatal(err)
		}
	}
	benchFixtures[projects] = f
	return f
}

var sizes = []int{1000, 10000}

// BenchmarkVerifyFull: a full check of every role, signature and artifact.
func BenchmarkVerifyFull(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			f := benchFixture(b, n)
			perSig := ed25519Cost()
			b.ResetTimer()
			cpu0 := rusage.Self()
			var rep *verify.Report
			for i := 0; i < b.N; i++ {
				var err error
				rep, err = verify.Commit(f.Repo, f.Head, verify.Options{Now: f.Now})
				if err != nil || !rep.Valid() {
					b.Fatalf("err=%v problems=%v", err, rep.Problems)
				}
			}
			b.StopTimer()
			cpu := (rusage.Self() - cpu0) / time.Duration(b.N)
			wall := b.Elapsed() / time.Duration(b.N)
			roles := rep.Stats.RolesChecked
			b.ReportMetric(float64(roles), "roles")
			b.ReportMetric(cpu.Seconds(), "cpu-s/op")
			b.ReportMetric(float64(cpu.Microseconds())/float64(roles), "cpu-µs/role")
			// Every role here carries one ed25519 signature: the bound is
			// one ed25519.Verify per role, spread over every core.
			bound := time.Duration(roles) * perSig / time.Duration(runtime.GOMAXPROCS(0))
			b.ReportMetric(100*bound.Seconds()/wall.Seconds(), "%ed25519-bound")
			// The same against CPU time: what share of the CPU spent is the
			// signature checks themselves (the wall-clock figure above
			// needs an idle machine; this one does not).
			b.ReportMetric(100*(time.Duration(roles)*perSig).Seconds()/cpu.Seconds(), "%cpu-in-ed25519")
		})
	}
}

// BenchmarkVerifySinceOneRelease: the incremental check of a push that adds
// one release to one project (new target, new artifact, re-signed role).
// Its cost must not grow with the repository.
func BenchmarkVerifySinceOneRelease(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			f := benchFixture(b, n)
			base, head := oneRelease(b, f)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rep, err := verify.Since(f.Repo, base, head, verify.Options{Now: f.Now})
				if err != nil || !rep.Valid() || rep.Stats.Mode != "incremental" {
					b.Fatalf("err=%v rep=%+v", err, rep)
				}
				b.ReportMetric(float64(rep.Stats.MetadataReads), "metadata-reads")
			}
		})
	}
}

// ed25519Cost measures the CPU time of one ed25519.Verify of a role-sized
// message on this machine, now (measured, not assumed).
func ed25519Cost() time.Duration {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 1024)
	sig := ed25519.Sign(priv, msg)
	const n = 2000
	start := rusage.Self() // CPU, not wall: the machine is shared
	for i := 0; i < n; i++ {
		if !ed25519.Verify(pub, msg, sig) {
			panic("ed25519")
		}
	}
	return (rusage.Self() - start) / n
}

var releaseCommits = map[int][2]gitstore.Hash{}

// oneRelease commits, once per fixture, a push that adds release 9.9.9 to
// one project, and returns the commits before and after it.
func oneRelease(b *testing.B, f *repotest.Fixture) (gitstore.Hash, gitstore.Hash) {
	benchMu.Lock()
	defer benchMu.Unlock()
	n := len(f.Projects)
	if c, ok := releaseCommits[n]; ok {
		return c[0], c[1]
	}
	base := f.Head
	p := f.Projects[n/2]
	data := repotest.Artifact(p, "9.9.9", 4096)
	tp := layout.TargetPath(p, "9.9.9", p+"-9.9.9.tar.gz")
	tf, err := metadata.TargetFile().FromBytes(tp, data, "sha256", "sha512")
	if err != nil {
		b.Fatal(err)
	}
	role, err := f.Resign(p, func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Targets[tp] = tf }, f.ProjectKeys[p]...)
	if err != nil {
		b.Fatal(err)
	}
	head, err := f.Commit("release", role, gitstore.FileChange{Path: layout.ArtifactPath(hex.EncodeToString(tf.Hashes["sha256"])), Data: data})
	if err != nil {
		b.Fatal(err)
	}
	f.Head = base // leave the shared fixture as it was for other benchmarks
	releaseCommits[n] = [2]gitstore.Hash{base, head}
	return base, head
}
