package client_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/client"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

// removeKey replaces project's maintainer keys with a new one, the way an
// admin-signed key removal leaves the tree: its index role re-signed by
// the admins (its version goes up), the project role re-signed by the new
// key; then publishes. It returns the removed keys.
func (w *shardWorld) removeKey(t *testing.T, project string) []*keys.Key {
	t.Helper()
	f := w.f
	idx := f.IndexOf(project)
	newKey := repotest.Key("replacement")
	ch, err := f.Resign(idx, func(m *metadata.Metadata[metadata.TargetsType]) {
		for i, r := range m.Signed.Delegations.Roles {
			if r.Name == project {
				m.Signed.Delegations.Roles[i].KeyIDs = []string{newKey.ID}
				m.Signed.Delegations.Roles[i].Threshold = 1
			}
		}
		m.Signed.Delegations.Keys[newKey.ID] = newKey.Public
		for id := range m.Signed.Delegations.Keys {
			if !slices.ContainsFunc(m.Signed.Delegations.Roles, func(r metadata.DelegatedRole) bool { return slices.Contains(r.KeyIDs, id) }) {
				delete(m.Signed.Delegations.Keys, id)
			}
		}
	}, f.Admin)
	if err != nil {
		t.Fatal(err)
	}
	pch, err := f.Resign(project, nil, newKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Commit("remove "+project+"'s key", ch, pch); err != nil {
		t.Fatal(err)
	}
	removed := f.ProjectKeys[project]
	f.ProjectKeys[project] = []*keys.Key{newKey}
	w.publish(t)
	return removed
}

// signedOnMirror reads a shard's (or the top level's: shard "") current
// timestamp and snapshot from the mirror.
func (w *shardWorld) signedOnMirror(t *testing.T, shard string) (*metadata.Metadata[metadata.TimestampType], *metadata.Metadata[metadata.SnapshotType], string) {
	t.Helper()
	dir := filepath.Join(w.mirror, "metadata")
	if shard != "" {
		dir = filepath.Join(w.mirror, "s2", shard, "metadata")
	}
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
	return ts, snap, dir
}

// resign signs snap (version up) and a timestamp naming it with the
// online key, and writes both in dir: what an attacker holding the online
// key does. It returns the snapshot's bytes.
func resignOnline(t *testing.T, dir string, ts *metadata.Metadata[metadata.TimestampType], snap *metadata.Metadata[metadata.SnapshotType]) []byte {
	t.Helper()
	online := repotest.Key("online")
	snap.Signed.Version++
	snap.Signatures = nil
	if _, err := snap.Sign(online.Signer); err != nil {
		t.Fatal(err)
	}
	snapRaw, _ := snap.ToBytes(false)
	os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.snapshot.json", snap.Signed.Version)), snapRaw, 0o644)
	ts.Signed.Version++
	sum := sha256.Sum256(snapRaw)
	ts.Signed.Meta["snapshot.json"] = &metadata.MetaFiles{Version: snap.Signed.Version, Length: int64(len(snapRaw)), Hashes: metadata.Hashes{"sha256": sum[:]}}
	ts.Signatures = nil
	if _, err := ts.Sign(online.Signer); err != nil {
		t.Fatal(err)
	}
	tsRaw, _ := ts.ToBytes(false)
	os.WriteFile(filepath.Join(dir, "timestamp.json"), tsRaw, 0o644)
	return snapRaw
}

// rollBackPastRemoval is the attack of issue #19 part 7, by someone who
// holds the online key and the removed maintainer key: project's shard
// serves the index role from before the removal (still on the mirror,
// still validly signed by the admins) and a new project role, signed by
// the removed key, with a release of theirs. With top set, they also
// re-sign the top level's shard state to commit to that shard snapshot,
// and lower its index versions.
func (w *shardWorld) rollBackPastRemoval(t *testing.T, project, idx string, removed []*keys.Key, top bool) {
	t.Helper()
	shard := shardOf(project)
	ts, snap, dir := w.signedOnMirror(t, shard)
	old, err := metadata.Targets().FromBytes(mustRead(t, filepath.Join(dir, "1."+layout.RoleName(idx)+".json")))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(old.Signed.Delegations.Roles[slices.IndexFunc(old.Signed.Delegations.Roles, func(r metadata.DelegatedRole) bool { return r.Name == project })].KeyIDs, removed[0].ID) {
		t.Fatal("the old index role does not delegate to the removed key")
	}
	evil := []byte("evil 6.6.6")
	tp := layout.TargetPath(project, "6.6.6", project+"-6.6.6.tar.gz")
	tf, _ := metadata.TargetFile().FromBytes(tp, evil, "sha256")
	role, err := w.f.ReadRole(project)
	if err != nil {
		t.Fatal(err)
	}
	role.Signed.Targets[tp] = tf
	role.Signed.Version++
	role.Signatures = nil
	for _, k := range removed {
		if err := repo.Sign(role, k); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := repo.EncodeMetadata(role)
	os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.%s.json", role.Signed.Version, project)), raw, 0o644)
	snap.Signed.Meta[layout.RoleName(idx)+".json"] = metadata.MetaFile(1)
	snap.Signed.Meta[project+".json"] = metadata.MetaFile(role.Signed.Version)
	snapRaw := resignOnline(t, dir, ts, snap)
	if !top {
		return
	}
	tts, tsnap, tdir := w.signedOnMirror(t, "")
	mf := tsnap.Signed.Meta[layout.ShardStateMeta]
	var st layout.ShardState
	if err := json.Unmarshal(mustRead(t, filepath.Join(tdir, fmt.Sprintf("%d.%s", mf.Version, layout.ShardStateMeta))), &st); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(snapRaw)
	c := &layout.ShardCommit{Snapshot: snap.Signed.Version, SHA256: fmt.Sprintf("%x", sum)}
	idxv := map[string]int64{}
	for name, m := range snap.Signed.Meta {
		if r := strings.TrimSuffix(name, ".json"); strings.HasPrefix(r, layout.IndexRolePrefix) {
			idxv[r] = m.Version
		}
	}
	c.SetIndexVersions(idxv)
	st.Shards[shard] = c
	stRaw, _ := json.Marshal(&st)
	v := tsnap.Signed.Version + 1
	os.WriteFile(filepath.Join(tdir, fmt.Sprintf("%d.%s", v, layout.ShardStateMeta)), stRaw, 0o644)
	ssum := sha256.Sum256(stRaw)
	tsnap.Signed.Meta[layout.ShardStateMeta] = &metadata.MetaFiles{Version: v, Length: int64(len(stRaw)), Hashes: metadata.Hashes{"sha256": ssum[:]}}
	resignOnline(t, tdir, tts, tsnap)
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// otherShardProject is a project outside victim's shard.
func (w *shardWorld) otherShardProject(t *testing.T, victim string) string {
	t.Helper()
	for _, p := range w.f.Spec.Names {
		if shardOf(p) != shardOf(victim) {
			return p
		}
	}
	t.Fatal("every project is in one shard")
	return ""
}

func hasRelease(rels []client.Release, v string) bool {
	return slices.ContainsFunc(rels, func(r client.Release) bool { return r.Version == v })
}

// Issue #19 part 7: a client that read the top level and another shard
// after the admins removed a maintainer key remembers the index role
// versions the top level committed to, so an attacker holding the online
// key (and the removed key) can not serve it the project's shard as it
// was before the removal, even re-signing the top level. A client new to
// every shard is refused too while the top level is honest; one with no
// memory at all, facing a re-signed top level, is the documented limit.
func TestShardRollbackPastKeyRemovalIsRefused(t *testing.T) {
	w := newShardWorld(t)
	victim := w.f.Spec.Names[0]
	other := w.otherShardProject(t, victim)
	idx := w.f.IndexOf(victim)
	removed := w.removeKey(t, victim)

	// Positive control: honest publishes, a client new to both shards.
	seen := w.newClient(t)
	if _, err := seen.Releases(other); err != nil {
		t.Fatalf("%s, honest: %v", other, err)
	}
	honest := w.newClient(t)
	if _, err := honest.Releases(victim); err != nil {
		t.Fatalf("%s after the key removal, honest: %v", victim, err)
	}
	if _, err := honest.Download(victim, "", t.TempDir()); err != nil {
		t.Fatalf("%s after the key removal, honest download: %v", victim, err)
	}

	// The shard alone rolled back: every client new to it is refused, by
	// the index versions of the (honest) top level's shard state.
	w.rollBackPastRemoval(t, victim, idx, removed, false)
	for name, c := range map[string]*client.Client{"a client that read another shard": seen, "a fresh client": w.newClient(t)} {
		rels, err := c.Releases(victim)
		var te *client.TUFError
		if !errors.As(err, &te) || te.Cause != client.CauseRollback || !strings.Contains(err.Error(), "index role "+layout.RoleName(idx)+" at version 1, older than version 2") {
			t.Fatalf("%s, shard %s rolled back past the removal: %v %v", name, shardOf(victim), rels, err)
		}
		if _, err := c.Releases(other); err != nil {
			t.Fatalf("%s: %s, in an untouched shard: %v", name, other, err)
		}
	}

	// The top level re-signed too: the client that had seen an honest
	// shard state still refuses; it tried the shard once already and kept
	// nothing of it.
	w.rollBackPastRemoval(t, victim, idx, removed, true)
	rels, err := seen.Releases(victim)
	var te *client.TUFError
	if !errors.As(err, &te) || te.Cause != client.CauseRollback || !strings.Contains(err.Error(), "older than version 2") {
		t.Fatalf("re-signed top level, a client that saw the honest one: %v %v", rels, err)
	}
	// The limit (docs/sharding.md): a client with no memory of this
	// repository, whose first look is at a top level the attacker signed,
	// takes the shard as any TUF client takes a repository it first meets
	// from a holder of its snapshot key.
	if rels, err := w.newClient(t).Releases(victim); err != nil || !hasRelease(rels, "6.6.6") {
		t.Fatalf("the documented limit changed (update docs/sharding.md and threat-model.md): %v %v", rels, err)
	}
}

// A mirror without the online key serves a client new to a shard that
// shard's previous snapshot and timestamp (still valid, still on the
// mirror): refused, since the top level commits to a newer one. The
// honest shard then downloads, in the same client.
func TestShardOlderThanTopLevelIsRefused(t *testing.T) {
	w := newShardWorld(t)
	victim := w.f.Spec.Names[0]
	dir := filepath.Join(w.mirror, "s2", shardOf(victim), "metadata")
	oldTS := mustRead(t, filepath.Join(dir, "timestamp.json"))
	w.release(t, victim, "3.0.0", []byte("3.0.0"))
	newTS := mustRead(t, filepath.Join(dir, "timestamp.json"))
	os.WriteFile(filepath.Join(dir, "timestamp.json"), oldTS, 0o644)

	c := w.newClient(t)
	rels, err := c.Releases(victim)
	var te *client.TUFError
	if !errors.As(err, &te) || te.Cause != client.CauseRollback || !strings.Contains(err.Error(), "older than version 2 the top level commits to") {
		t.Fatalf("an old shard snapshot to a new client: %v %v", rels, err)
	}
	other := w.otherShardProject(t, victim)
	if _, err := c.Releases(other); err != nil {
		t.Fatalf("%s, in an untouched shard: %v", other, err)
	}
	os.WriteFile(filepath.Join(dir, "timestamp.json"), newTS, 0o644)
	if rels, err := c.Releases(victim); err != nil || !hasRelease(rels, "3.0.0") {
		t.Fatalf("the honest shard after a refusal: %v %v", rels, err)
	}
}

// Same version, other bytes: a snapshot the top level does not commit to
// is refused (the attacker here holds the online key but leaves the top
// level alone).
func TestShardSnapshotOtherBytesIsRefused(t *testing.T) {
	w := newShardWorld(t)
	victim := w.f.Spec.Names[0]
	ts, snap, dir := w.signedOnMirror(t, shardOf(victim))
	snap.Signed.Version-- // resignOnline bumps it back: the committed version
	snap.Signed.Expires = snap.Signed.Expires.Add(-1e9)
	resignOnline(t, dir, ts, snap)
	rels, err := w.newClient(t).Releases(victim)
	var te *client.TUFError
	if !errors.As(err, &te) || te.Cause != client.CauseHash || !strings.Contains(err.Error(), "but the top level commits to") {
		t.Fatalf("other bytes for the committed snapshot version: %v %v", rels, err)
	}
}

// The shard state is named by the top-level snapshot with its length and
// hashes: other bytes on the mirror are refused before they are parsed;
// a state that commits to no snapshot of the shard is refused; a client
// that checked a shard does not fetch the state again for it.
func TestShardStateIsVerified(t *testing.T) {
	w := newShardWorld(t)
	victim := w.f.Spec.Names[0]
	_, tsnap, tdir := w.signedOnMirror(t, "")
	mf := tsnap.Signed.Meta[layout.ShardStateMeta]
	p := filepath.Join(tdir, fmt.Sprintf("%d.%s", mf.Version, layout.ShardStateMeta))
	good := mustRead(t, p)
	evil := []byte(strings.Replace(string(good), `"snapshot":`, `"snapshot": `, 1))[:len(good)]
	os.WriteFile(p, evil, 0o644)
	var te *client.TUFError
	if _, err := w.newClient(t).Releases(victim); !errors.As(err, &te) || te.Cause != client.CauseHash || !strings.Contains(err.Error(), layout.ShardStateMeta) {
		t.Fatalf("other bytes for the shard state: %v", err)
	}
	os.WriteFile(p, good, 0o644)

	// The online key re-signs a top level whose state leaves the shard out.
	tts, tsnap, _ := w.signedOnMirror(t, "")
	var st layout.ShardState
	json.Unmarshal(good, &st)
	delete(st.Shards, shardOf(victim))
	raw, _ := json.Marshal(&st)
	v := tsnap.Signed.Version + 1
	os.WriteFile(filepath.Join(tdir, fmt.Sprintf("%d.%s", v, layout.ShardStateMeta)), raw, 0o644)
	sum := sha256.Sum256(raw)
	tsnap.Signed.Meta[layout.ShardStateMeta] = &metadata.MetaFiles{Version: v, Length: int64(len(raw)), Hashes: metadata.Hashes{"sha256": sum[:]}}
	resignOnline(t, tdir, tts, tsnap)
	c := w.newClient(t)
	if _, err := c.Releases(victim); !errors.As(err, &te) || te.Cause != client.CauseMissing || !strings.Contains(err.Error(), "commits to no snapshot of it") {
		t.Fatalf("a shard state without the shard: %v", err)
	}
	other := w.otherShardProject(t, victim)
	if _, err := c.Releases(other); err != nil {
		t.Fatalf("%s, in a shard the state names: %v", other, err)
	}
	// Checked once: the same client opens the shard again without the
	// state (the top level's cached copy is not fetched again either).
	w.log()
	if _, err := c.Releases(other); err != nil {
		t.Fatal(err)
	}
	for _, got := range w.log() {
		if strings.Contains(got, layout.ShardStateMeta) {
			t.Fatalf("a returning client fetched %s", got)
		}
	}
}

// resignTopState is the online key's holder re-signing the top level with
// a shard state edit changed.
func (w *shardWorld) resignTopState(t *testing.T, edit func(*layout.ShardState)) {
	t.Helper()
	tts, tsnap, tdir := w.signedOnMirror(t, "")
	mf := tsnap.Signed.Meta[layout.ShardStateMeta]
	var st layout.ShardState
	if err := json.Unmarshal(mustRead(t, filepath.Join(tdir, fmt.Sprintf("%d.%s", mf.Version, layout.ShardStateMeta))), &st); err != nil {
		t.Fatal(err)
	}
	edit(&st)
	raw, _ := json.Marshal(&st)
	v := tsnap.Signed.Version + 1
	os.WriteFile(filepath.Join(tdir, fmt.Sprintf("%d.%s", v, layout.ShardStateMeta)), raw, 0o644)
	sum := sha256.Sum256(raw)
	tsnap.Signed.Meta[layout.ShardStateMeta] = &metadata.MetaFiles{Version: v, Length: int64(len(raw)), Hashes: metadata.Hashes{"sha256": sum[:]}}
	resignOnline(t, tdir, tts, tsnap)
}

// The floors are signed by the online key (through the top level): its
// holder can raise them, and a client that saw that refuses the shard
// (a denial of service, like any freeze by that key). Rotating the online
// key clears them, as TUF clears its trusted snapshot: the same client
// then reads the shard again.
func TestShardFloorsDropWithOnlineKey(t *testing.T) {
	w := newShardWorld(t)
	victim := w.f.Spec.Names[0]
	other := w.otherShardProject(t, victim)
	idx := layout.RoleName(w.f.IndexOf(victim))
	w.resignTopState(t, func(st *layout.ShardState) {
		c := st.Shards[shardOf(victim)]
		v, _ := c.IndexVersions()
		v[idx] = 99
		c.SetIndexVersions(v)
	})
	c := w.newClient(t)
	if _, err := c.Releases(other); err != nil {
		t.Fatalf("%s: %v", other, err)
	}
	var te *client.TUFError
	if _, err := c.Releases(victim); !errors.As(err, &te) || te.Cause != client.CauseRollback || !strings.Contains(err.Error(), "older than version 99") {
		t.Fatalf("raised floors: %v", err)
	}

	s, err := repo.Open(context.Background(), w.f.Dir, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.UpdateRoot(repo.RootUpdate{OnlineKey: repotest.Key("online2"), Key: w.f.Admin})
	s.Close()
	if err != nil || !res.Applied {
		t.Fatalf("root update: %+v %v", res, err)
	}
	br, _ := w.f.Repo.HeadBranch()
	if w.f.Head, err = w.f.Repo.Branch(br); err != nil {
		t.Fatal(err)
	}
	w.f.Online, w.f.OnlineName = repotest.Key("online2"), "online2"
	w.publish(t)
	if rels, err := c.Releases(victim); err != nil || len(rels) == 0 {
		t.Fatalf("after the online key's rotation: %v %v", rels, err)
	}
}
