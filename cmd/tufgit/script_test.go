package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tufgit/tufgit/cmd/tufgit/cli"
	"github.com/tufgit/tufgit/pkg/publish"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tufgit": func() { os.Exit(testMain()) },
	})
}

// The test binary's seams. They live here, in a _test.go file, so that the
// shipped binary reads no such variable (TestNoTestSeamsInRelease).
const (
	// envTestTime fixes the clock of init, changes, verify, the hook,
	// publish and ui build: an RFC 3339 time, or an offset from now such
	// as -72h. The downloader ignores it.
	envTestTime = "TUFGIT_TEST_TIME"
	// envTestCrashAfterWrites makes publish die abruptly (exit 137, as if
	// killed) after that many mirror writes.
	envTestCrashAfterWrites = "TUFGIT_TEST_CRASH_AFTER_WRITES"
	// envTestBlockMirror makes publish's first mirror write create the
	// file it names and then hang, as a stalled S3 upload does, until the
	// command's context is cancelled (Ctrl-C).
	envTestBlockMirror = "TUFGIT_TEST_BLOCK_MIRROR"
)

// testMain is tufgit as scripts run it: the real CLI, with the test seams
// set from the environment.
func testMain() int {
	registerFakeKMS()
	io := cli.SystemIO()
	if v := os.Getenv(envTestTime); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if d, derr := time.ParseDuration(v); err != nil && derr == nil && (v[0] == '-' || v[0] == '+') {
			t, err = time.Now().Add(d), nil
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", envTestTime, err)
			return 1
		}
		io.Clock = func() time.Time { return t }
	}
	if v := os.Getenv(envTestCrashAfterWrites); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "%s: want a count, got %q\n", envTestCrashAfterWrites, v)
			return 1
		}
		io.WrapMirror = func(m publish.Mirror) publish.Mirror { return &crashingMirror{Mirror: m, left: n} }
	}
	if v := os.Getenv(envTestBlockMirror); v != "" {
		io.WrapMirror = func(m publish.Mirror) publish.Mirror { return &blockingMirror{Mirror: m, signal: v} }
	}
	ctx, stop := cli.SignalContext()
	defer stop()
	return cli.Run(ctx, os.Args[1:], io)
}

// blockingMirror hangs on its first write until the context ends.
type blockingMirror struct {
	publish.Mirror
	signal string
}

func (m *blockingMirror) Write(ctx context.Context, name string, data []byte) error {
	if err := os.WriteFile(m.signal, []byte(name), 0o644); err != nil {
		return err
	}
	<-ctx.Done()
	return fmt.Errorf("write %s: %w", name, ctx.Err())
}

type crashingMirror struct {
	publish.Mirror
	left int
}

func (m *crashingMirror) Write(ctx context.Context, name string, data []byte) error {
	if m.left == 0 {
		os.Exit(137)
	}
	m.left--
	return m.Mirror.Write(ctx, name, data)
}

func (m *crashingMirror) WriteFrom(ctx context.Context, name string, r io.Reader, check func() error) error {
	if m.left == 0 {
		os.Exit(137)
	}
	m.left--
	return m.Mirror.WriteFrom(ctx, name, r, check)
}

// TestNoTestSeamsInRelease: no source file that goes into the shipped
// binary (every non-test .go file of the module) names a TUFGIT_TEST_
// variable, and neither does the binary built from them.
func TestNoTestSeamsInRelease(t *testing.T) {
	root := filepath.Join("..", "..")
	var files int
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		files++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte("TUFGIT_TEST_")) {
			t.Errorf("%s names a TUFGIT_TEST_ variable: move the seam into a _test.go file", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("only %d non-test Go files found under %s: the walk is broken", files, root)
	}
	if testing.Short() {
		return
	}
	bin := filepath.Join(t.TempDir(), "tufgit")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("TUFGIT_PASSPHRASE")) {
		t.Fatal("the built binary does not contain TUFGIT_PASSPHRASE: the strings check is broken")
	}
	if i := bytes.Index(data, []byte("TUFGIT_TEST_")); i >= 0 {
		t.Errorf("the built binary contains %q", data[i:min(len(data), i+40)])
	}
}

// TestScripts runs the end-to-end scripts in testdata/script: each runs the
// real tufgit binary against real git repositories in a temporary
// directory.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds:                scriptCmds(),
		Condition:           backendCondition,
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("GIT_AUTHOR_NAME", "Test Admin")
			env.Setenv("GIT_AUTHOR_EMAIL", "admin@example.org")
			env.Setenv("GIT_COMMITTER_NAME", "Test Admin")
			env.Setenv("GIT_COMMITTER_EMAIL", "admin@example.org")
			env.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			env.Setenv("TUFGIT_PASSPHRASE", "correct horse")
			// A free port on 127.0.0.1 for scripts that serve a mirror.
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			env.Setenv("SERVE_ADDR", l.Addr().String())
			env.Setenv("SOFTHSM_MODULE", softHSMModule())
			return l.Close()
		},
	})
}

// scriptCmds are the custom commands scripts may use.
func scriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){}
	for k, v := range tamperCmds {
		cmds[k] = v
	}
	for k, v := range backendCmds {
		cmds[k] = v
	}
	return cmds
}
