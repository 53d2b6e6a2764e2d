package client_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tufgit/tufgit/pkg/client"
)

// A hostile mirror, holding no key, serves a role whose target entry is
// null. go-tuf 2.4.2 panics decoding it, before any signature is checked;
// the client refuses it with a one-line error instead of crashing, and
// writes nothing. The positive control: the same world downloads before
// the mirror is tampered with.
func TestHostileRoleWithNullTargetIsRefused(t *testing.T) {
	const hostile = `{"signed":{"_type":"targets","spec_version":"1.0.31","version":1,"expires":"2099-01-01T00:00:00Z","targets":{"hello/1.0.0/x":null}},"signatures":[]}`
	for _, glob := range []string{"*.hello.json", "*.targets.json"} {
		t.Run(glob, func(t *testing.T) {
			w := newWorld(t)
			if _, err := w.c.Download("alice", "1.0.0", filepath.Join(t.TempDir(), "ok")); err != nil {
				t.Fatalf("honest download: %v", err)
			}
			w = newWorld(t)
			files, _ := filepath.Glob(filepath.Join(w.mirror, "metadata", glob))
			if len(files) == 0 {
				t.Fatalf("no %s on the mirror", glob)
			}
			for _, p := range files {
				if err := os.WriteFile(p, []byte(hostile), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(t.TempDir(), "out")
			_, err := w.c.Download("hello", "1.0.0", out)
			var te *client.TUFError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a TUF refusal", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Fatalf("a refused download left %d file(s)", len(entries))
			}
		})
	}
}
