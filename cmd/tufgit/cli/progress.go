package cli

import (
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/term"
)

// progressMin is the smallest transfer worth a progress line.
const progressMin = 1 << 20

// progressLine shows one long transfer at a time on one terminal line of
// stderr, redrawn at most ten times a second, finished with a newline.
type progressLine struct {
	w     io.Writer
	now   func() time.Time
	last  time.Time
	shown string // the transfer being shown
}

// newProgress returns the progress display for a command, or nil (no
// display) when stderr is not a terminal or the command prints JSON: then
// nothing is ever written.
func newProgress(s *IOStreams, jsonOut bool) *progressLine {
	if jsonOut {
		return nil
	}
	f, ok := s.ErrOut.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progressLine{w: f, now: time.Now}
}

// Update reports done of total bytes of name. Small transfers show
// nothing.
func (p *progressLine) Update(name string, done, total int64) {
	if p == nil || total < progressMin {
		return
	}
	finished := done >= total
	if !finished && name == p.shown && p.now().Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.shown, p.last = name, p.now()
	label := []rune(displayName(name))
	if len(label) > 36 {
		label = append([]rune("…"), label[len(label)-35:]...)
	}
	fmt.Fprintf(p.w, "\r%-36s %5.1f%%  %s / %s", string(label), 100*float64(done)/float64(total), mib(done), mib(total))
	if finished {
		fmt.Fprintln(p.w)
		p.shown = ""
	}
}

// displayName is what a transfer is called on screen: a file's base name,
// without the hash prefix of a consistent-snapshot name.
func displayName(name string) string {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if h, rest, ok := strings.Cut(base, "."); ok && len(h) >= 64 && strings.Trim(h, "0123456789abcdef") == "" {
		base = rest
	}
	return base
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// callback adapts the display to the libraries' progress callbacks; nil
// when there is no display, so the libraries do no work for it.
func (p *progressLine) callback() func(string, int64, int64) {
	if p == nil {
		return nil
	}
	return p.Update
}
