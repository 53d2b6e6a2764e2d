package client

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Errors of what a client trusts, for errors.Is.
var (
	// ErrNotMirrorsRoot: the mirror's metadata does not follow from the
	// root given to pin (a root of another repository, or of another
	// mirror).
	ErrNotMirrorsRoot = errors.New("this root is not the mirror's")
	// ErrBadLocalRoot: the client directory's own trusted root does not
	// load. A local fault, not the mirror's.
	ErrBadLocalRoot = errors.New("the client's trusted root does not load")
)

// RootInfo says what a root is: what a client that pins it trusts.
type RootInfo struct {
	Version int64 `json:"version"`
	// Fingerprint is the sha256 of the root file's bytes, in hex.
	Fingerprint string    `json:"fingerprint"`
	Expires     time.Time `json:"expires"`
	// Keys are the keyids that sign root, Threshold of them needed.
	Keys      []string `json:"keys"`
	Threshold int      `json:"threshold"`
}

// DescribeRoot checks that root is root metadata signed by its own
// threshold, and describes it.
func DescribeRoot(root []byte) (*RootInfo, error) {
	tm, err := checkRoot(root)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(root)
	r := tm.Root.Signed
	info := &RootInfo{Version: r.Version, Fingerprint: hex.EncodeToString(sum[:]), Expires: r.Expires}
	if role := r.Roles[metadata.ROOT]; role != nil {
		info.Keys = append([]string(nil), role.KeyIDs...)
		sort.Strings(info.Keys)
		info.Threshold = role.Threshold
	}
	return info, nil
}

// CheckMirror checks, before a client pins root for the repository cfg
// names, that the mirror serves this root's chain: that the root of the
// same version the mirror serves is this one, and that its metadata
// verifies from this root, following its root rotations (a refresh in a
// temporary directory, as the client will do). It returns the newest root
// the chain leads to. A root of another repository is ErrNotMirrorsRoot;
// a mirror that can not be reached, a *TUFError of CauseUnreachable.
func CheckMirror(cfg Config, root []byte) (*RootInfo, error) {
	metaURL, _, err := cfg.URLs()
	if err != nil {
		return nil, err
	}
	given, err := DescribeRoot(root)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("%d.root.json", given.Version)
	data, err := newFetcher(30*time.Second).DownloadFile(metaURL+"/"+name, MaxRoot, 0)
	var httpErr *metadata.ErrDownloadHTTP
	served := false // the mirror serves this very root at its version
	switch {
	case err == nil:
		theirs, perr := metadata.Root().FromBytes(data)
		ours, _ := metadata.Root().FromBytes(root)
		if perr != nil || !sameSigned(theirs, ours) {
			sum := sha256.Sum256(data)
			return nil, fmt.Errorf("%w: the mirror's %s (fingerprint %s) is another root than this one (fingerprint %s)",
				ErrNotMirrorsRoot, name, hex.EncodeToString(sum[:8]), given.Fingerprint[:16])
		}
		served = true
	case errors.As(err, &httpErr):
		// Not every TUF mirror keeps every root; the refresh decides.
	default:
		return nil, Classify(err)
	}
	tmp, err := os.MkdirTemp("", "tufgit-client-check-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	c, err := New(tmp, cfg, root)
	if err != nil {
		return nil, err
	}
	if err := c.Refresh(); err != nil {
		var te *TUFError
		// When the mirror serves this very root, a bad signature further
		// down the chain (a tampered timestamp) is the mirror's fault, for
		// the client to refuse when it reads it, not a sign that the root
		// belongs elsewhere.
		if errors.As(err, &te) && te.Cause == CauseSignature && !served {
			return nil, fmt.Errorf("%w: its metadata is not signed by this root's keys (nor by the roots it rotated to): %v", ErrNotMirrorsRoot, te.Err)
		}
		return nil, err
	}
	latest, err := os.ReadFile(filepath.Join(tmp, "metadata", "root.json"))
	if err != nil {
		return nil, err
	}
	return DescribeRoot(latest)
}

// loadLocal checks the client's trusted metadata before a refresh, as
// python-tuf does: a root that does not load is ErrBadLocalRoot, naming
// the file (the client's own fault, not the mirror's); a cached
// timestamp, snapshot or targets file that does not decode is discarded,
// to be fetched again. (go-tuf's updater already fetches again over a
// cached file that decodes but does not verify.)
func loadLocal(metaDir string) ([]byte, error) {
	p := filepath.Join(metaDir, "root.json")
	root, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	if _, err := checkRoot(root); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrBadLocalRoot, p, strings.TrimPrefix(err.Error(), ErrBadRoot.Error()+": "))
	}
	for _, role := range []string{metadata.TIMESTAMP, metadata.SNAPSHOT, metadata.TARGETS} {
		f := filepath.Join(metaDir, role+".json")
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var derr error
		_ = noPanic(role, func() error {
			switch role {
			case metadata.TIMESTAMP:
				_, derr = metadata.Timestamp().FromBytes(data)
			case metadata.SNAPSHOT:
				_, derr = metadata.Snapshot().FromBytes(data)
			default:
				_, derr = metadata.Targets().FromBytes(data)
			}
			return derr
		})
		if derr != nil || len(data) == 0 {
			os.Remove(f)
		}
	}
	return root, nil
}

// State is what a client directory holds: the root it trusts, its
// mirror, and its cache.
type State struct {
	Dir    string    `json:"dir"`
	Config Config    `json:"config"`
	Root   *RootInfo `json:"root"`
	// Cached are the versions of the cached top-level roles (0: none).
	Cached map[string]int64 `json:"cached"`
	// Roles is how many delegated roles are cached; Targets how many
	// target files, of TargetBytes bytes.
	Roles       int   `json:"roles"`
	Targets     int   `json:"targets"`
	TargetBytes int64 `json:"target_bytes"`
}

// Show describes the client directory: the root it trusts now (after the
// rotations it followed), its mirror, and what it caches. It fetches
// nothing.
func (c *Client) Show() (*State, error) {
	meta := filepath.Join(c.Dir, "metadata")
	root, err := os.ReadFile(filepath.Join(meta, "root.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", c.Dir, ErrNotInitialized)
	}
	if err != nil {
		return nil, err
	}
	info, err := DescribeRoot(root)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadLocalRoot, filepath.Join(meta, "root.json"), err)
	}
	st := &State{Dir: c.Dir, Config: c.Config, Root: info, Cached: map[string]int64{}}
	entries, _ := os.ReadDir(meta)
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".json")
		data, err := os.ReadFile(filepath.Join(meta, e.Name()))
		if err != nil {
			continue
		}
		switch name {
		case metadata.ROOT:
		case metadata.TIMESTAMP, metadata.SNAPSHOT, metadata.TARGETS:
			var v struct {
				Signed struct {
					Version int64 `json:"version"`
				} `json:"signed"`
			}
			if json.Unmarshal(data, &v) == nil {
				st.Cached[name] = v.Signed.Version
			}
		default:
			st.Roles++
		}
	}
	_ = filepath.WalkDir(filepath.Join(c.Dir, "targets"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				st.Targets++
				st.TargetBytes += fi.Size()
			}
		}
		return nil
	})
	return st, nil
}
