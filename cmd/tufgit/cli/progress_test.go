package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// No terminal, no progress: a buffer or a file as stderr, or --json, give
// no display at all (and the libraries get no callback).
func TestProgressSilentWithoutTerminal(t *testing.T) {
	if p := newProgress(&IOStreams{ErrOut: &bytes.Buffer{}}, false); p != nil || p.callback() != nil {
		t.Error("a buffer as stderr got a progress display")
	}
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if p := newProgress(&IOStreams{ErrOut: f}, false); p != nil {
		t.Error("a regular file as stderr got a progress display")
	}
	if p := newProgress(&IOStreams{ErrOut: os.Stderr}, true); p != nil {
		t.Error("--json got a progress display")
	}
	var nilLine *progressLine
	nilLine.Update("x", 1, 2<<20) // must not panic
}

// On a terminal: one line redrawn in place, at most ten times a second,
// ended by a newline; small transfers show nothing; consistent-snapshot
// hash prefixes are not shown.
func TestProgressLine(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &progressLine{w: &buf, now: func() time.Time { return now }}
	p.Update("small.txt", 10, 100)
	if buf.Len() != 0 {
		t.Fatalf("a small transfer printed %q", buf.String())
	}
	name := "targets/hello/1.0/" + strings.Repeat("ab", 32) + ".hello-1.0.tar.gz"
	total := int64(4 << 20)
	p.Update(name, 1<<20, total)
	p.Update(name, 2<<20, total) // within 100ms: not drawn
	now = now.Add(150 * time.Millisecond)
	p.Update(name, 3<<20, total)
	p.Update(name, total, total) // the end is always drawn
	out := buf.String()
	if got := strings.Count(out, "\r"); got != 3 {
		t.Errorf("%d redraws, want 3: %q", got, out)
	}
	for _, want := range []string{"hello-1.0.tar.gz", " 25.0%  1.0 MiB / 4.0 MiB", " 75.0%", "100.0%  4.0 MiB / 4.0 MiB\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output lacks %q: %q", want, out)
		}
	}
	if strings.Contains(out, "abab") || strings.Contains(out, "50.0%") {
		t.Errorf("hash prefix or a throttled update shown: %q", out)
	}
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("the line is not ended exactly once: %q", out)
	}
}
