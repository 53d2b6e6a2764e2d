package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTourIsREADME: the README's tour block is docs/tour.sh byte for byte,
// and `make tour` runs that file as it is (through docs/tour-run.sh, which
// only prepares an empty directory), so the tour a reader copies is the
// one CI runs.
func TestTourIsREADME(t *testing.T) {
	root := filepath.Join("..", "..")
	read := func(p string) string {
		data, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(string(data), "\r\n", "\n")
	}
	readme, tour, runner, makefile := read("README.md"), read("docs/tour.sh"), read("docs/tour-run.sh"), read("Makefile")

	const marker = "<!-- tour: docs/tour.sh"
	i := strings.Index(readme, marker)
	if i < 0 {
		t.Fatalf("README.md has no %q line before its tour block", marker)
	}
	rest := readme[i:]
	open := strings.Index(rest, "\n```sh\n")
	if open < 0 {
		t.Fatal("README.md: no ```sh block after the tour marker")
	}
	body := rest[open+len("\n```sh\n"):]
	end := strings.Index(body, "\n```\n")
	if end < 0 {
		t.Fatal("README.md: the tour block is not closed")
	}
	block := body[:end+1]
	if block != tour {
		t.Errorf("README.md's tour block differs from docs/tour.sh (make tour runs the file): copy one to the other\n--- README\n%s\n--- docs/tour.sh\n%s", block, tour)
	}
	if !regexp.MustCompile(`(?m)^tour: .*\n\tbash docs/tour-run\.sh `).MatchString(makefile) {
		t.Error("Makefile: the tour target does not run docs/tour-run.sh")
	}
	if !regexp.MustCompile(`(?m)^test: .*\btour\b`).MatchString(makefile) {
		t.Error("Makefile: make test does not run the tour")
	}
	if !regexp.MustCompile(`(?m)^source "\$tour"$`).MatchString(runner) || !strings.Contains(runner, `/tour.sh`) {
		t.Error("docs/tour-run.sh does not source docs/tour.sh as it is")
	}
}
