package webui_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/webui"
)

// BenchmarkBuild renders every page of a published repository with 1,000
// and 10,000 projects (load, signature checks, rendering, writing).
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			f, err := repotest.Generate(filepath.Join(dir, "repo.git"), repotest.Spec{Projects: n, Now: time.Now().UTC().Truncate(time.Second)})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.Publish(filepath.Join(dir, "mirror"), false); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				repo, err := webui.Load(webui.DirSource(filepath.Join(dir, "mirror", "metadata")), f.Now)
				if err != nil {
					b.Fatal(err)
				}
				files := 0
				w := webui.DirWriter(filepath.Join(dir, "ui"))
				if os.Getenv("TUFGIT_BENCH_DISCARD") != "" {
					w = func(string, []byte) error { return nil }
				}
				if err := webui.Build(repo, func(name string, data []byte) error { files++; return w(name, data) }, webui.Options{}); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(files), "files")
			}
		})
	}
}
