package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkArtifactProcessMemory: the peak resident set of each tufgit
// process an artifact of 1 MB, 100 MB and 1 GB goes through, measured
// whole (GNU time's %M, as the peer benchmarks do): `release add` in a
// clone, the pre-receive hook as git runs it on a real push to the bare
// server repository (the push's objects in quarantine), `publish` to a directory mirror (web UI on, as post-receive runs it), and `download`
// by a fresh client from `tufgit serve` on 127.0.0.1. The artifact is
// pseudo-random (zlib cannot shrink it), generated in a temporary
// directory and deleted after. Metrics are in MB.
//
// Sizes in MB: TUFGIT_BENCH_SIZES (default 1,100,1024; -short drops 1 GB,
// which needs about 9 GB of free disk). TUFGIT_PEER_BIN measures another
// build (e.g. an older commit's, for a before and after). Run with
// `make bench-artifacts`.
func BenchmarkArtifactProcessMemory(b *testing.B) {
	sizes := []int64{1, 100, 1024}
	if testing.Short() {
		sizes = sizes[:2]
	}
	if env := os.Getenv("TUFGIT_BENCH_SIZES"); env != "" {
		sizes = nil
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil || n < 1 {
				b.Fatalf("TUFGIT_BENCH_SIZES: %q is not a size in MB", f)
			}
			sizes = append(sizes, n)
		}
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		b.Skip("GNU time is needed at /usr/bin/time (Debian package time)")
	}
	bin := peerTufgit(b)
	for _, mb := range sizes {
		b.Run(fmt.Sprintf("MB=%d", mb), func(b *testing.B) {
			var add, hook, pub, dl usage
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				add, hook, pub, dl = artifactJourney(b, bin, mb<<20)
				b.StartTimer()
			}
			b.ReportMetric(float64(add.maxRSS)/1e6, "add-RSS-MB")
			b.ReportMetric(float64(hook.maxRSS)/1e6, "hook-RSS-MB")
			b.ReportMetric(float64(pub.maxRSS)/1e6, "publish-RSS-MB")
			b.ReportMetric(float64(dl.maxRSS)/1e6, "download-RSS-MB")
			b.ReportMetric(add.wall.Seconds(), "add-s")
			b.ReportMetric(hook.wall.Seconds(), "push-s")
			b.ReportMetric(pub.wall.Seconds(), "publish-s")
			b.ReportMetric(dl.wall.Seconds(), "download-s")
		})
	}
}

// artifactJourney takes one artifact of size bytes from release add to
// download, each step a measured process, in a temporary directory it
// removes.
func artifactJourney(b *testing.B, bin string, size int64) (add, hook, pub, dl usage) {
	dir, err := os.MkdirTemp("", "tufgit-artifact-bench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	env := append(os.Environ(), "HOME="+dir, "GIT_CONFIG_NOSYSTEM=1", "TUFGIT_PASSPHRASE=bench",
		"GIT_AUTHOR_NAME=Bench", "GIT_AUTHOR_EMAIL=bench@example.org",
		"GIT_COMMITTER_NAME=Bench", "GIT_COMMITTER_EMAIL=bench@example.org")
	sh := func(wd, name string, args ...string) string {
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = wd, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, lastLines(string(out), 20))
		}
		return strings.TrimSpace(string(out))
	}
	for _, k := range []string{"admin", "online", "alice"} {
		sh(dir, bin, "key", "generate", "--out", k)
	}
	art := filepath.Join(dir, "big-1.0.0.bin")
	writeRandom(b, art, size)
	sh(dir, bin, "init", "seed", "--root-key", "admin.key", "--targets-key", "admin.key", "--online-key", "online.pub")
	sh(dir, "git", "clone", "-q", "--bare", "seed", "server.git")
	sh(dir, "git", "clone", "-q", "server.git", "work")
	work := filepath.Join(dir, "work")
	sh(work, bin, "project", "create", "big", "--maintainer", "../alice.pub", "--key", "../admin.key")
	sh(work, "git", "push", "-q", "origin", "main")

	add = timed(b, env, work, bin, "release", "add", "big", "1.0.0", art, "--key", "../alice.key")
	// A real push: git runs the pre-receive hook on the quarantined
	// objects; GNU time around the hook measures its process alone.
	server := filepath.Join(dir, "server.git")
	stats := filepath.Join(dir, "hook.time")
	script := fmt.Sprintf("#!/bin/sh\nexec /usr/bin/time -f '%%M %%U %%S' -o '%s' '%s' hook pre-receive\n", stats, bin)
	if err := os.WriteFile(filepath.Join(server, "hooks", "pre-receive"), []byte(script), 0o755); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	sh(work, "git", "push", "-q", "origin", "main")
	hook = readGNUTime(b, stats)
	hook.wall = time.Since(start)
	pub = timed(b, env, dir, bin, "publish", "--repo", "server.git", "--online-key", "online.key", "--mirror", "mirror")

	addr := freeAddr(b)
	srv := exec.Command(bin, "serve", "mirror", "--addr", addr)
	srv.Dir, srv.Env = dir, env
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	sh(dir, bin, "client", "init", "--mirror", "http://"+addr, "--root", "seed/metadata/root_history/1.root.json", "--client-dir", "cl")
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			b.Fatalf("tufgit serve did not listen on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	dl = timed(b, env, dir, bin, "download", "big", "1.0.0", "--client-dir", "cl", "-o", "out")
	if fi, err := os.Stat(filepath.Join(dir, "out", "big-1.0.0.bin")); err != nil || fi.Size() != size {
		b.Fatalf("downloaded file: %v, %v", fi, err)
	}
	return add, hook, pub, dl
}

// timed runs a measured process and records its wall time.
func timed(b *testing.B, env []string, dir, name string, args ...string) usage {
	start := time.Now()
	u := run(b, env, dir, []int{0}, name, args...)
	u.wall = time.Since(start)
	return u
}

// writeRandom writes size pseudo-random bytes to p, a buffer at a time.
func writeRandom(b *testing.B, p string, size int64) {
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r := rand.NewChaCha8([32]byte{1})
	if _, err := io.CopyN(f, r, size); err != nil {
		b.Fatal(err)
	}
}

func freeAddr(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
