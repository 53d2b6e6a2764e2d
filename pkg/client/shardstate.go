package client

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"

	"github.com/tufgit/tufgit/pkg/layout"
)

// The top level of a sharded repository commits, in a file its snapshot
// names with length and hashes (layout.ShardStateMeta), to every shard's
// current snapshot (version and SHA-256) and every shard's index role
// versions (issue #19, part 7). Two checks use it:
//
//   - A shard this client is new to must serve a snapshot at least as new
//     as the one committed, and the committed bytes at that version: a
//     mirror without the online key can not serve a new client an older
//     shard than the top level it trusts.
//   - Floors: the client remembers (DIR/shard-floors.json) the highest
//     version of every shard's index roles any shard state it verified
//     named, and refuses a shard whose snapshot lists an index role below
//     it. Index roles are signed by the offline admin keys, so an honest
//     state's versions are the newest that exist; an attacker who later
//     holds the online key can sign a new top level and shard snapshot,
//     but not lower what this client already saw, nor make a newer index
//     role. The memory is dropped when root changes the snapshot keys, as
//     TUF drops its trusted snapshot: a rotated online key clears what an
//     attacker holding the old one may have raised.
//
// The state is fetched only when the client opens a shard it has not
// checked before (a marker in the shard's state directory), and kept
// while the top level names the same bytes.

const (
	shardStateCache = "shard-state.json"
	shardFloorsFile = "shard-floors.json"
	// shardChecked marks a shard's state directory once the shard was
	// checked against the top level's shard state.
	shardChecked = "tufgit-checked"
)

// shardCheckCache keeps, for one client, the shard state last verified
// (by the top-level snapshot entry it matched) and the floors last read
// or written: `tufgit projects` opens every shard, and must not parse
// them once a shard.
type shardCheckCache struct {
	key    string
	state  *layout.ShardState
	floors *shardFloors
}

// shardFloors is the client's memory of index role versions.
type shardFloors struct {
	// SnapshotKeys are root's snapshot keyids when the floors were
	// learned (sorted, joined by ",").
	SnapshotKeys string `json:"snapshot_keys"`
	Bits         int    `json:"bits"`
	// Shards: shard name → ShardCommit.Index (version → prefixes).
	Shards map[string]map[string]string `json:"shards"`
}

// loadShardState returns the top level's verified shard state, or nil
// when its trusted snapshot names none (a mirror published by a tufgit
// before it; once a client trusts a snapshot that names one, TUF refuses
// a later snapshot that drops it, unless the online key changed).
func (s *session) loadShardState() (*layout.ShardState, error) {
	mf := s.tm.Snapshot.Signed.Meta[layout.ShardStateMeta]
	if mf == nil {
		return nil, nil
	}
	key := fmt.Sprintf("%d %d %x %d", mf.Version, mf.Length, []byte(mf.Hashes["sha256"]), s.c.shardMap.Bits)
	if cc := &s.c.shardCheck; cc.state != nil && cc.key == key && len(mf.Hashes["sha256"]) > 0 {
		return cc.state, nil
	}
	where := fmt.Sprintf("shard state %d.%s on %s", mf.Version, layout.ShardStateMeta, s.c.Config.where())
	if mf.Length <= 0 || mf.Length > layout.MaxShardStateSize || len(mf.Hashes) == 0 {
		return nil, &TUFError{Cause: CauseTooLarge, Err: fmt.Errorf("%s: the top-level snapshot names it with length %d and %d hashes (want 1 to %d bytes, hashed)", where, mf.Length, len(mf.Hashes), layout.MaxShardStateSize)}
	}
	cache := filepath.Join(s.c.Dir, shardStateCache)
	raw, err := readBounded(cache, mf.Length)
	if err != nil || mf.VerifyLengthHashes(raw) != nil {
		u := strings.TrimSuffix(s.metaURL, "/") + "/" + fmt.Sprintf("%d.%s", mf.Version, layout.ShardStateMeta)
		if raw, err = s.fetch.DownloadFile(u, mf.Length, 0); err != nil {
			return nil, Classify(fmt.Errorf("%s: %w", where, err))
		}
		if err := mf.VerifyLengthHashes(raw); err != nil {
			return nil, &TUFError{Cause: CauseHash, Err: fmt.Errorf("%s: %w", where, err)}
		}
		if err := writeAtomic(cache, raw); err != nil {
			return nil, err
		}
	}
	st, err := layout.ParseShardState(raw, s.c.shardMap.Bits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if err := s.rememberFloors(st); err != nil {
		return nil, err
	}
	if len(mf.Hashes["sha256"]) > 0 {
		s.c.shardCheck.key, s.c.shardCheck.state = key, st
	}
	return st, nil
}

// snapshotKeys names root's snapshot keys, for the floors' memory.
func snapshotKeys(tm *trustedmetadata.TrustedMetadata) string {
	r := tm.Root.Signed.Roles[metadata.SNAPSHOT]
	if r == nil {
		return ""
	}
	ids := slices.Clone(r.KeyIDs)
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// readFloors returns the floors this client remembers for the current
// snapshot keys and shard count: cached, or read from disk.
func (s *session) readFloors() (*shardFloors, error) {
	if cf := s.c.shardCheck.floors; cf != nil && cf.SnapshotKeys == snapshotKeys(s.tm) && cf.Bits == s.c.shardMap.Bits {
		return cf, nil
	}
	f, err := s.readFloorsFile()
	if err != nil {
		return nil, err
	}
	s.c.shardCheck.floors = f
	return f, nil
}

// readFloorsFile reads the floors from disk (empty when none, or when
// they were learned under other snapshot keys or another shard count).
func (s *session) readFloorsFile() (*shardFloors, error) {
	f := &shardFloors{SnapshotKeys: snapshotKeys(s.tm), Bits: s.c.shardMap.Bits, Shards: map[string]map[string]string{}}
	raw, err := readBounded(filepath.Join(s.c.Dir, shardFloorsFile), 2*layout.MaxShardStateSize)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	var old shardFloors
	if err := layout.DecodeStrict(raw, &old); err != nil {
		// The client's own file, unreadable: start again rather than
		// lose service (it only ever adds refusals).
		return f, nil
	}
	if old.SnapshotKeys != f.SnapshotKeys || old.Bits != f.Bits || old.Shards == nil {
		return f, nil
	}
	for name, idx := range old.Shards {
		if _, err := layout.ParseShardName(name, f.Bits); err != nil {
			continue
		}
		if _, err := (&layout.ShardCommit{Index: idx}).IndexVersions(); err != nil {
			continue
		}
		f.Shards[name] = idx
	}
	return f, nil
}

// floorsOf returns the remembered index role versions of shard.
func (f *shardFloors) floorsOf(shard string) map[string]int64 {
	v, err := (&layout.ShardCommit{Index: f.Shards[shard]}).IndexVersions()
	if err != nil {
		return nil
	}
	return v
}

// rememberFloors raises the remembered floors to st's index versions.
func (s *session) rememberFloors(st *layout.ShardState) error {
	// From disk, not the cache: another process may have raised them.
	f, err := s.readFloorsFile()
	if err != nil {
		return err
	}
	s.c.shardCheck.floors = f
	changed := false
	for _, name := range slices.Sorted(maps.Keys(st.Shards)) {
		now, err := st.Shards[name].IndexVersions()
		if err != nil {
			return err // Validate checked it
		}
		old := f.floorsOf(name)
		merged := maps.Clone(old)
		if merged == nil {
			merged = map[string]int64{}
		}
		for role, v := range now {
			if v > merged[role] {
				merged[role], changed = v, true
			}
		}
		c := &layout.ShardCommit{}
		c.SetIndexVersions(merged)
		f.Shards[name] = c.Index
	}
	if !changed {
		return nil
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(s.c.Dir, shardFloorsFile), raw)
}

// checkShardState checks a shard's freshly updated trusted state (tm)
// against the top level: the committed snapshot when new is set (the
// client had not checked this shard before), and the remembered index
// floors always.
func (s *session) checkShardState(shard, dir string, tm *trustedmetadata.TrustedMetadata, new bool) error {
	snap := tm.Snapshot
	if new && s.tm.Snapshot.Signed.Meta[layout.ShardStateMeta] != nil {
		st, err := s.loadShardState()
		if err != nil {
			return err
		}
		c := st.Shards[shard]
		if c == nil {
			return &TUFError{Cause: CauseMissing, Err: fmt.Errorf("shard %s: the top level's shard state (version %d) commits to no snapshot of it", shard, s.tm.Snapshot.Signed.Meta[layout.ShardStateMeta].Version)}
		}
		v := snap.Signed.Version
		if v < c.Snapshot {
			return &TUFError{Cause: CauseRollback, Err: fmt.Errorf("shard %s serves snapshot version %d, older than version %d the top level commits to", shard, v, c.Snapshot)}
		}
		if v == c.Snapshot {
			// The bytes the updater verified and kept.
			raw, err := readBounded(filepath.Join(dir, "snapshot.json"), MaxSnapshot)
			if err != nil {
				return fmt.Errorf("shard %s: its trusted snapshot: %w", shard, err)
			}
			if got := fmt.Sprintf("%x", sha256.Sum256(raw)); got != c.SHA256 {
				return &TUFError{Cause: CauseHash, Err: fmt.Errorf("shard %s serves snapshot version %d with SHA-256 %s, but the top level commits to %s for that version", shard, v, got, c.SHA256)}
			}
		}
	}
	f, err := s.readFloors()
	if err != nil {
		return err
	}
	floors := f.floorsOf(shard)
	for _, role := range slices.Sorted(maps.Keys(floors)) {
		mf := snap.Signed.Meta[role+".json"]
		if mf != nil && mf.Version < floors[role] {
			return &TUFError{Cause: CauseRollback, Err: fmt.Errorf("shard %s lists its index role %s at version %d, older than version %d a shard state from the top level named before", shard, role, mf.Version, floors[role])}
		}
	}
	return nil
}
