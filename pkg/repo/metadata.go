package repo

import (
	"fmt"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/keys"
)

// encode renders metadata as stored in the tree: indented JSON and a final
// newline. Signatures cover the canonical form of "signed", not these bytes.
func encode[T metadata.Roles](m *metadata.Metadata[T]) ([]byte, error) {
	b, err := m.ToBytes(true)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// sign adds k's signature to m, replacing any earlier signature by the same
// key, so that one key counts once however often it signs.
func sign[T metadata.Roles](m *metadata.Metadata[T], k *keys.Key) error {
	kept := m.Signatures[:0]
	for _, s := range m.Signatures {
		if s.KeyID != k.ID {
			kept = append(kept, s)
		}
	}
	m.Signatures = kept
	if _, err := m.Sign(k.Signer); err != nil {
		if cause := k.SignError(); cause != nil {
			err = cause // the backend's own reason, which go-tuf hides
		}
		return fmt.Errorf("signing with %s: %w", k.Ref, err)
	}
	return nil
}

// signers returns the keys of ks that hold a private part.
func signers(ks []*keys.Key) []*keys.Key {
	var out []*keys.Key
	for _, k := range ks {
		if k.CanSign() {
			out = append(out, k)
		}
	}
	return out
}

// keyIDs lists the keyids of ks.
func keyIDs(ks []*keys.Key) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.ID
	}
	return out
}

// checkKeySet refuses a key given twice and a threshold out of range.
func checkKeySet(what string, ks []*keys.Key, threshold int) error {
	if len(ks) == 0 {
		return fmt.Errorf("%s: at least one key is needed", what)
	}
	seen := map[string]string{}
	for _, k := range ks {
		if prev, dup := seen[k.ID]; dup {
			return fmt.Errorf("%s: %w: %s and %s are keyid %s", what, ErrDuplicateKey, prev, k.Ref, k.ID[:12])
		}
		seen[k.ID] = k.Ref
	}
	if threshold < 1 || threshold > len(ks) {
		return fmt.Errorf("%s: %w: %d is not between 1 and the number of keys (%d)", what, ErrBadThreshold, threshold, len(ks))
	}
	return nil
}

// EncodeMetadata renders metadata the way tufgit stores it in the tree.
func EncodeMetadata[T metadata.Roles](m *metadata.Metadata[T]) ([]byte, error) { return encode(m) }

// Sign adds k's signature to m, replacing an earlier one by the same key.
func Sign[T metadata.Roles](m *metadata.Metadata[T], k *keys.Key) error { return sign(m, k) }
