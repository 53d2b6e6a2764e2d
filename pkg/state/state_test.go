package state_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/state"
)

func TestParentsThroughTheIndex(t *testing.T) {
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "r.git"), repotest.Spec{Names: []string{"hello", "help", "helium", "hyper", "world"}, MaxPerIndex: 2})
	if err != nil {
		t.Fatal(err)
	}
	tree, _ := f.Repo.TreeAt(f.Head)
	v := state.New(tree)
	for role, want := range map[string]string{
		"targets": "root", "idx_h": "targets", "idx_he": "idx_h", "idx_hel": "idx_he",
		"hello": "idx_hell", "help": "idx_help", "hyper": "idx_hy", "world": "idx_w",
		"wombat": "idx_w", // not delegated: where it would go
	} {
		got, err := v.Parent(role)
		if err != nil || got != want {
			t.Errorf("Parent(%s) = %q, %v; want %q", role, got, err, want)
		}
	}
	d, parent, err := v.Delegation("hello")
	if err != nil || parent != "idx_hell" || d.Threshold != 1 || len(d.Paths) != 1 || d.Paths[0] != "hello/*/*" {
		t.Fatalf("Delegation(hello) = %+v %s %v", d, parent, err)
	}
	if _, _, err := v.Delegation("wombat"); err == nil {
		t.Error("an undelegated project has a delegation")
	}
	if _, err := v.Parent("not a role!"); err == nil {
		t.Error("a name outside the layout has a parent")
	}
	// Reads are cached: asking again reads nothing more.
	n := v.Reads
	v.Delegation("hello")
	if v.Reads != n {
		t.Errorf("second lookup read %d more files", v.Reads-n)
	}
}

func TestOverlay(t *testing.T) {
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "r.git"), repotest.Spec{Names: []string{"hello"}})
	if err != nil {
		t.Fatal(err)
	}
	tree, _ := f.Repo.TreeAt(f.Head)
	ov := &state.Overlay{Base: tree, Files: map[string][]byte{
		layout.RolePath("hello"): nil,             // deleted
		layout.ConfigPath:        []byte("{}"),    // replaced
		"new.txt":                []byte("12345"), // added
	}}
	if _, err := ov.ReadFile(layout.RolePath("hello"), 1<<20); !state.IsNotExist(err) {
		t.Errorf("deleted file: %v", err)
	}
	if b, _ := ov.ReadFile(layout.ConfigPath, 100); string(b) != "{}" {
		t.Errorf("replaced file: %q", b)
	}
	if _, err := ov.ReadFile("new.txt", 4); err == nil {
		t.Error("the size limit does not hold for overlay files")
	}
	if _, err := ov.ReadFile(layout.TargetsPath, layout.MaxTargetsSize); err != nil {
		t.Errorf("a base file through the overlay: %v", err)
	}
}

// With lays files over a view and keeps every role it parsed already,
// except the ones the files replace.
func TestWithSharesParsedRoles(t *testing.T) {
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "r.git"), repotest.Spec{Names: []string{"hello", "world"}})
	if err != nil {
		t.Fatal(err)
	}
	tree, _ := f.Repo.TreeAt(f.Head)
	v := state.New(tree)
	if _, _, err := v.Delegation("hello"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Role("hello"); err != nil {
		t.Fatal(err)
	}
	hello, _ := tree.ReadFile(layout.RolePath("hello"), layout.MaxTargetsSize)
	w := v.With(map[string][]byte{layout.RolePath("hello"): []byte("not json")})
	if _, _, err := w.Delegation("hello"); err != nil {
		t.Fatalf("the delegation of hello, from shared roles: %v", err)
	}
	if w.Reads != 0 {
		t.Errorf("With re-read %d role files it had parsed", w.Reads)
	}
	if _, err := w.Role("hello"); err == nil {
		t.Error("the replaced role still reads as before")
	}
	if r, err := v.Role("hello"); err != nil || string(r.Raw) != string(hello) {
		t.Errorf("With changed the view it was made from: %v", err)
	}
	if _, err := v.With(map[string][]byte{layout.RolePath("hello"): nil}).Role("hello"); !state.IsNotExist(err) {
		t.Errorf("a deleted role reads: %v", err)
	}
}

// Config is parsed once per view and shared by views laid over it, unless
// the overlay replaces tufgit.json.
func TestViewConfigParsedOnce(t *testing.T) {
	cfg := layout.DefaultConfig()
	cfg.OnlineKey.KeyID = strings.Repeat("ab", 32)
	raw, err := layout.EncodeFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	src := &countingSource{files: map[string][]byte{layout.ConfigPath: raw}}
	v := state.New(src)
	a, err := v.Config()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := v.Config()
	if a != b || src.reads != 1 {
		t.Fatalf("Config read tufgit.json %d times (want 1), same value %v", src.reads, a == b)
	}
	if c, _ := v.With(map[string][]byte{"metadata/targets.json": nil}).Config(); c != a || src.reads != 1 {
		t.Fatalf("an overlay that leaves tufgit.json alone parsed it again (%d reads)", src.reads)
	}
	// Negative: an overlay that replaces it with a broken file sees that.
	if _, err := v.With(map[string][]byte{layout.ConfigPath: []byte(`{"version":`)}).Config(); err == nil {
		t.Fatal("a broken tufgit.json in an overlay parsed")
	}
	if _, err := state.New(&countingSource{files: map[string][]byte{}}).Config(); !state.IsNotExist(err) {
		t.Fatalf("a missing tufgit.json: %v", err)
	}
}

type countingSource struct {
	files map[string][]byte
	reads int
}

func (s *countingSource) ReadFile(p string, max int64) ([]byte, error) {
	d, ok := s.files[p]
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, state.ErrNotExist)
	}
	s.reads++
	return d, nil
}
