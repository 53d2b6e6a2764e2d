package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
)

// What a one-shard publish at K = 2048 spends on the shard state: read
// the last one from the record, replace one shard's commitment, write it
// again (about 250 KB, one file of the top level). Measured, and bounded
// loosely so that a quadratic rebuild would show.
func TestShardStateCostAt2048(t *testing.T) {
	p, one := shardState2048(t)
	start := time.Now()
	out, _, err := p.shardState(map[string][]byte{"7ff": one})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	got, err := layout.ParseShardState(out, 11)
	if err != nil || got.Shards["7ff"].Snapshot != 5000 || got.Shards["000"].Snapshot != 1000 {
		t.Fatalf("the rebuilt state: %v", err)
	}
	t.Logf("K = 2048: shard state %d bytes, rebuilt for one shard in %s", len(out), took)
	if took > 5*time.Second {
		t.Fatalf("rebuilding the shard state for one shard took %s", took)
	}
}

// shardState2048 is a publisher whose record holds the shard state of
// 2048 shards, and a new snapshot for one of them.
func shardState2048(t testing.TB) (*publisher, []byte) {
	const bits = 11
	g, err := gitstore.InitBare(filepath.Join(t.TempDir(), "repo.git"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	st := &layout.ShardState{Type: layout.ShardStateType, FormatVersion: layout.FormatVersion, Bits: bits, Shards: map[string]*layout.ShardCommit{}}
	idx := map[string]int64{}
	snap := metadata.Snapshot(now.Add(time.Hour))
	for i := range layout.FirstChars {
		idx[layout.IndexRoleName(layout.FirstChars[i:i+1])] = 2
		snap.Signed.Meta[layout.IndexRoleName(layout.FirstChars[i:i+1])+".json"] = metadata.MetaFile(2)
	}
	for i, name := range layout.ShardNames(bits) {
		sum := sha256.Sum256([]byte(name))
		c := &layout.ShardCommit{Snapshot: int64(1000 + i), SHA256: hex.EncodeToString(sum[:])}
		c.SetIndexVersions(idx)
		st.Shards[name] = c
	}
	raw, _ := json.Marshal(st)
	w := &publisher{Options: Options{Repo: g, Now: now}}
	c, err := w.recordCommit(published{Commit: "0123456789abcdef0123456789abcdef01234567"}, map[string][]byte{shardStateFile: append(raw, '\n')})
	if err != nil {
		t.Fatal(err)
	}
	if err := (localShared{g}).Claim(context.Background(), gitstore.ZeroHash, c); err != nil {
		t.Fatal(err)
	}
	m, err := OpenMirror(context.Background(), filepath.Join(t.TempDir(), "mirror"))
	if err != nil {
		t.Fatal(err)
	}
	p := &publisher{Options: Options{Repo: g, Now: now, Mirror: m}, ctx: context.Background(), top: &unit{top: true}, claimOld: c,
		cfg: &layout.Config{Index: layout.Index{ShardBits: bits}}}
	p.readState()
	snap.Signed.Version = 5000
	one, _ := snap.ToBytes(false)
	return p, one
}

// BenchmarkShardStateOneShard2048 is TestShardStateCostAt2048's rebuild,
// repeated: go test ./pkg/publish -run '^$' -bench ShardStateOneShard2048
func BenchmarkShardStateOneShard2048(b *testing.B) {
	p, one := shardState2048(b)
	b.ResetTimer()
	for range b.N {
		if _, _, err := p.shardState(map[string][]byte{"7ff": one}); err != nil {
			b.Fatal(err)
		}
	}
}
