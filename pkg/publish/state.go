package publish

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
)

// The publisher's record lives in a commit on StateRef, in the source
// repository: state.json (versions, the published commit) and
// snapshot.json (the snapshot as published, for incremental publishing).
// Each publish adds a commit, so its history is a log of publishes.
const (
	stateFile = "state.json"
	// maxState bounds state.json: a record for each of up to 4096 shards
	// (about 250 bytes each) and the top level's.
	maxState     = 4 << 20
	snapshotFile = "snapshot.json"
)

// readState loads the last publish's record, if any. A record that can
// not be read is treated as missing: versions then come from the mirror,
// and everything is rewritten.
func (p *publisher) readState() {
	h := p.claimOld // the shared record, as Publish read it
	if h == gitstore.ZeroHash {
		return
	}
	tree, err := p.Repo.TreeAt(h)
	if err != nil {
		return
	}
	raw, err := tree.ReadFile(stateFile, maxState)
	if err != nil {
		return
	}
	var st published
	if json.Unmarshal(raw, &st) != nil {
		return
	}
	p.prev = &st
	p.top.prev = &st
	p.stateTree = tree
	p.loadSnapshot(p.top)
}

// shardSnapshotFile is where StateRef's tree keeps the snapshot of the
// shard whose record key is key.
func shardSnapshotFile(key string) string { return "shards/" + key + "snapshot.json" }

// loadSnapshot reads the snapshot the last publish made for u from the
// record's tree (read once, by readState), when the record has one of the
// version it names.
func (p *publisher) loadSnapshot(u *unit) {
	tree := p.stateTree
	if u.prev == nil || tree == nil {
		return
	}
	name := snapshotFile
	if !u.top && u.shard != "" {
		name = shardSnapshotFile(u.key())
	}
	if snap, err := tree.ReadFile(name, 64<<20); err == nil {
		if m, err := metadata.Snapshot().FromBytes(snap); err == nil && m.Signed.Version == u.prev.Snapshot {
			u.prevSnap, u.prevRaw = m, snap
		}
	}
}

// recordCommit makes the commit that records this publish: state.json,
// the top level's snapshot and the new snapshot of each shard in snaps,
// on top of the record read (old). Claiming it (claim.go) moves StateRef
// to it before the new snapshot and timestamp are written.
func (p *publisher) recordCommit(st published, snaps map[string][]byte) (gitstore.Hash, error) {
	raw, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return gitstore.ZeroHash, err
	}
	old := p.claimOld
	var base *gitstore.Tree
	if old != gitstore.ZeroHash {
		if base, err = p.Repo.TreeAt(old); err != nil {
			return gitstore.ZeroHash, err
		}
	}
	files := []gitstore.FileChange{{Path: stateFile, Data: append(raw, '\n')}}
	for _, name := range slices.Sorted(maps.Keys(snaps)) {
		files = append(files, gitstore.FileChange{Path: name, Data: snaps[name]})
	}
	tree, err := p.Repo.BuildTree(base, files)
	if err != nil {
		return gitstore.ZeroHash, err
	}
	return p.Repo.CommitTree(gitstore.CommitOptions{Parent: old, Tree: tree, Detached: true, When: p.Now,
		Author:  gitstore.Signature{Name: "tufgit publish", Email: "publish@tufgit.invalid"},
		Message: "publish " + st.Commit[:12] + "\n"})
}

// Record is what the last publish recorded in StateRef's state.json: the
// commit it published and the versions and expiries of the snapshot and
// timestamp it signed. Nothing in it is trusted; `tufgit status` shows it.
type Record struct {
	Commit           string `json:"commit"`
	RootVersion      int64  `json:"root_version"`
	SnapshotVersion  int64  `json:"snapshot_version"`
	TimestampVersion int64  `json:"timestamp_version"`
	// The expiries are the earliest of the top level's and every
	// shard's: what an operator must renew first.
	SnapshotExpires  time.Time `json:"snapshot_expires"`
	TimestampExpires time.Time `json:"timestamp_expires"`
	// Shards counts the shards published, in a sharded repository.
	Shards int `json:"shards,omitempty"`
}

// ReadRecord reads the last publish's record from g. It returns nil and
// no error when nothing was published from this repository.
func ReadRecord(g *gitstore.Repo) (*Record, error) {
	h, err := g.ResolveRef(StateRef)
	if err != nil {
		return nil, err
	}
	if h == gitstore.ZeroHash {
		return nil, nil
	}
	tree, err := g.TreeAt(h)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", StateRef, err)
	}
	raw, err := tree.ReadFile(stateFile, maxState)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", StateRef, stateFile, err)
	}
	var st published
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", StateRef, stateFile, err)
	}
	return st.record(), nil
}

// record is the Record of st.
func (st *published) record() *Record {
	rec := &Record{Commit: st.Commit, RootVersion: st.Root, SnapshotVersion: st.Snapshot, TimestampVersion: st.Timestamp,
		SnapshotExpires: st.SnapshotExpires, TimestampExpires: st.TimestampExpires, Shards: len(st.Shards)}
	for _, s := range st.Shards {
		if s.SnapshotExpires.Before(rec.SnapshotExpires) {
			rec.SnapshotExpires = s.SnapshotExpires
		}
		if s.TimestampExpires.Before(rec.TimestampExpires) {
			rec.TimestampExpires = s.TimestampExpires
		}
	}
	return rec
}
