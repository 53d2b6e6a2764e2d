package webui_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/webui"
)

// The UI reads a repository over HTTP as well as from a directory.
func TestURLSource(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	dir := genericRepo(t, now)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	out, repo := build(t, webui.URLSource{Base: srv.URL + "/"}, now)
	if len(repo.Delegated) != 6 || !strings.Contains(read(t, out, "index.html"), "bins-3") {
		t.Fatalf("loading over HTTP: %d roles", len(repo.Delegated))
	}
}

// Root history shows each rotation and what it changed; a root not signed
// by its predecessor is flagged.
func TestRootHistory(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	dir := genericRepo(t, now)
	raw, _ := os.ReadFile(filepath.Join(dir, "1.root.json"))
	r1, err := metadata.Root().FromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	s, _ := signature.LoadSigner(priv, crypto.Hash(0))
	pub, _ := s.PublicKey()
	k, _ := metadata.KeyFromPublicKey(pub)
	r2 := *r1
	r2.Signatures = nil
	r2.Signed.Version = 2
	r2.Signed.AddKey(k, metadata.ROOT)
	r2.Signed.Roles[metadata.ROOT].Threshold = 2
	// Signed only by the new key: not by root v1's threshold.
	r2.Sign(s)
	write(t, dir, "2.root.json", &r2)
	out, repo := build(t, webui.DirSource(dir), now)
	if len(repo.Roots) != 2 {
		t.Fatalf("%d root versions", len(repo.Roots))
	}
	h := read(t, out, "root-history.html")
	for _, want := range []string{"first root", "root threshold 1 → 2", "root may now be signed by", "not signed by the threshold of root version 1"} {
		if !strings.Contains(h, want) {
			t.Errorf("root history lacks %q", want)
		}
	}
}

// Past InlineTree delegated roles, the index links to per-letter pages.
func TestIndexPagination(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	repo, err := webui.Load(webui.DirSource(genericRepo(t, now)), now)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := webui.Build(repo, webui.DirWriter(out), webui.Options{InlineTree: 2}); err != nil {
		t.Fatal(err)
	}
	idx := read(t, out, "index.html")
	if !strings.Contains(idx, "browse them by first letter") || !strings.Contains(idx, `href="roles-b.html"`) {
		t.Fatalf("no letter index:\n%s", idx)
	}
	if !strings.Contains(read(t, out, "roles-b.html"), "bins-2") {
		t.Error("the b page lacks bins-2")
	}
	crawl(t, out)
}
