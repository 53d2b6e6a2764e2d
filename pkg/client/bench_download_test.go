package client_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/client"
)

// BenchmarkDownloadArtifact: a fresh client downloads one release of one
// artifact of 1 MB, 100 MB and (unless -short) 1 GB over HTTP on
// 127.0.0.1, through the release API (Init, Open, Download). It reports
// the peak of the Go heap above what it was before the download
// (peak-heap-B), sampled every millisecond, beside the bytes allocated
// (B/op), and the test process's peak resident set. The artifact is a sparse file of zeros made on the spot (never
// committed), served by net/http; its hashes are computed by streaming.
// Sizes to run: TUFGIT_BENCH_SIZES (in MB, comma-separated).
func BenchmarkDownloadArtifact(b *testing.B) {
	sizes := []int64{1, 100, 1024}
	if testing.Short() {
		sizes = sizes[:2]
	}
	if env := os.Getenv("TUFGIT_BENCH_SIZES"); env != "" {
		sizes = nil
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				b.Fatalf("TUFGIT_BENCH_SIZES: %v", err)
			}
			sizes = append(sizes, n)
		}
	}
	for _, mb := range sizes {
		b.Run(fmt.Sprintf("MB=%d", mb), func(b *testing.B) {
			r := newTUFRepo(b, true)
			r.delegate("targets", "big", []string{"big/*/*"}, true)
			tp := "big/1.0.0/big-1.0.0.bin"
			r.role("big").Signed.Targets[tp] = sparseTarget(b, r, tp, mb<<20)
			r.publish()
			b.SetBytes(mb << 20)
			b.ReportAllocs()
			var peak uint64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dir := b.TempDir()
				if err := client.Init(filepath.Join(dir, "client"), r.url, r.rootRaw); err != nil {
					b.Fatal(err)
				}
				c, err := client.Open(filepath.Join(dir, "client"))
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				stop := sampleHeap()
				b.StartTimer()
				if _, err := c.Download("big", "1.0.0", filepath.Join(dir, "out")); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				peak = max(peak, stop())
				os.RemoveAll(dir)
				b.StartTimer()
			}
			b.ReportMetric(float64(peak), "peak-heap-B")
			if hwm := peakRSS(); hwm > 0 {
				// The whole test process's peak (one size per process to
				// compare sizes: -bench 'DownloadArtifact/MB=100$').
				b.ReportMetric(float64(hwm), "process-peak-RSS-B")
			}
		})
	}
}

// sparseTarget makes a sparse file of n zero bytes on r's mirror, under
// every name a client may ask for it by, and returns its target entry.
func sparseTarget(b *testing.B, r *tufRepo, tp string, n int64) *metadata.TargetFiles {
	b.Helper()
	p := filepath.Join(r.dir, "targets", filepath.FromSlash(tp))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Truncate(n); err != nil {
		b.Fatal(err)
	}
	h256, h512 := sha256.New(), sha512.New()
	if _, err := io.Copy(io.MultiWriter(h256, h512), f); err != nil {
		b.Fatal(err)
	}
	f.Close()
	tf := metadata.TargetFile()
	tf.Path, tf.Length = tp, n
	tf.Hashes = metadata.Hashes{"sha256": h256.Sum(nil), "sha512": h512.Sum(nil)}
	dir, base := path.Split(tp)
	for _, h := range tf.Hashes {
		if err := os.Link(p, filepath.Join(r.dir, "targets", filepath.FromSlash(dir), fmt.Sprintf("%x.%s", []byte(h), base))); err != nil {
			b.Fatal(err)
		}
	}
	return tf
}

// peakRSS is this process's peak resident set (VmHWM), or 0.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}

// sampleHeap samples the live heap every millisecond until the returned
// function is called; that returns the peak above the first sample.
func sampleHeap() func() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(s); return s[0].Value.Uint64() }
	base := read()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := read(); v > base && v-base > peak {
				peak = v - base
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak }
}

// BenchmarkDownloadArtifactProcess: the same download by whole processes,
// on the same repository and server, each under /usr/bin/time: tufgit's
// CLI (`tufgit download`, built for the benchmark) and python-tuf 5.1
// (testdata/python-tuf/download.py; install it with
// testdata/python-tuf/install.sh). It reports each process's peak
// resident set (peak-RSS-B) and wall time (s/op is the benchmark's own).
// Sizes as BenchmarkDownloadArtifact.
func BenchmarkDownloadArtifactProcess(b *testing.B) {
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		b.Skip("needs /usr/bin/time (Debian package time)")
	}
	sizes := []int64{1, 100, 1024}
	if testing.Short() {
		sizes = sizes[:2]
	}
	if env := os.Getenv("TUFGIT_BENCH_SIZES"); env != "" {
		sizes = nil
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				b.Fatalf("TUFGIT_BENCH_SIZES: %v", err)
			}
			sizes = append(sizes, n)
		}
	}
	bin := filepath.Join(b.TempDir(), "tufgit")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/tufgit").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	home, _ := os.UserHomeDir()
	pyDir := os.Getenv("TUFGIT_PYTHON_DIR")
	if pyDir == "" {
		pyDir = filepath.Join(home, ".cache", "tufgit", "python")
	}
	site := filepath.Join(pyDir, "usr", "lib", "python3", "dist-packages")
	script, _ := filepath.Abs("../../testdata/python-tuf/download.py")
	for _, mb := range sizes {
		r := newTUFRepo(b, true)
		r.delegate("targets", "big", []string{"big/*/*"}, true)
		tp := "big/1.0.0/big-1.0.0.bin"
		r.role("big").Signed.Targets[tp] = sparseTarget(b, r, tp, mb<<20)
		r.publish()
		rootFile := filepath.Join(b.TempDir(), "root.json")
		os.WriteFile(rootFile, r.rootRaw, 0o644)
		peers := map[string]func(dir string) *exec.Cmd{
			"tufgit": func(dir string) *exec.Cmd {
				cd := filepath.Join(dir, "client")
				if out, err := exec.Command(bin, "client", "init", "--mirror", r.url, "--root", rootFile, "--client-dir", cd).CombinedOutput(); err != nil {
					b.Fatalf("client init: %v\n%s", err, out)
				}
				return exec.Command(bin, "download", "big", "1.0.0", "--client-dir", cd, "-o", filepath.Join(dir, "out"))
			},
			"python-tuf": func(dir string) *exec.Cmd {
				if _, err := os.Stat(filepath.Join(site, "tuf", "ngclient")); err != nil {
					return nil
				}
				md, td := filepath.Join(dir, "md"), filepath.Join(dir, "t")
				os.MkdirAll(md, 0o755)
				os.MkdirAll(td, 0o755)
				os.WriteFile(filepath.Join(md, "root.json"), r.rootRaw, 0o644)
				c := exec.Command("/usr/bin/python3", script, r.url+"/metadata/", r.url+"/targets/", md, td, tp)
				c.Env = append(os.Environ(), "PYTHONPATH="+site, "PYTHONDONTWRITEBYTECODE=1")
				return c
			},
		}
		for _, peer := range []string{"tufgit", "python-tuf"} {
			b.Run(fmt.Sprintf("MB=%d/peer=%s", mb, peer), func(b *testing.B) {
				var rss int64
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					dir := b.TempDir()
					cmd := peers[peer](dir)
					if cmd == nil {
						b.Skip("python-tuf not installed (testdata/python-tuf/install.sh)")
					}
					timed := exec.Command("/usr/bin/time", append([]string{"-f", "peak-rss-kb=%M", "-o", filepath.Join(dir, "time")}, cmd.Args...)...)
					timed.Env = cmd.Env
					b.StartTimer()
					if out, err := timed.CombinedOutput(); err != nil {
						b.Fatalf("%s: %v\n%s", peer, err, out)
					}
					b.StopTimer()
					t, _ := os.ReadFile(filepath.Join(dir, "time"))
					var kb int64
					for _, line := range strings.Split(string(t), "\n") {
						if v, ok := strings.CutPrefix(line, "peak-rss-kb="); ok {
							kb, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
						}
					}
					rss = max(rss, kb<<10)
					os.RemoveAll(dir)
					b.StartTimer()
				}
				b.ReportMetric(float64(rss), "peak-RSS-B")
			})
		}
	}
}
