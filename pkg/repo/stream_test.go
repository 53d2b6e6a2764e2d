package repo_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tufgit/tufgit/pkg/artifacts"
	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

// streamRepo is a repository with project hello maintained by alice, on
// the given artifact store ("" for git).
func streamRepo(t *testing.T, store string) (string, *keys.Key) {
	t.Helper()
	t.Setenv("GIT_AUTHOR_NAME", "Test")
	t.Setenv("GIT_AUTHOR_EMAIL", "test@example.org")
	dir := filepath.Join(t.TempDir(), "repo")
	admin := repotest.Key("admin")
	online := repotest.Key("online")
	online.Signer = nil
	if _, err := repo.Init(context.Background(), repo.InitOptions{Dir: dir, RootKeys: []*keys.Key{admin}, RootThreshold: 1,
		TargetsKeys: []*keys.Key{admin}, TargetsThreshold: 1, OnlineKey: online, Now: now, ArtifactStore: store}); err != nil {
		t.Fatal(err)
	}
	alice := repotest.Key("alice")
	s, err := repo.Open(context.Background(), dir, now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateProject(repo.ProjectCreateOptions{Name: "hello", Threshold: 1, Key: admin, Maintainers: []repo.NewMaintainer{{Name: "alice", Key: alice}}}); err != nil {
		t.Fatal(err)
	}
	return dir, alice
}

// randomFile writes n pseudo-random bytes to dir/name.
func randomFile(t *testing.T, dir, name string, n int) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{byte(n)}).Read(data)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func headOf(t *testing.T, dir string) gitstore.Hash {
	t.Helper()
	g, err := gitstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	h, err := g.Branch("main")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Release add streams the file into a blob in the pass that hashes it:
// the committed blob, the working-tree copy and the signed hashes are all
// of the file's bytes.
func TestAddReleaseStreamsIntoGit(t *testing.T) {
	dir, alice := streamRepo(t, "")
	p, data := randomFile(t, t.TempDir(), "hello-1.0.tar.gz", 5<<20+3)
	s, err := repo.Open(context.Background(), dir, now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.AddRelease(repo.ReleaseAddOptions{Project: "hello", Version: "1.0", Files: []string{p}, Key: alice}); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	ap := layout.ArtifactPath(sha)
	out, err := exec.Command("git", "-C", dir, "cat-file", "blob", "HEAD:"+ap).Output()
	if err != nil || !bytes.Equal(out, data) {
		t.Fatalf("git cat-file HEAD:%s: %d bytes, equal %v, %v", ap, len(out), bytes.Equal(out, data), err)
	}
	wt, err := os.ReadFile(filepath.Join(dir, ap))
	if err != nil || !bytes.Equal(wt, data) {
		t.Fatalf("working tree %s: %d bytes, equal %v, %v", ap, len(wt), bytes.Equal(wt, data), err)
	}
	if st, err := exec.Command("git", "-C", dir, "status", "--porcelain").Output(); err != nil || len(st) != 0 {
		t.Fatalf("git status after release add: %q, %v", st, err)
	}
	rep := mustVerify(t, dir)
	if rep.Stats.Artifacts == 0 {
		t.Fatal("verify checked no artifact")
	}
}

// A file whose length changes while release add reads it is refused,
// and nothing is committed; the same file left alone is accepted.
func TestAddReleaseRefusesFileChangedWhileRead(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(p string) error
	}{
		{"grows", func(p string) error {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.Write(bytes.Repeat([]byte("x"), 4096))
			return err
		}},
		{"shrinks", func(p string) error { return os.Truncate(p, 1<<20) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, alice := streamRepo(t, "")
			p, _ := randomFile(t, t.TempDir(), "hello-1.0.tar.gz", 4<<20)
			before := headOf(t, dir)
			s, err := repo.Open(context.Background(), dir, now)
			if err != nil {
				t.Fatal(err)
			}
			changed := false
			_, err = s.AddRelease(repo.ReleaseAddOptions{Project: "hello", Version: "1.0", Files: []string{p}, Key: alice,
				Progress: func(_ string, done, total int64) {
					if !changed && done > 0 && done < total {
						changed = true
						if err := tc.change(p); err != nil {
							t.Error(err)
						}
					}
				}})
			s.Close()
			if !changed {
				t.Fatal("the file was never changed mid-read: the test proves nothing")
			}
			if !errors.Is(err, repo.ErrFileChanged) || !strings.Contains(err.Error(), p) {
				t.Fatalf("AddRelease of a file that %s while read: %v; want ErrFileChanged naming the file", tc.name, err)
			}
			if h := headOf(t, dir); h != before {
				t.Fatalf("a commit was made: %s -> %s", before, h)
			}
			if m, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "tmp_obj_*")); len(m) != 0 {
				t.Fatalf("temporary objects left: %v", m)
			}
			// Positive control: the file as it is now goes in.
			s, err = repo.Open(context.Background(), dir, now)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.AddRelease(repo.ReleaseAddOptions{Project: "hello", Version: "1.0", Files: []string{p}, Key: alice}); err != nil {
				t.Fatalf("the same file, left alone: %v", err)
			}
		})
	}
}

// With an external store the file is uploaded from disk when the change
// is submitted; bytes changed since they were hashed are refused, nothing
// is uploaded and nothing committed.
func TestAddReleaseExternalStoreRefusesFileChangedAfterHashing(t *testing.T) {
	bucket := t.TempDir()
	store := "file://" + bucket
	dir, alice := streamRepo(t, store)
	p, data := randomFile(t, t.TempDir(), "hello-1.0.tar.gz", 3<<20)
	before := headOf(t, dir)
	s, err := repo.Open(context.Background(), dir, now)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.AddRelease(repo.ReleaseAddOptions{Project: "hello", Version: "1.0", Files: []string{p}, Key: alice,
		Progress: func(_ string, done, total int64) {
			if done == total { // hashed: now flip a byte, same length
				f, err := os.OpenFile(p, os.O_WRONLY, 0)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = f.WriteAt([]byte{data[0] ^ 0xff}, 0)
				f.Close()
			}
		}})
	s.Close()
	if !errors.Is(err, repo.ErrFileChanged) {
		t.Fatalf("AddRelease of a file changed between hashing and upload: %v; want ErrFileChanged", err)
	}
	if h := headOf(t, dir); h != before {
		t.Fatalf("a commit was made: %s -> %s", before, h)
	}
	var stored []string
	_ = filepath.WalkDir(bucket, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			stored = append(stored, p)
		}
		return nil
	})
	if len(stored) != 0 {
		t.Fatalf("the bucket holds %v after a refused upload", stored)
	}
	// Positive control: the file as it is now is uploaded and committed.
	s, err = repo.Open(context.Background(), dir, now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.AddRelease(repo.ReleaseAddOptions{Project: "hello", Version: "1.0", Files: []string{p}, Key: alice}); err != nil {
		t.Fatalf("the same file, left alone: %v", err)
	}
	now, _ := os.ReadFile(p)
	sum := sha256.Sum256(now)
	got, err := os.ReadFile(filepath.Join(bucket, filepath.FromSlash(artifacts.Key(hex.EncodeToString(sum[:])))))
	if err != nil || !bytes.Equal(got, now) {
		t.Fatalf("stored artifact: %d bytes, equal %v, %v", len(got), bytes.Equal(got, now), err)
	}
}
