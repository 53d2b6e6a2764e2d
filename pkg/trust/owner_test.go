package trust_test

import (
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/trust"
)

// A label in the key object (x-tuf-on-ci-keyowner) survives go-tuf's
// parsing and canonical encoding, is covered by the delegator's signature,
// and leaves the keyid that of the bare key: go-tuf checks the delegated
// role through the keyid the delegation lists, never recomputing it.
func TestKeyOwnerSurvivesGoTUF(t *testing.T) {
	admin, alice := key(t, "admin"), key(t, "alice")
	idx := metadata.Targets(time.Now().Add(time.Hour))
	idx.Signed.Delegations = &metadata.Delegations{
		Keys:  map[string]*metadata.Key{alice.ID: trust.WithOwner(alice.Public, "alice")},
		Roles: []metadata.DelegatedRole{{Name: "hello", KeyIDs: []string{alice.ID}, Threshold: 1, Terminating: true, Paths: []string{"hello/*/*"}}},
	}
	if _, err := idx.Sign(admin.Signer); err != nil {
		t.Fatal(err)
	}
	raw, err := idx.ToBytes(false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"x-tuf-on-ci-keyowner":"alice"`) {
		t.Fatalf("label not written: %s", raw)
	}
	back, err := metadata.Targets().FromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	k := back.Signed.Delegations.Keys[alice.ID]
	if l, ok := trust.KeyOwner(k); !ok || l != "alice" {
		t.Fatalf("label after parsing: %q %v", l, ok)
	}
	// The keyid stays the bare key's; go-tuf's own ID() would differ.
	if id, err := trust.KeyID(k); err != nil || id != alice.ID {
		t.Fatalf("KeyID = %s, %v; want %s", id, err, alice.ID)
	}
	c := *trust.WithOwner(k, "alice")
	if id, _ := c.ID(); id == alice.ID {
		t.Fatal("go-tuf's Key.ID now ignores unrecognized fields: revisit trust.KeyID")
	}
	if errs := trust.CheckKeys(back.Signed.Delegations.Keys); len(errs) != 0 {
		t.Fatalf("CheckKeys: %v", errs)
	}
	// The admins' signature covers the label: changing it breaks it.
	d := deleg(1, admin)
	d.Role = "idx_h"
	if s := trust.Check(d, back, back.Signatures); !s.Met {
		t.Fatalf("labelled index role does not verify: %+v", s)
	}
	back.Signed.Delegations.Keys[alice.ID] = trust.WithOwner(k, "mallory")
	if s := trust.Check(d, back, back.Signatures); s.Met {
		t.Fatal("a changed label still verifies")
	}
	// The delegated role verifies through the labelled key (go-tuf).
	pr := metadata.Targets(time.Now().Add(time.Hour))
	if _, err := pr.Sign(alice.Signer); err != nil {
		t.Fatal(err)
	}
	if err := idx.VerifyDelegate("hello", pr); err != nil {
		t.Fatalf("go-tuf VerifyDelegate through a labelled key: %v", err)
	}
}

func TestKeyOwnerRefused(t *testing.T) {
	alice := key(t, "alice")
	for _, bad := range []any{12, "", "a\u202eb", "line\nbreak", strings.Repeat("x", 101)} {
		k := trust.WithOwner(alice.Public, "")
		k.UnrecognizedFields[trust.KeyOwnerField] = bad
		errs := trust.CheckKeys(map[string]*metadata.Key{alice.ID: k})
		if len(errs) == 0 || !strings.Contains(errs[0].Error(), trust.KeyOwnerField) {
			t.Errorf("%q: %v", bad, errs)
		}
	}
	// Another unknown field still changes the keyid, so it is refused.
	k := trust.WithOwner(alice.Public, "alice")
	k.UnrecognizedFields["x-other"] = "y"
	if errs := trust.CheckKeys(map[string]*metadata.Key{alice.ID: k}); len(errs) == 0 {
		t.Error("a key with another unknown field passed under the bare keyid")
	}
}
