package client_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/client"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

// BenchmarkFreshClientDownload: a client that holds only root downloads
// one release, at 1,000 and 10,000 projects, over HTTP on 127.0.0.1. It
// reports the metadata bytes fetched and, for comparison, the size the
// top-level targets.json would have if every project were delegated from
// it directly (no prefix index).
func BenchmarkFreshClientDownload(b *testing.B) {
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
			mirror := filepath.Join(dir, "mirror")
			if _, err := f.Publish(mirror, false); err != nil {
				b.Fatal(err)
			}
			var metaBytes atomic.Int64
			fs := http.FileServer(http.Dir(mirror))
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := &countingWriter{ResponseWriter: w}
				fs.ServeHTTP(rec, r)
				if filepath.Dir(r.URL.Path) == "/metadata" {
					metaBytes.Add(rec.n)
				}
			}))
			defer srv.Close()
			tree, _ := f.Repo.TreeAt(f.Head)
			root, _ := tree.ReadFile(layout.RootHistoryPath(1), layout.MaxRootSize)
			project := f.Projects[n/3]
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				cdir := filepath.Join(b.TempDir(), "client")
				client.Init(cdir, srv.URL, root)
				c, _ := client.Open(cdir)
				metaBytes.Store(0)
				b.StartTimer()
				if _, err := c.Download(project, "", filepath.Join(cdir, "out")); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(metaBytes.Load()), "metadata-B")
			}
			b.StopTimer()
			b.ReportMetric(float64(flatTargetsSize(b, f)), "flat-targets-B")
		})
	}
}

type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}

// flatTargetsSize is the size of a targets.json that delegates every
// project itself, with the same maintainer keys: what every client would
// download without the prefix index.
func flatTargetsSize(b *testing.B, f *repotest.Fixture) int {
	t := metadata.Targets(f.Now)
	t.Signed.Delegations = &metadata.Delegations{Keys: map[string]*metadata.Key{}}
	for _, p := range f.Projects {
		var ids []string
		for _, k := range f.ProjectKeys[p] {
			t.Signed.Delegations.Keys[k.ID] = k.Public
			ids = append(ids, k.ID)
		}
		t.Signed.Delegations.Roles = append(t.Signed.Delegations.Roles, metadata.DelegatedRole{Name: p, KeyIDs: ids, Threshold: 1, Terminating: true, Paths: []string{layout.ProjectPathPattern(p)}})
	}
	repo.Sign(t, f.Admin)
	raw, err := repo.EncodeMetadata(t)
	if err != nil {
		b.Fatal(err)
	}
	return len(raw)
}
