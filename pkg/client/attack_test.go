package client_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/client"
	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

// world is a published repository (alice, bob, hello), its mirror served
// on 127.0.0.1, and a client that trusts its root.
type world struct {
	f      *repotest.Fixture
	mirror string
	url    string
	c      *client.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "repo.git"), repotest.Spec{Names: []string{"alice", "bob", "hello"}, Releases: 2, Now: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{f: f, mirror: filepath.Join(t.TempDir(), "mirror")}
	w.publish(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(w.mirror)))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	tree, _ := f.Repo.TreeAt(f.Head)
	root, _ := tree.ReadFile(layout.RootHistoryPath(1), layout.MaxRootSize)
	dir := filepath.Join(t.TempDir(), "client")
	if err := client.Init(dir, w.url, root); err != nil {
		t.Fatal(err)
	}
	if w.c, err = client.Open(dir); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) publish(t *testing.T) {
	t.Helper()
	if _, err := w.f.Publish(w.mirror, false); err != nil {
		t.Fatal(err)
	}
}

// release adds a release through the real workflow's metadata and publishes.
func (w *world) release(t *testing.T, project, version string, data []byte) {
	t.Helper()
	if _, err := w.f.Release(project, version, project+"-"+version+".tar.gz", data); err != nil {
		t.Fatal(err)
	}
	w.publish(t)
}

// attackerPublish is what someone holding the server and the online key can
// do: put role files of their making on the mirror and sign a snapshot and
// timestamp that name them.
func (w *world) attackerPublish(t *testing.T, roles map[string]*metadata.Metadata[metadata.TargetsType], files map[string][]byte) {
	t.Helper()
	online := repotest.Key("online")
	tsRaw, _ := os.ReadFile(filepath.Join(w.mirror, "metadata", "timestamp.json"))
	ts, err := metadata.Timestamp().FromBytes(tsRaw)
	if err != nil {
		t.Fatal(err)
	}
	sv := ts.Signed.Meta["snapshot.json"].Version
	snapRaw, _ := os.ReadFile(filepath.Join(w.mirror, "metadata", fmt.Sprintf("%d.snapshot.json", sv)))
	snap, err := metadata.Snapshot().FromBytes(snapRaw)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range roles {
		raw, _ := repo.EncodeMetadata(m)
		os.WriteFile(filepath.Join(w.mirror, "metadata", fmt.Sprintf("%d.%s.json", m.Signed.Version, name)), raw, 0o644)
		snap.Signed.Meta[name+".json"] = metadata.MetaFile(m.Signed.Version)
	}
	for p, data := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(w.mirror, p)), 0o755)
		os.WriteFile(filepath.Join(w.mirror, p), data, 0o644)
	}
	snap.Signed.Version++
	snap.Signatures = nil
	snap.Sign(online.Signer)
	snapRaw, _ = snap.ToBytes(false)
	os.WriteFile(filepath.Join(w.mirror, "metadata", fmt.Sprintf("%d.snapshot.json", snap.Signed.Version)), snapRaw, 0o644)
	ts.Signed.Version++
	sum := sha256.Sum256(snapRaw)
	ts.Signed.Meta["snapshot.json"] = &metadata.MetaFiles{Version: snap.Signed.Version, Length: int64(len(snapRaw)), Hashes: metadata.Hashes{"sha256": sum[:]}}
	ts.Signatures = nil
	ts.Sign(online.Signer)
	tsRaw, _ = ts.ToBytes(false)
	os.WriteFile(filepath.Join(w.mirror, "metadata", "timestamp.json"), tsRaw, 0o644)
}

func (w *world) roleOnMirror(t *testing.T, name string) *metadata.Metadata[metadata.TargetsType] {
	t.Helper()
	m, err := w.f.ReadRole(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// refused checks that a download fails with the cause and leaves the
// output directory empty.
func refused(t *testing.T, w *world, project, version string, cause client.Cause) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	_, err := w.c.Download(project, version, out)
	var te *client.TUFError
	if !errors.As(err, &te) || te.Cause != cause {
		t.Fatalf("download %s %s: err = %v, want cause %d", project, version, err, cause)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Fatalf("a refused download left %d file(s) in the output directory", len(entries))
	}
}

func TestDownloadWorks(t *testing.T) {
	w := newWorld(t)
	rels, err := w.c.Releases("hello")
	if err != nil || len(rels) != 2 || rels[1].Version != "1.1.0" {
		t.Fatalf("releases: %v %+v", err, rels)
	}
	out := t.TempDir()
	res, err := w.c.Download("hello", "", out)
	if err != nil || res.Release.Version != "1.1.0" {
		t.Fatalf("download latest: %v %+v", err, res)
	}
	got, _ := os.ReadFile(filepath.Join(out, "hello-1.1.0.tar.gz"))
	if !bytes.Equal(got, repotest.Artifact("hello", "1.1.0", w.f.Spec.ArtifactSize)) {
		t.Fatal("downloaded bytes differ")
	}
	// Cached and verified: not fetched again.
	res, err = w.c.Download("hello", "1.1.0", t.TempDir())
	if err != nil || res.Cached != 1 {
		t.Fatalf("second download: %v cached=%d", err, res.Cached)
	}
	if _, err := w.c.Releases("nosuch"); !errors.Is(err, client.ErrUnknownProject) {
		t.Fatalf("unknown project: %v", err)
	}
	if _, err := w.c.Download("hello", "9.9.9", t.TempDir()); !errors.Is(err, client.ErrUnknownVersion) {
		t.Fatalf("unknown version: %v", err)
	}
}

// Arbitrary installation: a target's bytes replaced, same length.
func TestAttackArbitraryInstallation(t *testing.T) {
	w := newWorld(t)
	files, _ := filepath.Glob(filepath.Join(w.mirror, "targets", "hello", "1.1.0", "*"))
	for _, p := range files {
		data, _ := os.ReadFile(p)
		os.WriteFile(p, bytes.Repeat([]byte{'X'}, len(data)), 0o644)
	}
	refused(t, w, "hello", "1.1.0", client.CauseHash)
}

// Rollback: an older, validly signed timestamp served after a newer one.
func TestAttackRollback(t *testing.T) {
	w := newWorld(t)
	old, _ := os.ReadFile(filepath.Join(w.mirror, "metadata", "timestamp.json"))
	w.release(t, "hello", "2.0.0", []byte("two"))
	if _, err := w.c.Releases("hello"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(w.mirror, "metadata", "timestamp.json"), old, 0o644)
	refused(t, w, "hello", "2.0.0", client.CauseRollback)
}

// Indefinite freeze: the served timestamp has expired.
func TestAttackFreeze(t *testing.T) {
	w := newWorld(t)
	client.SetClockForTest(w.c, time.Now().Add(3*24*time.Hour))
	refused(t, w, "hello", "1.1.0", client.CauseExpired)
}

// Mix-and-match: the snapshot names a version of a role that the file
// served under that name is not.
func TestAttackMixAndMatch(t *testing.T) {
	w := newWorld(t)
	w.release(t, "hello", "2.0.0", []byte("two"))
	v1, _ := os.ReadFile(filepath.Join(w.mirror, "metadata", "1.hello.json"))
	os.WriteFile(filepath.Join(w.mirror, "metadata", "2.hello.json"), v1, 0o644)
	refused(t, w, "hello", "2.0.0", client.CauseRollback)
}

// Endless data: a 10 MB timestamp, and a target longer than listed.
func TestAttackEndlessData(t *testing.T) {
	w := newWorld(t)
	files, _ := filepath.Glob(filepath.Join(w.mirror, "targets", "hello", "1.1.0", "*"))
	for _, p := range files {
		data, _ := os.ReadFile(p)
		os.WriteFile(p, append(data, bytes.Repeat([]byte{0}, 1<<20)...), 0o644)
	}
	refused(t, w, "hello", "1.1.0", client.CauseTooLarge)

	w2 := newWorld(t)
	os.WriteFile(filepath.Join(w2.mirror, "metadata", "timestamp.json"), bytes.Repeat([]byte(" "), 10<<20), 0o644)
	refused(t, w2, "hello", "1.1.0", client.CauseTooLarge)
}

// Wrong software: alice's role (validly signed by alice) lists a file
// under bob/. Clients must ignore it for bob, and for alice.
func TestAttackWrongSoftware(t *testing.T) {
	w := newWorld(t)
	evil := []byte("evil bob release")
	tp := "bob/6.6.6/bob-6.6.6.tar.gz"
	tf, _ := metadata.TargetFile().FromBytes(tp, evil, "sha256", "sha512")
	alice := w.roleOnMirror(t, "alice")
	alice.Signed.Targets[tp] = tf
	alice.Signed.Version++
	alice.Signatures = nil
	for _, k := range w.f.ProjectKeys["alice"] {
		repo.Sign(alice, k)
	}
	w.attackerPublish(t, map[string]*metadata.Metadata[metadata.TargetsType]{"alice": alice},
		map[string][]byte{"targets/bob/6.6.6/" + hex.EncodeToString(tf.Hashes["sha256"]) + ".bob-6.6.6.tar.gz": evil})
	for _, p := range []string{"bob", "alice"} {
		rels, err := w.c.Releases(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rels {
			if r.Version == "6.6.6" {
				t.Fatalf("%s lists alice's bob/6.6.6", p)
			}
		}
	}
	if _, err := w.c.Download("bob", "6.6.6", t.TempDir()); !errors.Is(err, client.ErrUnknownVersion) {
		t.Fatalf("download bob 6.6.6: %v", err)
	}
}

// A compromised online key signs a snapshot and timestamp that point to a
// forged hello role, not signed by hello's maintainers.
func TestAttackCompromisedOnlineKey(t *testing.T) {
	w := newWorld(t)
	evil := []byte("backdoored hello")
	tp := "hello/6.6.6/hello-6.6.6.tar.gz"
	tf, _ := metadata.TargetFile().FromBytes(tp, evil, "sha256", "sha512")
	hello := w.roleOnMirror(t, "hello")
	hello.Signed.Targets[tp] = tf
	hello.Signed.Version++
	hello.Signatures = nil
	var signers []*keys.Key
	signers = append(signers, repotest.Key("online"), repotest.Key("attacker"))
	for _, k := range signers {
		repo.Sign(hello, k)
	}
	w.attackerPublish(t, map[string]*metadata.Metadata[metadata.TargetsType]{"hello": hello},
		map[string][]byte{"targets/hello/6.6.6/" + hex.EncodeToString(tf.Hashes["sha256"]) + ".hello-6.6.6.tar.gz": evil})
	refused(t, w, "hello", "6.6.6", client.CauseSignature)
	_, err := w.c.Releases("hello")
	var te *client.TUFError
	if !errors.As(err, &te) || te.Cause != client.CauseSignature || !strings.Contains(err.Error(), "hello") {
		t.Fatalf("releases with a forged role: %v", err)
	}
}

// go-tuf reports "target not found" and "role not found in snapshot" as
// plain errors; the client matches their wording, pinned here.
func TestNoReleasesYet(t *testing.T) {
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "repo.git"), repotest.Spec{Names: []string{"hello"}, Now: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	// Remove hello's role file: delegated, nothing released.
	if _, err := f.Commit("no releases", gitstore.FileChange{Path: layout.RolePath("hello")},
		gitstore.FileChange{Path: layout.ArtifactPath(hex.EncodeToString(mustTF(f, "hello").Hashes["sha256"]))}); err != nil {
		t.Fatal(err)
	}
	w := &world{f: f, mirror: filepath.Join(t.TempDir(), "mirror")}
	w.publish(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(w.mirror)))
	defer srv.Close()
	tree, _ := f.Repo.TreeAt(f.Head)
	root, _ := tree.ReadFile(layout.RootHistoryPath(1), layout.MaxRootSize)
	dir := t.TempDir()
	client.Init(dir, srv.URL, root)
	c, _ := client.Open(dir)
	rels, err := c.Releases("hello")
	if err != nil || len(rels) != 0 {
		t.Fatalf("no releases: %v %v", rels, err)
	}
	if _, err := c.Download("hello", "", t.TempDir()); !errors.Is(err, client.ErrNoRelease) {
		t.Fatalf("download with no releases: %v", err)
	}
}

func mustTF(f *repotest.Fixture, p string) *metadata.TargetFiles {
	m, _ := f.ReadRole(p)
	for _, tf := range m.Signed.Targets {
		return tf
	}
	return nil
}
