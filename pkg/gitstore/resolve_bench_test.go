package gitstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkResolve: resolving a short name now looks up each ref git's
// rules could mean (refs/NAME, refs/tags/NAME, refs/heads/NAME,
// refs/remotes/NAME, refs/remotes/NAME/HEAD) before reading the commit,
// here beside 5,000 packed tags.
func BenchmarkResolve(b *testing.B) {
	dir := b.TempDir()
	r, err := Init(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	tree, err := r.BuildTree(r.EmptyTree(), []FileChange{{Path: "f", Data: []byte("1")}})
	if err != nil {
		b.Fatal(err)
	}
	c, err := r.CommitTree(CommitOptions{Parent: ZeroHash, Tree: tree, Message: "one", Author: testAuthor, When: testWhen})
	if err != nil {
		b.Fatal(err)
	}
	var packed strings.Builder
	packed.WriteString("# pack-refs with: peeled fully-peeled sorted\n")
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&packed, "%s refs/tags/v%05d\n", c, i)
	}
	if err := os.WriteFile(filepath.Join(dir, ".git", "packed-refs"), []byte(packed.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	// What Resolve did before: git's own resolution, by its precedence.
	b.Run("git-precedence-main", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, ok, err := r.catResolve("main"); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	for _, rev := range []string{"main", "refs/heads/main", "HEAD", "v02500", c.String()} {
		b.Run(rev[:min(len(rev), 16)], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := r.Resolve(rev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
