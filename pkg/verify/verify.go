package verify

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
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

// Options tune a verification.
type Options struct {
	// Now is the reference time for expiry; time.Now() when zero.
	Now time.Time
	// SkipArtifacts skips reading artifact bytes (the check that each
	// target's artifact is present with the right length and hashes).
	SkipArtifacts bool
	// Store, when set, is read to check artifacts kept in an external
	// store (artifacts.store other than "git"); without it they are not
	// checked. The embedded store is always checked.
	Store ArtifactSource
	// OpenStore opens the store a change moves artifacts.store to, which
	// must be reachable and hold every artifact the signed targets list
	// before the change is accepted. Without it, a change of the store is
	// a problem: it can not be checked. The caller checks reachability; a
	// returned source that is an io.Closer is closed.
	OpenStore func(ctx context.Context, url string) (ArtifactSource, error)
	// Context cancels reads from an external store (Ctrl-C); none when nil.
	Context context.Context
}

// interrupted is an error when the context was cancelled: reads from the
// store failed because of it, so the report would blame the tree for
// what the caller stopped.
func (o *Options) interrupted() error {
	if err := o.ctx().Err(); err != nil {
		return fmt.Errorf("verification stopped: %w", err)
	}
	return nil
}

// ctx is the verification's context.
func (o *Options) ctx() context.Context {
	if o.Context == nil {
		return context.Background()
	}
	return o.Context
}

// ArtifactSource reads artifacts from an external store by sha256.
type ArtifactSource interface {
	OpenArtifact(ctx context.Context, sha256hex string) (io.ReadCloser, int64, error)
}

// checker holds the state of one verification.
type checker struct {
	repo *gitstore.Repo
	tree *gitstore.Tree
	view *state.View
	now  time.Time
	opts Options
	rep  *Report
	cfg  *layout.Config

	// gitMu serializes reads of the repository through go-git, which is
	// not safe for concurrent use: the full walk reads role files on one
	// goroutine and artifacts on another while the judging goroutine may
	// read through the view. Reads through git (a Pipeline that UsesGit,
	// or the Repo's pool of git processes) need no lock.
	gitMu sync.Mutex

	// full mode: what the walk of the tree found (nil in incremental mode)
	list *listing
	// reads counts the role files the full walk read (state.View.Reads
	// counts the rest)
	reads int
	// roles (by id) whose file was reached through delegations
	reached map[string]bool
	// artifacts referenced by signed targets, by sha256
	referenced map[[32]byte]bool
	// roles whose file could not be read: their subtree is unreachable,
	// and saying so for every role below would only bury the cause
	broken map[string]bool
	// artifacts is the full walk's artifact checker (nil when artifacts
	// are checked on the judging goroutine)
	artifacts *artifactChecker
}

// listing is what the full walk keeps of the tree: the role files,
// project configs and artifacts by what they are, with their blob ids,
// and every other file by path. Paths are not kept for the first three:
// at 100,000 projects, three paths per project were tens of MB.
type listing struct {
	roles     map[string]gitstore.Hash // index and project roles, by role id
	configs   map[string]gitstore.Hash // project configs, by project
	artifacts map[[32]byte]gitstore.Hash
	other     map[string]gitstore.Entry // every other file, by path
}

// add files what a walked entry is; false when it is filed elsewhere.
func (l *listing) add(e gitstore.Entry, le layout.Entry) bool {
	switch le.Kind {
	case layout.KindIndexRole, layout.KindProjectRole:
		// Cloned: the name is a substring of the path, which would
		// otherwise stay in memory with it.
		l.roles[strings.Clone(le.Role)] = e.Hash
	case layout.KindProjectConfig:
		l.configs[strings.Clone(le.Project)] = e.Hash
	case layout.KindArtifact:
		sha, ok := shaKey(le.SHA256)
		if !ok {
			return false
		}
		l.artifacts[sha] = e.Hash
	default:
		return false
	}
	return true
}

// lookupRole finds a role file by role id.
func (l *listing) lookupRole(id string) (gitstore.Hash, bool) {
	if l == nil {
		return gitstore.ZeroHash, false
	}
	h, ok := l.roles[id]
	return h, ok
}

// lookup finds the blob at a path of the tree.
func (l *listing) lookup(p string) (gitstore.Hash, bool) {
	if e, ok := l.other[p]; ok {
		return e.Hash, true
	}
	le, err := layout.Classify(p)
	if err != nil {
		return gitstore.ZeroHash, false
	}
	var h gitstore.Hash
	var ok bool
	switch le.Kind {
	case layout.KindIndexRole, layout.KindProjectRole:
		h, ok = l.roles[le.Role]
		ok = ok && layout.RolePath(le.Role) == p
	case layout.KindProjectConfig:
		h, ok = l.configs[le.Project]
		ok = ok && layout.ProjectConfigPath(le.Project) == p
	case layout.KindArtifact:
		if sha, valid := shaKey(le.SHA256); valid {
			h, ok = l.artifacts[sha]
		}
	}
	return h, ok
}

// shaKey decodes a lowercase hex sha256.
func shaKey(s string) (k [32]byte, ok bool) {
	if len(s) != 64 {
		return k, false
	}
	_, err := hex.Decode(k[:], []byte(s))
	return k, err == nil
}

func newChecker(repo *gitstore.Repo, commit gitstore.Hash, opts Options) (*checker, error) {
	tree, err := repo.TreeAt(commit)
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	return &checker{
		repo: repo, tree: tree, view: state.New(tree), now: now, opts: opts,
		rep:        &Report{Commit: commit.String()},
		reached:    map[string]bool{},
		referenced: map[[32]byte]bool{},
		broken:     map[string]bool{},
	}, nil
}

// Commit verifies the whole tree at commit.
func Commit(repo *gitstore.Repo, commit gitstore.Hash, opts Options) (*Report, error) {
	c, err := newChecker(repo, commit, opts)
	if err != nil {
		return nil, err
	}
	if err := c.full(); err != nil {
		return nil, err
	}
	if err := opts.interrupted(); err != nil {
		return nil, err
	}
	c.rep.Stats.MetadataReads = c.view.Reads + c.reads
	c.rep.finish()
	return c.rep, nil
}

// full checks every file of the tree.
func (c *checker) full() error {
	c.rep.Stats.Mode = "full"
	c.list = &listing{roles: map[string]gitstore.Hash{}, configs: map[string]gitstore.Hash{},
		artifacts: map[[32]byte]gitstore.Hash{}, other: map[string]gitstore.Entry{}}
	// The kinds other than roles, configs and artifacts: a handful of files.
	byKind := map[layout.Kind][]layout.Entry{}
	err := c.tree.Walk(func(e gitstore.Entry) error {
		le, ok := c.classify(e)
		if !ok {
			return nil
		}
		if !c.list.add(e, le) {
			c.list.other[e.Path] = e
			byKind[le.Kind] = append(byKind[le.Kind], le)
		}
		return nil
	}, c.badName)
	if errors.Is(err, gitstore.ErrBadTree) {
		c.rep.add("", "", CodeLayout, "%s", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading tree: %w", err)
	}
	// Every file's blob hash is known now: read by hash, not by path.
	c.view = state.New(&entrySource{repo: c.repo, list: c.list, mu: &c.gitMu})

	c.loadConfig()
	hasRoot := len(byKind[layout.KindRoot]) > 0 || len(byKind[layout.KindRootHistory]) > 0
	c.rep.Initialized = hasRoot
	if hasRoot {
		if root := c.checkRootHistory(byKind[layout.KindRootHistory], nil); root != nil {
			c.checkDelegationTree(root)
			c.checkOnlineKeyID(root)
		} else {
			c.broken[layout.RoleRoot] = true
		}
	} else {
		for _, k := range []layout.Kind{layout.KindTargets, layout.KindIndexRole, layout.KindProjectRole} {
			for _, e := range byKind[k] {
				c.rep.add(layout.RolePath(e.Role), e.Role, CodeMissing, "metadata without a root: the repository has no metadata/root.json")
			}
		}
	}

	// Role files that no delegation reaches.
	if hasRoot {
		for role := range c.list.roles {
			if !c.reached[role] && !c.underBroken(role) {
				p := layout.RolePath(role)
				c.rep.add(p, role, CodeOrphan, "no role delegates %s, so no client can reach this file", role)
			}
		}
	}
	// Project configs, and that their projects are delegated.
	c.checkProjectConfigs()
	// Requests.
	reqs := map[string]bool{}
	for _, k := range []layout.Kind{layout.KindRequest, layout.KindRequestRole, layout.KindRequestArtifact, layout.KindRequestProjectConfig, layout.KindRequestWithdrawal} {
		for _, e := range byKind[k] {
			reqs[e.Request] = true
		}
	}
	for _, id := range slices.Sorted(maps.Keys(reqs)) {
		c.checkRequest(id)
	}
	if !hasRoot && len(reqs) == 0 {
		c.rep.add(layout.RootPath, layout.RoleRoot, CodeMissing, "the repository has no root metadata and no pending request to create it")
	}
	// Retired project roles, then artifacts.
	for _, e := range byKind[layout.KindRetiredRole] {
		c.checkRetired(e)
	}
	c.checkArtifacts()
	return nil
}

// underBroken reports whether a role would hang below a role that could
// not be read.
func (c *checker) underBroken(role string) bool {
	if c.broken[layout.RoleTargets] || c.broken[layout.RoleRoot] {
		return true
	}
	name, shard := role, layout.ProjectShard(role, c.view.ShardBits())
	if p, ok := layout.IndexPrefix(role); ok {
		name, shard = p, layout.RoleShard(role)
	}
	for i := 1; i <= len(name); i++ {
		if c.broken[layout.IndexRoleID(shard, name[:i])] {
			return true
		}
	}
	return false
}

// classify checks one path of the tree against the layout.
func (c *checker) classify(e gitstore.Entry) (layout.Entry, bool) {
	if msg := e.ModeProblem(); msg != "" {
		c.rep.add(e.Path, "", CodeLayout, "%s", msg)
		return layout.Entry{}, false
	}
	le, err := layout.Classify(e.Path)
	if err != nil {
		c.rep.add(e.Path, "", CodeLayout, "%s", strings.TrimPrefix(err.Error(), e.Path+": "))
		return le, false
	}
	return le, true
}

func (c *checker) badName(b gitstore.BadName) error {
	where := b.Dir
	if where == "" {
		where = "top level of the tree"
	}
	c.rep.add(b.Dir, "", CodeLayout, "unsafe entry name %q in %s (a path with '..', '/', a control character or .git)", b.Name, where)
	return nil
}

func (c *checker) loadConfig() {
	cfg, err := c.view.Config()
	if errors.Is(err, gitstore.ErrNotExist) {
		c.rep.add(layout.ConfigPath, "", CodeMissing, "the repository config is missing")
		return
	}
	if err != nil {
		c.rep.add(layout.ConfigPath, "", CodeConfig, "%v", err)
		return
	}
	c.cfg = cfg
}

// checkRootHistory checks every root version (or, in incremental mode,
// those after from) and that root.json is the newest. It returns the
// current root when it could be read.
func (c *checker) checkRootHistory(hist []layout.Entry, from *metadata.Metadata[metadata.RootType]) *metadata.Metadata[metadata.RootType] {
	sort.Slice(hist, func(i, j int) bool { return hist[i].Version < hist[j].Version })
	var (
		prev    = from
		prevRaw []byte
		start   int64 = 1
	)
	if from != nil {
		start = from.Signed.Version + 1
	}
	for i, e := range hist {
		want := start + int64(i)
		if e.Version != want {
			c.rep.add(layout.RootHistoryPath(want), layout.RoleRoot, CodeVersion, "root history has a gap: version %d is missing", want)
			return nil
		}
		p := layout.RootHistoryPath(e.Version)
		raw, err := c.tree.ReadFile(p, layout.MaxRootSize)
		if err != nil {
			c.rep.add(p, layout.RoleRoot, CodeFormat, "%v", err)
			return nil
		}
		m, err := state.ParseRoot(p, raw)
		if err != nil {
			c.rep.add(p, layout.RoleRoot, CodeFormat, "%v", errors.Unwrap(err))
			return nil
		}
		c.rep.Stats.RolesChecked++
		if m.Signed.Version != e.Version {
			c.rep.add(p, layout.RoleRoot, CodeVersion, "file is named for version %d but holds version %d", e.Version, m.Signed.Version)
		}
		c.checkRootContent(p, m)
		if prev != nil && prev.Signed.Version+1 == m.Signed.Version {
			c.checkRootSignatures(p, m, prev)
		} else {
			c.checkRootSignatures(p, m, nil)
		}
		prev, prevRaw = m, raw
	}
	rootRaw, err := c.tree.ReadFile(layout.RootPath, layout.MaxRootSize)
	switch {
	case errors.Is(err, gitstore.ErrNotExist):
		c.rep.add(layout.RootPath, layout.RoleRoot, CodeMissing, "metadata/root.json is missing")
		return nil
	case err != nil:
		c.rep.add(layout.RootPath, layout.RoleRoot, CodeFormat, "%v", err)
		return nil
	}
	if prev == nil {
		c.rep.add(layout.RootHistoryDir, layout.RoleRoot, CodeMissing, "root history is empty: every root version must be kept as root_history/N.root.json")
		return nil
	}
	if prevRaw != nil && string(rootRaw) != string(prevRaw) {
		c.rep.add(layout.RootPath, layout.RoleRoot, CodeVersion, "differs from the newest root history file %s", layout.RootHistoryPath(prev.Signed.Version))
		return nil
	}
	if prev.Signed.IsExpired(c.now) {
		c.rep.expired(layout.RootPath, layout.RoleRoot, prev.Signed.Expires, c.now)
	}
	return prev
}

func (c *checker) checkRootContent(p string, m *metadata.Metadata[metadata.RootType]) {
	c.checkExpiryCap(p, layout.RoleRoot, m.Signed.Expires, strings.HasPrefix(p, layout.RequestsDir))
	for _, err := range trust.CheckKeys(m.Signed.Keys) {
		c.rep.add(p, layout.RoleRoot, CodeKeys, "%v", err)
	}
	for _, r := range []string{layout.RoleRoot, layout.RoleTargets, layout.RoleSnapshot, layout.RoleTimestamp} {
		role, ok := m.Signed.Roles[r]
		if !ok || role == nil {
			c.rep.add(p, layout.RoleRoot, CodeKeys, "root does not define role %s", r)
			continue
		}
		for _, err := range trust.CheckRoleKeys(r, role.KeyIDs, role.Threshold, m.Signed.Keys) {
			c.rep.add(p, layout.RoleRoot, CodeKeys, "%v", err)
		}
	}
	for r := range m.Signed.Roles {
		if !layout.IsReservedRoleName(r) {
			c.rep.add(p, layout.RoleRoot, CodeKeys, "root defines unknown role %q", r)
		}
	}
	if !m.Signed.ConsistentSnapshot {
		c.rep.add(p, layout.RoleRoot, CodeFormat, "consistent_snapshot must be true: the mirror serves versioned file names")
	}
	if !strings.HasPrefix(m.Signed.SpecVersion, "1.") {
		c.rep.add(p, layout.RoleRoot, CodeFormat, "spec_version %q is not a TUF 1.x version", m.Signed.SpecVersion)
	}
	// The online key may sign snapshot and timestamp only.
	online := map[string]bool{}
	for _, r := range []string{layout.RoleSnapshot, layout.RoleTimestamp} {
		if role := m.Signed.Roles[r]; role != nil {
			for _, id := range role.KeyIDs {
				online[id] = true
			}
		}
	}
	for _, r := range []string{layout.RoleRoot, layout.RoleTargets} {
		if role := m.Signed.Roles[r]; role != nil {
			for _, id := range role.KeyIDs {
				if online[id] {
					c.rep.add(p, layout.RoleRoot, CodeKeys, "key %s signs both %s and snapshot/timestamp: the online key must never sign an offline role", trust.Short(id), r)
				}
			}
		}
	}
}

// checkRootSignatures checks a root's threshold under its own keys and,
// for a rotation, under the previous root's.
func (c *checker) checkRootSignatures(p string, m, prev *metadata.Metadata[metadata.RootType]) {
	self, err := trust.FromRoot(m, layout.RoleRoot)
	if err != nil {
		return // reported by checkRootContent
	}
	known := map[string]bool{}
	s := trust.Check(self, m, m.Signatures)
	c.signatureProblems(p, layout.RoleRoot, s, false, fmt.Sprintf("root v%d's own", m.Signed.Version))
	for _, id := range self.KeyIDs {
		known[id] = true
	}
	if prev != nil {
		pd, err := trust.FromRoot(prev, layout.RoleRoot)
		if err == nil {
			ps := trust.Check(pd, m, m.Signatures)
			ps.Unknown = nil
			c.signatureProblems(p, layout.RoleRoot, ps, false, fmt.Sprintf("the previous root v%d's", prev.Signed.Version))
			for _, id := range pd.KeyIDs {
				known[id] = true
			}
		}
	}
	for _, sig := range m.Signatures {
		if !known[sig.KeyID] {
			c.rep.add(p, layout.RoleRoot, CodeSignature, "signature by key %s, which is not a root key of this or the previous version", trust.Short(sig.KeyID))
		}
	}
}

// signatureProblems reports what trust.Check found. For a pending request
// an unmet threshold is not a problem.
func (c *checker) signatureProblems(p, role string, s trust.Signatures, pending bool, whose string) {
	for _, id := range s.Invalid {
		c.rep.add(p, role, CodeSignature, "signature by key %s does not verify: the metadata was changed after signing, or the signature is forged", trust.Short(id))
	}
	if role != layout.RoleRoot {
		for _, id := range s.Unknown {
			c.rep.add(p, role, CodeSignature, "signature by key %s, which may not sign %s", trust.Short(id), role)
		}
	}
	if !s.Met && !pending {
		if whose == "" {
			whose = "its delegation's"
		}
		c.rep.add(p, role, CodeThreshold, "has %d valid signature(s) from %s keys; threshold is %d (not validly signed by: %s)",
			len(s.Valid), whose, s.Threshold, shortList(append(append([]string{}, s.Missing...), s.Invalid...)))
	}
}

func shortList(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = trust.Short(id)
	}
	return strings.Join(out, ", ")
}

// entrySource reads files by the blob hashes a full walk collected.
type entrySource struct {
	repo *gitstore.Repo
	list *listing
	mu   *sync.Mutex
}

func (s *entrySource) ReadFile(p string, max int64) ([]byte, error) {
	h, ok := s.list.lookup(p)
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, gitstore.ErrNotExist)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repo.ReadBlob(h, max, p)
}
