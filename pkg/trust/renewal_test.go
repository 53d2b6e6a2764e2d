package trust_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/trust"
)

func TestSameExceptExpiry(t *testing.T) {
	a := key(t, "a")
	base := func() *metadata.Metadata[metadata.TargetsType] {
		m := metadata.Targets(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
		m.Signed.Version = 3
		tf, err := metadata.TargetFile().FromBytes("hello/1.0/h.tgz", []byte("hello"), "sha256", "sha512")
		if err != nil {
			t.Fatal(err)
		}
		m.Signed.Targets["hello/1.0/h.tgz"] = tf
		m.Signed.Delegations = &metadata.Delegations{Keys: map[string]*metadata.Key{a.ID: a.Public},
			Roles: []metadata.DelegatedRole{{Name: "hello", KeyIDs: []string{a.ID}, Threshold: 1, Terminating: true, Paths: []string{"hello/*/*"}}}}
		return m
	}
	cases := []struct {
		name string
		edit func(m *metadata.Metadata[metadata.TargetsType])
		same bool
	}{
		{"version and expiry only", func(m *metadata.Metadata[metadata.TargetsType]) {
			m.Signed.Version = 4
			m.Signed.Expires = m.Signed.Expires.AddDate(1, 0, 0)
		}, true},
		{"signatures are not compared", func(m *metadata.Metadata[metadata.TargetsType]) {
			m.Signatures = append(m.Signatures, metadata.Signature{KeyID: "x"})
		}, true},
		{"a target added", func(m *metadata.Metadata[metadata.TargetsType]) {
			tf, _ := metadata.TargetFile().FromBytes("hello/2.0/h.tgz", []byte("evil"), "sha256", "sha512")
			m.Signed.Targets["hello/2.0/h.tgz"] = tf
		}, false},
		{"a threshold", func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Delegations.Roles[0].Threshold = 2 }, false},
		{"a path", func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Delegations.Roles[0].Paths = []string{"*"} }, false},
		{"terminating", func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Delegations.Roles[0].Terminating = false }, false},
		{"spec_version", func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.SpecVersion = "1.0.99" }, false},
		{"an unknown field", func(m *metadata.Metadata[metadata.TargetsType]) {
			m.Signed.UnrecognizedFields = map[string]any{"x-evil": 1}
		}, false},
		{"custom of a target", func(m *metadata.Metadata[metadata.TargetsType]) {
			c := json.RawMessage(`{"tufgit":{"yanked":true}}`)
			m.Signed.Targets["hello/1.0/h.tgz"].Custom = &c
		}, false},
	}
	for _, c := range cases {
		before, after := base(), base()
		c.edit(after)
		got, err := trust.SameExceptExpiry(before.Signed, after.Signed)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.same {
			t.Errorf("%s: SameExceptExpiry = %v, want %v", c.name, got, c.same)
		}
	}
	// Root works the same way.
	r1, r2 := metadata.Root(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)), metadata.Root(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC))
	r2.Signed.Version = 2
	if same, err := trust.SameExceptExpiry(r1.Signed, r2.Signed); err != nil || !same {
		t.Errorf("root renewal: same=%v err=%v", same, err)
	}
	r2.Signed.ConsistentSnapshot = !r2.Signed.ConsistentSnapshot
	if same, _ := trust.SameExceptExpiry(r1.Signed, r2.Signed); same {
		t.Error("root with consistent_snapshot flipped counted as a renewal")
	}
}
