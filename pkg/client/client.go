// Package client is tufgit's downloader: it answers "which releases does
// project X have" and "give me release X.Y.Z of project X" from verified
// TUF metadata only, through go-tuf's updater. It imports no git and no
// signing code, so a Go program can embed it cheaply.
package client

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/tufgit/tufgit/pkg/atomicfile"
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

// Config is the client's config.json.
type Config struct {
	Mirror string `json:"mirror"`
}

// Client downloads from one mirror, trusting the root in its directory.
type Client struct {
	Dir      string
	Config   Config
	Progress Progress
	Timeout  time.Duration

	// testNow replaces the system clock in this package's tests only
	// (export_test.go). Nothing else can set it: a clock from anywhere but
	// the system would switch off freeze protection.
	testNow time.Time
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

func checkMirrorURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("mirror %q: want an http(s) URL", u)
	}
	return nil
}

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
	OldMirror  string // its mirror
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
	if len(root) > MaxRoot {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadRoot, MaxRoot)
	}
	tm, err := trustedmetadata.New(root)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRoot, err)
	}
	res := &Pinned{NewVersion: tm.Root.Signed.Version}
	if err := os.MkdirAll(filepath.Join(dir, "metadata"), 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "targets"), 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if old, err := os.ReadFile(filepath.Join(dir, "metadata", "root.json")); err == nil {
		res.Replaced = true
		if raw, err := os.ReadFile(filepath.Join(dir, "config.json")); err == nil {
			var cfg Config
			if layout.DecodeStrict(raw, &cfg) == nil {
				res.OldMirror = cfg.Mirror
			}
		}
		if om, err := metadata.Root().FromBytes(old); err == nil {
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
	cfg, err := json.MarshalIndent(Config{Mirror: strings.TrimSuffix(mirrorURL, "/")}, "", "  ")
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
	return res, writeAtomic(filepath.Join(dir, "config.json"), append(cfg, '\n'))
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

// Open opens a client directory made by Init.
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
	if err := checkMirrorURL(cfg.Mirror); err != nil {
		return nil, err
	}
	return &Client{Dir: dir, Config: cfg, Timeout: 5 * time.Minute}, nil
}

// session is one locked, refreshed updater.
type session struct {
	c      *Client
	up     *updater.Updater
	unlock func()
}

func (c *Client) session() (*session, error) {
	unlock, err := lockDir(c.Dir)
	if err != nil {
		return nil, err
	}
	root, err := os.ReadFile(filepath.Join(c.Dir, "metadata", "root.json"))
	if err != nil {
		unlock()
		return nil, fmt.Errorf("%s: %w", c.Dir, ErrNotInitialized)
	}
	cfg, err := config.New(c.Config.Mirror+"/metadata", root)
	if err != nil {
		unlock()
		return nil, err
	}
	cfg.LocalMetadataDir = filepath.Join(c.Dir, "metadata")
	cfg.LocalTargetsDir = filepath.Join(c.Dir, "targets")
	cfg.RemoteTargetsURL = c.Config.Mirror + "/targets"
	cfg.PrefixTargetsWithHash = true
	cfg.RootMaxLength, cfg.TimestampMaxLength, cfg.SnapshotMaxLength, cfg.TargetsMaxLength = MaxRoot, MaxTimestamp, MaxSnapshot, MaxTargets
	f := newFetcher(c.Timeout)
	f.progress = c.Progress
	cfg.Fetcher = f
	up, err := updater.New(cfg)
	if err != nil {
		unlock()
		return nil, Classify(err)
	}
	if !c.testNow.IsZero() {
		up.UnsafeSetRefTime(c.testNow)
	}
	if err := up.Refresh(); err != nil {
		unlock()
		return nil, Classify(err)
	}
	return &session{c: c, up: up, unlock: unlock}, nil
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
// project's role as go-tuf's updater finds it by walking the delegations
// from targets (never from an unsigned index).
func (c *Client) Releases(project string) ([]Release, error) {
	s, err := c.session()
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
	// Walk the delegations for a path inside the project: this loads,
	// and verifies, every role on the way to the project's role.
	probe := layout.TargetPath(name, "0", "0")
	if _, err := s.up.GetTargetInfo(probe); err != nil && !isNotFound(err) {
		if isMissingRole(err) {
			return nil, nil // delegated, but nothing released yet
		}
		return nil, Classify(err)
	}
	tm := s.up.GetTrustedMetadataSet()
	role := tm.Targets[name]
	if role == nil {
		return nil, fmt.Errorf("%w %q on %s", ErrUnknownProject, name, s.c.Config.Mirror)
	}
	// Only paths the delegation chain gives this role count: a role that
	// lists another project's files is ignored for those files.
	deleg := delegationOf(tm, name)
	byV := map[string]*Release{}
	for p, tf := range role.Signed.Targets {
		proj, v, f, err := layout.ParseTargetPath(p)
		if err != nil || proj != name || deleg == nil {
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

// delegationOf finds the delegation of role in the trusted roles.
func delegationOf(tm trustedmetadata.TrustedMetadata, role string) *metadata.DelegatedRole {
	for _, t := range tm.Targets {
		if t.Signed.Delegations == nil {
			continue
		}
		for i, r := range t.Signed.Delegations.Roles {
			if r.Name == role {
				return &t.Signed.Delegations.Roles[i]
			}
		}
	}
	return nil
}

// Download is what Download did.
type Download struct {
	Release Release
	Files   []string // paths written in the output directory
	Cached  int      // files served from the verified cache
	Warning string   // e.g. that the release is yanked
}

// Download fetches every file of a release into outDir. With version ""
// (or "latest") it takes the latest release that is not yanked; a yanked
// release named exactly is downloaded with a warning. Every file is
// checked against its signed length and hashes first; files appear in
// outDir only when the whole release verified, each written atomically.
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
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	defer s.unlock()
	rels, err := s.releases(project)
	if err != nil {
		return nil, err
	}
	name, _ := layout.NormalizeProjectName(project)
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
	// Into the cache first (content-addressed by sha256), all of them.
	cached := make([]string, len(res.Release.Files))
	for i, f := range res.Release.Files {
		// The target as the updater resolves it for this exact path.
		ti, err := s.up.GetTargetInfo(f.Path)
		if err != nil {
			return nil, Classify(err)
		}
		p := filepath.Join(c.Dir, "targets", hex.EncodeToString(ti.Hashes["sha256"]))
		if hit, _, err := s.up.FindCachedTarget(ti, p); err == nil && hit != "" {
			cached[i] = hit
			res.Cached++
			continue
		}
		tmp := p + ".part"
		if _, _, err := s.up.DownloadTarget(ti, tmp, ""); err != nil {
			os.Remove(tmp)
			return nil, Classify(err)
		}
		if err := os.Rename(tmp, p); err != nil {
			return nil, err
		}
		cached[i] = p
	}
	// Then into outDir.
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	for i, f := range res.Release.Files {
		data, err := os.ReadFile(cached[i])
		if err != nil {
			return nil, err
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != f.SHA256 {
			return nil, fmt.Errorf("cached %s changed on disk; delete %s and retry", f.Name, cached[i])
		}
		dst := filepath.Join(outDir, f.Name)
		if err := writeAtomic(dst, data); err != nil {
			return nil, err
		}
		res.Files = append(res.Files, dst)
	}
	return res, nil
}

func writeAtomic(p string, data []byte) error {
	return atomicfile.Write(p, data, 0o644)
}

// lockDir serializes clients sharing a directory (go-tuf's updater is not
// safe for concurrent use of its files).
func lockDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
