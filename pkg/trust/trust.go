// Package trust holds tufgit's TUF rules on top of go-tuf: who may sign a
// role, which signatures on it are valid, and the structural checks on keys
// and delegations. Every signature check goes through go-tuf's
// VerifyDelegate; this package never touches private keys.
package trust

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Delegation is what a delegator says about one role: the keys allowed to
// sign it and how many must.
type Delegation struct {
	Role      string
	Keys      map[string]*metadata.Key // keyid -> key, only those in KeyIDs
	KeyIDs    []string
	Threshold int
	Paths     []string // nil for top-level roles
	// Terminating is the delegation's terminating flag (false for
	// top-level roles).
	Terminating bool
}

// FromRoot returns root's delegation of a top-level role.
func FromRoot(root *metadata.Metadata[metadata.RootType], role string) (*Delegation, error) {
	r, ok := root.Signed.Roles[role]
	if !ok || r == nil {
		return nil, fmt.Errorf("root does not delegate role %s", role)
	}
	d := &Delegation{Role: role, KeyIDs: r.KeyIDs, Threshold: r.Threshold, Keys: map[string]*metadata.Key{}}
	for _, id := range r.KeyIDs {
		if k, ok := root.Signed.Keys[id]; ok {
			d.Keys[id] = k
		}
	}
	return d, nil
}

// FromTargets returns a targets-type role's delegation of role.
func FromTargets(t *metadata.Metadata[metadata.TargetsType], role string) (*Delegation, error) {
	if t.Signed.Delegations == nil {
		return nil, fmt.Errorf("no delegation for %s", role)
	}
	for _, r := range t.Signed.Delegations.Roles {
		if r.Name != role {
			continue
		}
		d := &Delegation{Role: role, KeyIDs: r.KeyIDs, Threshold: r.Threshold, Paths: r.Paths, Terminating: r.Terminating, Keys: map[string]*metadata.Key{}}
		for _, id := range r.KeyIDs {
			if k, ok := t.Signed.Delegations.Keys[id]; ok {
				d.Keys[id] = k
			}
		}
		return d, nil
	}
	return nil, fmt.Errorf("no delegation for %s", role)
}

// Equal reports whether two delegations give the same keys (the same key
// material under the same keyids), threshold, paths and terminating flag.
// The order of keyids does not matter; the order of paths does.
func (d *Delegation) Equal(o *Delegation) bool {
	if d == nil || o == nil {
		return d == o
	}
	if d.Threshold != o.Threshold || d.Terminating != o.Terminating || len(d.KeyIDs) != len(o.KeyIDs) || len(d.Paths) != len(o.Paths) {
		return false
	}
	a, b := sortedCopy(d.KeyIDs), sortedCopy(o.KeyIDs)
	for i := range a {
		if a[i] != b[i] {
			return false
		}
		ka, kb := d.Keys[a[i]], o.Keys[b[i]]
		if (ka == nil) != (kb == nil) || (ka != nil && (ka.Type != kb.Type || ka.Scheme != kb.Scheme || ka.Value.PublicKey != kb.Value.PublicKey)) {
			return false
		}
	}
	for i := range d.Paths {
		if d.Paths[i] != o.Paths[i] {
			return false
		}
	}
	return true
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// asDelegator turns a Delegation into a root-type delegator so that go-tuf's
// VerifyDelegate can check any metadata type against it.
func (d *Delegation) asDelegator(keyIDs []string, threshold int) *metadata.Metadata[metadata.RootType] {
	m := metadata.Root()
	m.Signed.Keys = map[string]*metadata.Key{}
	for _, id := range keyIDs {
		m.Signed.Keys[id] = d.Keys[id]
	}
	m.Signed.Roles = map[string]*metadata.Role{d.Role: {KeyIDs: keyIDs, Threshold: threshold}}
	return m
}

// Signatures is the state of the signatures on one piece of metadata.
type Signatures struct {
	Role      string
	Threshold int
	Valid     []string // keyids of listed keys whose signature verifies
	Invalid   []string // keyids of listed keys whose signature does not verify
	Unknown   []string // keyids of signatures by keys the delegation does not list
	Missing   []string // keyids of listed keys that have not signed
	// Met is go-tuf's verdict: VerifyDelegate with the full delegation.
	Met bool
	// Err is go-tuf's reason when Met is false.
	Err error
}

// Check evaluates the signatures on md (a *metadata.Metadata of any role
// type) against the delegation. Each listed key's signature is checked on
// its own (so problems can be named), and the threshold decision is
// go-tuf's VerifyDelegate over the whole delegation.
func Check(d *Delegation, md any, sigs []metadata.Signature) Signatures {
	s := Signatures{Role: d.Role, Threshold: d.Threshold}
	listed := map[string]bool{}
	for _, id := range d.KeyIDs {
		listed[id] = true
	}
	signed := map[string]bool{}
	for _, sig := range sigs {
		signed[sig.KeyID] = true
		if !listed[sig.KeyID] {
			s.Unknown = append(s.Unknown, sig.KeyID)
		}
	}
	usable := 0
	for _, id := range d.KeyIDs {
		if d.Keys[id] != nil {
			usable++
		}
	}
	if usable != len(d.KeyIDs) {
		s.Err = fmt.Errorf("delegation of %s lists a keyid with no key", d.Role)
		return s
	}
	// The common case: exactly threshold signatures, all by listed keys.
	// If go-tuf's threshold check passes, each of them must be valid, so
	// the per-key checks below would only repeat the work.
	if len(sigs) == d.Threshold && len(s.Unknown) == 0 && len(signed) == len(sigs) {
		if err := d.asDelegator(d.KeyIDs, d.Threshold).VerifyDelegate(d.Role, md); err == nil {
			s.Met = true
			for _, id := range d.KeyIDs {
				if signed[id] {
					s.Valid = append(s.Valid, id)
				} else {
					s.Missing = append(s.Missing, id)
				}
			}
			return s
		}
	}
	for _, id := range d.KeyIDs {
		if !signed[id] {
			s.Missing = append(s.Missing, id)
			continue
		}
		if d.asDelegator([]string{id}, 1).VerifyDelegate(d.Role, md) == nil {
			s.Valid = append(s.Valid, id)
		} else {
			s.Invalid = append(s.Invalid, id)
		}
	}
	if err := d.asDelegator(d.KeyIDs, d.Threshold).VerifyDelegate(d.Role, md); err != nil {
		s.Err = err
	} else {
		s.Met = true
	}
	return s
}

// SupportedKey checks that a key's type and scheme are a pair tufgit
// accepts and that its public value parses.
func SupportedKey(k *metadata.Key) error {
	switch {
	case k.Type == metadata.KeyTypeEd25519 && k.Scheme == metadata.KeySchemeEd25519:
	case (k.Type == metadata.KeyTypeECDSA_SHA2_P256 || k.Type == metadata.KeyTypeECDSA_SHA2_P256_COMPAT) &&
		k.Scheme == metadata.KeySchemeECDSA_SHA2_P256:
	case k.Type == metadata.KeyTypeRSASSA_PSS_SHA256 && k.Scheme == metadata.KeySchemeRSASSA_PSS_SHA256:
	default:
		return fmt.Errorf("unsupported keytype %q with scheme %q", k.Type, k.Scheme)
	}
	pub, err := k.ToPublicKey()
	if err != nil {
		return fmt.Errorf("keytype %s: public key does not parse: %v", k.Type, err)
	}
	if ec, ok := pub.(*ecdsa.PublicKey); ok && ec.Curve != elliptic.P256() {
		return fmt.Errorf("ecdsa key is not on P-256 as its scheme says")
	}
	return nil
}

// KeyID is the TUF keyid of k: sha256 of its canonical JSON (go-tuf),
// without its owner label (KeyOwnerField): a label is signed inside the
// key object but is not part of the key, as in tuf-on-ci, so labelling a
// key never changes its keyid. go-tuf and python-tuf look keys up by the
// keyid the delegation lists and never recompute it.
func KeyID(k *metadata.Key) (string, error) {
	return bareKey(k).ID() // a copy: go-tuf caches the id inside Key
}

// Fingerprint identifies the key material itself, whatever keyid or
// keytype spelling it is listed under.
func Fingerprint(k *metadata.Key) (string, error) {
	pub, err := k.ToPublicKey()
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// CheckKeys checks a keys map: each key supported, each keyid equal to the
// key's computed keyid, and no key material listed under two keyids (which
// would let one signer count twice towards a threshold in a client that
// counts keyids).
func CheckKeys(keys map[string]*metadata.Key) []error {
	var errs []error
	byFP := map[string]string{}
	for _, id := range slices.Sorted(maps.Keys(keys)) {
		k := keys[id]
		if k == nil {
			errs = append(errs, fmt.Errorf("key %s is null", short(id)))
			continue
		}
		if err := SupportedKey(k); err != nil {
			errs = append(errs, fmt.Errorf("key %s: %v", short(id), err))
			continue
		}
		if err := checkOwner(k); err != nil {
			errs = append(errs, fmt.Errorf("key %s: %v", short(id), err))
		}
		want, err := KeyID(k)
		if err != nil {
			errs = append(errs, fmt.Errorf("key %s: %v", short(id), err))
			continue
		}
		if want != id {
			errs = append(errs, fmt.Errorf("key listed as %s has keyid %s", short(id), short(want)))
		}
		fp, err := Fingerprint(k)
		if err != nil {
			errs = append(errs, fmt.Errorf("key %s: %v", short(id), err))
			continue
		}
		if other, dup := byFP[fp]; dup {
			errs = append(errs, fmt.Errorf("the same public key is listed twice, as %s and %s", short(other), short(id)))
		}
		byFP[fp] = id
	}
	return errs
}

// CheckRoleKeys checks one role's keyids and threshold against the keys
// map: no keyid twice, every keyid present, 1 ≤ threshold ≤ number of keys.
func CheckRoleKeys(role string, keyIDs []string, threshold int, keys map[string]*metadata.Key) []error {
	var errs []error
	seen := map[string]bool{}
	for _, id := range keyIDs {
		if seen[id] {
			errs = append(errs, fmt.Errorf("role %s lists keyid %s twice", role, short(id)))
		}
		seen[id] = true
		if _, ok := keys[id]; !ok {
			errs = append(errs, fmt.Errorf("role %s lists keyid %s, which is not among the keys", role, short(id)))
		}
	}
	if len(keyIDs) == 0 {
		errs = append(errs, fmt.Errorf("role %s has no keys", role))
	}
	if threshold < 1 {
		errs = append(errs, fmt.Errorf("role %s has threshold %d; it must be at least 1", role, threshold))
	} else if threshold > len(seen) {
		errs = append(errs, fmt.Errorf("role %s has threshold %d but only %d keys: it can never be signed", role, threshold, len(seen)))
	}
	return errs
}

// short shortens a keyid for messages.
func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Short is the shortened keyid used in messages and summaries.
func Short(id string) string { return short(id) }
