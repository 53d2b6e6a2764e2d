package trust

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
)

// SameExceptExpiry reports whether two signed parts of one role (a
// metadata.TargetsType or metadata.RootType, as go-tuf parsed them) are
// the same but for their version and expiry: a renewal, and nothing else.
// It compares the canonical JSON that signatures cover, with those two
// fields left out, so no field (known to go-tuf or not) can hide.
func SameExceptExpiry(before, after any) (bool, error) {
	b, err := canonicalWithoutExpiry(before)
	if err != nil {
		return false, err
	}
	a, err := canonicalWithoutExpiry(after)
	if err != nil {
		return false, err
	}
	return bytes.Equal(a, b), nil
}

// canonicalWithoutExpiry is the canonical JSON of signed without its version
// and expires. The fields are read from encoding/json's own output, never from canonical
// JSON: canonical JSON leaves control characters in strings unescaped (a
// PEM public key's newlines), which no JSON parser reads back.
func canonicalWithoutExpiry(signed any) ([]byte, error) {
	raw, err := json.Marshal(signed)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("signed part is not an object")
	}
	delete(m, "version")
	delete(m, "expires")
	return cjson.EncodeCanonical(m)
}
