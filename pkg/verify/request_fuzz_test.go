package verify_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/verify"
)

const fuzzRequestID = "hello-3f9a2c1b"

// requestFixture is a repository (hello, world) whose tree each input's
// request directory is laid over, in memory.
type requestFixture struct {
	fx      *repotest.Fixture
	base    *gitstore.Tree
	current *state.View
	root    *metadata.Metadata[metadata.RootType]
	files   *baseFiles
	check   func(verify.TreeReader, string) *verify.Report
}

func newRequestFixture(tb testing.TB) *requestFixture {
	fx, err := repotest.Generate(filepath.Join(tb.TempDir(), "repo.git"), repotest.Spec{Names: []string{"hello", "world"}})
	if err != nil {
		tb.Fatal(err)
	}
	// Only the index roles hello and world need: each input parses the
	// roles on the way to its own (a fresh view per request, as verify
	// makes it), and 36 delegations in targets would be most of the work.
	keep := map[string]bool{fx.IndexOf("hello"): true, fx.IndexOf("world"): true}
	changes := []gitstore.FileChange{}
	tc, err := fx.Resign(layout.RoleTargets, func(m *metadata.Metadata[metadata.TargetsType]) {
		var roles []metadata.DelegatedRole
		for _, r := range m.Signed.Delegations.Roles {
			if keep[r.Name] {
				roles = append(roles, r)
			} else {
				changes = append(changes, gitstore.FileChange{Path: layout.RolePath(r.Name)})
			}
		}
		m.Signed.Delegations.Roles = roles
	}, fx.Admin)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := fx.Commit("only the index roles of hello and world", append(changes, tc)...); err != nil {
		tb.Fatal(err)
	}
	base, err := fx.Repo.TreeAt(fx.Head)
	if err != nil {
		tb.Fatal(err)
	}
	current := state.New(base)
	root, err := current.Root()
	if err != nil {
		tb.Fatal(err)
	}
	return &requestFixture{fx: fx, base: base, current: current, root: root,
		files: &baseFiles{tree: base, read: map[string]baseRead{}, exists: map[string]bool{}},
		check: verify.RequestChecker(fx.Repo, base, current, fx.Now)}
}

// requestJSON is a valid request.json of kind for the fuzz request id.
func (rf *requestFixture) requestJSON(tb testing.TB, kind, project string) []byte {
	raw, err := layout.EncodeFile(layout.Request{Type: layout.RequestType, FormatVersion: layout.FormatVersion, ID: fuzzRequestID,
		Kind: kind, Project: project, Author: "Alice <alice@example.org>", Created: rf.fx.Now, Note: "fuzz seed"})
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// proposeRole is role name edited by edit, one version up, signed by the
// project's maintainers (or the admin for an index role).
func (rf *requestFixture) proposeRole(tb testing.TB, name string, edit func(*metadata.Metadata[metadata.TargetsType])) []byte {
	signers := rf.fx.ProjectKeys[name]
	if signers == nil {
		signers = append(signers, rf.fx.Admin)
	}
	ch, err := rf.fx.Resign(name, edit, signers...)
	if err != nil {
		tb.Fatal(err)
	}
	return ch.Data
}

// proposeRoot is the next root, edited by edit and signed by the admin.
func (rf *requestFixture) proposeRoot(tb testing.TB, edit func(*metadata.Metadata[metadata.RootType])) []byte {
	raw, err := rf.base.ReadFile(layout.RootPath, layout.MaxRootSize)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := metadata.Root().FromBytes(raw)
	if err != nil {
		tb.Fatal(err)
	}
	m.Signed.Version++
	if edit != nil {
		edit(m)
	}
	m.Signatures = nil
	if err := repo.Sign(m, rf.fx.Admin); err != nil {
		tb.Fatal(err)
	}
	out, err := repo.EncodeMetadata(m)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

type requestSeed struct {
	req  []byte
	role string
	meta []byte
}

func (rf *requestFixture) seeds(tb testing.TB) []requestSeed {
	later := func(m *metadata.Metadata[metadata.TargetsType]) {
		m.Signed.Expires = m.Signed.Expires.Add(90 * 24 * time.Hour)
	}
	release := func(m *metadata.Metadata[metadata.TargetsType]) {
		// A second version of an artifact the store already holds.
		for p, tf := range m.Signed.Targets {
			proj, _, file, err := layout.ParseTargetPath(p)
			if err == nil {
				c := *tf
				m.Signed.Targets[layout.TargetPath(proj, "1.1.0", strings.Replace(file, "1.0.0", "1.1.0", 1))] = &c
			}
			break
		}
	}
	recovery := func(m *metadata.Metadata[metadata.TargetsType]) {
		m.Signed.UnrecognizedFields = map[string]any{layout.RecoveryField: layout.Recovery{At: rf.fx.Now, Replaced: []string{rf.fx.ProjectKeys["hello"][0].ID}}}
	}
	return []requestSeed{
		{rf.requestJSON(tb, layout.KindRenew, "hello"), "hello", rf.proposeRole(tb, "hello", later)},
		{rf.requestJSON(tb, layout.KindReleaseAdd, "hello"), "hello", rf.proposeRole(tb, "hello", release)},
		{rf.requestJSON(tb, layout.KindRenew, "hello"), "hello", rf.proposeRole(tb, "hello", release)},
		{rf.requestJSON(tb, layout.KindRenew, "hello"), "hello", rf.proposeRole(tb, "hello", recovery)},
		{rf.requestJSON(tb, verify.KindRootRenew, ""), "root", rf.proposeRoot(tb, func(m *metadata.Metadata[metadata.RootType]) {
			m.Signed.Expires = m.Signed.Expires.Add(365 * 24 * time.Hour)
		})},
		{rf.requestJSON(tb, verify.KindRootRenew, ""), "root", rf.proposeRoot(tb, func(m *metadata.Metadata[metadata.RootType]) {
			m.Signed.Roles[metadata.TIMESTAMP].Threshold = 2
		})},
		{rf.requestJSON(tb, "root-rotate", ""), "root", rf.proposeRoot(tb, func(m *metadata.Metadata[metadata.RootType]) {
			k := repotest.Key("admin-2027")
			m.Signed.Roles[metadata.ROOT].KeyIDs = append(m.Signed.Roles[metadata.ROOT].KeyIDs, k.ID)
			m.Signed.Keys[k.ID] = k.Public
		})},
		{rf.requestJSON(tb, layout.KindRenew, ""), rf.fx.IndexOf("hello"), rf.proposeRole(tb, rf.fx.IndexOf("hello"), later)},
		{[]byte(`{"type":"tufgit-request","format_version":1,"id":"other-1","kind":"renew","author":"a","created":"2026-01-01T00:00:00Z"}`), "hello", nil},
	}
}

// memTree is a tree with files laid over it in memory: what verify reads
// of a request directory, without git objects. Paths with a name git
// refuses are not laid (ok false), as gitstore.BuildTree refuses them.
type memTree struct {
	base  *baseFiles
	files map[string][]byte
}

// baseFiles reads the fixture's tree once per path: it never changes, and
// reading git objects again for every input would be most of the work.
type baseFiles struct {
	tree   *gitstore.Tree
	mu     sync.Mutex
	read   map[string]baseRead
	exists map[string]bool
}

type baseRead struct {
	data []byte
	err  error
}

func (b *baseFiles) ReadFile(p string, max int64) ([]byte, error) {
	b.mu.Lock()
	r, ok := b.read[p]
	b.mu.Unlock()
	if !ok {
		r.data, r.err = b.tree.ReadFile(p, layout.MaxRootSize+layout.MaxTargetsSize)
		b.mu.Lock()
		b.read[p] = r
		b.mu.Unlock()
	}
	if r.err == nil && int64(len(r.data)) > max {
		return nil, fmt.Errorf("%s: %w (%d bytes, limit %d)", p, gitstore.ErrTooLarge, len(r.data), max)
	}
	return r.data, r.err
}

func (b *baseFiles) Exists(p string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ok, seen := b.exists[p]
	if !seen {
		var err error
		if ok, err = b.tree.Exists(p); err != nil {
			return false, err
		}
		b.exists[p] = ok
	}
	return ok, nil
}

func (m *memTree) ReadFile(p string, max int64) ([]byte, error) {
	if data, ok := m.files[p]; ok {
		if int64(len(data)) > max {
			return nil, fmt.Errorf("%s: %w (%d bytes, limit %d)", p, gitstore.ErrTooLarge, len(data), max)
		}
		return data, nil
	}
	return m.base.ReadFile(p, max)
}

func (m *memTree) Exists(p string) (bool, error) {
	for f := range m.files {
		if f == p || strings.HasPrefix(f, p+"/") {
			return true, nil
		}
	}
	return m.base.Exists(p)
}

func (m *memTree) WalkDir(dir string, fn func(gitstore.Entry) error, bad func(gitstore.BadName) error) error {
	var paths []string
	for f := range m.files {
		if strings.HasPrefix(f, dir+"/") {
			paths = append(paths, f)
		}
	}
	if len(paths) == 0 {
		return m.base.tree.WalkDir(dir, fn, bad)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := fn(gitstore.Entry{Path: p, Mode: gitstore.ModeRegular}); err != nil {
			return err
		}
	}
	return nil
}

// tree lays the request directory over the fixture's tree: request.json,
// and meta as the proposed metadata of role (nothing when meta is nil).
// ok is false when git could not hold such a path.
func (rf *requestFixture) tree(req []byte, role string, meta []byte) (*memTree, bool) {
	files := map[string][]byte{layout.RequestPath(fuzzRequestID): req}
	if meta != nil {
		p := layout.RequestRolePath(fuzzRequestID, role)
		for _, part := range strings.Split(p, "/") {
			if part == "" || part == "." || part == ".." || part == ".git" || strings.ContainsFunc(part, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
				return nil, false
			}
		}
		files[p] = meta
	}
	return &memTree{base: rf.files, files: files}, true
}

// FuzzRequest feeds request directories (request.json, and one proposed
// metadata file under any role name) through verify's check of a pending
// request, on a tree built in memory over a fixture (no commit per input).
// Properties:
//   - every problem names a file of the request and is one line;
//   - a request verify calls ready is one go-tuf accepts as well: the
//     proposed role verifies against its delegator as the tree has it (for
//     root: against the current root and itself), so no unsigned or
//     underhand content can be applied;
//   - a renew (or root-renew) request verify accepts changes nothing but
//     version and expires, by a comparison of the decoded JSON made here.
func FuzzRequest(f *testing.F) {
	rf := newRequestFixture(f)
	for _, s := range rf.seeds(f) {
		f.Add(s.req, s.role, s.meta)
	}
	// The seeds check out as intended: the honest ones are ready, the
	// others refused (a renewal that adds a release or a recovery record,
	// a root renewal that changes a threshold, a request in the wrong
	// directory).
	wantReady := []bool{true, true, false, false, true, false, true, true, false}
	for i, s := range rf.seeds(f) {
		tree, _ := rf.tree(s.req, s.role, s.meta)
		rep := rf.check(tree, fuzzRequestID)
		ready := rep.Valid() && len(rep.Pending) == 1 && rep.Pending[0].Ready
		if ready != wantReady[i] {
			f.Fatalf("seed %d: ready=%v, want %v: %v %+v", i, ready, wantReady[i], rep.Problems, rep.Pending)
		}
	}
	f.Fuzz(func(t *testing.T, req []byte, role string, meta []byte) {
		tree, ok := rf.tree(req, role, meta)
		if !ok {
			return
		}
		rep := rf.check(tree, fuzzRequestID)
		for _, p := range rep.Problems {
			if !strings.HasPrefix(p.Path, layout.RequestDir(fuzzRequestID)) || strings.ContainsAny(p.Message, "\r\n") {
				t.Fatalf("a problem that does not name a file of the request on one line: %q: %q", p.Path, p.Message)
			}
		}
		if !rep.Valid() || len(rep.Pending) != 1 || !rep.Pending[0].Ready {
			return
		}
		pend := rep.Pending[0]
		r, err := layout.ParseRequest(req)
		if err != nil || r.ID != fuzzRequestID || pend.Kind != r.Kind {
			t.Fatalf("ready, with a request.json that does not parse as its own: %v", err)
		}
		if len(pend.Roles) != 1 || pend.Roles[0].Role != role {
			t.Fatalf("ready, proposing %+v; the input proposes %s", pend.Roles, role)
		}
		if role == layout.RoleRoot {
			m, err := metadata.Root().FromBytes(meta)
			if err != nil {
				t.Fatalf("ready, with a root go-tuf can not read: %v", err)
			}
			if err := rf.root.VerifyDelegate(metadata.ROOT, m); err != nil {
				t.Fatalf("ready, with a root the current root's keys do not sign (go-tuf): %v", err)
			}
			if err := m.VerifyDelegate(metadata.ROOT, m); err != nil {
				t.Fatalf("ready, with a root its own keys do not sign (go-tuf): %v", err)
			}
			if r.Kind == verify.KindRootRenew || r.Kind == layout.KindRenew {
				sameExceptVersionExpires(t, rf.root.Signed, m.Signed)
			}
			return
		}
		m, err := metadata.Targets().FromBytes(meta)
		if err != nil {
			t.Fatalf("ready, with metadata go-tuf can not read: %v", err)
		}
		parent, err := rf.current.Parent(role)
		if err != nil {
			t.Fatalf("ready, proposing %s which nothing delegates: %v", role, err)
		}
		if parent == layout.RoleTargets {
			// targets is delegated by root.
			if err := rf.root.VerifyDelegate(metadata.TARGETS, m); err != nil {
				t.Fatalf("ready, but go-tuf refuses targets: %v", err)
			}
		} else {
			pm, err := rf.current.Role(parent)
			if err != nil {
				t.Fatal(err)
			}
			if err := pm.Meta.VerifyDelegate(role, m); err != nil {
				t.Fatalf("ready, but go-tuf refuses %s as %s delegates it: %v", role, parent, err)
			}
		}
		if r.Kind == layout.KindRenew {
			cur, err := rf.current.Role(role)
			if err != nil {
				t.Fatalf("a renewal of %s, which does not exist, was accepted", role)
			}
			sameExceptVersionExpires(t, cur.Meta.Signed, m.Signed)
		}
	})
}

// sameExceptVersionExpires fails unless a and b, as JSON objects, differ
// in nothing but "version" and "expires".
func sameExceptVersionExpires(t *testing.T, a, b any) {
	t.Helper()
	strip := func(v any) map[string]any {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		delete(m, "version")
		delete(m, "expires")
		return m
	}
	if x, y := strip(a), strip(b); !reflect.DeepEqual(x, y) {
		t.Fatalf("a renewal was accepted that changes more than version and expires:\n%v\n%v", x, y)
	}
}

// The seeds of FuzzRequest also go through the committed path: each
// request directory committed to git and the whole tree verified. For the
// request's own files, the in-memory check must find what the full check
// finds, so that the fuzz target can not drift from verify.
func TestFuzzRequestSeedsThroughGit(t *testing.T) {
	rf := newRequestFixture(t)
	for i, s := range rf.seeds(t) {
		tree, _ := rf.tree(s.req, s.role, s.meta)
		mem := rf.check(tree, fuzzRequestID)
		changes := []gitstore.FileChange{{Path: layout.RequestPath(fuzzRequestID), Data: s.req}}
		if s.meta != nil {
			changes = append(changes, gitstore.FileChange{Path: layout.RequestRolePath(fuzzRequestID, s.role), Data: s.meta})
		}
		head, err := rf.fx.CommitDetached("request", changes...)
		if err != nil {
			t.Fatal(err)
		}
		full, err := verify.Commit(rf.fx.Repo, head, verify.Options{Now: rf.fx.Now, SkipArtifacts: true})
		if err != nil {
			t.Fatal(err)
		}
		var fullProblems []verify.Problem
		for _, p := range full.Problems {
			if strings.HasPrefix(p.Path, layout.RequestDir(fuzzRequestID)) {
				fullProblems = append(fullProblems, p)
			}
		}
		if fmt.Sprint(fullProblems) != fmt.Sprint(mem.Problems) && !(len(fullProblems) == 0 && len(mem.Problems) == 0) {
			t.Errorf("seed %d: committed check finds %v, in-memory %v", i, fullProblems, mem.Problems)
		}
		a, _ := json.Marshal(full.Pending)
		b, _ := json.Marshal(mem.Pending)
		if !bytes.Equal(a, b) && !(len(full.Pending) == 0 && len(mem.Pending) == 0) {
			t.Errorf("seed %d: committed check pending %+v, in-memory %+v", i, full.Pending, mem.Pending)
		}
	}
}
