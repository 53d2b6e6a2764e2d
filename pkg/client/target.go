package client

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/atomicfile"
)

// Target files are streamed: hashed while they are read, written to a
// temporary file and renamed into place once their length and every
// listed hash match. Memory does not grow with the file.

// hashPreference orders the hash algorithms the client checks; the first
// one a target lists names its cache entry and, with consistent
// snapshots, its file on the mirror.
var hashPreference = []string{"sha256", "sha512"}

func newHash(alg string) hash.Hash {
	switch alg {
	case "sha256":
		return sha256.New()
	case "sha512":
		return sha512.New()
	}
	return nil
}

// checker hashes what is written to it with every hash a target lists.
type checker struct {
	tf     *metadata.TargetFiles
	algs   []string
	hashes []hash.Hash
	n      int64
}

// newChecker refuses a target that lists no hash, or a hash the client
// can not check: every listed hash is checked, or the target is refused.
func newChecker(tf *metadata.TargetFiles) (*checker, error) {
	if len(tf.Hashes) == 0 {
		return nil, &metadata.ErrLengthOrHashMismatch{Msg: fmt.Sprintf("target %s lists no hashes", tf.Path)}
	}
	c := &checker{tf: tf}
	for _, alg := range slices.Sorted(maps.Keys(tf.Hashes)) {
		h := newHash(alg)
		if h == nil {
			return nil, &metadata.ErrLengthOrHashMismatch{Msg: fmt.Sprintf("target %s: unsupported hash algorithm %q (this client checks %s)", tf.Path, alg, strings.Join(hashPreference, ", "))}
		}
		c.algs = append(c.algs, alg)
		c.hashes = append(c.hashes, h)
	}
	return c, nil
}

func (c *checker) Write(p []byte) (int, error) {
	for _, h := range c.hashes {
		h.Write(p)
	}
	c.n += int64(len(p))
	return len(p), nil
}

// check compares what was written with the target's length and hashes.
func (c *checker) check() error {
	if c.n != c.tf.Length {
		return &metadata.ErrLengthOrHashMismatch{Msg: fmt.Sprintf("target %s: %d bytes, signed length %d", c.tf.Path, c.n, c.tf.Length)}
	}
	for i, h := range c.hashes {
		if !bytes.Equal(h.Sum(nil), c.tf.Hashes[c.algs[i]]) {
			return &metadata.ErrLengthOrHashMismatch{Msg: fmt.Sprintf("target %s: %s differs from the signed one", c.tf.Path, c.algs[i])}
		}
	}
	return nil
}

// preferredHash is the hex of the first hash in hashPreference the target
// lists.
func preferredHash(tf *metadata.TargetFiles) (string, error) {
	for _, alg := range hashPreference {
		if h, ok := tf.Hashes[alg]; ok && len(h) > 0 {
			return hex.EncodeToString(h), nil
		}
	}
	return "", &metadata.ErrLengthOrHashMismatch{Msg: fmt.Sprintf("target %s lists none of the hashes %s", tf.Path, strings.Join(hashPreference, ", "))}
}

// matches reports whether the file at p holds exactly tf's bytes, by
// reading it through a checker (never more than tf.Length+1 bytes).
func matches(p string, tf *metadata.TargetFiles) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() != tf.Length {
		return false
	}
	c, err := newChecker(tf)
	if err != nil {
		return false
	}
	if _, err := io.Copy(c, io.LimitReader(f, tf.Length+1)); err != nil {
		return false
	}
	return c.check() == nil
}

// targetURL is where the repository serves tf: HASH.NAME in its directory
// with consistent snapshots (the hash hashPreference names), else its path.
func (s *session) targetURL(tf *metadata.TargetFiles) (string, error) {
	name := tf.Path
	if s.tm.Root.Signed.ConsistentSnapshot {
		h, err := preferredHash(tf)
		if err != nil {
			return "", err
		}
		dir, base := path.Split(tf.Path)
		name = dir + h + "." + base
	}
	return s.targetsURL + "/" + (&url.URL{Path: name}).EscapedPath(), nil
}

// cachePath is tf's entry in the cache, named after its preferred hash.
func (s *session) cachePath(tf *metadata.TargetFiles) (string, error) {
	h, err := preferredHash(tf)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.c.Dir, "targets", h), nil
}

// download fetches tf into the cache entry p: streamed from the network
// through a checker into a temporary file, renamed to p once it matches.
func (s *session) download(tf *metadata.TargetFiles, p string) error {
	c, err := newChecker(tf)
	if err != nil {
		return Classify(err)
	}
	u, err := s.targetURL(tf)
	if err != nil {
		return Classify(err)
	}
	body, err := s.fetch.open(u, tf.Length)
	if err != nil {
		return Classify(err)
	}
	defer body.Close()
	return writeAtomicFrom(p, false, func(w io.Writer) error {
		n, err := io.Copy(io.MultiWriter(w, c), io.LimitReader(body, tf.Length+1))
		if err != nil {
			return Classify(&unreachableError{url: u, err: err})
		}
		if n > tf.Length {
			return Classify(&metadata.ErrDownloadLengthMismatch{Msg: fmt.Sprintf("%s is longer than its signed length %d", u, tf.Length)})
		}
		return Classify(c.check())
	})
}

// errStaleCache is a cache entry that no longer holds its target.
var errStaleCache = errors.New("cached file changed on disk")

// placement is one target on its way to its destination.
type placement struct {
	tf        *metadata.TargetFiles
	dst       string
	tmp       string // verified copy next to dst, renamed last
	cached    bool   // from the cache, not the network
	unchanged bool   // dst already held these bytes: left alone
}

// fetchAll puts each target at its destination: a destination that
// already holds the target's bytes is left alone (not rewritten); the
// others are copied from the cache (filled from the network first when
// need be) into temporary files beside them, each checked against its
// signed length and hashes while it is copied, and renamed into place
// only when all of them verified.
func (s *session) fetchAll(ps []*placement) error {
	defer func() {
		for _, p := range ps {
			if p.tmp != "" {
				os.Remove(p.tmp)
			}
		}
	}()
	for _, p := range ps {
		if matches(p.dst, p.tf) {
			p.unchanged = true
			continue
		}
		cp, err := s.cachePath(p.tf)
		if err != nil {
			return Classify(err)
		}
		p.cached = true
		if _, err := os.Stat(cp); err != nil {
			p.cached = false
			if err := s.download(p.tf, cp); err != nil {
				return err
			}
		}
		err = s.stage(p, cp)
		if errors.Is(err, errStaleCache) && p.cached {
			// A corrupted cache entry: fetch it again, once.
			os.Remove(cp)
			p.cached = false
			if err := s.download(p.tf, cp); err != nil {
				return err
			}
			err = s.stage(p, cp)
		}
		if err != nil {
			return err
		}
	}
	for _, p := range ps {
		if p.tmp == "" {
			continue
		}
		if err := os.Rename(p.tmp, p.dst); err != nil {
			return err
		}
		p.tmp = ""
	}
	return nil
}

// stage copies the cache entry cp into a temporary file beside p.dst,
// checking it on the way.
func (s *session) stage(p *placement, cp string) error {
	c, err := newChecker(p.tf)
	if err != nil {
		return Classify(err)
	}
	src, err := os.Open(cp)
	if err != nil {
		return err
	}
	defer src.Close()
	f, err := os.CreateTemp(filepath.Dir(p.dst), "."+filepath.Base(p.dst)+".tmp-*")
	if err != nil {
		return err
	}
	p.tmp = f.Name()
	if _, err := io.Copy(io.MultiWriter(f, c), io.LimitReader(src, p.tf.Length+1)); err != nil {
		f.Close()
		return err
	}
	if err := c.check(); err != nil {
		f.Close()
		return fmt.Errorf("%w: %s (%v)", errStaleCache, cp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chmod(p.tmp, 0o644)
}

// TargetResult is what DownloadTarget did.
type TargetResult struct {
	Target    *metadata.TargetFiles // the target as the delegations resolve its path
	Role      string                // the role that lists it
	Path      string                // the file written (or left alone)
	Cached    bool                  // served from the verified cache, not the network
	Unchanged bool                  // the file already held the target's bytes and was left alone
}

// Target looks targetPath up in the trusted metadata: the delegation walk
// of TUF's client workflow (specification 5.6.7), loading and verifying
// delegated roles as it needs them. It refreshes first if this client has
// not yet. A path no role lists is ErrTargetNotFound.
func (c *Client) Target(targetPath string) (*metadata.TargetFiles, error) {
	s, err := c.session(false)
	if err != nil {
		return nil, err
	}
	defer s.unlock()
	if s, err = s.forTarget(targetPath); err != nil {
		return nil, err
	}
	r, err := s.find(targetPath)
	if err != nil {
		return nil, err
	}
	return r.Target, nil
}

func (s *session) find(targetPath string) (*lookupResult, error) {
	r, err := s.lookup(targetPath)
	if err != nil {
		return nil, err
	}
	if r.Target == nil {
		return nil, fmt.Errorf("%s on %s: %w", targetPath, s.c.Config.where(), ErrTargetNotFound)
	}
	return r, nil
}

// DownloadTarget downloads the target at targetPath (any path the
// repository's targets list) into the file dst. The bytes are checked
// against the target's signed length and every listed hash while they
// stream, then dst is replaced atomically; a dst that already holds them
// is left alone. Downloads go through a cache in the client's directory
// named after the target's hash. It refreshes first if this client has not
// yet.
func (c *Client) DownloadTarget(targetPath, dst string) (*TargetResult, error) {
	s, err := c.session(false)
	if err != nil {
		return nil, err
	}
	defer s.unlock()
	if s, err = s.forTarget(targetPath); err != nil {
		return nil, err
	}
	r, err := s.find(targetPath)
	if err != nil {
		return nil, err
	}
	p := &placement{tf: r.Target, dst: dst}
	if err := s.fetchAll([]*placement{p}); err != nil {
		return nil, err
	}
	return &TargetResult{Target: r.Target, Role: r.Role, Path: dst, Cached: p.cached, Unchanged: p.unchanged}, nil
}

// writeAtomicFrom writes p from fill with atomicfile (temporary file beside
// it, renamed over p; a failure leaves p as it was), synced to disk when
// sync is set. The cache and cached metadata are not synced: they are
// verified again whenever they are read, and fetched again when they do
// not verify.
func writeAtomicFrom(p string, sync bool, fill func(io.Writer) error) error {
	return atomicfile.WriteFrom(p, 0o644, sync, fill)
}

// writeAtomic writes data to p atomically, synced.
func writeAtomic(p string, data []byte) error {
	return writeAtomicFrom(p, true, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
