package repo

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/verify"
)

// projectRole returns a copy of the project's role to edit, or a new one.
func (s *Session) projectRole(name string) (*metadata.Metadata[metadata.TargetsType], bool, error) {
	r, err := s.View.Role(name)
	if state.IsNotExist(err) {
		return metadata.Targets(), false, nil
	}
	if err != nil {
		return nil, false, err
	}
	m, err := clone(r.Meta)
	return m, true, err
}

// ReleaseAddOptions describe a release to add.
type ReleaseAddOptions struct {
	Project string
	Version string
	Files   []string // paths on disk; each file's base name is its filename
	Key     *keys.Key
	Note    string
	// Progress, when set, is told how much of each file has been read
	// (done of total bytes), for a progress display.
	Progress func(file string, done, total int64)
	SubmitOptions
}

// AddRelease hashes each file (sha256 and sha512), stores it, and adds it
// as a target of the project role. A published file never changes: the
// same version and filename with other bytes is refused. A new file may be
// added to an existing release that is not yanked.
func (s *Session) AddRelease(o ReleaseAddOptions) (*Result, error) {
	name, _, _, err := s.lookupProject(o.Project)
	if err != nil {
		return nil, err
	}
	if err := layout.ValidateVersion(o.Version); err != nil {
		return nil, err
	}
	if len(o.Files) == 0 {
		return nil, fmt.Errorf("no files given for release %s of %s", o.Version, name)
	}
	m, _, err := s.projectRole(name)
	if err != nil {
		return nil, err
	}
	for _, r := range Releases(m) {
		if r.Version == o.Version && r.Yanked {
			return nil, fmt.Errorf("%w: release %s of %s is yanked; unyank it before adding files", ErrImmutable, o.Version, name)
		}
		if r.Version != o.Version && layout.EquivalentVersions(r.Version, o.Version) {
			return nil, fmt.Errorf("version %s of %s is %w %s (a leading v and leading zeros do not make another version)",
				o.Version, name, ErrEquivalentVersion, r.Version)
		}
	}
	// A name removed and created again keeps its old releases: their
	// paths keep their bytes and their versions take no new file.
	retired, err := verify.RetiredTargets(s.Tree, name)
	if err != nil {
		return nil, err
	}
	ch := &Change{Kind: layout.KindReleaseAdd, Project: name, Subject: fmt.Sprintf("%s: add release %s", name, o.Version),
		Roles: map[string]*metadata.Metadata[metadata.TargetsType]{name: m}, Artifacts: map[string]Artifact{}, Note: o.Note}
	added := 0
	seen := map[string]bool{}
	for _, f := range o.Files {
		filename := filepath.Base(f)
		if err := layout.ValidateFilename(filename); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if seen[filename] {
			return nil, fmt.Errorf("%s: two files named %s in one release", f, filename)
		}
		seen[filename] = true
		tp := layout.TargetPath(name, o.Version, filename)
		tf, art, err := s.storeArtifact(f, tp, o.Progress)
		if err != nil {
			return nil, err
		}
		if bad := verify.RetiredConflicts(retired, map[string]*metadata.TargetFiles{tp: tf}); len(bad) > 0 {
			return nil, fmt.Errorf("%w: %s of %s: %s", ErrImmutable, f, name, bad[0])
		}
		if old, ok := m.Signed.Targets[tp]; ok {
			if old.Length == tf.Length && old.Hashes.Equal(tf.Hashes) {
				continue // already published, byte for byte
			}
			return nil, fmt.Errorf("%w: %s is already published with other bytes (%d bytes, sha256 %x…); publish a new version instead",
				ErrImmutable, tp, old.Length, []byte(old.Hashes["sha256"])[:6])
		}
		m.Signed.Targets[tp] = tf
		ch.Artifacts[hex.EncodeToString(tf.Hashes["sha256"])] = art
		added++
	}
	if added == 0 {
		return nil, fmt.Errorf("%w: release %s of %s already has exactly these files", ErrNothingToDo, o.Version, name)
	}
	return s.Submit(ch, o.Key, o.SubmitOptions)
}

// storeArtifact reads a release file once, bounded by
// layout.MaxArtifactSize, hashing it (sha256 and sha512) as it streams
// and, with the git store, writing it as a blob in the same pass: the
// bytes hashed are the bytes stored, and memory is a buffer whatever the
// file's size. A file whose length changes while it is read is refused.
// With an external store the file is read again when the change is
// submitted, and must still hash the same then. progress, when set, is
// told how much has been read.
func (s *Session) storeArtifact(p, targetPath string, progress func(file string, done, total int64)) (*metadata.TargetFiles, Artifact, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, Artifact{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, Artifact{}, err
	}
	if !fi.Mode().IsRegular() {
		return nil, Artifact{}, fmt.Errorf("%s: not a regular file", p)
	}
	size := fi.Size()
	if size > layout.MaxArtifactSize {
		return nil, Artifact{}, fmt.Errorf("%s: %d bytes is over the %d-byte limit for one file", p, size, int64(layout.MaxArtifactSize))
	}
	var r io.Reader = io.LimitReader(f, layout.MaxArtifactSize+1)
	if progress != nil {
		r = &countingReader{r: r, report: func(n int64) { progress(p, n, size) }}
	}
	s256, s512 := sha256.New(), sha512.New()
	r = io.TeeReader(r, io.MultiWriter(s256, s512))
	art := Artifact{Length: size}
	if s.Store == nil {
		art.Blob, err = s.G.WriteBlobFrom(r, size)
		if errors.Is(err, gitstore.ErrShortBlob) {
			err = fmt.Errorf("%w while it was read (it had %d bytes when release add began): try again once nothing writes to it", ErrFileChanged, size)
		}
	} else {
		art.Path = p
		var n int64
		if n, err = io.Copy(io.Discard, r); err == nil && n != size {
			err = fmt.Errorf("%w while it was read (%d bytes, not %d): try again once nothing writes to it", ErrFileChanged, n, size)
		}
	}
	if err != nil {
		return nil, Artifact{}, fmt.Errorf("%s: %w", p, err)
	}
	tf := metadata.TargetFile()
	tf.Path = targetPath
	tf.Length = size
	tf.Hashes = metadata.Hashes{"sha256": s256.Sum(nil), "sha512": s512.Sum(nil)}
	return tf, art, nil
}

// countingReader reports the bytes read so far after each read.
type countingReader struct {
	r      io.Reader
	n      int64
	report func(int64)
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if n > 0 {
		c.report(c.n)
	}
	return n, err
}

// YankOptions describe a yank or unyank.
type YankOptions struct {
	Project string
	Version string
	Reason  string
	Unyank  bool
	Key     *keys.Key
	SubmitOptions
}

// Yank marks (or unmarks) every file of a release as yanked, in the
// targets' signed custom metadata. The files stay available.
func (s *Session) Yank(o YankOptions) (*Result, error) {
	name, _, _, err := s.lookupProject(o.Project)
	if err != nil {
		return nil, err
	}
	if err := layout.ValidateVersion(o.Version); err != nil {
		return nil, err
	}
	if !o.Unyank {
		if err := layout.ValidateReason(o.Reason); err != nil {
			return nil, fmt.Errorf("--reason: %w", err)
		}
	}
	m, exists, err := s.projectRole(name)
	if err != nil {
		return nil, err
	}
	found, changed := false, false
	for p, tf := range m.Signed.Targets {
		_, v, _, err := layout.ParseTargetPath(p)
		if err != nil || v != o.Version {
			continue
		}
		found = true
		c, err := setYank(tf.Custom, !o.Unyank, o.Reason)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if (tf.Custom == nil) != (c == nil) || (c != nil && string(*c) != string(*tf.Custom)) {
			changed = true
		}
		tf.Custom = c
	}
	if !exists || !found {
		for _, r := range Releases(m) {
			if layout.EquivalentVersions(r.Version, o.Version) {
				return nil, fmt.Errorf("%w: %s has no release %s; did you mean %s?", ErrUnknownRelease, name, o.Version, r.Version)
			}
		}
		return nil, fmt.Errorf("%w: %s has no release %s (see `tufgit project show %s`)", ErrUnknownRelease, name, o.Version, name)
	}
	if !changed {
		state := "yanked"
		if o.Unyank {
			state = "not yanked"
		}
		return nil, fmt.Errorf("%w: release %s of %s is already %s", ErrNothingToDo, o.Version, name, state)
	}
	kind, verb := layout.KindReleaseYank, "yank"
	if o.Unyank {
		kind, verb = layout.KindReleaseUnyank, "unyank"
	}
	ch := &Change{Kind: kind, Project: name, Subject: fmt.Sprintf("%s: %s release %s", name, verb, o.Version),
		Roles: map[string]*metadata.Metadata[metadata.TargetsType]{name: m}}
	return s.Submit(ch, o.Key, o.SubmitOptions)
}

// setYank returns custom with tufgit's yank fields set or cleared, keeping
// every other key of custom as it was.
func setYank(custom *json.RawMessage, yanked bool, reason string) (*json.RawMessage, error) {
	obj := map[string]json.RawMessage{}
	if custom != nil && string(*custom) != "null" {
		if err := json.Unmarshal(*custom, &obj); err != nil {
			return nil, fmt.Errorf("custom metadata is not an object: %w", err)
		}
	}
	if yanked {
		raw, err := json.Marshal(layout.TargetCustom{Yanked: true, YankReason: reason})
		if err != nil {
			return nil, err
		}
		obj[layout.CustomKey] = raw
	} else {
		delete(obj, layout.CustomKey)
	}
	if len(obj) == 0 {
		return nil, nil
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	r := json.RawMessage(raw)
	return &r, nil
}
