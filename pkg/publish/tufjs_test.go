package publish_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tufgit/tufgit/pkg/layout"
)

// tufjsDir finds a directory whose node_modules holds tuf-js 4.x:
// TUFGIT_TUFJS_DIR, or the cache .ci/run installs into.
func tufjsDir(t *testing.T) string {
	dirs := []string{os.Getenv("TUFGIT_TUFJS_DIR"), filepath.Join(os.Getenv("HOME"), ".cache", "tufgit", "node")}
	for _, d := range dirs {
		if d != "" && fileExists(filepath.Join(d, "node_modules", "tuf-js", "package.json")) {
			if _, err := exec.LookPath("node"); err == nil {
				return d
			}
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("tuf-js is not installed; .ci/run installs it")
	}
	t.Skip("SKIPPED: tuf-js not installed (npm install --prefix ~/.cache/tufgit/node tuf-js@4.1.0)")
	return ""
}

// The mirror is a standard TUF repository: tuf-js, an independent client,
// downloads a target from it over HTTP on 127.0.0.1, and refuses the
// target once one byte of it is flipped.
func TestTufJSReadsMirror(t *testing.T) {
	dir := tufjsDir(t)
	f := fixture(t, "hello", "help", "world")
	m, mirror := dirMirror(t)
	doPublish(t, f, m, f.Now, false)
	url := serveDir(t, mirror)
	tree, _ := f.Repo.TreeAt(f.Head)
	root, _ := tree.ReadFile(layout.RootHistoryPath(1), layout.MaxRootSize)
	script, _ := filepath.Abs("../../testdata/interop/tufjs-download.cjs")
	tp, want := target(f, "help")

	run := func() (string, error) {
		md, td := t.TempDir(), t.TempDir()
		os.WriteFile(filepath.Join(md, "root.json"), root, 0o644)
		cmd := exec.Command("node", script, url+"/metadata", url+"/targets", md, td, tp)
		cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	out, err := run()
	if err != nil {
		t.Fatalf("tuf-js could not download %s: %v\n%s", tp, err, out)
	}
	got, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("tuf-js downloaded %q: %v", out, err)
	}
	// Negative control: flip one byte of the target on the mirror.
	files, _ := filepath.Glob(filepath.Join(mirror, "targets", "help", "1.0.0", "*"))
	for _, p := range files {
		data, _ := os.ReadFile(p)
		data[0] ^= 0x01
		os.WriteFile(p, data, 0o644)
	}
	if out, err := run(); err == nil {
		t.Fatalf("tuf-js accepted a flipped byte: %s", out)
	} else if !strings.Contains(out, "tuf-js:") {
		t.Fatalf("unexpected failure: %s", out)
	}
}
