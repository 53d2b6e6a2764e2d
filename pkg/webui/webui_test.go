package webui_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/webui"
)

type signer struct {
	key *metadata.Key
	s   signature.Signer
}

func newSigner(t *testing.T, kind string) signer {
	t.Helper()
	var s signature.Signer
	var err error
	switch kind {
	case "ecdsa":
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		s, err = signature.LoadSigner(k, crypto.SHA256)
	case "rsa":
		k, _ := rsa.GenerateKey(rand.Reader, 2048)
		s, err = signature.LoadRSAPSSSigner(k, crypto.SHA256, &rsa.PSSOptions{Hash: crypto.SHA256})
	}
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := s.PublicKey()
	k, err := metadata.KeyFromPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return signer{key: k, s: s}
}

func write[T metadata.Roles](t *testing.T, dir, name string, m *metadata.Metadata[T]) {
	t.Helper()
	raw, err := m.ToBytes(true)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// genericRepo builds, with go-tuf alone, a repository tufgit did not make:
// ecdsa and rsa keys, succinct hash bins, an unknown field, an expired
// role, a signature that fails, a missing delegated role, and hostile
// strings. Consistent snapshots are off, so files have plain names.
func genericRepo(t *testing.T, now time.Time) string {
	t.Helper()
	dir := t.TempDir()
	rootKey, onlineKey, binKey, teamKey := newSigner(t, "ecdsa"), newSigner(t, "ecdsa"), newSigner(t, "rsa"), newSigner(t, "ecdsa")
	id := func(s signer) string { i, _ := s.key.ID(); return i }

	root := metadata.Root(now.Add(365 * 24 * time.Hour))
	root.Signed.ConsistentSnapshot = false
	root.Signed.AddKey(rootKey.key, metadata.ROOT)
	root.Signed.AddKey(rootKey.key, metadata.TARGETS)
	root.Signed.AddKey(onlineKey.key, metadata.SNAPSHOT)
	root.Signed.AddKey(onlineKey.key, metadata.TIMESTAMP)
	root.Sign(rootKey.s)
	write(t, dir, "1.root.json", root)
	write(t, dir, "root.json", root)

	targets := metadata.Targets(now.Add(100 * 24 * time.Hour))
	targets.Signed.Delegations = &metadata.Delegations{
		Keys:          map[string]*metadata.Key{id(binKey): binKey.key},
		SuccinctRoles: &metadata.SuccinctRoles{KeyIDs: []string{id(binKey)}, Threshold: 1, BitLength: 2, NamePrefix: "bins"},
	}
	targets.Signed.UnrecognizedFields = map[string]any{"x-vendor-note": "unknown <b>field</b>"}
	targets.Sign(rootKey.s)
	write(t, dir, "targets.json", targets)

	snap := metadata.Snapshot(now.Add(7 * 24 * time.Hour))
	snap.Signed.Meta["targets.json"] = metadata.MetaFile(1)
	for _, bin := range targets.Signed.Delegations.SuccinctRoles.GetRoles() {
		b := metadata.Targets(now.Add(30 * 24 * time.Hour))
		switch bin {
		case "bins-0":
			tf, _ := metadata.TargetFile().FromBytes("<script>alert(1)</script>.txt", []byte("x"), "sha256")
			custom := json.RawMessage(`{"note":"<script>alert(2)</script>","team":"<img src=x onerror=alert(3)>"}`)
			tf.Custom = &custom
			b.Signed.Targets["<script>alert(1)</script>.txt"] = tf
			b.Signed.Delegations = &metadata.Delegations{Keys: map[string]*metadata.Key{id(teamKey): teamKey.key}, Roles: []metadata.DelegatedRole{
				{Name: "team-<img src=x onerror=alert(4)>", KeyIDs: []string{id(teamKey)}, Threshold: 1, Paths: []string{"team/*"}},
				{Name: "gone", KeyIDs: []string{id(teamKey)}, Threshold: 1, Paths: []string{"gone/*"}},
			}}
		case "bins-1":
			b.Signed.Expires = now.Add(-48 * time.Hour) // expired
		}
		b.Sign(binKey.s)
		if bin == "bins-2" {
			b.Signed.Version = 7 // changed after signing: the signature fails
		}
		write(t, dir, bin+".json", b)
		snap.Signed.Meta[bin+".json"] = metadata.MetaFile(b.Signed.Version)
	}
	team := metadata.Targets(now.Add(30 * 24 * time.Hour))
	team.Sign(teamKey.s)
	write(t, dir, "team-<img src=x onerror=alert(4)>.json", team)
	// "gone" is delegated but has no file.
	snap.Sign(onlineKey.s)
	write(t, dir, "snapshot.json", snap)
	ts := metadata.Timestamp(now.Add(24 * time.Hour))
	ts.Signed.Meta["snapshot.json"] = metadata.MetaFile(1)
	ts.Sign(onlineKey.s)
	write(t, dir, "timestamp.json", ts)
	return dir
}

func build(t *testing.T, src webui.Source, now time.Time) (string, *webui.Repo) {
	t.Helper()
	repo, err := webui.Load(src, now)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := webui.Build(repo, webui.DirWriter(out), webui.Options{}); err != nil {
		t.Fatal(err)
	}
	return out, repo
}

func read(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGenericRepository(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	out, repo := build(t, webui.DirSource(genericRepo(t, now)), now)
	if len(repo.Delegated) != 6 { // 4 bins, team, gone
		t.Fatalf("delegated roles: %d", len(repo.Delegated))
	}
	idx := read(t, out, "index.html")
	for _, want := range []string{`lang="en"`, "<th scope=\"col\">Threshold</th>", "bins-0", "bins-3", "(missing)", "(threshold not met)", "expired 2 days ago", "Not trustworthy now", "Expired or expiring soon"} {
		if !strings.Contains(idx, want) {
			t.Errorf("index lacks %q", want)
		}
	}
	tgt := read(t, out, "role-targets.html")
	for _, want := range []string{"Succinct hash-bin delegation", "<td>bins</td>", "rsa", "rsassa-pss-sha256", "x-vendor-note", "unknown &lt;b&gt;field&lt;/b&gt;"} {
		if !strings.Contains(tgt, want) {
			t.Errorf("targets page lacks %q", want)
		}
	}
	if !strings.Contains(read(t, out, "role-bins-2.html"), `class="sig-invalid">invalid`) {
		t.Error("bins-2's failing signature is not marked invalid")
	}
	if !strings.Contains(read(t, out, "role-bins-1.html"), `class="expired"`) {
		t.Error("bins-1 is not marked expired")
	}
	if !strings.Contains(read(t, out, "role-gone.html"), "its metadata file was not found") {
		t.Error("the missing role's page does not say so")
	}
	root := read(t, out, "root-1.html")
	if !strings.Contains(root, "ecdsa-sha2-nistp256") {
		t.Error("root page lacks the ecdsa scheme")
	}
	if _, err := os.Stat(filepath.Join(out, "projects.html")); err == nil {
		t.Error("a repository without tufgit projects got a projects page")
	}
}

// Every string from the metadata is escaped: a role name, a target path and
// custom fields full of markup render as text.
func TestHostileStringsAreEscaped(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	out, _ := build(t, webui.DirSource(genericRepo(t, now)), now)
	entries, _ := os.ReadDir(out)
	seen := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".html") {
			continue
		}
		page := read(t, out, e.Name())
		if loc := regexp.MustCompile(`<script|<img|<b>`).FindStringIndex(page); loc != nil {
			t.Errorf("%s contains live markup from metadata: %q", e.Name(), page[max(0, loc[0]-60):min(len(page), loc[1]+40)])
		}
		if strings.Contains(page, "&lt;script&gt;alert(") || strings.Contains(page, "&lt;img src=x onerror=alert(") {
			seen++
		}
	}
	if seen < 3 {
		t.Errorf("the hostile strings appear escaped on only %d pages; the test may not test anything", seen)
	}
	for _, e := range entries {
		if strings.ContainsAny(e.Name(), "<>\"' ") {
			t.Errorf("unsafe file name %q", e.Name())
		}
	}
}

// A crawler follows every link from the index; none is broken.
func TestNoBrokenLinks(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	out, _ := build(t, webui.DirSource(genericRepo(t, now)), now)
	crawl(t, out)
}

var hrefRE = regexp.MustCompile(`(?:href|src)="([^"]*)"`)

func crawl(t *testing.T, out string) int {
	t.Helper()
	seen := map[string]bool{}
	queue := []string{"index.html"}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		if strings.HasPrefix(p, "../") {
			// Out of the pages, into the mirror (download links): checked
			// when the pages sit in a mirror.
			if _, err := os.Stat(filepath.Join(filepath.Dir(out), "targets")); err != nil {
				continue
			}
		}
		data, err := os.ReadFile(filepath.Join(out, p))
		if err != nil {
			t.Errorf("broken link to %s", p)
			continue
		}
		if !strings.HasSuffix(p, ".html") {
			continue
		}
		for _, m := range hrefRE.FindAllStringSubmatch(string(data), -1) {
			link := strings.ReplaceAll(m[1], "&amp;", "&")
			if strings.Contains(link, "://") || strings.HasPrefix(link, "#") {
				t.Errorf("%s links outside the site: %s", p, link)
				continue
			}
			link, _, _ = strings.Cut(link, "#")
			if u, err := url.PathUnescape(link); err == nil {
				link = u
			} else {
				t.Errorf("%s: link %q is not escaped properly", p, link)
			}
			queue = append(queue, filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(p), link))))
		}
	}
	if len(seen) < 5 {
		t.Fatalf("crawled only %d files", len(seen))
	}
	return len(seen)
}

// DirSourceFor is webui.DirSource, named for readability in tests.
func DirSourceFor(dir string) webui.Source { return webui.DirSource(dir) }

// A role file with a null target entry makes go-tuf 2.4.2 panic while
// decoding it. A hostile repository must not take the build down: the
// role is shown as unreadable and every other page is still written.
func TestNullTargetRoleIsShownUnreadable(t *testing.T) {
	now := time.Now().UTC()
	dir := genericRepo(t, now)
	p := filepath.Join(dir, "team-<img src=x onerror=alert(4)>.json")
	if err := os.WriteFile(p, []byte(`{"signed":{"_type":"targets","spec_version":"1.0.31","version":1,"expires":"2099-01-01T00:00:00Z","targets":{"a":null}},"signatures":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, repo := build(t, webui.DirSource(dir), now)
	found := false
	for _, r := range repo.Delegated {
		if strings.HasPrefix(r.Name, "team-") {
			found = true
			if !strings.Contains(r.Error, "malformed metadata") {
				t.Fatalf("role %s: error %q, want it shown as malformed", r.Name, r.Error)
			}
		}
	}
	if !found {
		t.Fatal("the hostile role is not listed")
	}
	if _, err := os.Stat(filepath.Join(out, "index.html")); err != nil {
		t.Fatalf("the build stopped: %v", err)
	}
}
