package publish

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/tufgit/tufgit/pkg/layout"
)

// The record of a repository with the most shards tufgit allows fits the
// size the publisher reads back: a larger one would read as missing, and
// every publish would rewrite every shard.
func TestStateFitsMaxShards(t *testing.T) {
	now := time.Now().UTC()
	st := published{Commit: fmt.Sprintf("%040x", 1), Root: 1 << 40, Snapshot: 1 << 40, Timestamp: 1 << 40,
		SnapshotExpires: now, TimestampExpires: now, Shards: map[string]*published{}}
	bits := layout.MaxShardBits
	for _, s := range layout.ShardNames(bits) {
		st.Shards[layout.ShardMetadataDir(bits, s)] = &published{Root: 1 << 40, Snapshot: 1 << 40, Timestamp: 1 << 40,
			SnapshotExpires: now, TimestampExpires: now}
	}
	raw, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > maxState {
		t.Fatalf("state.json of %d shards is %d bytes, over maxState (%d)", 1<<bits, len(raw), maxState)
	}
}

// The record names the earliest expiry among the top level and the
// shards: what an operator must renew first (tufgit status).
func TestRecordEarliestExpiry(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	st := published{SnapshotExpires: now.Add(7 * 24 * time.Hour), TimestampExpires: now.Add(24 * time.Hour), Shards: map[string]*published{
		"s1/0/metadata/": {SnapshotExpires: now.Add(6 * 24 * time.Hour), TimestampExpires: now.Add(25 * time.Hour)},
		"s1/1/metadata/": {SnapshotExpires: now.Add(8 * 24 * time.Hour), TimestampExpires: now.Add(2 * time.Hour)},
	}}
	rec := st.record()
	if !rec.SnapshotExpires.Equal(now.Add(6*24*time.Hour)) || !rec.TimestampExpires.Equal(now.Add(2*time.Hour)) || rec.Shards != 2 {
		t.Fatalf("record %+v", rec)
	}
	st.Shards = nil
	if rec := st.record(); !rec.TimestampExpires.Equal(st.TimestampExpires) || !rec.SnapshotExpires.Equal(st.SnapshotExpires) {
		t.Fatalf("one shard: record %+v", rec)
	}
}
