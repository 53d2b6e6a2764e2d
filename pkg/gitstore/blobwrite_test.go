package gitstore

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// pseudoRandom is n deterministic bytes that zlib cannot shrink.
func pseudoRandom(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{7})
	_, _ = r.Read(b)
	return b
}

// tmpObjects lists leftover temporary files in the object directory.
func tmpObjects(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".git", "objects", "tmp_obj_*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWriteBlobFrom(t *testing.T) {
	for _, cat := range []bool{true, false} {
		name := "git reader"
		if !cat {
			name = "go-git reader"
		}
		t.Run(name, func(t *testing.T) {
			withReader(t, cat, func(t *testing.T) {
				r, dir := newRepo(t)
				data := pseudoRandom(3<<20 + 17)
				h, err := r.WriteBlobFrom(bytes.NewReader(data), int64(len(data)))
				if err != nil {
					t.Fatalf("WriteBlobFrom: %v", err)
				}
				if h != HashBlob(data) {
					t.Fatalf("WriteBlobFrom gave %s, the blob's id is %s", h, HashBlob(data))
				}
				// git itself reads the object back byte for byte.
				if got := runGit(t, dir, "cat-file", "blob", h.String()); got != string(data) {
					t.Fatalf("git cat-file blob %s: %d bytes differ from the %d written", h, len(got), len(data))
				}
				// And so does each of gitstore's readers, streaming.
				rc, size, err := r.OpenBlob(h)
				if err != nil {
					t.Fatalf("OpenBlob: %v", err)
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || size != int64(len(data)) || !bytes.Equal(got, data) {
					t.Fatalf("OpenBlob: size %d, %d bytes read, equal %v, err %v", size, len(got), bytes.Equal(got, data), err)
				}
				// Writing it again keeps the one object.
				if h2, err := r.WriteBlobFrom(bytes.NewReader(data), int64(len(data))); err != nil || h2 != h {
					t.Fatalf("second WriteBlobFrom: %s, %v", h2, err)
				}
				// It commits like any blob and passes fsck.
				c := commit(t, r, ZeroHash, []FileChange{{Path: "a/big.bin", Blob: h}, {Path: "small", Data: []byte("s\n")}}, "blob by id")
				tr := treeAt(t, r, c)
				if e, err := tr.Lookup("a/big.bin"); err != nil || e.Hash != h {
					t.Fatalf("a/big.bin in the tree: %v, %v", e, err)
				}
				fsck(t, dir)
				if left := tmpObjects(t, dir); len(left) != 0 {
					t.Fatalf("temporary objects left behind: %v", left)
				}
			})
		})
	}
}

// A source that is not the declared length is refused and leaves no
// object and no temporary file.
func TestWriteBlobFromWrongLength(t *testing.T) {
	r, dir := newRepo(t)
	data := pseudoRandom(1 << 20)
	for _, tc := range []struct {
		name string
		size int64
	}{
		{"source shorter than declared (a file truncated while read)", int64(len(data)) + 1},
		{"source longer than declared (a file grown while read)", int64(len(data)) - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := r.WriteBlobFrom(bytes.NewReader(data), tc.size)
			if !errors.Is(err, ErrShortBlob) {
				t.Fatalf("WriteBlobFrom = %s, %v; want ErrShortBlob", h, err)
			}
			if left := tmpObjects(t, dir); len(left) != 0 {
				t.Fatalf("temporary objects left behind: %v", left)
			}
			// Neither the declared object nor any other was stored.
			out := runGit(t, dir, "count-objects", "-v")
			if !strings.Contains(out, "count: 0\n") {
				t.Fatalf("objects stored after a refused write:\n%s", out)
			}
		})
	}
	// Positive control: the right length is stored.
	if _, err := r.WriteBlobFrom(bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("the right length: %v", err)
	}
	if out := runGit(t, dir, "count-objects", "-v"); !strings.Contains(out, "count: 1\n") {
		t.Fatalf("want one object:\n%s", out)
	}
}

// A change naming a blob id that is not stored is refused by BuildTree,
// which would otherwise commit a tree with a missing object.
func TestBuildTreeRefusesMissingBlob(t *testing.T) {
	r, _ := newRepo(t)
	missing := HashBlob([]byte("never stored"))
	if _, err := r.BuildTree(r.EmptyTree(), []FileChange{{Path: "f", Blob: missing}}); err == nil {
		t.Fatal("BuildTree accepted a blob id that is not in the repository")
	}
	h, err := r.WriteBlobFrom(strings.NewReader("never stored"), int64(len("never stored")))
	if err != nil || h != missing {
		t.Fatalf("WriteBlobFrom: %s, %v", h, err)
	}
	if _, err := r.BuildTree(r.EmptyTree(), []FileChange{{Path: "f", Blob: missing}}); err != nil {
		t.Fatalf("BuildTree once the blob is stored: %v", err)
	}
}

// A blob change reaches the working tree and the index streamed: the
// tree reads clean to git afterwards, and a local file in its way is
// caught by CheckWorkTree.
func TestWorkTreeBlobChange(t *testing.T) {
	r, dir := newRepo(t)
	c := commit(t, r, ZeroHash, []FileChange{{Path: "f", Data: []byte("f\n")}}, "one")
	runGit(t, dir, "reset", "-q", "--hard", c.String())
	data := pseudoRandom(2 << 20)
	h, err := r.WriteBlobFrom(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	changes := []FileChange{{Path: "art/x.bin", Blob: h}}
	base := treeAt(t, r, c)

	// A different local file where the blob goes: refused.
	p := filepath.Join(dir, "art", "x.bin")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data[:100], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.CheckWorkTree(base, changes); !errors.Is(err, ErrDirtyWorkTree) {
		t.Fatalf("CheckWorkTree with other bytes in the way: %v", err)
	}
	// The same bytes already there: fine.
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.CheckWorkTree(base, changes); err != nil {
		t.Fatalf("CheckWorkTree with the same bytes in place: %v", err)
	}
	os.Remove(p)
	if err := r.CheckWorkTree(base, changes); err != nil {
		t.Fatalf("CheckWorkTree with nothing in the way: %v", err)
	}

	tree, err := r.BuildTree(base, changes)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := r.CommitTree(CommitOptions{Parent: c, Tree: tree, Message: "blob", Author: testAuthor, When: testWhen})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteWorkTree(changes, true); err != nil {
		t.Fatalf("WriteWorkTree: %v", err)
	}
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("working tree file: %d bytes, equal %v, %v", len(got), bytes.Equal(got, data), err)
	}
	if st := runGit(t, dir, "status", "--porcelain"); st != "" {
		t.Fatalf("git status after committing %s and writing the working tree:\n%s", c2, st)
	}
}

func TestHashBlobFile(t *testing.T) {
	setupGitEnv(t)
	p := filepath.Join(t.TempDir(), "f")
	data := pseudoRandom(100_003)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := HashBlobFile(p)
	if err != nil || h != HashBlob(data) {
		t.Fatalf("HashBlobFile = %s, %v; want %s", h, err, HashBlob(data))
	}
	if got := strings.TrimSpace(runGit(t, filepath.Dir(p), "hash-object", p)); got != h.String() {
		t.Fatalf("git hash-object says %s, HashBlobFile %s", got, h)
	}
}

// allocated is the bytes fn allocates on the heap (a count, not a time).
func allocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// Through go-git's reader too, a large blob streams, loose or packed: a
// read of it allocates a small part of its size. ReadBlob, which returns
// the bytes, is the positive control that the count sees a whole copy.
func TestGoGitReaderStreamsLargeBlobs(t *testing.T) {
	withReader(t, false, func(t *testing.T) {
		r, dir := newRepo(t)
		const size = 24 << 20
		data := pseudoRandom(size)
		h, err := r.WriteBlobFrom(bytes.NewReader(data), size)
		if err != nil {
			t.Fatal(err)
		}
		data = nil
		commit(t, r, ZeroHash, []FileChange{{Path: "big", Blob: h}}, "big")
		stream := func(r *Repo) uint64 {
			return allocated(func() {
				rc, n, err := r.OpenBlob(h)
				if err != nil {
					t.Fatal(err)
				}
				defer rc.Close()
				if m, err := io.Copy(io.Discard, rc); err != nil || m != n || n != size {
					t.Fatalf("read %d of %d (%d): %v", m, n, size, err)
				}
			})
		}
		for _, packed := range []bool{false, true} {
			if packed {
				runGit(t, dir, "repack", "-q", "-a", "-d")
				runGit(t, dir, "prune-packed")
				if m, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", h.String()[:2], "*")); len(m) != 0 {
					t.Fatalf("still loose after repack: %v", m)
				}
			}
			r2, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := stream(r2); got > size/4 {
				t.Errorf("packed=%v: OpenBlob of a %d-byte blob allocated %d bytes", packed, size, got)
			}
			if got := allocated(func() {
				if _, err := r2.ReadBlob(h, size, "big"); err != nil {
					t.Fatal(err)
				}
			}); got < size {
				t.Errorf("packed=%v: ReadBlob allocated %d bytes, less than the blob: the count is broken", packed, got)
			}
			r2.Close()
		}
	})
}
