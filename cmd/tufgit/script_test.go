package main

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tufgit/tufgit/cmd/tufgit/cli"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tufgit": func() { os.Exit(cli.Main()) },
	})
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
