package publish_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/publish"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

const testShardBits = 2 // four shards

func shardedFixture(t *testing.T, n int) *repotest.Fixture {
	t.Helper()
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "repo.git"), repotest.Spec{
		Names: repotest.Names(n, 7), Releases: 1, ShardBits: testShardBits,
		Now: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readSnapshot(t *testing.T, dir, rel string) *metadata.Metadata[metadata.SnapshotType] {
	t.Helper()
	tsRaw, err := os.ReadFile(filepath.Join(dir, rel, "timestamp.json"))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := metadata.Timestamp().FromBytes(tsRaw)
	if err != nil {
		t.Fatal(err)
	}
	v := ts.Signed.Meta["snapshot.json"].Version
	raw, err := os.ReadFile(filepath.Join(dir, rel, fmt.Sprintf("%d.snapshot.json", v)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := metadata.Snapshot().FromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A sharded repository is published as one TUF repository per shard, each
// read by go-tuf's updater unchanged, plus a top level that serves root,
// targets and the admin-signed shard map. A one-release push re-signs one
// shard's snapshot and timestamp and no other.
func TestPublishShards(t *testing.T) {
	f := shardedFixture(t, 16)
	m, dir := dirMirror(t)
	res := doPublish(t, f, m, f.Now, false)
	if !res.Full || res.Shards != 1<<testShardBits {
		t.Fatalf("first publish: %+v", res)
	}
	url := serveDir(t, dir)

	// The top level lists targets.json and the shard state, and targets
	// lists the map.
	top := readSnapshot(t, dir, "metadata")
	if len(top.Signed.Meta) != 2 || top.Signed.Meta["targets.json"] == nil || top.Signed.Meta[layout.ShardStateMeta] == nil {
		t.Fatalf("top-level snapshot lists %v, want targets.json and %s", top.Signed.Meta, layout.ShardStateMeta)
	}
	checkShardState(t, dir)
	raw, err := clientAt(t, f, url+"/metadata", url+"/targets", layout.ShardMapTarget)
	if err != nil {
		t.Fatalf("the shard map from the top level: %v", err)
	}
	var sm layout.ShardMap
	if err := json.Unmarshal(raw, &sm); err != nil || sm.Validate() != nil || sm.Bits != testShardBits {
		t.Fatalf("shard map %s: %v", raw, err)
	}

	// Every project downloads from its own shard, and from no other.
	seen := map[string]bool{}
	for _, p := range f.Spec.Names {
		shard := layout.ShardName(layout.ShardOf(p, testShardBits), testShardBits)
		seen[shard] = true
		tp, want := target(f, p)
		metaURL := url + "/" + strings.Replace(sm.Metadata, layout.ShardPlaceholder, shard, 1)
		got, err := clientAt(t, f, strings.TrimSuffix(metaURL, "/"), url+"/"+strings.TrimSuffix(sm.Targets, "/"), tp)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s from shard %s: %v", p, shard, err)
		}
		other := layout.ShardName((layout.ShardOf(p, testShardBits)+1)%(1<<testShardBits), testShardBits)
		if _, err := clientAt(t, f, url+"/s2/"+other+"/metadata", url+"/targets", tp); err == nil {
			t.Fatalf("%s was found in shard %s, not its own (%s)", p, other, shard)
		}
		// A shard's snapshot lists its own roles and no other shard's.
		for name := range readSnapshot(t, dir, "s2/"+shard+"/metadata").Signed.Meta {
			role := strings.TrimSuffix(name, ".json")
			if layout.RoleKind(role) == layout.KindProjectRole && layout.ShardOf(role, testShardBits) != layout.ShardOf(p, testShardBits) {
				t.Fatalf("shard %s's snapshot lists %s, of another shard", shard, role)
			}
		}
	}
	if len(seen) < 3 {
		t.Fatalf("the fixture's projects fall in %d shards; pick names that spread", len(seen))
	}

	// One release of one project: only its shard is re-signed.
	p := f.Spec.Names[0]
	shard := layout.ShardName(layout.ShardOf(p, testShardBits), testShardBits)
	before := map[string][]byte{}
	for _, s := range layout.ShardNames(testShardBits) {
		before[s], _ = os.ReadFile(filepath.Join(dir, "s2", s, "metadata", "timestamp.json"))
	}
	topTS, _ := os.ReadFile(filepath.Join(dir, "metadata", "timestamp.json"))
	data := []byte("release 2")
	tp := layout.TargetPath(p, "2.0.0", p+"-2.0.0.tar.gz")
	if _, err := f.Release(p, "2.0.0", p+"-2.0.0.tar.gz", data); err != nil {
		t.Fatal(err)
	}
	res = doPublish(t, f, m, f.Now, false)
	if res.Full || res.Shards != 1 {
		t.Fatalf("one-release publish: %+v", res)
	}
	// The shard, then the top level's new shard state, snapshot and
	// timestamp: nothing of any other shard.
	topV := readSnapshot(t, dir, "metadata").Signed.Version
	for _, w := range res.Written {
		if !strings.HasPrefix(w, "targets/"+p+"/") && !strings.HasPrefix(w, "s2/"+shard+"/metadata/") && !slices.Contains([]string{
			fmt.Sprintf("metadata/%d.%s", topV, layout.ShardStateMeta), fmt.Sprintf("metadata/%d.snapshot.json", topV), "metadata/timestamp.json"}, w) {
			t.Fatalf("a one-release publish in shard %s wrote %s", shard, w)
		}
	}
	checkShardState(t, dir)
	for _, s := range layout.ShardNames(testShardBits) {
		now, _ := os.ReadFile(filepath.Join(dir, "s2", s, "metadata", "timestamp.json"))
		if changed := !bytes.Equal(now, before[s]); changed != (s == shard) {
			t.Fatalf("shard %s's timestamp changed: %v (the push was in %s)", s, changed, shard)
		}
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "metadata", "timestamp.json")); bytes.Equal(now, topTS) {
		t.Fatal("a one-release publish left the top level, whose shard state names the shard's old snapshot")
	}
	topTS, _ = os.ReadFile(filepath.Join(dir, "metadata", "timestamp.json"))
	got, err := clientAt(t, f, url+"/s2/"+shard+"/metadata", url+"/targets", tp)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the new release from shard %s: %v", shard, err)
	}

	// Nothing changed: nothing written.
	if res := doPublish(t, f, m, f.Now, false); !res.UpToDate || len(res.Written) != 0 {
		t.Fatalf("an idle publish wrote %v", res.Written)
	}

	// The record status reads counts every shard.
	if rec, err := publish.ReadRecord(f.Repo); err != nil || rec.Shards != 1<<testShardBits {
		t.Fatalf("record: %+v %v", rec, err)
	}

	// A refresh near expiry re-signs every shard's timestamp and the top.
	later := f.Now.Add(23 * time.Hour)
	res = doPublish(t, f, m, later, true)
	if res.Shards != 1<<testShardBits {
		t.Fatalf("refresh re-signed %d shards, want all %d: %+v", res.Shards, 1<<testShardBits, res)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "metadata", "timestamp.json")); bytes.Equal(now, topTS) {
		t.Fatal("refresh left the top level's timestamp")
	}
}

// checkShardState checks that the top level's shard state names every
// shard's snapshot as the mirror serves it: version, SHA-256 and index
// role versions.
func checkShardState(t *testing.T, dir string) {
	t.Helper()
	top := readSnapshot(t, dir, "metadata")
	mf := top.Signed.Meta[layout.ShardStateMeta]
	if fi, err := os.Stat(filepath.Join(dir, "metadata", fmt.Sprintf("%d.snapshot.json", top.Signed.Version))); err == nil {
		t.Logf("top-level snapshot: %d bytes", fi.Size())
	}
	raw, err := os.ReadFile(filepath.Join(dir, "metadata", fmt.Sprintf("%d.%s", mf.Version, layout.ShardStateMeta)))
	if err != nil || mf.VerifyLengthHashes(raw) != nil {
		t.Fatalf("the shard state the top level names: %v", err)
	}
	st, err := layout.ParseShardState(raw, testShardBits)
	if err != nil || len(st.Shards) != 1<<testShardBits {
		t.Fatalf("shard state %s: %v", raw, err)
	}
	for _, s := range layout.ShardNames(testShardBits) {
		snap := readSnapshot(t, dir, "s2/"+s+"/metadata")
		sraw, _ := os.ReadFile(filepath.Join(dir, "s2", s, "metadata", fmt.Sprintf("%d.snapshot.json", snap.Signed.Version)))
		sum := sha256.Sum256(sraw)
		c := st.Shards[s]
		if c.Snapshot != snap.Signed.Version || c.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("shard %s: the top level commits to snapshot v%d %s, the shard serves v%d %x", s, c.Snapshot, c.SHA256, snap.Signed.Version, sum)
		}
		idx, _ := c.IndexVersions()
		n := 0
		for name, smf := range snap.Signed.Meta {
			if role := strings.TrimSuffix(name, ".json"); strings.HasPrefix(role, layout.IndexRolePrefix) {
				n++
				if idx[role] != smf.Version {
					t.Fatalf("shard %s: the top level commits to %s v%d, the shard lists v%d", s, role, idx[role], smf.Version)
				}
			}
		}
		if n == 0 || n != len(idx) {
			t.Fatalf("shard %s: %d index roles committed, %d in its snapshot", s, len(idx), n)
		}
	}
}

// A change of targets (here: its version, as a key rotation would bump
// it) reaches every shard, since each serves its own copy.
func TestPublishShardsTargetsChangeReachesEveryShard(t *testing.T) {
	f := shardedFixture(t, 8)
	m, dir := dirMirror(t)
	doPublish(t, f, m, f.Now, false)
	ch, err := f.Resign(layout.RoleTargets, nil, f.Admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Commit("bump targets", ch); err != nil {
		t.Fatal(err)
	}
	tm, err := f.ReadRole(layout.RoleTargets)
	if err != nil {
		t.Fatal(err)
	}
	res := doPublish(t, f, m, f.Now, false)
	if res.Shards != 1<<testShardBits {
		t.Fatalf("a targets change re-signed %d shards: %+v", res.Shards, res)
	}
	for _, s := range append(layout.ShardNames(testShardBits), "") {
		rel := "metadata"
		if s != "" {
			rel = "s2/" + s + "/metadata"
		}
		if got := readSnapshot(t, dir, rel).Signed.Meta["targets.json"].Version; got != tm.Signed.Version {
			t.Fatalf("%s lists targets v%d, want v%d", rel, got, tm.Signed.Version)
		}
		if _, err := os.Stat(filepath.Join(dir, rel, fmt.Sprintf("%d.targets.json", tm.Signed.Version))); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.ContainsFunc(res.Written, func(w string) bool { return w == "metadata/timestamp.json" }) {
		t.Fatalf("the top level was not re-signed: %v", res.Written)
	}
}

// With the web UI on, each shard gets its own site (an ordinary TUF
// repository's pages) under ui/sBITS/SHARD/, and ui/index.html links them;
// a one-release publish re-renders its shard's site and no other.
func TestPublishShardsUI(t *testing.T) {
	f := shardedFixture(t, 12)
	m, dir := dirMirror(t)
	pub := func() *publish.Result {
		t.Helper()
		res, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: onlineKey(t), Mirror: m, Now: f.Now, UI: true, UISite: f.UISite})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	pub()
	home, err := os.ReadFile(filepath.Join(dir, "ui", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range layout.ShardNames(testShardBits) {
		if !bytes.Contains(home, []byte(`href="s2/`+s+`/index.html"`)) {
			t.Fatalf("ui/index.html does not link shard %s", s)
		}
		if _, err := os.Stat(filepath.Join(dir, "ui", "s2", s, "index.html")); err != nil {
			t.Fatal(err)
		}
	}
	p := f.Spec.Names[0]
	shard := layout.ShardName(layout.ShardOf(p, testShardBits), testShardBits)
	page, err := os.ReadFile(filepath.Join(dir, "ui", "s2", shard, "project-"+p+".html"))
	if err != nil {
		t.Fatalf("%s's page in its shard's site: %v", p, err)
	}
	// Download links reach the shared targets from the shard's pages.
	if !bytes.Contains(page, []byte(`../../../targets/`)) {
		t.Fatalf("%s's page does not link ../../../targets/", p)
	}
	other := layout.ShardName((layout.ShardOf(p, testShardBits)+1)%(1<<testShardBits), testShardBits)
	if _, err := os.Stat(filepath.Join(dir, "ui", "s2", other, "project-"+p+".html")); err == nil {
		t.Fatalf("%s has a page in shard %s's site", p, other)
	}
	stamps := func() map[string]time.Time {
		out := map[string]time.Time{}
		filepath.WalkDir(filepath.Join(dir, "ui"), func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				fi, _ := d.Info()
				rel, _ := filepath.Rel(dir, path)
				out[filepath.ToSlash(rel)] = fi.ModTime()
			}
			return err
		})
		return out
	}
	before := stamps()
	time.Sleep(10 * time.Millisecond)
	if _, err := f.Release(p, "2.0.0", p+"-2.0.0.tar.gz", []byte("two")); err != nil {
		t.Fatal(err)
	}
	if res := pub(); res.UIWritten == 0 {
		t.Fatal("a release rendered no page")
	}
	// Only the shard's site, and the home page, are written again.
	for rel, mt := range stamps() {
		if mt.Equal(before[rel]) || strings.HasPrefix(rel, "ui/s2/"+shard+"/") || strings.Count(rel, "/") == 1 {
			continue
		}
		t.Errorf("a release in shard %s wrote %s", shard, rel)
	}
	page, _ = os.ReadFile(filepath.Join(dir, "ui", "s2", shard, "project-"+p+".html"))
	if !bytes.Contains(page, []byte("2.0.0")) {
		t.Fatalf("%s's page does not show the new release", p)
	}
}

// A mirror published before the shard state existed (its record has no
// shard-state.json): the next one-release publish builds the state from
// every shard's recorded snapshot, re-signing only the pushed shard and
// the top level, and the state matches what every shard serves.
func TestPublishShardStateFromOlderRecord(t *testing.T) {
	f := shardedFixture(t, 16)
	m, dir := dirMirror(t)
	doPublish(t, f, m, f.Now, false)
	old, err := f.Repo.ResolveRef(publish.StateRef)
	if err != nil {
		t.Fatal(err)
	}
	base, err := f.Repo.TreeAt(old)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := f.Repo.BuildTree(base, []gitstore.FileChange{{Path: "shard-state.json"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.Repo.CommitTree(gitstore.CommitOptions{Parent: old, Tree: tree, Detached: true, When: f.Now, Message: "an older record\n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Repo.SetRef(publish.StateRef, c, old); err != nil {
		t.Fatal(err)
	}
	p := f.Spec.Names[0]
	if _, err := f.Release(p, "2.0.0", p+"-2.0.0.tar.gz", []byte("2")); err != nil {
		t.Fatal(err)
	}
	res := doPublish(t, f, m, f.Now, false)
	if res.Full || res.Shards != 1 {
		t.Fatalf("one-release publish after an older record: %+v", res)
	}
	checkShardState(t, dir)
}
