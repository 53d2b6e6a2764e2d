//go:build unix

package publish_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

// BenchmarkScale: issue #13's "Measured" table (make bench-scale). For each
// size in TUFGIT_SCALE_SIZES (default 10000) and shard bits in
// TUFGIT_SCALE_BITS (default 10), a repository of realistic names is
// generated once and kept in TUFGIT_BENCH_CACHE (default the user cache
// dir, tufgit/bench/scale-N-bB) with its first publish; later runs reuse it
// and add their pushes to it. Sub-benchmarks report, with b.ReportMetric:
//
//	generate   generation time, repository size, peak memory (cached: as measured then)
//	clients    fresh client KB (avg, max), roles walked below targets,
//	           returning client KB after a publish in its shard and bytes after one elsewhere,
//	           go-tuf (and tuf-js when installed) download time
//	shards     snapshot entries per shard (avg, max)
//	push       publish, verify --since and the hook for a one-release push (median of TUFGIT_SCALE_REPS, default 5)
//	verify     full verify: wall and CPU µs per role, cores used
//
// Goals (at 1M): fresh ≤ 150 KB, returning ≤ 50 KB in its shard and only
// timestamp elsewhere, ≤ 1000 entries per shard, ≤ 4 roles below targets,
// publish ≤ 1 s and flat. They are reported, not enforced: TestScaleShape
// checks their shape on every `make test`.
//
// BenchmarkScalePlan prices other shard counts from the names alone
// (snapshot entries per shard for TUFGIT_SCALE_PLAN_BITS, default 8-12).
func BenchmarkScale(b *testing.B) {
	reps := envInt(b, "TUFGIT_SCALE_REPS", "5")[0]
	samples := envInt(b, "TUFGIT_SCALE_SAMPLES", "50")[0]
	for _, n := range envInt(b, "TUFGIT_SCALE_SIZES", "10000") {
		for _, bits := range envInt(b, "TUFGIT_SCALE_BITS", "10") {
			b.Run(fmt.Sprintf("projects=%d/bits=%d", n, bits), func(b *testing.B) {
				e := openScale(b, filepath.Join(scaleCache(b), fmt.Sprintf("scale-%d-b%d", n, bits)), n, bits)
				var r *scaleResult
				b.Run("generate", func(b *testing.B) {
					g := e.gen
					b.ReportMetric(g.GenerateS, "gen-s")
					b.ReportMetric(g.RepoMB, "repo-MB")
					b.ReportMetric(g.GenHeapPeakMB, "gen-heap-peak-MB")
					b.ReportMetric(g.GitMaxRSSMB, "fast-import-rss-MB")
					b.ReportMetric(float64(g.IndexRoles), "index-roles")
					b.ReportMetric(g.FirstPublishS, "first-publish-s")
					b.ReportMetric(g.PublishHeapMB, "first-publish-heap-MB")
					b.ReportMetric(g.MirrorMB, "mirror-MB")
					b.ReportMetric(float64(g.MirrorFiles), "mirror-files")
					b.Logf("generated %s (%d projects, %d shards)", g.GeneratedNowTS, n, 1<<bits)
				})
				r = measureScale(b, e, samples, reps, os.Getenv("TUFGIT_SCALE_NOVERIFY") == "")
				b.Run("clients", func(b *testing.B) {
					avg, mx := stats(fetchBytes(r.Fresh))
					b.ReportMetric(avg/1000, "fresh-avg-KB")
					b.ReportMetric(float64(mx)/1000, "fresh-max-KB")
					if r.FreshBound > 0 {
						b.ReportMetric(float64(r.FreshBound)/1000, "fresh-bound-KB")
					}
					var below []int
					var took []time.Duration
					for _, f := range r.Fresh {
						below = append(below, f.Below)
						took = append(took, f.Took)
						if f.Meta == mx {
							b.Logf("largest fresh fetch: %s, %v", f.Project, f.Files)
						}
					}
					bavg, bmx := stats(below)
					b.ReportMetric(bavg, "roles-below-avg")
					b.ReportMetric(float64(bmx), "roles-below-max")
					b.ReportMetric(float64(r.InShard.Meta)/1000, "return-same-shard-KB")
					b.ReportMetric(float64(r.Elsewhere.Meta), "return-other-shard-B")
					b.ReportMetric(float64(median(took).Microseconds())/1000, "gotuf-fresh-ms")
					b.Logf("returning, same shard: %v; other shard: %v", r.InShard.Files, r.Elsewhere.Files)
					if r.TufJSSkipped != "" {
						b.Logf("tuf-js: skipped: %s", r.TufJSSkipped)
					} else {
						b.ReportMetric(r.TufJS.Seconds(), "tufjs-fresh-s")
					}
					if r.PyTUFSkipped != "" {
						b.Logf("python-tuf: skipped: %s", r.PyTUFSkipped)
					} else {
						b.ReportMetric(r.PyTUF.Seconds(), "pytuf-fresh-s")
					}
				})
				b.Run("shards", func(b *testing.B) {
					avg, mx := stats(r.Entries)
					b.ReportMetric(avg, "entries-avg")
					b.ReportMetric(float64(mx), "entries-max")
				})
				b.Run("push", func(b *testing.B) {
					b.ReportMetric(median(r.Publish).Seconds(), "publish-s")
					b.ReportMetric(slicesMax(r.Publish).Seconds(), "publish-max-s")
					b.ReportMetric(float64(median(r.Since).Microseconds())/1000, "since-ms")
					b.ReportMetric(float64(median(r.Hook).Microseconds())/1000, "hook-ms")
					shards, files := 0, 0
					for _, res := range r.PublishRes {
						shards, files = max(shards, res.Shards), max(files, len(res.Written))
						if res.Full {
							b.Errorf("a one-release publish rewrote the whole mirror: %d files", len(res.Written))
						}
					}
					b.ReportMetric(float64(shards), "shards-resigned-max")
					b.ReportMetric(float64(files), "files-written-max")
				})
				if r.VerifyRoles > 0 {
					b.Run("verify", func(b *testing.B) {
						b.ReportMetric(r.VerifyWall.Seconds(), "full-verify-s")
						b.ReportMetric(float64(r.VerifyWall.Microseconds())/float64(r.VerifyRoles), "wall-µs/role")
						b.ReportMetric(float64(r.VerifyCPU.Microseconds())/float64(r.VerifyRoles), "cpu-µs/role")
						b.ReportMetric(r.VerifyCPU.Seconds()/r.VerifyWall.Seconds(), "go-cores-used")
						b.ReportMetric(r.MachineBusy, "machine-cores-busy")
						b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "cores")
						b.ReportMetric(float64(r.VerifyRoles), "roles")
					})
				}
			})
		}
	}
}

// BenchmarkScalePlan: snapshot entries per shard at other shard counts,
// from the realistic names and the index plan alone (TestScaleShape checks
// that the plan's count is what publish writes).
func BenchmarkScalePlan(b *testing.B) {
	for _, n := range envInt(b, "TUFGIT_SCALE_SIZES", "10000") {
		names := repotest.RealisticNames(n, 13)
		for _, bits := range envInt(b, "TUFGIT_SCALE_PLAN_BITS", "8,9,10,11,12") {
			b.Run(fmt.Sprintf("projects=%d/bits=%d", n, bits), func(b *testing.B) {
				avg, mx := stats(plannedEntries(names, bits, layout.DefaultMaxProjects))
				b.ReportMetric(avg, "entries-avg")
				b.ReportMetric(float64(mx), "entries-max")
				b.ReportMetric(float64(len(layout.ShardNames(bits))), "shards")
			})
		}
	}
}

func slicesMax(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

func envInt(b *testing.B, name, def string) []int {
	s := os.Getenv(name)
	if s == "" {
		s = def
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			b.Fatalf("%s: %q is not a count", name, f)
		}
		out = append(out, n)
	}
	return out
}

func scaleCache(b *testing.B) string {
	if d := os.Getenv("TUFGIT_BENCH_CACHE"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		b.Fatal(err)
	}
	return filepath.Join(d, "tufgit", "bench")
}
