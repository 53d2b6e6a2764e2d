package atomicfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tufgit/tufgit/pkg/atomicfile"
)

func TestWrite(t *testing.T) {
	for name, write := range map[string]func(string, []byte, os.FileMode) error{"Write": atomicfile.Write, "WriteUnsynced": atomicfile.WriteUnsynced} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "a", "b", "f.json")
			if err := write(p, []byte("one"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := write(p, []byte("two"), 0o755); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(p)
			if err != nil || string(data) != "two" {
				t.Fatalf("content %q, %v", data, err)
			}
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o755 {
				t.Fatalf("mode %v, %v", fi.Mode(), err)
			}
			// No temporary file is left beside it.
			if ents, _ := os.ReadDir(filepath.Dir(p)); len(ents) != 1 {
				t.Fatalf("left %d files", len(ents))
			}
			// A write that can not happen fails and leaves the file alone.
			if err := write(filepath.Join(p, "under-a-file"), []byte("x"), 0o644); err == nil {
				t.Fatal("wrote under a regular file")
			}
			if data, _ := os.ReadFile(p); string(data) != "two" {
				t.Fatalf("a failed write changed the file: %q", data)
			}
			ro := filepath.Join(dir, "ro")
			if err := os.Mkdir(ro, 0o555); err != nil {
				t.Fatal(err)
			}
			if os.Geteuid() != 0 {
				if err := write(filepath.Join(ro, "f"), []byte("x"), 0o644); err == nil {
					t.Fatal("wrote into a read-only directory")
				}
			}
		})
	}
}
