package verify_test

import (
	"bytes"
	"maps"
	"path/filepath"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/verify"
)

// FuzzVerifyMetadata feeds arbitrary bytes as one project's role file
// through verify's checks of a changed role, over an in-memory overlay of a
// fixture tree (no commit per input). It must never panic, and whatever it
// accepts must sign exactly the original content: formatting may differ,
// the signed meaning may not. (TestFuzzVerifyMetadataSeedsThroughGit runs
// the seeds through the full, committed path as well.)
func FuzzVerifyMetadata(f *testing.F) {
	fx, tree, base, orig := fuzzFixture(f)
	f.Add(orig)
	f.Add(bytes.ReplaceAll(orig, []byte("\n"), nil))
	f.Add(bytes.Replace(orig, []byte(`"version": 1`), []byte(`"version": 1, "version": 2`), 1))
	f.Add([]byte(`{"signed":{"_type":"targets","spec_version":"1.0.31","version":1,"expires":"2030-01-01T00:00:00Z","targets":{}},"signatures":[]}`))
	want, _ := metadata.Targets().FromBytes(orig)
	wantSigned, _ := cjson.EncodeCanonical(want.Signed)
	// One parsed view of the fixture; each input is laid over it, so only
	// the fuzzed file is parsed per input.
	baseView := state.New(&state.Overlay{Base: tree, Files: base})
	if rep := verify.CheckRoleInView(baseView, tree, "hello", fx.Now); !rep.Valid() {
		f.Fatalf("the fixture does not verify: %v", rep.Problems)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		view := baseView.With(map[string][]byte{layout.RolePath("hello"): data})
		rep := verify.CheckRoleInView(view, tree, "hello", fx.Now)
		if !rep.Valid() {
			return
		}
		got, err := metadata.Targets().FromBytes(data)
		if err != nil {
			t.Fatalf("accepted bytes that go-tuf can not parse: %v", err)
		}
		a, _ := cjson.EncodeCanonical(got.Signed)
		if !bytes.Equal(a, wantSigned) {
			t.Fatalf("accepted a role whose signed content differs from what the maintainers signed:\n%s\nvs\n%s", a, wantSigned)
		}
	})
}

// fuzzFixture makes a small repository once and reads the files a check of
// hello needs into memory.
func fuzzFixture(tb testing.TB) (*repotest.Fixture, *gitstore.Tree, map[string][]byte, []byte) {
	fx, err := repotest.Generate(filepath.Join(tb.TempDir(), "repo.git"), repotest.Spec{Names: []string{"hello", "world"}})
	if err != nil {
		tb.Fatal(err)
	}
	tree, err := fx.Repo.TreeAt(fx.Head)
	if err != nil {
		tb.Fatal(err)
	}
	base := map[string][]byte{}
	for _, p := range []string{layout.RootPath, layout.TargetsPath, layout.RolePath(fx.IndexOf("hello")), layout.ConfigPath} {
		raw, err := tree.ReadFile(p, layout.MaxTargetsSize)
		if err != nil {
			tb.Fatal(err)
		}
		base[p] = raw
	}
	orig, err := tree.ReadFile(layout.RolePath("hello"), layout.MaxTargetsSize)
	if err != nil {
		tb.Fatal(err)
	}
	return fx, tree, base, orig
}

// The fuzz target's seeds also go through the full check of a committed
// tree, so the in-memory check can not drift from it. (Transition rules,
// such as growing versions, are not the role checks fuzzed here.)
func TestFuzzVerifyMetadataSeedsThroughGit(t *testing.T) {
	fx, tree, base, orig := fuzzFixture(t)
	for _, data := range [][]byte{orig, bytes.ReplaceAll(orig, []byte("\n"), nil), bytes.Replace(orig, []byte(`"version": 1`), []byte(`"version": 2`), 1)} {
		head, err := fx.CommitDetached("fuzz", gitstore.FileChange{Path: layout.RolePath("hello"), Data: data})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := verify.Commit(fx.Repo, head, verify.Options{Now: fx.Now})
		if err != nil {
			t.Fatal(err)
		}
		files := maps.Clone(base)
		files[layout.RolePath("hello")] = data
		mem := verify.CheckRoleInView(state.New(&state.Overlay{Base: tree, Files: files}), tree, "hello", fx.Now)
		if rep.Valid() != mem.Valid() {
			t.Errorf("committed check valid=%v (%v), in-memory valid=%v (%v)", rep.Valid(), rep.Problems, mem.Valid(), mem.Problems)
		}
	}
}
