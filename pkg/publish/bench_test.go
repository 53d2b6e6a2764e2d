package publish_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/atomicfile"
	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/internal/rusage"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/publish"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/verify"
)

// BenchmarkPublishOneRelease: publishing a push that added one release to
// one project, after a first full publish, at 1,000 and 10,000 projects.
// Each iteration publishes a fresh one-release commit.
func BenchmarkPublishOneRelease(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			f, err := repotest.Generate(filepath.Join(dir, "repo.git"), repotest.Spec{Projects: n, Now: time.Now().UTC().Truncate(time.Second)})
			if err != nil {
				b.Fatal(err)
			}
			if err := f.Pack(); err != nil {
				b.Fatal(err)
			}
			m, err := publish.OpenMirror(context.Background(), filepath.Join(dir, "mirror"))
			if err != nil {
				b.Fatal(err)
			}
			k, _ := publish.WrapOnlineKeyForTest(repotest.Key("online"))
			t0 := time.Now()
			if _, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: k, Mirror: m, Now: f.Now}); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(time.Since(t0).Seconds(), "first-full-publish-s")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				p := f.Projects[(i*7919)%n]
				v := fmt.Sprintf("9.%d.0", i)
				data := repotest.Artifact(p, v, 4096)
				tp := layout.TargetPath(p, v, p+".tar.gz")
				tf, _ := metadata.TargetFile().FromBytes(tp, data, "sha256", "sha512")
				role, err := f.Resign(p, func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Targets[tp] = tf }, f.ProjectKeys[p]...)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := f.Commit("release", role, gitstore.FileChange{Path: layout.ArtifactPath(fmt.Sprintf("%x", []byte(tf.Hashes["sha256"]))), Data: data}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: k, Mirror: m, Now: f.Now})
				if err != nil || res.Full {
					b.Fatalf("%v %+v", err, res)
				}
				b.ReportMetric(float64(len(res.Written)), "files-written")
			}
		})
	}
}

// BenchmarkArtifactMemory: the peak heap of the push check (verify --since,
// what the pre-receive hook runs) and of publish for a release whose one
// artifact is 1 MB or 100 MB (TUFGIT_BENCH_ARTIFACT_MB adds sizes, e.g.
// 1024). The artifact is generated, deterministic, and never committed to
// this repository. Both stream: the peak should not follow the size.
func BenchmarkArtifactMemory(b *testing.B) {
	sizes := []int{1, 100}
	if s := os.Getenv("TUFGIT_BENCH_ARTIFACT_MB"); s != "" {
		for _, f := range strings.Split(s, ",") {
			if n, err := strconv.Atoi(f); err == nil && n > 0 {
				sizes = append(sizes, n)
			}
		}
	}
	for _, mb := range sizes {
		b.Run(fmt.Sprintf("artifact=%dMB", mb), func(b *testing.B) {
			dir := b.TempDir()
			f, err := repotest.Generate(filepath.Join(dir, "repo.git"), repotest.Spec{Projects: 10, Now: time.Now().UTC().Truncate(time.Second)})
			if err != nil {
				b.Fatal(err)
			}
			k, _ := publish.WrapOnlineKeyForTest(repotest.Key("online"))
			base := f.Head
			p := f.Projects[0]
			head := func() gitstore.Hash {
				data := repotest.Artifact(p, "9.9.9", mb<<20)
				tp := layout.TargetPath(p, "9.9.9", p+".tar.gz")
				tf, _ := metadata.TargetFile().FromBytes(tp, data, "sha256", "sha512")
				role, err := f.Resign(p, func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Targets[tp] = tf }, f.ProjectKeys[p]...)
				if err != nil {
					b.Fatal(err)
				}
				h, err := f.Commit("release", role, gitstore.FileChange{Path: layout.ArtifactPath(fmt.Sprintf("%x", []byte(tf.Hashes["sha256"]))), Data: data})
				if err != nil {
					b.Fatal(err)
				}
				return h
			}()
			var sincePeak, publishPeak uint64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sincePeak = peakHeap(func() {
					rep, err := verify.Since(f.Repo, base, head, verify.Options{Now: f.Now})
					if err != nil || !rep.Valid() {
						b.Fatalf("%v %v", err, rep.Problems)
					}
				})
				// A fresh mirror each time, so that the artifact is written.
				fresh, err := publish.OpenMirror(context.Background(), filepath.Join(dir, fmt.Sprintf("mirror-%d", i)))
				if err != nil {
					b.Fatal(err)
				}
				publishPeak = peakHeap(func() {
					if _, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: head, Key: k, Mirror: fresh, Now: f.Now}); err != nil {
						b.Fatal(err)
					}
				})
			}
			b.ReportMetric(float64(sincePeak)/(1<<20), "push-check-peak-MB")
			b.ReportMetric(float64(publishPeak)/(1<<20), "publish-peak-MB")
		})
	}
}

// peakHeap runs fn and returns the most heap it held above what was live
// before it, sampled every millisecond (runtime/metrics, no stop-the-world).
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	before := read()
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	<-stopped
	if v := read(); v > peak.Load() {
		peak.Store(v)
	}
	if peak.Load() < before {
		return 0
	}
	return peak.Load() - before
}

// memMirror is a mirror in memory: the UI benchmark measures the work,
// not the fsyncs of a disk shared with other jobs.
type memMirror struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (m *memMirror) Read(_ context.Context, name string, max int64) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.files[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, publish.ErrNotExist)
	}
	if int64(len(d)) > max {
		return nil, fmt.Errorf("%s: too large", name)
	}
	return d, nil
}
func (m *memMirror) Exists(_ context.Context, name string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.files[name]
	return ok, nil
}
func (m *memMirror) Write(_ context.Context, name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[name] = append([]byte(nil), data...)
	return nil
}
func (m *memMirror) WriteFrom(ctx context.Context, name string, r io.Reader, check func() error) error {
	data, err := io.ReadAll(r)
	if err == nil && check != nil {
		err = check()
	}
	if err != nil {
		return err
	}
	return m.Write(ctx, name, data)
}
func (m *memMirror) Close() error   { return nil }
func (m *memMirror) String() string { return "mem" }

// uiCounter counts the web UI's files a publish writes.
type uiCounter struct {
	publish.Mirror
	ui int
}

func (c *uiCounter) Write(ctx context.Context, name string, data []byte) error {
	if strings.HasPrefix(name, "ui/") {
		c.ui++
	}
	return c.Mirror.Write(ctx, name, data)
}

// BenchmarkPublishOneReleaseUI is BenchmarkPublishOneRelease with the web
// UI on, as `tufgit publish` runs by default: the first (full) publish
// and then one publish per one-release push, to a mirror in memory.
func BenchmarkPublishOneReleaseUI(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			f, err := repotest.Generate(filepath.Join(dir, "repo.git"), repotest.Spec{Projects: n, Now: time.Now().UTC().Truncate(time.Second)})
			if err != nil {
				b.Fatal(err)
			}
			if err := f.Pack(); err != nil {
				b.Fatal(err)
			}
			m := &uiCounter{Mirror: &memMirror{files: map[string][]byte{}}}
			k, _ := publish.WrapOnlineKeyForTest(repotest.Key("online"))
			t0 := time.Now()
			if _, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: k, Mirror: m, Now: f.Now, UI: true, UISite: f.UISite}); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(time.Since(t0).Seconds(), "first-full-publish-s")
			b.ReportMetric(float64(m.ui), "first-ui-files")
			var cpu time.Duration
			b.ResetTimer()
			defer func() { b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op") }()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				p := f.Projects[(i*7919)%n]
				v := fmt.Sprintf("9.%d.0", i)
				data := repotest.Artifact(p, v, 4096)
				tp := layout.TargetPath(p, v, p+".tar.gz")
				tf, _ := metadata.TargetFile().FromBytes(tp, data, "sha256", "sha512")
				role, err := f.Resign(p, func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Targets[tp] = tf }, f.ProjectKeys[p]...)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := f.Commit("release", role, gitstore.FileChange{Path: layout.ArtifactPath(fmt.Sprintf("%x", []byte(tf.Hashes["sha256"]))), Data: data}); err != nil {
					b.Fatal(err)
				}
				m.ui = 0
				c0 := rusage.Self()
				b.StartTimer()
				res, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: k, Mirror: m, Now: f.Now, UI: true, UISite: f.UISite})
				if err != nil || res.Full {
					b.Fatalf("%v %+v", err, res)
				}
				b.StopTimer()
				cpu += rusage.Self() - c0
				b.StartTimer()
				b.ReportMetric(float64(m.ui), "ui-files-written")
			}
		})
	}
}

// BenchmarkFirstPublishHeap measures the peak Go heap of a repository's
// first (full) publish, per role, at two sizes: it should follow the work
// in flight, not the number of roles.
func BenchmarkFirstPublishHeap(b *testing.B) {
	for _, n := range []int{2000, 20000} {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			f, err := repotest.Generate(filepath.Join(b.TempDir(), "repo.git"), repotest.Spec{Names: repotest.RealisticNames(n, 1), Releases: 1, ShardBits: 4, Now: time.Now().UTC().Truncate(time.Second)})
			if err != nil {
				b.Fatal(err)
			}
			key, err := publish.WrapOnlineKeyForTest(repotest.Key("online"))
			if err != nil {
				b.Fatal(err)
			}
			roles := n + 16*36
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				dir := filepath.Join(b.TempDir(), "mirror")
				m, err := publish.OpenMirror(context.Background(), dir)
				if err != nil {
					b.Fatal(err)
				}
				var res *publish.Result
				peak := peakHeap(func() {
					res, err = publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: key, Mirror: unsyncedMirror{m, dir}, Now: f.Now})
				})
				if err != nil || !res.Full {
					b.Fatalf("%v %+v", err, res)
				}
				b.ReportMetric(float64(peak)/(1<<20), "heap-peak-MB")
				b.ReportMetric(float64(peak)/float64(roles), "heap-B/role")
			}
		})
	}
}

// unsyncedMirror is the directory mirror at dir, writing without an
// fsync per file.
type unsyncedMirror struct {
	publish.Mirror
	dir string
}

func (m unsyncedMirror) Write(_ context.Context, name string, data []byte) error {
	return atomicfile.WriteUnsynced(filepath.Join(m.dir, filepath.FromSlash(name)), data, 0o644)
}

func (m unsyncedMirror) WriteFrom(_ context.Context, name string, r io.Reader, check func() error) error {
	return atomicfile.WriteFrom(filepath.Join(m.dir, filepath.FromSlash(name)), 0o644, false, func(w io.Writer) error {
		if _, err := io.Copy(w, r); err != nil {
			return err
		}
		if check != nil {
			return check()
		}
		return nil
	})
}
