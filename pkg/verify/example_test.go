package verify_test

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/verify"
)

var update = flag.Bool("update", false, "rewrite metadata-layout/example")

const exampleDir = "../../metadata-layout/example"

var exampleSpec = repotest.Spec{
	Names:       []string{"hello", "help", "helium", "hyper", "world", "web-tools"},
	MaxPerIndex: 2, Releases: 2, Threshold: 1, ArtifactSize: 32,
	Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
}

// TestExampleTree checks that the example tree in metadata-layout/example
// verifies, and that it is exactly what the generator makes (go test
// ./pkg/verify -run TestExampleTree -update rewrites it).
func TestExampleTree(t *testing.T) {
	f := gen(t, exampleSpec)
	tree, err := f.Repo.TreeAt(f.Head)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	err = tree.Walk(func(e gitstore.Entry) error {
		data, err := tree.ReadFile(e.Path, 1<<20)
		want[e.Path] = data
		return err
	}, func(gitstore.BadName) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		os.RemoveAll(exampleDir)
		for p, data := range want {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(exampleDir, p)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(exampleDir, p), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Commit the checked-in files as they are and verify that.
	got := map[string][]byte{}
	var changes []gitstore.FileChange
	err = filepath.WalkDir(exampleDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(exampleDir, p)
		got[filepath.ToSlash(rel)] = data
		changes = append(changes, gitstore.FileChange{Path: filepath.ToSlash(rel), Data: data})
		return err
	})
	if err != nil {
		t.Fatalf("reading %s: %v (run with -update to create it)", exampleDir, err)
	}
	g, err := gitstore.InitBare(filepath.Join(t.TempDir(), "example.git"))
	if err != nil {
		t.Fatal(err)
	}
	th, err := g.BuildTree(nil, changes)
	if err != nil {
		t.Fatal(err)
	}
	c, err := g.CommitTree(gitstore.CommitOptions{Tree: th, Message: "example", Author: gitstore.Signature{Name: "t", Email: "t@t"}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := verify.Commit(g, c, verify.Options{Now: exampleSpec.Now})
	if err != nil {
		t.Fatal(err)
	}
	wantValid(t, rep)
	if rep.Stats.Projects != 6 || rep.Stats.Targets != 12 {
		t.Errorf("example stats: %+v", rep.Stats)
	}
	for p, data := range want {
		if !bytes.Equal(got[p], data) {
			t.Errorf("%s differs from what the generator makes (run with -update)", p)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s is not made by the generator (run with -update)", p)
		}
	}
}
