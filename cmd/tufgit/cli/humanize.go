package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tufgit/tufgit/pkg/layout"
)

// durationUnits are the words people write for a duration's units, and
// what they are in tufgit's duration syntax (layout.ParseDuration): years
// of 365 days, months of 30, weeks of 7.
var durationUnits = []struct {
	words []string
	days  int // 0: pass the unit through
	unit  string
}{
	{[]string{"years", "year", "yrs", "yr", "y"}, 365, ""},
	{[]string{"months", "month", "mo"}, 30, ""},
	{[]string{"weeks", "week", "wk", "w"}, 7, ""},
	{[]string{"days", "day", "d"}, 1, ""},
	{[]string{"hours", "hour", "hrs", "hr", "h"}, 0, "h"},
	{[]string{"minutes", "minute", "mins", "min", "m"}, 0, "m"},
	{[]string{"seconds", "second", "secs", "sec", "s"}, 0, "s"},
}

// parseDuration reads a duration as people write it: tufgit's own syntax
// (365d, 24h, 1d12h), and also 2y, 6mo, 2w, "2 years", "30 days",
// "1 year 6 months". A year is 365 days, a month 30.
func parseDuration(s string) (layout.Duration, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	var b strings.Builder
	days := 0
	for in != "" {
		i := 0
		for i < len(in) && (in[i] >= '0' && in[i] <= '9' || in[i] == '.') {
			i++
		}
		num := in[:i]
		in = strings.TrimLeft(in[i:], " ")
		j := 0
		for j < len(in) && unicode.IsLetter(rune(in[j])) {
			j++
		}
		word := in[:j]
		in = strings.TrimLeft(strings.TrimPrefix(strings.TrimLeft(in[j:], " "), ","), " ")
		if num == "" || word == "" {
			return layout.ParseDuration(s) // its message says what is wrong
		}
		found := false
		for _, u := range durationUnits {
			for _, w := range u.words {
				if w != word {
					continue
				}
				found = true
				if u.days > 0 {
					n, err := strconv.Atoi(num)
					if err != nil {
						return 0, fmt.Errorf("invalid duration %q: whole %s only", s, u.words[0])
					}
					days += n * u.days
				} else {
					b.WriteString(num + u.unit)
				}
			}
		}
		if !found {
			return 0, fmt.Errorf("invalid duration %q (use e.g. 2y, 90d, 2 weeks, 24h)", s)
		}
	}
	norm := b.String()
	if days > 0 {
		norm = strconv.Itoa(days) + "d" + norm
	}
	if norm == "" {
		return layout.ParseDuration(s)
	}
	return layout.ParseDuration(norm)
}

// parseTime reads a point in time as people write it: RFC 3339
// (2028-01-01T00:00:00Z), a date (2028-01-01, midnight UTC), or a date and
// time without a zone (2028-01-01 12:00 or 2028-01-01T12:00, UTC).
func parseTime(s string) (time.Time, error) {
	for _, f := range []string{time.RFC3339, "2006-01-02", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(f, strings.TrimSpace(s), time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date or time (use 2028-01-01, 2028-01-01 12:00 (UTC) or RFC 3339, 2028-01-01T12:00:00+02:00)", s)
}

// humanSpan says a duration for a table: days from two days up ("365d"),
// else hours and minutes in words ("24 hours", "1 hour 30 minutes"), not
// Go's "24h0m0s".
func humanSpan(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return plural(m, "minute")
	case m == 0:
		return plural(h, "hour")
	}
	return plural(h, "hour") + " " + plural(m, "minute")
}
