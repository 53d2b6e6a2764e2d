//go:build cgo

package keys

import (
	"crypto"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"os"

	"github.com/ThalesGroup/crypto11"
)

// PKCS11Supported reports whether this build can use pkcs11: keys (it
// needs cgo).
const PKCS11Supported = true

// loadPKCS11 opens the key a pkcs11: URI names on its token. Only ECDSA
// P-256 keys are accepted: crypto11 has no Ed25519, and an RSA token key
// would need PSS, which not every token offers.
func loadPKCS11(ref string, pass Passphrase) (*Key, error) {
	u, err := ParsePKCS11URI(ref)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w: %v", ref, ErrKeyRef, err)
	}
	if _, err := os.Stat(u.ModulePath); err != nil {
		return nil, fmt.Errorf("key %q: PKCS#11 module: %w (install it, e.g. softhsm2 or ykcs11, or fix module-path)", ref, err)
	}
	if pass == nil {
		return nil, fmt.Errorf("key %q: %w here", ref, ErrNoPIN)
	}
	p, err := pass(PINPromptPrefix + u.tokenName())
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", ref, err)
	}
	pin := string(p)
	ctx, err := crypto11.Configure(&crypto11.Config{Path: u.ModulePath, TokenLabel: u.Token, TokenSerial: u.Serial, Pin: pin})
	if err != nil {
		return nil, fmt.Errorf("key %q: opening token %s: %w (wrong PIN, or no such token? see `pkcs11-tool --module %s --list-slots`)", ref, u.tokenName(), err, u.ModulePath)
	}
	var label []byte
	if u.Object != "" {
		label = []byte(u.Object)
	}
	found, err := ctx.FindKeyPairs(u.ID, label)
	if err != nil {
		ctx.Close()
		return nil, fmt.Errorf("key %q: %w", ref, err)
	}
	switch len(found) {
	case 0:
		ctx.Close()
		return nil, fmt.Errorf("key %q: token %s has no key pair with this object/id (see `pkcs11-tool --module %s --list-objects --login`)", ref, u.tokenName(), u.ModulePath)
	case 1:
	default:
		ctx.Close()
		return nil, fmt.Errorf("key %q: %d key pairs on token %s match; add id= to choose one", ref, len(found), u.tokenName())
	}
	s := found[0]
	ec, ok := s.Public().(*ecdsa.PublicKey)
	if !ok {
		ctx.Close()
		return nil, fmt.Errorf("key %q: %w: a %T token key; tufgit uses ECDSA P-256 keys on PKCS#11 tokens", ref, ErrKeyType, s.Public())
	}
	k, err := fromPublic(ref, ec, cryptoSigner{s: s, hash: crypto.SHA256})
	if err != nil {
		ctx.Close()
		if errors.Is(err, ErrKeyFormat) {
			return nil, fmt.Errorf("%w (%w)", err, ErrKeyType)
		}
		return nil, err
	}
	return k, nil
}
