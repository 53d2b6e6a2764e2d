// Package client is tufgit's downloader, and a general TUF client: it
// answers "which releases does project X have" and "give me release X.Y.Z
// of project X", or "give me target PATH" of any TUF repository, from
// verified TUF metadata only. go-tuf's updater refreshes the top-level
// roles; the delegation walk is this package's own (walk.go), checking
// every delegated role against the delegator it is reached through; target
// files stream to disk, hashed on the way. It imports no git and no
// signing code, so a Go program can embed it cheaply (see
// docs/client-library.md).
package client

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/tufgit/tufgit/pkg/filelock"
	"github.com/tufgit/tufgit/pkg/layout"
)

// Errors callers test for with errors.Is. TUF failures from go-tuf are
// classified by Classify.
var (
	ErrNotInitialized = errors.New("no client state: run `tufgit client init` first")
	ErrUnknownProject = errors.New("unknown project")
	ErrUnknownVersion = errors.New("unknown version")
	ErrNoRelease      = errors.New("no release to download")
	ErrUnknownFile    = errors.New("unknown file")
	ErrUnreachable    = errors.New("mirror unreachable")
	ErrBadRoot        = errors.New("not a usable trusted root")
	ErrOlderRoot      = errors.New("older than the root this client already trusts")
)

// Limits on metadata sizes. Larger than python-tuf's defaults for snapshot
// and targets, because snapshot lists every project (about 31 bytes each;
// 8 MB is about 250,000 projects).
const (
	MaxRoot      = 512 << 10
	MaxTimestamp = 16 << 10
	MaxSnapshot  = 8 << 20
	MaxTargets   = 5 << 20
)

// Config says where a client downloads from; it is the client's
// config.json. A tufgit mirror needs only Mirror (its metadata under
// Mirror/metadata, its targets under Mirror/targets); any other TUF
// repository gives MetadataURL and TargetsURL instead.
type Config struct {
	Mirror      string `json:"mirror,omitempty"`
	MetadataURL string `json:"metadata_url,omitempty"`
	TargetsURL  string `json:"targets_url,omitempty"`

	// Now, if set, is the reference time against which metadata expiry is
	// checked (go-tuf's UnsafeSetRefTime): for programs that verify "as of"
	// a date, and for conformance harnesses that move the clock. Nil means
	// the system clock. It is not saved in config.json, and the tufgit
	// binary never sets it: a clock from anywhere but the system switches
	// off freeze protection (an attacker replaying expired metadata).
	Now func() time.Time `json:"-"`
}

// URLs are the metadata and targets base URLs, without a trailing slash.
func (c Config) URLs() (metadataURL, targetsURL string, err error) {
	switch {
	case c.Mirror != "" && (c.MetadataURL != "" || c.TargetsURL != ""):
		return "", "", fmt.Errorf("mirror %q: give either a mirror URL or metadata and targets URLs, not both", c.Mirror)
	case c.Mirror != "":
		if err := checkURL("mirror", c.Mirror); err != nil {
			return "", "", err
		}
		m := strings.TrimSuffix(c.Mirror, "/")
		return m + "/metadata", m + "/targets", nil
	}
	if err := checkURL("metadata URL", c.MetadataURL); err != nil {
		return "", "", err
	}
	if err := checkURL("targets URL", c.TargetsURL); err != nil {
		return "", "", err
	}
	return strings.TrimSuffix(c.MetadataURL, "/"), strings.TrimSuffix(c.TargetsURL, "/"), nil
}

// where names the repository in messages.
func (c Config) where() string {
	if c.Mirror != "" {
		return c.Mirror
	}
	return c.MetadataURL
}

// Client downloads from one TUF repository, trusting the root in its
// directory. A Client is not safe for concurrent use; clients in other
// processes may share its directory (each operation locks it).
type Client struct {
	Dir      string
	Config   Config
	Progress Progress
	// Timeout bounds each metadata transfer, and the time a target file's
	// transfer may go without receiving a byte (default 5 minutes).
	Timeout time.Duration

	// shardCheck caches the top level's verified shard state and the
	// remembered index floors (shardstate.go).
	shardCheck shardCheckCache

	// state is the trusted metadata of the last refresh: Target and
	// DownloadTarget look up in it, Releases, Download and Projects
	// refresh it first.
	state *trustedmetadata.TrustedMetadata
	// shardMap is the verified shard map of a sharded repository, from
	// the same refresh as state (nil: not sharded); shardState is each
	// shard's trusted metadata, by its metadata path.
	shardMap   *layout.ShardMap
	shardState map[string]*trustedmetadata.TrustedMetadata
}

// DefaultDir is $XDG_DATA_HOME/tufgit, or ~/.local/share/tufgit.
func DefaultDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "tufgit"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "share", "tufgit"), nil
}

func checkURL(what, u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("%s %q: want an http(s) URL", what, u)
	}
	return nil
}

func checkMirrorURL(u string) error { return checkURL("mirror", u) }

// Init pins trust in root (bytes that came through a trusted channel) for
// the mirror at mirrorURL, in dir. Root must be valid root metadata signed
// by its own threshold. Over an existing client it refuses a root older
// than the one already trusted (see Pin).
func Init(dir, mirrorURL string, root []byte) error {
	_, err := Pin(dir, mirrorURL, root, false)
	return err
}

// Pinned is what Pin replaced: the root and mirror a client directory
// trusted before.
type Pinned struct {
	Replaced   bool   // the directory already trusted a root
	OldMirror  string // its mirror (or metadata URL)
	OldVersion int64  // the version of the root it trusted (its latest, after rotations)
	NewVersion int64
}

// Pin is Init that reports what it replaced. A client that already trusts a
// root keeps it against a root of a lower version, or another root of the
// same version: pinning it would undo the rotations the client followed (a
// rollback to keys that may have been retired because they leaked). force
// pins it anyway.
func Pin(dir, mirrorURL string, root []byte, force bool) (*Pinned, error) {
	if err := checkMirrorURL(mirrorURL); err != nil {
		return nil, err
	}
	return PinConfig(dir, Config{Mirror: strings.TrimSuffix(mirrorURL, "/")}, root, force)
}

// PinConfig is Pin for any repository: cfg is written to dir/config.json,
// for Open.
func PinConfig(dir string, cfg Config, root []byte, force bool) (*Pinned, error) {
	if _, _, err := cfg.URLs(); err != nil {
		return nil, err
	}
	tm, err := checkRoot(root)
	if err != nil {
		return nil, err
	}
	res := &Pinned{NewVersion: tm.Root.Signed.Version}
	unlock, err := prepareDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if old, err := os.ReadFile(filepath.Join(dir, "metadata", "root.json")); err == nil {
		res.Replaced = true
		if raw, err := os.ReadFile(filepath.Join(dir, "config.json")); err == nil {
			var old Config
			if layout.DecodeStrict(raw, &old) == nil {
				res.OldMirror = old.where()
			}
		}
		// A trusted root that does not load (damaged on disk) guards
		// against no rollback: it is replaced.
		if otm, err := checkRoot(old); err == nil {
			om := otm.Root
			res.OldVersion = om.Signed.Version
			if !force {
				switch {
				case res.NewVersion < res.OldVersion:
					return res, fmt.Errorf("root v%d is %w (v%d, in %s)", res.NewVersion, ErrOlderRoot, res.OldVersion, dir)
				case res.NewVersion == res.OldVersion && !sameSigned(om, tm.Root):
					return res, fmt.Errorf("root v%d differs from the root v%d this client already trusts (in %s): %w", res.NewVersion, res.OldVersion, dir, ErrOlderRoot)
				}
			}
		}
	}
	raw, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, err
	}
	// A new root replaces every cached role: they may come from another repository.
	entries, _ := os.ReadDir(filepath.Join(dir, "metadata"))
	for _, e := range entries {
		os.Remove(filepath.Join(dir, "metadata", e.Name()))
	}
	if err := writeAtomic(filepath.Join(dir, "metadata", "root.json"), root); err != nil {
		return nil, err
	}
	return res, writeAtomic(filepath.Join(dir, "config.json"), append(raw, '\n'))
}

// checkRoot accepts root metadata signed by its own threshold.
func checkRoot(root []byte) (*trustedmetadata.TrustedMetadata, error) {
	if len(root) > MaxRoot {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadRoot, MaxRoot)
	}
	var tm *trustedmetadata.TrustedMetadata
	err := noPanic("root", func() (err error) { tm, err = trustedmetadata.New(root); return err })
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRoot, err)
	}
	return tm, nil
}

// prepareDir makes a client directory's layout and locks it.
func prepareDir(dir string) (func(), error) {
	for _, d := range []string{"metadata", "targets"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	return lockDir(dir)
}

// New is a client of the repository cfg names, keeping its state in dir
// (created if need be), without a config.json: the caller keeps cfg. The
// first time, dir trusts root (bytes that came through a trusted channel;
// they must be root metadata signed by its own threshold); later, dir
// trusts the root it has, after the rotations it followed, and root may be
// nil. Nothing is fetched until Refresh (or the first lookup).
func New(dir string, cfg Config, root []byte) (*Client, error) {
	if _, _, err := cfg.URLs(); err != nil {
		return nil, err
	}
	unlock, err := prepareDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	p := filepath.Join(dir, "metadata", "root.json")
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		if root == nil {
			return nil, fmt.Errorf("%s: %w (and no root given)", dir, ErrNotInitialized)
		}
		if _, err := checkRoot(root); err != nil {
			return nil, err
		}
		if err := writeAtomic(p, root); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	return &Client{Dir: dir, Config: cfg, Timeout: 5 * time.Minute}, nil
}

// sameSigned reports whether two roots sign the same content.
func sameSigned(a, b *metadata.Metadata[metadata.RootType]) bool {
	x, err1 := json.Marshal(a.Signed)
	y, err2 := json.Marshal(b.Signed)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// FetchRootTOFU fetches 1.root.json from the mirror: trust on first use,
// for people who accept that an attacker controlling the mirror now would
// be trusted forever.
func FetchRootTOFU(mirrorURL string) ([]byte, error) {
	if err := checkMirrorURL(mirrorURL); err != nil {
		return nil, err
	}
	return newFetcher(30*time.Second).DownloadFile(strings.TrimSuffix(mirrorURL, "/")+"/metadata/1.root.json", MaxRoot, 0)
}

// Open opens a client directory made by Init or PinConfig.
func Open(dir string) (*Client, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNotInitialized)
	}
	if err != nil {
		return nil, err
	}
	var cfg Config
	if err := layout.DecodeStrict(raw, &cfg); err != nil {
		return nil, fmt.Errorf("%s/config.json: %w", dir, err)
	}
	if _, _, err := cfg.URLs(); err != nil {
		return nil, fmt.Errorf("%s/config.json: %w", dir, err)
	}
	return &Client{Dir: dir, Config: cfg, Timeout: 5 * time.Minute}, nil
}

// session is one locked client with trusted metadata: of the repository,
// or of one shard of a sharded repository (shards.go).
type session struct {
	c          *Client
	tm         *trustedmetadata.TrustedMetadata
	fetch      *fetcher
	metaURL    string // the metadata base URL of this repository or shard
	metaDir    string // its trusted metadata on disk
	targetsURL string
	unlock     func()
	// refreshed: this session refreshed the top level, so each shard it
	// uses is refreshed too (once).
	refreshed bool
	shards    map[string]*session // the shard sessions opened so far
	shard     string              // the shard this session reads ("": the top level)
}

// session locks the client's directory and, with refresh or when the
// client has no trusted metadata yet, refreshes it.
func (c *Client) session(refresh bool) (*session, error) {
	metaURL, targetsURL, err := c.Config.URLs()
	if err != nil {
		return nil, err
	}
	unlock, err := lockDir(c.Dir)
	if err != nil {
		return nil, err
	}
	f := newFetcher(c.Timeout)
	f.progress = c.Progress
	s := &session{c: c, fetch: f, metaURL: metaURL, metaDir: filepath.Join(c.Dir, "metadata"), targetsURL: targetsURL, unlock: unlock}
	if refresh || c.state == nil {
		tm, err := s.update()
		if err == nil {
			c.state, c.shardMap = tm, nil
			s.tm = tm
			c.shardMap, err = s.loadShardMap()
		}
		if err != nil {
			c.state = nil
			unlock()
			return nil, err
		}
		s.refreshed = true
	}
	s.tm = c.state
	return s, nil
}

// update refreshes root, timestamp, snapshot and targets of s's
// repository (or shard) with go-tuf's updater (TUF spec 5.3 to 5.5), and
// returns the trusted set. Delegated roles are this package's own walk
// (walk.go).
func (s *session) update() (*trustedmetadata.TrustedMetadata, error) {
	c := s.c
	root, err := loadLocal(s.metaDir)
	if errors.Is(err, ErrBadLocalRoot) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Dir, ErrNotInitialized)
	}
	cfg, err := config.New(s.metaURL, root)
	if err != nil {
		return nil, Classify(err)
	}
	cfg.LocalMetadataDir = s.metaDir
	cfg.LocalTargetsDir = filepath.Join(c.Dir, "targets")
	cfg.RootMaxLength, cfg.TimestampMaxLength, cfg.SnapshotMaxLength, cfg.TargetsMaxLength = MaxRoot, MaxTimestamp, MaxSnapshot, MaxTargets
	cfg.Fetcher = s.fetch
	up, err := updater.New(cfg)
	if err != nil {
		return nil, Classify(err)
	}
	if c.Config.Now != nil {
		up.UnsafeSetRefTime(c.Config.Now())
	}
	if err := noPanic("refresh", up.Refresh); err != nil {
		return nil, Classify(err)
	}
	// A copy the updater no longer touches: the walk adds delegated roles.
	tm := up.GetTrustedMetadataSet()
	tm.Targets = maps.Clone(tm.Targets)
	return &tm, nil
}

// Refresh updates the trusted metadata from the repository (root
// rotations, timestamp, snapshot, top-level targets), as TUF's client
// workflow begins. Target and DownloadTarget then look up in it;
// delegated roles are loaded as a lookup needs them.
func (c *Client) Refresh() error {
	s, err := c.session(true)
	if err != nil {
		return err
	}
	s.unlock()
	return nil
}

// Release is one version of a project, from verified metadata.
type Release struct {
	Version    string `json:"version"`
	Yanked     bool   `json:"yanked"`
	YankReason string `json:"yank_reason,omitempty"`
	Files      []File `json:"files"`
}

// File is one file of a release.
type File struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Length int64  `json:"length"`
	SHA256 string `json:"sha256"`
	target *metadata.TargetFiles
}

// Releases lists every release of project, in SemVer order, from the
// project's role as the delegation walk finds it from targets (never from
// an unsigned index).
func (c *Client) Releases(project string) ([]Release, error) {
	s, err := c.session(true)
	if err != nil {
		return nil, err
	}
	defer s.unlock()
	return s.releases(project)
}

func (s *session) releases(project string) ([]Release, error) {
	name, err := layout.NormalizeProjectName(project)
	if err != nil {
		return nil, err
	}
	if s, err = s.forProject(name); err != nil {
		return nil, err
	}
	// Walk the delegations for a path inside the project: this loads,
	// and verifies, every role on the way to the project's role.
	r, err := s.lookup(layout.TargetPath(name, "0", "0"))
	var missing *missingRoleError
	if errors.As(err, &missing) && missing.role == name {
		return nil, nil // delegated, but nothing released yet
	}
	if err != nil {
		return nil, Classify(err)
	}
	v := r.visited(name)
	if v == nil || v.Delegation == nil {
		return nil, fmt.Errorf("%w %q on %s", ErrUnknownProject, name, s.c.Config.where())
	}
	role := s.tm.Targets[name]
	// Only paths the delegation that led here gives this role count: a
	// role that lists another project's files is ignored for those files.
	deleg := v.Delegation
	byV := map[string]*Release{}
	for p, tf := range role.Signed.Targets {
		proj, v, f, err := layout.ParseTargetPath(p)
		if err != nil || proj != name {
			continue
		}
		if ok, _ := deleg.IsDelegatedPath(p); !ok {
			continue
		}
		r := byV[v]
		if r == nil {
			r = &Release{Version: v}
			byV[v] = r
		}
		r.Files = append(r.Files, File{Name: f, Path: p, Length: tf.Length, SHA256: hex.EncodeToString(tf.Hashes["sha256"]), target: tf})
		if tf.Custom != nil {
			if c, err := layout.ParseTargetCustom(*tf.Custom); err == nil && c.Yanked {
				r.Yanked, r.YankReason = true, c.YankReason
			}
		}
	}
	out := make([]Release, 0, len(byV))
	for _, r := range byV {
		sort.Slice(r.Files, func(i, j int) bool { return r.Files[i].Name < r.Files[j].Name })
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return layout.CompareVersions(out[i].Version, out[j].Version) < 0 })
	return out, nil
}

// Download is what Download did.
type Download struct {
	Release   Release
	Files     []string // paths in the output directory
	Cached    int      // files served from the verified cache
	Unchanged int      // files the output directory already held, left alone
	Warning   string   // e.g. that the release is yanked
}

// Download fetches every file of a release into outDir. With version ""
// (or "latest") it takes the latest release that is not yanked; a yanked
// release named exactly is downloaded with a warning. Every file is
// checked against its signed length and hashes as it streams; files
// appear in outDir only when the whole release verified, each written
// atomically, and a file outDir already holds with the same bytes is left
// alone.
func (c *Client) Download(project, version, outDir string) (*Download, error) {
	return c.DownloadFile(project, version, "", outDir)
}

// DownloadFile is Download of one file of the release, by its filename
// (every file when file is ""). A version that is not listed exactly but
// is equivalent to a release ("v1.0" for "1.0", see
// layout.CanonicalVersion) names that release.
func (c *Client) DownloadFile(project, version, file, outDir string) (*Download, error) {
	if file != "" {
		if err := layout.ValidateFilename(file); err != nil {
			return nil, err
		}
	}
	if strings.EqualFold(version, layout.ReservedVersion) {
		version = ""
	}
	s, err := c.session(true)
	if err != nil {
		return nil, err
	}
	defer s.unlock()
	rels, err := s.releases(project)
	if err != nil {
		return nil, err
	}
	name, _ := layout.NormalizeProjectName(project)
	if s, err = s.forProject(name); err != nil { // the top level's lock stays held
		return nil, err
	}
	res := &Download{}
	switch {
	case version == "":
		for i := len(rels) - 1; i >= 0; i-- {
			if !rels[i].Yanked {
				res.Release = rels[i]
				break
			}
		}
		if res.Release.Version == "" {
			return nil, fmt.Errorf("%w: %s has no release that is not yanked", ErrNoRelease, name)
		}
	default:
		if err := layout.ValidateVersion(version); err != nil {
			return nil, err
		}
		for _, r := range rels {
			if r.Version == version {
				res.Release = r
			}
		}
		if res.Release.Version == "" {
			for _, r := range rels {
				if layout.EquivalentVersions(r.Version, version) {
					res.Release = r
				}
			}
		}
		if res.Release.Version == "" {
			return nil, fmt.Errorf("%w: %s has no release %s", ErrUnknownVersion, name, version)
		}
		if res.Release.Yanked {
			res.Warning = fmt.Sprintf("release %s of %s is yanked", res.Release.Version, name)
			if res.Release.YankReason != "" {
				res.Warning += ": " + res.Release.YankReason
			}
		}
	}
	if file != "" {
		var names []string
		var keep []File
		for _, f := range res.Release.Files {
			names = append(names, f.Name)
			if f.Name == file {
				keep = append(keep, f)
			}
		}
		if len(keep) == 0 {
			return nil, fmt.Errorf("%w: release %s of %s has no file %s; its files: %s", ErrUnknownFile, res.Release.Version, name, file, strings.Join(names, ", "))
		}
		res.Release.Files = keep
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	ps := make([]*placement, len(res.Release.Files))
	for i, f := range res.Release.Files {
		// The target as the walk resolves this exact path (the most
		// trusted role that lists it).
		r, err := s.find(f.Path)
		if err != nil {
			return nil, Classify(err)
		}
		ps[i] = &placement{tf: r.Target, dst: filepath.Join(outDir, f.Name)}
	}
	if err := s.fetchAll(ps); err != nil {
		return nil, err
	}
	for _, p := range ps {
		res.Files = append(res.Files, p.dst)
		if p.unchanged {
			res.Unchanged++
		} else if p.cached {
			res.Cached++
		}
	}
	return res, nil
}

// lockDir serializes clients sharing a directory (go-tuf's updater is not
// safe for concurrent use of its files).
func lockDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return filelock.Lock(filepath.Join(dir, "lock"))
}
