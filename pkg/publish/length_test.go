package publish_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/tufgit/tufgit/pkg/layout"
)

// Standard clients download snapshot with the length timestamp lists and
// fall back to their 2 MB default only when it is missing (python-tuf
// _load_snapshot, go-tuf updater.go, tuf-js updater.js). So the 2 MB limit
// does not bind a tufgit repository as long as publish keeps writing the
// length: this test pins that it does, and that a client really reads it.
func TestTimestampCarriesSnapshotLength(t *testing.T) {
	f := fixture(t, "hello", "help", "world")
	m, dir := dirMirror(t)
	res := doPublish(t, f, m, f.Now, false)

	tsRaw, err := os.ReadFile(filepath.Join(dir, "metadata", "timestamp.json"))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := metadata.Timestamp().FromBytes(tsRaw)
	if err != nil {
		t.Fatal(err)
	}
	mf := ts.Signed.Meta["snapshot.json"]
	if mf == nil {
		t.Fatal("timestamp lists no snapshot.json")
	}
	snapRaw, err := os.ReadFile(filepath.Join(dir, "metadata", fmt.Sprintf("%d.snapshot.json", res.Snapshot)))
	if err != nil {
		t.Fatal(err)
	}
	if mf.Length != int64(len(snapRaw)) {
		t.Fatalf("timestamp lists snapshot length %d, the file has %d bytes", mf.Length, len(snapRaw))
	}
	sum := sha256.Sum256(snapRaw)
	if !bytes.Equal(mf.Hashes["sha256"], sum[:]) {
		t.Fatal("timestamp's sha256 of snapshot does not match the file")
	}

	// A go-tuf client whose fallback limit is far below the snapshot's size
	// still reads it: the listed length is what it uses.
	base := serveDir(t, dir)
	tree, _ := f.Repo.TreeAt(f.Head)
	root, err := tree.ReadFile(layout.RootHistoryPath(1), layout.MaxRootSize)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.New(base+"/metadata", root)
	if err != nil {
		t.Fatal(err)
	}
	cfg.LocalMetadataDir = t.TempDir()
	cfg.LocalTargetsDir = t.TempDir()
	cfg.SnapshotMaxLength = 64
	if int64(len(snapRaw)) <= cfg.SnapshotMaxLength {
		t.Fatalf("fixture snapshot too small (%d bytes) to show anything", len(snapRaw))
	}
	up, err := updater.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Refresh(); err != nil {
		t.Fatalf("refresh with a %d-byte fallback limit: %v", cfg.SnapshotMaxLength, err)
	}
}
