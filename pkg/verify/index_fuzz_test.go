package verify_test

import (
	"bytes"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/verify"
)

// FuzzVerifyIndexRole is FuzzVerifyMetadata for an index role: the file
// that holds delegations, their keys and thresholds. Arbitrary bytes as
// the index role of hello go through verify's checks of a changed role,
// over an in-memory overlay of a fixture. Properties: whatever verify
// accepts, go-tuf accepts as targets delegates it (VerifyDelegate), and it
// signs exactly the content the admins signed.
func FuzzVerifyIndexRole(f *testing.F) {
	fx, tree, base, _ := fuzzFixture(f)
	index := fx.IndexOf("hello")
	orig := base[layout.RolePath(index)]
	f.Add(orig)
	f.Add(bytes.ReplaceAll(orig, []byte("\n"), nil))
	f.Add(bytes.Replace(orig, []byte(`"threshold": 1`), []byte(`"threshold": 0`), 1))
	f.Add(bytes.Replace(orig, []byte(`"terminating": true`), []byte(`"terminating": false`), 1))
	want, err := metadata.Targets().FromBytes(orig)
	if err != nil {
		f.Fatal(err)
	}
	wantSigned, _ := cjson.EncodeCanonical(want.Signed)
	baseView := state.New(&state.Overlay{Base: tree, Files: base})
	if rep := verify.CheckRoleInView(baseView, tree, index, fx.Now); !rep.Valid() {
		f.Fatalf("the fixture does not verify: %v", rep.Problems)
	}
	targets, err := baseView.Role(layout.RoleTargets)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		view := baseView.With(map[string][]byte{layout.RolePath(index): data})
		rep := verify.CheckRoleInView(view, tree, index, fx.Now)
		if !rep.Valid() {
			return
		}
		got, err := metadata.Targets().FromBytes(data)
		if err != nil {
			t.Fatalf("accepted bytes that go-tuf can not parse: %v", err)
		}
		if err := targets.Meta.VerifyDelegate(index, got); err != nil {
			t.Fatalf("accepted an index role go-tuf refuses: %v", err)
		}
		if a, _ := cjson.EncodeCanonical(got.Signed); !bytes.Equal(a, wantSigned) {
			t.Fatalf("accepted an index role whose signed content differs from what the admins signed:\n%s\nvs\n%s", a, wantSigned)
		}
	})
}
