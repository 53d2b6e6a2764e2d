package verify

import (
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
)

// roleCheck is the context of checking one targets-type role.
type roleCheck struct {
	view    *state.View
	path    string            // the file to name in problems
	pending bool              // a proposal in a request: an unmet threshold is not a problem
	admin   *trust.Delegation // root's delegation of targets; index roles use the same signers
	// refs collects the role's targets by artifact sha256.
	refs map[string]*target
}

type target struct {
	path string
	file *metadata.TargetFiles
}

func unwrapParse(err error) error {
	var pe *state.ParseError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// checkRole checks one targets-type role against the delegation d. It
// returns nil when the file is missing (the caller decides whether that is
// allowed) or unreadable (reported here).
func (c *checker) checkRole(rc roleCheck, name string, d *trust.Delegation) *state.Role {
	r, err := rc.view.Role(name)
	return c.judgeRole(rc, name, d, &prepared{role: r, err: err})
}

// prepared is the part of checking a role that depends on nothing but the
// file and its delegation: parsing, the signature check, and the check of
// the keys it delegates to. It can run on any goroutine (prepareRole);
// judgeRole turns it into problems, in order, on the checker's.
type prepared struct {
	role *state.Role
	err  error
	sigs *trust.Signatures // nil: not computed yet
	// keyErrs is trust.CheckKeys of the role's delegation keys, when
	// keysDone.
	keyErrs  []error
	keysDone bool
}

// prepareRole parses raw (as read for name, or the read's error) and
// checks its signatures against d. Safe for concurrent use: it touches
// nothing shared but read-only delegations.
func prepareRole(name string, raw []byte, readErr error, d *trust.Delegation) *prepared {
	if readErr != nil {
		return &prepared{err: readErr}
	}
	r, err := state.ParseRole(name, raw)
	if err != nil {
		return &prepared{err: err}
	}
	p := &prepared{role: r}
	s := trust.Check(d, r.Meta, r.Meta.Signatures)
	p.sigs = &s
	if del := r.Meta.Signed.Delegations; del != nil && layout.RoleKind(name) != layout.KindProjectRole {
		p.keyErrs, p.keysDone = trust.CheckKeys(del.Keys), true
	}
	return p
}

// judgeRole reports what a prepared check of one role found.
func (c *checker) judgeRole(rc roleCheck, name string, d *trust.Delegation, pr *prepared) *state.Role {
	r, err := pr.role, pr.err
	if err != nil {
		if !state.IsNotExist(err) {
			c.rep.add(rc.path, name, CodeFormat, "%v", unwrapParse(err))
			if !rc.pending {
				c.broken[name] = true
			}
		}
		return nil
	}
	c.rep.Stats.RolesChecked++
	m := r.Meta
	if m.Signed.Version < 1 {
		c.rep.add(rc.path, name, CodeVersion, "version %d is not positive", m.Signed.Version)
	}
	if !strings.HasPrefix(m.Signed.SpecVersion, "1.") {
		c.rep.add(rc.path, name, CodeFormat, "spec_version %q is not a TUF 1.x version", m.Signed.SpecVersion)
	}
	if pr.sigs == nil {
		s := trust.Check(d, m, m.Signatures)
		pr.sigs = &s
	}
	c.signatureProblems(rc.path, name, *pr.sigs, rc.pending, "")
	if !rc.pending && m.Signed.IsExpired(c.now) {
		c.rep.expired(rc.path, name, m.Signed.Expires, c.now)
	}
	c.checkExpiryCap(rc.path, name, m.Signed.Expires, rc.pending)
	switch layout.RoleKind(name) {
	case layout.KindTargets:
		c.checkIndexStructure(rc, name, "", m, pr)
	case layout.KindIndexRole:
		prefix, _ := layout.IndexPrefix(name)
		c.checkIndexStructure(rc, name, prefix, m, pr)
	case layout.KindProjectRole:
		c.checkProjectRole(rc, name, d, m)
	}
	return r
}

// checkExpiryCap refuses an expiry further ahead of the check's time than
// layout.MaxSignedExpiry allows for the role (plus ExpiryClockSkew for a
// signer whose clock runs ahead). The cap on tufgit.json's periods binds
// only what tufgit proposes; this binds what anyone signs, so a signed
// request or a hand-made push can not give a role a century.
func (c *checker) checkExpiryCap(path, role string, expires time.Time, pending bool) {
	if msg := ExpiryCapProblem(role, expires, c.now, pending); msg != "" {
		c.rep.add(path, role, CodeExpiry, "%s", msg)
	}
}

// ExpiryCapProblem says what is wrong with a role (proposed in a request
// when pending) that expires further ahead of now than
// layout.MaxSignedExpiry allows, with the command that fixes it; "" when
// the expiry is within the cap.
func ExpiryCapProblem(role string, expires, now time.Time, pending bool) string {
	limit := layout.MaxSignedExpiry(role)
	if !expires.After(now.Add(limit + layout.ExpiryClockSkew)) {
		return ""
	}
	hint := "sign it again with a nearer expiry: `tufgit renew " + role + "`"
	switch {
	case pending:
		hint = "withdraw the request and propose it again within the cap"
	case role == layout.RoleRoot:
		hint = "sign it again with a nearer expiry: `tufgit root update --renew`"
	case layout.RoleKind(role) == layout.KindIndexRole:
		hint = "sign it again with a nearer expiry: `tufgit renew index`"
	}
	days := int64(expires.Sub(now).Hours() / 24)
	return fmt.Sprintf("expires %s, %d days from now; tufgit caps the expiry of %s at %s from the time it is checked: %s",
		expires.UTC().Format(time.RFC3339), days, role, layout.Duration(limit), hint)
}

// checkIndexStructure checks that targets or an index role delegates the
// way the layout says: targets to one-character index roles, an index role
// with prefix P to index roles P+c and to projects starting with P that no
// child index role covers, each with exactly its one path pattern.
func (c *checker) checkIndexStructure(rc roleCheck, name, prefix string, m *metadata.Metadata[metadata.TargetsType], pr *prepared) {
	if name == layout.RoleTargets {
		c.checkShardMap(rc, m)
	} else if len(m.Signed.Targets) > 0 {
		c.rep.add(rc.path, name, CodeDelegation, "lists %d target(s); only project roles may list targets", len(m.Signed.Targets))
	}
	bits := rc.view.ShardBits()
	shard := layout.RoleShard(name)
	del := m.Signed.Delegations
	if del == nil {
		return
	}
	if del.SuccinctRoles != nil {
		c.rep.add(rc.path, name, CodeDelegation, "uses succinct_roles; tufgit's layout delegates by name prefix (see metadata-layout/README.md)")
	}
	if !pr.keysDone {
		pr.keyErrs, pr.keysDone = trust.CheckKeys(del.Keys), true
	}
	for _, err := range pr.keyErrs {
		c.rep.add(rc.path, name, CodeKeys, "%v", err)
	}
	children := map[string]bool{}
	for _, r := range del.Roles {
		if cp, ok := layout.IndexPrefix(r.Name); ok {
			children[cp] = true
		}
	}
	used := map[string]bool{}
	seen := map[string]bool{}
	for _, r := range del.Roles {
		if seen[r.Name] {
			c.rep.add(rc.path, name, CodeDelegation, "delegates %s more than once", r.Name)
			continue
		}
		seen[r.Name] = true
		for _, id := range r.KeyIDs {
			used[id] = true
		}
		for _, err := range trust.CheckRoleKeys(r.Name, r.KeyIDs, r.Threshold, del.Keys) {
			c.rep.add(rc.path, name, CodeKeys, "%v", err)
		}
		if len(r.PathHashPrefixes) > 0 {
			c.rep.add(rc.path, name, CodeDelegation, "delegation to %s uses path_hash_prefixes; tufgit delegates by path pattern", r.Name)
		}
		if !r.Terminating {
			c.rep.add(rc.path, name, CodeDelegation, "delegation to %s must be terminating", r.Name)
		}
		if cp, ok := layout.IndexPrefix(r.Name); ok {
			if len(cp) != len(prefix)+1 || !strings.HasPrefix(cp, prefix) {
				c.rep.add(rc.path, name, CodeDelegation, "delegates index role %s; %s may delegate only index roles one character longer than %q", r.Name, name, prefix)
			}
			if !onePath(r.Paths, layout.IndexPathPattern(cp)) {
				c.rep.add(rc.path, name, CodeDelegation, "delegation to %s must have exactly the path %q", r.Name, layout.IndexPathPattern(cp))
			}
			if rc.admin != nil {
				d, _ := trust.FromTargets(m, r.Name)
				if !sameSigners(d, rc.admin) {
					c.rep.add(rc.path, name, CodeDelegation, "index role %s must be signed by the same keys and threshold as targets (the admins' offline keys)", r.Name)
				}
			}
			continue
		}
		if layout.IsNormalizedProjectName(r.Name) {
			switch {
			case name == layout.RoleTargets:
				c.rep.add(rc.path, name, CodeDelegation, "delegates project %s directly; projects belong in index role %s", r.Name, layout.IndexRoleID(layout.ProjectShard(r.Name, bits), r.Name[:1]))
			case layout.ProjectShard(r.Name, bits) != shard:
				c.rep.add(rc.path, name, CodeDelegation, "delegates project %s, which belongs in shard %s, not %s (index.shard_bits %d)", r.Name, layout.ProjectShard(r.Name, bits), shard, bits)
			case !strings.HasPrefix(r.Name, prefix):
				c.rep.add(rc.path, name, CodeDelegation, "delegates project %s, which does not start with %q", r.Name, prefix)
			case len(r.Name) > len(prefix) && children[r.Name[:len(prefix)+1]]:
				c.rep.add(rc.path, name, CodeDelegation, "delegates project %s, which belongs in child index role %s", r.Name, layout.IndexRoleID(shard, r.Name[:len(prefix)+1]))
			}
			if !onePath(r.Paths, layout.ProjectPathPattern(r.Name)) {
				c.rep.add(rc.path, name, CodeDelegation, "delegation to %s must have exactly the path %q", r.Name, layout.ProjectPathPattern(r.Name))
			}
			continue
		}
		c.rep.add(rc.path, name, CodeDelegation, "delegates %q, which is neither an index role nor a normalized project name", r.Name)
	}
	for id := range del.Keys {
		if !used[id] {
			c.rep.add(rc.path, name, CodeKeys, "lists key %s, which no delegation uses", trust.Short(id))
		}
	}
}

func onePath(paths []string, want string) bool { return len(paths) == 1 && paths[0] == want }

// sameSigners reports whether two delegations name the same key material
// and threshold.
func sameSigners(a, b *trust.Delegation) bool {
	if a == nil || b == nil {
		return false
	}
	x, y := *a, *b
	x.Paths, y.Paths = nil, nil
	x.Role, y.Role = "", ""
	x.Terminating, y.Terminating = false, false
	return x.Equal(&y)
}

// checkProjectRole checks a project role's targets.
func (c *checker) checkProjectRole(rc roleCheck, name string, d *trust.Delegation, m *metadata.Metadata[metadata.TargetsType]) {
	if del := m.Signed.Delegations; del != nil && (len(del.Roles) > 0 || del.SuccinctRoles != nil || len(del.Keys) > 0) {
		c.rep.add(rc.path, name, CodeDelegation, "project roles may not delegate further")
	}
	dr := &metadata.DelegatedRole{Name: name, Paths: d.Paths}
	versions := map[string]bool{}
	for p, tf := range m.Signed.Targets {
		c.rep.Stats.Targets++
		proj, version, _, err := layout.ParseTargetPath(p)
		if err != nil {
			c.rep.add(rc.path, name, CodeDelegation, "%v", err)
			continue
		}
		versions[version] = true
		if ok, _ := dr.IsDelegatedPath(p); !ok || proj != name {
			c.rep.add(rc.path, name, CodeDelegation, "target %s is outside the paths delegated to %s (%s)", p, name, strings.Join(d.Paths, ", "))
			continue
		}
		if tf == nil {
			c.rep.add(rc.path, name, CodeFormat, "target %s is null", p)
			continue
		}
		if msg := checkTargetFile(tf); msg != "" {
			c.rep.add(rc.path, name, CodeFormat, "target %s: %s", p, msg)
			continue
		}
		if rc.refs != nil {
			rc.refs[hex.EncodeToString(tf.Hashes["sha256"])] = &target{path: p, file: tf}
		}
	}
	checkEquivalentVersions(c.rep, rc.path, name, versions)
}

// checkEquivalentVersions reports two releases of one project whose
// versions read as the same ("v1.0" and "1.0", "01.0" and "1.0"): tufgit
// never makes them, and a client could not tell which one is meant.
func checkEquivalentVersions(rep *Report, path, name string, versions map[string]bool) {
	byCanon := map[string][]string{}
	for v := range versions {
		cv := layout.CanonicalVersion(v)
		byCanon[cv] = append(byCanon[cv], v)
	}
	canons := make([]string, 0, len(byCanon))
	for cv, vs := range byCanon {
		if len(vs) > 1 {
			canons = append(canons, cv)
		}
	}
	sort.Strings(canons)
	for _, cv := range canons {
		vs := byCanon[cv]
		sort.Strings(vs)
		rep.add(path, name, CodeLayout, "releases %s are one version written %d ways (a leading v and leading zeros do not make another version)",
			strings.Join(vs, ", "), len(vs))
	}
}

// checkTargetFile checks the fields of one target entry.
func checkTargetFile(tf *metadata.TargetFiles) string {
	if tf.Length < 0 || tf.Length > layout.MaxArtifactSize {
		return "length is out of range"
	}
	if len(tf.Hashes["sha256"]) != 32 {
		return "needs a sha256 hash"
	}
	if len(tf.Hashes["sha512"]) != 64 {
		return "needs a sha512 hash"
	}
	if len(tf.Hashes) != 2 {
		return "lists hashes other than sha256 and sha512"
	}
	if tf.Custom != nil {
		if _, err := layout.ParseTargetCustom(*tf.Custom); err != nil {
			return err.Error()
		}
	}
	return ""
}

// checkDelegationTree walks every delegation from targets down, checking
// each role it reaches (full mode).
func (c *checker) checkDelegationTree(root *metadata.Metadata[metadata.RootType]) {
	admin, err := trust.FromRoot(root, layout.RoleTargets)
	if err != nil {
		return // reported by checkRootContent
	}
	rc := roleCheck{view: c.view, admin: admin, refs: map[string]*target{}}
	rc.path = layout.TargetsPath
	c.reached[layout.RoleTargets] = true
	t := c.checkRole(rc, layout.RoleTargets, admin)
	if t == nil {
		if _, err := c.view.Role(layout.RoleTargets); state.IsNotExist(err) {
			c.rep.add(layout.TargetsPath, layout.RoleTargets, CodeMissing, "metadata/targets.json is missing")
		}
		return
	}
	// Artifacts are read and hashed on a goroutine of their own, through
	// a pipeline, as the roles that list them are judged.
	if c.list != nil {
		c.artifacts = c.startArtifacts()
		defer func() {
			c.artifacts.wait()
			c.artifacts = nil
		}()
	}
	// Level by level, as before; within a level the roles are read in
	// order on one goroutine (the git seam), parsed and signature-checked
	// on every core, and judged in the same order as a sequential walk.
	level := []*state.Role{t}
	for len(level) > 0 {
		var next []*state.Role
		c.walkLevel(level, func(j *roleJob) {
			rc.path = j.path
			role := c.judgeRole(rc, j.name, j.d, j.pr)
			if j.kind == layout.KindProjectRole {
				c.rep.Stats.Projects++
			}
			if role == nil {
				if state.IsNotExist(j.pr.err) && j.kind == layout.KindIndexRole {
					c.rep.add(j.path, j.name, CodeMissing, "%s delegates %s, but its metadata is missing", j.parent, j.name)
				}
				if j.kind == layout.KindIndexRole {
					c.view.Remember(j.name, nil, j.pr.err)
				}
				return
			}
			if j.kind == layout.KindIndexRole {
				// Index roles are kept: their children need them, and so do
				// later lookups of a project's delegation. Project roles
				// are not, so memory follows the work in flight.
				// Their bytes are not: nothing in verify reads them again,
				// and at 100,000 projects they are tens of MB.
				role.Raw = nil
				c.view.Remember(j.name, role, nil)
				next = append(next, role)
			}
			// The role's artifacts now, not after the walk, so that its
			// targets are not held until the end.
			c.flushArtifacts(rc.refs)
		})
		level = next
	}
	c.flushArtifacts(rc.refs)
}

// flushArtifacts checks the artifacts of the targets collected so far,
// each sha256 once (the first target to name it), and forgets them.
func (c *checker) flushArtifacts(refs map[string]*target) {
	if len(refs) == 0 {
		return
	}
	for _, sha := range slices.Sorted(maps.Keys(refs)) {
		t := refs[sha]
		k, _ := shaKey(sha)
		if c.referenced[k] {
			continue
		}
		c.referenced[k] = true
		c.checkArtifact(sha, t)
	}
	clear(refs)
}

// checkArtifact checks that a target's artifact (sha, its sha256 in hex)
// is in the embedded store with the length and hashes the target lists.
func (c *checker) checkArtifact(sha string, t *target) {
	if c.cfg == nil {
		return // no config: reported
	}
	if c.cfg.Artifacts.Store != "git" {
		c.checkStoredArtifact(t)
		return
	}
	p := layout.ArtifactPath(sha)
	e := gitstore.Entry{Path: p, Mode: gitstore.ModeRegular}
	if c.list != nil {
		var ok bool
		k, _ := shaKey(sha)
		if e.Hash, ok = c.list.artifacts[k]; !ok {
			c.rep.add(p, state.ProjectOfPath(t.path), CodeMissing, "artifact of target %s is missing", t.path)
			return
		}
	} else {
		var err error
		if e, err = c.tree.Lookup(p); err != nil {
			c.rep.add(p, state.ProjectOfPath(t.path), CodeMissing, "artifact of target %s is missing", t.path)
			return
		}
	}
	if c.artifacts != nil && !c.opts.SkipArtifacts {
		c.rep.Stats.Artifacts++
		c.artifacts.check(e, t)
		return
	}
	c.checkArtifactAt(e, t)
}

// checkArtifacts reports stored artifacts that no signed target lists.
func (c *checker) checkArtifacts() {
	for k := range c.list.artifacts {
		if !c.referenced[k] {
			c.rep.add(layout.ArtifactPath(hex.EncodeToString(k[:])), "", CodeOrphan, "no signed target lists this artifact")
		}
	}
}

// checkProjectConfigs checks every project config the walk found (read
// through a pipeline, in order of project name), and that its project is
// delegated.
func (c *checker) checkProjectConfigs() {
	projects := slices.Sorted(maps.Keys(c.list.configs))
	p := c.repo.NewPipeline()
	defer p.Close()
	const window = 128
	asked := 0
	for i, project := range projects {
		for ; asked < len(projects) && asked < i+window; asked++ {
			p.Ask(c.list.configs[projects[asked]], layout.MaxConfigSize, layout.ProjectConfigPath(projects[asked]))
		}
		raw, err := c.next(p)
		c.checkProjectConfigData(project, raw, err)
	}
}

// next reads the next reply of a pipeline, under gitMu when it reads
// through go-git.
func (c *checker) next(p *gitstore.Pipeline) ([]byte, error) {
	if !p.UsesGit() {
		c.gitMu.Lock()
		defer c.gitMu.Unlock()
	}
	return p.Next()
}

// checkProjectConfig checks a project's config file and that the project
// is delegated.
func (c *checker) checkProjectConfig(project string) {
	p := layout.ProjectConfigPath(project)
	raw, err := c.tree.ReadFile(p, layout.MaxConfigSize)
	c.checkProjectConfigData(project, raw, err)
}

// checkProjectConfigData is checkProjectConfig of the file as read.
func (c *checker) checkProjectConfigData(project string, raw []byte, err error) {
	p := layout.ProjectConfigPath(project)
	if err != nil {
		c.rep.add(p, project, CodeConfig, "%v", err)
		return
	}
	pc, err := layout.ParseProjectConfig(raw)
	if err != nil {
		c.rep.add(p, project, CodeConfig, "%v", err)
		return
	}
	if pc.Name != project {
		c.rep.add(p, project, CodeConfig, "names project %q but is the file of %q", pc.Name, project)
	}
	d, _, err := c.view.Delegation(project)
	if err != nil {
		c.rep.add(p, project, CodeOrphan, "project %s is not delegated by any index role", project)
		return
	}
	keys := map[string]bool{}
	for _, id := range d.KeyIDs {
		keys[id] = true
	}
	for _, m := range pc.Maintainers {
		if !keys[m.KeyID] {
			c.rep.add(p, project, CodeConfig, "labels key %s as %q, but that key is not a maintainer of %s", trust.Short(m.KeyID), m.Name, project)
			continue
		}
		// The unsigned config may not contradict a label the delegator
		// signed: a keyless push that moves labels between keys is refused.
		if signed, ok := trust.KeyOwner(d.Keys[m.KeyID]); ok && signed != m.Name {
			c.rep.add(p, project, CodeConfig, "labels key %s as %q, but the index role that delegates %s signs its label as %q (change a signed label with `tufgit maintainer label`)",
				trust.Short(m.KeyID), m.Name, project, signed)
		}
	}
}

// checkStoredArtifact checks a target's artifact in an external store,
// when the caller gave one (the check is optional: it needs the network).
func (c *checker) checkStoredArtifact(t *target) {
	if c.opts.Store == nil || c.opts.SkipArtifacts {
		return
	}
	sha := hex.EncodeToString(t.file.Hashes["sha256"])
	where := c.cfg.Artifacts.Store + " " + sha
	rc, size, err := c.opts.Store.OpenArtifact(c.opts.ctx(), sha)
	if err != nil {
		c.rep.add(where, state.ProjectOfPath(t.path), CodeMissing, "artifact of target %s: %v", t.path, err)
		return
	}
	defer rc.Close()
	c.rep.Stats.Artifacts++
	if size != t.file.Length {
		c.rep.add(where, state.ProjectOfPath(t.path), CodeArtifact, "is %d bytes, but target %s lists %d", size, t.path, t.file.Length)
		return
	}
	if err := trust.VerifyArtifact(t.file, rc); err != nil {
		c.rep.add(where, state.ProjectOfPath(t.path), CodeArtifact, "does not match target %s: %v", t.path, err)
	}
}

// roleJob is one delegated role to check in a level of the walk.
type roleJob struct {
	parent, name, path string
	kind               layout.Kind
	d                  *trust.Delegation
	raw                []byte
	readErr            error
	pr                 *prepared
	done               chan struct{}
	// asked: its file was asked of the pipeline and is read in turn
	asked bool
}

// walkLevel checks every role the roles of one level delegate, in
// delegation order, calling judge for each in that order. Reads happen on
// one goroutine, in order; parsing and signature checks on a pool of
// GOMAXPROCS workers; at most a bounded window of roles is in flight, so
// memory follows the window and not the repository.
func (c *checker) walkLevel(level []*state.Role, judge func(*roleJob)) {
	workers := runtime.GOMAXPROCS(0)
	window := 16 * workers
	ordered := make(chan *roleJob, window)
	work := make(chan *roleJob, window)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				j.pr = prepareRole(j.name, j.raw, j.readErr, j.d)
				j.raw = nil
				close(j.done)
			}
		}()
	}
	go func() {
		defer close(work)
		defer close(ordered)
		// In a full check, role files are read by blob id through a
		// pipeline, asked up to lag roles ahead of the one being read.
		var p *gitstore.Pipeline
		if c.list != nil {
			p = c.repo.NewPipeline()
			defer p.Close()
		}
		const lag = 128
		var fifo []*roleJob
		send := func(keep int) {
			for len(fifo) > keep {
				j := fifo[0]
				fifo[0] = nil
				fifo = fifo[1:]
				if j.asked {
					j.raw, j.readErr = c.next(p)
					if j.readErr == nil {
						c.reads++
					}
				}
				ordered <- j
				work <- j
			}
		}
		defer send(0)
		for _, parent := range level {
			if parent.Meta.Signed.Delegations == nil {
				continue
			}
			for _, r := range parent.Meta.Signed.Delegations.Roles {
				kind := layout.RoleKind(r.Name)
				if kind != layout.KindIndexRole && kind != layout.KindProjectRole {
					continue // reported by the structure check
				}
				d, _ := trust.FromTargets(parent.Meta, r.Name)
				// targets' delegation to idx_P reaches idx_P of every shard.
				for _, id := range c.view.ChildIDs(parent.Name, r.Name) {
					if c.reached[id] {
						continue // a second delegation: reported by the structure check
					}
					c.reached[id] = true
					rp := layout.RolePath(id)
					j := &roleJob{parent: parent.Name, name: id, path: rp, kind: kind, d: d, done: make(chan struct{})}
					switch h, ok := c.list.lookupRole(id); {
					case p == nil:
						j.raw, j.readErr = c.view.ReadRole(id)
					case !ok:
						j.readErr = fmt.Errorf("%s: %w", rp, gitstore.ErrNotExist)
					default:
						p.Ask(h, layout.MaxTargetsSize, rp)
						j.asked = true
					}
					fifo = append(fifo, j)
					send(lag)
				}
			}
		}
	}()
	for j := range ordered {
		<-j.done
		judge(j)
	}
	wg.Wait()
}

// artifactChecker reads and hashes the artifacts of a full check on a
// goroutine of its own, through a pipeline, while roles are judged.
type artifactChecker struct {
	c    *checker
	jobs chan artifactJob
	done chan struct{}
	// rep collects what it finds, merged into the check's report by wait.
	rep Report
}

type artifactJob struct {
	e gitstore.Entry
	t *target
}

func (c *checker) startArtifacts() *artifactChecker {
	a := &artifactChecker{c: c, jobs: make(chan artifactJob, 256), done: make(chan struct{})}
	go a.run()
	return a
}

// check queues an artifact check, as checkArtifactAt would do it.
func (a *artifactChecker) check(e gitstore.Entry, t *target) { a.jobs <- artifactJob{e, t} }

// wait finishes the queued checks and reports what they found.
func (a *artifactChecker) wait() {
	close(a.jobs)
	<-a.done
	a.c.rep.Problems = append(a.c.rep.Problems, a.rep.Problems...)
}

func (a *artifactChecker) run() {
	defer close(a.done)
	p := a.c.repo.NewPipeline()
	defer p.Close()
	const lag = 64
	var fifo []artifactJob
	for j := range a.jobs {
		p.Ask(j.e.Hash, -1, j.e.Path)
		fifo = append(fifo, j)
		if len(fifo) > lag {
			a.verify(p, fifo[0])
			fifo[0] = artifactJob{}
			fifo = fifo[1:]
		}
	}
	for _, j := range fifo {
		a.verify(p, j)
	}
}

// verify is checkArtifactAt for the next artifact of the pipeline.
func (a *artifactChecker) verify(p *gitstore.Pipeline, j artifactJob) {
	if !p.UsesGit() {
		a.c.gitMu.Lock()
		defer a.c.gitMu.Unlock()
	}
	rd, size, err := p.NextStream()
	if err == nil {
		if size != j.t.file.Length {
			err = fmt.Errorf("%s: is %d bytes, the target lists %d", j.e.Path, size, j.t.file.Length)
		} else {
			err = trust.VerifyArtifact(j.t.file, rd)
		}
	}
	if err != nil {
		a.rep.add(j.e.Path, state.ProjectOfPath(j.t.path), CodeArtifact, "does not match target %s: %v", j.t.path, err)
	}
}
