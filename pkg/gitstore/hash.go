package gitstore

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// Hash is a git object id (SHA-1). It is gitstore's own type so that no
// package outside gitstore needs go-git to name a commit, tree or blob.
type Hash [20]byte

// ZeroHash is the zero object id: "no commit", "no such branch yet".
var ZeroHash Hash

// NewHash decodes a hex object id as leniently as git's plumbing does:
// bytes that do not decode are left zero. Use ParseHash for input that
// must be a well-formed id.
func NewHash(s string) Hash {
	return Hash(plumbing.NewHash(s))
}

// ParseHash decodes a full 40-digit hex object id, refusing anything else.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return ZeroHash, fmt.Errorf("object id %q: want %d hex digits", s, 2*len(h))
	}
	if _, err := hex.Decode(h[:], []byte(strings.ToLower(s))); err != nil {
		return ZeroHash, fmt.Errorf("object id %q: not hex", s)
	}
	return h, nil
}

// String is the id in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is ZeroHash.
func (h Hash) IsZero() bool { return h == ZeroHash }

// FileMode is the mode of a tree entry, as git writes it.
type FileMode uint32

// The modes tufgit reads from trees (the only ones parseTree accepts).
const (
	ModeDir        = FileMode(filemode.Dir)
	ModeRegular    = FileMode(filemode.Regular)
	ModeExecutable = FileMode(filemode.Executable)
	ModeSymlink    = FileMode(filemode.Symlink)
	ModeSubmodule  = FileMode(filemode.Submodule)
)

// String is the mode in git's seven-digit octal form, e.g. "0100644".
func (m FileMode) String() string { return fmt.Sprintf("%07o", uint32(m)) }

func hashes(hs []plumbing.Hash) []Hash {
	if hs == nil {
		return nil
	}
	out := make([]Hash, len(hs))
	for i, h := range hs {
		out[i] = Hash(h)
	}
	return out
}
