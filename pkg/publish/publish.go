package publish

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
	"github.com/tufgit/tufgit/pkg/verify"
	"github.com/tufgit/tufgit/pkg/webui"
)

// StateRef records what was last published (in the source repository).
const StateRef = "refs/tufgit/published"

// Errors callers test for with errors.Is.
var (
	ErrNotInitialized = errors.New("nothing to publish: the repository has no root yet")
	ErrInvalid        = errors.New("refusing to publish a commit that does not verify")
	// ErrTopDrops: a reshard from one shard needs a new online key first.
	ErrTopDrops = errors.New("the online key must change first")
)

// InvalidError lists why a commit may not be published.
type InvalidError struct{ Problems []verify.Problem }

func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalid.Error() + ":")
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}
func (e *InvalidError) Unwrap() error { return ErrInvalid }

// published is the publisher's own record, kept in StateRef's tree.
type published struct {
	Commit           string    `json:"commit"`
	Root             int64     `json:"root_version"`
	Snapshot         int64     `json:"snapshot_version"`
	Timestamp        int64     `json:"timestamp_version"`
	SnapshotExpires  time.Time `json:"snapshot_expires"`
	TimestampExpires time.Time `json:"timestamp_expires"`
	// Shards holds each shard's versions and expiries in a sharded
	// repository, by metadata directory (sBITS/SHARD/metadata/; their
	// snapshots are shards/sBITS/SHARD/metadata/snapshot.json).
	Shards map[string]*published `json:"shards,omitempty"`
}

// Options describe one publish.
type Options struct {
	Repo   *gitstore.Repo
	Rev    gitstore.Hash
	Key    *OnlineKey
	Mirror Mirror
	// Store reads artifacts kept in an external store; nil for git.
	Store   verify.ArtifactSource
	Now     time.Time
	Refresh bool
	// UI also renders the web UI (pkg/webui) under ui/ on the mirror.
	UI bool
	// UISite, when set, tells the UI what git knows beyond metadata
	// (pkg/webui/gitsite.Collect at Rev), given what the last publish
	// found. publish itself imports no request or history code.
	UISite func(prev *webui.SiteMemo) (*webui.Site, error)
	// Shared is the repository whose record (StateRef) publishers
	// coordinate through: nil for Repo itself (LocalShared).
	Shared Shared
	// Progress, when set, is told how much of each target file has been
	// uploaded to the mirror (done of total bytes), for a progress display.
	Progress func(name string, done, total int64)
}

// Result says what a publish did.
type Result struct {
	Commit    string
	Snapshot  int64
	Timestamp int64
	Written   []string
	UpToDate  bool
	Full      bool // the whole repository was (re)written
	// UIWritten counts the web UI's files written; UIChecked the
	// metadata files whose signatures the UI checked again; UIParsed the
	// targets-type roles it read and parsed.
	UIWritten int
	UIChecked int
	UIParsed  int
	// SupersededBy, when set, is the newer commit another publisher
	// already published, which contains Commit: nothing was written.
	SupersededBy string
	// Tries counts the records read: more than 1 when a claim was lost
	// to another publisher.
	Tries int
	// Shards counts the shards of a sharded repository that got a new
	// timestamp (and maybe snapshot); Snapshot and Timestamp are then the
	// top-level repository's.
	Shards int
}

// Publish verifies opts.Rev, then writes what changed since the last
// publish, a new snapshot (when any role changed) and a new timestamp,
// timestamp last. Re-running with nothing changed writes nothing.
// Publishers coordinate through opts.Shared's record (claim.go).
func Publish(ctx context.Context, o Options) (*Result, error) {
	unlock, err := o.Repo.LockNamed("tufgit-publish")
	if err != nil {
		return nil, err
	}
	defer unlock()
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Shared == nil {
		o.Shared = LocalShared(o.Repo)
	}
	start := time.Now()
	for attempt := 1; ; attempt++ {
		old, err := o.Shared.Sync(ctx)
		if err != nil {
			return nil, err
		}
		p := &publisher{Options: o, ctx: ctx, res: &Result{Commit: o.Rev.String()}, shared: o.Shared, claimOld: old,
			waited: time.Since(start) >= ClaimLease}
		err = p.run()
		switch {
		case errors.Is(err, errInFlight):
			// Another publisher is writing what it claimed: wait for it.
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
			continue
		case errors.Is(err, ErrClaimLost) && attempt < maxClaims:
			continue
		case errors.Is(err, ErrClaimLost):
			return nil, fmt.Errorf("%w; gave up after %d tries, each lost to another publisher", err, attempt)
		case err != nil:
			return nil, err
		}
		p.res.Tries = attempt
		return p.res, nil
	}
}

// maxClaims bounds how often a publisher re-reads the record after
// losing a claim.
const maxClaims = 5

// errInFlight: the record claims versions the mirror does not serve yet,
// claimed less than ClaimLease ago.
var errInFlight = errors.New("a claim is in flight")

type publisher struct {
	Options
	ctx  context.Context
	res  *Result
	tree *gitstore.Tree
	view *state.View
	cfg  *layout.Config
	// prev is the last publish's record; its top level is the single
	// repository, or the top-level repository of a sharded one.
	prev     *published
	prevTree *gitstore.Tree
	// top is the single repository, or the top level of a sharded one,
	// with the snapshot the last publish left (read by readState).
	top *unit
	// all is every role's snapshot entry by unit, from one walk of the
	// tree; made only when some unit is rewritten whole.
	all map[string]*walked
	// stateTree is the last publish's record (StateRef's tree), or nil.
	stateTree *gitstore.Tree
	// site is what git says beyond metadata, for the web UI: read once a
	// publish, shared by every shard's pages.
	site *webui.Site
	// rewriteBase is set when the head does not descend from the last
	// published commit and its root accepts that rewrite (lineage.go):
	// the head is then also verified as a move from this commit.
	rewriteBase gitstore.Hash
	// shared is where the record is claimed, claimOld the record read
	// (ZeroHash: none); pending the snapshots and timestamps signed,
	// written once claimed. waited: in-flight claims were waited out.
	shared   Shared
	claimOld gitstore.Hash
	pending  []pendingWrite
	waited   bool
}

func (p *publisher) run() error {
	var err error
	if p.tree, err = p.Repo.TreeAt(p.Rev); err != nil {
		return err
	}
	p.view = state.New(p.tree)
	root, err := p.view.Root()
	if state.IsNotExist(err) {
		return ErrNotInitialized
	}
	if err != nil {
		return err
	}
	if p.cfg, err = p.view.Config(); err != nil {
		return fmt.Errorf("%s: %w", layout.ConfigPath, err)
	}
	if err := p.Key.check(root); err != nil {
		return err
	}
	p.top = &unit{top: p.cfg.Index.ShardBits > 0}
	p.readState()
	if !p.waited && p.claimInFlight() {
		return errInFlight
	}
	if by, ok := p.superseded(); ok {
		// Another publisher already published a newer head.
		p.res.UpToDate, p.res.SupersededBy = true, by
		p.res.Snapshot, p.res.Timestamp = p.prev.Snapshot, p.prev.Timestamp
		return nil
	}
	if err := p.checkLineage(root); err != nil {
		return err
	}

	// Verify: incrementally from the last published commit when it is an
	// ancestor (it verified then), else in full.
	incremental := false
	var rep *verify.Report
	vo := verify.Options{Now: p.Now, Store: p.Store, Context: p.ctx}
	// A commit that moved artifacts.store is published only when the new
	// store (the one the caller opened for this commit) holds every
	// artifact.
	vo.OpenStore = func(_ context.Context, url string) (verify.ArtifactSource, error) {
		if p.Store == nil {
			return nil, fmt.Errorf("no artifact store was opened for %s", url)
		}
		return sourceOnly{p.Store}, nil
	}
	if p.prev != nil {
		prevCommit := gitstore.NewHash(p.prev.Commit)
		if ok, err := p.Repo.IsAncestor(prevCommit, p.Rev); err == nil && ok {
			if p.prevTree, err = p.Repo.TreeAt(prevCommit); err == nil {
				incremental = true
				rep, err = verify.Since(p.Repo, prevCommit, p.Rev, vo)
				if err != nil {
					return err
				}
			}
		}
	}
	if rep == nil {
		if rep, err = verify.Commit(p.Repo, p.Rev, vo); err != nil {
			return err
		}
	}
	if rep.Valid() && p.rewriteBase != gitstore.ZeroHash {
		// An accepted rewrite: every move since its base, as the hook
		// checks a push from it.
		if rep, err = verify.Since(p.Repo, p.rewriteBase, p.Rev, vo); err != nil {
			return err
		}
	}
	if !rep.Valid() {
		return &InvalidError{Problems: rep.Problems}
	}
	if !rep.Initialized {
		return ErrNotInitialized
	}

	return p.publishUnits(root, incremental)
}

// sourceOnly hides Close, so that verification can not close the
// publisher's store.
type sourceOnly struct{ verify.ArtifactSource }

// checkOnlineExpiry is the last guard before the online key signs: never
// metadata valid longer than tufgit's cap, whatever the (unsigned) config
// says. layout.Config.Validate already refuses such a config.
func (p *publisher) checkOnlineExpiry(role string, exp time.Time, max time.Duration) error {
	if d := exp.Sub(p.Now); d > max {
		return fmt.Errorf("%w: %s would be valid for %s, longer than tufgit's cap of %s; nothing signed (fix expiry.%s in %s)",
			ErrInvalid, role, layout.Duration(d), layout.Duration(max), role, layout.ConfigPath)
	}
	return nil
}

// dueSoon reports whether metadata expiring at exp, valid for period,
// has less than half its period left.
func dueSoon(exp, now time.Time, period time.Duration) bool {
	return exp.Sub(now) < period/2
}

func snapExpires(raw []byte) time.Time {
	s, err := metadata.Snapshot().FromBytes(raw)
	if err != nil {
		return time.Time{}
	}
	return s.Signed.Expires
}

func (p *publisher) write(name string, data []byte) error {
	ctx := p.ctx
	report := func(int64) {}
	if p.Progress != nil && strings.HasPrefix(name, "targets/") {
		total := int64(len(data))
		report = func(done int64) { p.Progress(name, done, total) }
		ctx = withProgress(ctx, report) // a bucket reports as it uploads
		report(0)
	}
	err := p.Mirror.Write(ctx, name, data)
	if err == nil {
		report(int64(len(data)))
	}
	if err != nil {
		return fmt.Errorf("writing %s to the mirror %s: %w", name, p.Mirror, err)
	}
	p.res.Written = append(p.res.Written, name)
	return nil
}

func sameMeta(meta map[string]int64, prev *metadata.Metadata[metadata.SnapshotType]) bool {
	if prev == nil || len(meta) != len(prev.Signed.Meta) {
		return false
	}
	for name, v := range meta {
		if mf, ok := prev.Signed.Meta[name]; !ok || mf.Version != v {
			return false
		}
	}
	return true
}

// writeTargets copies every target that is new in the changed project
// roles (all of them when the mirror is rewritten) to
// targets/PROJECT/VERSION/HASH.FILENAME, once for each listed hash: go-tuf
// picks a hash at random, python-tuf and tuf-js take the first.
func (p *publisher) writeTargets(changed []string, incremental bool) error {
	for _, role := range changed {
		if layout.RoleKind(role) != layout.KindProjectRole {
			continue
		}
		r, err := p.view.Peek(role)
		if err != nil {
			return err
		}
		var old map[string]*metadata.TargetFiles
		if incremental && p.prevTree != nil {
			if or, err := state.New(p.prevTree).Role(role); err == nil {
				old = or.Meta.Signed.Targets
			}
		}
		for _, tp := range slices.Sorted(maps.Keys(r.Meta.Signed.Targets)) {
			tf := r.Meta.Signed.Targets[tp]
			if o, ok := old[tp]; ok && o.Length == tf.Length && o.Hashes.Equal(tf.Hashes) {
				continue
			}
			if err := p.writeTarget(tp, tf); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *publisher) writeTarget(tp string, tf *metadata.TargetFiles) error {
	dir, base := path.Split(tp)
	var names []string
	for _, alg := range slices.Sorted(maps.Keys(tf.Hashes)) {
		name := "targets/" + dir + hex.EncodeToString(tf.Hashes[alg]) + "." + base
		if ok, err := p.Mirror.Exists(p.ctx, name); err != nil {
			return err
		} else if !ok {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	// Each copy streams from the store through the hashes to the mirror,
	// and is kept only if the hashes match: never the whole artifact in
	// memory, and never an unverified artifact on the mirror.
	for _, name := range names {
		if err := p.writeArtifact(tp, name, tf); err != nil {
			return err
		}
	}
	return nil
}

func (p *publisher) writeArtifact(tp, name string, tf *metadata.TargetFiles) error {
	rc, err := p.openArtifact(tf)
	if err != nil {
		return fmt.Errorf("target %s: %w", tp, err)
	}
	defer rc.Close()
	h, err := trust.NewArtifactHasher(tf)
	if err != nil {
		return fmt.Errorf("target %s: the stored artifact does not match its signed hashes, refusing to publish it: %w", tp, err)
	}
	var readErr error
	src := &errTrap{r: io.TeeReader(h.Limit(rc), h), err: &readErr}
	ctx := p.ctx
	if p.Progress != nil {
		total := tf.Length
		ctx = withProgress(ctx, func(done int64) { p.Progress(name, done, total) })
		p.Progress(name, 0, total)
	}
	err = p.Mirror.WriteFrom(ctx, name, src, func() error {
		if err := h.Check(); err != nil {
			return fmt.Errorf("target %s: the stored artifact does not match its signed hashes, refusing to publish it: %w", tp, err)
		}
		return nil
	})
	if err != nil {
		if readErr != nil {
			return fmt.Errorf("target %s: %w", tp, readErr)
		}
		if strings.HasPrefix(err.Error(), "target ") {
			return err
		}
		return fmt.Errorf("writing %s to the mirror %s: %w", name, p.Mirror, err)
	}
	p.res.Written = append(p.res.Written, name)
	return nil
}

// errTrap remembers a read error, so that a failed copy can say whether
// the store or the mirror failed.
type errTrap struct {
	r   io.Reader
	err *error
}

func (t *errTrap) Read(b []byte) (int, error) {
	n, err := t.r.Read(b)
	if err != nil && err != io.EOF {
		*t.err = err
	}
	return n, err
}

// openArtifact opens a target's artifact in the store it lives in.
func (p *publisher) openArtifact(tf *metadata.TargetFiles) (io.ReadCloser, error) {
	sha := hex.EncodeToString(tf.Hashes["sha256"])
	if p.cfg.Artifacts.Store == "git" {
		e, err := p.tree.Lookup(layout.ArtifactPath(sha))
		if err != nil {
			return nil, err
		}
		rc, _, err := p.Repo.OpenBlob(e.Hash)
		return rc, err
	}
	if p.Store == nil {
		return nil, fmt.Errorf("artifacts live in %s, but no store was opened", p.cfg.Artifacts.Store)
	}
	rc, _, err := p.Store.OpenArtifact(p.ctx, sha)
	return rc, err
}

// clientCheck loads the new metadata the way a TUF client does, with
// go-tuf's trustedmetadata and no network: root, timestamp, snapshot,
// targets.
func (p *publisher) clientCheck(rootRaw, tsRaw, snapRaw []byte) error {
	tm, err := trustedmetadata.New(rootRaw)
	if err != nil {
		return err
	}
	tm.RefTime = p.Now
	if _, err := tm.UpdateTimestamp(tsRaw); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	if _, err := tm.UpdateSnapshot(snapRaw, false); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	tr, err := p.view.Role(layout.RoleTargets)
	if err != nil {
		return err
	}
	if _, err := tm.UpdateTargets(tr.Raw); err != nil {
		return fmt.Errorf("targets: %w", err)
	}
	return nil
}

// retiredVersion is the version a removed project's role reached: that
// of its latest removal's record (a name created again continues its
// versions, so each removal's is higher than the one before).
func (p *publisher) retiredVersion(project string) (int64, error) {
	gens, err := verify.RetiredGenerations(p.tree, project)
	if err != nil {
		return 0, err
	}
	if len(gens) == 0 {
		return 0, fmt.Errorf("%s: %w", layout.RetiredRolePath(project), gitstore.ErrNotExist)
	}
	var v int64
	for _, m := range gens {
		v = max(v, m.Signed.Version)
	}
	return v, nil
}

// signedBy reports whether a snapshot carries a signature by keyid.
func signedBy(snapshotRaw []byte, keyid string) bool {
	if snapshotRaw == nil {
		return false
	}
	m, err := metadata.Snapshot().FromBytes(snapshotRaw)
	if err != nil {
		return false
	}
	for _, sig := range m.Signatures {
		if sig.KeyID == keyid {
			return true
		}
	}
	return false
}

// writeUI renders the web UI under ui/ from what publish already has:
// the verified tree (roles, root history), the new snapshot and timestamp
// in memory, and the manifest the last publish left in ui/. Signatures of
// files unchanged since are not checked again, pages whose inputs did not
// change are not written again, and git history is read only since the
// commit the manifest names.
func (p *publisher) writeUI(intact bool, tsRaw, snapRaw []byte) error {
	return p.writeUIAt("ui/", treeSource{p: p, ts: tsRaw, snap: snapRaw}, intact, "", "")
}

// refreshUI renders the web UI of a publish that re-signed nothing, when
// the pages were last rendered from another commit: a push that only adds,
// signs or withdraws a request changes no metadata, and its pages must
// still show it. The UI's own manifest says which commit it shows.
func (p *publisher) refreshUI(snapRaw []byte) error {
	if p.UISite == nil {
		return nil // the pages show metadata only, which did not change
	}
	data, err := p.Mirror.Read(p.ctx, "ui/"+webui.ManifestName, maxManifest)
	if err == nil {
		if m := webui.ParseManifest(data); m != nil && m.Site != nil && m.Site.Commit == p.Rev.String() {
			return nil
		}
	}
	tsRaw, err := p.Mirror.Read(p.ctx, "metadata/timestamp.json", 16<<10)
	if err != nil {
		return fmt.Errorf("the repository is published, but the web UI could not read the mirror's timestamp: %w", err)
	}
	if err := p.writeUI(true, tsRaw, snapRaw); err != nil {
		return fmt.Errorf("the repository is published, but the web UI failed: %w", err)
	}
	return nil
}

// writeUIAt renders the site of one TUF repository (the repository, or
// one shard, as src serves it) into dir on the mirror. metadataURL and
// targetsURL, when set, are where its pages find the metadata and the
// target files. The git history behind the pages is read once a publish.
func (p *publisher) writeUIAt(dir string, src treeSource, intact bool, metadataURL, targetsURL string) error {
	var prev *webui.Manifest
	if intact {
		if data, err := p.Mirror.Read(p.ctx, dir+webui.ManifestName, maxManifest); err == nil {
			prev = webui.ParseManifest(data)
		}
	}
	repo, err := webui.LoadCached(src, p.Now, prev)
	if err != nil {
		return err
	}
	if p.site == nil {
		var memo *webui.SiteMemo
		if prev != nil {
			memo = prev.Site
		}
		p.site = &webui.Site{}
		if p.UISite != nil {
			if p.site, err = p.UISite(memo); err != nil {
				return err
			}
		}
	}
	site := *p.site
	site.MetadataURL, site.TargetsURL = metadataURL, targetsURL
	m := prev
	if m == nil {
		m = &webui.Manifest{}
	}
	defer func() { p.res.UIChecked, p.res.UIParsed = p.res.UIChecked+repo.Checked, p.res.UIParsed+repo.Parsed }()
	return webui.Build(repo, func(name string, data []byte) error {
		p.res.UIWritten++
		return p.Mirror.Write(p.ctx, dir+name, data)
	}, webui.Options{Site: &site, Manifest: m})
}

// maxManifest bounds the UI manifest read back from the mirror.
const maxManifest = 256 << 20

// treeSource serves metadata by mirror file name from the verified tree
// and the snapshot and timestamp just made, without reading the mirror.
type treeSource struct {
	p        *publisher
	ts, snap []byte
	shard    string // the shard whose index roles "idx_P" names ("": none)
}

// id is the role id a mirror file's role name stands for: in a shard,
// idx_P is that shard's index role.
func (s treeSource) id(base string) string {
	if s.shard != "" {
		if prefix, ok := layout.IndexPrefix(base); ok {
			return layout.IndexRoleID(s.shard, prefix)
		}
	}
	return base
}

// Digest is the git blob hash of a targets-type role's file, found
// without reading it: the UI skips roles unchanged since its last build.
func (s treeSource) Digest(name string) (string, bool) {
	base, _, ok := splitMetaName(name)
	if !ok || base == layout.RoleRoot || base == layout.RoleTimestamp || base == layout.RoleSnapshot {
		return "", false
	}
	e, err := s.p.tree.Lookup(layout.RolePath(s.id(base)))
	if err != nil || !e.IsRegular() {
		return "", false
	}
	return "git:" + e.Hash.String(), true
}

// ReadTargets hands over the role the verified view parsed already.
func (s treeSource) ReadTargets(name string) ([]byte, *metadata.Metadata[metadata.TargetsType], error) {
	base, v, ok := splitMetaName(name)
	if !ok || base == layout.RoleRoot || base == layout.RoleTimestamp || base == layout.RoleSnapshot {
		return nil, nil, fmt.Errorf("%s: %w", name, webui.ErrNotExist)
	}
	r, err := s.p.view.Peek(s.id(base))
	if err != nil {
		if state.IsNotExist(err) {
			return nil, nil, fmt.Errorf("%s: %w", name, webui.ErrNotExist)
		}
		return nil, nil, err
	}
	if v > 0 && r.Meta.Signed.Version != v {
		return nil, nil, fmt.Errorf("%s: %w", name, webui.ErrNotExist)
	}
	return r.Raw, r.Meta, nil
}

// splitMetaName splits a mirror metadata file name, "3.hello.json" or
// "timestamp.json", into role and version (-1 when the name has none).
func splitMetaName(name string) (string, int64, bool) {
	base, ok := strings.CutSuffix(name, ".json")
	if !ok || strings.ContainsAny(name, "/\\") {
		return "", 0, false
	}
	var v int64 = -1
	if n, rest, ok := strings.Cut(base, "."); ok {
		if x, err := strconv.ParseInt(n, 10, 64); err == nil && x > 0 {
			v, base = x, rest
		}
	}
	return base, v, true
}

func (s treeSource) Read(name string) ([]byte, error) {
	base, v, ok := splitMetaName(name)
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, webui.ErrNotExist)
	}
	notExist := func(err error) ([]byte, error) {
		if state.IsNotExist(err) || errors.Is(err, gitstore.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", name, webui.ErrNotExist)
		}
		return nil, err
	}
	switch base {
	case layout.RoleTimestamp:
		return s.ts, nil
	case layout.RoleSnapshot:
		return s.snap, nil
	case layout.RoleRoot:
		p := layout.RootPath
		if v > 0 {
			p = layout.RootHistoryPath(v)
		}
		data, err := s.p.tree.ReadFile(p, layout.MaxRootSize)
		if err != nil {
			return notExist(err)
		}
		return data, nil
	}
	r, err := s.p.view.Peek(s.id(base))
	if err != nil {
		return notExist(err)
	}
	if v > 0 && r.Meta.Signed.Version != v {
		return nil, fmt.Errorf("%s: %w", name, webui.ErrNotExist)
	}
	return r.Raw, nil
}
