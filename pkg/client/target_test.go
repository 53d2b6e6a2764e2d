package client_test

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tufgit/tufgit/pkg/client"
)

// A download over a file that already holds the release's bytes leaves
// it alone: same inode, same modification time. A file with other bytes
// is replaced.
func TestDownloadLeavesIdenticalFileAlone(t *testing.T) {
	w := &world{c: helloClient(t)}
	out := t.TempDir()
	if _, err := w.c.Download("hello", "1.1.0", out); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(out, "hello-1.1.0.tar.gz")
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(p)
	res, err := w.c.Download("hello", "1.1.0", out)
	if err != nil || res.Unchanged != 1 || res.Cached != 0 {
		t.Fatalf("download over an identical file: %+v, %v", res, err)
	}
	after, _ := os.Stat(p)
	if !after.ModTime().Equal(old) || !os.SameFile(before, after) {
		t.Fatalf("identical file rewritten: mtime %v (was %v), same file %v", after.ModTime(), old, os.SameFile(before, after))
	}
	// Other bytes of the same length: replaced, from the cache.
	want, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Repeat([]byte{'x'}, len(want)), 0o644)
	os.Chtimes(p, old, old)
	res, err = w.c.Download("hello", "1.1.0", out)
	if err != nil || res.Unchanged != 0 || res.Cached != 1 {
		t.Fatalf("download over a changed file: %+v, %v", res, err)
	}
	got, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if !bytes.Equal(got, want) || fi.ModTime().Equal(old) {
		t.Fatalf("changed file not replaced (bytes equal %v, mtime %v)", bytes.Equal(got, want), fi.ModTime())
	}
	// The same through the general API.
	r, err := w.c.DownloadTarget("hello/1.1.0/hello-1.1.0.tar.gz", p)
	if err != nil || !r.Unchanged {
		t.Fatalf("DownloadTarget over an identical file: %+v, %v", r, err)
	}
}

// Targets listed with any of sha256 and sha512 download; the cache is
// named after a hash the target lists; every listed hash is checked.
func TestDownloadHashSubsets(t *testing.T) {
	for _, consistent := range []bool{true, false} {
		r := newTUFRepo(t, consistent)
		sets := map[string][]string{"sha512-only": {"sha512"}, "sha256-only": {"sha256"}, "both": {"sha256", "sha512"}}
		for name, algs := range sets {
			r.addTarget("targets", "dir/"+name, []byte("content of "+name), algs...)
		}
		r.publish()
		c := newTUFClient(t, r)
		for name, algs := range sets {
			out := filepath.Join(t.TempDir(), name)
			res, err := c.DownloadTarget("dir/"+name, out)
			if err != nil {
				t.Fatalf("consistent=%v %s: %v", consistent, name, err)
			}
			if got, _ := os.ReadFile(out); string(got) != "content of "+name || res.Cached {
				t.Fatalf("consistent=%v %s: %q, cached %v", consistent, name, got, res.Cached)
			}
			key := hex.EncodeToString(res.Target.Hashes[algs[0]])
			if _, err := os.Stat(filepath.Join(c.Dir, "targets", key)); err != nil {
				t.Fatalf("%s: no cache entry named after its %s: %v", name, algs[0], err)
			}
			// A second download into another file comes from the cache.
			res, err = c.DownloadTarget("dir/"+name, out+".2")
			if err != nil || !res.Cached {
				t.Fatalf("%s again: cached %v, %v", name, res != nil && res.Cached, err)
			}
		}
	}
}

// A listed hash that does not match refuses the file, whichever it is,
// and writes nothing: not the output, not the cache.
func TestDownloadWrongHashRefused(t *testing.T) {
	for _, algs := range [][]string{{"sha512"}, {"sha256", "sha512"}} {
		r := newTUFRepo(t, true)
		tf := r.addTarget("targets", "f", []byte("the signed bytes"), algs...)
		// The mirror serves other bytes of the same length under the
		// target's names, and the sha512 listed is not theirs.
		evil := []byte("the forged bytes")
		r.serveTarget(tf, evil)
		if len(algs) == 2 {
			// sha256 matches the served bytes, sha512 does not.
			tf2 := r.addTarget("targets", "f", evil, algs...)
			wrong := sha512.Sum512([]byte("the signed bytes"))
			tf2.Hashes["sha512"] = wrong[:]
		}
		r.publish()
		c := newTUFClient(t, r)
		dir := t.TempDir()
		out := filepath.Join(dir, "f")
		_, err := c.DownloadTarget("f", out)
		var te *client.TUFError
		if !errors.As(err, &te) || te.Cause != client.CauseHash {
			t.Fatalf("%v: wrong sha512: %v, want a hash refusal", algs, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("%v: a refused download left %d file(s) beside the output", algs, len(entries))
		}
		if entries, _ := os.ReadDir(filepath.Join(c.Dir, "targets")); len(entries) != 0 {
			t.Fatalf("%v: a refused download left %v in the cache", algs, entries)
		}
	}
}

// A cache entry corrupted on disk is not copied out: it is fetched again.
func TestDownloadCorruptCacheRefetched(t *testing.T) {
	w := &world{c: helloClient(t)}
	if _, err := w.c.Download("hello", "1.1.0", t.TempDir()); err != nil {
		t.Fatal(err)
	}
	entries, _ := filepath.Glob(filepath.Join(w.c.Dir, "targets", "*"))
	for _, e := range entries {
		if strings.HasSuffix(e, ".tmp") {
			continue
		}
		data, _ := os.ReadFile(e)
		os.WriteFile(e, bytes.Repeat([]byte{'?'}, len(data)), 0o644)
	}
	out := t.TempDir()
	res, err := w.c.Download("hello", "1.1.0", out)
	if err != nil || res.Cached != 0 {
		t.Fatalf("download with a corrupt cache: %+v, %v", res, err)
	}
	got, _ := os.ReadFile(filepath.Join(out, "hello-1.1.0.tar.gz"))
	if !bytes.Equal(got, helloArtifact) {
		t.Fatal("downloaded bytes differ")
	}
}

var helloArtifact = bytes.Repeat([]byte("hello 1.1.0 "), 100)

// helloClient is a client of a small repository in tufgit's layout (the
// project hello, releases 1.0.0 and 1.1.0), made without git.
func helloClient(t *testing.T) *client.Client {
	r := newTUFRepo(t, true)
	r.delegate("targets", "hello", []string{"hello/*/*"}, true)
	r.addTarget("hello", "hello/1.0.0/hello-1.0.0.tar.gz", []byte("hello 1.0.0"))
	r.addTarget("hello", "hello/1.1.0/hello-1.1.0.tar.gz", helloArtifact)
	r.publish()
	dir := filepath.Join(t.TempDir(), "client")
	if err := client.Init(dir, r.url, r.rootRaw); err != nil {
		t.Fatal(err)
	}
	c, err := client.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A target transfer is abandoned when no byte arrives for the client's
// timeout, however long it has run; a slow but steady one completes.
func TestDownloadStallTimeout(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10)
	r := newTUFRepo(t, true)
	r.addTarget("targets", "slow", data)
	r.publish()
	trickle := func(pause time.Duration, stallAt int) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			for i := 0; i < len(data); i += 10 {
				if i == stallAt {
					select {
					case <-req.Context().Done():
					case <-time.After(5 * time.Second):
					}
					return
				}
				w.Write(data[i : i+10])
				w.(http.Flusher).Flush()
				time.Sleep(pause)
			}
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	get := func(srv *httptest.Server) error {
		c, err := client.New(filepath.Join(t.TempDir(), "client"), client.Config{MetadataURL: r.url + "/metadata", TargetsURL: srv.URL}, r.rootRaw)
		if err != nil {
			t.Fatal(err)
		}
		c.Timeout = 300 * time.Millisecond
		_, err = c.DownloadTarget("slow", filepath.Join(t.TempDir(), "slow"))
		return err
	}
	// Ten chunks 100 ms apart: a second in all, over three timeouts.
	if err := get(trickle(100*time.Millisecond, -1)); err != nil {
		t.Fatalf("slow but steady: %v", err)
	}
	err := get(trickle(10*time.Millisecond, 50))
	var te *client.TUFError
	if !errors.As(err, &te) || te.Cause != client.CauseUnreachable || !strings.Contains(err.Error(), "no data for 300ms") {
		t.Fatalf("stalled halfway: %v, want unreachable: no data for 300ms", err)
	}
}
