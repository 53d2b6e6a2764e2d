package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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

// peerTufgit builds the shipped binary (no test seams) once.
func peerTufgit(b *testing.B) string {
	if peerBinary != "" {
		return peerBinary
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
}

func run(b *testing.B, env []string, dir string, okCodes []int, name string, args ...string) usage {
	cmd := exec.Command(name, args...)
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	ok := false
	for _, c := range okCodes {
		ok = ok || c == code
	}
	if !ok {
		b.Fatalf("%s %s: exit %d: %s", name, strings.Join(args, " "), code, lastLines(string(out), 20))
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return usage{
		cpu:    time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		maxRSS: ru.Maxrss * 1024,
		out:    string(out),
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
