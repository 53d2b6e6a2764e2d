// Package webui renders static HTML pages for any TUF repository: an index
// of the repository at a glance, one page per metadata file, and the root
// history. It reads standard TUF metadata only (files or URLs), computes
// signature validity itself with go-tuf, and knows nothing of tufgit's git
// layout or config. Project and release pages for tufgit repositories are a
// separate layer (projects.go) over the same model.
package webui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/trust"
)

// ErrNotExist is returned by a Source for a missing file.
var ErrNotExist = errors.New("no such metadata file")

// MaxFile bounds every metadata read.
const MaxFile = 16 << 20

// Source reads metadata files by name ("timestamp.json", "3.root.json").
type Source interface {
	Read(name string) ([]byte, error)
}

// TargetsSource is a Source that can hand over targets metadata it has
// parsed already (publish's verified view of the tree), sparing a second
// parse. Signatures are still judged here, or taken from the manifest.
type TargetsSource interface {
	Source
	ReadTargets(name string) ([]byte, *metadata.Metadata[metadata.TargetsType], error)
}

// DigestSource is a Source that knows a digest of each file's bytes
// without reading them (a git blob hash). With it and a manifest, an
// unchanged role that delegates nothing is neither read nor parsed again.
type DigestSource interface {
	Source
	Digest(name string) (string, bool)
}

// DirSource reads from a directory.
type DirSource string

// Read implements Source.
func (d DirSource) Read(name string) ([]byte, error) {
	if strings.ContainsAny(name, "/\\") || name == ".." {
		return nil, fmt.Errorf("%q: %w", name, ErrNotExist)
	}
	f, err := os.Open(filepath.Join(string(d), name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readBounded(f, name)
}

func readBounded(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFile+1))
	if err == nil && len(data) > MaxFile {
		err = fmt.Errorf("%s is larger than %d bytes", name, MaxFile)
	}
	return data, err
}

// URLSource reads from a base URL (the repository's metadata directory).
type URLSource struct {
	Base   string
	Client *http.Client
}

// Read implements Source.
func (u URLSource) Read(name string) ([]byte, error) {
	c := u.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Get(strings.TrimSuffix(u.Base, "/") + "/" + name)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden {
		return nil, fmt.Errorf("%s: %w", name, ErrNotExist)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d", name, resp.StatusCode)
	}
	return readBounded(resp.Body, name)
}

// Sig is one signature's state.
type Sig struct {
	KeyID  string
	Status string // valid, invalid, unknown key, missing
}

// Role is one metadata file, parsed, with its signatures judged.
type Role struct {
	Name    string
	Kind    string // root, timestamp, snapshot, targets, delegated
	File    string // the file it was read from
	Raw     []byte
	Missing bool // delegated but no file found
	// NoReleases marks a missing role that is a tufgit project the
	// snapshot does not list: it has no releases yet, which is no fault
	// (set by the tufgit layer, projects.go).
	NoReleases  bool
	Error       string // unreadable or unparseable
	Version     int64
	Expires     time.Time
	SpecVersion string
	Delegator   string
	Depth       int
	// Who may sign it, and how it is signed.
	Threshold int
	KeyIDs    []string
	Keys      map[string]*metadata.Key
	Sigs      []Sig
	Valid     int
	Met       bool
	// Parsed content, by kind.
	RootMeta      *metadata.Metadata[metadata.RootType]
	TimestampMeta *metadata.Metadata[metadata.TimestampType]
	SnapshotMeta  *metadata.Metadata[metadata.SnapshotType]
	TargetsMeta   *metadata.Metadata[metadata.TargetsType]
	Children      []string
	// Digest identifies the file's bytes (the source's digest, else the
	// sha256 of Raw).
	Digest string
	// Stub marks a role taken from the manifest unread: Raw and
	// TargetsMeta are nil until Fill.
	Stub bool
	now  time.Time
}

// Repo is a loaded repository.
type Repo struct {
	// Checked counts the roles whose signatures this load checked (the
	// others came from the cache a previous build left).
	Checked int
	// Parsed counts the targets-type roles read and parsed.
	Parsed    int
	cache     map[string]Judgment
	judged    map[string]Judgment
	cached    map[string]CachedRole // from the previous build
	roles     map[string]CachedRole // for the next
	src       Source
	Roots     []*Role // every root version found, oldest first
	Root      *Role   // the newest
	Timestamp *Role
	Snapshot  *Role
	Targets   *Role
	Delegated []*Role // in delegation-tree order
	ByName    map[string]*Role
	Now       time.Time
}

// Load reads a repository from src: root (every N.root.json, or root.json),
// timestamp, snapshot and targets, then every delegated role reachable from
// targets, with consistent-snapshot names when root says so.
func Load(src Source, now time.Time) (*Repo, error) {
	return LoadCached(src, now, nil)
}

// LoadCached is Load reusing the signature judgments a previous build
// recorded in m: a role whose bytes and whose delegation (keys, threshold)
// are the same as then is not checked again. m may be nil.
func LoadCached(src Source, now time.Time, m *Manifest) (*Repo, error) {
	r := &Repo{ByName: map[string]*Role{}, Now: now, judged: map[string]Judgment{}, src: src}
	if m != nil && m.Format == manifestFormat {
		r.cache, r.cached = m.Judged, m.Roles
	}
	for v := 1; v <= 10000; v++ {
		name := strconv.Itoa(v) + ".root.json"
		raw, err := src.Read(name)
		if errors.Is(err, ErrNotExist) {
			break
		}
		if err != nil {
			return nil, err
		}
		r.Roots = append(r.Roots, parseRoot(name, raw))
	}
	if raw, err := src.Read("root.json"); err == nil {
		rr := parseRoot("root.json", raw)
		if len(r.Roots) == 0 || (rr.RootMeta != nil && rr.Version > r.Roots[len(r.Roots)-1].Version) {
			r.Roots = append(r.Roots, rr)
		}
	}
	if len(r.Roots) == 0 {
		return nil, errors.New("no root metadata (root.json or 1.root.json) found")
	}
	r.Root = r.Roots[len(r.Roots)-1]
	if r.Root.RootMeta == nil {
		return nil, fmt.Errorf("%s: %s", r.Root.File, r.Root.Error)
	}
	for i, rv := range r.Roots {
		if rv.RootMeta == nil {
			continue
		}
		d, err := trust.FromRoot(rv.RootMeta, metadata.ROOT)
		if err == nil {
			r.judge(rv, d, rv.RootMeta, rv.RootMeta.Signatures)
		}
		if i > 0 && r.Roots[i-1].RootMeta != nil {
			if pd, err := trust.FromRoot(r.Roots[i-1].RootMeta, metadata.ROOT); err == nil && !trust.Check(pd, rv.RootMeta, rv.RootMeta.Signatures).Met {
				rv.Error = fmt.Sprintf("not signed by the threshold of root version %d", r.Roots[i-1].Version)
			}
		}
	}
	r.ByName[metadata.ROOT] = r.Root
	consistent := r.Root.RootMeta.Signed.ConsistentSnapshot
	root := r.Root.RootMeta

	// timestamp
	ts := &Role{Name: metadata.TIMESTAMP, Kind: metadata.TIMESTAMP, File: "timestamp.json"}
	if raw, err := src.Read(ts.File); err == nil {
		ts.Raw, ts.Digest = raw, rawDigest(raw)
		if m, err := metadata.Timestamp().FromBytes(raw); err == nil {
			ts.TimestampMeta, ts.Version, ts.Expires, ts.SpecVersion = m, m.Signed.Version, m.Signed.Expires, m.Signed.SpecVersion
			if d, err := trust.FromRoot(root, metadata.TIMESTAMP); err == nil {
				r.judge(ts, d, m, m.Signatures)
			}
		} else {
			ts.Error = err.Error()
		}
	} else {
		ts.Missing = true
	}
	r.Timestamp, r.ByName[ts.Name] = ts, ts

	// snapshot
	snap := &Role{Name: metadata.SNAPSHOT, Kind: metadata.SNAPSHOT, File: "snapshot.json"}
	if consistent && ts.TimestampMeta != nil && ts.TimestampMeta.Signed.Meta["snapshot.json"] != nil {
		snap.File = fmt.Sprintf("%d.snapshot.json", ts.TimestampMeta.Signed.Meta["snapshot.json"].Version)
	}
	if raw, err := src.Read(snap.File); err == nil {
		snap.Raw, snap.Digest = raw, rawDigest(raw)
		if m, err := metadata.Snapshot().FromBytes(raw); err == nil {
			snap.SnapshotMeta, snap.Version, snap.Expires, snap.SpecVersion = m, m.Signed.Version, m.Signed.Expires, m.Signed.SpecVersion
			if d, err := trust.FromRoot(root, metadata.SNAPSHOT); err == nil {
				r.judge(snap, d, m, m.Signatures)
			}
		} else {
			snap.Error = err.Error()
		}
	} else {
		snap.Missing = true
	}
	r.Snapshot, r.ByName[snap.Name] = snap, snap

	fileFor := func(role string) string {
		if consistent && snap.SnapshotMeta != nil {
			if mf := snap.SnapshotMeta.Signed.Meta[role+".json"]; mf != nil {
				return fmt.Sprintf("%d.%s.json", mf.Version, role)
			}
		}
		return role + ".json"
	}
	// targets and the delegation tree
	d, _ := trust.FromRoot(root, metadata.TARGETS)
	r.Targets = r.loadTargets(src, metadata.TARGETS, fileFor(metadata.TARGETS), "root", d, 0)
	r.Targets.Kind = metadata.TARGETS
	queue := []*Role{r.Targets}
	seen := map[string]bool{metadata.TARGETS: true}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		if parent.TargetsMeta == nil || parent.TargetsMeta.Signed.Delegations == nil {
			continue
		}
		del := parent.TargetsMeta.Signed.Delegations
		var names []string
		var succinct *trust.Delegation
		if del.SuccinctRoles != nil {
			for _, n := range del.SuccinctRoles.GetRoles() {
				if snap.SnapshotMeta == nil || snap.SnapshotMeta.Signed.Meta[n+".json"] != nil || len(names) < 64 {
					names = append(names, n)
				}
			}
			succinct = &trust.Delegation{KeyIDs: del.SuccinctRoles.KeyIDs, Threshold: del.SuccinctRoles.Threshold, Keys: map[string]*metadata.Key{}}
			for _, id := range del.SuccinctRoles.KeyIDs {
				succinct.Keys[id] = del.Keys[id]
			}
		}
		for _, c := range del.Roles {
			names = append(names, c.Name)
		}
		for _, n := range names {
			if seen[n] {
				continue
			}
			seen[n] = true
			var cd *trust.Delegation
			if succinct != nil && del.SuccinctRoles.IsDelegatedRole(n) {
				c := *succinct
				c.Role = n
				cd = &c
			} else {
				cd, _ = trust.FromTargets(parent.TargetsMeta, n)
			}
			child := r.loadTargets(src, n, fileFor(n), parent.Name, cd, parent.Depth+1)
			parent.Children = append(parent.Children, n)
			r.Delegated = append(r.Delegated, child)
			queue = append(queue, child)
		}
	}
	// Depth-first order for the tree.
	var ordered []*Role
	var walk func(name string)
	walk = func(name string) {
		for _, c := range r.ByName[name].Children {
			ordered = append(ordered, r.ByName[c])
			walk(c)
		}
	}
	walk(metadata.TARGETS)
	r.Delegated = ordered
	r.roles = map[string]CachedRole{}
	for _, x := range r.Delegated {
		switch {
		case x.Stub:
			c := r.cached[x.Name]
			r.roles[x.Name] = CachedRole{Digest: x.Digest, File: x.File, Version: x.Version, Expires: x.Expires, SpecVersion: x.SpecVersion, Leaf: true,
				Project: c.Project, NotProject: c.NotProject}
		case x.TargetsMeta != nil && x.Digest != "" && len(x.Children) == 0 && (x.TargetsMeta.Signed.Delegations == nil ||
			(len(x.TargetsMeta.Signed.Delegations.Roles) == 0 && x.TargetsMeta.Signed.Delegations.SuccinctRoles == nil)):
			r.roles[x.Name] = CachedRole{Digest: x.Digest, File: x.File, Version: x.Version, Expires: x.Expires, SpecVersion: x.SpecVersion, Leaf: true}
		}
	}
	for _, x := range append(append([]*Role{r.Timestamp, r.Snapshot, r.Targets}, r.Roots...), r.Delegated...) {
		x.now = now
	}
	return r, nil
}

func (r *Repo) loadTargets(src Source, name, file, delegator string, d *trust.Delegation, depth int) *Role {
	role := &Role{Name: name, Kind: "delegated", File: file, Delegator: delegator, Depth: depth}
	r.ByName[name] = role
	if ds, ok := src.(DigestSource); ok && d != nil {
		if dg, ok := ds.Digest(file); ok {
			role.Digest = dg
			if c, ok := r.cached[name]; ok && c.Digest == dg && c.File == file && c.Leaf {
				key := judgmentKey(role, d)
				if j, ok := r.cache[file]; ok && j.Input == key {
					role.Stub = true
					role.Version, role.Expires, role.SpecVersion = c.Version, c.Expires, c.SpecVersion
					role.Threshold, role.KeyIDs, role.Keys = d.Threshold, d.KeyIDs, d.Keys
					role.Valid, role.Met, role.Sigs = j.Valid, j.Met, j.Sigs
					r.judged[file] = j
					return role
				}
			}
		}
	}
	r.Parsed++
	var raw []byte
	var parsed *metadata.Metadata[metadata.TargetsType]
	var err error
	if ts, ok := src.(TargetsSource); ok {
		raw, parsed, err = ts.ReadTargets(file)
	} else {
		raw, err = src.Read(file)
	}
	if err != nil {
		if errors.Is(err, ErrNotExist) {
			role.Missing = true
		} else {
			role.Error = err.Error()
		}
		if d != nil {
			role.Threshold, role.KeyIDs, role.Keys = d.Threshold, d.KeyIDs, d.Keys
		}
		return role
	}
	role.Raw = raw
	if role.Digest == "" {
		role.Digest = rawDigest(raw)
	}
	m := parsed
	if m == nil {
		if m, err = parseTargets(raw); err != nil {
			role.Error = err.Error()
			return role
		}
	}
	role.TargetsMeta, role.Version, role.Expires, role.SpecVersion = m, m.Signed.Version, m.Signed.Expires, m.Signed.SpecVersion
	if d != nil {
		r.judge(role, d, m, m.Signatures)
	}
	return role
}

// Fill reads and parses a stub role (its signatures stay as judged).
func (r *Repo) Fill(role *Role) error {
	if !role.Stub {
		return nil
	}
	var raw []byte
	var m *metadata.Metadata[metadata.TargetsType]
	var err error
	if ts, ok := r.src.(TargetsSource); ok {
		raw, m, err = ts.ReadTargets(role.File)
	} else {
		raw, err = r.src.Read(role.File)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", role.File, err)
	}
	if m == nil {
		if m, err = parseTargets(raw); err != nil {
			return fmt.Errorf("%s: %w", role.File, err)
		}
	}
	r.Parsed++
	role.Raw, role.TargetsMeta, role.Stub = raw, m, false
	return nil
}

// parseTargets is go-tuf's FromBytes for a role of any repository. go-tuf
// 2.4.2 panics on some hostile metadata (a null target entry): that role
// is shown as unreadable instead of taking the whole build down.
func parseTargets(raw []byte) (m *metadata.Metadata[metadata.TargetsType], err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("malformed metadata: go-tuf could not decode it (%v)", r)
		}
	}()
	return metadata.Targets().FromBytes(raw)
}

func parseRoot(file string, raw []byte) *Role {
	role := &Role{Name: metadata.ROOT, Kind: metadata.ROOT, File: file, Raw: raw, Digest: rawDigest(raw)}
	m, err := metadata.Root().FromBytes(raw)
	if err != nil {
		role.Error = err.Error()
		return role
	}
	role.RootMeta, role.Version, role.Expires, role.SpecVersion = m, m.Signed.Version, m.Signed.Expires, m.Signed.SpecVersion
	return role
}

// judge records who may sign a role and the state of each signature,
// computed with go-tuf from the metadata alone.
func (r *Repo) judge(role *Role, d *trust.Delegation, md any, sigs []metadata.Signature) {
	role.Threshold, role.KeyIDs, role.Keys = d.Threshold, d.KeyIDs, d.Keys
	d.Role = role.Name
	key := judgmentKey(role, d)
	name := role.File
	if j, ok := r.cache[name]; ok && j.Input == key {
		role.Valid, role.Met, role.Sigs = j.Valid, j.Met, j.Sigs
		r.judged[name] = j
		return
	}
	r.Checked++
	defer func() { r.judged[name] = Judgment{Input: key, Valid: role.Valid, Met: role.Met, Sigs: role.Sigs} }()
	c := trust.Check(d, md, sigs)
	role.Valid, role.Met = len(c.Valid), c.Met
	status := map[string]string{}
	for _, id := range c.Valid {
		status[id] = "valid"
	}
	for _, id := range c.Invalid {
		status[id] = "invalid"
	}
	for _, id := range c.Unknown {
		status[id] = "unknown key"
	}
	for _, s := range sigs {
		role.Sigs = append(role.Sigs, Sig{KeyID: s.KeyID, Status: status[s.KeyID]})
	}
	for _, id := range c.Missing {
		role.Sigs = append(role.Sigs, Sig{KeyID: id, Status: "missing"})
	}
	sort.SliceStable(role.Sigs, func(i, j int) bool { return role.Sigs[i].Status > role.Sigs[j].Status })
}
