package gitstore

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenReceivingReadsQuarantinedPack builds what git hands a
// pre-receive hook for a large push: the new objects as a pack in a
// quarantine directory. A plain Open can not see them; OpenReceiving can.
func TestOpenReceivingReadsQuarantinedPack(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	env := append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	run := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Env, cmd.Stdin = env, strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	work := filepath.Join(dir, "work")
	bare := filepath.Join(dir, "server.git")
	run("", "init", "-q", "-b", "main", work)
	os.WriteFile(filepath.Join(work, "a.txt"), []byte("a\n"), 0o644)
	run("", "-C", work, "add", ".")
	run("", "-C", work, "commit", "-qm", "one")
	run("", "clone", "-q", "--bare", work, bare)
	c1 := run("", "-C", work, "rev-parse", "HEAD")
	for i := 0; i < 120; i++ {
		os.WriteFile(filepath.Join(work, "f"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+".txt"), []byte(strings.Repeat("y", i+1)), 0o644)
	}
	run("", "-C", work, "add", ".")
	run("", "-C", work, "commit", "-qm", "two")
	c2 := run("", "-C", work, "rev-parse", "HEAD")
	quarantine := filepath.Join(bare, "objects", "tmp_objdir-incoming-test")
	os.MkdirAll(filepath.Join(quarantine, "pack"), 0o755)
	run(c2+"\n^"+c1+"\n", "-C", work, "pack-objects", "-q", "--revs", filepath.Join(quarantine, "pack", "pack"))

	plain, err := Open(bare)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Commit(NewHash(c2)); err == nil {
		t.Fatal("a plain open sees the quarantined commit; the test does not test anything")
	}
	t.Setenv("GIT_OBJECT_DIRECTORY", quarantine)
	t.Setenv("GIT_ALTERNATE_OBJECT_DIRECTORIES", filepath.Join(bare, "objects"))
	r, err := OpenReceiving(bare)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := r.TreeAt(NewHash(c2))
	if err != nil {
		t.Fatalf("OpenReceiving can not read the quarantined commit: %v", err)
	}
	if data, err := tree.ReadFile("a.txt", 10); err != nil || string(data) != "a\n" {
		t.Fatalf("a blob from the repository itself: %q, %v", data, err)
	}
	n := 0
	if err := tree.Walk(func(e Entry) error {
		_, err := tree.ReadFile(e.Path, 1<<20)
		n++
		return err
	}, func(BadName) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 121 {
		t.Fatalf("walked %d files, want 121", n)
	}
	if ok, err := r.IsAncestor(NewHash(c1), NewHash(c2)); err != nil || !ok {
		t.Fatalf("IsAncestor across the layers: %v %v", ok, err)
	}
}
