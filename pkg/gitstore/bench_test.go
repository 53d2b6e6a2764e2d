package gitstore

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tufgit/tufgit/pkg/internal/rusage"
)

// benchRepo is a packed bare repository shaped like tufgit's: n project
// roles of about 1 KB under metadata/projects/XX/, each with one artifact
// under artifacts/XX/, all in one pack after `git repack -a -d` (so most
// roles are deltas, as on a server). It is made with git fast-import once
// per size and kept in TUFGIT_BENCH_CACHE (default: the temp directory),
// since a 100k-project repository takes a while to build.
func benchRepo(b *testing.B, n int) (dir string, paths []string) {
	b.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git binary not found")
	}
	for i := 0; i < n; i++ {
		p := fmt.Sprintf("p%06d", i)
		paths = append(paths, fmt.Sprintf("metadata/projects/%02x/%s.json", i%256, p))
	}
	cache := os.Getenv("TUFGIT_BENCH_CACHE")
	if cache == "" {
		cache = os.TempDir()
	}
	dir = filepath.Join(cache, fmt.Sprintf("tufgit-gitstore-bench-%d.git", n))
	if _, err := os.Stat(filepath.Join(dir, "bench-complete")); err == nil {
		return dir, paths
	}
	os.RemoveAll(dir)
	git := func(stdin []byte, args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(gitCmdEnv(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		cmd.Stdin = bytes.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	git(nil, "init", "-q", "--bare", "-b", "main")
	var s bytes.Buffer
	s.WriteString("commit refs/heads/main\ncommitter Bench <b@example.org> 1700000000 +0000\ndata 5\nbench\n")
	for i, p := range paths {
		role := fmt.Sprintf(`{"signatures":[{"keyid":"%064x","sig":"%0128x"}],"signed":{"_type":"targets","delegations":{"keys":{},"roles":[]},"expires":"2030-01-01T00:00:00Z","spec_version":"1.0.31","targets":{"p%06d/1.0.0/p%06d-1.0.0.tar.gz":{"hashes":{"sha256":"%064x","sha512":"%0128x"},"length":64}},"version":%d}}`, i, i*7, i, i, i*3, i*5, i%9+1)
		role += strings.Repeat(" ", 1024-len(role)%1024)
		fmt.Fprintf(&s, "M 100644 inline %s\ndata %d\n%s\n", p, len(role), role)
		art := fmt.Sprintf("artifact %d %s", i, strings.Repeat("x", 48))
		fmt.Fprintf(&s, "M 100644 inline artifacts/%02x/%064x\ndata %d\n%s\n", i%256, i, len(art), art)
	}
	git(s.Bytes(), "fast-import", "--quiet")
	git(nil, "repack", "-a", "-d", "-q")
	if err := os.WriteFile(filepath.Join(dir, "bench-complete"), []byte(strconv.Itoa(n)), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir, paths
}

var benchSizes = []int{1000, 10000, 100000}

// readers runs a benchmark through git cat-file and through go-git.
func readers(b *testing.B, fn func(b *testing.B)) {
	for _, rd := range []struct {
		name string
		cat  bool
	}{{"git", true}, {"go-git", false}} {
		b.Run("reader="+rd.name, func(b *testing.B) {
			old := useCatFile
			useCatFile = rd.cat
			defer func() { useCatFile = old }()
			fn(b)
		})
	}
}

// BenchmarkOpenReadOne is what a short-lived process (the pre-receive
// hook) pays to read one file: open the repository, resolve the branch,
// read one role, close. It should not grow with the repository.
func BenchmarkOpenReadOne(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			dir, paths := benchRepo(b, n)
			readers(b, func(b *testing.B) {
				cpu := rusage.WithChildren()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					r, err := Open(dir)
					if err != nil {
						b.Fatal(err)
					}
					h, err := r.Branch(DefaultBranch)
					if err != nil {
						b.Fatal(err)
					}
					t, err := r.TreeAt(h)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := t.ReadFile(paths[(i*7919)%n], 1<<20); err != nil {
						b.Fatal(err)
					}
					r.Close()
				}
				b.ReportMetric(float64((rusage.WithChildren()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
			})
		})
	}
}

// BenchmarkReadBlobs reads every role of the tree through one open
// repository, in project order, as a full verify does; the figures to
// watch are ns/blob and cpu-ns/blob.
func BenchmarkReadBlobs(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			dir, paths := benchRepo(b, n)
			readers(b, func(b *testing.B) {
				cpu := rusage.WithChildren()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					r, err := Open(dir)
					if err != nil {
						b.Fatal(err)
					}
					h, err := r.Branch(DefaultBranch)
					if err != nil {
						b.Fatal(err)
					}
					t, err := r.TreeAt(h)
					if err != nil {
						b.Fatal(err)
					}
					for _, p := range paths {
						if _, err := t.ReadFile(p, 1<<20); err != nil {
							b.Fatal(err)
						}
					}
					r.Close()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/blob")
				b.ReportMetric(float64((rusage.WithChildren()-cpu).Nanoseconds())/float64(b.N*n), "cpu-ns/blob")
			})
		})
	}
}

// BenchmarkReadBlobsPipelined is BenchmarkReadBlobs as a full verify now
// reads: the tree walked once (each directory's subdirectories in one
// pipelined batch), then every role read by its blob id through a
// Pipeline, sent ahead of the replies.
func BenchmarkReadBlobsPipelined(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			dir, _ := benchRepo(b, n)
			readers(b, func(b *testing.B) {
				cpu := rusage.WithChildren()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					r, err := Open(dir)
					if err != nil {
						b.Fatal(err)
					}
					h, err := r.Branch(DefaultBranch)
					if err != nil {
						b.Fatal(err)
					}
					t, err := r.TreeAt(h)
					if err != nil {
						b.Fatal(err)
					}
					var roles []Hash
					if err := t.WalkDir("metadata", func(e Entry) error {
						roles = append(roles, e.Hash)
						return nil
					}, func(BadName) error { return nil }); err != nil {
						b.Fatal(err)
					}
					p := r.NewPipeline()
					const window = 256
					for j := range roles {
						for k := p.Pending() + j; k < len(roles) && k < j+window; k++ {
							p.Ask(roles[k], 1<<20, "role")
						}
						if _, err := p.Next(); err != nil {
							b.Fatal(err)
						}
					}
					p.Close()
					r.Close()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/blob")
				b.ReportMetric(float64((rusage.WithChildren()-cpu).Nanoseconds())/float64(b.N*n), "cpu-ns/blob")
			})
		})
	}
}
