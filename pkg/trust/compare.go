package trust

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"reflect"
	"slices"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Comparison says how the delegation of one role differs between two
// versions of its delegator (or between two delegators, for a role that
// moves). It is what a signer must be told before signing, and what
// verify checks when a role moves.
type Comparison struct {
	// KeysAdded and KeysRemoved are keyids, sorted. A keyid listed on both
	// sides whose key material differs counts as removed and added.
	KeysAdded, KeysRemoved []string
	// KeysKept are the keyids on both sides with the same key material.
	KeysKept                            []string
	ThresholdBefore                     int
	ThresholdAfter                      int
	PathsBefore, PathsAfter             []string
	TerminatingBefore, TerminatingAfter bool
}

// Compare compares the delegation before with the delegation after.
func Compare(before, after *Delegation) Comparison {
	c := Comparison{
		ThresholdBefore: before.Threshold, ThresholdAfter: after.Threshold,
		PathsBefore: before.Paths, PathsAfter: after.Paths,
		TerminatingBefore: before.Terminating, TerminatingAfter: after.Terminating,
	}
	for _, id := range sortedCopy(after.KeyIDs) {
		switch {
		case !slices.Contains(before.KeyIDs, id):
			c.KeysAdded = append(c.KeysAdded, id)
		case !sameKey(before.Keys[id], after.Keys[id]):
			c.KeysAdded = append(c.KeysAdded, id)
			c.KeysRemoved = append(c.KeysRemoved, id)
		default:
			c.KeysKept = append(c.KeysKept, id)
		}
	}
	for _, id := range sortedCopy(before.KeyIDs) {
		if !slices.Contains(after.KeyIDs, id) {
			c.KeysRemoved = append(c.KeysRemoved, id)
		}
	}
	slices.Sort(c.KeysRemoved)
	return c
}

// SignersChanged reports whether the keys or the threshold changed: who
// can sign the role is not who could before.
func (c Comparison) SignersChanged() bool {
	return len(c.KeysAdded) > 0 || len(c.KeysRemoved) > 0 || c.ThresholdBefore != c.ThresholdAfter
}

// ScopeChanged reports whether the paths or the terminating flag changed:
// what the role may sign is not what it could before.
func (c Comparison) ScopeChanged() bool {
	return !slices.Equal(c.PathsBefore, c.PathsAfter) || c.TerminatingBefore != c.TerminatingAfter
}

// Same reports whether nothing about the delegation changed.
func (c Comparison) Same() bool { return !c.SignersChanged() && !c.ScopeChanged() }

func sameKey(ka, kb *metadata.Key) bool {
	if ka == nil || kb == nil {
		return ka == kb
	}
	return ka.Type == kb.Type && ka.Scheme == kb.Scheme && ka.Value.PublicKey == kb.Value.PublicKey
}

// SameTargetFile reports whether two target entries are the same entry:
// the same length, the same hash algorithms with the same values, and the
// same custom data (a yank lives there) and other fields. go-tuf's
// TargetFiles.Equal compares only length and the hashes both sides have,
// which is right for "are these the same bytes" and wrong for "is this the
// same entry".
func SameTargetFile(a, b *metadata.TargetFiles) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Length != b.Length || len(a.Hashes) != len(b.Hashes) {
		return false
	}
	for alg, h := range a.Hashes {
		if o, ok := b.Hashes[alg]; !ok || !hmac.Equal(h, o) {
			return false
		}
	}
	x, errX := structural(a)
	y, errY := structural(b)
	return errX == nil && errY == nil && reflect.DeepEqual(x, y)
}

// structural is v as encoding/json reads its own output: maps, slices,
// strings, json.Numbers, so that two encodings of one value compare equal
// whatever their key order or spacing.
func structural(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	err = dec.Decode(&out)
	return out, err
}
