package repo_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

// AddRelease tells its Progress callback how much of each file it has
// read, ending at the file's size; without a callback nothing changes.
func TestAddReleaseProgress(t *testing.T) {
	dir, admin := newRepo(t, 256)
	alice := repotest.Key("alice")
	s, err := repo.Open(context.Background(), dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateProject(repo.ProjectCreateOptions{Name: "hello", Threshold: 1, Key: admin, Maintainers: []repo.NewMaintainer{{Name: "alice", Key: alice}}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	big := filepath.Join(t.TempDir(), "big.bin")
	data := make([]byte, 3<<20+17)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := os.WriteFile(big, data, 0o644); err != nil {
		t.Fatal(err)
	}
	type call struct{ done, total int64 }
	var calls []call
	s, err = repo.Open(context.Background(), dir, now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.AddRelease(repo.ReleaseAddOptions{Project: "hello", Version: "1.0", Files: []string{big}, Key: alice,
		Progress: func(file string, done, total int64) {
			if file != big {
				t.Errorf("progress for %q", file)
			}
			calls = append(calls, call{done, total})
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < 2 {
		t.Fatalf("%d progress calls for a 3 MiB file", len(calls))
	}
	for i, c := range calls {
		if c.total != int64(len(data)) || (i > 0 && c.done < calls[i-1].done) {
			t.Fatalf("call %d: %+v", i, c)
		}
	}
	if last := calls[len(calls)-1]; last.done != int64(len(data)) {
		t.Errorf("last progress %d of %d", last.done, len(data))
	}
}
