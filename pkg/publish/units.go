package publish

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/webui"
)

// A unit is one TUF repository on the mirror, with its own snapshot and
// timestamp: the whole repository when it has one shard. A repository
// with hash shards (issue #13) is published as one unit per shard under
// sBITS/SHARD/metadata/ (its index and project roles, plus the shared root and
// targets.json) and a small top-level unit (root, targets and a snapshot
// of targets alone) from which a client holding only root learns the
// admin-signed shard map. Target files are shared by all, under targets/.
type unit struct {
	shard string // the shard; "" for the single repository or the top level
	bits  int    // the repository's shard bits
	top   bool   // the top level of a sharded repository
	// The last publish's record and snapshot of this unit (nil: none).
	prev     *published
	prevSnap *metadata.Metadata[metadata.SnapshotType]
	prevRaw  []byte
	// changes are the role files this unit serves that changed in git
	// since the last publish (incremental publishing only).
	changes []gitstore.Change
	// extra are files the unit serves besides its roles, by snapshot
	// entry name (the top level's shard state): written as
	// metadata/VERSION.NAME, named in the snapshot with length and hashes.
	extra map[string][]byte
}

func (u *unit) name() string {
	switch {
	case u.top:
		return "the top level"
	case u.shard == "":
		return "the repository"
	}
	return "shard " + u.shard
}

// key names a shard's record in the publish state: its metadata directory
// on the mirror (sBITS/SHARD/metadata/), unique across shard counts.
func (u *unit) key() string { return layout.ShardMetadataDir(u.bits, u.shard) }

// path is a mirror file name of this unit ("metadata/…").
func (u *unit) path(name string) string {
	if u.shard == "" {
		return name
	}
	return layout.ShardMetadataDir(u.bits, u.shard) + strings.TrimPrefix(name, "metadata/")
}

func (u *unit) snapshotName(v int64) string {
	return u.path(fmt.Sprintf("metadata/%d.snapshot.json", v))
}

// walked is one unit's part of a walk of the whole tree: every role's
// snapshot entry, and the roles it serves.
type walked struct {
	meta  map[string]int64
	roles []string
}

// unitOf names the unit that serves a role id ("" when every unit does:
// targets, or a repository of one shard).
func (p *publisher) unitOf(le layout.Entry) string {
	bits := p.cfg.Index.ShardBits
	switch {
	case bits == 0 || le.Kind == layout.KindTargets:
		return ""
	case le.Kind == layout.KindIndexRole:
		return layout.RoleShard(le.Role)
	}
	return layout.ProjectShard(le.Role, bits)
}

// publishUnits publishes every unit that needs it: after a push, the
// shards it touched (and every shard when root or targets changed); on
// --refresh, every unit whose snapshot or timestamp is due.
func (p *publisher) publishUnits(root *metadata.Metadata[metadata.RootType], incremental bool) error {
	bits := p.cfg.Index.ShardBits
	rootRaw, err := p.tree.ReadFile(layout.RootPath, layout.MaxRootSize)
	if err != nil {
		return err
	}
	shards := map[string]*unit{}
	get := func(s string) *unit {
		if u, ok := shards[s]; ok {
			return u
		}
		u := &unit{shard: s, bits: bits}
		if p.prev != nil {
			u.prev = p.prev.Shards[u.key()]
		}
		shards[s] = u
		return u
	}
	everything := !incremental || bits == 0 || p.Refresh || p.prev == nil || p.prev.Root != root.Signed.Version
	var targetsChanged bool
	if incremental {
		diff, err := gitstore.Diff(p.prevTree, p.tree, func(gitstore.BadName) error { return nil })
		if err != nil {
			return err
		}
		for _, ch := range diff {
			le, err := layout.Classify(ch.Path)
			if err != nil {
				continue
			}
			switch le.Kind {
			case layout.KindTargets, layout.KindIndexRole, layout.KindProjectRole, layout.KindRetiredRole:
			case layout.KindShardMap:
				targetsChanged = true // verify: it changes only with targets
				continue
			default:
				continue
			}
			if le.Kind == layout.KindTargets {
				targetsChanged = true
				p.top.changes = append(p.top.changes, ch)
			}
			if bits == 0 {
				if le.Kind != layout.KindTargets {
					p.top.changes = append(p.top.changes, ch)
				}
				continue
			}
			s := p.unitOf(le)
			if _, err := layout.ParseShardName(s, bits); le.Kind == layout.KindIndexRole && err != nil {
				// An index role of another shard count, removed by a
				// reshard: no shard of this count serves it.
				continue
			}
			if s != "" {
				get(s).changes = append(get(s).changes, ch)
			} else {
				for _, name := range layout.ShardNames(bits) {
					u := get(name)
					u.changes = append(u.changes, ch)
				}
			}
		}
	}
	var units []*unit
	if bits > 0 {
		if everything || targetsChanged {
			for _, name := range layout.ShardNames(bits) {
				get(name)
			}
		} else if p.prev != nil {
			// Untouched shards whose record says they expired are renewed
			// without --refresh, as the single repository is.
			for _, name := range layout.ShardNames(bits) {
				st := p.prev.Shards[layout.ShardMetadataDir(bits, name)]
				if st != nil && (!st.TimestampExpires.After(p.Now) || !st.SnapshotExpires.After(p.Now)) {
					get(name)
				}
			}
		}
		for _, name := range slices.Sorted(maps.Keys(shards)) {
			units = append(units, shards[name])
		}
	}
	units = append(units, p.top) // last: it names the shard map the shards follow

	// Target files first, then each unit's roles, snapshot and timestamp,
	// timestamp last: nothing a new snapshot points at is missing when it
	// appears.
	type plan struct {
		u       *unit
		intact  bool
		meta    map[string]int64
		changed []string
	}
	var plans []plan
	var projects []string
	allIntact := true
	for _, u := range units {
		if u != p.top && u.prev != nil {
			p.loadSnapshot(u)
		}
		mTS, _ := p.mirrorVersions(u)
		// Intact only when the mirror serves exactly what the record
		// says: a mirror behind it (a claim whose writes never landed) or
		// ahead of it (another publisher, or a lost record) is rewritten
		// above both, never trusted as "up to date".
		intact := incremental && u.prevSnap != nil && u.prev != nil && mTS == u.prev.Timestamp
		if intact {
			ok, err := p.Mirror.Exists(p.ctx, u.snapshotName(u.prev.Snapshot))
			if err != nil {
				return err
			}
			intact = ok
		}
		allIntact = allIntact && intact
		meta, changed, err := p.unitMeta(u, intact)
		if err != nil {
			return err
		}
		if err := p.checkNoRollback(u, meta, root); err != nil {
			return err
		}
		plans = append(plans, plan{u, intact, meta, changed})
		if u.top && bits > 0 {
			continue // its only role, targets, lists no project
		}
		for _, r := range changed {
			if layout.RoleKind(r) == layout.KindProjectRole {
				projects = append(projects, r)
			}
		}
	}
	p.res.Full = !allIntact
	if bits > 0 {
		if err := p.checkTopDrops(plans[len(plans)-1].meta); err != nil {
			return err
		}
	}
	if err := p.writeTargets(projects, incremental); err != nil {
		return err
	}
	if bits > 0 && (targetsChanged || !allIntact || !incremental) {
		if err := p.writeShardMap(); err != nil {
			return err
		}
	}

	st := published{Commit: p.Rev.String(), Root: root.Signed.Version}
	if p.prev != nil && bits > 0 {
		// The records of this count's shards (those of another count,
		// before a reshard, are no longer published).
		for _, name := range layout.ShardNames(bits) {
			if r := p.prev.Shards[layout.ShardMetadataDir(bits, name)]; r != nil {
				if st.Shards == nil {
					st.Shards = map[string]*published{}
				}
				st.Shards[layout.ShardMetadataDir(bits, name)] = r
			}
		}
	}
	snaps := map[string][]byte{}
	type uiWork struct {
		u              *unit
		intact         bool
		tsRaw, snapRaw []byte
	}
	var uis []uiWork
	upToDate := true
	var topTS, topSnap []byte
	current := map[string][]byte{} // each shard's snapshot as it now stands
	for _, pl := range plans {
		u := pl.u
		if u == p.top && bits > 0 {
			raw, v, err := p.shardState(current)
			if err != nil {
				return fmt.Errorf("the top level: %w", err)
			}
			pl.meta[layout.ShardStateMeta] = v
			u.extra = map[string][]byte{layout.ShardStateMeta: raw}
			snaps[shardStateFile] = raw
		}
		res, err := p.publishUnit(u, root, rootRaw, pl.intact, pl.meta, pl.changed)
		if err != nil {
			return fmt.Errorf("%s: %w", u.name(), err)
		}
		if u != p.top {
			if res != nil {
				current[u.shard] = res.snapRaw
			} else if u.prevRaw != nil {
				current[u.shard] = u.prevRaw
			}
		}
		if res == nil {
			if u == p.top && p.prev != nil {
				st.Snapshot, st.Timestamp = p.prev.Snapshot, p.prev.Timestamp
				st.SnapshotExpires, st.TimestampExpires = p.prev.SnapshotExpires, p.prev.TimestampExpires
				topSnap = p.top.prevRaw
			}
			continue
		}
		upToDate = false
		if res.newSnap {
			name := snapshotFile
			if u != p.top {
				name = shardSnapshotFile(u.key())
			}
			snaps[name] = res.snapRaw
		}
		if u == p.top {
			st.Snapshot, st.Timestamp = res.snapV, res.tsV
			st.SnapshotExpires, st.TimestampExpires = res.snapExpires, res.tsExpires
			topTS, topSnap = res.tsRaw, res.snapRaw
			continue
		}
		uis = append(uis, uiWork{u, pl.intact, res.tsRaw, res.snapRaw})
		if st.Shards == nil {
			st.Shards = map[string]*published{}
		}
		st.Shards[u.key()] = &published{Root: root.Signed.Version, Snapshot: res.snapV, Timestamp: res.tsV,
			SnapshotExpires: res.snapExpires, TimestampExpires: res.tsExpires}
		p.res.Shards++
	}
	p.res.Snapshot, p.res.Timestamp = st.Snapshot, st.Timestamp
	if !upToDate {
		if err := p.claimAndWrite(st, snaps); err != nil {
			return err
		}
	}
	if upToDate {
		p.res.UpToDate = true
		if p.UI && bits == 0 && p.top.prevSnap != nil && allIntact {
			// No role changed, so nothing is re-signed; but the pages also
			// show what git holds beyond metadata (pending requests, their
			// signatures and withdrawals), which may have changed.
			return p.refreshUI(topSnap)
		}
		return nil
	}
	if p.UI && bits > 0 {
		// Each re-signed shard's own site under ui/sBITS/SHARD/, then the
		// home page that links them.
		for _, w := range uis {
			dir := "ui/" + strings.TrimSuffix(w.u.key(), "metadata/")
			up := strings.Repeat("../", strings.Count(dir, "/"))
			src := treeSource{p: p, ts: w.tsRaw, snap: w.snapRaw, shard: w.u.shard}
			if err := p.writeUIAt(dir, src, w.intact, up+w.u.key(), up+"targets/"); err != nil {
				return fmt.Errorf("the repository is published, but the web UI of shard %s failed: %w", w.u.shard, err)
			}
		}
		x := webui.ShardIndex{Name: p.cfg.Name, Bits: bits, Generated: p.Now}
		for _, name := range layout.ShardNames(bits) {
			x.Shards = append(x.Shards, webui.ShardLink{Name: name, Href: strings.TrimSuffix(layout.ShardMetadataDir(bits, name), "metadata/")})
		}
		if err := webui.BuildShardIndex(func(name string, data []byte) error {
			p.res.UIWritten++
			return p.Mirror.Write(p.ctx, "ui/"+name, data)
		}, x); err != nil {
			return fmt.Errorf("the repository is published, but the web UI failed: %w", err)
		}
	}
	if p.UI && bits == 0 {
		if topTS == nil {
			topTS, _ = p.Mirror.Read(p.ctx, "metadata/timestamp.json", 16<<10)
		}
		if err := p.writeUI(p.top.prevSnap != nil && allIntact, topTS, topSnap); err != nil {
			return fmt.Errorf("the repository is published, but the web UI failed: %w", err)
		}
	}
	return nil
}

// unitResult is what publishing one unit signed.
type unitResult struct {
	newSnap                bool
	snapV, tsV             int64
	snapRaw, tsRaw         []byte
	snapExpires, tsExpires time.Time
}

// publishUnit writes one unit's changed roles, and a new snapshot and
// timestamp when they are needed. It returns nil when the unit is up to
// date.
func (p *publisher) publishUnit(u *unit, root *metadata.Metadata[metadata.RootType], rootRaw []byte, intact bool, meta map[string]int64, changed []string) (*unitResult, error) {
	mTS, mSnap := p.mirrorVersions(u)
	snapV, tsV := mSnap, mTS
	if u.prev != nil {
		snapV, tsV = max(snapV, u.prev.Snapshot), max(tsV, u.prev.Timestamp)
	}
	prev := u.prev
	if prev == nil {
		prev = &published{}
	}
	rootChanged := p.prev == nil || p.prev.Root != root.Signed.Version
	needSnap := !intact || !sameMeta(meta, u.prevSnap) || (p.Refresh && dueSoon(prev.SnapshotExpires, p.Now, p.cfg.Expiry.For(layout.RoleSnapshot))) ||
		!signedBy(u.prevRaw, p.Key.ID()) || // the online key was rotated: the old snapshot no longer verifies
		!prev.SnapshotExpires.After(p.Now) // expired: re-sign even without --refresh
	needTS := needSnap || rootChanged || (p.Refresh && dueSoon(prev.TimestampExpires, p.Now, p.cfg.Expiry.For(layout.RoleTimestamp))) ||
		!prev.TimestampExpires.After(p.Now)
	if !needSnap && !needTS {
		return nil, nil
	}
	// Every root version (once: a root version never changes), then the
	// changed roles.
	if !intact || rootChanged {
		for v := int64(1); v <= root.Signed.Version; v++ {
			name := u.path(fmt.Sprintf("metadata/%d.root.json", v))
			if ok, err := p.Mirror.Exists(p.ctx, name); err != nil {
				return nil, err
			} else if ok {
				continue
			}
			data, err := p.tree.ReadFile(layout.RootHistoryPath(v), layout.MaxRootSize)
			if err != nil {
				return nil, err
			}
			if err := p.write(name, data); err != nil {
				return nil, err
			}
		}
		if err := p.write(u.path("metadata/root.json"), rootRaw); err != nil {
			return nil, err
		}
	}
	for _, role := range changed {
		r, err := p.view.Peek(role)
		if err != nil {
			return nil, err
		}
		if err := p.write(u.path(fmt.Sprintf("metadata/%d.%s.json", r.Meta.Signed.Version, layout.RoleName(role))), r.Raw); err != nil {
			return nil, err
		}
	}

	// Snapshot and timestamp, checked the way a client will check them
	// before they are written.
	res := &unitResult{newSnap: needSnap, snapRaw: u.prevRaw}
	if needSnap {
		snapV++
		s := metadata.Snapshot(layout.ExpiresAt(p.Now, p.cfg.Expiry.For(layout.RoleSnapshot)))
		s.Signed.Version = snapV
		if err := p.checkOnlineExpiry(layout.RoleSnapshot, s.Signed.Expires, layout.MaxSnapshotExpiry); err != nil {
			return nil, err
		}
		for name, v := range meta {
			if raw, ok := u.extra[name]; ok {
				s.Signed.Meta[name] = extraMeta(v, raw)
				continue
			}
			s.Signed.Meta[name] = metadata.MetaFile(v)
		}
		if err := p.Key.signSnapshot(s); err != nil {
			return nil, err
		}
		var err error
		if res.snapRaw, err = s.ToBytes(false); err != nil {
			return nil, err
		}
	} else {
		snapV = u.prev.Snapshot
	}
	tsV++
	ts := metadata.Timestamp(layout.ExpiresAt(p.Now, p.cfg.Expiry.For(layout.RoleTimestamp)))
	ts.Signed.Version = tsV
	if err := p.checkOnlineExpiry(layout.RoleTimestamp, ts.Signed.Expires, layout.MaxTimestampExpiry); err != nil {
		return nil, err
	}
	// The snapshot's length, always: a client then downloads exactly
	// that many bytes, and its default snapshot size cap does not bind.
	sum := sha256.Sum256(res.snapRaw)
	mf := metadata.MetaFile(snapV)
	mf.Length = int64(len(res.snapRaw))
	mf.Hashes = metadata.Hashes{"sha256": sum[:]}
	ts.Signed.Meta["snapshot.json"] = mf
	if err := p.Key.signTimestamp(ts); err != nil {
		return nil, err
	}
	var err error
	if res.tsRaw, err = ts.ToBytes(false); err != nil {
		return nil, err
	}
	if err := p.clientCheck(rootRaw, res.tsRaw, res.snapRaw); err != nil {
		return nil, fmt.Errorf("the new snapshot/timestamp would not pass a client's checks, nothing written: %w", err)
	}
	// Written once the record claims these versions (claim.go).
	if needSnap {
		// What the snapshot names besides roles (the shard state), then
		// the snapshot.
		for _, name := range slices.Sorted(maps.Keys(u.extra)) {
			p.pending = append(p.pending, pendingWrite{u.extraName(name, meta[name]), u.extra[name], false})
		}
		p.pending = append(p.pending, pendingWrite{u.snapshotName(snapV), res.snapRaw, false})
	}
	p.pending = append(p.pending, pendingWrite{u.path("metadata/timestamp.json"), res.tsRaw, true})
	res.snapV, res.tsV = snapV, tsV
	res.snapExpires, res.tsExpires = snapExpires(res.snapRaw), ts.Signed.Expires
	return res, nil
}

// mirrorVersions reads the timestamp the mirror serves now for u, if any:
// its version and the snapshot version it names. It is not trusted: it
// only ever pushes version numbers up, never down. Unparseable means zero.
func (p *publisher) mirrorVersions(u *unit) (int64, int64) {
	raw, err := p.Mirror.Read(p.ctx, u.path("metadata/timestamp.json"), 16<<10)
	if err != nil {
		return 0, 0
	}
	var doc struct {
		Signed struct {
			Version int64 `json:"version"`
			Meta    map[string]struct {
				Version int64 `json:"version"`
			} `json:"meta"`
		} `json:"signed"`
	}
	if json.Unmarshal(raw, &doc) != nil || doc.Signed.Version < 0 {
		return 0, 0
	}
	return doc.Signed.Version, doc.Signed.Meta["snapshot.json"].Version
}

// unitMeta lists every role file's version in u's snapshot, and which
// roles must be written to the mirror: those changed since the last
// publish, or all of them.
func (p *publisher) unitMeta(u *unit, incremental bool) (map[string]int64, []string, error) {
	if u.top && p.cfg.Index.ShardBits > 0 {
		// The top level of a sharded repository: targets alone.
		r, err := p.view.Role(layout.RoleTargets)
		if err != nil {
			return nil, nil, err
		}
		meta := map[string]int64{layout.RoleTargets + ".json": r.Meta.Signed.Version}
		var changed []string
		if !incremental || u.prevSnap == nil || u.prevSnap.Signed.Meta[layout.RoleTargets+".json"] == nil ||
			u.prevSnap.Signed.Meta[layout.RoleTargets+".json"].Version != r.Meta.Signed.Version {
			changed = []string{layout.RoleTargets}
		}
		return meta, changed, nil
	}
	if !incremental {
		if err := p.walkAll(); err != nil {
			return nil, nil, err
		}
		w := p.all[u.shard]
		if w == nil {
			w = &walked{meta: map[string]int64{}}
		}
		r, err := p.view.Role(layout.RoleTargets)
		if err != nil {
			return nil, nil, err
		}
		meta := maps.Clone(w.meta)
		meta[layout.RoleTargets+".json"] = r.Meta.Signed.Version
		return meta, append([]string{layout.RoleTargets}, w.roles...), nil
	}
	meta := map[string]int64{}
	for name, mf := range u.prevSnap.Signed.Meta {
		meta[name] = mf.Version
	}
	var changed []string
	for _, ch := range u.changes {
		le, err := layout.Classify(ch.Path)
		if err != nil {
			continue
		}
		key := layout.RoleName(le.Role) + ".json"
		if le.Kind == layout.KindRetiredRole {
			// Clients refuse a snapshot that drops a role it listed, so a
			// removed project keeps its entry at its last version (unless
			// it was created again).
			if ch.Action != gitstore.Deleted {
				if _, err := p.view.Peek(le.Role); state.IsNotExist(err) {
					if v, err := p.retiredVersion(le.Role); err == nil {
						meta[key] = v
					}
				}
			}
			continue
		}
		if ch.Action == gitstore.Deleted {
			if v, err := p.retiredVersion(le.Role); le.Kind == layout.KindProjectRole && err == nil {
				meta[key] = v
			} else {
				delete(meta, key)
			}
			continue
		}
		r, err := p.view.Peek(le.Role)
		if err != nil {
			return nil, nil, err
		}
		meta[key] = r.Meta.Signed.Version
		changed = append(changed, le.Role)
	}
	sort.Strings(changed)
	return meta, changed, nil
}

// walkAll reads every role of the tree once and sorts its snapshot entry
// into the unit that serves it.
func (p *publisher) walkAll() error {
	if p.all != nil {
		return nil
	}
	p.all = map[string]*walked{}
	at := func(s string) *walked {
		w := p.all[s]
		if w == nil {
			w = &walked{meta: map[string]int64{}}
			p.all[s] = w
		}
		return w
	}
	var retired []layout.Entry
	err := p.tree.WalkDir(layout.MetadataDir, func(e gitstore.Entry) error {
		le, err := layout.Classify(e.Path)
		if err != nil {
			return nil
		}
		switch le.Kind {
		case layout.KindIndexRole, layout.KindProjectRole:
			r, err := p.view.Peek(le.Role)
			if err != nil {
				return err
			}
			w := at(p.unitOf(le))
			w.meta[layout.RoleName(le.Role)+".json"] = r.Meta.Signed.Version
			w.roles = append(w.roles, le.Role)
		case layout.KindRetiredRole:
			retired = append(retired, le)
		}
		return nil
	}, func(gitstore.BadName) error { return nil })
	if err != nil {
		return err
	}
	for _, le := range retired {
		w := at(p.unitOf(le))
		key := le.Role + ".json"
		if _, ok := w.meta[key]; ok {
			continue // created again: the live role counts
		}
		v, err := p.retiredVersion(le.Role)
		if err != nil {
			return err
		}
		w.meta[key] = v
	}
	for _, w := range p.all {
		sort.Strings(w.roles)
	}
	return nil
}

// writeShardMap copies the shard map, which targets.json lists as
// _tufgit/shards.json, to the shared targets/ tree under each of its
// hashes, after checking it against targets' signed length and hashes.
func (p *publisher) writeShardMap() error {
	t, err := p.view.Role(layout.RoleTargets)
	if err != nil {
		return err
	}
	tf := t.Meta.Signed.Targets[layout.ShardMapTarget]
	if tf == nil {
		return fmt.Errorf("targets does not list %s", layout.ShardMapTarget)
	}
	raw, err := p.tree.ReadFile(layout.ShardMapPath, layout.MaxShardMapSize)
	if err != nil {
		return err
	}
	if int64(len(raw)) != tf.Length {
		return fmt.Errorf("%s is %d bytes, but targets lists %d", layout.ShardMapPath, len(raw), tf.Length)
	}
	if err := tf.VerifyLengthHashes(raw); err != nil {
		return fmt.Errorf("%s does not match targets: %w", layout.ShardMapPath, err)
	}
	dir, base := "targets/_tufgit/", "shards.json"
	for _, alg := range slices.Sorted(maps.Keys(tf.Hashes)) {
		name := dir + fmt.Sprintf("%x", []byte(tf.Hashes[alg])) + "." + base
		if ok, err := p.Mirror.Exists(p.ctx, name); err != nil {
			return err
		} else if ok {
			continue
		}
		if err := p.write(name, raw); err != nil {
			return err
		}
	}
	return nil
}

// checkTopDrops refuses to publish a top level whose snapshot would drop
// roles the last one listed, signed by the same online key: after a
// reshard from one shard, the top level lists targets.json alone, and
// every TUF client refuses a snapshot that drops a role its trusted
// snapshot lists, unless the snapshot key changed (which makes it discard
// its trusted snapshot). Keeping the old entries instead would keep the
// single-shard index trusted by old clients, frozen, with keys the admins
// may since have revoked.
func (p *publisher) checkTopDrops(meta map[string]int64) error {
	prev := p.top.prevSnap
	if prev == nil || !signedBy(p.top.prevRaw, p.Key.ID()) {
		return nil
	}
	var dropped []string
	for name := range prev.Signed.Meta {
		if name == layout.ShardStateMeta {
			continue // added to meta later, by shardState
		}
		if _, ok := meta[name]; !ok {
			dropped = append(dropped, name)
		}
	}
	if len(dropped) == 0 {
		return nil
	}
	sort.Strings(dropped)
	if len(dropped) > 3 {
		dropped = append(dropped[:3], fmt.Sprintf("and %d more", len(dropped)-3))
	}
	return fmt.Errorf("%w: the top level's snapshot would drop %s, listed by the last one; clients refuse that while the same online key signs, so rotate the online key first (tufgit root update --online-key NEW.pub), then publish with the new key (nothing written)",
		ErrTopDrops, strings.Join(dropped, ", "))
}
