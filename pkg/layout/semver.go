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
