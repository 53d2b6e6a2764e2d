//go:build !cgo

package keys

import "fmt"

// PKCS11Supported reports whether this build can use pkcs11: keys (it
// needs cgo).
const PKCS11Supported = false

func loadPKCS11(ref string, _ Passphrase) (*Key, error) {
	if _, err := ParsePKCS11URI(ref); err != nil {
		return nil, fmt.Errorf("key %q: %w: %v", ref, ErrKeyRef, err)
	}
	return nil, fmt.Errorf("key %q: this tufgit was built without cgo and can not load PKCS#11 modules; build it with CGO_ENABLED=1 (make build)", ref)
}
