package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/trust"
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
		copyTarget(ts, args, true)
	},
	// copytarget FILE OLD NEW KEY: list target OLD also as NEW, signed
	// again with KEY (a push made without tufgit).
	"copytarget": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 4 {
			ts.Fatalf("usage: copytarget FILE OLD NEW KEY")
		}
		copyTarget(ts, args, false)
	},
	// setversion FILE N KEY: set a role's version to N and sign it again
	// with KEY alone (a push made without tufgit).
	"setversion": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 3 {
			ts.Fatalf("usage: setversion FILE N KEY")
		}
		n, err := strconv.ParseInt(args[1], 10, 64)
		ts.Check(err)
		k, err := keys.Load(context.Background(), ts.MkAbs(args[2]), func(string) ([]byte, error) { return []byte(ts.Getenv("TUFGIT_PASSPHRASE")), nil })
		ts.Check(err)
		data, err := os.ReadFile(ts.MkAbs(args[0]))
		ts.Check(err)
		m, err := metadata.Targets().FromBytes(data)
		ts.Check(err)
		m.Signed.Version = n
		m.Signatures = nil
		ts.Check(repo.Sign(m, k))
		out, err := repo.EncodeMetadata(m)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[0]), out, 0o644))
	},
	// setowner FILE PUBKEY LABEL|- [SIGNKEY]: set (or with - drop) the
	// signed owner label (x-tuf-on-ci-keyowner) of key PUBKEY in the
	// key objects of role file FILE. With SIGNKEY the role's version grows
	// and it is signed again by SIGNKEY alone (an admin making a legacy
	// repository, or a tricked one); without, the signatures stay as they
	// are (a keyless pusher).
	"setowner": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 3 && len(args) != 4 {
			ts.Fatalf("usage: setowner FILE PUBKEY LABEL|- [SIGNKEY]")
		}
		load := func(p string) *keys.Key {
			k, err := keys.Load(context.Background(), ts.MkAbs(p), func(string) ([]byte, error) { return []byte(ts.Getenv("TUFGIT_PASSPHRASE")), nil })
			ts.Check(err)
			return k
		}
		pub := load(args[1])
		data, err := os.ReadFile(ts.MkAbs(args[0]))
		ts.Check(err)
		m, err := metadata.Targets().FromBytes(data)
		ts.Check(err)
		k, ok := m.Signed.Delegations.Keys[pub.ID]
		if !ok {
			ts.Fatalf("%s lists no key %s", args[0], pub.ID)
		}
		label := args[2]
		if label == "-" {
			label = ""
		}
		m.Signed.Delegations.Keys[pub.ID] = trust.WithOwner(k, label)
		if len(args) == 4 {
			m.Signed.Version++
			m.Signatures = nil
			ts.Check(repo.Sign(m, load(args[3])))
		}
		out, err := repo.EncodeMetadata(m)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[0]), out, 0o644))
	},
	// hijack PROJECT CHILD ATTACKER-KEY (--request ID | --admin ADMIN-KEY):
	// an "index split" that moves PROJECT from its index role to the new
	// child index role CHILD and, in the same change, delegates it to the
	// attacker's key, with the project role re-signed by that key. With
	// --request it is filed as a pending request (what a pusher without
	// keys can do, hoping an admin signs); with --admin the index roles are
	// signed by ADMIN-KEY (a tricked admin, or an older tufgit).
	"hijack": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 5 || (args[3] != "--request" && args[3] != "--admin") {
			ts.Fatalf("usage: hijack PROJECT CHILD ATTACKER-KEY (--request ID | --admin ADMIN-KEY)")
		}
		project, child := args[0], args[1]
		load := func(p string) *keys.Key {
			k, err := keys.Load(context.Background(), ts.MkAbs(p), func(string) ([]byte, error) { return []byte(ts.Getenv("TUFGIT_PASSPHRASE")), nil })
			ts.Check(err)
			return k
		}
		readRole := func(role string) *metadata.Metadata[metadata.TargetsType] {
			data, err := os.ReadFile(ts.MkAbs(layout.RolePath(role)))
			ts.Check(err)
			m, err := metadata.Targets().FromBytes(data)
			ts.Check(err)
			return m
		}
		attacker := load(args[2])
		prefix, ok := layout.IndexPrefix(child)
		if !ok || len(prefix) < 2 {
			ts.Fatalf("%s is not a child index role", child)
		}
		parentName := layout.IndexRoleName(prefix[:len(prefix)-1])
		parent := readRole(parentName)
		var moved metadata.DelegatedRole
		var kept []metadata.DelegatedRole
		var admin metadata.DelegatedRole
		for _, r := range parent.Signed.Delegations.Roles {
			if r.Name == project {
				moved = r
				continue
			}
			kept = append(kept, r)
		}
		if moved.Name == "" {
			ts.Fatalf("%s does not delegate %s", parentName, project)
		}
		targets := readRole(layout.RoleTargets)
		for _, r := range targets.Signed.Delegations.Roles {
			if r.Name == parentName {
				admin = r
			}
		}
		adminKeys := targets.Signed.Delegations.Keys
		// The parent delegates the new child, with the admins' keys.
		kept = append(kept, metadata.DelegatedRole{Name: child, KeyIDs: admin.KeyIDs, Threshold: admin.Threshold, Terminating: true, Paths: []string{layout.IndexPathPattern(prefix)}})
		parent.Signed.Delegations.Roles = kept
		for _, id := range admin.KeyIDs {
			parent.Signed.Delegations.Keys[id] = adminKeys[id]
		}
		for _, id := range moved.KeyIDs {
			delete(parent.Signed.Delegations.Keys, id)
		}
		parent.Signed.Version++
		parent.Signatures = nil
		// The child delegates the project to the attacker, paths unchanged.
		c := metadata.Targets(parent.Signed.Expires)
		c.Signed.Delegations = &metadata.Delegations{Keys: map[string]*metadata.Key{attacker.ID: attacker.Public},
			Roles: []metadata.DelegatedRole{{Name: project, KeyIDs: []string{attacker.ID}, Threshold: 1, Terminating: true, Paths: moved.Paths}}}
		// The project role, releases unchanged, re-signed by the attacker.
		pr := readRole(project)
		pr.Signed.Version++
		pr.Signatures = nil
		ts.Check(repo.Sign(pr, attacker))
		write := func(p string, m *metadata.Metadata[metadata.TargetsType]) {
			out, err := repo.EncodeMetadata(m)
			ts.Check(err)
			ts.Check(os.MkdirAll(filepath.Dir(ts.MkAbs(p)), 0o755))
			ts.Check(os.WriteFile(ts.MkAbs(p), out, 0o644))
		}
		if args[3] == "--admin" {
			a := load(args[4])
			ts.Check(repo.Sign(parent, a))
			ts.Check(repo.Sign(c, a))
			write(layout.RolePath(parentName), parent)
			write(layout.RolePath(child), c)
			write(layout.RolePath(project), pr)
			return
		}
		id := args[4]
		write(layout.RequestRolePath(id, parentName), parent)
		write(layout.RequestRolePath(id, child), c)
		write(layout.RequestRolePath(id, project), pr)
		req, err := layout.EncodeFile(layout.Request{Type: layout.RequestType, FormatVersion: layout.FormatVersion, ID: id,
			Kind: layout.KindProjectCreate, Author: "Mallory <mallory@example.org>", Created: time.Now().UTC().Truncate(time.Second),
			Note: "routine index split"})
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(layout.RequestPath(id)), req, 0o644))
	},
	// withdrawas ID|@FILE KEY: replace pending request ID by a withdrawal record
	// signed by KEY, as a pusher holding some key could try.
	"withdrawas": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: withdrawas ID KEY")
		}
		if f, ok := strings.CutPrefix(args[0], "@"); ok {
			raw, err := os.ReadFile(ts.MkAbs(f))
			ts.Check(err)
			args[0] = strings.TrimSpace(string(raw))
		}
		k, err := keys.Load(context.Background(), ts.MkAbs(args[1]), func(string) ([]byte, error) { return []byte(ts.Getenv("TUFGIT_PASSPHRASE")), nil })
		ts.Check(err)
		dir := ts.MkAbs(layout.RequestDir(args[0]))
		ts.Check(os.RemoveAll(dir))
		ts.Check(os.MkdirAll(dir, 0o755))
		when := time.Now().UTC().Truncate(time.Second)
		m := metadata.Targets(when)
		m.Signed.Version = 1
		m.Signed.UnrecognizedFields = map[string]any{layout.WithdrawalField: layout.Withdrawal{Request: args[0], Withdrawn: when, By: "Mallory <mallory@example.org>"}}
		ts.Check(repo.Sign(m, k))
		out, err := repo.EncodeMetadata(m)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(layout.RequestWithdrawalPath(args[0])), out, 0o644))
	},
	// renewreq ID ROLE HOW [KEY]: file request ID of kind renew for ROLE,
	// made by hand from the role in the working tree: version+1, a year's
	// expiry and, unless HOW is honest, one more change: addtarget (a new
	// target in a project role), threshold (a delegation's threshold +1
	// in targets or an index role) or field (an unknown field in signed,
	// which go-tuf keeps and signatures cover); or no other change but
	// the expiry: century (100 years from now) or atcap (1825 days from
	// now, tufgit's cap). Signed by KEY when given:
	// what a pusher hoping signers trust the kind could file.
	"renewreq": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) < 3 || len(args) > 4 {
			ts.Fatalf("usage: renewreq ID ROLE honest|addtarget|threshold|field|century|atcap [KEY]")
		}
		id, role, how := args[0], args[1], args[2]
		data, err := os.ReadFile(ts.MkAbs(layout.RolePath(role)))
		ts.Check(err)
		m, err := metadata.Targets().FromBytes(data)
		ts.Check(err)
		m.Signed.Version++
		m.Signed.Expires = m.Signed.Expires.Add(365 * 24 * time.Hour)
		m.Signatures = nil
		switch how {
		case "honest":
		case "century":
			m.Signed.Expires = time.Now().UTC().Truncate(time.Second).Add(100 * 365 * 24 * time.Hour)
		case "atcap":
			m.Signed.Expires = time.Now().UTC().Truncate(time.Second).Add(layout.MaxSignedExpiry(role))
		case "addtarget":
			tf, err := metadata.TargetFile().FromBytes(role+"/6.6.6/evil.tar.gz", []byte("evil"), "sha256", "sha512")
			ts.Check(err)
			m.Signed.Targets[role+"/6.6.6/evil.tar.gz"] = tf
		case "threshold":
			if m.Signed.Delegations == nil || len(m.Signed.Delegations.Roles) == 0 {
				ts.Fatalf("%s delegates nothing", role)
			}
			m.Signed.Delegations.Roles[0].Threshold++
		case "field":
			if m.Signed.UnrecognizedFields == nil {
				m.Signed.UnrecognizedFields = map[string]any{}
			}
			m.Signed.UnrecognizedFields["x-evil"] = "anything"
		default:
			ts.Fatalf("renewreq: unknown HOW %q", how)
		}
		if len(args) == 4 {
			k, err := keys.Load(context.Background(), ts.MkAbs(args[3]), func(string) ([]byte, error) { return []byte(ts.Getenv("TUFGIT_PASSPHRASE")), nil })
			ts.Check(err)
			ts.Check(repo.Sign(m, k))
		}
		out, err := repo.EncodeMetadata(m)
		ts.Check(err)
		ts.Check(os.MkdirAll(filepath.Dir(ts.MkAbs(layout.RequestRolePath(id, role))), 0o755))
		ts.Check(os.WriteFile(ts.MkAbs(layout.RequestRolePath(id, role)), out, 0o644))
		req, err := layout.EncodeFile(layout.Request{Type: layout.RequestType, FormatVersion: layout.FormatVersion, ID: id,
			Kind: layout.KindRenew, Author: "Mallory <mallory@example.org>", Created: time.Now().UTC().Truncate(time.Second),
			Note: "routine yearly renewal"})
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(layout.RequestPath(id)), req, 0o644))
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

// copyTarget lists target args[1] of role file args[0] as args[2] too (and
// drops the old one when move), signed again with key args[3].
func copyTarget(ts *testscript.TestScript, args []string, move bool) {
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
	if move {
		delete(m.Signed.Targets, args[1])
	}
	m.Signed.Targets[args[2]] = tf
	m.Signed.Version++
	ts.Check(repo.Sign(m, k))
	out, err := repo.EncodeMetadata(m)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), out, 0o644))
}
