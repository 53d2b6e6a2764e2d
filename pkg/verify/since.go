package verify

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
)

// Since verifies the move from commit old to commit new. It assumes old
// was valid (as the pre-receive hook guarantees for the branches it
// protects) and checks only what changed: each changed file, each role
// whose delegation changed, and the transition rules (versions grow, root
// history and artifacts are append-only, published releases are
// immutable, nothing still delegated is deleted). Its cost grows with the
// change, not with the repository. A change to root falls back to a full
// verification of new, plus the transition rules.
func Since(repo *gitstore.Repo, old, new gitstore.Hash, opts Options) (*Report, error) {
	c, err := newChecker(repo, new, opts)
	if err != nil {
		return nil, err
	}
	c.rep.Since = old.String()
	oldTree, err := repo.TreeAt(old)
	if err != nil {
		return nil, err
	}
	changes, err := gitstore.Diff(oldTree, c.tree, c.badName)
	if errors.Is(err, gitstore.ErrBadTree) {
		c.rep.add("", "", CodeLayout, "%s", err)
		c.rep.finish()
		return c.rep, nil
	}
	if err != nil {
		return nil, fmt.Errorf("diff %s..%s: %w", old, new, err)
	}
	t := &transition{c: c, oldTree: oldTree, oldView: state.New(oldTree), changes: changes}
	if err := t.run(); err != nil {
		return nil, err
	}
	if err := opts.interrupted(); err != nil {
		return nil, err
	}
	c.rep.Stats.Changes = len(changes)
	c.rep.Stats.MetadataReads = c.view.Reads + t.oldView.Reads
	c.rep.finish()
	return c.rep, nil
}

type transition struct {
	c       *checker
	oldTree *gitstore.Tree
	oldView *state.View
	changes []gitstore.Change

	roles     map[string]gitstore.ChangeAction // targets-type role files that changed
	history   []layout.Entry                   // added root history files
	requests  map[string]bool
	projCfgs  map[string]bool
	artifacts map[string]gitstore.ChangeAction // sha256 -> action
	// retiredAdded: projects whose retired role file this change adds
	retiredAdded map[string]bool
	root         bool
	config       bool
	// shards: the shard map or index.shard_bits changed, which moves
	// every index role: the whole tree is checked.
	shards bool
}

func (t *transition) run() error {
	c := t.c
	t.roles = map[string]gitstore.ChangeAction{}
	t.requests = map[string]bool{}
	t.projCfgs = map[string]bool{}
	t.artifacts = map[string]gitstore.ChangeAction{}
	t.retiredAdded = map[string]bool{}
	for _, ch := range t.changes {
		var le layout.Entry
		if ch.Action == gitstore.Deleted {
			var err error
			if le, err = layout.Classify(ch.Path); err != nil {
				continue // removing a file that never belonged is fine
			}
		} else {
			var ok bool
			if le, ok = c.classify(ch.New); !ok {
				continue
			}
		}
		switch le.Kind {
		case layout.KindConfig:
			t.config = true
		case layout.KindRoot:
			t.root = true
		case layout.KindRootHistory:
			t.root = true
			if ch.Action != gitstore.Added {
				c.rep.add(ch.Path, layout.RoleRoot, CodeImmutable, "root history is append-only: a published root version was %s", ch.Action)
			} else {
				t.history = append(t.history, le)
			}
		case layout.KindTargets, layout.KindIndexRole, layout.KindProjectRole:
			t.roles[le.Role] = ch.Action
		case layout.KindShardMap:
			t.shards = true
		case layout.KindProjectConfig:
			if ch.Action != gitstore.Deleted {
				t.projCfgs[le.Project] = true
			}
		case layout.KindRequest, layout.KindRequestRole, layout.KindRequestArtifact, layout.KindRequestProjectConfig, layout.KindRequestWithdrawal:
			t.requests[le.Request] = true
		case layout.KindRetiredRole:
			t.checkRetiredTransition(ch, le)
		case layout.KindArtifact:
			t.artifacts[le.SHA256] = ch.Action
			if ch.Action != gitstore.Added {
				c.rep.add(ch.Path, "", CodeImmutable, "artifacts are append-only: a stored artifact was %s", ch.Action)
			}
		}
	}

	storeChanged, closeStore := false, func() {}
	if t.config {
		storeChanged, closeStore = t.checkStoreChange()
	}
	defer closeStore()

	oldRoot, oldRootErr := t.oldView.Root()
	if !t.shards && t.config && t.oldView.ShardBits() != c.view.ShardBits() {
		t.shards = true
	}
	if oldRootErr != nil || t.root || storeChanged || t.shards {
		// A new root (or the first one) changes who may sign everything:
		// check the whole tree, then the transition rules.
		if err := c.full(); err != nil {
			return err
		}
		if oldRootErr == nil {
			t.checkRootTransition(oldRoot)
			t.checkMoves()
		}
		t.checkRequestTransitions()
		t.checkRoleVersions()
		t.checkReleasesImmutable()
		t.checkFrozenKeys()
		return nil
	}
	c.rep.Stats.Mode = "incremental"
	c.rep.Initialized = true
	c.loadConfig()
	root, err := c.view.Root()
	if err != nil {
		c.rep.add(layout.RootPath, layout.RoleRoot, CodeFormat, "%v", unwrapParse(err))
		return nil
	}
	if root.Signed.IsExpired(c.now) {
		c.rep.expired(layout.RootPath, layout.RoleRoot, root.Signed.Expires, c.now)
	}
	admin, err := trust.FromRoot(root, layout.RoleTargets)
	if err != nil {
		c.rep.add(layout.RootPath, layout.RoleRoot, CodeKeys, "%v", err)
		return nil
	}
	t.checkRoleVersions()
	t.checkReleasesImmutable()
	t.checkRetiredReleases()
	t.checkFrozenKeys()
	t.checkMoves()
	t.checkRequestTransitions()

	// Roles to re-check: each changed role file, and each role whose
	// delegation entry changed in a changed delegator.
	recheck := map[string]bool{}
	for name, action := range t.roles {
		if action != gitstore.Deleted {
			recheck[name] = true
		}
	}
	for name, action := range t.roles {
		if action == gitstore.Deleted || layout.RoleKind(name) == layout.KindProjectRole {
			continue
		}
		t.expandDelegations(name, recheck)
	}
	refs := map[string]*target{}
	names := slices.Sorted(maps.Keys(recheck))
	sort.Slice(names, func(i, j int) bool { return layout.RoleOrder(names[i]) < layout.RoleOrder(names[j]) })
	for _, name := range names {
		p := layout.RolePath(name)
		d, parent, err := c.view.Delegation(name)
		if err != nil {
			if _, rerr := c.view.Role(name); state.IsNotExist(rerr) {
				continue // the delegation is gone and so is the file
			}
			c.rep.add(p, name, CodeOrphan, "no role delegates %s, so no client can reach this file (%v)", name, err)
			continue
		}
		rc := roleCheck{view: c.view, path: p, admin: admin, refs: map[string]*target{}}
		r := c.checkRole(rc, name, d)
		if r == nil {
			if _, err := c.view.Role(name); state.IsNotExist(err) && layout.RoleKind(name) == layout.KindIndexRole {
				c.rep.add(p, name, CodeMissing, "%s delegates %s, but its metadata is missing", parent, name)
			}
			continue
		}
		if layout.RoleKind(name) == layout.KindProjectRole && t.roles[name] != 0 {
			// Only targets that are new in this change need their artifacts read.
			oldTargets := map[string]*metadata.TargetFiles{}
			if or, err := t.oldView.Role(name); err == nil {
				oldTargets = or.Meta.Signed.Targets
			}
			for sha, tg := range rc.refs {
				if o, ok := oldTargets[tg.path]; ok && o.Equal(*tg.file) {
					continue
				}
				refs[sha] = tg
			}
		}
	}
	for sha, tg := range refs {
		c.checkArtifact(sha, tg)
	}
	// Deleted role files must not be delegated any more, and a removed
	// project's role is retired, not lost.
	for name, action := range t.roles {
		if action != gitstore.Deleted {
			continue
		}
		if _, parent, err := c.view.Delegation(name); err == nil {
			c.rep.add(layout.RolePath(name), name, CodeMissing, "was deleted, but %s still delegates %s", parent, name)
			continue
		}
		if layout.RoleKind(name) == layout.KindProjectRole && !t.retiredAdded[name] {
			// Each removal adds its own record (a name removed before
			// has one already: that one is not this removal's).
			want, err := NextRetiredPath(c.tree, name)
			if err != nil {
				want = err.Error()
			}
			c.rep.add(layout.RolePath(name), name, CodeMissing, "project %s was removed without keeping its last metadata at %s (its releases and version must stay on record)", name, want)
		}
	}
	// Added artifacts must be listed by a target added in this change.
	for sha, action := range t.artifacts {
		if action != gitstore.Added {
			continue
		}
		if _, ok := refs[sha]; !ok {
			c.rep.add(layout.ArtifactPath(sha), "", CodeOrphan, "no target added in this change lists this artifact")
		}
	}
	for _, id := range slices.Sorted(maps.Keys(t.requests)) {
		if ok, _ := c.tree.Exists(layout.RequestDir(id)); ok {
			c.checkRequest(id)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(t.projCfgs)) {
		c.checkProjectConfig(name)
	}
	if t.config {
		c.checkOnlineKeyID(root)
	}
	if tr, err := c.view.Role(layout.RoleTargets); err == nil && t.roles[layout.RoleTargets] == 0 && tr.Meta.Signed.IsExpired(c.now) {
		c.rep.expired(layout.TargetsPath, layout.RoleTargets, tr.Meta.Signed.Expires, c.now)
	}
	return nil
}

// checkStoreChange handles a change of artifacts.store. tufgit.json is
// unsigned, so anyone who can push may change it; pointing it at an
// unreachable or empty bucket would leave main ahead of a mirror that can
// never be published. A new store is accepted only when it opens and then
// holds every artifact the signed targets list, with the signed length and
// hashes: the caller falls back to a full check with artifacts read from
// the new store (an embedded "git" store is read from the tree). It
// reports whether the store changed.
func (t *transition) checkStoreChange() (bool, func()) {
	c := t.c
	none := func() {}
	newCfg, err := c.view.Config() // the same parse loadConfig reports on
	if err != nil {
		return false, none // reported by loadConfig
	}
	// The old store is read without Validate: an old config that today's
	// bounds refuse must not hide a move of the store. One that can not
	// be read at all counts as a move.
	var oldCfg layout.Config
	if raw, err := t.oldTree.ReadFile(layout.ConfigPath, layout.MaxConfigSize); err == nil && layout.DecodeStrict(raw, &oldCfg) == nil &&
		newCfg.Artifacts.Store == oldCfg.Artifacts.Store {
		return false, none
	}
	c.opts.SkipArtifacts = false
	c.opts.Store = nil
	if newCfg.Artifacts.Store == "git" {
		return true, none
	}
	if c.opts.OpenStore == nil {
		c.rep.add(layout.ConfigPath, "", CodeConfig, "artifacts.store changes from %q to %s, which this check cannot read; "+
			"a new store is accepted only once it is shown to hold every artifact (run verify --check-store, or push to the hook)",
			oldCfg.Artifacts.Store, newCfg.Artifacts.Store)
		return true, none
	}
	src, err := c.opts.OpenStore(c.opts.ctx(), newCfg.Artifacts.Store)
	if err != nil {
		c.rep.add(layout.ConfigPath, "", CodeConfig, "artifacts.store changes to %s, which cannot be reached: %v", newCfg.Artifacts.Store, err)
		return true, none
	}
	c.opts.Store = src
	return true, func() {
		if cl, ok := src.(io.Closer); ok {
			cl.Close()
		}
	}
}

// checkOnlineKeyID checks that the config's online_key.keyid (a label for
// people: the publisher never signs with a key named in the tree) is
// root's timestamp key.
func (c *checker) checkOnlineKeyID(root *metadata.Metadata[metadata.RootType]) {
	if c.cfg != nil && c.cfg.OnlineKey.KeyID != "" && !onlineKeyListed(root, c.cfg.OnlineKey.KeyID) {
		c.rep.add(layout.ConfigPath, "", CodeConfig, "online_key.keyid %s is not a timestamp key in root", trust.Short(c.cfg.OnlineKey.KeyID))
	}
}

func onlineKeyListed(root *metadata.Metadata[metadata.RootType], id string) bool {
	if r := root.Signed.Roles[layout.RoleTimestamp]; r != nil {
		for _, k := range r.KeyIDs {
			if k == id {
				return true
			}
		}
	}
	return false
}

// expandDelegations adds to recheck each role whose delegation entry in
// the changed delegator name differs from before, and reports roles whose
// delegation was removed but whose file is still reachable nowhere.
func (t *transition) expandDelegations(name string, recheck map[string]bool) {
	c := t.c
	nr, err := c.view.Role(name)
	if err != nil {
		return
	}
	var oldMeta *metadata.Metadata[metadata.TargetsType]
	if or, err := t.oldView.Role(name); err == nil {
		oldMeta = or.Meta
	}
	now := map[string]bool{}
	if nr.Meta.Signed.Delegations != nil {
		for _, r := range nr.Meta.Signed.Delegations.Roles {
			now[r.Name] = true
			k := layout.RoleKind(r.Name)
			if k != layout.KindIndexRole && k != layout.KindProjectRole {
				continue
			}
			dn, _ := trust.FromTargets(nr.Meta, r.Name)
			var do *trust.Delegation
			if oldMeta != nil {
				do, _ = trust.FromTargets(oldMeta, r.Name)
			}
			if do == nil || !dn.Equal(do) {
				for _, id := range c.view.ChildIDs(name, r.Name) {
					recheck[id] = true
				}
			}
		}
	}
	if oldMeta == nil || oldMeta.Signed.Delegations == nil {
		return
	}
	for _, r := range oldMeta.Signed.Delegations.Roles {
		if now[r.Name] {
			continue
		}
		// Removed here. Fine if it moved (an index split) or if its file
		// and project config are gone too.
		ids := c.view.ChildIDs(name, r.Name)
		if len(ids) == 1 {
			if _, _, err := c.view.Delegation(ids[0]); err == nil {
				continue
			}
		}
		for _, id := range ids {
			if ok, _ := c.tree.Exists(layout.RolePath(id)); ok {
				c.rep.add(layout.RolePath(id), id, CodeOrphan, "%s no longer delegates %s, but its metadata is still here", name, id)
			}
		}
		if layout.RoleKind(r.Name) == layout.KindProjectRole {
			if ok, _ := c.tree.Exists(layout.ProjectConfigPath(r.Name)); ok {
				c.rep.add(layout.ProjectConfigPath(r.Name), r.Name, CodeOrphan, "%s no longer delegates %s, but its project config is still here", name, r.Name)
			}
		}
	}
}

// checkMoves: a project moved between index roles keeps its delegation.
func (t *transition) checkMoves() {
	var changed []string
	for name, action := range t.roles {
		if action != gitstore.Deleted {
			changed = append(changed, name)
		}
	}
	sort.Strings(changed)
	checkMoves(t.c.rep, t.oldView, t.c.view, changed, layout.RolePath)
}

// checkRoleVersions: every changed targets-type role's version grows.
func (t *transition) checkRoleVersions() {
	c := t.c
	for name, action := range t.roles {
		if action != gitstore.Modified {
			continue
		}
		or, oerr := t.oldView.Role(name)
		nr, nerr := c.view.Role(name)
		if oerr != nil || nerr != nil {
			continue // unreadable: reported elsewhere
		}
		if nr.Meta.Signed.Version <= or.Meta.Signed.Version {
			c.rep.add(layout.RolePath(name), name, CodeVersion, "version went from %d to %d; a changed role's version must grow", or.Meta.Signed.Version, nr.Meta.Signed.Version)
		}
	}
}

// checkReleasesImmutable: a target once published keeps its bytes and is
// never removed (yanking is how a release is withdrawn).
func (t *transition) checkReleasesImmutable() {
	c := t.c
	for name, action := range t.roles {
		if layout.RoleKind(name) != layout.KindProjectRole {
			continue
		}
		or, err := t.oldView.Role(name)
		if err != nil {
			continue
		}
		var newTargets map[string]*metadata.TargetFiles
		if action != gitstore.Deleted {
			nr, err := c.view.Role(name)
			if err != nil {
				continue
			}
			newTargets = nr.Meta.Signed.Targets
		}
		for _, p := range slices.Sorted(maps.Keys(or.Meta.Signed.Targets)) {
			o := or.Meta.Signed.Targets[p]
			n, ok := newTargets[p]
			switch {
			case !ok && action != gitstore.Deleted && t.retiredAdded[name]:
				// Removed and created again within this change: the
				// old releases are on record in the retired role
				// (checkRetiredTransition), reserved (checkRetiredReleases).
			case !ok && action != gitstore.Deleted:
				c.rep.add(layout.RolePath(name), name, CodeImmutable, "removes published target %s; releases are immutable (yank it instead)", p)
			case ok && (n.Length != o.Length || !n.Hashes.Equal(o.Hashes)):
				c.rep.add(layout.RolePath(name), name, CodeImmutable, "changes the bytes of published target %s (sha256 %s → %s); releases are immutable",
					p, hex.EncodeToString(o.Hashes["sha256"])[:12], hex.EncodeToString(n.Hashes["sha256"])[:12])
			}
		}
	}
}

// checkRetiredReleases: a changed project role of a name that was removed
// before keeps the releases its retired role lists (one read of the
// retired file per changed project role; the full check does the same
// from each retired file).
func (t *transition) checkRetiredReleases() {
	for _, name := range slices.Sorted(maps.Keys(t.roles)) {
		if t.roles[name] == gitstore.Deleted || layout.RoleKind(name) != layout.KindProjectRole {
			continue
		}
		t.c.checkRetiredReleases(t.c.tree, t.c.view, layout.RolePath(name), name)
	}
}

// checkRootTransition: root history grows by whole versions from the old
// root, each signed by the previous root's threshold.
func (t *transition) checkRootTransition(oldRoot *metadata.Metadata[metadata.RootType]) {
	c := t.c
	sort.Slice(t.history, func(i, j int) bool { return t.history[i].Version < t.history[j].Version })
	for i, e := range t.history {
		if want := oldRoot.Signed.Version + 1 + int64(i); e.Version != want {
			c.rep.add(layout.RootHistoryPath(e.Version), layout.RoleRoot, CodeVersion, "root moved from version %d; the next root must be version %d", oldRoot.Signed.Version, want)
			return
		}
	}
	newRoot, err := c.view.Root()
	if err == nil && newRoot.Signed.Version < oldRoot.Signed.Version {
		c.rep.add(layout.RootPath, layout.RoleRoot, CodeVersion, "root went back from version %d to %d", oldRoot.Signed.Version, newRoot.Signed.Version)
	}
}
