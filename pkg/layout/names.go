// Package layout is the normative description of a tufgit repository tree:
// where each file lives, how names, versions and filenames are formed, and
// the formats of tufgit's own (unsigned) files. It knows nothing about git,
// keys or the CLI. metadata-layout/README.md documents the same rules.
package layout

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on names. They keep role names, file names and URLs short and safe.
const (
	MaxProjectNameLen = 64
	MaxVersionLen     = 64
	MaxFilenameLen    = 128
	MaxRequestIDLen   = 64
)

// Top-level TUF role names.
const (
	RoleRoot      = "root"
	RoleTargets   = "targets"
	RoleSnapshot  = "snapshot"
	RoleTimestamp = "timestamp"
)

// IndexRolePrefix starts every index role name. The underscore can never
// appear in a normalized project name, so index roles and project roles can
// not collide.
const IndexRolePrefix = "idx_"

// IndexAlphabet is the set of characters a normalized project name may
// contain, in the order index roles are created and listed.
const IndexAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz-"

// FirstChars is the set of characters a normalized project name may start
// with; targets delegates to one index role for each.
const FirstChars = "0123456789abcdefghijklmnopqrstuvwxyz"

// NameError reports an invalid project name, version, filename or ID.
type NameError struct {
	Kind   string // "project name", "version", "filename", "request id"
	Value  string
	Reason string
}

func (e *NameError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Kind, printable(e.Value), e.Reason)
}

func printable(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// NormalizeProjectName checks a project name as a user typed it and returns
// its normalized form (PEP 503: lowercase, every run of '-', '_' or '.'
// becomes one '-'). The input must match PEP 508's name grammar:
// ASCII letters and digits, with '-', '_' and '.' allowed between them.
func NormalizeProjectName(name string) (string, error) {
	bad := func(reason string) (string, error) {
		return "", &NameError{Kind: "project name", Value: name, Reason: reason}
	}
	if name == "" {
		return bad("empty")
	}
	if len(name) > MaxProjectNameLen {
		return bad(fmt.Sprintf("longer than %d characters", MaxProjectNameLen))
	}
	var b strings.Builder
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
			fallthrough
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			if sep {
				b.WriteByte('-')
				sep = false
			}
			b.WriteByte(c)
		case c == '-' || c == '_' || c == '.':
			if i == 0 || i == len(name)-1 {
				return bad("must start and end with a letter or digit")
			}
			sep = true
		default:
			return bad(charNotAllowed(name, i, "letters, digits, '-', '_' and '.'"))
		}
	}
	n := b.String()
	if IsReservedRoleName(n) {
		return bad("reserved for a TUF top-level role")
	}
	return n, nil
}

// IsNormalizedProjectName reports whether s is already a normalized project
// name (the only form that may appear in metadata and paths).
func IsNormalizedProjectName(s string) bool {
	n, err := NormalizeProjectName(s)
	return err == nil && n == s
}

// IsReservedRoleName reports whether name is a top-level TUF role name.
func IsReservedRoleName(name string) bool {
	switch name {
	case RoleRoot, RoleTargets, RoleSnapshot, RoleTimestamp:
		return true
	}
	return false
}

// ValidateVersion checks a release version against tufgit's grammar:
// 1-64 characters from [0-9A-Za-z.+-], starting with a letter or digit,
// with no empty dot-separated part ("1..2", "1.", ".1" are refused).
// SemVer 2.0 versions all pass; so do common PEP 440 forms like "1.0rc1".
func ValidateVersion(v string) error {
	bad := func(reason string) error { return &NameError{Kind: "version", Value: v, Reason: reason} }
	if v == "" {
		return bad("empty")
	}
	if len(v) > MaxVersionLen {
		return bad(fmt.Sprintf("longer than %d characters", MaxVersionLen))
	}
	const allowed = "letters, digits, '.', '+' and '-'"
	if i := firstNonASCII(v); i >= 0 {
		return bad(charNotAllowed(v, i, allowed))
	}
	if !isAlnum(v[0]) {
		return bad("must start with a letter or digit")
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(isAlnum(c) || c == '.' || c == '+' || c == '-') {
			return bad(charNotAllowed(v, i, allowed))
		}
	}
	if strings.EqualFold(v, ReservedVersion) {
		return bad(fmt.Sprintf("%q is reserved: it means the newest release that is not yanked", ReservedVersion))
	}
	for _, part := range strings.Split(v, ".") {
		if part == "" {
			return bad("has an empty part between dots")
		}
	}
	return nil
}

// ValidateFilename checks the name of one file in a release: a plain name,
// 1-128 characters from [0-9A-Za-z._+-], starting with a letter or digit, so
// it can never be a path, a hidden file, '.' or '..'.
func ValidateFilename(f string) error {
	bad := func(reason string) error { return &NameError{Kind: "filename", Value: f, Reason: reason} }
	if f == "" {
		return bad("empty")
	}
	if len(f) > MaxFilenameLen {
		return bad(fmt.Sprintf("longer than %d characters", MaxFilenameLen))
	}
	const allowed = "letters, digits, '.', '_', '+' and '-'"
	if i := firstNonASCII(f); i >= 0 {
		return bad(charNotAllowed(f, i, allowed))
	}
	if !isAlnum(f[0]) {
		return bad("must start with a letter or digit")
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		if !(isAlnum(c) || c == '.' || c == '_' || c == '+' || c == '-') {
			return bad(charNotAllowed(f, i, allowed))
		}
	}
	return nil
}

// ValidateRequestID checks a request ID: 1-64 characters from [a-z0-9-],
// starting with a letter or digit.
func ValidateRequestID(id string) error {
	bad := func(reason string) error { return &NameError{Kind: "request id", Value: id, Reason: reason} }
	if id == "" {
		return bad("empty")
	}
	if len(id) > MaxRequestIDLen {
		return bad(fmt.Sprintf("longer than %d characters", MaxRequestIDLen))
	}
	if i := firstNonASCII(id); i >= 0 {
		return bad(charNotAllowed(id, i, "a-z, 0-9 and '-'"))
	}
	if !isAlnum(id[0]) || (id[0] >= 'A' && id[0] <= 'Z') {
		return bad("must start with a lowercase letter or digit")
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
			return bad(charNotAllowed(id, i, "a-z, 0-9 and '-'"))
		}
	}
	return nil
}

// firstNonASCII is the byte index of the first non-ASCII byte of s, or -1.
func firstNonASCII(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return i
		}
	}
	return -1
}

// charNotAllowed says why the character at byte i of s is refused. It
// decodes the whole UTF-8 character there, so "ü" is reported as 'ü', not
// as the first byte of its encoding; bytes that are not UTF-8 are shown
// escaped.
func charNotAllowed(s string, i int, allowed string) string {
	if s[i] < utf8.RuneSelf {
		return fmt.Sprintf("character %q is not allowed (use %s)", rune(s[i]), allowed)
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("byte %q is not UTF-8, and only ASCII is allowed (use %s)", s[i:i+1], allowed)
	}
	return fmt.Sprintf("character %q is not ASCII; only ASCII is allowed (use %s)", r, allowed)
}

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// TargetPath is the TUF target path of one file of a release.
func TargetPath(project, version, filename string) string {
	return project + "/" + version + "/" + filename
}

// ParseTargetPath splits a target path into project, version and filename
// and checks each part.
func ParseTargetPath(p string) (project, version, filename string, err error) {
	parts := strings.Split(p, "/")
	if len(parts) != 3 {
		return "", "", "", fmt.Errorf("target path %q: want <project>/<version>/<filename>", printable(p))
	}
	if !IsNormalizedProjectName(parts[0]) {
		return "", "", "", fmt.Errorf("target path %q: project part is not a normalized project name", printable(p))
	}
	if err := ValidateVersion(parts[1]); err != nil {
		return "", "", "", fmt.Errorf("target path %q: %w", printable(p), err)
	}
	if err := ValidateFilename(parts[2]); err != nil {
		return "", "", "", fmt.Errorf("target path %q: %w", printable(p), err)
	}
	return parts[0], parts[1], parts[2], nil
}

// ProjectPathPattern is the single path pattern a project role is delegated.
func ProjectPathPattern(project string) string { return project + "/*/*" }

// IndexRoleName is the name of the index role covering every project whose
// name starts with prefix.
func IndexRoleName(prefix string) string { return IndexRolePrefix + prefix }

// IndexPathPattern is the single path pattern an index role is delegated.
func IndexPathPattern(prefix string) string { return prefix + "*/*/*" }

// IndexPrefix returns the prefix of an index role name, or of an index
// role id "SHARD/idx_P" (IndexRoleID), and whether it is well formed.
func IndexPrefix(role string) (string, bool) {
	if sh, name, ok := strings.Cut(role, "/"); ok {
		if !validShardDir(sh) {
			return "", false
		}
		role = name
	}
	if !strings.HasPrefix(role, IndexRolePrefix) {
		return "", false
	}
	p := role[len(IndexRolePrefix):]
	if p == "" || len(p) > MaxProjectNameLen || strings.IndexByte(FirstChars, p[0]) < 0 {
		return "", false
	}
	for i := 1; i < len(p); i++ {
		if strings.IndexByte(IndexAlphabet, p[i]) < 0 {
			return "", false
		}
	}
	return p, true
}

// Shard is the two-hex-digit directory that spreads per-project files over
// 256 directories, so that no git tree object grows with the number of
// projects: the first byte of sha256(name).
func Shard(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:1])
}
