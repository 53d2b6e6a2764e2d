package gitstore

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestMain runs the package's tests through go-git's reader instead of
// git's when TUFGIT_TEST_READER=go-git, so both readers pass every test
// (make test runs both).
func TestMain(m *testing.M) {
	if os.Getenv("TUFGIT_TEST_READER") == "go-git" {
		useCatFile = false
	}
	os.Exit(m.Run())
}

// withReader runs fn with the git reader on or off.
func withReader(t *testing.T, cat bool, fn func(t *testing.T)) {
	t.Helper()
	old := useCatFile
	useCatFile = cat
	defer func() { useCatFile = old }()
	fn(t)
}

// readAll is what one reader makes of a repository: every tree walked,
// every blob read (under a limit and streamed), the commit, and the
// answers to missing, wrong-type and oversized reads.
func readAll(t *testing.T, dir string, c Hash, bigBlob, treeHash Hash) string {
	t.Helper()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out strings.Builder
	info, err := r.Commit(c)
	if err != nil {
		t.Fatal(err)
	}
	out.WriteString(strings.Join([]string{info.Hash.String(), info.Tree.String(), info.Message, info.Author, info.When.String(), info.Committed.String()}, "|") + "\n")
	for _, p := range info.Parents {
		out.WriteString("parent " + p.String() + "\n")
	}
	tr, err := r.TreeAt(c)
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Walk(func(e Entry) error {
		data, err := r.ReadBlob(e.Hash, 1<<20, e.Path)
		if err != nil {
			return err
		}
		rc, n, err := r.OpenBlob(e.Hash)
		if err != nil {
			return err
		}
		streamed, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(streamed, data) || n != int64(len(data)) {
			t.Errorf("%s: OpenBlob gave %d bytes (%v), ReadBlob %d", e.Path, n, err, len(data))
		}
		size, err := r.BlobSize(e.Hash)
		out.WriteString(e.Path + " " + e.Mode.String() + " " + e.Hash.String() + " " + string(data) + " " + errString(err) + " " + strconv.FormatInt(size, 10) + "\n")
		return nil
	}, func(BadName) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	missing := NewHash("1111111111111111111111111111111111111111")
	for _, h := range []Hash{missing, treeHash, c} {
		_, err := r.ReadBlob(h, 1<<20, "x")
		out.WriteString("ReadBlob " + h.String() + ": " + errString(err) + "\n")
		_, _, err = r.OpenBlob(h)
		out.WriteString("OpenBlob " + h.String() + ": " + errString(err) + "\n")
	}
	_, err = r.ReadBlob(bigBlob, 10, "big")
	out.WriteString("too large: " + errString(err) + "\n")
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadBlob over the limit: %v", err)
	}
	// The reader is still in step after the refusals.
	if data, err := r.ReadBlob(bigBlob, 1<<20, "big"); err != nil || len(data) != 1000 {
		t.Errorf("ReadBlob after refusals = %d bytes, %v", len(data), err)
	}
	_, err = r.Commit(missing)
	out.WriteString("Commit missing: " + errString(err) + "\n")
	_, err = r.TreeAt(treeHash)
	out.WriteString("TreeAt of a tree: " + errString(err) + "\n")
	if useCatFile && (r.cat.broken != nil || len(r.cat.idle) == 0) {
		t.Errorf("the git reader was not used (fell back: %v)", r.cat.broken)
	}
	return out.String()
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestReadersAgree: git's reader and go-git's give the same answers,
// errors included, on a packed repository with loose objects on top.
func TestReadersAgree(t *testing.T) {
	r, dir := newRepo(t)
	big := bytes.Repeat([]byte("b"), 1000)
	c1 := commit(t, r, ZeroHash, []FileChange{{Path: "a.json", Data: []byte("one\n")}, {Path: "d/e/f", Data: []byte("deep\n")}, {Path: "big", Data: big}}, "first")
	runGit(t, dir, "repack", "-a", "-d", "-q")
	c2 := commit(t, r, c1, []FileChange{{Path: "a.json", Data: []byte("two\n")}, {Path: "d/new", Data: []byte("loose\n")}}, "second")
	tree := treeAt(t, r, c2).Hash
	var got [2]string
	for i, cat := range []bool{true, false} {
		withReader(t, cat, func(t *testing.T) { got[i] = readAll(t, dir, c2, HashBlob(big), tree) })
	}
	if got[0] != got[1] {
		t.Errorf("git reader:\n%s\ngo-git reader:\n%s", got[0], got[1])
	}
	if !strings.Contains(got[0], "d/new") || !strings.Contains(got[0], "object not found") {
		t.Errorf("reader output lacks the loose file or the missing object:\n%s", got[0])
	}
}

// TestGitReaderSeesNewObjects: objects written through go-git after the
// reader started (loose, then repacked) are found by the same Repo.
func TestGitReaderSeesNewObjects(t *testing.T) {
	r, dir := newRepo(t)
	c1 := commit(t, r, ZeroHash, []FileChange{{Path: "f", Data: []byte("1\n")}}, "one")
	if _, err := treeAt(t, r, c1).ReadFile("f", 10); err != nil {
		t.Fatal(err)
	}
	c2 := commit(t, r, c1, []FileChange{{Path: "f", Data: []byte("2\n")}}, "two")
	if data, err := treeAt(t, r, c2).ReadFile("f", 10); err != nil || string(data) != "2\n" {
		t.Fatalf("new loose object: %q, %v", data, err)
	}
	runGit(t, dir, "repack", "-a", "-d", "-q")
	runGit(t, dir, "prune-packed")
	c3 := commit(t, r, c2, []FileChange{{Path: "g", Data: []byte("3\n")}}, "three")
	for p, want := range map[string]string{"f": "2\n", "g": "3\n"} {
		if data, err := treeAt(t, r, c3).ReadFile(p, 10); err != nil || string(data) != want {
			t.Errorf("%s after repack: %q, %v", p, data, err)
		}
	}
	if ok, err := r.IsAncestor(c1, c3); err != nil || !ok {
		t.Errorf("IsAncestor(c1, c3) = %v, %v", ok, err)
	}
	if ok, err := r.IsAncestor(c3, c1); err != nil || ok {
		t.Errorf("IsAncestor(c3, c1) = %v, %v", ok, err)
	}
}

// TestGitReaderStreamsAndRefusesBigBlobs: a blob far over the limit is
// refused from its header, the process is replaced, and reads go on; a
// stream closed early hands back a reader that is still in step.
func TestGitReaderStreamsAndRefusesBigBlobs(t *testing.T) {
	r, _ := newRepo(t)
	huge := bytes.Repeat([]byte("h"), 3*maxDrain)
	small := []byte("small\n")
	c := commit(t, r, ZeroHash, []FileChange{{Path: "huge", Data: huge}, {Path: "small", Data: small}}, "one")
	tr := treeAt(t, r, c)
	for i := 0; i < 3; i++ {
		if _, err := tr.ReadFile("huge", 100); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "3145728 bytes, limit 100") {
			t.Fatalf("huge: %v", err)
		}
		if data, err := tr.ReadFile("small", 100); err != nil || !bytes.Equal(data, small) {
			t.Fatalf("small after a refusal: %q, %v", data, err)
		}
	}
	e, err := tr.Lookup("huge")
	if err != nil {
		t.Fatal(err)
	}
	for _, readFirst := range []int{0, 10, len(huge)} {
		rc, n, err := r.OpenBlob(e.Hash)
		if err != nil || n != int64(len(huge)) {
			t.Fatalf("OpenBlob = %d, %v", n, err)
		}
		buf := make([]byte, readFirst)
		if _, err := io.ReadFull(rc, buf); err != nil || !bytes.Equal(buf, huge[:readFirst]) {
			t.Fatalf("stream read %d: %v", readFirst, err)
		}
		rc.Close()
		if data, err := tr.ReadFile("small", 100); err != nil || !bytes.Equal(data, small) {
			t.Fatalf("small after a stream closed at %d: %q, %v", readFirst, data, err)
		}
	}
	r.Close()
	if _, err := tr.ReadFile("small", 100); err == nil && useCatFile {
		t.Errorf("read after Close succeeded")
	}
}

// TestGitReaderFallsBack: when git can not serve the repository (not
// installed, too old for --batch-command, or refusing it), reads go
// through go-git instead of failing.
func TestGitReaderFallsBack(t *testing.T) {
	if !useCatFile {
		t.Skip("the git reader is off (TUFGIT_TEST_READER=go-git)")
	}
	r, dir := newRepo(t)
	c := commit(t, r, ZeroHash, []FileChange{{Path: "f", Data: []byte("content\n")}}, "one")
	runGit(t, dir, "repack", "-a", "-d", "-q")
	for name, script := range map[string]string{
		"old git":     "#!/bin/sh\necho \"error: unknown option \\`batch-command'\" >&2\nexit 129\n",
		"refusing":    "#!/bin/sh\necho 'fatal: detected dubious ownership' >&2\nexit 128\n",
		"not on PATH": "",
	} {
		t.Run(name, func(t *testing.T) {
			bin := t.TempDir()
			if script != "" {
				if err := os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("PATH", bin)
			o, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			for i := 0; i < 2; i++ {
				data, err := treeAt(t, o, c).ReadFile("f", 100)
				if err != nil || string(data) != "content\n" {
					t.Fatalf("read %d: %q, %v", i, data, err)
				}
			}
			if o.cat.broken == nil {
				t.Errorf("the pool did not fall back")
			}
		})
	}
}
