package trust_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/trust"
)

func key(t *testing.T, name string) *keys.Key {
	seed := sha256.Sum256([]byte(name))
	k, err := keys.FromSigner(name, ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func deleg(threshold int, ks ...*keys.Key) *trust.Delegation {
	d := &trust.Delegation{Role: "r", Threshold: threshold, Keys: map[string]*metadata.Key{}}
	for _, k := range ks {
		d.KeyIDs = append(d.KeyIDs, k.ID)
		d.Keys[k.ID] = k.Public
	}
	return d
}

func TestCheck(t *testing.T) {
	a, b, c, x := key(t, "a"), key(t, "b"), key(t, "c"), key(t, "stranger")
	m := metadata.Targets(time.Now().Add(time.Hour))
	for _, k := range []*keys.Key{a, b, x} {
		m.Sign(k.Signer)
	}
	// b's signature no longer verifies after this change.
	m.Signatures[1].Signature[0] ^= 1
	s := trust.Check(deleg(2, a, b, c), m, m.Signatures)
	if s.Met || len(s.Valid) != 1 || len(s.Invalid) != 1 || len(s.Unknown) != 1 || len(s.Missing) != 1 {
		t.Fatalf("%+v", s)
	}
	if s.Valid[0] != a.ID || s.Invalid[0] != b.ID || s.Unknown[0] != x.ID || s.Missing[0] != c.ID {
		t.Fatalf("wrong keys in %+v", s)
	}
	if s := trust.Check(deleg(1, a, b, c), m, m.Signatures); !s.Met {
		t.Fatalf("threshold 1 with a valid signature: %+v", s)
	}
	// The fast path (exactly threshold signatures) agrees with the slow one.
	m2 := metadata.Targets(time.Now().Add(time.Hour))
	m2.Sign(a.Signer)
	if s := trust.Check(deleg(1, a, b), m2, m2.Signatures); !s.Met || len(s.Valid) != 1 || len(s.Missing) != 1 {
		t.Fatalf("fast path: %+v", s)
	}
	m2.Signed.Version = 9
	if s := trust.Check(deleg(1, a, b), m2, m2.Signatures); s.Met || len(s.Invalid) != 1 {
		t.Fatalf("fast path after tampering: %+v", s)
	}
}

// One key under two keyids must not count twice (go-tuf counts distinct
// public keys; tufgit refuses the listing outright).
func TestSameKeyTwice(t *testing.T) {
	a := key(t, "a")
	d := deleg(2, a)
	fake := strings.Repeat("ab", 32)
	d.KeyIDs = append(d.KeyIDs, fake)
	d.Keys[fake] = a.Public
	m := metadata.Targets(time.Now().Add(time.Hour))
	m.Sign(a.Signer)
	m.Signatures = append(m.Signatures, metadata.Signature{KeyID: fake, Signature: m.Signatures[0].Signature})
	if s := trust.Check(d, m, m.Signatures); s.Met {
		t.Fatal("one key counted twice towards a threshold of 2")
	}
	errs := trust.CheckKeys(d.Keys)
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	all := strings.Join(msgs, "; ")
	if !strings.Contains(all, "listed twice") || !strings.Contains(all, "has keyid") {
		t.Fatalf("CheckKeys: %s", all)
	}
}

func TestCheckRoleKeys(t *testing.T) {
	a := key(t, "a")
	keysMap := map[string]*metadata.Key{a.ID: a.Public}
	for _, c := range []struct {
		ids  []string
		th   int
		want string
	}{
		{[]string{a.ID, a.ID}, 2, "twice"},
		{[]string{a.ID}, 0, "at least 1"},
		{[]string{a.ID}, 2, "can never be signed"},
		{[]string{"nosuch"}, 1, "not among the keys"},
		{nil, 1, "no keys"},
	} {
		errs := trust.CheckRoleKeys("r", c.ids, c.th, keysMap)
		found := false
		for _, e := range errs {
			found = found || strings.Contains(e.Error(), c.want)
		}
		if !found {
			t.Errorf("%v/%d: want %q, got %v", c.ids, c.th, c.want, errs)
		}
	}
	if errs := trust.CheckRoleKeys("r", []string{a.ID}, 1, keysMap); len(errs) != 0 {
		t.Errorf("a valid role: %v", errs)
	}
}

func TestSupportedKey(t *testing.T) {
	a := key(t, "a")
	k := *a.Public
	k.Scheme = "rsassa-pss-sha256"
	if err := trust.SupportedKey(&k); err == nil {
		t.Error("an ed25519 key claiming an rsa scheme was accepted")
	}
	k = *a.Public
	k.Type = "dsa"
	if err := trust.SupportedKey(&k); err == nil {
		t.Error("keytype dsa was accepted")
	}
	k = *a.Public
	k.Value.PublicKey = "zz"
	if err := trust.SupportedKey(&k); err == nil {
		t.Error("a public value that does not parse was accepted")
	}
}
