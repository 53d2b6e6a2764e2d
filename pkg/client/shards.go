package client

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"

	"github.com/tufgit/tufgit/pkg/layout"
)

// A repository with hash shards (docs/sharding.md) serves, at its top
// level, root, targets and a snapshot of targets alone; targets lists the
// shard map as the target _tufgit/shards.json, signed with the offline
// targets keys. Each shard is an ordinary TUF repository of its own (its
// own snapshot and timestamp, the same root and targets). The client reads
// the map from the top level, computes a project's shard from its name,
// and keeps one trusted state per shard it uses, in DIR/shards/ under the
// shard's metadata path (DIR/shards/sBITS/SHARD/metadata/);
// it never fetches a shard it does not need.

// maxShardMap bounds the shard map's size (its signed length must be
// smaller still).
const maxShardMap = layout.MaxShardMapSize

// loadShardMap returns the verified shard map the top level's targets
// lists, or nil when the repository is not sharded. The map is checked
// against its signed length and hashes, cached in DIR/shards.json, and
// fetched again only when targets names other bytes.
func (s *session) loadShardMap() (*layout.ShardMap, error) {
	top := s.tm.Targets[metadata.TARGETS]
	if top == nil {
		return nil, nil
	}
	tf := top.Signed.Targets[layout.ShardMapTarget]
	if tf == nil {
		return nil, nil
	}
	where := fmt.Sprintf("shard map %s on %s", layout.ShardMapTarget, s.c.Config.where())
	if tf.Length <= 0 || tf.Length > maxShardMap {
		return nil, &TUFError{Cause: CauseTooLarge, Err: fmt.Errorf("%s: targets lists %d bytes (at most %d)", where, tf.Length, maxShardMap)}
	}
	cache := filepath.Join(s.c.Dir, "shards.json")
	raw, err := readBounded(cache, tf.Length)
	if err != nil || tf.VerifyLengthHashes(raw) != nil {
		u, err := s.targetURL(tf)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if raw, err = s.fetch.DownloadFile(u, tf.Length, 0); err != nil {
			return nil, Classify(fmt.Errorf("%s: %w", where, err))
		}
		if err := tf.VerifyLengthHashes(raw); err != nil {
			return nil, &TUFError{Cause: CauseHash, Err: fmt.Errorf("%s: %w", where, err)}
		}
		if err := writeAtomic(cache, raw); err != nil {
			return nil, err
		}
	}
	var m layout.ShardMap
	if err := layout.DecodeStrict(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return &m, nil
}

// mirrorBase is the URL the shard map's paths are relative to: the
// mirror's, or the metadata URL's parent when it ends in /metadata.
func (c *Client) mirrorBase() (string, error) {
	if c.Config.Mirror != "" {
		return strings.TrimSuffix(c.Config.Mirror, "/"), nil
	}
	meta := strings.TrimSuffix(c.Config.MetadataURL, "/")
	if base, ok := strings.CutSuffix(meta, "/metadata"); ok {
		return base, nil
	}
	return "", fmt.Errorf("%s is a sharded repository, whose shard map is relative to its mirror's URL: configure the client with the mirror URL (tufgit client init --mirror URL)", c.Config.where())
}

// ShardInfo is where a project's shard is served: what a standard TUF
// client needs to download its releases with the repository's root.
type ShardInfo struct {
	Project     string `json:"project"`
	Shard       string `json:"shard"`
	Shards      int    `json:"shards"`
	MetadataURL string `json:"metadata_url"`
	TargetsURL  string `json:"targets_url"`
}

// Shard says which shard serves project, and its metadata and targets
// URLs, from the shard map the trusted targets role lists. A repository
// without shards has one: Shard is "" and the URLs are the repository's.
func (c *Client) Shard(project string) (*ShardInfo, error) {
	name, err := layout.NormalizeProjectName(project)
	if err != nil {
		return nil, err
	}
	s, err := c.session(true)
	if err != nil {
		return nil, err
	}
	defer s.unlock()
	info := &ShardInfo{Project: name, Shards: 1, MetadataURL: s.metaURL, TargetsURL: s.targetsURL}
	if m := c.shardMap; m != nil {
		shard := layout.ShardName(layout.ShardOf(name, m.Bits), m.Bits)
		metaURL, targetsURL, err := c.shardURLs(shard)
		if err != nil {
			return nil, err
		}
		info.Shard, info.Shards, info.MetadataURL, info.TargetsURL = shard, 1<<m.Bits, metaURL, targetsURL
	}
	return info, nil
}

// shardURLs are shard's metadata and targets base URLs, without a
// trailing slash.
func (c *Client) shardURLs(shard string) (string, string, error) {
	base, err := c.mirrorBase()
	if err != nil {
		return "", "", err
	}
	m := c.shardMap
	meta := strings.Replace(m.Metadata, layout.ShardPlaceholder, shard, 1)
	return base + "/" + strings.TrimSuffix(meta, "/"), base + "/" + strings.TrimSuffix(m.Targets, "/"), nil
}

// forProject is the session that serves project: s itself, or its
// shard's.
func (s *session) forProject(project string) (*session, error) {
	m := s.c.shardMap
	if m == nil || s.shard != "" {
		return s, nil
	}
	return s.openShard(layout.ShardName(layout.ShardOf(project, m.Bits), m.Bits))
}

// forTarget is the session that serves targetPath: a project's shard for
// a path inside a project, else the top level.
func (s *session) forTarget(targetPath string) (*session, error) {
	if s.c.shardMap == nil || s.shard != "" {
		return s, nil
	}
	if proj, _, _, err := layout.ParseTargetPath(targetPath); err == nil {
		return s.forProject(proj)
	}
	return s, nil
}

// openShard opens the session of one shard, refreshing its trusted metadata
// when the top level was refreshed (once a session) or when there is
// none yet. The shard starts from the root the top level trusts now; its
// updater then follows any newer root the shard serves. A shard must
// serve targets at least as new as the top level's: it is published
// before the top level, never after, so an older one is a rollback.
func (s *session) openShard(shard string) (*session, error) {
	if ss := s.shards[shard]; ss != nil {
		return ss, nil
	}
	if s.shard != "" {
		return nil, fmt.Errorf("shard %s: opened from shard %s, not the top level", shard, s.shard)
	}
	c := s.c
	metaURL, targetsURL, err := c.shardURLs(shard)
	if err != nil {
		return nil, err
	}
	// The shard's state lives under its metadata path, as the signed map
	// spells it (relative, checked by Validate): a later map that moves
	// shards elsewhere (a reshard) starts from fresh state, never from
	// another shard's versions.
	rel := strings.TrimSuffix(strings.Replace(c.shardMap.Metadata, layout.ShardPlaceholder, shard, 1), "/")
	ss := &session{c: c, fetch: s.fetch, metaURL: metaURL, targetsURL: targetsURL, shard: shard,
		metaDir: filepath.Join(c.Dir, "shards", filepath.FromSlash(rel)), unlock: func() {}}
	if tm := c.shardState[rel]; tm != nil && !s.refreshed {
		ss.tm = tm
	} else {
		// New: this client has not checked this shard against the top
		// level's shard state before (shardstate.go).
		marker := filepath.Join(ss.metaDir, shardChecked)
		_, err := os.Stat(marker)
		isNew := errors.Is(err, os.ErrNotExist)
		if err := seedRoot(ss.metaDir, filepath.Join(s.metaDir, "root.json"), s.tm.Root.Signed.Version); err != nil {
			return nil, err
		}
		tm, err := ss.update()
		if err != nil {
			return nil, fmt.Errorf("shard %s: %w", shard, err)
		}
		if err := consistent(shard, s.tm, tm); err != nil {
			return nil, err
		}
		if err := s.checkShardState(shard, ss.metaDir, tm, isNew); err != nil {
			if isNew {
				// Keep nothing of a shard refused at first sight: the next
				// attempt starts, and is checked, afresh.
				os.RemoveAll(ss.metaDir)
			}
			return nil, err
		}
		if isNew && s.tm.Snapshot.Signed.Meta[layout.ShardStateMeta] != nil {
			if err := writeAtomic(marker, []byte("checked against the top level's shard state\n")); err != nil {
				return nil, err
			}
		}
		if c.shardState == nil {
			c.shardState = map[string]*trustedmetadata.TrustedMetadata{}
		}
		c.shardState[rel] = tm
		ss.tm = tm
	}
	if s.shards == nil {
		s.shards = map[string]*session{}
	}
	s.shards[shard] = ss
	return ss, nil
}

// seedRoot gives a shard's state (dir) the top level's trusted root
// (the file topRoot, of version topVersion) when it has none, or an older
// one: the shard's updater starts from there.
func seedRoot(dir, topRoot string, topVersion int64) error {
	p := filepath.Join(dir, "root.json")
	if raw, err := readBounded(p, MaxRoot); err == nil {
		if r, err := metadata.Root().FromBytes(raw); err == nil && r.Signed.Version >= topVersion {
			return nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	raw, err := readBounded(topRoot, MaxRoot)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writeAtomic(p, raw)
}

// consistent checks a shard's trusted state against the top level's.
func consistent(shard string, top, tm *trustedmetadata.TrustedMetadata) error {
	tv, sv := top.Targets[metadata.TARGETS].Signed.Version, tm.Targets[metadata.TARGETS].Signed.Version
	if sv < tv {
		return &TUFError{Cause: CauseRollback, Err: fmt.Errorf("shard %s serves targets version %d, older than the top level's %d", shard, sv, tv)}
	}
	if rv, tr := tm.Root.Signed.Version, top.Root.Signed.Version; rv < tr {
		return &TUFError{Cause: CauseRollback, Err: fmt.Errorf("shard %s trusts root version %d, older than the top level's %d", shard, rv, tr)}
	}
	return nil
}
