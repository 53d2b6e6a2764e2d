package verify_test

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

// The full check runs on every core, but its report does not depend on
// how many: a tree with problems all over (forged signatures, a broken
// file, a wrong artifact, a missing index role) gives the same problems,
// in the same order, with one worker and with eight.
func TestFullReportSameOnAnyNumberOfCores(t *testing.T) {
	f := gen(t, spec300())
	var changes []gitstore.FileChange
	for i, p := range f.Projects {
		switch i % 37 {
		case 3: // a forged signature: the signed part changed after signing
			raw := readRaw(t, f, layout.RolePath(p))
			changes = append(changes, gitstore.FileChange{Path: layout.RolePath(p), Data: []byte(replaceOnce(string(raw), `"version": 1`, `"version": 2`))})
		case 11: // not JSON
			changes = append(changes, gitstore.FileChange{Path: layout.RolePath(p), Data: []byte("{")})
		}
	}
	changes = append(changes, gitstore.FileChange{Path: layout.RolePath(f.IndexRoles[len(f.IndexRoles)-1])})
	if _, err := f.Commit("break things", changes...); err != nil {
		t.Fatal(err)
	}
	var reports [][]string
	for _, procs := range []int{1, 2, 8} {
		prev := runtime.GOMAXPROCS(procs)
		rep := full(t, f)
		runtime.GOMAXPROCS(prev)
		var lines []string
		for _, p := range rep.Problems {
			lines = append(lines, p.String())
		}
		lines = append(lines, fmt.Sprintf("stats %+v", rep.Stats))
		reports = append(reports, lines)
	}
	if len(reports[0]) < 10 {
		t.Fatalf("the broken tree reports only %d problems; the test needs many: %v", len(reports[0]), reports[0])
	}
	for i := 1; i < len(reports); i++ {
		if !reflect.DeepEqual(reports[0], reports[i]) {
			t.Fatalf("reports differ between worker counts:\n%v\n%v", reports[0], reports[i])
		}
	}
}

func spec300() repotest.Spec { return repotest.Spec{Projects: 300, MaxPerIndex: 8} }

func replaceOnce(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic("replaceOnce: " + old + " not found")
	}
	return strings.Replace(s, old, new, 1)
}
