package verify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/verify"
)

func targetOf(t *testing.T, path, data string) *metadata.TargetFiles {
	t.Helper()
	tf, err := metadata.TargetFile().FromBytes(path, []byte(data), "sha256", "sha512")
	if err != nil {
		t.Fatal(err)
	}
	return tf
}

// TestRetiredConflicts: a re-created name keeps its retired releases:
// other bytes under an old path and any new file in an old version (in
// any spelling of it) are refused; identical bytes and new versions pass.
func TestRetiredConflicts(t *testing.T) {
	retired := map[string]*metadata.TargetFiles{
		"hello/1.0.0/hello-1.0.0.tar.gz": targetOf(t, "hello/1.0.0/hello-1.0.0.tar.gz", "old"),
	}
	for _, c := range []struct {
		name, path, data, want string
	}{
		{"identical", "hello/1.0.0/hello-1.0.0.tar.gz", "old", ""},
		{"new version", "hello/2.0.0/hello-2.0.0.tar.gz", "new", ""},
		{"other bytes", "hello/1.0.0/hello-1.0.0.tar.gz", "evil", "was published under this name before it was removed"},
		{"new file in old version", "hello/1.0.0/extra.whl", "evil", "adds a file to version 1.0.0"},
		{"another spelling", "hello/v1.0.0/hello-1.0.0.tar.gz", "evil", "adds a file to version 1.0.0"},
		{"leading zeros", "hello/01.0.0/x.tar.gz", "evil", "adds a file to version 1.0.0"},
	} {
		got := verify.RetiredConflicts(retired, map[string]*metadata.TargetFiles{c.path: targetOf(t, c.path, c.data)})
		switch {
		case c.want == "" && len(got) != 0:
			t.Errorf("%s: refused: %v", c.name, got)
		case c.want != "" && (len(got) != 1 || !strings.Contains(got[0], c.want)):
			t.Errorf("%s: got %v, want one message with %q", c.name, got, c.want)
		}
	}
	if got := verify.RetiredConflicts(nil, map[string]*metadata.TargetFiles{"hello/1.0.0/a": targetOf(t, "hello/1.0.0/a", "x")}); got != nil {
		t.Errorf("a name never removed: %v", got)
	}
}

// TestExpiryCapProblem: the cap holds at 1825 days plus a day of clock
// skew, for every offline role kind, and names the fix.
func TestExpiryCapProblem(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	cap := layout.MaxSignedExpiry("idx_h") + layout.ExpiryClockSkew
	for _, role := range []string{"root", "targets", "idx_h", "hello"} {
		if msg := verify.ExpiryCapProblem(role, now.Add(cap), now, false); msg != "" {
			t.Errorf("%s at the cap refused: %s", role, msg)
		}
		msg := verify.ExpiryCapProblem(role, now.Add(cap+time.Second), now, false)
		if !strings.Contains(msg, "tufgit caps the expiry of "+role+" at 1825d") {
			t.Errorf("%s beyond the cap: %q", role, msg)
		}
	}
	if msg := verify.ExpiryCapProblem("hello", now.Add(100*365*24*time.Hour), now, false); !strings.Contains(msg, "`tufgit renew hello`") {
		t.Errorf("no hint: %q", msg)
	}
	if msg := verify.ExpiryCapProblem("hello", now.Add(100*365*24*time.Hour), now, true); !strings.Contains(msg, "withdraw the request") {
		t.Errorf("no hint for a request: %q", msg)
	}
}

// fakeTree is a TreeReader over a map of paths to bytes.
type fakeTree map[string][]byte

func (f fakeTree) ReadFile(p string, max int64) ([]byte, error) {
	b, ok := f[p]
	if !ok {
		return nil, gitstore.ErrNotExist
	}
	return b, nil
}

func (f fakeTree) Exists(p string) (bool, error) { _, ok := f[p]; return ok, nil }

func (f fakeTree) WalkDir(string, func(gitstore.Entry) error, func(gitstore.BadName) error) error {
	return nil
}

func retiredRaw(t *testing.T, version int64, targets map[string]string) []byte {
	t.Helper()
	m := metadata.Targets(time.Now().Add(time.Hour))
	m.Signed.Version = version
	for p, data := range targets {
		m.Signed.Targets[p] = targetOf(t, p, data)
	}
	raw, err := m.ToBytes(false)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestRetiredGenerations: every removal's record is read, oldest first, up
// to the first missing; the next removal goes to the first free name;
// the targets of all records are reserved, the earliest record of a path
// first.
func TestRetiredGenerations(t *testing.T) {
	tree := fakeTree{}
	if p, err := verify.NextRetiredPath(tree, "hello"); err != nil || p != "metadata/retired/2c/hello.json" {
		t.Fatalf("first removal: %q, %v", p, err)
	}
	if m, err := verify.RetiredRole(tree, "hello"); m != nil || err != nil {
		t.Fatalf("never removed: %v, %v", m, err)
	}
	tree["metadata/retired/2c/hello.json"] = retiredRaw(t, 3, map[string]string{"hello/1.0.0/a.tar.gz": "one"})
	tree["metadata/retired/2c/hello.2.json"] = retiredRaw(t, 5, map[string]string{"hello/2.0.0/a.tar.gz": "two", "hello/1.0.0/a.tar.gz": "one"})
	tree["metadata/retired/2c/hello.4.json"] = retiredRaw(t, 9, nil) // past a gap: not read
	gens, err := verify.RetiredGenerations(tree, "hello")
	if err != nil || len(gens) != 2 || gens[0].Signed.Version != 3 || gens[1].Signed.Version != 5 {
		t.Fatalf("generations: %d, %v", len(gens), err)
	}
	if m, _ := verify.RetiredRole(tree, "hello"); m == nil || m.Signed.Version != 5 {
		t.Fatalf("latest record: %v", m)
	}
	if p, err := verify.NextRetiredPath(tree, "hello"); err != nil || p != "metadata/retired/2c/hello.3.json" {
		t.Fatalf("third removal: %q, %v", p, err)
	}
	ts, err := verify.RetiredTargets(tree, "hello")
	if err != nil || len(ts) != 2 {
		t.Fatalf("targets: %v, %v", ts, err)
	}
	for _, c := range []struct{ path, data string }{{"hello/1.0.0/a.tar.gz", "evil"}, {"hello/2.0.0/a.tar.gz", "evil"}, {"hello/2.0.0/b.whl", "x"}} {
		if got := verify.RetiredConflicts(ts, map[string]*metadata.TargetFiles{c.path: targetOf(t, c.path, c.data)}); len(got) != 1 {
			t.Errorf("%s: got %v, want one refusal", c.path, got)
		}
	}
	tree["metadata/retired/2c/hello.2.json"] = []byte("{")
	if _, err := verify.RetiredGenerations(tree, "hello"); err == nil || !strings.Contains(err.Error(), "hello.2.json") {
		t.Errorf("an unreadable record: %v", err)
	}
}
