package client_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"io"
	"os"
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
