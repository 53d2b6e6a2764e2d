package publish_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/hook"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/publish"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

func fixture(t *testing.T, names ...string) *repotest.Fixture {
	t.Helper()
	f, err := repotest.Generate(filepath.Join(t.TempDir(), "repo.git"), repotest.Spec{Names: names, Releases: 1, Now: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func onlineKey(t *testing.T) *publish.OnlineKey {
	t.Helper()
	k, err := publish.WrapOnlineKeyForTest(repotest.Key("online"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func doPublish(t *testing.T, f *repotest.Fixture, m publish.Mirror, now time.Time, refresh bool) *publish.Result {
	t.Helper()
	res, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: onlineKey(t), Mirror: m, Now: now, Refresh: refresh})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func dirMirror(t *testing.T) (publish.Mirror, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mirror")
	m, err := publish.OpenMirror(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return m, dir
}

// client downloads one target with go-tuf's updater from a mirror served
// over HTTP on 127.0.0.1, trusting root v1 of the fixture.
func client(t *testing.T, f *repotest.Fixture, base, target string) ([]byte, error) {
	t.Helper()
	return clientAt(t, f, base+"/metadata", base+"/targets", target)
}

// clientAt is client with separate metadata and targets URLs, the way a
// standard client reads one shard of a sharded repository.
func clientAt(t *testing.T, f *repotest.Fixture, metaURL, targetsURL, target string) ([]byte, error) {
	t.Helper()
	tree, _ := f.Repo.TreeAt(f.Head)
	root, err := tree.ReadFile(layout.RootHistoryPath(1), layout.MaxRootSize)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.New(metaURL, root)
	if err != nil {
		t.Fatal(err)
	}
	cfg.LocalMetadataDir = t.TempDir()
	cfg.LocalTargetsDir = t.TempDir()
	cfg.RemoteTargetsURL = targetsURL
	cfg.PrefixTargetsWithHash = true
	up, err := updater.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Refresh(); err != nil {
		return nil, fmt.Errorf("refresh: %w", err)
	}
	ti, err := up.GetTargetInfo(target)
	if err != nil {
		return nil, fmt.Errorf("target info: %w", err)
	}
	_, data, err := up.DownloadTarget(ti, filepath.Join(t.TempDir(), "out"), "")
	return data, err
}

func serveDir(t *testing.T, dir string) string {
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv.URL
}

func target(f *repotest.Fixture, p string) (string, []byte) {
	return layout.TargetPath(p, "1.0.0", p+"-1.0.0.tar.gz"), repotest.Artifact(p, "1.0.0", f.Spec.ArtifactSize)
}

func TestPublishServesStandardClient(t *testing.T) {
	f := fixture(t, "hello", "help", "world")
	m, dir := dirMirror(t)
	res := doPublish(t, f, m, f.Now, false)
	if res.Snapshot != 1 || res.Timestamp != 1 || !res.Full {
		t.Fatalf("first publish: %+v", res)
	}
	url := serveDir(t, dir)
	tp, want := target(f, "help")
	got, err := client(t, f, url, tp)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("download %s: %v", tp, err)
	}
	// Nothing changed: nothing written.
	if res := doPublish(t, f, m, f.Now, false); !res.UpToDate || len(res.Written) != 0 {
		t.Fatalf("second publish wrote %v", res.Written)
	}
	// Arbitrary installation: same-length bytes replaced on the mirror.
	for _, alg := range []string{"sha256", "sha512"} {
		matches, _ := filepath.Glob(filepath.Join(dir, "targets", "help", "1.0.0", "*.help-1.0.0.tar.gz"))
		if len(matches) != 2 {
			t.Fatalf("want a file per hash (%s), got %v", alg, matches)
		}
		for _, p := range matches {
			os.WriteFile(p, bytes.Repeat([]byte("x"), len(want)), 0o644)
		}
	}
	if _, err := client(t, f, url, tp); err == nil {
		t.Fatal("the client accepted replaced target bytes")
	}
}

func TestPublishIncremental(t *testing.T) {
	f := fixture(t, "hello", "help", "world")
	m, dir := dirMirror(t)
	doPublish(t, f, m, f.Now, false)
	// One new release of one project.
	data := []byte("hello 2")
	tp := layout.TargetPath("hello", "2.0.0", "hello-2.0.0.tar.gz")
	tf, _ := metadata.TargetFile().FromBytes(tp, data, "sha256", "sha512")
	role, err := f.Resign("hello", func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Targets[tp] = tf }, f.ProjectKeys["hello"]...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Commit("release", role, gitstore.FileChange{Path: layout.ArtifactPath(fmt.Sprintf("%x", []byte(tf.Hashes["sha256"]))), Data: data}); err != nil {
		t.Fatal(err)
	}
	res := doPublish(t, f, m, f.Now, false)
	if res.Full || res.Snapshot != 2 || res.Timestamp != 2 {
		t.Fatalf("incremental publish: %+v", res)
	}
	// Two target files (one per hash), the project role, snapshot and
	// timestamp: nothing else (root.json is unchanged, so not rewritten).
	if len(res.Written) != 5 || res.Written[len(res.Written)-1] != "metadata/timestamp.json" {
		t.Fatalf("wrote %v", res.Written)
	}
	got, err := client(t, f, serveDir(t, dir), tp)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("download: %v", err)
	}
}

func TestPublishNeverReusesVersions(t *testing.T) {
	f := fixture(t, "hello")
	m, _ := dirMirror(t)
	doPublish(t, f, m, f.Now, false)
	doPublish(t, f, m, f.Now.Add(13*time.Hour), true) // refresh: timestamp only
	// The publisher loses its record; the mirror still serves timestamp v2.
	head, _ := f.Repo.ResolveRef(publish.StateRef)
	if head.IsZero() {
		t.Fatal("no state ref")
	}
	g, _ := gitstore.Open(f.Dir)
	if err := exec.Command("git", "--git-dir", f.Dir, "update-ref", "-d", publish.StateRef).Run(); err != nil {
		t.Fatal(err)
	}
	f.Repo = g
	res := doPublish(t, f, m, f.Now.Add(14*time.Hour), false)
	if res.Timestamp <= 2 || res.Snapshot <= 1 {
		t.Fatalf("after losing state: %+v; versions must continue past the mirror's", res)
	}
}

func TestRefresh(t *testing.T) {
	f := fixture(t, "hello")
	m, _ := dirMirror(t)
	doPublish(t, f, m, f.Now, false)
	if res := doPublish(t, f, m, f.Now.Add(time.Hour), true); !res.UpToDate {
		t.Fatalf("refresh with plenty of time left wrote %v", res.Written)
	}
	res := doPublish(t, f, m, f.Now.Add(13*time.Hour), true) // timestamp (1d) half gone
	if res.UpToDate || res.Timestamp != 2 || res.Snapshot != 1 {
		t.Fatalf("timestamp refresh: %+v", res)
	}
	res = doPublish(t, f, m, f.Now.Add(4*24*time.Hour), true) // snapshot (7d) half gone
	if res.Snapshot != 2 || res.Timestamp != 3 {
		t.Fatalf("snapshot refresh: %+v", res)
	}
}

func TestPublishRefuses(t *testing.T) {
	f := fixture(t, "hello")
	m, _ := dirMirror(t)
	// A key that is not root's online key.
	k, _ := publish.WrapOnlineKeyForTest(repotest.Key("stranger"))
	_, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: k, Mirror: m, Now: f.Now})
	if !errors.Is(err, publish.ErrNotOnlineKey) {
		t.Fatalf("stranger key: %v", err)
	}
	// The admin key is never used online, even if given.
	k, _ = publish.WrapOnlineKeyForTest(f.Admin)
	if _, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: k, Mirror: m, Now: f.Now}); err == nil {
		t.Fatal("published with the admin key")
	}
	// A commit that does not verify.
	raw := []byte(`{"signed":{},"signatures":[]}`)
	if _, err := f.Commit("break", gitstore.FileChange{Path: layout.RolePath("hello"), Data: raw}); err != nil {
		t.Fatal(err)
	}
	_, err = publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: onlineKey(t), Mirror: m, Now: f.Now})
	if !errors.Is(err, publish.ErrInvalid) {
		t.Fatalf("invalid commit: %v", err)
	}
	if ok, _ := m.Exists(context.Background(), "metadata/timestamp.json"); ok {
		t.Fatal("a refused publish wrote a timestamp")
	}
}

// A keyless push that stretches the online expiry periods in tufgit.json
// (unsigned) does not make the online key sign a century-long timestamp.
func TestPublishRefusesLongOnlineExpiry(t *testing.T) {
	for _, tc := range []struct{ role, snapshot, timestamp string }{
		{"timestamp", "36500d", "36500d"},
		{"timestamp", "30d", "8d"},
		{"snapshot", "31d", "1d"},
	} {
		f := fixture(t, "hello")
		m, _ := dirMirror(t)
		raw, err := f.Repo.TreeAt(f.Head)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := raw.ReadFile(layout.ConfigPath, layout.MaxConfigSize)
		if err != nil {
			t.Fatal(err)
		}
		s := regexp.MustCompile(`"snapshot": "[^"]*"`).ReplaceAllString(string(cfg), `"snapshot": "`+tc.snapshot+`"`)
		s = regexp.MustCompile(`"timestamp": "[^"]*"`).ReplaceAllString(s, `"timestamp": "`+tc.timestamp+`"`)
		if s == string(cfg) {
			t.Fatalf("could not edit %s", cfg)
		}
		if _, err := f.Commit("stretch expiry", gitstore.FileChange{Path: layout.ConfigPath, Data: []byte(s)}); err != nil {
			t.Fatal(err)
		}
		_, err = publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: onlineKey(t), Mirror: m, Now: f.Now})
		if err == nil || !strings.Contains(err.Error(), "expiry."+tc.role) || !strings.Contains(err.Error(), "cap") {
			t.Fatalf("%+v: Publish = %v, want a refusal naming expiry.%s and the cap", tc, err, tc.role)
		}
		if ok, _ := m.Exists(context.Background(), "metadata/timestamp.json"); ok {
			t.Fatalf("%+v: a refused publish wrote a timestamp", tc)
		}
	}
	// Positive control: at the caps, publish signs, and no longer than them.
	f := fixture(t, "hello")
	m, _ := dirMirror(t)
	tree, _ := f.Repo.TreeAt(f.Head)
	cfg, _ := tree.ReadFile(layout.ConfigPath, layout.MaxConfigSize)
	s := regexp.MustCompile(`"snapshot": "[^"]*"`).ReplaceAllString(string(cfg), `"snapshot": "30d"`)
	s = regexp.MustCompile(`"timestamp": "[^"]*"`).ReplaceAllString(s, `"timestamp": "7d"`)
	if _, err := f.Commit("caps", gitstore.FileChange{Path: layout.ConfigPath, Data: []byte(s)}); err != nil {
		t.Fatal(err)
	}
	if _, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: onlineKey(t), Mirror: m, Now: f.Now}); err != nil {
		t.Fatalf("publish at the caps: %v", err)
	}
	data, err := m.Read(context.Background(), "metadata/timestamp.json", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := metadata.Timestamp().FromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := ts.Signed.Expires.Sub(f.Now); got != layout.MaxTimestampExpiry {
		t.Fatalf("timestamp valid for %s, want %s", got, layout.MaxTimestampExpiry)
	}
}

// failingMirror fails every write after the first n.
type failingMirror struct {
	publish.Mirror
	mu sync.Mutex
	n  int
}

func (m *failingMirror) Write(ctx context.Context, name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == 0 {
		return errors.New("injected failure: the mirror went away")
	}
	m.n--
	return m.Mirror.Write(ctx, name, data)
}

func (m *failingMirror) WriteFrom(ctx context.Context, name string, r io.Reader, check func() error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == 0 {
		return errors.New("injected failure: the mirror went away")
	}
	m.n--
	return m.Mirror.WriteFrom(ctx, name, r, check)
}

// A publish that fails halfway leaves clients with the previous consistent
// repository; the next publish completes it.
func TestMirrorFailsHalfway(t *testing.T) {
	f := fixture(t, "hello", "world")
	m, dir := dirMirror(t)
	doPublish(t, f, m, f.Now, false)
	url := serveDir(t, dir)
	for _, p := range []string{"hello", "world"} {
		data := []byte(p + " 2")
		tp := layout.TargetPath(p, "2.0.0", p+"-2.0.0.tar.gz")
		tf, _ := metadata.TargetFile().FromBytes(tp, data, "sha256", "sha512")
		role, _ := f.Resign(p, func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Targets[tp] = tf }, f.ProjectKeys[p]...)
		if _, err := f.Commit("release", role, gitstore.FileChange{Path: layout.ArtifactPath(fmt.Sprintf("%x", []byte(tf.Hashes["sha256"]))), Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	// Fail the first write, then the second, and so on, until a publish
	// gets through; after each failure a client must still see the old,
	// consistent repository.
	failures := 0
	for n := 0; ; n++ {
		_, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: onlineKey(t), Mirror: &failingMirror{Mirror: m, n: n}, Now: f.Now})
		if err == nil {
			break
		}
		failures++
		tp, want := target(f, "world")
		if got, err := client(t, f, url, tp); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("after failing at write %d, the client sees an inconsistent mirror: %v", n, err)
		}
		if n > 50 {
			t.Fatal("publish never succeeds")
		}
	}
	if failures < 3 {
		t.Fatalf("only %d injected failures: the test did not test much", failures)
	}
	if res := doPublish(t, f, m, f.Now, false); !res.UpToDate || res.Timestamp != 2 {
		t.Fatalf("after recovery: %+v", res)
	}
	got, err := client(t, f, url, layout.TargetPath("world", "2.0.0", "world-2.0.0.tar.gz"))
	if err != nil || string(got) != "world 2" {
		t.Fatalf("after recovery: %v", err)
	}
}

// Publishing to S3, against a real S3-compatible server (versitygw) on
// 127.0.0.1. Skipped with a message when versitygw is not installed; CI
// installs it.
func TestPublishToS3(t *testing.T) {
	bin := os.Getenv("TUFGIT_VERSITYGW")
	if bin == "" {
		bin, _ = exec.LookPath("versitygw")
	}
	if bin == "" {
		if p := filepath.Join(os.Getenv("HOME"), "go", "bin", "versitygw"); fileExists(p) {
			bin = p
		}
	}
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("versitygw is not installed; .ci/run installs it")
		}
		t.Skip("SKIPPED: versitygw not installed (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
	}
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "mirror"), 0o755)
	port := freePort(t)
	cmd := exec.Command(bin, "--port", "127.0.0.1:"+port, "--access", "tufgit", "--secret", "tufgit-secret", "posix", root)
	var vlog bytes.Buffer
	cmd.Stdout, cmd.Stderr = &vlog, &vlog
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("versitygw output:\n%s", vlog.String())
		}
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitPort(t, "127.0.0.1:"+port)
	t.Setenv("AWS_ACCESS_KEY_ID", "tufgit")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "tufgit-secret")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	url := "s3://mirror?endpoint=http://127.0.0.1:" + port + "&region=us-east-1&use_path_style=true&disable_https=true"
	m, err := publish.OpenMirror(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f := fixture(t, "hello", "world")
	res := doPublish(t, f, m, f.Now, false)
	if res.Timestamp != 1 {
		t.Fatalf("%+v", res)
	}
	if res := doPublish(t, f, m, f.Now, false); !res.UpToDate {
		t.Fatalf("second publish to S3 wrote %v", res.Written)
	}
	// Serve the bucket's objects over HTTP and let go-tuf's client read them.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := m.Read(r.Context(), strings.TrimPrefix(r.URL.Path, "/"), 10<<20)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	defer srv.Close()
	tp, want := target(f, "world")
	got, err := client(t, f, srv.URL, tp)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("download through S3: %v", err)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func waitPort(t *testing.T, addr string) {
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// The publisher's record lives where the pre-receive hook refuses every
// push, so only the publisher (writing in place) can move it.
func TestStateRefIsReserved(t *testing.T) {
	if !strings.HasPrefix(publish.StateRef, hook.ReservedPrefix) {
		t.Fatalf("%s is outside %s*, which the hook protects", publish.StateRef, hook.ReservedPrefix)
	}
}

// stallingMirror hangs on every write until the context ends, as an
// upload to an unreachable S3 endpoint does; started is closed at the
// first write.
type stallingMirror struct {
	publish.Mirror
	once    sync.Once
	started chan struct{}
}

func (m *stallingMirror) Write(ctx context.Context, name string, data []byte) error {
	m.once.Do(func() { close(m.started) })
	<-ctx.Done()
	return ctx.Err()
}

// A cancelled context (Ctrl-C in the CLI) stops a publish stuck on its
// mirror, with an error naming what it was writing; nothing is recorded as
// published, and the next publish completes.
func TestPublishCancelled(t *testing.T) {
	f := fixture(t, "hello")
	m, dir := dirMirror(t)
	stall := &stallingMirror{Mirror: m, started: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-stall.started; cancel() }()
	done := make(chan error, 1)
	go func() {
		_, err := publish.Publish(ctx, publish.Options{Repo: f.Repo, Rev: f.Head, Key: onlineKey(t), Mirror: stall, Now: f.Now})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "to the mirror") {
			t.Fatalf("cancelled publish: %v; want context.Canceled naming the file", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("a cancelled publish did not stop")
	}
	if fileExists(filepath.Join(dir, "metadata", "timestamp.json")) {
		t.Error("a cancelled publish wrote the timestamp")
	}
	if res := doPublish(t, f, m, f.Now, false); res.Timestamp != 1 || res.UpToDate {
		t.Errorf("publish after a cancelled one: %+v", res)
	}
}
