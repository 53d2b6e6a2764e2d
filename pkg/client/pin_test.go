package client_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/client"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
)

// TestPinOverExistingClient: pinning again reports what it replaces; a
// different root of the same version is refused unless forced (the older
// root case runs end to end in testdata/script/root_rotation.txtar).
func TestPinOverExistingClient(t *testing.T) {
	a := newWorld(t)
	rootOf := func(w *world) []byte {
		tree, err := w.f.Repo.TreeAt(w.f.Head)
		if err != nil {
			t.Fatal(err)
		}
		root, err := tree.ReadFile(layout.RootHistoryPath(1), layout.MaxRootSize)
		if err != nil {
			t.Fatal(err)
		}
		return root
	}
	dir := filepath.Join(t.TempDir(), "client")
	p, err := client.Pin(dir, a.url, rootOf(a), false)
	if err != nil || p.Replaced {
		t.Fatalf("first pin: %+v, %v", p, err)
	}
	p, err = client.Pin(dir, a.url+"/", rootOf(a), false)
	if err != nil || !p.Replaced || p.OldVersion != 1 || p.NewVersion != 1 || p.OldMirror != a.url {
		t.Fatalf("the same root again: %+v, %v", p, err)
	}
	other := selfSignedRoot(t)
	if _, err := client.Pin(dir, a.url, other, false); !errors.Is(err, client.ErrOlderRoot) {
		t.Fatalf("another root of the same version: %v, want ErrOlderRoot", err)
	}
	// Refused means untouched: the client still works against a.
	c, err := client.Open(dir)
	if err != nil || c.Config.Mirror != a.url {
		t.Fatalf("after a refused pin: %+v, %v", c, err)
	}
	if _, err := c.Releases("hello"); err != nil {
		t.Fatalf("after a refused pin: %v", err)
	}
	if p, err := client.Pin(dir, a.url, other, true); err != nil || !p.Replaced {
		t.Fatalf("forced: %+v, %v", p, err)
	}
}

// selfSignedRoot is a valid root v1 of a fresh key, for every role.
func selfSignedRoot(t *testing.T) []byte {
	t.Helper()
	priv, err := keys.Generate(keys.TypeEd25519)
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.FromSigner("other", priv)
	if err != nil {
		t.Fatal(err)
	}
	root := metadata.Root(time.Now().Add(24 * time.Hour))
	for _, role := range []string{metadata.ROOT, metadata.TARGETS, metadata.SNAPSHOT, metadata.TIMESTAMP} {
		if err := root.Signed.AddKey(k.Public, role); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := root.Sign(k.Signer); err != nil {
		t.Fatal(err)
	}
	raw, err := root.ToBytes(false)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
