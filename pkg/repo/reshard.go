package repo

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/trust"
)

// ErrReshardBusy: open requests name index roles a reshard replaces.
var ErrReshardBusy = errors.New("open requests")

// ReshardOptions describe a reshard: raising the repository's number of
// hash shards (docs/sharding.md).
type ReshardOptions struct {
	// Shards is the new K: a power of two, more than the current count.
	Shards int
	// Keys are the admins' keys, all present at one ceremony: together
	// they must meet the threshold of targets and of the index roles
	// (the same keys sign both). Nothing is written otherwise.
	Keys []*keys.Key
	Note string
	SubmitOptions
}

// ReshardResult says what a reshard did.
type ReshardResult struct {
	Commit     string `json:"commit"` // "" with NoCommit
	FromShards int    `json:"from_shards"`
	ToShards   int    `json:"to_shards"`
	Projects   int    `json:"projects"`    // projects moved to their new shard's index
	IndexRoles int    `json:"index_roles"` // index roles written (36 per shard, more where split)
	Removed    int    `json:"removed"`     // index roles of the old layout removed
}

// Reshard raises the number of hash shards from 2^b to 2^b' as one batch
// admin change: every shard of the new count gets its own index roles
// (each project delegated from its new shard's index with exactly the
// keys, threshold and paths it had), the old index roles go, the shard
// map and tufgit.json say the new count, and targets.json is re-signed
// listing the new map. No project role, name or signature changes.
//
// The new shards publish under a new directory (sBITS/…), so no client's
// or mirror's state for an old shard meets a new shard of the same name.
// tufgit's client follows the map from the top level; a standard client
// pinned to a shard's URL needs the new URL (`tufgit shard`). Clients of a
// single-shard repository that do not read shard maps (tufgit before
// shards, or a standard client at the mirror's top level) stop updating
// after a reshard from one shard, with an error, never a wrong file.
func (s *Session) Reshard(o ReshardOptions) (*ReshardResult, error) {
	if err := s.requireRoot(); err != nil {
		return nil, err
	}
	newBits, err := ShardBits(o.Shards)
	if err != nil {
		return nil, err
	}
	oldBits := s.Config.Index.ShardBits
	if newBits <= oldBits {
		return nil, fmt.Errorf("%d shards: the repository has %d; a reshard only raises the count", o.Shards, 1<<oldBits)
	}
	if len(o.Keys) == 0 {
		return nil, errors.New("no admin key given: a reshard re-signs targets and every index role")
	}
	reqs, err := s.ListRequests()
	if err != nil {
		return nil, err
	}
	if len(reqs) > 0 {
		var ids []string
		for _, r := range reqs {
			ids = append(ids, r.ID)
		}
		return nil, fmt.Errorf("%w (%s): their index roles would not survive a reshard; sign, withdraw or prune them first", ErrReshardBusy, joinMax(ids, 5))
	}

	root, err := s.View.Root()
	if err != nil {
		return nil, err
	}
	admin, err := trust.FromRoot(root, layout.RoleTargets)
	if err != nil {
		return nil, err
	}
	cur, err := s.View.Role(layout.RoleTargets)
	if err != nil {
		return nil, err
	}
	targets, err := clone(cur.Meta)
	if err != nil {
		return nil, err
	}
	// The index roles' delegation from targets: one entry per first
	// character, the same in every shard and at every count.
	idxDeleg := map[string]bool{}
	if targets.Signed.Delegations != nil {
		for _, r := range targets.Signed.Delegations.Roles {
			idxDeleg[r.Name] = true
		}
	}

	// Every project delegation of the current index, as it stands.
	oldIdx, err := s.indexRoles()
	if err != nil {
		return nil, err
	}
	type entry struct {
		role metadata.DelegatedRole
		keys map[string]*metadata.Key
	}
	projects := map[string]entry{}
	for _, id := range oldIdx {
		r, err := s.View.Role(id)
		if err != nil {
			return nil, fmt.Errorf("index role %s: %w", id, err)
		}
		d := r.Meta.Signed.Delegations
		if d == nil {
			continue
		}
		for _, dr := range d.Roles {
			if layout.RoleKind(dr.Name) != layout.KindProjectRole {
				continue
			}
			if _, dup := projects[dr.Name]; dup {
				return nil, fmt.Errorf("project %s is delegated by two index roles; run tufgit verify", dr.Name)
			}
			ks := map[string]*metadata.Key{}
			for _, kid := range dr.KeyIDs {
				if k := d.Keys[kid]; k != nil {
					ks[kid] = k
				}
			}
			projects[dr.Name] = entry{dr, ks}
		}
	}

	// The new index: per shard, per first character, planned as a split
	// would (layout.PlanIndex), so no index role exceeds max_projects.
	byRoot := map[string][]string{} // shard/first char -> projects
	for name := range projects {
		k := layout.IndexRoleID(layout.ProjectShard(name, newBits), name[:1])
		byRoot[k] = append(byRoot[k], name)
	}
	roles := map[string]*metadata.Metadata[metadata.TargetsType]{}
	for _, shard := range layout.ShardNames(newBits) {
		for _, c := range layout.FirstChars {
			plan := layout.PlanIndex(string(c), byRoot[layout.IndexRoleID(shard, string(c))], s.Config.Index.MaxProjects)
			for _, node := range plan {
				id := layout.IndexRoleID(shard, node.Prefix)
				m := metadata.Targets(layout.ExpiresAt(s.Now, s.Config.Expiry.For(id)))
				m.Signed.Version = 1
				if r, err := s.View.Role(id); err == nil {
					// The same id at the old count (widths agree): its
					// versions go on growing.
					m.Signed.Version = r.Meta.Signed.Version + 1
				}
				del := &metadata.Delegations{Keys: map[string]*metadata.Key{}}
				indexDelegations(del, node, admin, func(p string) (metadata.DelegatedRole, map[string]*metadata.Key) {
					return projects[p].role, projects[p].keys
				})
				if len(del.Roles) > 0 {
					m.Signed.Delegations = del
				}
				roles[id] = m
			}
		}
	}

	// The map, the config and targets.
	mapRaw, err := layout.EncodeShardMap(layout.DefaultShardMap(newBits))
	if err != nil {
		return nil, err
	}
	tf, err := metadata.TargetFile().FromBytes(layout.ShardMapTarget, mapRaw, "sha256", "sha512")
	if err != nil {
		return nil, err
	}
	targets.Signed.Targets[layout.ShardMapTarget] = tf
	targets.Signed.Version++
	targets.Signed.Expires = layout.ExpiresAt(s.Now, s.Config.Expiry.For(layout.RoleTargets))
	targets.Signatures = nil
	cfg := *s.Config
	cfg.Index.ShardBits = newBits
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfgRaw, err := layout.EncodeFile(cfg)
	if err != nil {
		return nil, err
	}

	// Sign everything with every key given, then count: one ceremony,
	// applied whole or not at all.
	ids := slices.Sorted(maps.Keys(roles))
	for _, k := range o.Keys {
		if !k.CanSign() {
			return nil, fmt.Errorf("key %s: a public key cannot sign", k.ID)
		}
		if !slices.Contains(admin.KeyIDs, k.ID) {
			return nil, fmt.Errorf("key %s is not one of the targets keys root lists; a reshard is signed by the admins", k.ID)
		}
		if err := sign(targets, k); err != nil {
			return nil, fmt.Errorf("targets: %w", err)
		}
		for _, id := range ids {
			if err := sign(roles[id], k); err != nil {
				return nil, fmt.Errorf("role %s: %w", id, err)
			}
		}
	}
	if c := trust.Check(admin, targets, targets.Signatures); !c.Met {
		return nil, fmt.Errorf("targets needs %d of its %d keys' signatures and %d signed: a reshard is one ceremony, so pass every admin's --key (nothing written)", admin.Threshold, len(admin.KeyIDs), len(c.Valid))
	}
	for _, id := range ids {
		d := admin // a child index role: delegated with the admin keys above
		if idxDeleg[layout.RoleName(id)] {
			if d, err = trust.FromTargets(targets, layout.RoleName(id)); err != nil {
				return nil, err
			}
		}
		if c := trust.Check(d, roles[id], roles[id].Signatures); !c.Met {
			return nil, fmt.Errorf("index role %s needs %d signatures and %d signed: pass every admin's --key (nothing written)", id, d.Threshold, len(c.Valid))
		}
	}

	var changes []gitstore.FileChange
	put := func(p string, data []byte) { changes = append(changes, gitstore.FileChange{Path: p, Data: data}) }
	for _, id := range oldIdx {
		if _, kept := roles[id]; !kept {
			put(layout.RolePath(id), nil)
		}
	}
	for _, id := range ids {
		raw, err := encode(roles[id])
		if err != nil {
			return nil, err
		}
		put(layout.RolePath(id), raw)
	}
	raw, err := encode(targets)
	if err != nil {
		return nil, err
	}
	put(layout.TargetsPath, raw)
	put(layout.ShardMapPath, mapRaw)
	put(layout.ConfigPath, cfgRaw)

	res := &ReshardResult{FromShards: 1 << oldBits, ToShards: 1 << newBits, Projects: len(projects), IndexRoles: len(ids)}
	for _, id := range oldIdx {
		if _, kept := roles[id]; !kept {
			res.Removed++
		}
	}
	msg := fmt.Sprintf("reshard: %d → %d hash shards\n\n%d projects moved to their shard's index, %d index roles written, %d removed; targets v%d lists the new shard map. No project role changed.\n",
		res.FromShards, res.ToShards, res.Projects, res.IndexRoles, res.Removed, targets.Signed.Version)
	if o.Note != "" {
		msg += "\n" + o.Note + "\n"
	}
	h, err := s.commit(changes, msg, o.NoCommit)
	if err != nil {
		return nil, err
	}
	res.Commit = h.String()
	return res, nil
}

// joinMax joins at most n strings, saying how many more there are.
func joinMax(s []string, n int) string {
	if len(s) <= n {
		return fmt.Sprint(s)
	}
	return fmt.Sprintf("%v and %d more", s[:n], len(s)-n)
}
