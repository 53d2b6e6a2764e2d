package client_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/client"
	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

// fuzzHost is the mirror the fuzz client talks to: served from memory by
// memTransport, never from the network.
const fuzzHost = "fuzz.invalid"

// memTransport serves the fuzz mirror from memory, with one file replaced
// by the input; requests to any other host go to the real transport, so
// the other tests' httptest servers work in the same binary.
type memTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	// files maps a URL path (/metadata/timestamp.json) to its bytes.
	files map[string][]byte
	// swap replaces one path's bytes for the current input.
	swapPath string
	swapData []byte
}

func (m *memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != fuzzHost {
		return m.next.RoundTrip(r)
	}
	m.mu.Lock()
	data, ok := m.files[r.URL.Path]
	if r.URL.Path == m.swapPath {
		data, ok = m.swapData, true
	}
	m.mu.Unlock()
	resp := &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Request: r, ContentLength: int64(len(data)), Body: io.NopCloser(bytes.NewReader(data))}
	if !ok {
		resp.StatusCode, resp.Status, resp.ContentLength, resp.Body = http.StatusNotFound, "404 Not Found", 0, http.NoBody
	}
	return resp, nil
}

var (
	memOnce sync.Once
	mem     *memTransport
)

// installMemTransport puts memTransport under http.DefaultTransport, which
// the client's fetcher uses: every byte of the download path (the
// fetcher's length limits, go-tuf's updater, the client's checks and its
// writes) runs as in production, only the network is memory.
func installMemTransport() *memTransport {
	memOnce.Do(func() {
		mem = &memTransport{next: http.DefaultTransport, files: map[string][]byte{}}
		http.DefaultTransport = mem
	})
	return mem
}

// clientFuzzFixture is a published repository (hello, two releases) whose
// mirror is served from memory, and a client directory that trusts its
// first root.
type clientFuzzFixture struct {
	f        *repotest.Fixture
	mt       *memTransport
	dir      string
	out      string
	root     []byte
	paths    []string          // the mirror's files, by URL path
	signed   map[string][]byte // role file name -> canonical signed part of each version served
	artifact []byte
	target   *metadata.TargetFiles
}

func tmpfsDir(tb testing.TB) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "tufgit-fuzz-"); err == nil {
			tb.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return tb.TempDir()
}

func newClientFuzzFixture(tb testing.TB) *clientFuzzFixture {
	f, err := repotest.Generate(filepath.Join(tb.TempDir(), "repo.git"), repotest.Spec{Names: []string{"hello", "world"}, Releases: 2})
	if err != nil {
		tb.Fatal(err)
	}
	// Only the index roles hello and world need: the client parses and
	// checks each role it meets, and 36 delegations in targets would be
	// most of the work of every input.
	keep := map[string]bool{f.IndexOf("hello"): true, f.IndexOf("world"): true}
	var changes []gitstore.FileChange
	tc, err := f.Resign(layout.RoleTargets, func(m *metadata.Metadata[metadata.TargetsType]) {
		var roles []metadata.DelegatedRole
		for _, r := range m.Signed.Delegations.Roles {
			if keep[r.Name] {
				roles = append(roles, r)
			} else {
				changes = append(changes, gitstore.FileChange{Path: layout.RolePath(r.Name)})
			}
		}
		m.Signed.Delegations.Roles = roles
	}, f.Admin)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.Commit("only the index roles of hello and world", append(changes, tc)...); err != nil {
		tb.Fatal(err)
	}
	mirror := filepath.Join(tb.TempDir(), "mirror")
	if _, err := f.Publish(mirror, false); err != nil {
		tb.Fatal(err)
	}
	cf := &clientFuzzFixture{f: f, mt: installMemTransport(), signed: map[string][]byte{}}
	err = filepath.WalkDir(mirror, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(mirror, p)
		if !strings.HasPrefix(rel, "metadata/") && !strings.HasPrefix(rel, "targets/") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		cf.mt.mu.Lock()
		cf.mt.files["/"+rel] = data
		cf.mt.mu.Unlock()
		cf.paths = append(cf.paths, "/"+rel)
		if strings.HasPrefix(rel, "metadata/") {
			var m struct {
				Signed any `json:"signed"`
			}
			if err := jsonUnmarshal(data, &m); err == nil {
				c, _ := cjson.EncodeCanonical(m.Signed)
				cf.signed[string(c)] = c
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(cf.paths)
	role, err := f.ReadRole("hello")
	if err != nil {
		tb.Fatal(err)
	}
	tp := layout.TargetPath("hello", "1.1.0", "hello-1.1.0.tar.gz")
	cf.target = role.Signed.Targets[tp]
	cf.artifact = repotest.Artifact("hello", "1.1.0", f.Spec.ArtifactSize)
	tree, _ := f.Repo.TreeAt(f.Head)
	cf.root, err = tree.ReadFile(layout.RootHistoryPath(1), layout.MaxRootSize)
	if err != nil {
		tb.Fatal(err)
	}
	cf.dir = filepath.Join(tmpfsDir(tb), "client")
	cf.out = filepath.Join(filepath.Dir(cf.dir), "out")
	if err := client.Init(cf.dir, "http://"+fuzzHost, cf.root); err != nil {
		tb.Fatal(err)
	}
	return cf
}

// reset empties the client's caches and the output directory: each input
// starts from a client that trusts the first root and nothing else.
func (cf *clientFuzzFixture) reset(tb testing.TB) {
	for _, sub := range []string{"metadata", "targets"} {
		entries, _ := os.ReadDir(filepath.Join(cf.dir, sub))
		for _, e := range entries {
			if sub == "metadata" && e.Name() == "root.json" {
				continue
			}
			os.RemoveAll(filepath.Join(cf.dir, sub, e.Name()))
		}
	}
	if err := os.WriteFile(filepath.Join(cf.dir, "metadata", "root.json"), cf.root, 0o644); err != nil {
		tb.Fatal(err)
	}
	os.RemoveAll(cf.out)
}

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// FuzzClientDownload serves the published mirror with one file (slot picks
// which: timestamp, snapshot, targets, an index role, the project's role,
// the release's file, or a next root that does not exist) replaced by
// fuzzed bytes, and downloads the release. Properties:
//   - a download that succeeds wrote exactly the artifact the project's
//     maintainers signed (length and sha256 of the signed entry);
//   - every metadata file the client keeps afterwards signs content that
//     the repository's keys signed: the fuzzer can not sign, so anything
//     else in the client's cache would be metadata accepted without its
//     keys' signatures;
//   - a refusal leaves the output directory empty and says why on one line.
//
// Each input verifies real ed25519 signatures along the whole chain (root,
// timestamp, snapshot, targets, index role, project role), which bounds
// its speed.
func FuzzClientDownload(f *testing.F) {
	cf := newClientFuzzFixture(f)
	// Seeds: the files a download of hello reads, as published.
	helloIndex := "." + cf.f.IndexOf("hello") + ".json"
	for i, p := range cf.paths {
		meta, target := strings.HasPrefix(p, "/metadata/"), strings.HasPrefix(p, "/targets/hello/1.1.0/")
		if target || meta && (!strings.Contains(p, layout.IndexRolePrefix) || strings.HasSuffix(p, helloIndex)) {
			f.Add(uint8(i), cf.mt.files[p])
		}
	}
	f.Add(uint8(len(cf.paths)), []byte(`{}`))
	c, err := client.Open(cf.dir)
	if err != nil {
		f.Fatal(err)
	}
	client.SetClockForTest(c, cf.f.Now)
	// Positive control: the mirror as published downloads.
	cf.reset(f)
	if _, err := c.DownloadFile("hello", "1.1.0", "", cf.out); err != nil {
		f.Fatalf("the fixture does not download: %v", err)
	}
	f.Fuzz(func(t *testing.T, slot uint8, data []byte) {
		cf.reset(t)
		cf.mt.mu.Lock()
		if int(slot) < len(cf.paths) {
			cf.mt.swapPath = cf.paths[slot]
		} else {
			cf.mt.swapPath = "/metadata/2.root.json"
		}
		cf.mt.swapData = data
		cf.mt.mu.Unlock()
		_, err := c.DownloadFile("hello", "1.1.0", "", cf.out)
		// What the client keeps is signed content, whatever happened.
		entries, _ := os.ReadDir(filepath.Join(cf.dir, "metadata"))
		for _, e := range entries {
			raw, rerr := os.ReadFile(filepath.Join(cf.dir, "metadata", e.Name()))
			if rerr != nil || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			var m struct {
				Signed any `json:"signed"`
			}
			if jerr := jsonUnmarshal(raw, &m); jerr != nil {
				t.Fatalf("the client keeps %s, which is not metadata: %v", e.Name(), jerr)
			}
			canon, _ := cjson.EncodeCanonical(m.Signed)
			if _, ok := cf.signed[string(canon)]; !ok {
				t.Fatalf("the client keeps %s with content its keys never signed:\n%s", e.Name(), canon)
			}
		}
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("refusal is not one line: %q", msg)
			}
			if files, _ := os.ReadDir(cf.out); len(files) != 0 {
				t.Fatalf("a refused download left %d file(s) in the output directory (%v)", len(files), err)
			}
			var te *client.TUFError
			if !errors.As(err, &te) && !errors.Is(err, client.ErrUnknownProject) && !errors.Is(err, client.ErrUnknownVersion) {
				// Not a TUF refusal: only the fixture's own IO may fail so.
				t.Logf("non-TUF refusal: %v", err)
			}
			return
		}
		got, rerr := os.ReadFile(filepath.Join(cf.out, "hello-1.1.0.tar.gz"))
		if rerr != nil {
			t.Fatalf("download succeeded but wrote no file: %v", rerr)
		}
		sum := sha256.Sum256(got)
		if int64(len(got)) != cf.target.Length || hex.EncodeToString(sum[:]) != hex.EncodeToString(cf.target.Hashes["sha256"]) {
			t.Fatalf("wrote %d bytes (sha256 %x), but the signed entry is %d bytes, sha256 %x", len(got), sum, cf.target.Length, cf.target.Hashes["sha256"])
		}
		if !bytes.Equal(got, cf.artifact) {
			t.Fatal("wrote bytes other than the artifact")
		}
	})
}
