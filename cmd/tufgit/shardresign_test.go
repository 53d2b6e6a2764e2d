package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/keys"
)

// shard-resign DIR ONLINE-KEY NAME=VERSION...: what someone holding the
// online key does to one TUF repository on the mirror (DIR, e.g.
// mirror/s2/0/metadata): its current snapshot, with each NAME (a snapshot
// entry, "idx_h.json") set to VERSION, re-signed one version up, and a
// timestamp naming it.
func init() {
	tamperCmds["shard-resign"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 3 {
			ts.Fatalf("usage: shard-resign DIR ONLINE-KEY NAME=VERSION...")
		}
		dir := ts.MkAbs(args[0])
		k, err := keys.Load(context.Background(), ts.MkAbs(args[1]), func(string) ([]byte, error) { return []byte(ts.Getenv("TUFGIT_PASSPHRASE")), nil })
		ts.Check(err)
		tsRaw, err := os.ReadFile(filepath.Join(dir, "timestamp.json"))
		ts.Check(err)
		tm, err := metadata.Timestamp().FromBytes(tsRaw)
		ts.Check(err)
		snapRaw, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.snapshot.json", tm.Signed.Meta["snapshot.json"].Version)))
		ts.Check(err)
		snap, err := metadata.Snapshot().FromBytes(snapRaw)
		ts.Check(err)
		for _, a := range args[2:] {
			name, v, ok := strings.Cut(a, "=")
			n, err := strconv.ParseInt(v, 10, 64)
			if !ok || err != nil {
				ts.Fatalf("%s: want NAME=VERSION", a)
			}
			snap.Signed.Meta[name] = metadata.MetaFile(n)
		}
		snap.Signed.Version++
		snap.Signatures = nil
		_, err = snap.Sign(k.Signer)
		ts.Check(err)
		snapRaw, err = snap.ToBytes(false)
		ts.Check(err)
		ts.Check(os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.snapshot.json", snap.Signed.Version)), snapRaw, 0o644))
		sum := sha256.Sum256(snapRaw)
		tm.Signed.Version++
		tm.Signed.Meta["snapshot.json"] = &metadata.MetaFiles{Version: snap.Signed.Version, Length: int64(len(snapRaw)), Hashes: metadata.Hashes{"sha256": sum[:]}}
		tm.Signatures = nil
		_, err = tm.Sign(k.Signer)
		ts.Check(err)
		tsRaw, err = tm.ToBytes(false)
		ts.Check(err)
		ts.Check(os.WriteFile(filepath.Join(dir, "timestamp.json"), tsRaw, 0o644))
	}
}
