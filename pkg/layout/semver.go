package layout

import (
	"regexp"
	"strings"
)

// CompareVersions is the one order of a project's releases: it decides
// `latest`, and every list of releases (CLI, client, web UI) follows it. It
// reads both SemVer 2.0 and PEP 440, on the canonical form (so "v1.2.0" is
// "1.2.0", see CanonicalVersion):
//
//   - what follows '+' (SemVer build metadata, a PEP 440 local label) is
//     ignored;
//   - the release numbers compare as numbers, missing ones as zeros
//     ("1.10" > "1.9", "1.0" sorts with "1.0.0");
//   - before a release come its pre-releases: SemVer's "-IDENT.IDENT…"
//     (numeric identifiers as numbers, below words, words in ASCII order,
//     more identifiers after fewer) and PEP 440's a/alpha, b/beta and
//     c/rc/pre/preview with a number, read as the words alpha < beta < rc
//     ("1.0a1" sorts with "1.0-alpha.1"); before those, PEP 440 dev
//     releases ("1.0.dev1"), and a pre-release's dev release before it;
//   - after a release come its PEP 440 post releases ("1.0.post1",
//     "1.0-r2"), then any other suffix ("1.0.x", "1.0foo") in SemVer
//     identifier order; versions with no leading number come first.
//
// Versions this leaves tied (differing build metadata, "1.0" and "1.0.0")
// fall back to plain string order, so the order is total and stable.
func CompareVersions(a, b string) int {
	ca, cb := CanonicalVersion(a), CanonicalVersion(b)
	if c := compareKeys(parseVersionKey(ca), parseVersionKey(cb)); c != 0 {
		return c
	}
	if c := strings.Compare(ca, cb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// Phases of a version relative to its release numbers, in order.
const (
	phaseDev   = iota // PEP 440 X.devN with no pre or post part
	phasePre          // a pre-release (SemVer or PEP 440)
	phaseFinal        // the release itself, or a PEP 440 post release
	phaseOther        // any other suffix
)

type versionKey struct {
	hasRelease bool
	release    []string // numeric, leading zeros dropped
	phase      int
	idents     []string // pre-release identifiers, or the other suffix's
	post       string   // "" none, else a number
	dev        string   // "" none, else a number
}

var pep440 = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)*)` +
	`(?:[-.]?(alpha|a|beta|b|preview|pre|rc|c)[-.]?([0-9]+)?)?` +
	`(?:[-.]?(post|rev|r)[-.]?([0-9]+)?)?` +
	`(?:[-.]?(dev)[-.]?([0-9]+)?)?$`)

var leadingRelease = regexp.MustCompile(`^[0-9]+(?:\.[0-9]+)*`)

// parseVersionKey reads a canonical version (see CompareVersions).
func parseVersionKey(v string) versionKey {
	v, _, _ = strings.Cut(v, "+")
	var k versionKey
	num := func(s string) string {
		if s == "" {
			return "0"
		}
		return trimNumericZeros(s)
	}
	if m := pep440.FindStringSubmatch(strings.ToLower(v)); m != nil {
		k.hasRelease, k.release = true, strings.Split(m[1], ".")
		k.phase = phaseFinal
		if m[2] != "" {
			k.phase = phasePre
			word := map[string]string{"a": "alpha", "alpha": "alpha", "b": "beta", "beta": "beta"}[m[2]]
			if word == "" {
				word = "rc"
			}
			k.idents = []string{word, num(m[3])}
		}
		if m[4] != "" {
			k.post = num(m[5])
		}
		if m[6] != "" {
			k.dev = num(m[7])
			if m[2] == "" && m[4] == "" {
				k.phase = phaseDev
			}
		}
	} else {
		rel := leadingRelease.FindString(v)
		rest := v[len(rel):]
		if rel != "" {
			k.hasRelease, k.release = true, strings.Split(rel, ".")
		}
		switch {
		case rel != "" && strings.HasPrefix(rest, "-") && len(rest) > 1:
			k.phase, k.idents = phasePre, strings.Split(rest[1:], ".")
		default:
			k.phase, k.idents = phaseOther, strings.Split(strings.TrimPrefix(rest, "."), ".")
		}
	}
	for i := range k.release {
		k.release[i] = trimNumericZeros(k.release[i])
	}
	for len(k.release) > 0 && k.release[len(k.release)-1] == "0" {
		k.release = k.release[:len(k.release)-1]
	}
	return k
}

func compareKeys(a, b versionKey) int {
	if a.hasRelease != b.hasRelease {
		if a.hasRelease {
			return 1
		}
		return -1
	}
	for i := 0; i < len(a.release) || i < len(b.release); i++ {
		x, y := "0", "0"
		if i < len(a.release) {
			x = a.release[i]
		}
		if i < len(b.release) {
			y = b.release[i]
		}
		if c := compareNumbers(x, y); c != 0 {
			return c
		}
	}
	if a.phase != b.phase {
		if a.phase < b.phase {
			return -1
		}
		return 1
	}
	if c := compareIdents(a.idents, b.idents); c != 0 {
		return c
	}
	// No post release comes before any; no dev release comes after any.
	if c := compareOptional(a.post, b.post, -1); c != 0 {
		return c
	}
	return compareOptional(a.dev, b.dev, 1)
}

// compareOptional compares two optional numbers; absent sorts as absent
// (-1: before every number, 1: after).
func compareOptional(x, y string, absent int) int {
	switch {
	case x == y:
		return 0
	case x == "":
		return absent
	case y == "":
		return -absent
	}
	return compareNumbers(x, y)
}

// compareNumbers compares two digit strings without leading zeros, of any
// length.
func compareNumbers(x, y string) int {
	if len(x) != len(y) {
		if len(x) < len(y) {
			return -1
		}
		return 1
	}
	return strings.Compare(x, y)
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// compareIdents compares dot-separated identifiers by SemVer's rules:
// numbers as numbers, below words; words in ASCII order; a longer list
// after its prefix.
func compareIdents(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		xn, yn := isNumber(x), isNumber(y)
		switch {
		case xn && yn:
			if c := compareNumbers(trimNumericZeros(x), trimNumericZeros(y)); c != 0 {
				return c
			}
		case xn:
			return -1
		case yn:
			return 1
		default:
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// ReservedVersion may not be a version, in any case: it names the newest
// release that is not yanked (`tufgit download NAME latest FILE`).
const ReservedVersion = "latest"

// CanonicalVersion is the form in which two versions that a person would
// read as the same release compare equal: a leading 'v' or 'V' before a
// digit is dropped ("v1.0" is "1.0"), and so are the leading zeros of each
// numeric identifier between '.', '-' and '+' ("01.0" is "1.0",
// "1.0-rc.01" is "1.0-rc.1"). Everything else is kept as it is. tufgit
// refuses a release whose version is equivalent to an existing one of the
// same project, so one project never has both "v1.0" and "1.0".
func CanonicalVersion(v string) string {
	if len(v) >= 2 && (v[0] == 'v' || v[0] == 'V') && v[1] >= '0' && v[1] <= '9' {
		v = v[1:]
	}
	var b strings.Builder
	b.Grow(len(v))
	start := 0
	for i := 0; i <= len(v); i++ {
		if i < len(v) && v[i] != '.' && v[i] != '-' && v[i] != '+' {
			continue
		}
		b.WriteString(trimNumericZeros(v[start:i]))
		if i < len(v) {
			b.WriteByte(v[i])
		}
		start = i + 1
	}
	return b.String()
}

// EquivalentVersions reports whether a and b name the same release (see
// CanonicalVersion).
func EquivalentVersions(a, b string) bool { return CanonicalVersion(a) == CanonicalVersion(b) }

// trimNumericZeros drops the leading zeros of an all-digit identifier,
// keeping one digit.
func trimNumericZeros(id string) string {
	if id == "" {
		return id
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return id
		}
	}
	id = strings.TrimLeft(id, "0")
	if id == "" {
		return "0"
	}
	return id
}
