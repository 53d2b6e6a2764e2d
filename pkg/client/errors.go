package client

import (
	"errors"
	"fmt"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Cause names why TUF refused something.
type Cause int

const (
	CauseOther       Cause = iota
	CauseExpired           // metadata past its expiry: a freeze, or an unmaintained mirror
	CauseRollback          // a version older than one already trusted, or not the one snapshot names
	CauseSignature         // signatures missing, invalid or below the threshold
	CauseHash              // a file whose length or hashes do not match its signed entry
	CauseTooLarge          // a file over its size limit (endless data)
	CauseUnreachable       // the mirror could not be reached
	CauseMissing           // the mirror lacks a file the metadata names
)

// TUFError is a refusal by TUF's checks, with its cause.
type TUFError struct {
	Cause Cause
	Err   error
}

func (e *TUFError) Error() string {
	var what string
	switch e.Cause {
	case CauseExpired:
		what = "expired metadata (the mirror may be frozen by an attacker, or no longer re-signed)"
	case CauseRollback:
		what = "rollback or mix-and-match: metadata older than, or inconsistent with, what is already trusted"
	case CauseSignature:
		what = "bad signatures: metadata not signed by the threshold of keys that may sign it"
	case CauseHash:
		what = "hash or length mismatch: the file is not the one the maintainers signed"
	case CauseTooLarge:
		what = "a file larger than allowed (endless data)"
	case CauseUnreachable:
		what = "mirror unreachable"
	case CauseMissing:
		what = "the mirror lacks a file its metadata names"
	default:
		what = "TUF verification failed"
	}
	return what + ": " + e.Err.Error()
}

func (e *TUFError) Unwrap() error { return e.Err }

// Classify wraps an error from go-tuf's updater as a TUFError with its cause.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var te *TUFError
	if errors.As(err, &te) {
		return err
	}
	var httpErr *metadata.ErrDownloadHTTP
	cause := CauseOther
	switch {
	case errors.Is(err, ErrUnreachable):
		cause = CauseUnreachable
	case errors.Is(err, &metadata.ErrExpiredMetadata{}):
		cause = CauseExpired
	case errors.Is(err, &metadata.ErrBadVersionNumber{}), errors.Is(err, &metadata.ErrEqualVersionNumber{}):
		cause = CauseRollback
	case errors.Is(err, &metadata.ErrUnsignedMetadata{}):
		cause = CauseSignature
	case errors.Is(err, &metadata.ErrLengthOrHashMismatch{}):
		cause = CauseHash
	case errors.Is(err, &metadata.ErrDownloadLengthMismatch{}):
		cause = CauseTooLarge
	case errors.As(err, &httpErr):
		cause = CauseMissing
	case errors.Is(err, &metadata.ErrRepository{}) && strings.Contains(err.Error(), "missing info"):
		cause = CauseRollback
	}
	return &TUFError{Cause: cause, Err: err}
}

// noPanic runs a go-tuf call that decodes bytes from the mirror or the
// cache. go-tuf 2.4.2 panics on some hostile metadata (a null target
// entry, `"targets": {"a": null}`), before any signature is checked, so
// a mirror without any key could crash the downloader: that is a refusal
// here, not a crash.
func noPanic(what string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &TUFError{Cause: CauseOther, Err: fmt.Errorf("%s: malformed metadata (go-tuf could not decode it: %v)", what, r)}
		}
	}()
	return fn()
}
