package repo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tufgit/tufgit/pkg/layout"
)

// The Check functions refuse, before any key is loaded, what a change
// would refuse for its arguments alone: a signer is asked for a passphrase
// (or touches a token) only for a change that can go ahead. The change
// itself checks all of it again.

// CheckRelease checks AddRelease's arguments: the project, the version,
// and that each file exists, is a regular file and has a valid name.
func (s *Session) CheckRelease(o ReleaseAddOptions) error {
	name, _, _, err := s.lookupProject(o.Project)
	if err != nil {
		return err
	}
	if err := layout.ValidateVersion(o.Version); err != nil {
		return err
	}
	if len(o.Files) == 0 {
		return fmt.Errorf("no files given for release %s of %s", o.Version, name)
	}
	m, _, err := s.projectRole(name)
	if err != nil {
		return err
	}
	for _, r := range Releases(m) {
		if r.Version == o.Version && r.Yanked {
			return fmt.Errorf("%w: release %s of %s is yanked; unyank it before adding files", ErrImmutable, o.Version, name)
		}
		if r.Version != o.Version && layout.EquivalentVersions(r.Version, o.Version) {
			return fmt.Errorf("version %s of %s is %w %s (a leading v and leading zeros do not make another version)",
				o.Version, name, ErrEquivalentVersion, r.Version)
		}
	}
	seen := map[string]bool{}
	for _, f := range o.Files {
		filename := filepath.Base(f)
		if err := layout.ValidateFilename(filename); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if seen[filename] {
			return fmt.Errorf("%s: two files named %s in one release", f, filename)
		}
		seen[filename] = true
		fi, err := os.Stat(f)
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", f)
		}
	}
	return nil
}

// CheckYank checks Yank's arguments: the project, the version, the reason,
// and that the release exists.
func (s *Session) CheckYank(o YankOptions) error {
	name, _, _, err := s.lookupProject(o.Project)
	if err != nil {
		return err
	}
	if err := layout.ValidateVersion(o.Version); err != nil {
		return err
	}
	if !o.Unyank {
		if err := layout.ValidateReason(o.Reason); err != nil {
			return fmt.Errorf("--reason: %w", err)
		}
	}
	m, _, err := s.projectRole(name)
	if err != nil {
		return err
	}
	for _, r := range Releases(m) {
		if r.Version == o.Version {
			return nil
		}
	}
	for _, r := range Releases(m) {
		if layout.EquivalentVersions(r.Version, o.Version) {
			return fmt.Errorf("%w: %s has no release %s; did you mean %s?", ErrUnknownRelease, name, o.Version, r.Version)
		}
	}
	return fmt.Errorf("%w: %s has no release %s (see `tufgit project show %s`)", ErrUnknownRelease, name, o.Version, name)
}

// CheckSign returns what Sign shows its signer, refusing what Sign refuses
// whatever the key: a request that is gone, tampered or invalid, or that
// conflicts with changes made since.
func (s *Session) CheckSign(id string) (*RequestInfo, error) {
	l, err := s.loadRequest(id)
	if err != nil {
		return nil, err
	}
	info := s.describeRequest(l)
	if len(info.Problems) > 0 {
		return nil, fmt.Errorf("request %s is tampered or invalid, refusing to sign: %s", id, strings.Join(info.Problems, "; "))
	}
	if err := s.checkRebase(l); err != nil {
		return nil, err
	}
	return info, nil
}
