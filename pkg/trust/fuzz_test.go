package trust_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/trust"
)

// decodeStripped is a signed part as a JSON object without version and
// expires: an independent model of what a renewal may not change.
func decodeStripped(t *testing.T, v any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	delete(m, "version")
	delete(m, "expires")
	return m
}

// FuzzSameExceptExpiry feeds two targets role files, as a renewal request
// proposes one over the other. Properties: SameExceptExpiry agrees with a
// comparison of the decoded JSON made here; it is reflexive and symmetric;
// and a copy that differs in version and expires only is the same.
func FuzzSameExceptExpiry(f *testing.F) {
	when := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	m := metadata.Targets(when)
	tf, _ := metadata.TargetFile().FromBytes("hello/1.0.0/hello-1.0.0.tar.gz", []byte("hello"), "sha256")
	m.Signed.Targets["hello/1.0.0/hello-1.0.0.tar.gz"] = tf
	a, _ := m.ToBytes(false)
	m.Signed.Version, m.Signed.Expires = 2, when.Add(time.Hour)
	b, _ := m.ToBytes(false)
	m.Signed.UnrecognizedFields = map[string]any{"x-tufgit-recovery": map[string]any{"at": "2026-01-01T00:00:00Z", "replaced": []string{"ab"}}}
	c, _ := m.ToBytes(false)
	f.Add(a, b)
	f.Add(a, c)
	f.Add(a, []byte(`{"signed":{"_type":"targets","spec_version":"1.0.31","version":3,"expires":"2030-01-01T00:00:00Z","targets":{}},"signatures":[]}`))
	f.Fuzz(func(t *testing.T, before, after []byte) {
		x, err := metadata.Targets().FromBytes(before)
		if err != nil {
			return
		}
		y, err := metadata.Targets().FromBytes(after)
		if err != nil {
			return
		}
		same, err := trust.SameExceptExpiry(x.Signed, y.Signed)
		if err != nil {
			return // canonical JSON can not encode it (floats): verify refuses the renewal
		}
		if want := reflect.DeepEqual(decodeStripped(t, x.Signed), decodeStripped(t, y.Signed)); same != want {
			t.Fatalf("SameExceptExpiry = %v, the decoded JSON says %v", same, want)
		}
		if back, _ := trust.SameExceptExpiry(y.Signed, x.Signed); back != same {
			t.Fatal("SameExceptExpiry is not symmetric")
		}
		if self, _ := trust.SameExceptExpiry(x.Signed, x.Signed); !self {
			t.Fatal("a role is not the same as itself")
		}
		z := x.Signed
		z.Version, z.Expires = y.Signed.Version+1, y.Signed.Expires.Add(time.Hour)
		if renewed, err := trust.SameExceptExpiry(x.Signed, z); err != nil || !renewed {
			t.Fatalf("a copy with another version and expiry is not a renewal: %v", err)
		}
	})
}

// FuzzCheckSignatures feeds root files signed (or not) by the fixture's
// keys, and checks trust.Check, which verify uses for every threshold,
// against go-tuf's own verdict. Properties: Met is exactly go-tuf's
// VerifyDelegate over the root's own delegation; Valid, Invalid and
// Missing split the listed keyids between them; Met needs at least
// threshold valid signatures. Each input checks real ed25519 signatures.
func FuzzCheckSignatures(f *testing.F) {
	// Keys made here, not with repotest: importing it would link go-git,
	// the publisher and the web UI into this test binary, and every fuzz
	// input pays for scanning their coverage counters.
	var admin, other *keys.Key
	for i, name := range []string{"admin", "other"} {
		seed := sha256.Sum256([]byte(name))
		k, err := keys.FromSigner(name, ed25519.NewKeyFromSeed(seed[:]))
		if err != nil {
			f.Fatal(err)
		}
		if i == 0 {
			admin = k
		} else {
			other = k
		}
	}
	root := metadata.Root(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, k := range []*keys.Key{admin, other} {
		root.Signed.AddKey(k.Public, metadata.ROOT)
	}
	root.Signed.Roles[metadata.ROOT].Threshold = 2
	for _, k := range []*keys.Key{admin, other} {
		if _, err := root.Sign(k.Signer); err != nil {
			f.Fatal(err)
		}
	}
	both, _ := root.ToBytes(false)
	root.Signatures = root.Signatures[:1]
	one, _ := root.ToBytes(false)
	root.Signatures = append(root.Signatures, metadata.Signature{KeyID: admin.ID, Signature: []byte{1, 2}})
	twice, _ := root.ToBytes(false)
	f.Add(both)
	f.Add(one)
	f.Add(twice)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := metadata.Root().FromBytes(data)
		if err != nil {
			return
		}
		d, err := trust.FromRoot(m, metadata.ROOT)
		if err != nil {
			return
		}
		s := trust.Check(d, m, m.Signatures)
		goTUF := m.VerifyDelegate(metadata.ROOT, m) == nil
		if s.Err != nil && s.Err.Error() == "delegation of root lists a keyid with no key" {
			if s.Met {
				t.Fatal("met with a keyid that has no key")
			}
			return
		}
		if s.Met != goTUF {
			t.Fatalf("trust.Check met=%v, go-tuf says %v (%v)", s.Met, goTUF, s.Err)
		}
		var split []string
		split = append(append(append(split, s.Valid...), s.Invalid...), s.Missing...)
		ids := slices.Clone(d.KeyIDs)
		sort.Strings(split)
		sort.Strings(ids)
		if !slices.Equal(split, ids) {
			t.Fatalf("valid %v, invalid %v, missing %v do not split the keyids %v", s.Valid, s.Invalid, s.Missing, d.KeyIDs)
		}
		if s.Met && len(s.Valid) < d.Threshold {
			t.Fatalf("met with %d valid signatures, threshold %d", len(s.Valid), d.Threshold)
		}
	})
}
