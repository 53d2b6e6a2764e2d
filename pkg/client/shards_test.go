package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/client"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/publish"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

const testBits = 2 // four shards

// shardWorld is a published repository of four hash shards, served on
// 127.0.0.1 with a log of the paths fetched.
type shardWorld struct {
	world
	mu      sync.Mutex
	fetched []string
}

func newShardWorld(t *testing.T) *shardWorld {
	t.Helper()
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "repo.git"), repotest.Spec{Names: repotest.Names(12, 7), Releases: 2, ShardBits: testBits, Now: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	w := &shardWorld{world: world{f: f, mirror: filepath.Join(t.TempDir(), "mirror")}}
	w.publish(t)
	files := http.FileServer(http.Dir(w.mirror))
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rec := &statusOf{ResponseWriter: rw, code: http.StatusOK}
		files.ServeHTTP(rec, r)
		if rec.code == http.StatusOK { // not the 404 of the next root's probe
			w.mu.Lock()
			w.fetched = append(w.fetched, r.URL.Path)
			w.mu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	w.c = w.newClient(t)
	return w
}

type statusOf struct {
	http.ResponseWriter
	code int
}

func (s *statusOf) WriteHeader(code int) { s.code = code; s.ResponseWriter.WriteHeader(code) }

func (w *shardWorld) newClient(t *testing.T) *client.Client {
	t.Helper()
	tree, _ := w.f.Repo.TreeAt(w.f.Head)
	root, _ := tree.ReadFile(layout.RootHistoryPath(1), layout.MaxRootSize)
	dir := filepath.Join(t.TempDir(), "client")
	if err := client.Init(dir, w.url, root); err != nil {
		t.Fatal(err)
	}
	c, err := client.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// log returns the paths fetched since the last call (those served: each
// refresh also asks for the next root version, TUF 5.3.3, and gets 404).
func (w *shardWorld) log() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.fetched
	w.fetched = nil
	return out
}

func shardOf(p string) string { return layout.ShardName(layout.ShardOf(p, testBits), testBits) }

// tufgit's client finds each project in its own shard, fetches nothing of
// any other shard, and a returning client after a publish in another
// shard fetches two timestamps and nothing else.
func TestShardedClient(t *testing.T) {
	w := newShardWorld(t)
	names := w.f.Spec.Names
	for _, p := range names {
		w.log()
		rels, err := w.c.Releases(p)
		if err != nil || len(rels) != 2 {
			t.Fatalf("releases %s: %v %v", p, rels, err)
		}
		for _, path := range w.log() {
			if strings.HasPrefix(path, "/s2/") && !strings.HasPrefix(path, "/s2/"+shardOf(p)+"/") {
				t.Fatalf("releases of %s (shard %s) fetched %s", p, shardOf(p), path)
			}
		}
		out := t.TempDir()
		res, err := w.c.Download(p, "", out)
		if err != nil {
			t.Fatalf("download %s: %v", p, err)
		}
		got, _ := os.ReadFile(res.Files[0])
		if want := repotest.Artifact(p, res.Release.Version, w.f.Spec.ArtifactSize); !bytes.Equal(got, want) {
			t.Fatalf("%s: downloaded bytes differ", p)
		}
		info, err := w.c.Shard(p)
		if err != nil || info.Shard != shardOf(p) || info.Shards != 1<<testBits ||
			info.MetadataURL != w.url+"/s2/"+shardOf(p)+"/metadata" || info.TargetsURL != w.url+"/targets" {
			t.Fatalf("shard of %s: %+v %v", p, info, err)
		}
	}
	got, err := w.c.Projects(nil)
	if err != nil || !slices.Equal(got, slices.Sorted(slices.Values(names))) {
		t.Fatalf("projects: %v %v", got, err)
	}

	// A returning client: a release in another shard costs it two
	// timestamps (the top level's and its shard's) and the top level's
	// snapshot (two entries: targets and the shard state, which it does
	// not fetch: it checked its shard already), nothing more.
	a := names[0]
	var b string
	for _, n := range names {
		if shardOf(n) != shardOf(a) {
			b = n
			break
		}
	}
	w.release(t, b, "9.0.0", []byte("b 9"))
	w.log()
	if _, err := w.c.Releases(a); err != nil {
		t.Fatal(err)
	}
	got = w.log()
	want := []string{"/metadata/timestamp.json", "", "/s2/" + shardOf(a) + "/metadata/timestamp.json"}
	if len(got) == 3 && strings.HasPrefix(got[1], "/metadata/") && strings.HasSuffix(got[1], ".snapshot.json") {
		want[1] = got[1]
	}
	if !slices.Equal(got, want) {
		t.Fatalf("a returning client after a publish elsewhere fetched %v, want %v", got, want)
	}
	// A release in its own shard: the top level's timestamp and
	// snapshot, its shard's timestamp, snapshot and role.
	w.release(t, a, "9.0.0", []byte("a 9"))
	w.log()
	rels, err := w.c.Releases(a)
	if err != nil || rels[len(rels)-1].Version != "9.0.0" {
		t.Fatalf("releases of %s after a release: %v %v", a, rels, err)
	}
	if got := w.log(); len(got) != 5 || !strings.HasSuffix(got[4], "."+a+".json") {
		t.Fatalf("a returning client after a publish in its shard fetched %v", got)
	}
}

// shardAttack re-signs one shard's snapshot and timestamp with the online
// key (which an attacker holding the server has), after edit changes the
// snapshot.
func (w *shardWorld) shardAttack(t *testing.T, shard string, edit func(*metadata.Metadata[metadata.SnapshotType])) {
	t.Helper()
	dir := filepath.Join(w.mirror, "s2", shard, "metadata")
	online := repotest.Key("online")
	tsRaw, _ := os.ReadFile(filepath.Join(dir, "timestamp.json"))
	ts, err := metadata.Timestamp().FromBytes(tsRaw)
	if err != nil {
		t.Fatal(err)
	}
	snapRaw, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.snapshot.json", ts.Signed.Meta["snapshot.json"].Version)))
	snap, err := metadata.Snapshot().FromBytes(snapRaw)
	if err != nil {
		t.Fatal(err)
	}
	edit(snap)
	snap.Signed.Version++
	snap.Signatures = nil
	snap.Sign(online.Signer)
	snapRaw, _ = snap.ToBytes(false)
	os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.snapshot.json", snap.Signed.Version)), snapRaw, 0o644)
	ts.Signed.Version++
	sum := sha256.Sum256(snapRaw)
	ts.Signed.Meta["snapshot.json"] = &metadata.MetaFiles{Version: snap.Signed.Version, Length: int64(len(snapRaw)), Hashes: metadata.Hashes{"sha256": sum[:]}}
	ts.Signatures = nil
	ts.Sign(online.Signer)
	tsRaw, _ = ts.ToBytes(false)
	os.WriteFile(filepath.Join(dir, "timestamp.json"), tsRaw, 0o644)
}

// The online key can make a shard serve an older targets.json to a client
// that never read that shard: the client compares it with the top level's
// and refuses. Other shards still work.
func TestShardServingOlderTargetsIsRefused(t *testing.T) {
	w := newShardWorld(t)
	ch, err := w.f.Resign(layout.RoleTargets, nil, w.f.Admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.f.Commit("targets v2", ch); err != nil {
		t.Fatal(err)
	}
	w.publish(t)
	victim := w.f.Spec.Names[0]
	w.shardAttack(t, shardOf(victim), func(s *metadata.Metadata[metadata.SnapshotType]) {
		s.Signed.Meta["targets.json"] = metadata.MetaFile(1) // 1.targets.json is still on the mirror
	})
	c := w.newClient(t)
	_, err = c.Releases(victim)
	var te *client.TUFError
	if !errors.As(err, &te) || te.Cause != client.CauseRollback || !strings.Contains(err.Error(), "older than the top level") {
		t.Fatalf("a shard serving targets v1 under a top level at v2: %v", err)
	}
	for _, p := range w.f.Spec.Names {
		if shardOf(p) != shardOf(victim) {
			if _, err := c.Releases(p); err != nil {
				t.Fatalf("%s, in an untouched shard: %v", p, err)
			}
			break
		}
	}
}

// The shard map is a target signed with the offline targets keys: other
// bytes on the mirror are refused, whatever the online key signs.
func TestShardMapIsVerified(t *testing.T) {
	w := newShardWorld(t)
	matches, _ := filepath.Glob(filepath.Join(w.mirror, "targets", "_tufgit", "*.shards.json"))
	if len(matches) == 0 {
		t.Fatal("no shard map on the mirror")
	}
	for _, m := range matches {
		raw, _ := os.ReadFile(m)
		// Same length; all shards in s/0/ instead.
		evil := bytes.Replace(raw, []byte(`"s2/{shard}/metadata/"`), []byte(`"x2/{shard}/metadata/"`), 1)
		if bytes.Equal(evil, raw) {
			t.Fatalf("the map %s has no metadata path to replace: %s", m, raw)
		}
		os.WriteFile(m, evil, 0o644)
	}
	_, err := w.newClient(t).Releases(w.f.Spec.Names[0])
	var te *client.TUFError
	if !errors.As(err, &te) || te.Cause != client.CauseHash {
		t.Fatalf("a replaced shard map: %v", err)
	}
}

// A client of a single-shard repository follows a reshard to four shards,
// then to sixteen: it reads the new map from the top level and starts
// fresh state for each new shard directory. Releases made after each
// reshard download. From one shard, publishing waits for a new online
// key: the top level's snapshot drops the old index, which clients accept
// only from a new snapshot key.
func TestClientFollowsReshard(t *testing.T) {
	w := newWorld(t)
	if _, err := w.c.Download("hello", "", t.TempDir()); err != nil {
		t.Fatal(err)
	}
	session := func(do func(*repo.Session) error) {
		t.Helper()
		s, err := repo.Open(context.Background(), w.f.Dir, time.Now().UTC())
		if err != nil {
			t.Fatal(err)
		}
		err = do(s)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		br, _ := w.f.Repo.HeadBranch()
		if w.f.Head, err = w.f.Repo.Branch(br); err != nil {
			t.Fatal(err)
		}
	}
	for i, k := range []int{4, 16} {
		session(func(s *repo.Session) error {
			_, err := s.Reshard(repo.ReshardOptions{Shards: k, Keys: []*keys.Key{w.f.Admin}})
			return err
		})
		if i == 0 {
			_, err := w.f.Publish(w.mirror, false)
			if !errors.Is(err, publish.ErrTopDrops) || !strings.Contains(err.Error(), "would drop") {
				t.Fatalf("publishing a reshard from one shard with the old online key: %v", err)
			}
			if _, err := os.Stat(filepath.Join(w.mirror, "s2")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a refused publish wrote shards: %v", err)
			}
			// Still the old repository, to every client.
			if _, err := w.c.Releases("hello"); err != nil {
				t.Fatalf("after a refused publish: %v", err)
			}
			session(func(s *repo.Session) error {
				res, err := s.UpdateRoot(repo.RootUpdate{OnlineKey: repotest.Key("online2"), Key: w.f.Admin})
				if err == nil && !res.Applied {
					err = fmt.Errorf("root update not applied: %+v", res)
				}
				return err
			})
			w.f.Online, w.f.OnlineName = repotest.Key("online2"), "online2"
		}
		w.publish(t)
		v := fmt.Sprintf("%d.0.0", 5+i)
		w.release(t, "hello", v, []byte("hello "+v))
		for _, p := range []string{"alice", "bob", "hello"} {
			rels, err := w.c.Releases(p)
			if err != nil || len(rels) == 0 {
				t.Fatalf("%s after a reshard to %d: %v %v", p, k, rels, err)
			}
		}
		res, err := w.c.Download("hello", v, t.TempDir())
		if err != nil || res.Release.Version != v {
			t.Fatalf("the release after a reshard to %d: %+v %v", k, res, err)
		}
		info, err := w.c.Shard("hello")
		if err != nil || info.Shards != k || !strings.Contains(info.MetadataURL, fmt.Sprintf("/s%d/", bitsOf(k))) {
			t.Fatalf("shard of hello at %d shards: %+v %v", k, info, err)
		}
	}
}

func bitsOf(k int) int {
	b := 0
	for 1<<b < k {
		b++
	}
	return b
}
