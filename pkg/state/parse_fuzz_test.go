package state_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/state"
)

// FuzzParseRoleFile feeds targets-type role files as tufgit reads them
// from a tree: project and index roles, retired roles
// (metadata/retired/...) and roles carrying a maintainer recovery record
// (x-tufgit-recovery). Properties: what the strict parser accepts, go-tuf
// parses too; written back by go-tuf and parsed again, it signs the same
// canonical bytes (so recovery records and other unknown fields survive);
// refusals are one line naming the file.
func FuzzParseRoleFile(f *testing.F) {
	k := repotest.Key("maintainer")
	m := metadata.Targets(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	tf, _ := metadata.TargetFile().FromBytes("hello/1.0.0/hello-1.0.0.tar.gz", []byte("hello"), "sha256", "sha512")
	m.Signed.Targets["hello/1.0.0/hello-1.0.0.tar.gz"] = tf
	m.Signed.UnrecognizedFields = map[string]any{layout.RecoveryField: layout.Recovery{At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Replaced: []string{k.ID}}}
	if _, err := m.Sign(k.Signer); err != nil {
		f.Fatal(err)
	}
	raw, _ := m.ToBytes(true)
	f.Add(raw)
	m.Signed.UnrecognizedFields = nil
	m.Signed.Delegations = &metadata.Delegations{Keys: map[string]*metadata.Key{k.ID: k.Public},
		Roles: []metadata.DelegatedRole{{Name: "hello", KeyIDs: []string{k.ID}, Threshold: 1, Terminating: true, Paths: []string{"hello/*"}}}}
	raw, _ = m.ToBytes(false)
	f.Add(raw)
	f.Add([]byte(`{"signed":{"_type":"targets","spec_version":"1.0.31","version":1,"expires":"2030-01-01T00:00:00Z","targets":{},"targets":{}},"signatures":[]}`))
	f.Add([]byte(`{"signed":{"_type":"targets","spec_version":"1.0.31","version":1.5,"expires":"2030-01-01T00:00:00Z","targets":{}},"signatures":[]}`))
	path := layout.RetiredRolePath("hello")
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := state.ParseTargets(path, data)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, path+": ") || strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("refusal is not one line naming the file: %q", msg)
			}
			return
		}
		g, err := metadata.Targets().FromBytes(data)
		if err != nil {
			t.Fatalf("accepted what go-tuf refuses: %v", err)
		}
		want, err := cjson.EncodeCanonical(m.Signed)
		if err != nil {
			return // not canonical-encodable: no signature can verify it, verify refuses it there
		}
		if a, _ := cjson.EncodeCanonical(g.Signed); !bytes.Equal(a, want) {
			t.Fatalf("tufgit and go-tuf read different content:\n%s\n%s", want, a)
		}
		out, err := m.ToBytes(false)
		if err != nil {
			t.Fatalf("go-tuf can not write back what was accepted: %v", err)
		}
		m2, err := state.ParseTargets(path, out)
		if err != nil {
			t.Fatalf("written back, it no longer parses: %v", err)
		}
		if got, _ := cjson.EncodeCanonical(m2.Signed); !bytes.Equal(got, want) {
			t.Fatalf("round trip changed the signed content:\n%s\n%s", want, got)
		}
	})
}
