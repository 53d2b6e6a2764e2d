package verify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
	"github.com/tufgit/tufgit/pkg/verify"
)

// FuzzCheckWithdrawal feeds withdrawal records (requests/ID/withdrawal.json)
// to the check of who signed them, with one key entitled. Properties: an
// accepted record withdraws this request and is valid; go-tuf agrees that
// an entitled key signed it (VerifyDelegate with the entitled keys,
// threshold 1), and the keyids returned are entitled ones; a refusal is
// one line. Each input checks real ed25519 signatures.
func FuzzCheckWithdrawal(f *testing.F) {
	alice, bob := repotest.Key("alice"), repotest.Key("bob")
	entitled := map[string]*metadata.Key{alice.ID: alice.Public}
	when := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	record := func(id string, signers ...*keys.Key) []byte {
		m := metadata.Targets(when)
		m.Signed.UnrecognizedFields = map[string]any{layout.WithdrawalField: layout.Withdrawal{Request: id, Withdrawn: when, By: "Alice <a@example.org>", Reason: "typo"}}
		for _, k := range signers {
			if err := repo.Sign(m, k); err != nil {
				f.Fatal(err)
			}
		}
		raw, err := repo.EncodeMetadata(m)
		if err != nil {
			f.Fatal(err)
		}
		return raw
	}
	const id = "hello-3f9a2c1b"
	path := layout.RequestWithdrawalPath(id)
	f.Add(record(id, alice))
	f.Add(record(id, bob))
	f.Add(record(id, alice, bob))
	f.Add(record("other-1", alice))
	f.Add(record(id))
	if _, _, err := verify.CheckWithdrawal(path, record(id, alice), id, entitled); err != nil {
		f.Fatalf("control: alice's record is refused: %v", err)
	}
	if _, _, err := verify.CheckWithdrawal(path, record(id, bob), id, entitled); err == nil {
		f.Fatal("control: bob's record is accepted")
	}
	delegator := metadata.Root(when)
	delegator.Signed.Keys[alice.ID] = alice.Public
	delegator.Signed.Roles["withdrawal"] = &metadata.Role{KeyIDs: []string{alice.ID}, Threshold: 1}
	f.Fuzz(func(t *testing.T, data []byte) {
		w, valid, err := verify.CheckWithdrawal(path, data, id, entitled)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("refusal is not one line: %q", err)
			}
			return
		}
		if w.Request != id || w.Validate() != nil {
			t.Fatalf("accepted a record for %q: %+v", w.Request, w)
		}
		if len(valid) == 0 {
			t.Fatal("accepted with no valid signature")
		}
		for _, k := range valid {
			if entitled[k] == nil {
				t.Fatalf("counted key %s, which is not entitled", k)
			}
		}
		m, err := metadata.Targets().FromBytes(data)
		if err != nil {
			t.Fatalf("accepted what go-tuf can not read: %v", err)
		}
		if err := delegator.VerifyDelegate("withdrawal", m); err != nil {
			t.Fatalf("accepted a record go-tuf says no entitled key signed: %v", err)
		}
	})
}
