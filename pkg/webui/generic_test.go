package webui_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/webui"
)

// onciRepo builds, with go-tuf alone, a repository laid out as python-tuf's
// and tuf-on-ci's tools (and sigstore's root-signing) lay theirs out:
// consistent snapshots (N.root.json, N.snapshot.json, N.targets.json,
// N.ROLE.json), targets stored as HASH.NAME, keys naming their owner in
// x-tuf-on-ci-keyowner, two root versions and a delegated role with a
// threshold of 2. No tufgit project is in it.
func onciRepo(t *testing.T, now time.Time) (meta, targetsDir string) {
	t.Helper()
	dir := t.TempDir()
	meta, targetsDir = filepath.Join(dir, "metadata"), filepath.Join(dir, "targets")
	os.MkdirAll(meta, 0o755)
	os.MkdirAll(targetsDir, 0o755)
	a, b, online, r1, r2 := newSigner(t, "ecdsa"), newSigner(t, "ecdsa"), newSigner(t, "ecdsa"), newSigner(t, "ecdsa"), newSigner(t, "ecdsa")
	id := func(s signer) string { i, _ := s.key.ID(); return i }
	owned := func(s signer, owner string) *metadata.Key {
		// keyids are computed before the owner field is added (go-tuf's
		// Key.ID hashes unknown fields too), as tuf-on-ci does.
		k := *s.key
		k.UnrecognizedFields = map[string]any{"x-tuf-on-ci-keyowner": owner}
		return &k
	}
	root := metadata.Root(now.Add(365 * 24 * time.Hour))
	root.Signed.ConsistentSnapshot = true
	for _, role := range []string{metadata.ROOT, metadata.TARGETS} {
		root.Signed.AddKey(a.key, role)
		root.Signed.AddKey(b.key, role)
	}
	root.Signed.AddKey(online.key, metadata.SNAPSHOT)
	root.Signed.AddKey(online.key, metadata.TIMESTAMP)
	root.Signed.Roles[metadata.ROOT].Threshold = 2
	root.Signed.Keys[id(a)] = owned(a, "@jku")
	root.Signed.Keys[id(b)] = owned(b, "@lukpueh")
	root.Signed.UnrecognizedFields = map[string]any{"x-tuf-on-ci-expiry-period": 182, "x-tuf-on-ci-signing-period": 60}
	root.Sign(a.s)
	root.Sign(b.s)
	write(t, meta, "1.root.json", root)
	root2 := metadata.Root(now.Add(365 * 24 * time.Hour))
	*root2 = *root
	root2.Signatures = nil
	root2.Signed.Version = 2
	root2.Sign(a.s)
	root2.Sign(b.s)
	write(t, meta, "2.root.json", root2)
	write(t, meta, "root.json", root2)

	registry := metadata.Targets(now.Add(90 * 24 * time.Hour))
	content := []byte("trusted_root contents\n")
	tf, err := metadata.TargetFile().FromBytes("registry/trusted_root.json", content, "sha256", "sha512")
	if err != nil {
		t.Fatal(err)
	}
	registry.Signed.Targets["registry/trusted_root.json"] = tf
	registry.Sign(r1.s)
	registry.Sign(r2.s)
	write(t, meta, "3.registry.json", registry)
	sum := sha256.Sum256(content)
	os.MkdirAll(filepath.Join(targetsDir, "registry"), 0o755)
	os.WriteFile(filepath.Join(targetsDir, "registry", hex.EncodeToString(sum[:])+".trusted_root.json"), content, 0o644)

	targets := metadata.Targets(now.Add(180 * 24 * time.Hour))
	targets.Signed.Version = 4
	targets.Signed.Delegations = &metadata.Delegations{
		Keys:  map[string]*metadata.Key{id(r1): owned(r1, "@registry-admin"), id(r2): r2.key},
		Roles: []metadata.DelegatedRole{{Name: "registry", KeyIDs: []string{id(r1), id(r2)}, Threshold: 2, Paths: []string{"registry/*"}}},
	}
	targets.Sign(a.s)
	write(t, meta, "4.targets.json", targets)
	snap := metadata.Snapshot(now.Add(20 * time.Hour)) // soon
	snap.Signed.Version = 9
	snap.Signed.Meta["targets.json"] = metadata.MetaFile(4)
	snap.Signed.Meta["registry.json"] = metadata.MetaFile(1)
	snap.Signed.Meta["registry.json"].Version = 3
	snap.Sign(online.s)
	write(t, meta, "9.snapshot.json", snap)
	ts := metadata.Timestamp(now.Add(24 * time.Hour))
	ts.Signed.Meta["snapshot.json"] = metadata.MetaFile(9)
	ts.Sign(online.s)
	write(t, meta, "timestamp.json", ts)
	return meta, targetsDir
}

// A repository tufgit did not make renders: consistent-snapshot names are
// followed, owners named by x-tuf-on-ci-keyowner are shown, the delegated
// role's target links to its HASH.NAME file, and what expires soon is on
// the home page.
func TestTufOnCIStyleRepository(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	meta, _ := onciRepo(t, now)
	repo, err := webui.Load(webui.DirSource(meta), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(repo.Roots) != 2 || repo.Snapshot.File != "9.snapshot.json" || repo.Targets.File != "4.targets.json" || repo.ByName["registry"].File != "3.registry.json" {
		t.Fatalf("consistent-snapshot files not followed: roots %d, %s, %s", len(repo.Roots), repo.Snapshot.File, repo.Targets.File)
	}
	for _, r := range append([]*webui.Role{repo.Root, repo.Timestamp, repo.Snapshot, repo.Targets}, repo.Delegated...) {
		if !r.Met || r.Error != "" {
			t.Errorf("%s: threshold met %v, error %q", r.Name, r.Met, r.Error)
		}
	}
	out := filepath.Join(filepath.Dir(meta), "ui")
	if err := webui.Build(repo, webui.DirWriter(out), webui.Options{}); err != nil {
		t.Fatal(err)
	}
	crawl(t, out) // the pages sit in the mirror: download links must resolve
	root := read(t, out, "root-2.html")
	for _, want := range []string{"<td>@jku</td>", "<td>@lukpueh</td>", "x-tuf-on-ci-expiry-period"} {
		if !strings.Contains(root, want) {
			t.Errorf("root page lacks %q", want)
		}
	}
	reg := read(t, out, "role-registry.html")
	if !strings.Contains(reg, `href="../targets/registry/`) || !strings.Contains(reg, ".trusted_root.json") {
		t.Error("the registry role's target has no download link")
	}
	if !strings.Contains(reg, "<td>@registry-admin</td><td class=\"sig-valid\">valid</td>") {
		t.Error("the registry role's signature is not shown with its owner's name")
	}
	idx := read(t, out, "index.html")
	if !strings.Contains(idx, "Expired or expiring soon") || !strings.Contains(idx, `href="role-snapshot.html">snapshot</a> <span class="soon">expires in 20 hours</span>`) {
		t.Error("the home page does not say that snapshot expires soon")
	}
	if strings.Contains(idx, "Not trustworthy now") {
		t.Error("a repository whose every role verifies is listed as not trustworthy")
	}
	if !strings.Contains(idx, "(@jku)") {
		t.Error("the home page's key list does not name the owner")
	}
}

// Negative control for the owner fields: a key without one shows no name,
// and a non-string owner field is ignored.
func TestKeyOwner(t *testing.T) {
	k := &metadata.Key{}
	if got := webui.KeyOwner(k); got != "" {
		t.Errorf("no field: %q", got)
	}
	k.UnrecognizedFields = map[string]any{"x-tuf-on-ci-keyowner": 12}
	if got := webui.KeyOwner(k); got != "" {
		t.Errorf("number field: %q", got)
	}
	k.UnrecognizedFields = map[string]any{"x-tuf-on-ci-keyowner": "@alice"}
	if got := webui.KeyOwner(k); got != "@alice" {
		t.Errorf("owner: %q", got)
	}
	if webui.KeyOwner(nil) != "" {
		t.Error("nil key")
	}
}

func TestThresholdWords(t *testing.T) {
	for _, c := range []struct {
		t, n int
		want string
	}{{2, 3, "any 2 of 3 maintainers"}, {1, 1, "the one maintainer"}, {2, 2, "all 2 maintainers"}, {1, 4, "any 1 of 4 maintainers"}, {3, 2, "3 maintainers, but only 2 keys are listed: nobody can sign"}} {
		if got := webui.ThresholdWords(c.t, c.n, "maintainer"); got != c.want {
			t.Errorf("%d of %d: %q, want %q", c.t, c.n, got, c.want)
		}
	}
}

// The manifest: a second build from the same metadata checks no signature
// and writes only the summary pages; a changed role is checked and its
// page rewritten; an unusable manifest means a full build.
func TestManifestIncremental(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	meta, _ := onciRepo(t, now)
	out := t.TempDir()
	buildInto := func(m *webui.Manifest) (*webui.Repo, map[string]bool) {
		repo, err := webui.LoadCached(webui.DirSource(meta), now, m)
		if err != nil {
			t.Fatal(err)
		}
		written := map[string]bool{}
		w := webui.DirWriter(out)
		if err := webui.Build(repo, func(n string, d []byte) error { written[n] = true; return w(n, d) }, webui.Options{Manifest: m}); err != nil {
			t.Fatal(err)
		}
		return repo, written
	}
	m := &webui.Manifest{}
	first, w1 := buildInto(m)
	if first.Checked < 6 || !w1["role-registry.html"] || !w1["raw/3~2eregistry.json"] {
		t.Fatalf("first build: %d checks, wrote registry page %v", first.Checked, w1["role-registry.html"])
	}
	data, _ := os.ReadFile(filepath.Join(out, webui.ManifestName))
	m2 := webui.ParseManifest(data)
	if m2 == nil {
		t.Fatal("the manifest written does not parse")
	}
	second, w2 := buildInto(m2)
	if second.Checked != 0 || w2["role-registry.html"] || w2["role-targets.html"] || w2["raw/3~2eregistry.json"] || !w2["index.html"] {
		t.Fatalf("second build: %d checks, wrote %v", second.Checked, w2)
	}
	// The registry role changes bytes (a broken signature now).
	raw, _ := os.ReadFile(filepath.Join(meta, "3.registry.json"))
	os.WriteFile(filepath.Join(meta, "3.registry.json"), []byte(strings.Replace(string(raw), `"version": 1`, `"version": 5`, 1)), 0o644)
	data, _ = os.ReadFile(filepath.Join(out, webui.ManifestName))
	third, w3 := buildInto(webui.ParseManifest(data))
	if third.Checked != 1 || !w3["role-registry.html"] || w3["role-targets.html"] {
		t.Fatalf("after a change: %d checks, wrote registry %v targets %v", third.Checked, w3["role-registry.html"], w3["role-targets.html"])
	}
	if third.ByName["registry"].Met {
		t.Error("the changed registry role still counts as signed")
	}
	for _, bad := range []string{"", "{", `{"format":99}`, "[]"} {
		if webui.ParseManifest([]byte(bad)) != nil {
			t.Errorf("manifest %q accepted", bad)
		}
	}
}

// Merging what newer commits told into what was known keeps the first
// date a release was seen and puts newer history first, capped.
func TestSiteMemoMerge(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	old := &webui.SiteMemo{Commit: "a", Dates: map[string]map[string]time.Time{"p": {"1.0": t0}},
		History: map[string][]webui.Event{"p": {{Subject: "old"}}}}
	var newer []webui.Event
	for i := 0; i < webui.MaxHistory; i++ {
		newer = append(newer, webui.Event{Subject: fmt.Sprint("new", i)})
	}
	got := old.Merge(&webui.SiteMemo{Commit: "b", Dates: map[string]map[string]time.Time{"p": {"1.0": t0.Add(time.Hour), "2.0": t0.Add(2 * time.Hour)}},
		History: map[string][]webui.Event{"p": newer}})
	if got.Commit != "b" || !got.Dates["p"]["1.0"].Equal(t0) || !got.Dates["p"]["2.0"].Equal(t0.Add(2*time.Hour)) {
		t.Errorf("merged dates: %+v", got)
	}
	if h := got.History["p"]; len(h) != webui.MaxHistory || h[0].Subject != "new0" || h[len(h)-1].Subject == "old" {
		t.Errorf("merged history: %d entries, first %q, last %q", len(h), h[0].Subject, h[len(h)-1].Subject)
	}
	if (*webui.SiteMemo)(nil).Merge(old) != old || old.Merge(nil) != old {
		t.Error("merging with nothing")
	}
	if len(old.History["p"]) != 1 {
		t.Error("Merge changed its receiver")
	}
}

// Past InlineTree projects, the projects are listed one page per first
// letter, linked from the home page, so that they can be browsed without
// JavaScript; the search index still holds them all.
func TestProjectLetterPages(t *testing.T) {
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "repo.git"), repotest.Spec{Names: []string{"alpha", "apple", "beta", "hello", "help"}, Now: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	mirror := filepath.Join(t.TempDir(), "mirror")
	if _, err := f.Publish(mirror, false); err != nil {
		t.Fatal(err)
	}
	repo, err := webui.Load(webui.DirSource(filepath.Join(mirror, "metadata")), f.Now)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(mirror, "ui")
	if err := webui.Build(repo, webui.DirWriter(out), webui.Options{InlineTree: 2}); err != nil {
		t.Fatal(err)
	}
	idx := read(t, out, "index.html")
	for _, l := range []string{"a", "b", "h"} {
		if !strings.Contains(idx, `<a href="projects-`+l+`.html">`+l+`</a>`) {
			t.Errorf("home lacks the letter %s", l)
		}
	}
	if p := read(t, out, "projects-h.html"); !strings.Contains(p, "project-hello.html") || !strings.Contains(p, "project-help.html") || strings.Contains(p, "project-alpha.html") {
		t.Error("projects-h.html lists the wrong projects")
	}
	var entries []map[string]string
	if err := json.Unmarshal([]byte(read(t, out, "search-index.json")), &entries); err != nil || len(entries) != 5 {
		t.Fatalf("search index: %v, %d entries", err, len(entries))
	}
	crawl(t, out)
}
