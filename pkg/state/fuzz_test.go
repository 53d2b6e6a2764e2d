package state_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
)

// FuzzParseWithdrawal feeds withdrawal records (requests/ID/withdrawal.json).
// Whatever is accepted is an envelope that no client could take for a role
// (no targets, no delegations, version 1, expired when made), with a valid
// record, which go-tuf writes back to a record that parses the same.
func FuzzParseWithdrawal(f *testing.F) {
	when := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	m := metadata.Targets(when)
	m.Signed.UnrecognizedFields = map[string]any{layout.WithdrawalField: layout.Withdrawal{Request: "hello-3f9a2c1b", Withdrawn: when, By: "Alice <a@example.org>", Reason: "typo"}}
	good, err := m.ToBytes(true)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"signed":{"_type":"targets","spec_version":"1.0.31","version":2,"expires":"2026-11-25T12:00:00Z","targets":{},"x-tufgit-withdrawal":{"request":"x","withdrawn":"2026-11-25T12:00:00Z","by":"a"}},"signatures":[]}`))
	f.Add([]byte(`{"signed":{"_type":"targets","spec_version":"1.0.31","version":1,"expires":"2026-11-25T12:00:00Z","targets":{"a":{"length":1,"hashes":{"sha256":"00"}}},"x-tufgit-withdrawal":{"request":"x","withdrawn":"2026-11-25T12:00:00Z","by":"a"}},"signatures":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, w, err := state.ParseWithdrawal("w.json", data)
		if err != nil {
			return
		}
		if len(m.Signed.Targets) > 0 || m.Signed.Delegations != nil || m.Signed.Version != 1 || !m.Signed.Expires.Equal(w.Withdrawn) {
			t.Fatalf("accepted an envelope a client could take for a role: %s", data)
		}
		if err := w.Validate(); err != nil {
			t.Fatalf("accepted an invalid record: %v", err)
		}
		out, err := m.ToBytes(false)
		if err != nil {
			t.Fatalf("go-tuf can not write back what was accepted: %v", err)
		}
		_, w2, err := state.ParseWithdrawal("w.json", out)
		if err != nil {
			t.Fatalf("written back, it no longer parses: %v", err)
		}
		a, _ := json.Marshal(w)
		b, _ := json.Marshal(w2)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed the record: %s vs %s", a, b)
		}
	})
}
