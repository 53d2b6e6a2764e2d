package publish_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tufgit/tufgit/pkg/publish"
)

// WriteFrom keeps a file only when its check passes, on a directory mirror
// and on a gocloud bucket (file://); a failed check leaves nothing behind,
// not even a temporary file.
func TestWriteFromKeepsOnlyCheckedFiles(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{"dir", "bucket"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			dest := dir
			if kind == "bucket" {
				dest = "file://" + dir
			}
			m, err := publish.OpenMirror(ctx, dest)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			refused := errors.New("hashes do not match")
			err = m.WriteFrom(ctx, "targets/p/1/bad.tar.gz", strings.NewReader("forged"), func() error { return refused })
			if !errors.Is(err, refused) {
				t.Fatalf("WriteFrom with a failing check = %v", err)
			}
			if ok, err := m.Exists(ctx, "targets/p/1/bad.tar.gz"); err != nil || ok {
				t.Fatalf("a refused artifact is on the mirror (exists=%v, %v)", ok, err)
			}
			// Positive control: the same call with a passing check writes.
			if err := m.WriteFrom(ctx, "targets/p/1/good.tar.gz", strings.NewReader("genuine"), func() error { return nil }); err != nil {
				t.Fatal(err)
			}
			got, err := m.Read(ctx, "targets/p/1/good.tar.gz", 100)
			if err != nil || string(got) != "genuine" {
				t.Fatalf("read back %q, %v", got, err)
			}
			var leftovers []string
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() && !strings.HasSuffix(p, "good.tar.gz") && !strings.HasSuffix(p, ".attrs") {
					leftovers = append(leftovers, p)
				}
				return nil
			})
			if len(leftovers) > 0 {
				t.Fatalf("left behind: %v", leftovers)
			}
		})
	}
}
