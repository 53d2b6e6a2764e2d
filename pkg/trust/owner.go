package trust

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// KeyOwnerField is the field of a key object that names the key's owner,
// inside the signed metadata that lists the key: a label its delegator
// signs. It is tuf-on-ci's field, so tuf-on-ci's tooling and any web UI
// that reads it show the same owner; TUF clients ignore it.
const KeyOwnerField = "x-tuf-on-ci-keyowner"

// KeyOwner returns the signed owner label of k, if it carries one.
func KeyOwner(k *metadata.Key) (string, bool) {
	if k == nil {
		return "", false
	}
	s, ok := k.UnrecognizedFields[KeyOwnerField].(string)
	return s, ok && s != ""
}

// WithOwner returns a copy of k whose key object carries label as its
// owner ("" drops it). The keyid stays that of the bare key (KeyID).
func WithOwner(k *metadata.Key, label string) *metadata.Key {
	c := &metadata.Key{Type: k.Type, Scheme: k.Scheme, Value: metadata.KeyVal{PublicKey: k.Value.PublicKey, UnrecognizedFields: map[string]any{}}, UnrecognizedFields: map[string]any{}}
	for f, v := range k.UnrecognizedFields {
		c.UnrecognizedFields[f] = v
	}
	for f, v := range k.Value.UnrecognizedFields {
		c.Value.UnrecognizedFields[f] = v
	}
	if label == "" {
		delete(c.UnrecognizedFields, KeyOwnerField)
	} else {
		c.UnrecognizedFields[KeyOwnerField] = label
	}
	return c
}

// CheckOwnerLabel checks an owner label: 1-100 characters, valid UTF-8,
// no control or invisible formatting characters (which could make a label
// read as another).
func CheckOwnerLabel(s string) error {
	if s == "" || utf8.RuneCountInString(s) > 100 {
		return errors.New("must be 1-100 characters")
	}
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\uFFFD' {
			return fmt.Errorf("%q has a control or invisible formatting character", s)
		}
	}
	return nil
}

// checkOwner checks the owner field of a key object, when present.
func checkOwner(k *metadata.Key) error {
	v, ok := k.UnrecognizedFields[KeyOwnerField]
	if !ok {
		return nil
	}
	s, isString := v.(string)
	if !isString {
		return fmt.Errorf("%s is not a string", KeyOwnerField)
	}
	if err := CheckOwnerLabel(s); err != nil {
		return fmt.Errorf("%s %v", KeyOwnerField, err)
	}
	return nil
}

// bareKey is k without its owner label, as its keyid is computed.
func bareKey(k *metadata.Key) *metadata.Key {
	if _, ok := k.UnrecognizedFields[KeyOwnerField]; !ok {
		c := *k
		return &c
	}
	return WithOwner(k, "")
}
