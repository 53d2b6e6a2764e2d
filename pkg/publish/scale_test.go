//go:build unix

// The million-project scale measurements (make bench-scale) use sync(2);
// they run on the Unix machines the server side runs on.

package publish_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/hook"
	"github.com/tufgit/tufgit/pkg/internal/rusage"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/publish"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/verify"
)

// The million-project measurements of issue #13 ("Measured"): the same
// code runs small in TestScaleShape (make test) and large in
// BenchmarkScale (make bench-scale, sizes from TUFGIT_SCALE_SIZES).
//
// A scale environment is a repository of realistic names
// (repotest.RealisticNames) in 2^bits hash shards, published in full to a
// directory mirror, served over HTTP on 127.0.0.1 by a server that counts
// the bytes of every file it serves.

// scaleEnv is one generated and published repository.
type scaleEnv struct {
	f      *repotest.Fixture
	bits   int
	top    string // holds repo.git, mirror/, gen.json
	mirror string
	m      publish.Mirror
	key    *publish.OnlineKey
	srv    *countingServer
	root   []byte // root v1: what a client ships with
	gen    genStats
}

// genStats is what making the environment cost, kept beside a cached one.
type genStats struct {
	Now            time.Time `json:"now"`
	GenerateS      float64   `json:"generate_s"`
	GenHeapPeakMB  float64   `json:"generate_heap_peak_mb"`
	GitMaxRSSMB    float64   `json:"git_fast_import_max_rss_mb"`
	RepoMB         float64   `json:"repo_mb"`
	FirstPublishS  float64   `json:"first_publish_s"`
	PublishHeapMB  float64   `json:"first_publish_heap_peak_mb"`
	MirrorMB       float64   `json:"mirror_mb"`
	MirrorFiles    int       `json:"mirror_files"`
	IndexRoles     int       `json:"index_roles"`
	GeneratedNowTS string    `json:"generated_at"`
}

func scaleSpec(n, bits int, now time.Time) repotest.Spec {
	return repotest.Spec{Names: repotest.RealisticNames(n, 13), Releases: 1, ShardBits: bits, Now: now}
}

// openScale makes (or, when top holds a complete one, reopens) the
// environment of n projects in 2^bits shards.
func openScale(tb testing.TB, top string, n, bits int) *scaleEnv {
	tb.Helper()
	e := &scaleEnv{bits: bits, top: top, mirror: filepath.Join(top, "mirror")}
	statsPath := filepath.Join(top, "gen.json")
	var err error
	if raw, rerr := os.ReadFile(statsPath); rerr == nil && json.Unmarshal(raw, &e.gen) == nil {
		if e.f, err = repotest.Open(filepath.Join(top, "repo.git"), scaleSpec(n, bits, e.gen.Now)); err != nil {
			tb.Fatal(err)
		}
	} else {
		os.RemoveAll(top)
		if err := os.MkdirAll(top, 0o755); err != nil {
			tb.Fatal(err)
		}
		// Roles expire a year after generation: a cached tree lasts.
		e.gen.Now = time.Now().UTC().Truncate(24 * time.Hour)
		e.gen.GeneratedNowTS = time.Now().UTC().Format(time.RFC3339)
		spec := scaleSpec(n, bits, e.gen.Now)
		t0 := time.Now()
		peak := peakHeap(func() {
			e.f, err = repotest.Generate(filepath.Join(top, "repo.git"), spec)
		})
		if err != nil {
			tb.Fatal(err)
		}
		e.gen.GenerateS = time.Since(t0).Seconds()
		e.gen.GenHeapPeakMB = float64(peak) / (1 << 20)
		e.gen.GitMaxRSSMB = float64(e.f.GitMaxRSS) / (1 << 20)
		e.gen.RepoMB = float64(dirSize(filepath.Join(top, "repo.git"))) / (1 << 20)
		e.gen.IndexRoles = len(e.f.IndexRoles)
	}
	if e.key, err = publish.WrapOnlineKeyForTest(repotest.Key("online")); err != nil {
		tb.Fatal(err)
	}
	if e.m, err = publish.OpenMirror(context.Background(), e.mirror); err != nil {
		tb.Fatal(err)
	}
	if e.gen.FirstPublishS == 0 {
		t0 := time.Now()
		// The first publish writes every file of the mirror (3 million at
		// 1M projects); it goes through unsyncedMirror and one sync(2) at
		// the end, since one fsync per file would take hours. Every later
		// publish, the measured ones, goes to the real directory mirror.
		var res *publish.Result
		peak := peakHeap(func() {
			res, err = publish.Publish(context.Background(), publish.Options{Repo: e.f.Repo, Rev: e.f.Head, Key: e.key, Mirror: unsyncedMirror{e.m, e.mirror}, Now: time.Now()})
		})
		if err != nil {
			tb.Fatal(err)
		}
		syscall.Sync()
		if !res.Full {
			tb.Fatalf("first publish was not full: %+v", res)
		}
		e.gen.FirstPublishS = time.Since(t0).Seconds()
		e.gen.PublishHeapMB = float64(peak) / (1 << 20)
		e.gen.MirrorMB = float64(dirSize(e.mirror)) / (1 << 20)
		e.gen.MirrorFiles = len(res.Written)
		raw, _ := json.MarshalIndent(e.gen, "", "  ")
		if err := os.WriteFile(statsPath, raw, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	tree, err := e.f.Repo.TreeAt(e.f.Head)
	if err != nil {
		tb.Fatal(err)
	}
	if e.root, err = tree.ReadFile(layout.RootHistoryPath(1), layout.MaxRootSize); err != nil {
		tb.Fatal(err)
	}
	e.srv = newCountingServer(e.mirror)
	tb.Cleanup(e.srv.Close)
	return e
}

func (e *scaleEnv) publish() (*publish.Result, error) {
	return publish.Publish(context.Background(), publish.Options{Repo: e.f.Repo, Rev: e.f.Head, Key: e.key, Mirror: e.m, Now: time.Now()})
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// countingServer serves the mirror and counts what it serves with status
// 200, by path, until reset.
type countingServer struct {
	*httptest.Server
	mu     sync.Mutex
	served map[string]int64
}

func newCountingServer(dir string) *countingServer {
	c := &countingServer{served: map[string]int64{}}
	fsrv := http.FileServer(http.Dir(dir))
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &countingWriter{ResponseWriter: w, status: 200}
		fsrv.ServeHTTP(cw, r)
		if cw.status == http.StatusOK {
			c.mu.Lock()
			c.served[r.URL.Path] += cw.n
			c.mu.Unlock()
		}
	}))
	return c
}

// reset returns what was served since the last reset.
func (c *countingServer) reset() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.served
	c.served = map[string]int64{}
	return s
}

type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *countingWriter) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }
func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// fetch is what one client run fetched from the mirror.
type fetch struct {
	Project string
	Meta    int64    // metadata bytes served, plus root when fresh
	Files   []string // metadata files served, base names
	Below   int      // roles walked below targets (index roles and project)
	Took    time.Duration
}

// shardMetaPath is the shard's metadata directory below the mirror's base.
func (e *scaleEnv) shardMetaPath(project string) string {
	if e.bits == 0 {
		return "metadata"
	}
	return strings.TrimSuffix(layout.ShardMetadataDir(e.bits, layout.ProjectShard(project, e.bits)), "/")
}

// client runs go-tuf's updater with default settings against project's
// shard, with its metadata cached in cache (a fresh client: an empty
// directory; it then trusts e.root), and downloads target.
func (e *scaleEnv) client(cache, project, target string) (fetch, error) {
	root := e.root
	fresh := true
	if raw, err := os.ReadFile(filepath.Join(cache, "root.json")); err == nil {
		root, fresh = raw, false
	}
	cfg, err := config.New(e.srv.URL+"/"+e.shardMetaPath(project), root)
	if err != nil {
		return fetch{}, err
	}
	cfg.LocalMetadataDir = cache
	cfg.LocalTargetsDir = filepath.Join(cache, "targets")
	cfg.RemoteTargetsURL = e.srv.URL + "/targets"
	cfg.PrefixTargetsWithHash = true
	if err := os.MkdirAll(cfg.LocalTargetsDir, 0o755); err != nil {
		return fetch{}, err
	}
	e.srv.reset()
	t0 := time.Now()
	up, err := updater.New(cfg)
	if err != nil {
		return fetch{}, err
	}
	if err := up.Refresh(); err != nil {
		return fetch{}, fmt.Errorf("refresh: %w", err)
	}
	ti, err := up.GetTargetInfo(target)
	if err != nil {
		return fetch{}, fmt.Errorf("%s: %w", target, err)
	}
	if _, _, err := up.DownloadTarget(ti, filepath.Join(cfg.LocalTargetsDir, hex.EncodeToString([]byte(project))), ""); err != nil {
		return fetch{}, fmt.Errorf("download %s: %w", target, err)
	}
	out := fetch{Project: project, Took: time.Since(t0)}
	if fresh {
		out.Meta = int64(len(root))
	}
	prefix := "/" + e.shardMetaPath(project) + "/"
	for p, n := range e.srv.reset() {
		name, ok := strings.CutPrefix(p, prefix)
		if !ok {
			if !strings.HasPrefix(p, "/targets/") {
				return fetch{}, fmt.Errorf("the client of shard %s fetched %s", prefix, p)
			}
			continue
		}
		out.Meta += n
		out.Files = append(out.Files, name)
		role, _, _ := splitName(name)
		switch role {
		case metadata.ROOT, metadata.TIMESTAMP, metadata.SNAPSHOT, metadata.TARGETS:
		default:
			out.Below++
		}
	}
	sort.Strings(out.Files)
	return out, nil
}

// splitName splits "3.idx_d.json" into role and version.
func splitName(name string) (string, string, bool) {
	base := strings.TrimSuffix(name, ".json")
	if v, rest, ok := strings.Cut(base, "."); ok && strings.Trim(v, "0123456789") == "" {
		return rest, v, true
	}
	return base, "", false
}

// pushRelease commits version of project (one role, one artifact), as
// a one-release push does, and returns the commits before and after.
func (e *scaleEnv) pushRelease(project, version string) (old, head gitstore.Hash, tp string, err error) {
	f := e.f
	old = f.Head
	data := repotest.Artifact(project, version, 256)
	tp = layout.TargetPath(project, version, project+"-"+version+".tar.gz")
	tf, err := metadata.TargetFile().FromBytes(tp, data, "sha256", "sha512")
	if err != nil {
		return
	}
	role, err := f.Resign(project, func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Targets[tp] = tf }, f.ProjectKeys[project]...)
	if err != nil {
		return
	}
	head, err = f.Commit("release "+project+" "+version, role, gitstore.FileChange{Path: layout.ArtifactPath(hex.EncodeToString(tf.Hashes["sha256"])), Data: data})
	return
}

// shardEntries counts each shard's snapshot entries on the mirror.
func (e *scaleEnv) shardEntries() ([]int, error) {
	var out []int
	for _, s := range layout.ShardNames(e.bits) {
		_, snap, _, err := e.snapshotOf(s)
		if err != nil {
			return nil, err
		}
		out = append(out, len(snap.Signed.Meta))
	}
	return out, nil
}

// snapshotOf reads the snapshot a shard's timestamp names on the mirror
// ("": the single repository), with the shard's metadata directory and
// the bytes of its timestamp and snapshot.
func (e *scaleEnv) snapshotOf(shard string) (string, *metadata.Metadata[metadata.SnapshotType], int64, error) {
	rel := "metadata"
	if shard != "" {
		rel = strings.TrimSuffix(layout.ShardMetadataDir(e.bits, shard), "/")
	}
	tsRaw, err := os.ReadFile(filepath.Join(e.mirror, rel, "timestamp.json"))
	if err != nil {
		return "", nil, 0, err
	}
	ts, err := metadata.Timestamp().FromBytes(tsRaw)
	if err != nil {
		return "", nil, 0, err
	}
	raw, err := os.ReadFile(filepath.Join(e.mirror, rel, fmt.Sprintf("%d.snapshot.json", ts.Signed.Meta["snapshot.json"].Version)))
	if err != nil {
		return "", nil, 0, err
	}
	snap, err := metadata.Snapshot().FromBytes(raw)
	return rel, snap, int64(len(tsRaw) + len(raw)), err
}

// freshBound bounds what any fresh client of any project fetches (root
// included): root, timestamp, targets, the largest shard snapshot plus
// that shard's largest index role, and the largest project role among
// roles (the sampled ones; the sample holds the longest name). It holds
// while no index role is split (each shard has its 36 first-character
// roles alone, so every walk is one index role and the project); ok
// reports that.
func (e *scaleEnv) freshBound(roles []fetch) (bound int64, ok bool, err error) {
	size := func(p string) (int64, error) {
		fi, err := os.Stat(filepath.Join(e.mirror, p))
		if err != nil {
			return 0, err
		}
		return fi.Size(), nil
	}
	var worst, role int64
	for _, s := range layout.ShardNames(e.bits) {
		rel, snap, tsSnap, err := e.snapshotOf(s)
		if err != nil {
			return 0, false, err
		}
		var idx int64
		n := 0
		for name, mf := range snap.Signed.Meta {
			if _, isIdx := layout.IndexPrefix(strings.TrimSuffix(name, ".json")); !isIdx {
				continue
			}
			n++
			sz, err := size(fmt.Sprintf("%s/%d.%s", rel, mf.Version, name))
			if err != nil {
				return 0, false, err
			}
			idx = max(idx, sz)
		}
		if n != len(layout.FirstChars) {
			return 0, false, nil
		}
		worst = max(worst, tsSnap+idx)
		if s == "" || s == layout.ShardNames(e.bits)[0] {
			tv := snap.Signed.Meta["targets.json"].Version
			t, err := size(fmt.Sprintf("%s/%d.targets.json", rel, tv))
			if err != nil {
				return 0, false, err
			}
			bound += t + int64(len(e.root))
		}
	}
	for _, f := range roles {
		for _, name := range f.Files {
			if r, _, _ := splitName(name); r == f.Project {
				sz, err := size(e.shardMetaPath(f.Project) + "/" + name)
				if err != nil {
					return 0, false, err
				}
				role = max(role, sz)
			}
		}
	}
	return bound + worst + role, true, nil
}

// plannedEntries is what each shard's snapshot lists when names are laid
// out in 2^bits shards, from the names alone: targets, the shard's index
// roles (36, or more where a prefix splits) and its projects. It prices a
// shard count without generating its repository.
func plannedEntries(names []string, bits, maxPerIndex int) []int {
	byFirst := map[[2]string][]string{}
	for _, p := range names {
		k := [2]string{layout.ProjectShard(p, bits), p[:1]}
		byFirst[k] = append(byFirst[k], p)
	}
	var out []int
	for _, s := range layout.ShardNames(bits) {
		n := 1
		for i := 0; i < len(layout.FirstChars); i++ {
			c := string(layout.FirstChars[i])
			ps := byFirst[[2]string{s, c}]
			n += len(layout.PlanIndex(c, ps, maxPerIndex)) + len(ps)
		}
		out = append(out, n)
	}
	return out
}

// sample picks k projects spread over the sorted names, always with the
// longest name and a member of the longest shared-prefix family.
func sample(names []string, k int) []string {
	out := []string{}
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	longest := names[0]
	for _, p := range names {
		if len(p) > len(longest) {
			longest = p
		}
		if strings.HasPrefix(p, "tencentcloud-sdk-python-") && !seen[p] && len(out) == 0 {
			add(p)
		}
	}
	add(longest)
	for i := 0; len(out) < k && i < k; i++ {
		add(names[(i*len(names))/k+(i*7919)%max(1, len(names)/k)])
	}
	return out
}

// stats are the average and maximum of xs.
func stats[T int | int64 | float64](xs []T) (avg float64, mx T) {
	for _, x := range xs {
		avg += float64(x)
		mx = max(mx, x)
	}
	if len(xs) > 0 {
		avg /= float64(len(xs))
	}
	return avg, mx
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// scaleResult is one run of the measurements.
type scaleResult struct {
	Fresh                 []fetch
	FreshBound            int64 // 0: not computed (split index roles)
	InShard, Elsewhere    fetch
	Entries, Planned      []int
	Publish, Since, Hook  []time.Duration
	PublishRes            []*publish.Result
	VerifyWall, VerifyCPU time.Duration
	VerifyRoles           int
	MachineBusy           float64 // cores busy machine-wide during full verify (git cat-file too)
	TufJS                 time.Duration
	TufJSSkipped          string
	PyTUF                 time.Duration
	PyTUFSkipped          string
}

// measureScale runs every measurement on e: fresh clients for samples
// projects, a returning client after a publish in its shard and after one
// elsewhere, snapshot entries per shard, reps one-release pushes (publish,
// verify --since, the hook), and a full verify when full is set.
func measureScale(tb testing.TB, e *scaleEnv, samples, reps int, full bool) *scaleResult {
	tb.Helper()
	r := &scaleResult{}
	names := e.f.Projects
	var err error
	if r.Entries, err = e.shardEntries(); err != nil {
		tb.Fatal(err)
	}
	r.Planned = plannedEntries(names, e.bits, e.f.Spec.MaxPerIndex)

	// Fresh clients: each downloads a release it has never seen.
	for _, p := range sample(names, samples) {
		tp := layout.TargetPath(p, "1.0.0", p+"-1.0.0.tar.gz")
		ft, err := e.client(tb.TempDir(), p, tp)
		if err != nil {
			tb.Fatalf("fresh client for %s: %v", p, err)
		}
		r.Fresh = append(r.Fresh, ft)
	}

	if bound, ok, err := e.freshBound(r.Fresh); err != nil {
		tb.Fatal(err)
	} else if ok {
		r.FreshBound = bound
	}

	// Returning clients: two, in two shards, both up to date; one push to
	// the first one's shard.
	a := names[len(names)/3]
	b := ""
	for _, p := range names[len(names)/2:] {
		if layout.ShardOf(p, e.bits) != layout.ShardOf(a, e.bits) {
			b = p
			break
		}
	}
	if b == "" && e.bits > 0 {
		tb.Fatal("every project sits in one shard")
	}
	cacheA, cacheB := tb.TempDir(), tb.TempDir()
	tpA := layout.TargetPath(a, "1.0.0", a+"-1.0.0.tar.gz")
	if _, err := e.client(cacheA, a, tpA); err != nil {
		tb.Fatal(err)
	}
	if b != "" {
		if _, err := e.client(cacheB, b, layout.TargetPath(b, "1.0.0", b+"-1.0.0.tar.gz")); err != nil {
			tb.Fatal(err)
		}
	}

	// One-release pushes: the first to a's shard, then spread.
	stamp := time.Now().UnixNano()
	for i := 0; i < reps; i++ {
		p := a
		if i > 0 {
			p = names[(i*104729)%len(names)]
		}
		version := fmt.Sprintf("9.%d.%d", stamp%1000000, i)
		old, head, tp, err := e.pushRelease(p, version)
		if err != nil {
			tb.Fatal(err)
		}
		t0 := time.Now()
		rep, err := verify.Since(e.f.Repo, old, head, verify.Options{Now: time.Now()})
		if err != nil || !rep.Valid() {
			tb.Fatalf("verify --since: %v %v", err, rep.Problems)
		}
		r.Since = append(r.Since, time.Since(t0))
		g, err := gitstore.Open(e.f.Dir) // as each hook run does
		if err != nil {
			tb.Fatal(err)
		}
		t0 = time.Now()
		res, err := hook.Check(g, []hook.Update{{Old: old, New: head, Ref: "refs/heads/main"}}, hook.Policy{Protected: []string{"refs/heads/main"}}, verify.Options{Now: time.Now()})
		if err != nil || !res[0].Accepted {
			tb.Fatalf("hook: %v %+v", err, res)
		}
		r.Hook = append(r.Hook, time.Since(t0))
		g.Close()
		t0 = time.Now()
		pr, err := e.publish()
		if err != nil {
			tb.Fatal(err)
		}
		r.Publish = append(r.Publish, time.Since(t0))
		r.PublishRes = append(r.PublishRes, pr)
		if i == 0 {
			if r.InShard, err = e.client(cacheA, a, tp); err != nil {
				tb.Fatalf("returning client in the pushed shard: %v", err)
			}
			if b != "" {
				if r.Elsewhere, err = e.client(cacheB, b, layout.TargetPath(b, "1.0.0", b+"-1.0.0.tar.gz")); err != nil {
					tb.Fatalf("returning client in another shard: %v", err)
				}
			}
		}
	}

	if full {
		c0 := rusage.Self()
		busy0, all0 := machineCPU()
		t0 := time.Now()
		rep, err := verify.Commit(e.f.Repo, e.f.Head, verify.Options{Now: time.Now()})
		if err != nil || !rep.Valid() {
			tb.Fatalf("full verify: %v %v", err, rep.Problems)
		}
		r.VerifyWall, r.VerifyCPU, r.VerifyRoles = time.Since(t0), rusage.Self()-c0, rep.Stats.RolesChecked
		if busy1, all1 := machineCPU(); all1 > all0 {
			r.MachineBusy = (busy1 - busy0) / (all1 - all0) * float64(runtime.NumCPU())
		}
	}

	// tuf-js, when installed: a fresh download of one release.
	if dir := findTufJS(); dir == "" {
		r.TufJSSkipped = "tuf-js not installed (TUFGIT_TUFJS_DIR or ~/.cache/tufgit/node)"
	} else {
		p := r.Fresh[0].Project
		md, td := tb.TempDir(), tb.TempDir()
		os.WriteFile(filepath.Join(md, "root.json"), e.root, 0o644)
		script, _ := filepath.Abs("../../testdata/interop/tufjs-download.cjs")
		cmd := exec.Command("node", script, e.srv.URL+"/"+e.shardMetaPath(p), e.srv.URL+"/targets", md, td, layout.TargetPath(p, "1.0.0", p+"-1.0.0.tar.gz"))
		cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("tuf-js: %v: %s", err, out)
		}
		r.TufJS = time.Since(t0)
	}

	// python-tuf 5.1 (testdata/python-tuf/install.sh), when installed.
	if site := findPythonTUF(); site == "" {
		r.PyTUFSkipped = "python-tuf not installed (testdata/python-tuf/install.sh, TUFGIT_PYTHON_DIR)"
	} else {
		p := r.Fresh[0].Project
		md, td := tb.TempDir(), tb.TempDir()
		os.WriteFile(filepath.Join(md, "root.json"), e.root, 0o644)
		script, _ := filepath.Abs("../../testdata/python-tuf/download.py")
		py := os.Getenv("TUFGIT_PYTHON")
		if py == "" {
			py = "/usr/bin/python3"
		}
		cmd := exec.Command(py, script, e.srv.URL+"/"+e.shardMetaPath(p)+"/", e.srv.URL+"/targets/", md, td, layout.TargetPath(p, "1.0.0", p+"-1.0.0.tar.gz"))
		cmd.Env = append(os.Environ(), "PYTHONPATH="+site, "PYTHONDONTWRITEBYTECODE=1")
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("python-tuf: %v: %s", err, out)
		}
		r.PyTUF = time.Since(t0)
	}
	return r
}

// findPythonTUF is the dist-packages directory holding python-tuf, or "".
func findPythonTUF() string {
	dir := os.Getenv("TUFGIT_PYTHON_DIR")
	if dir == "" {
		dir = filepath.Join(os.Getenv("HOME"), ".cache", "tufgit", "python")
	}
	site := filepath.Join(dir, "usr", "lib", "python3", "dist-packages")
	if !fileExists(filepath.Join(site, "tuf", "ngclient", "updater.py")) {
		return ""
	}
	return site
}

// machineCPU reads /proc/stat's busy and total jiffies of all CPUs: the
// whole machine, so it counts git cat-file (and any other job) too.
func machineCPU() (busy, total float64) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	for i, x := range f[1:] {
		var v float64
		fmt.Sscan(x, &v)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}

// findTufJS is a directory whose node_modules holds tuf-js, or "".
func findTufJS() string {
	for _, d := range []string{os.Getenv("TUFGIT_TUFJS_DIR"), filepath.Join(os.Getenv("HOME"), ".cache", "tufgit", "node")} {
		if d != "" && fileExists(filepath.Join(d, "node_modules", "tuf-js", "package.json")) {
			if _, err := exec.LookPath("node"); err == nil {
				return d
			}
		}
	}
	return ""
}

// The measurements' code path at N = 200 and 4 shards, with the shape of
// the goals: a shard's snapshot lists its own roles and exactly
// the plan's count; a fresh client fetches root, timestamp, snapshot,
// targets and its path and nothing of another shard; a returning client
// fetches timestamp, snapshot and the pushed role after a publish in its
// shard, and only timestamp after one elsewhere; a one-release publish
// re-signs one shard.
func TestScaleShape(t *testing.T) {
	const n, bits = 200, 2
	e := openScale(t, t.TempDir(), n, bits)
	r := measureScale(t, e, 8, 2, true)

	if !slices.Equal(r.Entries, r.Planned) {
		t.Errorf("snapshot entries per shard %v, the plan says %v", r.Entries, r.Planned)
	}
	if sum := 0; true {
		for _, x := range r.Entries {
			sum += x - 1 - 36
		}
		if sum != n {
			t.Errorf("the shards' snapshots list %d projects, want %d", sum, n)
		}
	}
	for _, ft := range r.Fresh {
		var want int64 = int64(len(e.root))
		rel := e.shardMetaPath(ft.Project)
		for _, name := range ft.Files {
			fi, err := os.Stat(filepath.Join(e.mirror, rel, name))
			if err != nil {
				t.Fatal(err)
			}
			want += fi.Size()
		}
		if ft.Meta != want {
			t.Errorf("%s: counted %d bytes, the files are %d", ft.Project, ft.Meta, want)
		}
		roles := map[string]bool{}
		for _, name := range ft.Files {
			role, _, _ := splitName(name)
			roles[role] = true
		}
		for _, must := range []string{"timestamp", "snapshot", "targets", ft.Project} {
			if !roles[must] {
				t.Errorf("fresh client of %s fetched %v, without %s", ft.Project, ft.Files, must)
			}
		}
		if ft.Below < 2 || ft.Below > 4 {
			t.Errorf("fresh client of %s walked %d roles below targets (%v), want 2 to 4", ft.Project, ft.Below, ft.Files)
		}
	}
	t.Logf("tuf-js %v %s; python-tuf %v %s; fresh bound %d B", r.TufJS, r.TufJSSkipped, r.PyTUF, r.PyTUFSkipped, r.FreshBound)
	if r.FreshBound == 0 {
		t.Error("no bound on fresh clients' bytes: the fixture's index roles split")
	}
	for _, ft := range r.Fresh {
		if ft.Meta > r.FreshBound {
			t.Errorf("fresh client of %s fetched %d bytes, above the bound %d", ft.Project, ft.Meta, r.FreshBound)
		}
	}
	if got := r.Elsewhere.Files; !slices.Equal(got, []string{"timestamp.json"}) {
		t.Errorf("after a publish in another shard a returning client fetched %v, want timestamp.json alone", got)
	}
	var roles []string
	for _, name := range r.InShard.Files {
		role, _, _ := splitName(name)
		roles = append(roles, role)
	}
	slices.Sort(roles)
	pushed := e.f.Projects[n/3]
	if want := []string{pushed, "snapshot", "timestamp"}; !slices.Equal(roles, want) {
		t.Errorf("after a publish in its shard a returning client fetched %v, want %v", r.InShard.Files, want)
	}
	if _, freshMax := stats(fetchBytes(r.Fresh)); r.InShard.Meta >= freshMax || r.Elsewhere.Meta >= r.InShard.Meta {
		t.Errorf("returning %d B (in shard), %d B (elsewhere), fresh up to %d B: want elsewhere < in shard < fresh", r.InShard.Meta, r.Elsewhere.Meta, freshMax)
	}
	for _, res := range r.PublishRes {
		if res.Full || res.Shards != 1 {
			t.Errorf("a one-release publish: %+v, want one shard re-signed", res)
		}
	}
	if r.VerifyRoles < n {
		t.Errorf("full verify checked %d roles, want at least %d", r.VerifyRoles, n)
	}
}

func fetchBytes(fs []fetch) []int64 {
	out := make([]int64, len(fs))
	for i, f := range fs {
		out[i] = f.Meta
	}
	return out
}
