package gitstore

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// emptyTreeHash is the hash git gives the tree with no entries.
const emptyTreeHash = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

var testAuthor = Signature{Name: "Test Author", Email: "author@example.org"}

var testWhen = time.Unix(1700000000, 0).UTC()

// setupGitEnv isolates git (both the binary and go-git's config lookups)
// from the user's and the system's configuration.
func setupGitEnv(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not found")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_AUTHOR_NAME", "Env Author")
	t.Setenv("GIT_AUTHOR_EMAIL", "env-author@example.org")
	t.Setenv("GIT_COMMITTER_NAME", "Env Committer")
	t.Setenv("GIT_COMMITTER_EMAIL", "env-committer@example.org")
	t.Setenv("GIT_TERMINAL_PROMPT", "0")
}

// gitCmdEnv is the environment for the git binary: the test's environment
// without variables that would point git at another repository.
func gitCmdEnv() []string {
	drop := map[string]bool{
		"GIT_DIR": true, "GIT_WORK_TREE": true, "GIT_INDEX_FILE": true,
		"GIT_OBJECT_DIRECTORY": true, "GIT_ALTERNATE_OBJECT_DIRECTORIES": true,
		"GIT_COMMON_DIR": true, "GIT_NAMESPACE": true, "GIT_CEILING_DIRECTORIES": true,
		"GIT_CONFIG": true, "GIT_CONFIG_PARAMETERS": true, "GIT_CONFIG_COUNT": true,
		"GIT_CONFIG_GLOBAL": true, "GIT_CONFIG_SYSTEM": true, "GIT_PREFIX": true,
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	return env
}

func gitErr(dir string, args ...string) (string, string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitCmdEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, errOut, err := gitErr(dir, args...)
	if err != nil {
		t.Fatalf("git %s (in %s): %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), dir, err, out, errOut)
	}
	return out
}

func fsck(t *testing.T, dir string) {
	t.Helper()
	runGit(t, dir, "fsck", "--strict", "--no-progress", "--no-dangling")
}

func newRepo(t *testing.T) (*Repo, string) {
	t.Helper()
	setupGitEnv(t)
	dir := t.TempDir()
	r, err := Init(dir)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	return r, dir
}

func changesFromMap(files map[string]string) []FileChange {
	var cs []FileChange
	for p, c := range files {
		cs = append(cs, FileChange{Path: p, Data: []byte(c)})
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Path < cs[j].Path })
	return cs
}

// commit builds a tree from base and changes and commits it on main.
func commit(t *testing.T, r *Repo, parent Hash, changes []FileChange, msg string) Hash {
	t.Helper()
	base := r.EmptyTree()
	if parent != ZeroHash {
		var err error
		if base, err = r.TreeAt(parent); err != nil {
			t.Fatalf("TreeAt: %v", err)
		}
	}
	tree, err := r.BuildTree(base, changes)
	if err != nil {
		t.Fatalf("BuildTree: %v", err)
	}
	h, err := r.CommitTree(CommitOptions{Parent: parent, Tree: tree, Message: msg, Author: testAuthor, When: testWhen})
	if err != nil {
		t.Fatalf("CommitTree: %v", err)
	}
	return h
}

func treeAt(t *testing.T, r *Repo, c Hash) *Tree {
	t.Helper()
	tr, err := r.TreeAt(c)
	if err != nil {
		t.Fatalf("TreeAt(%s): %v", c, err)
	}
	return tr
}

type lsEntry struct {
	Mode string
	Type string
	Hash string
	Path string
}

// lsTree is git's view of a tree: `git ls-tree -r -z rev`, in git's order.
func lsTree(t *testing.T, dir, rev string, extra ...string) []lsEntry {
	t.Helper()
	args := append([]string{"ls-tree", "-z"}, extra...)
	args = append(args, rev)
	out := runGit(t, dir, args...)
	var es []lsEntry
	for _, rec := range strings.Split(out, "\x00") {
		if rec == "" {
			continue
		}
		meta, path, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 {
			t.Fatalf("bad ls-tree record %q", rec)
		}
		es = append(es, lsEntry{Mode: f[0], Type: f[1], Hash: f[2], Path: path})
	}
	return es
}

// checkGitTree asserts that git sees exactly files (path -> content) at rev.
func checkGitTree(t *testing.T, dir, rev string, files map[string]string) {
	t.Helper()
	es := lsTree(t, dir, rev, "-r")
	got := map[string]string{}
	for _, e := range es {
		if e.Mode != "100644" || e.Type != "blob" {
			t.Errorf("%s: git sees mode %s type %s, want 100644 blob", e.Path, e.Mode, e.Type)
		}
		content := runGit(t, dir, "cat-file", "-p", e.Hash)
		got[e.Path] = content
		if want := HashBlob([]byte(content)).String(); want != e.Hash {
			t.Errorf("%s: ls-tree hash %s, HashBlob of content %s", e.Path, e.Hash, want)
		}
	}
	if !reflect.DeepEqual(got, files) {
		t.Errorf("git ls-tree -r %s:\n got %q\nwant %q", rev, got, files)
	}
}

type walked struct {
	entries []Entry
	bad     []BadName
}

func walkAll(t *testing.T, tr *Tree) walked {
	t.Helper()
	var w walked
	err := tr.Walk(func(e Entry) error {
		w.entries = append(w.entries, e)
		return nil
	}, func(b BadName) error {
		w.bad = append(w.bad, b)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return w
}

func noBad(t *testing.T) func(BadName) error {
	return func(b BadName) error {
		t.Errorf("unexpected bad name %+v", b)
		return nil
	}
}

// trickyFiles has names whose order differs between plain byte order and
// git's tree order (directories sort as if named "name/").
var trickyFiles = map[string]string{
	"a-b":                                  "dash\n",
	"a.b":                                  "dot\n",
	"a/x":                                  "in a\n",
	"a/y/z":                                "deeper\n",
	"a/y.txt":                              "y.txt\n",
	"a/y-":                                 "y-\n",
	"a0":                                   "zero\n",
	"b-c":                                  "b-c\n",
	"b.c/d":                                "b.c dir\n",
	"b/e":                                  "b dir\n",
	"UPPER":                                "upper\n",
	"-dash":                                "leading dash\n",
	"dir with space/f ile":                 "spaces\n",
	"ünï/çødé":                             "unicode\n",
	"z/z/z/z/deep":                         "deep\n",
	"empty":                                "",
	"nonl":                                 "no newline",
	"binary":                               "\x00\x01\x02\xff",
	"c.txt":                                "c.txt\n",
	"c/c.txt":                              "c/c.txt\n",
	"c/c/c.txt":                            "c/c/c.txt\n",
	"x/a.b/c":                              "x a.b\n",
	"x/a/c":                                "x a\n",
	"x/a-b":                                "x a-b\n",
	"x/a0":                                 "x a0\n",
	"x/a.b.c":                              "x a.b.c\n",
	"longname-" + strings.Repeat("n", 200): "long\n",
}

func TestInitBuildCommitFsck(t *testing.T) {
	r, dir := newRepo(t)
	if r.IsBare() || r.WorkTree() != dir || r.GitDir() != filepath.Join(dir, ".git") {
		t.Fatalf("Init: bare=%v worktree=%q gitdir=%q", r.IsBare(), r.WorkTree(), r.GitDir())
	}
	if b, err := r.HeadBranch(); err != nil || b != DefaultBranch {
		t.Fatalf("HeadBranch = %q, %v", b, err)
	}
	if h, err := r.Branch(DefaultBranch); err != nil || h != ZeroHash {
		t.Fatalf("Branch on unborn main = %s, %v", h, err)
	}

	changes := changesFromMap(trickyFiles)
	tree, err := r.BuildTree(nil, changes)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.CommitTree(CommitOptions{Tree: tree, Message: "first\n\nbody\n", Author: testAuthor, When: testWhen})
	if err != nil {
		t.Fatal(err)
	}

	fsck(t, dir)
	if got := strings.TrimSpace(runGit(t, dir, "rev-parse", "HEAD")); got != c.String() {
		t.Fatalf("git rev-parse HEAD = %s, CommitTree returned %s", got, c)
	}
	if got := strings.TrimSpace(runGit(t, dir, "rev-parse", "HEAD^{tree}")); got != tree.String() {
		t.Fatalf("git HEAD^{tree} = %s, BuildTree returned %s", got, tree)
	}
	checkGitTree(t, dir, "HEAD", trickyFiles)

	// What gitstore reads back agrees with git.
	if h, err := r.Branch(DefaultBranch); err != nil || h != c {
		t.Fatalf("Branch = %s, %v; want %s", h, err, c)
	}
	for _, rev := range []string{"HEAD", "main", "refs/heads/main", c.String()} {
		if h, err := r.Resolve(rev); err != nil || h != c {
			t.Errorf("Resolve(%q) = %s, %v; want %s", rev, h, err, c)
		}
	}
	info, err := r.Commit(c)
	if err != nil {
		t.Fatal(err)
	}
	if info.Tree != tree || len(info.Parents) != 0 || info.Message != "first\n\nbody\n" ||
		info.Author != testAuthor.String() || !info.When.Equal(testWhen) {
		t.Errorf("Commit = %+v", info)
	}
	if got := runGit(t, dir, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%at|%B"); got != "Test Author <author@example.org>|Test Author <author@example.org>|1700000000|first\n\nbody\n\n" {
		t.Errorf("git log = %q", got)
	}

	// Walk visits the files in the same (tree) order as git ls-tree -r.
	tr := treeAt(t, r, c)
	var gitPaths []string
	for _, e := range lsTree(t, dir, "HEAD", "-r") {
		gitPaths = append(gitPaths, e.Path)
	}
	var walkPaths []string
	for _, e := range walkAll(t, tr).entries {
		walkPaths = append(walkPaths, e.Path)
		if !e.IsRegular() {
			t.Errorf("%s: mode %s", e.Path, e.Mode)
		}
		if want := HashBlob([]byte(trickyFiles[e.Path])); e.Hash != want {
			t.Errorf("%s: hash %s, want %s", e.Path, e.Hash, want)
		}
	}
	if !reflect.DeepEqual(walkPaths, gitPaths) {
		t.Errorf("Walk order:\n got %q\nwant %q", walkPaths, gitPaths)
	}
	for p, content := range trickyFiles {
		got, err := tr.ReadFile(p, 1<<20)
		if err != nil || string(got) != content {
			t.Errorf("ReadFile(%q) = %q, %v; want %q", p, got, err, content)
		}
	}

	// WalkDir limits the walk to a subtree.
	var sub []string
	if err := tr.WalkDir("x", func(e Entry) error { sub = append(sub, e.Path); return nil }, noBad(t)); err != nil {
		t.Fatal(err)
	}
	var wantSub []string
	for _, p := range gitPaths {
		if strings.HasPrefix(p, "x/") {
			wantSub = append(wantSub, p)
		}
	}
	if !reflect.DeepEqual(sub, wantSub) {
		t.Errorf("WalkDir(x) = %q, want %q", sub, wantSub)
	}
	sub = nil
	if err := tr.WalkDir("no/such/dir", func(e Entry) error { sub = append(sub, e.Path); return nil }, noBad(t)); err != nil || sub != nil {
		t.Errorf("WalkDir(missing) = %q, %v", sub, err)
	}

	// Writing the working tree and index leaves git with nothing to report.
	if err := r.WriteWorkTree(changes, true); err != nil {
		t.Fatal(err)
	}
	if st := runGit(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Fatalf("git status after WriteWorkTree(stage):\n%s", st)
	}
	runGit(t, dir, "diff", "--cached", "--quiet", "HEAD")
	runGit(t, dir, "diff", "--quiet")
	for p, content := range trickyFiles {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil || string(got) != content {
			t.Errorf("work tree %s = %q, %v; want %q", p, got, err, content)
		}
	}
	// The index git reads lists every file with the committed blob.
	stage := runGit(t, dir, "ls-files", "-s", "-z")
	n := 0
	for _, rec := range strings.Split(stage, "\x00") {
		if rec == "" {
			continue
		}
		n++
		meta, p, _ := strings.Cut(rec, "\t")
		if want := fmt.Sprintf("100644 %s 0", HashBlob([]byte(trickyFiles[p]))); meta != want {
			t.Errorf("index entry %q: %q, want %q", p, meta, want)
		}
	}
	if n != len(trickyFiles) {
		t.Errorf("index has %d entries, want %d", n, len(trickyFiles))
	}
	// No temporary files are left behind.
	if st := runGit(t, dir, "status", "--porcelain", "--ignored", "--untracked-files=all"); st != "" {
		t.Errorf("stray files:\n%s", st)
	}
}

func TestWriteWorkTreeWithoutStage(t *testing.T) {
	r, dir := newRepo(t)
	files := map[string]string{"f": "1\n", "d/g": "2\n"}
	c := commit(t, r, ZeroHash, changesFromMap(files), "one")
	if err := r.WriteWorkTree(changesFromMap(files), true); err != nil {
		t.Fatal(err)
	}
	ch := []FileChange{{Path: "f", Data: []byte("changed\n")}}
	if err := r.WriteWorkTree(ch, false); err != nil {
		t.Fatal(err)
	}
	// Without staging git sees the edit as an unstaged modification.
	if st := runGit(t, dir, "status", "--porcelain"); st != " M f\n" {
		t.Errorf("git status = %q", st)
	}
	_ = c
}

func TestBuildTreeOnBase(t *testing.T) {
	r, dir := newRepo(t)
	base := map[string]string{
		"keep.txt":           "keep\n",
		"dir/mod.txt":        "old\n",
		"dir/stay.txt":       "stay\n",
		"gone/only.txt":      "only\n",
		"gone2/sub/deep.txt": "deep\n",
		"gone2/sub2/x":       "x\n",
		"untouched/a/b":      "ab\n",
	}
	c1 := commit(t, r, ZeroHash, changesFromMap(base), "base")
	if err := r.WriteWorkTree(changesFromMap(base), true); err != nil {
		t.Fatal(err)
	}

	changes := []FileChange{
		{Path: "dir/mod.txt", Data: []byte("new\n")},
		{Path: "gone/only.txt"},
		{Path: "gone2/sub/deep.txt"},
		{Path: "gone2/sub2/x"},
		{Path: "new/nested/add.txt", Data: []byte("added\n")},
		{Path: "never/existed.txt"}, // deleting a missing file is a no-op
	}
	c2 := commit(t, r, c1, changes, "change")
	fsck(t, dir)

	want := map[string]string{
		"keep.txt":           "keep\n",
		"dir/mod.txt":        "new\n",
		"dir/stay.txt":       "stay\n",
		"new/nested/add.txt": "added\n",
		"untouched/a/b":      "ab\n",
	}
	checkGitTree(t, dir, "HEAD", want)
	if got := strings.TrimSpace(runGit(t, dir, "rev-parse", "HEAD^")); got != c1.String() {
		t.Errorf("HEAD^ = %s, want %s", got, c1)
	}
	var dirs []string
	for _, e := range lsTree(t, dir, "HEAD", "-r", "-d") {
		dirs = append(dirs, e.Path)
	}
	if wantDirs := []string{"dir", "new", "new/nested", "untouched", "untouched/a"}; !reflect.DeepEqual(dirs, wantDirs) {
		t.Errorf("directories = %q, want %q", dirs, wantDirs)
	}
	// An untouched subtree is reused as is.
	if a, b := runGit(t, dir, "rev-parse", c1.String()+":untouched"), runGit(t, dir, "rev-parse", c2.String()+":untouched"); a != b {
		t.Errorf("untouched subtree changed: %s -> %s", a, b)
	}

	// Applying the same change to the working tree with staging leaves
	// git clean, with the emptied directories gone from disk.
	if err := r.WriteWorkTree(changes, true); err != nil {
		t.Fatal(err)
	}
	if st := runGit(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("git status:\n%s", st)
	}
	for _, d := range []string{"gone", "gone2"} {
		if _, err := os.Stat(filepath.Join(dir, d)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("directory %s still exists: %v", d, err)
		}
	}

	// A file can be replaced by a directory and the other way round.
	c3 := commit(t, r, c2, []FileChange{
		{Path: "keep.txt/inner", Data: []byte("inner\n")},
		{Path: "untouched", Data: []byte("now a file\n")},
	}, "swap")
	fsck(t, dir)
	checkGitTree(t, dir, c3.String(), map[string]string{
		"keep.txt/inner":     "inner\n",
		"dir/mod.txt":        "new\n",
		"dir/stay.txt":       "stay\n",
		"new/nested/add.txt": "added\n",
		"untouched":          "now a file\n",
	})
}

func TestBuildTreeDeleteUnderFileKeepsFile(t *testing.T) {
	r, dir := newRepo(t)
	c1 := commit(t, r, ZeroHash, []FileChange{{Path: "a", Data: []byte("file a\n")}, {Path: "b", Data: []byte("b\n")}}, "base")
	tree, err := r.BuildTree(treeAt(t, r, c1), []FileChange{{Path: "a/x"}})
	if err != nil {
		t.Fatal(err)
	}
	if tree != treeAt(t, r, c1).Hash {
		t.Fatalf("BuildTree deleting the missing path \"a/x\" (where \"a\" is a regular file) removes the file \"a\": tree %s, git sees %q",
			tree, runGit(t, dir, "ls-tree", "-r", "--name-only", tree.String()))
	}
}

func TestBuildTreeDeleteEverything(t *testing.T) {
	r, dir := newRepo(t)
	c1 := commit(t, r, ZeroHash, []FileChange{{Path: "d/only", Data: []byte("x\n")}}, "base")
	tree, err := r.BuildTree(treeAt(t, r, c1), []FileChange{{Path: "d/only"}})
	if err != nil {
		t.Fatal(err)
	}
	if tree.String() != emptyTreeHash {
		t.Fatalf("BuildTree that leaves nothing returns %s, not git's empty tree %s; a commit of it is not a valid git commit", tree, emptyTreeHash)
	}
	c2, err := r.CommitTree(CommitOptions{Parent: c1, Tree: tree, Message: "empty", Author: testAuthor, When: testWhen})
	if err != nil {
		t.Fatal(err)
	}
	fsck(t, dir)
	checkGitTree(t, dir, c2.String(), map[string]string{})
}

func TestBuildTreeRefusesUnsafePaths(t *testing.T) {
	r, dir := newRepo(t)
	c1 := commit(t, r, ZeroHash, []FileChange{{Path: "ok", Data: []byte("ok\n")}}, "base")
	before := runGit(t, dir, "count-objects")
	for _, p := range []string{
		"..", "../x", "a/../b", "a/..", "a/../../etc/passwd",
		".", "./a", ".git", ".git/config", "a/.git/hooks/pre-commit",
		"", "/abs", "a/", "a//b", "a\\b", "x\x00y", "x\ny", "\x7f",
	} {
		for _, data := range [][]byte{[]byte("x"), nil} {
			if h, err := r.BuildTree(treeAt(t, r, c1), []FileChange{{Path: "fine", Data: []byte("f")}, {Path: p, Data: data}}); err == nil {
				t.Errorf("BuildTree accepted path %q (data %v): %s", p, data != nil, h)
			}
		}
	}
	// Nothing was written for a refused change.
	if after := runGit(t, dir, "count-objects"); after != before {
		t.Errorf("objects written by refused BuildTree: %q -> %q", before, after)
	}
}

type gitChange struct {
	Status  string
	OldMode string
	NewMode string
	OldHash string
	NewHash string
}

// gitDiffTree is `git diff-tree -r --no-renames old new` by path.
func gitDiffTree(t *testing.T, dir, old, new string) map[string]gitChange {
	t.Helper()
	out := runGit(t, dir, "diff-tree", "-r", "--no-renames", "--no-commit-id", "-z", old, new)
	recs := strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
	m := map[string]gitChange{}
	if out == "" {
		return m
	}
	if len(recs)%2 != 0 {
		t.Fatalf("odd diff-tree output %q", out)
	}
	for i := 0; i < len(recs); i += 2 {
		f := strings.Fields(strings.TrimPrefix(recs[i], ":"))
		if len(f) != 5 {
			t.Fatalf("bad diff-tree record %q", recs[i])
		}
		m[recs[i+1]] = gitChange{OldMode: f[0], NewMode: f[1], OldHash: f[2], NewHash: f[3], Status: f[4]}
	}
	return m
}

func modeString(m FileMode) string {
	if m == 0 {
		return "000000"
	}
	return fmt.Sprintf("%06o", uint32(m))
}

// checkDiff compares Diff(old, new) with git diff-tree.
func checkDiff(t *testing.T, r *Repo, dir string, old, new *Tree, oldRev, newRev string) []Change {
	t.Helper()
	changes, err := Diff(old, new, noBad(t))
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	got := map[string]gitChange{}
	for _, c := range changes {
		if _, dup := got[c.Path]; dup {
			t.Errorf("Diff reports %s twice", c.Path)
		}
		status := map[ChangeAction]string{Added: "A", Modified: "M", Deleted: "D"}[c.Action]
		oh, nh := c.Old.Hash.String(), c.New.Hash.String()
		if c.Action == Added && (c.Old != Entry{}) || c.Action == Deleted && (c.New != Entry{}) {
			t.Errorf("%s: %v change with both sides set: %+v", c.Path, c.Action, c)
		}
		if c.Old.Path != "" && c.Old.Path != c.Path || c.New.Path != "" && c.New.Path != c.Path {
			t.Errorf("%s: entry paths differ: %+v", c.Path, c)
		}
		got[c.Path] = gitChange{Status: status, OldMode: modeString(c.Old.Mode), NewMode: modeString(c.New.Mode), OldHash: oh, NewHash: nh}
	}
	want := gitDiffTree(t, dir, oldRev, newRev)
	for p, w := range want {
		if w.Status == "T" { // type change, e.g. file -> symlink
			w.Status = "M"
			want[p] = w
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Diff(%s, %s):\n got %+v\nwant %+v", oldRev, newRev, got, want)
	}
	return changes
}

func TestDiffMatchesGit(t *testing.T) {
	r, dir := newRepo(t)
	old := map[string]string{
		"a.txt":       "a\n",
		"same/x":      "x\n",
		"same/deep/y": "y\n",
		"mod/y":       "y\n",
		"mod/keep":    "keep\n",
		"del/z":       "z\n",
		"f":           "file f\n",
		"n/f2":        "nested file\n",
		"g/h":         "g/h\n",
		"g/i/j":       "g/i/j\n",
		"deldir/a":    "a\n",
		"deldir/b/c":  "c\n",
		"a-b":         "a-b\n",
		"a.b/c":       "a.b/c\n",
	}
	c1 := commit(t, r, ZeroHash, changesFromMap(old), "old")
	c2 := commit(t, r, c1, []FileChange{
		{Path: "a.txt", Data: []byte("a changed\n")},
		{Path: "mod/y", Data: []byte("y changed\n")},
		{Path: "del/z"},
		{Path: "f/inner", Data: []byte("f is a dir now\n")}, // file replaced by directory
		{Path: "n/f2/deeper/x", Data: []byte("nested replace\n")},
		{Path: "g", Data: []byte("g is a file now\n")}, // directory replaced by file
		{Path: "deldir/a"},
		{Path: "deldir/b/c"},
		{Path: "added/n/new", Data: []byte("new\n")},
		{Path: "a-b", Data: []byte("a-b changed\n")},
		{Path: "a.b/d", Data: []byte("a.b/d\n")},
	}, "new")
	fsck(t, dir)
	t1, t2 := treeAt(t, r, c1), treeAt(t, r, c2)

	changes := checkDiff(t, r, dir, t1, t2, c1.String(), c2.String())
	var paths []string
	for _, c := range changes {
		paths = append(paths, c.Action.String()+" "+c.Path)
	}
	sort.Strings(paths)
	wantPaths := []string{
		"added a.b/d", "added added/n/new", "added f/inner", "added g", "added n/f2/deeper/x",
		"deleted del/z", "deleted deldir/a", "deleted deldir/b/c", "deleted f", "deleted g/h", "deleted g/i/j", "deleted n/f2",
		"modified a-b", "modified a.txt", "modified mod/y",
	}
	if !reflect.DeepEqual(paths, wantPaths) {
		t.Errorf("Diff = %q\nwant %q", paths, wantPaths)
	}
	checkDiff(t, r, dir, t2, t1, c2.String(), c1.String())
	checkDiff(t, r, dir, r.EmptyTree(), t2, emptyTreeHash, c2.String())
	checkDiff(t, r, dir, t1, r.EmptyTree(), c1.String(), emptyTreeHash)
	if cs, err := Diff(t2, t2, noBad(t)); err != nil || len(cs) != 0 {
		t.Errorf("Diff(t, t) = %v, %v", cs, err)
	}

	// Equal subtrees are skipped without being read: with the unchanged
	// subtree "same" removed from the object store, Diff still works.
	same := strings.TrimSpace(runGit(t, dir, "rev-parse", c1.String()+":same"))
	if err := os.Remove(filepath.Join(dir, ".git", "objects", same[:2], same[2:])); err != nil {
		t.Fatal(err)
	}
	r2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Diff(treeAt(t, r2, c1), treeAt(t, r2, c2), noBad(t)); err != nil {
		t.Errorf("Diff read an unchanged subtree: %v", err)
	}
	// ... while a full walk needs it.
	if err := treeAt(t, r2, c1).Walk(func(Entry) error { return nil }, noBad(t)); err == nil {
		t.Errorf("Walk succeeded with a missing subtree")
	}
}

// writeTree stores a crafted tree with the repository's storer.
func writeTree(t *testing.T, r *Repo, entries []treeEntry) Hash {
	t.Helper()
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	tr := goGitTree(entries)
	o := r.r.Storer.NewEncodedObject()
	if err := tr.Encode(o); err != nil {
		t.Fatalf("encode tree: %v", err)
	}
	h, err := r.storeObject(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// writeRawObject stores an object whose content is given byte for byte.
func writeRawObject(t *testing.T, r *Repo, typ plumbing.ObjectType, content []byte) Hash {
	t.Helper()
	o := r.r.Storer.NewEncodedObject()
	o.SetType(typ)
	o.SetSize(int64(len(content)))
	w, err := o.Writer()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	h, err := r.storeObject(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func writeBlobT(t *testing.T, r *Repo, data string) Hash {
	t.Helper()
	h, err := r.writeBlob([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHostileTrees(t *testing.T) {
	r, dir := newRepo(t)
	blob := writeBlobT(t, r, "payload\n")
	target := writeBlobT(t, r, "../../etc/passwd")
	inner := writeTree(t, r, []treeEntry{
		{Name: "config", Mode: ModeRegular, Hash: blob},
		{Name: "hooks", Mode: ModeExecutable, Hash: blob},
	})
	sub := writeTree(t, r, []treeEntry{
		{Name: "..", Mode: ModeRegular, Hash: blob},
		{Name: ".git", Mode: ModeDir, Hash: inner},
		{Name: "fine", Mode: ModeRegular, Hash: blob},
		{Name: "tab\tname", Mode: ModeRegular, Hash: blob},
	})
	gitlink := NewHash("0123456789abcdef0123456789abcdef01234567")
	root := writeTree(t, r, []treeEntry{
		{Name: "..", Mode: ModeDir, Hash: inner},
		{Name: ".", Mode: ModeRegular, Hash: blob},
		{Name: ".git", Mode: ModeDir, Hash: inner},
		{Name: "a/b", Mode: ModeRegular, Hash: blob},
		{Name: "..\\evil", Mode: ModeRegular, Hash: blob},
		{Name: "x\x01y", Mode: ModeRegular, Hash: blob},
		{Name: "del\x7f", Mode: ModeRegular, Hash: blob},
		{Name: "ok.txt", Mode: ModeRegular, Hash: blob},
		{Name: "run.sh", Mode: ModeExecutable, Hash: blob},
		{Name: "link", Mode: ModeSymlink, Hash: target},
		{Name: "sub", Mode: ModeSubmodule, Hash: gitlink},
		{Name: "d", Mode: ModeDir, Hash: sub},
	})
	// git agrees the tree is hostile.
	if out, errOut, err := gitErr(dir, "fsck", "--strict", "--no-dangling", "--no-progress"); err == nil {
		t.Errorf("git fsck accepted the crafted tree:\n%s%s", out, errOut)
	}

	tr := &Tree{repo: r, Hash: root}
	w := walkAll(t, tr)
	wantEntries := []Entry{
		{Path: "d/fine", Mode: ModeRegular, Hash: blob},
		{Path: "link", Mode: ModeSymlink, Hash: target},
		{Path: "ok.txt", Mode: ModeRegular, Hash: blob},
		{Path: "run.sh", Mode: ModeExecutable, Hash: blob},
		{Path: "sub", Mode: ModeSubmodule, Hash: gitlink},
	}
	sortEntries := func(es []Entry) {
		sort.Slice(es, func(i, j int) bool { return es[i].Path < es[j].Path })
	}
	sortEntries(w.entries)
	if !reflect.DeepEqual(w.entries, wantEntries) {
		t.Errorf("Walk entries:\n got %+v\nwant %+v", w.entries, wantEntries)
	}
	for _, e := range w.entries {
		for _, part := range strings.Split(e.Path, "/") {
			if !validName(part) {
				t.Errorf("Walk passed unsafe path %q to fn", e.Path)
			}
		}
		if e.IsRegular() != (e.Mode == ModeRegular) {
			t.Errorf("%s: IsRegular = %v for mode %s", e.Path, e.IsRegular(), e.Mode)
		}
	}
	wantBad := []BadName{
		{Dir: "", Name: "."}, {Dir: "", Name: ".."}, {Dir: "", Name: "..\\evil"}, {Dir: "", Name: ".git"},
		{Dir: "", Name: "a/b"}, {Dir: "", Name: "del\x7f"}, {Dir: "", Name: "x\x01y"},
		{Dir: "d", Name: ".."}, {Dir: "d", Name: ".git"}, {Dir: "d", Name: "tab\tname"},
	}
	sortBad := func(bs []BadName) {
		sort.Slice(bs, func(i, j int) bool {
			if bs[i].Dir != bs[j].Dir {
				return bs[i].Dir < bs[j].Dir
			}
			return bs[i].Name < bs[j].Name
		})
	}
	sortBad(w.bad)
	sortBad(wantBad)
	if !reflect.DeepEqual(w.bad, wantBad) {
		t.Errorf("Walk bad names:\n got %q\nwant %q", w.bad, wantBad)
	}

	// An error from bad stops the walk.
	stop := errors.New("stop")
	calls := 0
	err := tr.Walk(func(Entry) error { return nil }, func(BadName) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Walk with failing bad = %v after %d calls", err, calls)
	}
	// An error from fn stops the walk too.
	calls = 0
	err = tr.Walk(func(Entry) error { calls++; return stop }, func(BadName) error { return nil })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Walk with failing fn = %v after %d calls", err, calls)
	}

	// Diff reports the same unsafe names of the new tree and only the
	// safe entries as changes.
	var dbad []BadName
	changes, err := Diff(r.EmptyTree(), tr, func(b BadName) error { dbad = append(dbad, b); return nil })
	if err != nil {
		t.Fatal(err)
	}
	sortBad(dbad)
	if !reflect.DeepEqual(dbad, wantBad) {
		t.Errorf("Diff bad names:\n got %q\nwant %q", dbad, wantBad)
	}
	var added []Entry
	for _, c := range changes {
		if c.Action != Added {
			t.Errorf("unexpected change %+v", c)
		}
		added = append(added, c.New)
	}
	sortEntries(added)
	if !reflect.DeepEqual(added, wantEntries) {
		t.Errorf("Diff added:\n got %+v\nwant %+v", added, wantEntries)
	}

	// Reading a symlink or a submodule as a file is refused.
	for _, p := range []string{"link", "sub", "run.sh", "d"} {
		if _, err := tr.ReadFile(p, 1<<20); !errors.Is(err, ErrNotFile) {
			t.Errorf("ReadFile(%q) = %v, want ErrNotFile", p, err)
		}
	}

	// A NUL cannot be part of a tree entry name: go-git refuses to
	// encode one, and a raw tree object that smuggles one in is malformed
	// and makes Walk fail without calling fn.
	bad := goGitTree([]treeEntry{{Name: "x\x00y", Mode: ModeRegular, Hash: blob}})
	if err := bad.Encode(r.r.Storer.NewEncodedObject()); err == nil {
		t.Errorf("go-git encoded a tree entry name with a NUL")
	}
	raw := append([]byte("100644 x\x00y\x00"), blob[:]...)
	nulTree := writeRawObject(t, r, plumbing.TreeObject, raw)
	err = (&Tree{repo: r, Hash: nulTree}).Walk(func(e Entry) error {
		t.Errorf("Walk of a malformed tree called fn with %+v", e)
		return nil
	}, func(b BadName) error { return nil })
	if err == nil {
		t.Errorf("Walk of a malformed tree with a NUL in a name succeeded")
	}
}

func TestReadFile(t *testing.T) {
	r, dir := newRepo(t)
	big := bytes.Repeat([]byte("0123456789"), 100) // 1000 bytes
	c := commit(t, r, ZeroHash, []FileChange{
		{Path: "big", Data: big},
		{Path: "small", Data: []byte("s")},
		{Path: "empty", Data: []byte{}},
		{Path: "d/e/f", Data: []byte("f")},
	}, "files")
	tr := treeAt(t, r, c)

	if got, err := tr.ReadFile("big", 1000); err != nil || !bytes.Equal(got, big) {
		t.Errorf("ReadFile(big, 1000) = %d bytes, %v", len(got), err)
	}
	if got, err := tr.ReadFile("big", 999); !errors.Is(err, ErrTooLarge) || got != nil {
		t.Errorf("ReadFile(big, 999) = %d bytes, %v; want ErrTooLarge", len(got), err)
	}
	if got, err := tr.ReadFile("empty", 0); err != nil || len(got) != 0 {
		t.Errorf("ReadFile(empty, 0) = %q, %v", got, err)
	}
	if _, err := tr.ReadFile("small", 0); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadFile(small, 0) = %v; want ErrTooLarge", err)
	}
	if got, err := tr.ReadFile("d/e/f", 1); err != nil || string(got) != "f" {
		t.Errorf("ReadFile(d/e/f) = %q, %v", got, err)
	}
	if n, err := r.BlobSize(HashBlob(big)); err != nil || n != 1000 {
		t.Errorf("BlobSize = %d, %v", n, err)
	}
	if rc, n, err := r.OpenBlob(HashBlob(big)); err != nil || n != 1000 {
		t.Errorf("OpenBlob = %d, %v", n, err)
	} else {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(rc)
		rc.Close()
		if !bytes.Equal(buf.Bytes(), big) {
			t.Errorf("OpenBlob content differs")
		}
	}

	for _, p := range []string{"missing", "d/missing", "d/e/f/g", "big/x", "no/such/dir/f", "", "d/", "/d"} {
		if _, err := tr.ReadFile(p, 1<<20); !errors.Is(err, ErrNotExist) {
			t.Errorf("ReadFile(%q) = %v, want ErrNotExist", p, err)
		}
		if ok, err := tr.Exists(p); ok || err != nil {
			t.Errorf("Exists(%q) = %v, %v", p, ok, err)
		}
	}
	for _, p := range []string{"d", "d/e"} {
		if _, err := tr.ReadFile(p, 1<<20); !errors.Is(err, ErrNotFile) {
			t.Errorf("ReadFile(dir %q) = %v, want ErrNotFile", p, err)
		}
		if ok, err := tr.Exists(p); !ok || err != nil {
			t.Errorf("Exists(%q) = %v, %v", p, ok, err)
		}
		e, err := tr.Lookup(p)
		if err != nil || e.Mode != ModeDir || e.Path != p {
			t.Errorf("Lookup(%q) = %+v, %v", p, e, err)
		}
	}
	if e, err := tr.Lookup("d/e/f"); err != nil || e.Hash != HashBlob([]byte("f")) || !e.IsRegular() {
		t.Errorf("Lookup(d/e/f) = %+v, %v", e, err)
	}
	if _, err := r.EmptyTree().ReadFile("big", 1<<20); !errors.Is(err, ErrNotExist) {
		t.Errorf("EmptyTree().ReadFile = %v, want ErrNotExist", err)
	}

	// The size limit is checked before the blob is read: a loose object
	// whose header claims 50 MB but whose content is cut short is refused
	// as too large, not as corrupt.
	fake := NewHash("00000000000000000000000000000000000000fe")
	var zbuf bytes.Buffer
	zw := zlib.NewWriter(&zbuf)
	fmt.Fprintf(zw, "blob %d\x00", 50<<20)
	zw.Write([]byte("only a few bytes"))
	zw.Close()
	hex := fake.String()
	objDir := filepath.Join(dir, ".git", "objects", hex[:2])
	if err := os.MkdirAll(objDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(objDir, hex[2:]), zbuf.Bytes(), 0o444); err != nil {
		t.Fatal(err)
	}
	huge := writeTree(t, r, []treeEntry{{Name: "huge", Mode: ModeRegular, Hash: fake}})
	if _, err := (&Tree{repo: r, Hash: huge}).ReadFile("huge", 1<<20); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadFile(huge) = %v, want ErrTooLarge", err)
	}
	// ReadBlob of a hash that is not a blob fails.
	if _, err := r.ReadBlob(tr.Hash, 1<<20, "tree"); err == nil {
		t.Errorf("ReadBlob of a tree succeeded")
	}
	if _, err := r.ReadBlob(NewHash("1111111111111111111111111111111111111111"), 1<<20, "missing"); err == nil {
		t.Errorf("ReadBlob of a missing object succeeded")
	}
}

// TestResolveRefusesAmbiguousNames: a short name that two refs carry (a
// tag pushed as "main" beside the branch) is never resolved by git's
// precedence, which takes the tag: it is an error naming both refs. The
// full name still resolves, and an unrelated tag still does.
func TestResolveRefusesAmbiguousNames(t *testing.T) {
	r, dir := newRepo(t)
	c1 := commit(t, r, ZeroHash, []FileChange{{Path: "f", Data: []byte("1")}}, "one")
	c2 := commit(t, r, c1, []FileChange{{Path: "f", Data: []byte("2")}}, "two")
	runGit(t, dir, "tag", "v1.0", c1.String())
	for rev, want := range map[string]Hash{"main": c2, "v1.0": c1, "refs/heads/main": c2, "main~1": c1} {
		if h, err := r.Resolve(rev); err != nil || h != want {
			t.Errorf("before the tag: Resolve(%q) = %s, %v; want %s", rev, h, err, want)
		}
	}
	if got := r.FullRef("main"); got != "refs/heads/main" {
		t.Errorf("FullRef(main) = %q", got)
	}
	runGit(t, dir, "tag", "main", c1.String())
	runGit(t, dir, "update-ref", "refs/remotes/main", c1.String())
	for _, rev := range []string{"main", "main~1", "main^"} {
		_, err := r.Resolve(rev)
		if !errors.Is(err, ErrAmbiguousRev) || !strings.Contains(err.Error(), "refs/heads/main") || !strings.Contains(err.Error(), "refs/tags/main") || !strings.Contains(err.Error(), "refs/remotes/main") {
			t.Errorf("Resolve(%q) with a tag main = %v; want ErrAmbiguousRev naming refs/heads/main, refs/tags/main and refs/remotes/main", rev, err)
		}
	}
	if got := r.FullRef("main"); got != "" {
		t.Errorf("FullRef(main) with a tag main = %q, want none", got)
	}
	for rev, want := range map[string]Hash{"refs/heads/main": c2, "refs/tags/main": c1, "refs/heads/main~1": c1, "v1.0": c1, "HEAD": c2} {
		if h, err := r.Resolve(rev); err != nil || h != want {
			t.Errorf("Resolve(%q) = %s, %v; want %s", rev, h, err, want)
		}
	}
	// A branch named like an abbreviated hash shadows the commit for git.
	abbrev := c1.String()[:10]
	runGit(t, dir, "branch", abbrev, c2.String())
	if _, err := r.Resolve(abbrev); !errors.Is(err, ErrAmbiguousRev) {
		t.Errorf("Resolve(%s) with a branch of that name = %v; want ErrAmbiguousRev", abbrev, err)
	}
	if h, err := r.Resolve(c1.String()); err != nil || h != c1 {
		t.Errorf("Resolve(full hash) = %s, %v", h, err)
	}
	// A tag called HEAD shadows HEAD.
	runGit(t, dir, "tag", "HEAD", c1.String())
	if _, err := r.Resolve("HEAD"); !errors.Is(err, ErrAmbiguousRev) {
		t.Errorf("Resolve(HEAD) with a tag HEAD = %v; want ErrAmbiguousRev", err)
	}
}

func TestHashBlobMatchesGit(t *testing.T) {
	setupGitEnv(t)
	dir := t.TempDir()
	for _, data := range []string{"", "x", "hello\n", strings.Repeat("z", 70000), "\x00\xff"} {
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSpace(runGit(t, dir, "hash-object", "--no-filters", p))
		if got := HashBlob([]byte(data)).String(); got != want {
			t.Errorf("HashBlob(%d bytes) = %s, git says %s", len(data), got, want)
		}
	}
}

func TestResolveAndAncestry(t *testing.T) {
	r, dir := newRepo(t)
	c1 := commit(t, r, ZeroHash, []FileChange{{Path: "f", Data: []byte("1")}}, "one")
	c2 := commit(t, r, c1, []FileChange{{Path: "f", Data: []byte("2")}}, "two")
	runGit(t, dir, "tag", "v1", c1.String())
	runGit(t, dir, "tag", "-a", "-m", "annotated", "v2", c2.String())
	for rev, want := range map[string]Hash{"HEAD": c2, "HEAD~1": c1, "main^": c1, "v1": c1, "v2": c2, c1.String(): c1, c2.String()[:12]: c2} {
		if h, err := r.Resolve(rev); err != nil || h != want {
			t.Errorf("Resolve(%q) = %s, %v; want %s", rev, h, err, want)
		}
	}
	tree := treeAt(t, r, c2).Hash
	for _, rev := range []string{"nope", "HEAD~5", tree.String(), "1111111111111111111111111111111111111111", "", "HEAD\nHEAD"} {
		if _, err := r.Resolve(rev); !errors.Is(err, ErrUnknownRev) {
			t.Errorf("Resolve(%q) = %v, want ErrUnknownRev", rev, err)
		}
	}
	if useCatFile {
		if _, err := r.Resolve(tree.String()); !errors.Is(err, ErrUnknownRev) || !strings.Contains(err.Error(), "is not a commit") {
			t.Errorf("Resolve(tree) = %v, want: is not a commit", err)
		}
	}
	// Only names and ancestry steps: rev-parse's other syntax is refused,
	// by both readers alike (go-git read "HEAD:f" as HEAD).
	for _, rev := range []string{"HEAD:f", "main@{1}", "HEAD..main", "main^{tree}", ":/one", "main ", "refs/heads/"} {
		if _, err := r.Resolve(rev); !errors.Is(err, ErrUnknownRev) {
			t.Errorf("Resolve(%q) = %v, want ErrUnknownRev", rev, err)
		}
	}
	// The reader is in step after the refusals.
	if h, err := r.Resolve("HEAD"); err != nil || h != c2 {
		t.Errorf("Resolve(HEAD) after refusals = %s, %v", h, err)
	}
	if ok, err := r.IsAncestor(c1, c2); !ok || err != nil {
		t.Errorf("IsAncestor(c1, c2) = %v, %v", ok, err)
	}
	if ok, err := r.IsAncestor(c2, c1); ok || err != nil {
		t.Errorf("IsAncestor(c2, c1) = %v, %v", ok, err)
	}
	if ok, err := r.IsAncestor(c2, c2); !ok || err != nil {
		t.Errorf("IsAncestor(c2, c2) = %v, %v", ok, err)
	}
	runGit(t, dir, "checkout", "-q", "--detach", "HEAD")
	if _, err := r.HeadBranch(); err == nil {
		t.Errorf("HeadBranch on a detached HEAD succeeded")
	}
}

func TestAuthor(t *testing.T) {
	r, dir := newRepo(t)
	if s, err := r.Author(); err != nil || s != (Signature{"Env Author", "env-author@example.org"}) {
		t.Errorf("Author from env = %+v, %v", s, err)
	}
	t.Setenv("GIT_AUTHOR_NAME", "")
	t.Setenv("GIT_AUTHOR_EMAIL", "")
	// go-git reads the system config regardless of GIT_CONFIG_NOSYSTEM.
	if sys, err := r.r.ConfigScoped(config.SystemScope); err == nil && (sys.User.Name != "" || sys.User.Email != "") {
		t.Logf("system git config sets a user; not checking the no-identity case")
	} else if _, err := r.Author(); err == nil {
		t.Errorf("Author without any identity succeeded")
	}
	runGit(t, dir, "config", "--global", "user.name", "Global Name")
	runGit(t, dir, "config", "--global", "user.email", "global@example.org")
	runGit(t, dir, "config", "user.email", "local@example.org")
	if s, err := r.Author(); err != nil || s != (Signature{"Global Name", "local@example.org"}) {
		t.Errorf("Author from config = %+v, %v", s, err)
	}
}

func TestCommitTreeCompareAndSwap(t *testing.T) {
	r, dir := newRepo(t)
	c1 := commit(t, r, ZeroHash, []FileChange{{Path: "f", Data: []byte("1\n")}}, "one")
	c2 := commit(t, r, c1, []FileChange{{Path: "f", Data: []byte("2\n")}}, "two")
	tree := treeAt(t, r, c2).Hash

	checkBranch := func(want Hash) {
		t.Helper()
		if h, err := r.Branch(DefaultBranch); err != nil || h != want {
			t.Errorf("Branch = %s, %v; want %s", h, err, want)
		}
		if got := strings.TrimSpace(runGit(t, dir, "rev-parse", "--verify", "-q", "refs/heads/main")); got != want.String() {
			t.Errorf("git rev-parse main = %s, want %s", got, want)
		}
	}

	// A stale parent is refused and the branch is left alone.
	if _, err := r.CommitTree(CommitOptions{Parent: c1, Tree: tree, Message: "stale", Author: testAuthor}); !errors.Is(err, ErrRefMoved) {
		t.Errorf("CommitTree with stale parent = %v, want ErrRefMoved", err)
	}
	checkBranch(c2)
	// A new-branch commit on an existing branch is refused too.
	if _, err := r.CommitTree(CommitOptions{Tree: tree, Message: "orphan", Author: testAuthor}); !errors.Is(err, ErrRefMoved) {
		t.Errorf("CommitTree with zero parent on existing branch = %v, want ErrRefMoved", err)
	}
	checkBranch(c2)
	// The right parent moves the branch.
	c3, err := r.CommitTree(CommitOptions{Parent: c2, Tree: tree, Message: "three", Author: testAuthor, When: testWhen})
	if err != nil {
		t.Fatal(err)
	}
	checkBranch(c3)
	if info, err := r.Commit(c3); err != nil || !reflect.DeepEqual(info.Parents, []Hash{c2}) {
		t.Errorf("Commit(c3) = %+v, %v", info, err)
	}
	// Another branch can be created from nothing.
	o, err := r.CommitTree(CommitOptions{Branch: "other", Tree: tree, Message: "other", Author: testAuthor})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(runGit(t, dir, "rev-parse", "other")); got != o.String() {
		t.Errorf("other = %s, want %s", got, o)
	}
	checkBranch(c3)
	fsck(t, dir)

	// With the branch only in packed-refs the compare and swap still works.
	runGit(t, dir, "pack-refs", "--all", "--prune")
	if _, err := os.Stat(filepath.Join(dir, ".git", "refs", "heads", "main")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("main still loose after pack-refs: %v", err)
	}
	c4, err := r.CommitTree(CommitOptions{Parent: c3, Tree: tree, Message: "four", Author: testAuthor, When: testWhen})
	if err != nil {
		t.Fatalf("CommitTree on packed ref: %v", err)
	}
	checkBranch(c4)
	fsck(t, dir)
}

func TestCommitTreeStaleParentOnPackedRef(t *testing.T) {
	r, dir := newRepo(t)
	c1 := commit(t, r, ZeroHash, []FileChange{{Path: "f", Data: []byte("1\n")}}, "one")
	c2 := commit(t, r, c1, []FileChange{{Path: "f", Data: []byte("2\n")}}, "two")
	runGit(t, dir, "pack-refs", "--all", "--prune")
	if _, err := r.CommitTree(CommitOptions{Parent: c1, Tree: treeAt(t, r, c2).Hash, Message: "stale", Author: testAuthor}); !errors.Is(err, ErrRefMoved) {
		t.Errorf("CommitTree with stale parent = %v, want ErrRefMoved", err)
	}
	if h, err := r.Branch(DefaultBranch); err != nil || h != c2 {
		t.Errorf("Branch = %s, %v; want %s", h, err, c2)
	}
	got, errOut, err := gitErr(dir, "rev-parse", "--verify", "-q", "refs/heads/main")
	if err != nil || strings.TrimSpace(got) != c2.String() {
		fi, _ := os.Stat(filepath.Join(dir, ".git", "refs", "heads", "main"))
		size := int64(-1)
		if fi != nil {
			size = fi.Size()
		}
		t.Fatalf("(go-git CheckAndSetReference): a refused compare and swap on a branch that lives only in packed-refs leaves an empty loose ref file (size %d) behind; git then sees main as %q (%v, %s)",
			size, strings.TrimSpace(got), err, strings.TrimSpace(errOut))
	}
}

func TestLock(t *testing.T) {
	r, dir := newRepo(t)
	r2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := r.Lock()
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		unlock func()
		err    error
	}
	got := make(chan result, 1)
	go func() {
		u, err := r2.Lock()
		got <- result{u, err}
	}()
	select {
	case res := <-got:
		if res.unlock != nil {
			res.unlock()
		}
		unlock()
		t.Fatalf("second Lock returned (%v) while the first was held", res.err)
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	select {
	case res := <-got:
		if res.err != nil {
			t.Fatalf("second Lock: %v", res.err)
		}
		res.unlock()
	case <-time.After(30 * time.Second):
		t.Fatal("second Lock did not return after the first was released")
	}
	// The lock can be taken again, and the lock file does not disturb git.
	u, err := r.Lock()
	if err != nil {
		t.Fatal(err)
	}
	u()
	if st := runGit(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("git status:\n%s", st)
	}
}

func TestOpen(t *testing.T) {
	r, dir := newRepo(t)
	c := commit(t, r, ZeroHash, []FileChange{{Path: "d/f", Data: []byte("content\n")}}, "one")

	// A working tree.
	w, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if w.IsBare() || w.WorkTree() != dir || w.GitDir() != filepath.Join(dir, ".git") {
		t.Errorf("Open(worktree): bare=%v worktree=%q gitdir=%q", w.IsBare(), w.WorkTree(), w.GitDir())
	}

	// A bare clone.
	parent := t.TempDir()
	runGit(t, parent, "clone", "-q", "--bare", dir, "bare.git")
	bareDir := filepath.Join(parent, "bare.git")
	b, err := Open(bareDir)
	if err != nil {
		t.Fatal(err)
	}
	if !b.IsBare() || b.WorkTree() != "" || b.GitDir() != bareDir {
		t.Errorf("Open(bare): bare=%v worktree=%q gitdir=%q", b.IsBare(), b.WorkTree(), b.GitDir())
	}
	if h, err := b.Resolve("HEAD"); err != nil || h != c {
		t.Errorf("bare Resolve(HEAD) = %s, %v; want %s", h, err, c)
	}
	if hb, err := b.HeadBranch(); err != nil || hb != DefaultBranch {
		t.Errorf("bare HeadBranch = %q, %v", hb, err)
	}
	if got, err := treeAt(t, b, c).ReadFile("d/f", 100); err != nil || string(got) != "content\n" {
		t.Errorf("bare ReadFile = %q, %v", got, err)
	}
	// Commit into the bare repository.
	ch := []FileChange{{Path: "d/g", Data: []byte("g\n")}}
	c2 := commit(t, b, c, ch, "two")
	fsck(t, bareDir)
	if got := strings.TrimSpace(runGit(t, bareDir, "rev-parse", "main")); got != c2.String() {
		t.Errorf("bare main = %s, want %s", got, c2)
	}
	// Work-tree operations are no-ops in a bare repository.
	if err := b.CheckWorkTree(treeAt(t, b, c), ch); err != nil {
		t.Errorf("bare CheckWorkTree: %v", err)
	}
	if err := b.WriteWorkTree(ch, true); err != nil {
		t.Errorf("bare WriteWorkTree: %v", err)
	}
	if _, err := os.Stat(filepath.Join(bareDir, "d")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("bare WriteWorkTree wrote files: %v", err)
	}
	u, err := b.Lock()
	if err != nil {
		t.Fatal(err)
	}
	u()
	if _, err := os.Stat(filepath.Join(bareDir, "tufgit.lock")); err != nil {
		t.Errorf("bare lock file: %v", err)
	}

	// Not repositories.
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{empty, filepath.Join(empty, "missing"), filepath.Join(dir, "d")} {
		if _, err := Open(p); !errors.Is(err, ErrNoRepo) {
			t.Errorf("Open(%s) = %v, want ErrNoRepo", p, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "sub", "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(dir, "sub", "dir")); !errors.Is(err, ErrNoRepo) {
		t.Errorf("Open(subdirectory) = %v, want ErrNoRepo (no parent search)", err)
	}
}

func TestOpenLinkedWorktree(t *testing.T) {
	r, dir := newRepo(t)
	c := commit(t, r, ZeroHash, []FileChange{{Path: "f", Data: []byte("f\n")}}, "one")
	wt := filepath.Join(t.TempDir(), "wt")
	runGit(t, dir, "worktree", "add", "-q", "-b", "side", wt, c.String())
	w, err := Open(wt)
	if err != nil {
		t.Fatalf("Open on a linked worktree (.git is a file) fails: %v", err)
	}
	if h, err := w.Resolve("HEAD"); err != nil || h != c {
		t.Errorf("Resolve(HEAD) = %s, %v", h, err)
	}
	if w.IsBare() || w.WorkTree() != wt {
		t.Fatalf("Open on a linked worktree (where .git is a file) reports IsBare()=%v WorkTree()=%q GitDir()=%q: "+
			"work-tree checks and writes are skipped and Lock puts tufgit.lock into the work tree", w.IsBare(), w.WorkTree(), w.GitDir())
	}
}

func TestPackedRepository(t *testing.T) {
	r, dir := newRepo(t)
	var lines []string
	for i := 0; i < 2000; i++ {
		lines = append(lines, fmt.Sprintf("line %d of a file that compresses and deltas well", i))
	}
	bigV1 := strings.Join(lines, "\n") + "\n"
	lines[1000] = "changed line"
	bigV2 := strings.Join(lines, "\n") + "\n"
	lines = append(lines, "appended")
	bigV3 := strings.Join(lines, "\n") + "\n"

	v1 := map[string]string{"big.txt": bigV1, "docs/a": "a\n", "docs/b": "b\n", "same/s": "s\n", "f": "file\n"}
	c1 := commit(t, r, ZeroHash, changesFromMap(v1), "one")
	c2 := commit(t, r, c1, []FileChange{{Path: "big.txt", Data: []byte(bigV2)}, {Path: "docs/c", Data: []byte("c\n")}}, "two")
	c3 := commit(t, r, c2, []FileChange{
		{Path: "big.txt", Data: []byte(bigV3)},
		{Path: "docs/a"},
		{Path: "f/now/dir", Data: []byte("dir\n")},
	}, "three")
	v3 := map[string]string{"big.txt": bigV3, "docs/b": "b\n", "docs/c": "c\n", "same/s": "s\n", "f/now/dir": "dir\n"}

	runGit(t, dir, "gc", "-q", "--prune=now")
	runGit(t, dir, "repack", "-adfq", "--depth=50", "--window=50")
	runGit(t, dir, "prune-packed")
	if out := runGit(t, dir, "count-objects", "-v"); !strings.Contains(out, "count: 0\n") {
		t.Fatalf("loose objects remain:\n%s", out)
	}
	fsck(t, dir)
	// Make sure the big blobs really are stored as deltas.
	idx, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.idx"))
	if len(idx) != 1 {
		t.Fatalf("pack indexes: %q", idx)
	}
	vp := runGit(t, dir, "verify-pack", "-v", idx[0])
	deltas := 0
	for _, h := range []string{HashBlob([]byte(bigV1)).String(), HashBlob([]byte(bigV2)).String(), HashBlob([]byte(bigV3)).String()} {
		for _, l := range strings.Split(vp, "\n") {
			if f := strings.Fields(l); len(f) == 7 && f[0] == h {
				deltas++
			}
		}
	}
	if deltas == 0 {
		t.Logf("no big blob was stored as a delta:\n%s", vp)
	}

	p, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if h, err := p.Resolve("HEAD"); err != nil || h != c3 {
		t.Fatalf("Resolve(HEAD) = %s, %v", h, err)
	}
	for c, files := range map[Hash]map[string]string{c1: v1, c3: v3} {
		tr := treeAt(t, p, c)
		var gitPaths, walkPaths []string
		for _, e := range lsTree(t, dir, c.String(), "-r") {
			gitPaths = append(gitPaths, e.Path)
		}
		for _, e := range walkAll(t, tr).entries {
			walkPaths = append(walkPaths, e.Path)
		}
		if !reflect.DeepEqual(walkPaths, gitPaths) {
			t.Errorf("Walk %s = %q, want %q", c, walkPaths, gitPaths)
		}
		for path, content := range files {
			e, err := tr.Lookup(path)
			if err != nil || e.Hash != HashBlob([]byte(content)) {
				t.Errorf("Lookup(%s) = %+v, %v", path, e, err)
			}
			size := int64(len(content))
			if gs := strings.TrimSpace(runGit(t, dir, "cat-file", "-s", e.Hash.String())); gs != fmt.Sprint(size) {
				t.Fatalf("git cat-file -s %s = %s, want %d", path, gs, size)
			}
			if n, err := p.BlobSize(e.Hash); err != nil || n != size {
				t.Errorf("BlobSize(%s) = %d, %v; want %d", path, n, err, size)
			}
			if got, err := tr.ReadFile(path, size); err != nil || string(got) != content {
				t.Errorf("ReadFile(%s, exact size) = %d bytes, %v", path, len(got), err)
			}
			if _, err := tr.ReadFile(path, size-1); !errors.Is(err, ErrTooLarge) {
				t.Errorf("ReadFile(%s, size-1) = %v, want ErrTooLarge", path, err)
			}
		}
	}
	checkDiff(t, p, dir, treeAt(t, p, c1), treeAt(t, p, c3), c1.String(), c3.String())
	checkDiff(t, p, dir, treeAt(t, p, c2), treeAt(t, p, c3), c2.String(), c3.String())

	// Committing on top of a packed repository (with packed refs).
	c4 := commit(t, p, c3, []FileChange{{Path: "big.txt", Data: []byte(bigV1)}, {Path: "same/s"}}, "four")
	fsck(t, dir)
	if got := strings.TrimSpace(runGit(t, dir, "rev-parse", "main")); got != c4.String() {
		t.Errorf("main = %s, want %s", got, c4)
	}
	v4 := map[string]string{"big.txt": bigV1, "docs/b": "b\n", "docs/c": "c\n", "f/now/dir": "dir\n"}
	checkGitTree(t, dir, "main", v4)
}

func TestCheckWorkTree(t *testing.T) {
	r, dir := newRepo(t)
	files := map[string]string{"edited.txt": "original\n", "untouched.txt": "same\n", "deleted.txt": "deleted\n", "d/nested.txt": "nested\n"}
	c := commit(t, r, ZeroHash, changesFromMap(files), "base")
	if err := r.WriteWorkTree(changesFromMap(files), true); err != nil {
		t.Fatal(err)
	}
	base := treeAt(t, r, c)
	if err := r.CheckWorkTree(base, changesFromMap(files)); err != nil {
		t.Fatalf("CheckWorkTree on a clean tree: %v", err)
	}

	write := func(p, content string) {
		t.Helper()
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("edited.txt", "local edit\n")
	if err := os.Remove(filepath.Join(dir, "deleted.txt")); err != nil {
		t.Fatal(err)
	}
	write("untracked-same.txt", "new content\n")
	write("untracked-other.txt", "something else\n")
	// git agrees on what is dirty.
	st := runGit(t, dir, "status", "--porcelain", "--untracked-files=all")
	for _, want := range []string{" M edited.txt", " D deleted.txt", "?? untracked-same.txt", "?? untracked-other.txt"} {
		if !strings.Contains(st, want+"\n") {
			t.Errorf("git status lacks %q:\n%s", want, st)
		}
	}

	for _, tc := range []struct {
		name    string
		changes []FileChange
		dirty   bool
	}{
		{"overwrite edited", []FileChange{{Path: "edited.txt", Data: []byte("tufgit's version\n")}}, true},
		{"delete edited", []FileChange{{Path: "edited.txt"}}, true},
		{"edited among clean", []FileChange{{Path: "untouched.txt", Data: []byte("x")}, {Path: "edited.txt", Data: []byte("y")}}, true},
		{"overwrite untouched", []FileChange{{Path: "untouched.txt", Data: []byte("new\n")}}, false},
		{"delete untouched", []FileChange{{Path: "untouched.txt"}}, false},
		{"overwrite nested", []FileChange{{Path: "d/nested.txt", Data: []byte("new\n")}}, false},
		{"restore locally deleted", []FileChange{{Path: "deleted.txt", Data: []byte("again\n")}}, true},
		{"delete locally deleted", []FileChange{{Path: "deleted.txt"}}, true},
		{"new file", []FileChange{{Path: "brand/new.txt", Data: []byte("new\n")}}, false},
		{"delete missing", []FileChange{{Path: "never.txt"}}, false},
		{"untracked same content", []FileChange{{Path: "untracked-same.txt", Data: []byte("new content\n")}}, false},
		{"untracked other content", []FileChange{{Path: "untracked-other.txt", Data: []byte("mine\n")}}, true},
		{"untracked deleted", []FileChange{{Path: "untracked-other.txt"}}, true},
	} {
		err := r.CheckWorkTree(base, tc.changes)
		if tc.dirty && !errors.Is(err, ErrDirtyWorkTree) {
			t.Errorf("%s: CheckWorkTree = %v, want ErrDirtyWorkTree", tc.name, err)
		}
		if !tc.dirty && err != nil {
			t.Errorf("%s: CheckWorkTree = %v, want nil", tc.name, err)
		}
	}
	// The local edit is untouched by the checks.
	if got, _ := os.ReadFile(filepath.Join(dir, "edited.txt")); string(got) != "local edit\n" {
		t.Errorf("edited.txt = %q", got)
	}
}

// TestStrictTrees: a tree object git would never write is refused by every
// reader (Walk, Lookup, Diff), so tufgit never checks a different file from
// the one `git show` prints.
func TestStrictTrees(t *testing.T) {
	r, dir := newRepo(t)
	first := writeBlobT(t, r, "what git show prints\n")
	last := writeBlobT(t, r, "what a last-wins reader would check\n")
	sub := writeTree(t, r, []treeEntry{{Name: "f", Mode: ModeRegular, Hash: first}})
	entry := func(mode, name string, h Hash) []byte {
		return append([]byte(mode+" "+name+"\x00"), h[:]...)
	}
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := []struct {
		name, want string
		raw        []byte
	}{
		{"duplicate file", `entry "tufgit.json" appears twice`, join(entry("100644", "tufgit.json", first), entry("100644", "tufgit.json", last))},
		{"file and dir of one name", `entry "metadata" appears twice`, join(entry("100644", "metadata", first), entry("40000", "metadata", sub))},
		{"group-writable file", `entry "tufgit.json" has mode "100664"`, entry("100664", "tufgit.json", first)},
		{"zero-padded dir", `entry "metadata" has mode "040000"`, entry("040000", "metadata", sub)},
		{"unknown mode", `entry "x" has mode "100600"`, entry("100600", "x", first)},
		{"unsorted", `entry "a" is out of git's order`, join(entry("100644", "b", first), entry("100644", "a", first))},
		{"truncated", "truncated object id", []byte("100644 x\x00abc")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := writeRawObject(t, r, plumbing.TreeObject, tc.raw)
			tr := &Tree{repo: r, Hash: h}
			err := tr.Walk(func(e Entry) error { t.Errorf("Walk called fn with %+v", e); return nil }, func(BadName) error { return nil })
			if !errors.Is(err, ErrBadTree) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "top level of the tree: tree ") {
				t.Errorf("Walk = %v, want ErrBadTree with %q", err, tc.want)
			}
			if _, err := tr.Lookup("tufgit.json"); !errors.Is(err, ErrBadTree) {
				t.Errorf("Lookup = %v, want ErrBadTree", err)
			}
			if _, err := Diff(r.EmptyTree(), tr, func(BadName) error { return nil }); !errors.Is(err, ErrBadTree) {
				t.Errorf("Diff = %v, want ErrBadTree", err)
			}
			// Nested one level down, the error names the directory.
			outer := writeRawObject(t, r, plumbing.TreeObject, entry("40000", "metadata", h))
			err = (&Tree{repo: r, Hash: outer}).Walk(func(Entry) error { return nil }, func(BadName) error { return nil })
			if !errors.Is(err, ErrBadTree) || !strings.HasPrefix(err.Error(), "metadata: tree ") {
				t.Errorf("nested Walk = %v", err)
			}
		})
	}

	// Positive control: the canonical modes git writes, in git's order
	// (a file "a.b" sorts before the directory "a", which sorts as "a/").
	link := writeBlobT(t, r, "target")
	okTree := writeRawObject(t, r, plumbing.TreeObject, join(
		entry("100644", "a.b", first), entry("40000", "a", sub), entry("100755", "run", first), entry("120000", "s", link)))
	w := walkAll(t, &Tree{repo: r, Hash: okTree})
	if len(w.entries) != 4 || len(w.bad) != 0 {
		t.Errorf("canonical tree: %+v", w)
	}
	if out, errOut, err := gitErr(dir, "ls-tree", okTree.String()); err != nil || strings.Count(out, "\n") != 4 {
		t.Errorf("git ls-tree of the canonical tree: %s%s %v", out, errOut, err)
	}
}

func TestDiscover(t *testing.T) {
	_, dir := newRepo(t)
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := Discover(sub)
	if err != nil {
		t.Fatalf("Discover from a subdirectory: %v", err)
	}
	if r.WorkTree() != dir || r.IsBare() {
		t.Errorf("Discover(%s): work tree %q, bare %v; want %q", sub, r.WorkTree(), r.IsBare(), dir)
	}
	// Open does not search.
	if _, err := Open(sub); !errors.Is(err, ErrNoRepo) {
		t.Errorf("Open(%s) = %v, want ErrNoRepo", sub, err)
	}

	bare := filepath.Join(t.TempDir(), "b.git")
	if _, err := InitBare(bare); err != nil {
		t.Fatal(err)
	}
	r, err = Discover(filepath.Join(bare, "refs", "heads"))
	if err != nil || !r.IsBare() || r.GitDir() != bare {
		t.Fatalf("Discover inside a bare repository: %v, %+v", err, r)
	}

	outside := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(outside))
	if _, err := Discover(outside); !errors.Is(err, ErrNoRepo) {
		t.Errorf("Discover(%s) = %v, want ErrNoRepo", outside, err)
	}
}

func TestConfigValue(t *testing.T) {
	r, dir := newRepo(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	if v, err := r.ConfigValue("tufgit", "key"); err != nil || v != "" {
		t.Fatalf("unset: %q, %v", v, err)
	}
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[tufgit]\n\tkey = global.key\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if v, err := r.ConfigValue("tufgit", "key"); err != nil || v != "global.key" {
		t.Fatalf("global: %q, %v", v, err)
	}
	runGit(t, dir, "config", "tufgit.key", "local.key")
	if v, err := r.ConfigValue("tufgit", "key"); err != nil || v != "local.key" {
		t.Fatalf("local over global: %q, %v", v, err)
	}
}

func TestFindRemovalAndAddition(t *testing.T) {
	r, dir := newRepo(t)
	write := func(p, c string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("keep", "x")
	runGit(t, dir, "add", "-A")
	runGit(t, dir, "commit", "-q", "-m", "first")
	write("requests/r1/request.json", "{}")
	runGit(t, dir, "add", "-A")
	runGit(t, dir, "commit", "-q", "-m", "add r1")
	added := strings.TrimSpace(runGit(t, dir, "rev-parse", "HEAD"))
	runGit(t, dir, "rm", "-q", "-r", "requests/r1")
	runGit(t, dir, "commit", "-q", "-m", "remove r1")
	removed := strings.TrimSpace(runGit(t, dir, "rev-parse", "HEAD"))
	write("keep", "y")
	runGit(t, dir, "commit", "-q", "-am", "later")
	head, err := r.Resolve("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	c, before, err := r.FindRemoval(head, "requests/r1", 10)
	if err != nil || c == nil || c.Hash.String() != removed {
		t.Fatalf("FindRemoval = %v, %v; want %s", c, err, removed)
	}
	if ok, _ := before.Exists("requests/r1/request.json"); !ok {
		t.Errorf("the tree before the removal lacks the request")
	}
	if c, _, err := r.FindRemoval(head, "requests/r1", 1); err != nil || c != nil {
		t.Errorf("FindRemoval beyond its bound = %v, %v; want nil", c, err)
	}
	if c, _, err := r.FindRemoval(head, "requests/never", 10); err != nil || c != nil {
		t.Errorf("FindRemoval of a path that never existed = %v, %v", c, err)
	}
	if c, _, err := r.FindRemoval(head, "keep", 10); err != nil || c != nil {
		t.Errorf("FindRemoval of a path at head = %v, %v", c, err)
	}
	added1, err := r.Resolve(added)
	if err != nil {
		t.Fatal(err)
	}
	if c, _, err := r.FindAddition(added1, "requests/r1", 10); err != nil || c == nil || c.Hash.String() != added {
		t.Errorf("FindAddition = %v, %v; want %s", c, err, added)
	}
}
