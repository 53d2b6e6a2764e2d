// Package repo carries out the changes people make to a tufgit repository:
// creating it, projects, releases, yanks, maintainers and
// signatures. Every change is computed from git objects, signed with the
// keys at hand or turned into a pending request, and committed as one
// commit through gitstore.
package repo

import "errors"

// Errors callers test for with errors.Is.
var (
	ErrExists       = errors.New("already exists")
	ErrBadThreshold = errors.New("bad threshold")
	ErrDuplicateKey = errors.New("the same key is given twice")
	ErrOnlineKey    = errors.New("the online key may sign snapshot and timestamp only")
	// ErrEquivalentVersion: a version that reads as an existing release
	// ("v1.0" or "01.0" where "1.0" exists).
	ErrEquivalentVersion = errors.New("equivalent to an existing release")
)
