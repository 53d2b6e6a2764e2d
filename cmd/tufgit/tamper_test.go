package main

import (
	"encoding/json"
	"os"

	"github.com/rogpeppe/go-internal/testscript"
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
