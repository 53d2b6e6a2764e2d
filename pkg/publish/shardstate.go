package publish

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
)

// The top level of a sharded repository commits to every shard's current
// snapshot (version and SHA-256) and to every shard's index role versions
// (issue #19, part 7), in a file its snapshot names with length and
// hashes: layout.ShardStateMeta, served as
// metadata/VERSION._tufgit-shard-state.json. A client new to a shard
// checks the shard against it (pkg/client/shards.go). It is rebuilt from
// the last one and the shards this publish signed: a push that touches
// one shard re-signs that shard and the top level, never the others.

// shardStateFile is where StateRef's tree keeps the last shard state.
const shardStateFile = "shard-state.json"

// shardState returns the shard state for the snapshots in current (by
// shard name: those this publish signed or kept), the last publish's
// state for the others, and the version its entry in the top-level
// snapshot gets: the last one's when nothing changed, else next, the
// version the top level's new snapshot will have.
func (p *publisher) shardState(current map[string][]byte) ([]byte, int64, error) {
	bits := p.cfg.Index.ShardBits
	var prevRaw []byte
	var prev *layout.ShardState
	if p.stateTree != nil {
		// The publisher's own record (StateRef, which no push may move):
		// decoded, its entries kept as they are; each entry made anew is
		// validated below before anything signs.
		if raw, err := p.stateTree.ReadFile(shardStateFile, layout.MaxShardStateSize); err == nil {
			var s layout.ShardState
			if layout.DecodeStrict(raw, &s) == nil && s.Type == layout.ShardStateType && s.FormatVersion == layout.FormatVersion && s.Bits == bits {
				prev, prevRaw = &s, raw
			}
		}
	}
	st := &layout.ShardState{Type: layout.ShardStateType, FormatVersion: layout.FormatVersion, Bits: bits, Shards: map[string]*layout.ShardCommit{}}
	for _, name := range layout.ShardNames(bits) {
		raw := current[name]
		if raw == nil && prev != nil && prev.Shards[name] != nil {
			st.Shards[name] = prev.Shards[name]
			continue
		}
		if raw == nil {
			// No state of this shard yet (the first publish of this
			// version of tufgit): the snapshot the last publish recorded.
			key := layout.ShardMetadataDir(bits, name)
			if p.prev == nil || p.prev.Shards[key] == nil || p.stateTree == nil {
				return nil, 0, fmt.Errorf("shard %s: no record of its snapshot; publish with --refresh to re-sign every shard", name)
			}
			var err error
			if raw, err = p.stateTree.ReadFile(shardSnapshotFile(key), 64<<20); err != nil {
				return nil, 0, fmt.Errorf("shard %s: its last snapshot is not in %s: %w", name, StateRef, err)
			}
		}
		c, err := shardCommit(raw)
		if err != nil {
			return nil, 0, fmt.Errorf("shard %s: %w", name, err)
		}
		if err := c.Validate(name, bits); err != nil {
			return nil, 0, fmt.Errorf("the shard state: %w", err)
		}
		st.Shards[name] = c
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, 0, err
	}
	raw = append(raw, '\n')
	if len(raw) > layout.MaxShardStateSize {
		return nil, 0, fmt.Errorf("the shard state is %d bytes, over its limit of %d", len(raw), layout.MaxShardStateSize)
	}
	if prevRaw != nil && bytes.Equal(raw, prevRaw) && p.top.prevSnap != nil {
		if mf := p.top.prevSnap.Signed.Meta[layout.ShardStateMeta]; mf != nil {
			return raw, mf.Version, nil
		}
	}
	_, mSnap := p.mirrorVersions(p.top)
	next := mSnap
	if p.top.prev != nil {
		next = max(next, p.top.prev.Snapshot)
	}
	return raw, next + 1, nil
}

// shardCommit is what the top level commits to for a shard whose
// snapshot is raw.
func shardCommit(raw []byte) (*layout.ShardCommit, error) {
	s, err := metadata.Snapshot().FromBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("its snapshot: %w", err)
	}
	sum := sha256.Sum256(raw)
	c := &layout.ShardCommit{Snapshot: s.Signed.Version, SHA256: hex.EncodeToString(sum[:])}
	idx := map[string]int64{}
	for name, mf := range s.Signed.Meta {
		role := strings.TrimSuffix(name, ".json")
		if _, ok := layout.IndexPrefix(role); ok && !strings.Contains(role, "/") {
			idx[role] = mf.Version
		}
	}
	c.SetIndexVersions(idx)
	return c, nil
}

// extraMeta is the snapshot entry of a file the top level serves besides
// its roles (the shard state): its version, length and hashes.
func extraMeta(v int64, raw []byte) *metadata.MetaFiles {
	sum := sha256.Sum256(raw)
	mf := metadata.MetaFile(v)
	mf.Length = int64(len(raw))
	mf.Hashes = metadata.Hashes{"sha256": sum[:]}
	return mf
}

// extraName is the mirror file of extra file name at version v: like a
// role's, versioned, written once the record claims the snapshot that names
// it (claim.go), just before that snapshot.
func (u *unit) extraName(name string, v int64) string {
	return u.path(fmt.Sprintf("metadata/%d.%s", v, name))
}
