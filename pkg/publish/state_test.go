package publish

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
)

// The publish record of a repository with the most shards tufgit allows
// (4096: about 1 MB of state.json) reads back whole. A record that can not
// be read counts as missing, and then every publish rewrites every shard:
// at 1024 shards (230 KB) that turned a one-release publish into a full one.
func TestStateOfManyShardsReadsBack(t *testing.T) {
	for _, bits := range []int{2, layout.MaxShardBits} {
		g, err := gitstore.InitBare(filepath.Join(t.TempDir(), "repo.git"))
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
		st := published{Commit: "0123456789abcdef0123456789abcdef01234567", Root: 1, Snapshot: 3, Timestamp: 3, Shards: map[string]*published{}}
		for _, s := range layout.ShardNames(bits) {
			st.Shards[s] = &published{Root: 1, Snapshot: 7, Timestamp: 9, SnapshotExpires: now, TimestampExpires: now}
		}
		w := &publisher{Options: Options{Repo: g, Now: now}}
		c, err := w.recordCommit(st, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.SetRef(StateRef, c, gitstore.ZeroHash); err != nil {
			t.Fatal(err)
		}
		r := &publisher{Options: Options{Repo: g}, top: &unit{top: true}, claimOld: c}
		r.readState()
		if r.prev == nil || len(r.prev.Shards) != 1<<bits || r.prev.Shards[layout.ShardName(1<<bits-1, bits)].Timestamp != 9 {
			t.Fatalf("%d shards: the record did not read back", 1<<bits)
		}
		rec, err := ReadRecord(g)
		if err != nil || rec == nil || rec.SnapshotVersion != 3 {
			t.Fatalf("%d shards: ReadRecord: %+v %v", 1<<bits, rec, err)
		}
	}
}
