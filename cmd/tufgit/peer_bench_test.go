package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

// The side-by-side benchmarks against python-tuf 5.1 (`make bench-peer`):
// on the same generated tree, whole-process CPU time and peak memory of
// tufgit and of a python-tuf script doing the peer's share of the work,
// and their ratio. They need python-tuf (testdata/python-tuf; PYTHONPATH
// or TUFGIT_PYTHONPATH) and skip without it, since they are measurements,
// not tests.
//
// Sizes: TUFGIT_PEER_SIZES (default 1000,10000). Generated trees are kept
// in TUFGIT_BENCH_CACHE (default the user cache dir, tufgit/bench), since
// generating 100,000 projects takes minutes; they are deterministic, so a
// kept tree is the tree that would be generated.

func peerSizes(b *testing.B) []int {
	s := os.Getenv("TUFGIT_PEER_SIZES")
	if s == "" {
		s = "1000,10000"
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			b.Fatalf("TUFGIT_PEER_SIZES: %q is not a size", f)
		}
		out = append(out, n)
	}
	return out
}

// peerPython returns the python3 command with python-tuf importable, or
// skips.
func peerPython(b *testing.B) []string {
	env := os.Environ()
	if p := os.Getenv("TUFGIT_PYTHONPATH"); p != "" {
		env = append(env, "PYTHONPATH="+p)
	} else if os.Getenv("PYTHONPATH") == "" {
		if home, err := os.UserCacheDir(); err == nil {
			env = append(env, "PYTHONPATH="+filepath.Join(home, "tufgit/python/usr/lib/python3/dist-packages"))
		}
	}
	cmd := exec.Command("python3", "-c", "import tuf; assert tuf.__version__.startswith('5.'), tuf.__version__")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("python-tuf 5 is not importable (see testdata/python-tuf): %v: %s", err, out)
	}
	return env
}

var peerBinary string

// peerTufgit builds the shipped binary (no test seams) once, or takes
// TUFGIT_PEER_BIN (another build, e.g. an older commit's, for a before and
// after on the same trees).
func peerTufgit(b *testing.B) string {
	if peerBinary != "" {
		return peerBinary
	}
	if bin := os.Getenv("TUFGIT_PEER_BIN"); bin != "" {
		peerBinary = bin
		return bin
	}
	dir, err := os.MkdirTemp("", "tufgit-peer-bin-")
	if err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(dir, "tufgit")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v: %s", err, out)
	}
	peerBinary = bin
	return bin
}

// peerFixture returns a packed repository of n projects, kept between runs,
// the directory its metadata/ is exported to, and its head commit.
func peerFixture(b *testing.B, n int) (repoDir, exported, head string) {
	cache := os.Getenv("TUFGIT_BENCH_CACHE")
	if cache == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			b.Fatal(err)
		}
		cache = filepath.Join(d, "tufgit", "bench")
	}
	top := filepath.Join(cache, fmt.Sprintf("projects-%d", n))
	repoDir, exported = filepath.Join(top, "repo.git"), filepath.Join(top, "export")
	if h, err := os.ReadFile(filepath.Join(top, "complete")); err == nil {
		return repoDir, exported, strings.TrimSpace(string(h))
	}
	os.RemoveAll(top)
	start := time.Now()
	f, err := repotest.Generate(repoDir, repotest.Spec{Projects: n, Releases: 1})
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Pack(); err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(exported, 0o755); err != nil {
		b.Fatal(err)
	}
	sh := fmt.Sprintf("git --git-dir %q archive %s metadata | tar -x -C %q", repoDir, f.Head, exported)
	if out, err := exec.Command("sh", "-c", sh).CombinedOutput(); err != nil {
		b.Fatalf("exporting metadata: %v: %s", err, out)
	}
	if err := os.WriteFile(filepath.Join(top, "complete"), []byte(f.Head.String()+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d projects in %s", n, time.Since(start).Round(time.Second))
	return repoDir, exported, f.Head.String()
}

// usage is what a finished process cost.
type usage struct {
	cpu    time.Duration
	maxRSS int64 // bytes
	out    string
	wall   time.Duration // set by timed
}

func run(b *testing.B, env []string, dir string, okCodes []int, name string, args ...string) usage {
	// GNU time measures the child: Go starts processes with vfork, and a
	// vforked child's peak RSS counts the parent's memory (the benchmark's
	// own), so ProcessState's Maxrss is not the child's alone.
	stats, err := os.CreateTemp("", "tufgit-peer-time-")
	if err != nil {
		b.Fatal(err)
	}
	stats.Close()
	defer os.Remove(stats.Name())
	cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M %U %S", "-o", stats.Name(), name}, args...)...)
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		b.Fatalf("%s: %v (GNU time is needed at /usr/bin/time)", name, err)
	}
	ok := false
	for _, c := range okCodes {
		ok = ok || c == code
	}
	if !ok {
		b.Fatalf("%s %s: exit %d: %s", name, strings.Join(args, " "), code, lastLines(string(out), 20))
	}
	u := readGNUTime(b, stats.Name())
	u.out = string(out)
	return u
}

// readGNUTime reads what GNU time wrote with -f "%M %U %S".
func readGNUTime(b *testing.B, path string) usage {
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var kb int64
	var user, sys float64
	// The last line: GNU time prefixes a note when the command exits non-zero.
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if _, err := fmt.Sscanf(lines[len(lines)-1], "%d %f %f", &kb, &user, &sys); err != nil {
		b.Fatalf("GNU time output %q: %v", raw, err)
	}
	return usage{
		cpu:    time.Duration((user + sys) * float64(time.Second)),
		maxRSS: kb * 1024,
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// BenchmarkPeerVerify: `tufgit verify` (every role, signature, layout rule
// and artifact) against python-tuf's verify_delegate on every role of the
// same tree (testdata/python-tuf/bench_verify.py).
func BenchmarkPeerVerify(b *testing.B) {
	env := peerPython(b)
	bin := peerTufgit(b)
	script, err := filepath.Abs("../../testdata/python-tuf/bench_verify.py")
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range peerSizes(b) {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			repoDir, exported, head := peerFixture(b, n)
			var tg, py usage
			var roles int
			for i := 0; i < b.N; i++ {
				// The fixture's clock: nothing has expired then.
				tg = run(b, env, repoDir, []int{0}, bin, "verify", "--at", "2026-01-02T00:00:00Z", head)
				py = run(b, env, "", []int{0}, "python3", script, filepath.Join(exported, "metadata"))
				roles = parseRoles(b, py.out)
			}
			reportPeer(b, tg, py, roles)
		})
	}
}

func parseRoles(b *testing.B, out string) int {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		for _, f := range strings.Fields(sc.Text()) {
			if v, ok := strings.CutPrefix(f, "roles="); ok {
				n, err := strconv.Atoi(v)
				if err == nil {
					return n
				}
			}
		}
	}
	b.Fatalf("no roles= in the peer's output: %s", out)
	return 0
}

func reportPeer(b *testing.B, tg, py usage, roles int) {
	b.ReportMetric(tg.cpu.Seconds(), "tufgit-cpu-s")
	b.ReportMetric(py.cpu.Seconds(), "python-cpu-s")
	b.ReportMetric(tg.cpu.Seconds()/py.cpu.Seconds(), "ratio")
	b.ReportMetric(float64(tg.maxRSS)/(1<<20), "tufgit-peak-MB")
	b.ReportMetric(float64(py.maxRSS)/(1<<20), "python-peak-MB")
	if roles > 0 {
		b.ReportMetric(float64(tg.cpu.Microseconds())/float64(roles), "tufgit-µs/role")
		b.ReportMetric(float64(py.cpu.Microseconds())/float64(roles), "python-µs/role")
	}
}

// BenchmarkPeerPublish: an incremental `tufgit publish` after a push that
// added one release to one project, against python-tuf writing the same
// files (testdata/python-tuf/bench_publish.py: the artifact once per hash,
// the role, a re-signed snapshot listing every role, a timestamp), both
// whole-process CPU. tufgit's figure also verifies the push and, in the
// "ui" run, renders the web UI of what changed; the ratio is taken without
// the UI, which python-tuf has no counterpart for. Sizes:
// TUFGIT_PEER_PUBLISH_SIZES (default 1000,10000; the trees are generated
// in the run).
func BenchmarkPeerPublish(b *testing.B) {
	env := peerPython(b)
	bin := peerTufgit(b)
	script, err := filepath.Abs("../../testdata/python-tuf/bench_publish.py")
	if err != nil {
		b.Fatal(err)
	}
	sizes := os.Getenv("TUFGIT_PEER_PUBLISH_SIZES")
	if sizes == "" {
		sizes = "1000,10000"
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			b.Fatalf("TUFGIT_PEER_PUBLISH_SIZES: %q", s)
		}
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			f, err := repotest.Generate(filepath.Join(dir, "repo.git"), repotest.Spec{Projects: n, Now: time.Now().UTC().Truncate(time.Second)})
			if err != nil {
				b.Fatal(err)
			}
			if err := f.Pack(); err != nil {
				b.Fatal(err)
			}
			mirror := filepath.Join(dir, "mirror")
			if _, err := f.Publish(mirror, false); err != nil {
				b.Fatal(err)
			}
			penv := append(env, "TUFGIT_PASSPHRASE=pw")
			var tg, tgUI, py usage
			for i := 0; i < b.N; i++ {
				for _, ui := range []bool{false, true} {
					prev := filepath.Join(dir, fmt.Sprintf("prev-%d-%v", i, ui))
					copyPrevState(b, filepath.Join(mirror, "metadata"), prev)
					role, artifact := peerRelease(b, f, dir, fmt.Sprintf("9.%d.%d", i, boolInt(ui)))
					args := []string{"publish", "--repo", f.Dir, f.Head.String(), "--online-key", filepath.Join(dir, "online.key"), "--mirror", mirror}
					if !ui {
						args = append(args, "--no-ui")
						tg = run(b, penv, dir, []int{0}, bin, args...)
						py = run(b, env, "", []int{0}, "python3", script, prev, role, artifact, filepath.Join(dir, fmt.Sprintf("py-%d", i)))
					} else {
						tgUI = run(b, penv, dir, []int{0}, bin, args...)
					}
				}
			}
			b.ReportMetric(tg.cpu.Seconds(), "tufgit-cpu-s")
			b.ReportMetric(tgUI.cpu.Seconds(), "tufgit-ui-cpu-s")
			b.ReportMetric(py.cpu.Seconds(), "python-cpu-s")
			b.ReportMetric(tg.cpu.Seconds()/py.cpu.Seconds(), "ratio")
			b.ReportMetric(float64(tg.cpu.Microseconds())/float64(n), "tufgit-µs/project")
			b.ReportMetric(float64(py.cpu.Microseconds())/float64(n), "python-µs/project")
			b.ReportMetric(float64(tg.maxRSS)/(1<<20), "tufgit-peak-MB")
			b.ReportMetric(float64(tgUI.maxRSS)/(1<<20), "tufgit-ui-peak-MB")
			b.ReportMetric(float64(py.maxRSS)/(1<<20), "python-peak-MB")
		})
	}
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// copyPrevState copies the mirror's timestamp and the snapshot it names:
// the state python-tuf's publish starts from.
func copyPrevState(b *testing.B, md, to string) {
	if err := os.MkdirAll(to, 0o755); err != nil {
		b.Fatal(err)
	}
	ts, err := os.ReadFile(filepath.Join(md, "timestamp.json"))
	if err != nil {
		b.Fatal(err)
	}
	var doc struct {
		Signed struct {
			Meta map[string]struct {
				Version int64 `json:"version"`
			} `json:"meta"`
		} `json:"signed"`
	}
	if err := json.Unmarshal(ts, &doc); err != nil {
		b.Fatal(err)
	}
	snapName := fmt.Sprintf("%d.snapshot.json", doc.Signed.Meta["snapshot.json"].Version)
	snap, err := os.ReadFile(filepath.Join(md, snapName))
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(to, "timestamp.json"), ts, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(to, snapName), snap, 0o644); err != nil {
		b.Fatal(err)
	}
}

// peerRelease commits a release of a 4 KB artifact to one project and
// returns the new role file and the artifact, written out for the peer.
func peerRelease(b *testing.B, f *repotest.Fixture, dir, version string) (roleFile, artifactFile string) {
	p := f.Projects[len(f.Projects)/2]
	data := repotest.Artifact(p, version, 4096)
	name := p + "-" + version + ".tar.gz"
	tp := layout.TargetPath(p, version, name)
	tf, err := metadata.TargetFile().FromBytes(tp, data, "sha256", "sha512")
	if err != nil {
		b.Fatal(err)
	}
	role, err := f.Resign(p, func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Targets[tp] = tf }, f.ProjectKeys[p]...)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.Commit("release "+version, role, gitstore.FileChange{Path: layout.ArtifactPath(fmt.Sprintf("%x", []byte(tf.Hashes["sha256"]))), Data: data}); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, "peer-"+version)
	if err := os.MkdirAll(out, 0o755); err != nil {
		b.Fatal(err)
	}
	roleFile, artifactFile = filepath.Join(out, p+".json"), filepath.Join(out, name)
	if err := os.WriteFile(roleFile, role.Data, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(artifactFile, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return roleFile, artifactFile
}
