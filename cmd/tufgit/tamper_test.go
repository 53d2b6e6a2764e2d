package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/repo"
)

// tamperCmds are testscript commands that damage metadata the way an
// attacker with write access to the repository could.
var tamperCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	// dropsig FILE: remove every signature from a metadata file.
	"dropsig": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: dropsig FILE")
		}
		editJSON(ts, args[0], func(m map[string]any) { m["signatures"] = []any{} })
	},
	// retarget FILE OLD NEW KEY: rename target OLD to NEW in a role and
	// sign it again with KEY, as a maintainer who turned attacker could.
	"retarget": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 4 {
			ts.Fatalf("usage: retarget FILE OLD NEW KEY")
		}
		k, err := keys.Load(context.Background(), ts.MkAbs(args[3]), func(string) ([]byte, error) { return []byte(ts.Getenv("TUFGIT_PASSPHRASE")), nil })
		ts.Check(err)
		data, err := os.ReadFile(ts.MkAbs(args[0]))
		ts.Check(err)
		m, err := metadata.Targets().FromBytes(data)
		ts.Check(err)
		tf, ok := m.Signed.Targets[args[1]]
		if !ok {
			ts.Fatalf("no target %s", args[1])
		}
		delete(m.Signed.Targets, args[1])
		m.Signed.Targets[args[2]] = tf
		m.Signed.Version++
		ts.Check(repo.Sign(m, k))
		out, err := repo.EncodeMetadata(m)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[0]), out, 0o644))
	},
	// dupsig FILE: list the first signature twice.
	"dupsig": func(ts *testscript.TestScript, neg bool, args []string) {
		editJSON(ts, args[0], func(m map[string]any) {
			sigs := m["signatures"].([]any)
			m["signatures"] = append(sigs, sigs[0])
		})
	},
}

func editJSON(ts *testscript.TestScript, name string, f func(map[string]any)) {
	p := ts.MkAbs(name)
	data, err := os.ReadFile(p)
	ts.Check(err)
	var m map[string]any
	ts.Check(json.Unmarshal(data, &m))
	f(m)
	out, err := json.MarshalIndent(m, "", "\t")
	ts.Check(err)
	ts.Check(os.WriteFile(p, append(out, '\n'), 0o644))
}
