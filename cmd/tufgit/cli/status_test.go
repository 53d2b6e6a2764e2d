package cli

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tufgit/tufgit/pkg/status"
)

// At any size the human report stays short: index roles due are one
// line, at most maxListed projects are named, then a line per kind.
func TestPrintStatusStaysShort(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	st := &status.Status{Commit: strings.Repeat("ab", 20), Now: now, Within: "30d"}
	add := func(name, kind string, exp time.Time) {
		r := status.Role{Role: name, Kind: kind, Version: 1, Expires: exp, SignedBy: "admins", Due: true, Expired: !now.Before(exp), Renew: "tufgit renew " + name}
		st.Roles = append(st.Roles, r)
		st.Expiring = append(st.Expiring, r)
	}
	add("targets", status.KindTargets, now.Add(-time.Hour))
	for i := 0; i < 500; i++ {
		add(fmt.Sprintf("idx_%03d", i), status.KindIndex, now.Add(10*24*time.Hour))
	}
	for i := 0; i < 5000; i++ {
		add(fmt.Sprintf("project-%04d", i), status.KindProject, now.Add(20*24*time.Hour))
	}
	st.Kinds = []status.KindSummary{{Kind: status.KindTargets, Roles: 1, Due: 1, Expired: 1, Next: now.Add(-time.Hour)},
		{Kind: status.KindIndex, Roles: 500, Due: 500, Next: now.Add(10 * 24 * time.Hour)},
		{Kind: status.KindProject, Roles: 5000, Due: 5000, Next: now.Add(20 * 24 * time.Hour)}}
	var b bytes.Buffer
	printStatus(&b, st)
	out := b.String()
	if n := strings.Count(out, "\n"); n > 45 {
		t.Errorf("%d lines for 5,501 due roles:\n%s", n, out)
	}
	if got := len(regexp.MustCompile(`(?m)^  project-\d{4} `).FindAllString(out, -1)); got != maxListed {
		t.Errorf("%d projects named, want %d", got, maxListed)
	}
	for _, want := range []string{
		"\n  500 index roles ", "… and 4980 more project roles (tufgit status --json lists them all)",
		"\n  targets                      1        2029-12-31 (EXPIRED 1 hour ago)",
		"1 role(s) EXPIRED, 5500 more due within 30d",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if i, j := strings.Index(out, "500 index roles"), strings.Index(out, "project-0000"); i < 0 || j < 0 || i > j {
		t.Errorf("index roles (due first) not listed before the projects:\n%s", out)
	}
	if n := strings.Count(out, "index roles"); n != 1 {
		t.Errorf("index roles told %d times:\n%s", n, out)
	}
	if strings.Contains(out, "idx_001") {
		t.Errorf("index roles named one by one:\n%s", out)
	}
}
