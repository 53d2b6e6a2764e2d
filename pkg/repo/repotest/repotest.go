// Package repotest generates synthetic tufgit repositories of any size for
// tests and benchmarks: real keys, real signatures, real git objects, laid
// out exactly as tufgit lays them out. It is test tooling; tufgit itself
// never imports it.
package repotest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/internal/rusage"
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
	// GitMaxRSS is the peak memory of the `git fast-import` that Generate
	// wrote the repository with, in bytes (0 after Open).
	GitMaxRSS int64
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

// Generate writes a bare repository at dir. The files stream into one
// pack through `git fast-import` while every core signs, so that a
// million projects fit in memory and in an hour (see docs/performance.md).
func Generate(dir string, spec Spec) (*Fixture, error) {
	f, pl, err := plan(dir, spec)
	if err != nil {
		return nil, err
	}
	g, err := gitstore.InitBare(dir)
	if err != nil {
		return nil, err
	}
	g.Close()
	w, err := startFastImport(dir, f.Now)
	if err != nil {
		return nil, err
	}
	if err := f.writeAll(pl, w.put); err != nil {
		w.abort()
		return nil, err
	}
	if err := w.finish(); err != nil {
		return nil, err
	}
	f.GitMaxRSS = rusage.ProcessMaxRSS(w.cmd.ProcessState.SysUsage())
	if f.Repo, err = gitstore.Open(dir); err != nil {
		return nil, err
	}
	if f.Head, err = f.Repo.Branch(gitstore.DefaultBranch); err != nil {
		return nil, err
	}
	return f, nil
}

// Open returns the fixture that Generate(dir, spec) wrote earlier, as it
// is now (its head is the branch's current commit), without writing: the
// plan (names, keys, index roles) is deterministic, so it is made again.
func Open(dir string, spec Spec) (*Fixture, error) {
	f, _, err := plan(dir, spec)
	if err != nil {
		return nil, err
	}
	if f.Repo, err = gitstore.Open(dir); err != nil {
		return nil, err
	}
	if f.Head, err = f.Repo.Branch(gitstore.DefaultBranch); err != nil {
		return nil, err
	}
	return f, nil
}

type shardNode struct {
	shard string
	layout.IndexNode
}

// genPlan is what plan decided beyond the fixture's fields.
type genPlan struct {
	nodes []shardNode
}

// plan fills in spec's defaults and decides everything Generate writes
// except the bytes: project names, their maintainers, the index roles.
func plan(dir string, spec Spec) (*Fixture, *genPlan, error) {
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
	f := &Fixture{Dir: dir, Admin: Key("admin"), Online: Key("online"), ProjectKeys: map[string][]*keys.Key{}, Now: spec.Now, Spec: spec}
	for i := 0; i < spec.MaintainerPool; i++ {
		f.Maintainers = append(f.Maintainers, Key(fmt.Sprintf("maintainer-%d", i)))
	}
	f.Projects = spec.Names
	if f.Projects == nil {
		f.Projects = Names(spec.Projects, spec.Seed)
	}
	sort.Strings(f.Projects)
	type shardFirst struct {
		shard string
		c     byte
	}
	byFirst := map[shardFirst][]string{}
	for _, p := range f.Projects {
		k := shardFirst{layout.ProjectShard(p, spec.ShardBits), p[0]}
		byFirst[k] = append(byFirst[k], p)
	}
	pl := &genPlan{}
	for _, shard := range layout.ShardNames(spec.ShardBits) {
		for i := 0; i < len(layout.FirstChars); i++ {
			c := layout.FirstChars[i]
			for _, n := range layout.PlanIndex(string(c), byFirst[shardFirst{shard, c}], spec.MaxPerIndex) {
				pl.nodes = append(pl.nodes, shardNode{shard, n})
			}
		}
	}
	pk := 0
	for _, n := range pl.nodes {
		f.IndexRoles = append(f.IndexRoles, layout.IndexRoleID(n.shard, n.Prefix))
		for _, proj := range n.Projects {
			for j := 0; j < spec.Threshold; j++ {
				f.ProjectKeys[proj] = append(f.ProjectKeys[proj], f.Maintainers[(pk+j)%len(f.Maintainers)])
			}
			pk++
		}
	}
	return f, pl, nil
}

// writeAll makes and signs every file of the plan and hands each to put,
// from one goroutine. Index roles, with their projects, are made on every
// core, a bounded number ahead of put.
func (f *Fixture) writeAll(pl *genPlan, put func(string, []byte) error) error {
	spec := f.Spec
	exp := layout.DefaultExpiry()
	expires := func(role string) time.Time { return spec.Now.Add(exp.For(role)) }
	var files []gitstore.FileChange
	collect := func(p string, data []byte) { files = append(files, gitstore.FileChange{Path: p, Data: data}) }

	root := metadata.Root(expires(layout.RoleRoot))
	for _, r := range []string{metadata.ROOT, metadata.TARGETS} {
		if err := root.Signed.AddKey(f.Admin.Public, r); err != nil {
			return err
		}
	}
	for _, r := range []string{metadata.SNAPSHOT, metadata.TIMESTAMP} {
		if err := root.Signed.AddKey(f.Online.Public, r); err != nil {
			return err
		}
	}
	if err := repo.Sign(root, f.Admin); err != nil {
		return err
	}
	raw, err := repo.EncodeMetadata(root)
	if err != nil {
		return err
	}
	collect(layout.RootPath, raw)
	collect(layout.RootHistoryPath(1), raw)

	cfg := layout.DefaultConfig()
	cfg.OnlineKey.KeyID = f.Online.ID
	cfg.Index.MaxProjects = spec.MaxPerIndex
	cfg.Index.ShardBits = spec.ShardBits
	raw, err = layout.EncodeFile(cfg)
	if err != nil {
		return err
	}
	collect(layout.ConfigPath, raw)

	admin := func(name, pattern string) metadata.DelegatedRole {
		return metadata.DelegatedRole{Name: name, KeyIDs: []string{f.Admin.ID}, Threshold: 1, Terminating: true, Paths: []string{pattern}}
	}
	adminKeys := map[string]*metadata.Key{f.Admin.ID: f.Admin.Public}
	targets := metadata.Targets(expires(layout.RoleTargets))
	targets.Signed.Delegations = &metadata.Delegations{Keys: adminKeys}
	for i := 0; i < len(layout.FirstChars); i++ {
		c := layout.FirstChars[i]
		targets.Signed.Delegations.Roles = append(targets.Signed.Delegations.Roles, admin(layout.IndexRoleName(string(c)), layout.IndexPathPattern(string(c))))
	}
	if spec.ShardBits > 0 {
		sm, err := layout.EncodeShardMap(layout.DefaultShardMap(spec.ShardBits))
		if err != nil {
			return err
		}
		tf, err := metadata.TargetFile().FromBytes(layout.ShardMapTarget, sm, "sha256", "sha512")
		if err != nil {
			return err
		}
		targets.Signed.Targets[layout.ShardMapTarget] = tf
		collect(layout.ShardMapPath, sm)
	}
	if err := sign(targets, f.Admin, layout.TargetsPath, collect); err != nil {
		return err
	}
	for _, c := range files {
		if err := put(c.Path, c.Data); err != nil {
			return err
		}
	}

	// One job per index role: the role and its projects' files.
	// A keys.Key is not safe for concurrent signing (it records its last
	// error): each worker signs with its own copies.
	node := func(n shardNode, ks signers) ([]gitstore.FileChange, error) {
		var out []gitstore.FileChange
		put := func(p string, data []byte) { out = append(out, gitstore.FileChange{Path: p, Data: data}) }
		name := layout.IndexRoleID(n.shard, n.Prefix)
		m := metadata.Targets(expires(name))
		del := &metadata.Delegations{Keys: map[string]*metadata.Key{}}
		for _, proj := range n.Projects {
			var ids []string
			for _, k := range f.ProjectKeys[proj] {
				del.Keys[k.ID] = k.Public
				ids = append(ids, k.ID)
			}
			del.Roles = append(del.Roles, metadata.DelegatedRole{Name: proj, KeyIDs: ids, Threshold: spec.Threshold, Terminating: true, Paths: []string{layout.ProjectPathPattern(proj)}})
		}
		for _, child := range n.Children {
			del.Keys[f.Admin.ID] = f.Admin.Public
			del.Roles = append(del.Roles, admin(layout.IndexRoleName(child), layout.IndexPathPattern(child)))
		}
		if len(del.Roles) > 0 {
			m.Signed.Delegations = del
		}
		if err := sign(m, ks.of(f.Admin), layout.RolePath(name), put); err != nil {
			return nil, err
		}
		for _, proj := range n.Projects {
			if err := f.genProject(proj, put, ks); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	type result struct {
		files []gitstore.FileChange
		err   error
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan shardNode)
	results := make(chan result, 4*workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ks := f.newSigners()
			for n := range jobs {
				out, err := node(n, ks)
				select {
				case results <- result{out, err}:
				case <-stop:
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, n := range pl.nodes {
			select {
			case jobs <- n:
			case <-stop:
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var first error
	for r := range results {
		if first != nil {
			continue
		}
		if r.err != nil {
			first = r.err
			close(stop)
			continue
		}
		for _, c := range r.files {
			if err := put(c.Path, c.Data); err != nil {
				first = err
				close(stop)
				break
			}
		}
	}
	return first
}

// fastImport streams files into one commit through `git fast-import`,
// which writes them straight into a pack: no loose objects, and no tree
// held in this process.
type fastImport struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	w      *bufio.Writer
	stderr bytes.Buffer
	err    error
}

func startFastImport(dir string, when time.Time) (*fastImport, error) {
	fi := &fastImport{cmd: exec.Command("git", "--git-dir", dir, "fast-import", "--quiet", "--done", "--date-format=raw")}
	fi.cmd.Stderr = &fi.stderr
	in, err := fi.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	fi.in, fi.w = in, bufio.NewWriterSize(in, 1<<20)
	if err := fi.cmd.Start(); err != nil {
		return nil, fmt.Errorf("git fast-import: %w", err)
	}
	who := fmt.Sprintf("repotest <repotest@example.org> %d +0000", when.Unix())
	msg := "generated"
	fmt.Fprintf(fi.w, "commit refs/heads/%s\nauthor %s\ncommitter %s\ndata %d\n%s\n", gitstore.DefaultBranch, who, who, len(msg), msg)
	return fi, nil
}

func (fi *fastImport) put(p string, data []byte) error {
	if fi.err != nil {
		return fi.err
	}
	if strings.ContainsAny(p, "\n\"") {
		return fmt.Errorf("repotest: path %q", p)
	}
	fmt.Fprintf(fi.w, "M 100644 inline %s\ndata %d\n", p, len(data))
	fi.w.Write(data)
	_, fi.err = fi.w.WriteString("\n")
	if fi.err != nil {
		fi.err = fmt.Errorf("git fast-import: %w: %s", fi.err, fi.stderr.String())
	}
	return fi.err
}

func (fi *fastImport) finish() error {
	if fi.err == nil {
		_, fi.err = fi.w.WriteString("\ndone\n")
	}
	if fi.err == nil {
		fi.err = fi.w.Flush()
	}
	fi.in.Close()
	if err := fi.cmd.Wait(); err != nil || fi.err != nil {
		return fmt.Errorf("git fast-import: %v %v: %s", err, fi.err, fi.stderr.String())
	}
	return nil
}

func (fi *fastImport) abort() {
	fi.in.Close()
	fi.cmd.Process.Kill()
	fi.cmd.Wait()
}

// signers are one goroutine's copies of the fixture's private keys.
type signers map[string]*keys.Key

func (f *Fixture) newSigners() signers {
	s := signers{}
	for _, k := range append([]*keys.Key{f.Admin, f.Online}, f.Maintainers...) {
		c := Key(k.Ref)
		if c.ID != k.ID {
			panic("repotest: key " + k.Ref + " is not Key(" + k.Ref + ")")
		}
		s[c.ID] = c
	}
	return s
}

// of is this goroutine's copy of k.
func (s signers) of(k *keys.Key) *keys.Key {
	if c, ok := s[k.ID]; ok {
		return c
	}
	return k
}

func (f *Fixture) genProject(proj string, put func(string, []byte), ks signers) error {
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
		if err := repo.Sign(m, ks.of(k)); err != nil {
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
