package publish_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/publish"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
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
				c0 := cpuTime()
				b.StartTimer()
				res, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: k, Mirror: m, Now: f.Now, UI: true, UISite: f.UISite})
				if err != nil || res.Full {
					b.Fatalf("%v %+v", err, res)
				}
				b.StopTimer()
				cpu += cpuTime() - c0
				b.StartTimer()
				b.ReportMetric(float64(m.ui), "ui-files-written")
			}
		})
	}
}

// cpuTime is the process's user and system CPU time: on a machine shared
// with other jobs it says more than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
