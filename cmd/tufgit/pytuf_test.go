package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// python-tuf 5.1 (Debian trixie's python3-tuf, unpacked by
// testdata/python-tuf/install.sh) is a second independent TUF client: the
// scripts ask it to judge what tufgit publishes, under the condition
// [have:pytuf].
func init() {
	backendCmds["pytuf-download"] = cmdPyTUFDownload
	backendTools["pytuf"] = struct {
		tools   []string
		install string
	}{[]string{pytufPython()}, "testdata/python-tuf/install.sh"}
}

// pytufPython is the interpreter python-tuf runs under: Debian's, whose
// python3-cryptography and python3-requests it uses.
func pytufPython() string {
	if p := os.Getenv("TUFGIT_PYTHON"); p != "" {
		return p
	}
	return "/usr/bin/python3"
}

// pytufSite is the dist-packages directory install.sh unpacks into, or ""
// when python-tuf is not there.
func pytufSite() string {
	dir := os.Getenv("TUFGIT_PYTHON_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "tufgit", "python")
	}
	site := filepath.Join(dir, "usr", "lib", "python3", "dist-packages")
	if _, err := os.Stat(filepath.Join(site, "tuf", "ngclient", "updater.py")); err != nil {
		return ""
	}
	return site
}

// pytuf-download MIRROR ROOT TARGET WANT [STATE-DIR]: python-tuf downloads
// TARGET from the mirror at URL MIRROR (or the shard a `tufgit shard
// --json` file names) trusting ROOT (or, with STATE-DIR,
// the metadata a previous run left there), and the bytes must equal file
// WANT. Negated, the download must fail.
func cmdPyTUFDownload(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 && len(args) != 5 {
		ts.Fatalf("usage: pytuf-download MIRROR-URL ROOT TARGET WANT [STATE-DIR]")
	}
	site := pytufSite()
	if site == "" {
		ts.Fatalf("python-tuf not installed; guard the script with [have:pytuf]")
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "testdata", "python-tuf", "download.py"))
	ts.Check(err)
	md, td := clientDirs(ts, args, "pytuf")
	metaURL, targetsURL := interopURLs(ts, args[0])
	cmd := exec.Command(pytufPython(), script, metaURL+"/", targetsURL+"/", md, td, args[2])
	cmd.Env = append(os.Environ(), "PYTHONPATH="+site, "PYTHONDONTWRITEBYTECODE=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	ts.Logf("python-tuf: %s%s", stdout.String(), stderr.String())
	if neg {
		if err == nil {
			ts.Fatalf("python-tuf accepted %s", args[2])
		}
		return
	}
	if err != nil {
		ts.Fatalf("python-tuf could not download %s: %v", args[2], err)
	}
	got, err := os.ReadFile(strings.TrimSpace(lastLine(stdout.String())))
	ts.Check(err)
	want, err := os.ReadFile(ts.MkAbs(args[3]))
	ts.Check(err)
	if !bytes.Equal(got, want) {
		ts.Fatalf("python-tuf downloaded other bytes for %s", args[2])
	}
}

// Under CI a missing python-tuf fails the script instead of skipping it;
// elsewhere it skips. Installed, the condition holds.
func TestPyTUFCondition(t *testing.T) {
	installed, ci, dir := pytufSite() != "", os.Getenv("CI"), os.Getenv("TUFGIT_PYTHON_DIR")
	t.Setenv("TUFGIT_PYTHON_DIR", t.TempDir())
	t.Setenv("CI", "true")
	if ok, err := backendCondition("have:pytuf"); ok || err == nil || !strings.Contains(err.Error(), "python-tuf not installed") {
		t.Fatalf("CI, python-tuf missing: %v, %v; want an error", ok, err)
	}
	t.Setenv("CI", "")
	if ok, err := backendCondition("have:pytuf"); ok || err != nil {
		t.Fatalf("python-tuf missing: %v, %v; want a skip", ok, err)
	}
	if !installed {
		if ci != "" {
			t.Fatal("python-tuf is not installed (testdata/python-tuf/install.sh)")
		}
		return
	}
	os.Setenv("TUFGIT_PYTHON_DIR", dir)
	if ok, err := backendCondition("have:pytuf"); !ok || err != nil {
		t.Fatalf("python-tuf installed: %v, %v", ok, err)
	}
}
