// Package repotest generates synthetic tufgit repositories of any size for
// tests and benchmarks: real keys, real signatures, real git objects, laid
// out exactly as tufgit lays them out. It is test tooling; tufgit itself
// never imports it.
package repotest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/publish"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/webui"
	"github.com/tufgit/tufgit/pkg/webui/gitsite"
)

// Spec describes the repository to generate.
type Spec struct {
	Projects       int
	Releases       int // per project; default 1
	MaxPerIndex    int // default layout.DefaultMaxProjects
	MaintainerPool int // distinct maintainer keys; default 16
	Threshold      int // maintainers per project, all needed; default 1
	ArtifactSize   int // bytes per artifact; default 64
	Seed           uint64
	Names          []string  // project names; default Names(Projects, Seed)
	ShardBits      int       // 2^ShardBits hash shards; default 0 (one)
	Now            time.Time // default 2026-01-01
}

// Fixture is a generated repository.
type Fixture struct {
	Dir         string
	Repo        *gitstore.Repo
	Head        gitstore.Hash
	Admin       *keys.Key
	Online      *keys.Key
	OnlineName  string // the name Key(OnlineName) of Online ("": "online"); Publish signs with it
	Maintainers []*keys.Key
	ProjectKeys map[string][]*keys.Key
	Projects    []string
	IndexRoles  []string
	Now         time.Time
	Spec        Spec
}

// PrivateKey is the deterministic ed25519 key Key wraps.
func PrivateKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("tufgit-repotest-" + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// Key makes a deterministic ed25519 key from a seed string.
func Key(name string) *keys.Key {
	k, err := keys.FromSigner(name, PrivateKey(name))
	if err != nil {
		panic(err)
	}
	return k
}

// Names makes n unique, normalized, pseudo-random project names.
func Names(n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 0x7475666769740a))
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	seen := map[string]bool{}
	out := make([]string, 0, n)
	for len(out) < n {
		l := 4 + rng.IntN(9)
		b := make([]byte, l)
		for i := range b {
			b[i] = letters[rng.IntN(26)]
			if i > 0 && i < l-1 && rng.IntN(8) == 0 && b[i-1] != '-' {
				b[i] = '-'
			} else if i > 0 && rng.IntN(10) == 0 {
				b[i] = letters[26+rng.IntN(10)]
			}
		}
		s := string(b)
		if seen[s] || !layout.IsNormalizedProjectName(s) {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Generate writes a bare repository at dir.
func Generate(dir string, spec Spec) (*Fixture, error) {
	if spec.Releases == 0 {
		spec.Releases = 1
	}
	if spec.MaxPerIndex == 0 {
		spec.MaxPerIndex = layout.DefaultMaxProjects
	}
	if spec.MaintainerPool == 0 {
		spec.MaintainerPool = 16
	}
	if spec.Threshold == 0 {
		spec.Threshold = 1
	}
	if spec.ArtifactSize == 0 {
		spec.ArtifactSize = 64
	}
	if spec.Now.IsZero() {
		spec.Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	g, err := gitstore.InitBare(dir)
	if err != nil {
		return nil, err
	}
	f := &Fixture{Dir: dir, Repo: g, Admin: Key("admin"), Online: Key("online"), ProjectKeys: map[string][]*keys.Key{}, Now: spec.Now, Spec: spec}
	for i := 0; i < spec.MaintainerPool; i++ {
		f.Maintainers = append(f.Maintainers, Key(fmt.Sprintf("maintainer-%d", i)))
	}
	f.Projects = spec.Names
	if f.Projects == nil {
		f.Projects = Names(spec.Projects, spec.Seed)
	}
	sort.Strings(f.Projects)
	exp := layout.DefaultExpiry()
	expires := func(role string) time.Time { return spec.Now.Add(exp.For(role)) }

	var files []gitstore.FileChange
	put := func(p string, data []byte) { files = append(files, gitstore.FileChange{Path: p, Data: data}) }

	root := metadata.Root(expires(layout.RoleRoot))
	for _, r := range []string{metadata.ROOT, metadata.TARGETS} {
		if err := root.Signed.AddKey(f.Admin.Public, r); err != nil {
			return nil, err
		}
	}
	for _, r := range []string{metadata.SNAPSHOT, metadata.TIMESTAMP} {
		if err := root.Signed.AddKey(f.Online.Public, r); err != nil {
			return nil, err
		}
	}
	if err := repo.Sign(root, f.Admin); err != nil {
		return nil, err
	}
	raw, err := repo.EncodeMetadata(root)
	if err != nil {
		return nil, err
	}
	put(layout.RootPath, raw)
	put(layout.RootHistoryPath(1), raw)

	cfg := layout.DefaultConfig()
	cfg.OnlineKey.KeyID = f.Online.ID
	cfg.Index.MaxProjects = spec.MaxPerIndex
	cfg.Index.ShardBits = spec.ShardBits
	raw, err = layout.EncodeFile(cfg)
	if err != nil {
		return nil, err
	}
	put(layout.ConfigPath, raw)

	admin := func(name, pattern string) metadata.DelegatedRole {
		return metadata.DelegatedRole{Name: name, KeyIDs: []string{f.Admin.ID}, Threshold: 1, Terminating: true, Paths: []string{pattern}}
	}
	adminKeys := map[string]*metadata.Key{f.Admin.ID: f.Admin.Public}
	targets := metadata.Targets(expires(layout.RoleTargets))
	targets.Signed.Delegations = &metadata.Delegations{Keys: adminKeys}
	type shardFirst struct {
		shard string
		c     byte
	}
	byFirst := map[shardFirst][]string{}
	for _, p := range f.Projects {
		k := shardFirst{layout.ProjectShard(p, spec.ShardBits), p[0]}
		byFirst[k] = append(byFirst[k], p)
	}
	for i := 0; i < len(layout.FirstChars); i++ {
		c := layout.FirstChars[i]
		targets.Signed.Delegations.Roles = append(targets.Signed.Delegations.Roles, admin(layout.IndexRoleName(string(c)), layout.IndexPathPattern(string(c))))
	}
	type shardNode struct {
		shard string
		layout.IndexNode
	}
	var nodes []shardNode
	for _, shard := range layout.ShardNames(spec.ShardBits) {
		for i := 0; i < len(layout.FirstChars); i++ {
			c := layout.FirstChars[i]
			for _, n := range layout.PlanIndex(string(c), byFirst[shardFirst{shard, c}], spec.MaxPerIndex) {
				nodes = append(nodes, shardNode{shard, n})
			}
		}
	}
	if spec.ShardBits > 0 {
		sm, err := layout.EncodeShardMap(layout.DefaultShardMap(spec.ShardBits))
		if err != nil {
			return nil, err
		}
		tf, err := metadata.TargetFile().FromBytes(layout.ShardMapTarget, sm, "sha256", "sha512")
		if err != nil {
			return nil, err
		}
		targets.Signed.Targets[layout.ShardMapTarget] = tf
		put(layout.ShardMapPath, sm)
	}
	if err := sign(targets, f.Admin, layout.TargetsPath, put); err != nil {
		return nil, err
	}

	pk := 0
	for _, n := range nodes {
		name := layout.IndexRoleID(n.shard, n.Prefix)
		f.IndexRoles = append(f.IndexRoles, name)
		m := metadata.Targets(expires(name))
		del := &metadata.Delegations{Keys: map[string]*metadata.Key{}}
		for _, proj := range n.Projects {
			var ids []string
			for j := 0; j < spec.Threshold; j++ {
				k := f.Maintainers[(pk+j)%len(f.Maintainers)]
				f.ProjectKeys[proj] = append(f.ProjectKeys[proj], k)
				del.Keys[k.ID] = k.Public
				ids = append(ids, k.ID)
			}
			pk++
			del.Roles = append(del.Roles, metadata.DelegatedRole{Name: proj, KeyIDs: ids, Threshold: spec.Threshold, Terminating: true, Paths: []string{layout.ProjectPathPattern(proj)}})
		}
		for _, child := range n.Children {
			del.Keys[f.Admin.ID] = f.Admin.Public
			del.Roles = append(del.Roles, admin(layout.IndexRoleName(child), layout.IndexPathPattern(child)))
		}
		if len(del.Roles) > 0 {
			m.Signed.Delegations = del
		}
		if err := sign(m, f.Admin, layout.RolePath(name), put); err != nil {
			return nil, err
		}
		for _, proj := range n.Projects {
			if err := f.genProject(proj, put); err != nil {
				return nil, err
			}
		}
	}
	tree, err := g.BuildTree(nil, files)
	if err != nil {
		return nil, err
	}
	f.Head, err = g.CommitTree(gitstore.CommitOptions{Tree: tree, Message: "generated", Author: gitstore.Signature{Name: "repotest", Email: "repotest@example.org"}, When: spec.Now})
	return f, err
}

func (f *Fixture) genProject(proj string, put func(string, []byte)) error {
	m := metadata.Targets(f.Now.Add(layout.DefaultExpiry().For(proj)))
	for r := 1; r <= f.Spec.Releases; r++ {
		version := fmt.Sprintf("1.%d.0", r-1)
		filename := fmt.Sprintf("%s-%s.tar.gz", proj, version)
		data := Artifact(proj, version, f.Spec.ArtifactSize)
		tp := layout.TargetPath(proj, version, filename)
		tf, err := metadata.TargetFile().FromBytes(tp, data, "sha256", "sha512")
		if err != nil {
			return err
		}
		m.Signed.Targets[tp] = tf
		put(layout.ArtifactPath(hex.EncodeToString(tf.Hashes["sha256"])), data)
	}
	for _, k := range f.ProjectKeys[proj] {
		if err := repo.Sign(m, k); err != nil {
			return err
		}
	}
	raw, err := repo.EncodeMetadata(m)
	if err != nil {
		return err
	}
	put(layout.RolePath(proj), raw)
	pc := layout.ProjectConfig{Type: layout.ProjectConfigType, FormatVersion: layout.FormatVersion, Name: proj, Created: f.Now}
	for i, k := range f.ProjectKeys[proj] {
		pc.Maintainers = append(pc.Maintainers, layout.Maintainer{KeyID: k.ID, Name: fmt.Sprintf("maintainer %d", i+1)})
	}
	raw, err = layout.EncodeFile(pc)
	if err != nil {
		return err
	}
	put(layout.ProjectConfigPath(proj), raw)
	return nil
}

// Artifact is the deterministic content of a generated release file.
func Artifact(project, version string, size int) []byte {
	b := make([]byte, size)
	seed := sha256.Sum256([]byte(project + "/" + version))
	for i := range b {
		b[i] = seed[i%32] ^ byte(i)
	}
	return b
}

func sign(m *metadata.Metadata[metadata.TargetsType], k *keys.Key, p string, put func(string, []byte)) error {
	if err := repo.Sign(m, k); err != nil {
		return err
	}
	raw, err := repo.EncodeMetadata(m)
	if err != nil {
		return err
	}
	put(p, raw)
	return nil
}

// Commit applies changes on top of the fixture's head and returns the new
// commit (the fixture's head moves to it).
func (f *Fixture) Commit(msg string, changes ...gitstore.FileChange) (gitstore.Hash, error) {
	base, err := f.Repo.TreeAt(f.Head)
	if err != nil {
		return gitstore.ZeroHash, err
	}
	tree, err := f.Repo.BuildTree(base, changes)
	if err != nil {
		return gitstore.ZeroHash, err
	}
	h, err := f.Repo.CommitTree(gitstore.CommitOptions{Parent: f.Head, Tree: tree, Message: msg, Author: gitstore.Signature{Name: "repotest", Email: "repotest@example.org"}, When: f.Now})
	if err != nil {
		return gitstore.ZeroHash, err
	}
	f.Head = h
	return h, nil
}

// CommitDetached applies changes on top of the head into a commit that no
// branch points at; the fixture's head does not move.
func (f *Fixture) CommitDetached(msg string, changes ...gitstore.FileChange) (gitstore.Hash, error) {
	base, err := f.Repo.TreeAt(f.Head)
	if err != nil {
		return gitstore.ZeroHash, err
	}
	tree, err := f.Repo.BuildTree(base, changes)
	if err != nil {
		return gitstore.ZeroHash, err
	}
	return f.Repo.CommitTree(gitstore.CommitOptions{Parent: f.Head, Tree: tree, Message: msg, Detached: true,
		Author: gitstore.Signature{Name: "repotest", Email: "repotest@example.org"}, When: f.Now})
}

// ReadRole reads a targets-type role at the fixture's head.
func (f *Fixture) ReadRole(name string) (*metadata.Metadata[metadata.TargetsType], error) {
	t, err := f.Repo.TreeAt(f.Head)
	if err != nil {
		return nil, err
	}
	raw, err := t.ReadFile(layout.RolePath(name), layout.MaxTargetsSize)
	if err != nil {
		return nil, err
	}
	return metadata.Targets().FromBytes(raw)
}

// Resign reads role name, lets edit change it, bumps its version, signs it
// with signers (replacing all signatures) and returns the file change.
func (f *Fixture) Resign(name string, edit func(*metadata.Metadata[metadata.TargetsType]), signers ...*keys.Key) (gitstore.FileChange, error) {
	m, err := f.ReadRole(name)
	if err != nil {
		return gitstore.FileChange{}, err
	}
	if edit != nil {
		edit(m)
	}
	m.Signed.Version++
	m.Signatures = nil
	for _, k := range signers {
		if err := repo.Sign(m, k); err != nil {
			return gitstore.FileChange{}, err
		}
	}
	raw, err := repo.EncodeMetadata(m)
	if err != nil {
		return gitstore.FileChange{}, err
	}
	return gitstore.FileChange{Path: layout.RolePath(name), Data: raw}, nil
}

// Release commits a release of project the way `release add` leaves it:
// the project role re-signed by its maintainers listing file under
// PROJECT/VERSION/ (sha256 and sha512), and the artifact in the embedded
// store. It returns the target.
func (f *Fixture) Release(project, version, file string, data []byte) (*metadata.TargetFiles, error) {
	tp := layout.TargetPath(project, version, file)
	tf, err := metadata.TargetFile().FromBytes(tp, data, "sha256", "sha512")
	if err != nil {
		return nil, err
	}
	role, err := f.Resign(project, func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Targets[tp] = tf }, f.ProjectKeys[project]...)
	if err != nil {
		return nil, err
	}
	art := gitstore.FileChange{Path: layout.ArtifactPath(hex.EncodeToString(tf.Hashes["sha256"])), Data: data}
	if _, err := f.Commit("release "+project+" "+version, role, art); err != nil {
		return nil, err
	}
	return tf, nil
}

// IndexOf returns the index role that delegates project at the head.
func (f *Fixture) IndexOf(project string) string {
	for _, n := range f.IndexRoles {
		m, err := f.ReadRole(n)
		if err != nil || m.Signed.Delegations == nil {
			continue
		}
		for _, r := range m.Signed.Delegations.Roles {
			if r.Name == project {
				return n
			}
		}
	}
	return ""
}

// OnlineKey returns the fixture's online key the way publish takes keys:
// written as an encrypted key file in dir, then loaded by LoadOnlineKey.
func OnlineKey(dir string) (*publish.OnlineKey, error) {
	return OnlineKeyNamed(dir, "online")
}

// OnlineKeyNamed is OnlineKey for the deterministic key Key(name): a test
// that rotates the online key publishes with the new one.
func OnlineKeyNamed(dir, name string) (*publish.OnlineKey, error) {
	p := filepath.Join(dir, name)
	if _, err := keys.WriteKeyPair(p, PrivateKey(name), []byte("pw")); err != nil && !errors.Is(err, keys.ErrKeyExists) {
		return nil, err
	}
	return publish.LoadOnlineKey(context.Background(), p+".key", func(string) ([]byte, error) { return []byte("pw"), nil })
}

// Publish publishes the fixture's head to the directory mirror, with the
// web UI when ui is set.
func (f *Fixture) Publish(mirror string, ui bool) (*publish.Result, error) {
	name := f.OnlineName
	if name == "" {
		name = "online"
	}
	k, err := OnlineKeyNamed(filepath.Dir(mirror), name)
	if err != nil {
		return nil, err
	}
	m, err := publish.OpenMirror(context.Background(), mirror)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: k, Mirror: m, Now: f.Now, UI: ui, UISite: f.UISite})
}

// Pack runs `git repack -a -d` on the fixture and reopens it, so that it
// reads like a server's repository (mostly packed) rather than loose.
func (f *Fixture) Pack() error {
	if out, err := exec.Command("git", "--git-dir", f.Dir, "repack", "-a", "-d", "-q").CombinedOutput(); err != nil {
		return fmt.Errorf("git repack: %v: %s", err, out)
	}
	g, err := gitstore.Open(f.Dir)
	if err != nil {
		return err
	}
	f.Repo = g
	return nil
}

// UISite is what publish's web UI learns from git (names, dates, history,
// requests), as `tufgit publish` does it.
func (f *Fixture) UISite(prev *webui.SiteMemo) (*webui.Site, error) {
	return gitsite.Collect(f.Repo, f.Head, f.Now, prev)
}
