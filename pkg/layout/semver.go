package layout

import (
	"strconv"
	"strings"
)

// CompareVersions orders two valid versions by SemVer 2.0 precedence:
// build metadata (after '+') is ignored; dot-separated identifiers of the
// release part and then of the pre-release part (after the first '-')
// compare numerically when both are numbers and as ASCII otherwise, with
// numbers before words; a version with a pre-release comes before the same
// version without one. Versions that are not SemVer (like "1.0rc1") still
// get a total, stable order by the same rules. Ties that precedence leaves
// (such as differing build metadata) are broken by plain string order.
func CompareVersions(a, b string) int {
	if c := comparePrecedence(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func comparePrecedence(a, b string) int {
	a, _, _ = strings.Cut(a, "+")
	b, _, _ = strings.Cut(b, "+")
	ar, ap, aHasPre := strings.Cut(a, "-")
	br, bp, bHasPre := strings.Cut(b, "-")
	if c := compareIdents(strings.Split(ar, "."), strings.Split(br, ".")); c != 0 {
		return c
	}
	switch {
	case aHasPre && !bHasPre:
		return -1
	case !aHasPre && bHasPre:
		return 1
	case !aHasPre && !bHasPre:
		return 0
	}
	return compareIdents(strings.Split(ap, "."), strings.Split(bp, "."))
}

func compareIdents(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		xn, xerr := strconv.ParseUint(x, 10, 64)
		yn, yerr := strconv.ParseUint(y, 10, 64)
		switch {
		case xerr == nil && yerr == nil:
			if xn != yn {
				if xn < yn {
					return -1
				}
				return 1
			}
		case xerr == nil:
			return -1
		case yerr == nil:
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
