// Package imports_test checks the import graph against the package table
// in README.md, which is the rule: each package imports exactly what its
// row lists (the standard library aside), every package has a row, and a
// package whose role says "no key" or "no git" does not reach key code or
// git, even through another package. The README and the code can not
// drift apart: changing either without the other fails here.
package imports_test

import (
	"bufio"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/tufgit/tufgit/"

// external names the README uses for other modules, by import path prefix.
var external = map[string][]string{
	"go-git":   {"github.com/go-git/"},
	"go-tuf":   {"github.com/theupdateframework/go-tuf/", "github.com/secure-systems-lab/go-securesystemslib/"},
	"sigstore": {"github.com/sigstore/"},
	"crypto11": {"github.com/ThalesGroup/crypto11"},
	"gocloud":  {"gocloud.dev/"},
	"cobra":    {"github.com/spf13/cobra"},
	"x/crypto": {"golang.org/x/crypto/"},
	"x/term":   {"golang.org/x/term"},
	"x/sys":    {"golang.org/x/sys/"},
}

// The table holds for every OS a developer runs tufgit on: per-OS files
// (locks, pipes) may import what the Linux build does not.
var targetOSes = []string{"linux", "darwin", "windows"}

// What "no key" and "no git" in a role rule out, directly or not.
var (
	keyCode = []string{module + "pkg/keys", "github.com/sigstore/sigstore/pkg/signature/kms"}
	gitCode = []string{module + "pkg/gitstore", "github.com/go-git/"}
	noKey   = regexp.MustCompile(`\bno (private )?keys?\b`)
	noGit   = regexp.MustCompile(`\bno git\b`)
)

type row struct {
	pkg    string // module-relative, e.g. pkg/verify
	role   string
	names  []string // backticked names in the imports column
	anyPkg bool     // `pkg/*`: any of tufgit's pkg/ packages
	line   int
}

// readTable parses the package table from README.md.
func readTable(t *testing.T) map[string]row {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tick := regexp.MustCompile("`([^`]+)`")
	rows := map[string]row{}
	in := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if strings.HasPrefix(l, "| package | role | imports |") {
			in = true
			continue
		}
		if !in || strings.HasPrefix(l, "|---") {
			continue
		}
		if !strings.HasPrefix(l, "|") {
			if len(rows) > 0 {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), " | ")
		if len(cells) != 3 {
			t.Fatalf("README.md:%d: want three cells: %q", n, l)
		}
		pm := tick.FindStringSubmatch(cells[0])
		if pm == nil {
			t.Fatalf("README.md:%d: the package cell names no `package`", n)
		}
		r := row{pkg: pm[1], role: cells[1], line: n}
		for _, m := range tick.FindAllStringSubmatch(cells[2], -1) {
			if m[1] == "pkg/*" {
				r.anyPkg = true
				continue
			}
			r.names = append(r.names, m[1])
		}
		if _, dup := rows[r.pkg]; dup {
			t.Fatalf("README.md:%d: %s has two rows", n, r.pkg)
		}
		rows[r.pkg] = r
	}
	if len(rows) == 0 {
		t.Fatal("README.md has no package table (| package | role | imports |)")
	}
	return rows
}

type goPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

func listPackages(t *testing.T) map[string]goPackage {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the go tool is needed to list imports")
		}
		t.Skip("go tool not available")
	}
	pkgs := map[string]goPackage{}
	for _, goos := range targetOSes {
		cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"...")
		cmd.Dir = filepath.Join("..", "..")
		cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list (GOOS=%s): %v", goos, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(out)))
		for dec.More() {
			var p goPackage
			if err := dec.Decode(&p); err != nil {
				t.Fatal(err)
			}
			rel := strings.TrimPrefix(p.ImportPath, module)
			if rel == "pkg/imports" || strings.HasPrefix(rel, "testdata/") {
				continue
			}
			if q, ok := pkgs[rel]; ok {
				p.Imports = union(q.Imports, p.Imports)
				p.Deps = union(q.Deps, p.Deps)
			}
			pkgs[rel] = p
		}
	}
	return pkgs
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range append(slices.Clone(a), b...) {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// name is the README name an import goes by, or "" when none does.
func name(imp string) string {
	if rel, ok := strings.CutPrefix(imp, module); ok {
		return strings.TrimPrefix(rel, "pkg/")
	}
	for n, prefixes := range external {
		for _, p := range prefixes {
			if strings.HasPrefix(imp, p) || imp+"/" == p {
				return n
			}
		}
	}
	return ""
}

func TestImportsMatchREADME(t *testing.T) {
	rows := readTable(t)
	pkgs := listPackages(t)
	for rel, p := range pkgs {
		r, ok := rows[rel]
		if !ok {
			t.Errorf("%s has no row in README.md's package table: add one saying what it is for and what it imports", rel)
			continue
		}
		allowed := map[string]bool{}
		for _, n := range r.names {
			if _, ext := external[n]; !ext {
				if _, ours := pkgs["pkg/"+n]; !ours {
					if _, ours := pkgs[n]; !ours {
						t.Errorf("README.md:%d: %s lists `%s`, which is neither a package of tufgit nor one of %v", r.line, rel, n, slices.Sorted(maps.Keys(external)))
					}
				}
			}
			allowed[n] = true
		}
		used := map[string]bool{}
		for _, imp := range p.Imports {
			if isStd(imp) {
				continue
			}
			n := name(imp)
			if n == "" {
				t.Errorf("%s imports %s, which README.md's table has no name for: add it to the table and to this test's list", rel, imp)
				continue
			}
			used[n] = true
			if allowed[n] || (r.anyPkg && strings.HasPrefix(imp, module+"pkg/")) {
				continue
			}
			t.Errorf("%s imports %s, which its row in README.md (line %d) does not list (`%s`)", rel, imp, r.line, n)
		}
		for _, n := range r.names {
			if !used[n] {
				t.Errorf("README.md:%d: %s lists `%s` but does not import it: take it out of the row", r.line, rel, n)
			}
		}
		role := strings.ToLower(r.role)
		if noKey.MatchString(role) {
			for _, d := range p.Deps {
				for _, bad := range keyCode {
					if strings.HasPrefix(d, bad) {
						t.Errorf("%s reaches %s, but README.md (line %d) says it has no key code", rel, d, r.line)
					}
				}
			}
		}
		if noGit.MatchString(role) {
			for _, d := range p.Deps {
				for _, bad := range gitCode {
					if strings.HasPrefix(d, bad) {
						t.Errorf("%s reaches %s, but README.md (line %d) says it has no git", rel, d, r.line)
					}
				}
			}
		}
	}
	for rel, r := range rows {
		if _, ok := pkgs[rel]; !ok {
			t.Errorf("README.md:%d: %s is in the package table but not in the module", r.line, rel)
		}
	}
}
