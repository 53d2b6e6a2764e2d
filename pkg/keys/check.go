package keys

import (
	"crypto"
	"fmt"
	"io"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// challengeExpiry fixes the challenge's content, so that the bytes a key
// signs in Check are the same every time.
var challengeExpiry = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Check proves that the key's signer makes signatures TUF clients accept:
// it signs a fixed challenge (a root metadata document that lists only this
// key) and verifies the signature with go-tuf against the TUF public key
// the key reports. A KMS, token or agent that signs the wrong bytes, with
// the wrong scheme or with another key is caught here, before it signs
// anything real. A key without a signer is not checked.
func (k *Key) Check() error {
	if !k.CanSign() {
		return nil
	}
	root := metadata.Root(challengeExpiry)
	if err := root.Signed.AddKey(k.Public, metadata.ROOT); err != nil {
		return fmt.Errorf("key %s: %w", k.Ref, err)
	}
	if _, err := root.Sign(k.Signer); err != nil {
		return fmt.Errorf("key %s: signing a test challenge: %w", k.Ref, err)
	}
	if err := root.VerifyDelegate(metadata.ROOT, root); err != nil {
		return fmt.Errorf("key %s: %w against its %s public key %s (%v); do not use this key until the backend is fixed",
			k.Ref, ErrBadSignature, k.Public.Scheme, short(k.ID), err)
	}
	return nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// cryptoSigner adapts a crypto.Signer that signs digests (a PKCS#11 token)
// to sigstore's signature.Signer: it hashes the message with hash first,
// or passes it whole when hash is zero (ed25519).
type cryptoSigner struct {
	s    crypto.Signer
	hash crypto.Hash
}

func (c cryptoSigner) SignMessage(message io.Reader, _ ...signature.SignOption) ([]byte, error) {
	data, err := io.ReadAll(message)
	if err != nil {
		return nil, err
	}
	digest := data
	if c.hash != crypto.Hash(0) {
		h := c.hash.New()
		h.Write(data)
		digest = h.Sum(nil)
	}
	return c.s.Sign(nil, digest, c.hash)
}

func (c cryptoSigner) PublicKey(...signature.PublicKeyOption) (crypto.PublicKey, error) {
	return c.s.Public(), nil
}

// recorder remembers why its signer last failed: go-tuf's Metadata.Sign
// replaces any signer error with a generic "problem signing metadata",
// which would hide a KMS refusal, a wrong PIN or an oversized message.
type recorder struct {
	signature.Signer
	err error
}

func (r *recorder) SignMessage(m io.Reader, opts ...signature.SignOption) ([]byte, error) {
	sig, err := r.Signer.SignMessage(m, opts...)
	r.err = err
	return sig, err
}

// SignError returns why the key's last signature failed, or nil: call it
// when go-tuf's Sign fails, to report the backend's own error.
func (k *Key) SignError() error {
	if r, ok := k.Signer.(*recorder); ok {
		return r.err
	}
	return nil
}
