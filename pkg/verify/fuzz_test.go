package verify_test

import (
	"bytes"
	"path/filepath"
	"sync"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/verify"
)

// FuzzVerifyMetadata feeds arbitrary bytes as one project's role file
// through the full verifier. It must never panic or fail to run, and
// whatever it accepts must sign exactly the original content: formatting
// may differ, the signed meaning may not.
func FuzzVerifyMetadata(f *testing.F) {
	var once sync.Once
	var fx *repotest.Fixture
	var orig []byte
	setup := func(t testing.TB) {
		once.Do(func() {
			var err error
			fx, err = repotest.Generate(filepath.Join(f.TempDir(), "repo.git"), repotest.Spec{Names: []string{"hello", "world"}})
			if err != nil {
				t.Fatal(err)
			}
			tree, _ := fx.Repo.TreeAt(fx.Head)
			orig, _ = tree.ReadFile(layout.RolePath("hello"), layout.MaxTargetsSize)
		})
	}
	setup(f)
	f.Add(orig)
	f.Add(bytes.ReplaceAll(orig, []byte("\n"), nil))
	f.Add(bytes.Replace(orig, []byte(`"version": 1`), []byte(`"version": 1, "version": 2`), 1))
	f.Add([]byte(`{"signed":{"_type":"targets","spec_version":"1.0.31","version":1,"expires":"2030-01-01T00:00:00Z","targets":{}},"signatures":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		setup(t)
		head, err := fx.CommitDetached("fuzz", gitstore.FileChange{Path: layout.RolePath("hello"), Data: data})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := verify.Commit(fx.Repo, head, verify.Options{Now: fx.Now})
		if err != nil {
			t.Fatalf("verify could not run: %v", err)
		}
		if !rep.Valid() {
			return
		}
		got, err := metadata.Targets().FromBytes(data)
		if err != nil {
			t.Fatalf("accepted bytes that go-tuf can not parse: %v", err)
		}
		want, _ := metadata.Targets().FromBytes(orig)
		a, _ := cjson.EncodeCanonical(got.Signed)
		b, _ := cjson.EncodeCanonical(want.Signed)
		if !bytes.Equal(a, b) {
			t.Fatalf("accepted a role whose signed content differs from what the maintainers signed:\n%s\nvs\n%s", a, b)
		}
	})
}
