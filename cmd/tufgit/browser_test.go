package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// playwrightVersion is the playwright-core .ci/run installs; it drives the
// system's Chromium (/usr/bin/chromium) and downloads no browser.
const playwrightVersion = "1.49.1"

// playwrightDir is where playwright-core is installed: TUFGIT_NODE_DIR,
// or the cache .ci/run installs into.
func playwrightDir() string {
	home, _ := os.UserHomeDir()
	for _, d := range []string{os.Getenv("TUFGIT_NODE_DIR"), filepath.Join(home, ".cache", "tufgit", "node")} {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "node_modules", "playwright-core", "package.json")); err == nil {
			return d
		}
	}
	return ""
}

// artifactsDir is where screenshots are kept: TUFGIT_TEST_ARTIFACTS (CI
// keeps it), or a directory under the system's temporary directory.
func artifactsDir() string {
	if d := os.Getenv("TUFGIT_TEST_ARTIFACTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "tufgit-test-artifacts")
}

// cmdBrowser runs a Node script (CommonJS, in the script's archive) that
// drives headless Chromium through playwright-core:
//
//	browser SCRIPT ARGS...
//
// The script gets CHROMIUM (the browser's path) and SHOTS (where to keep
// screenshots) in its environment. Scripts guard it with [have:browser].
func cmdBrowser(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! browser")
	}
	if len(args) < 1 {
		ts.Fatalf("usage: browser SCRIPT ARGS...")
	}
	dir := playwrightDir()
	if dir == "" {
		ts.Fatalf("playwright-core is not installed")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		ts.Fatalf("chromium: %v", err)
	}
	shots := artifactsDir()
	ts.Check(os.MkdirAll(shots, 0o755))
	cmd := exec.Command("node", append([]string{ts.MkAbs(args[0])}, args[1:]...)...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"), "CHROMIUM="+chromium, "SHOTS="+shots,
		"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1", "HOME="+ts.Getenv("WORK"))
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = ts.Stdout(), &stderr
	err = cmd.Run()
	if stderr.Len() > 0 {
		ts.Logf("%s", strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		ts.Fatalf("browser %s: %v", args[0], err)
	}
}
