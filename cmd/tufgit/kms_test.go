package main

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"io"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
)

// fakeKMSPrefix is a KMS the test binary alone knows, standing in for a
// cloud KMS: hashivault://tufgit-test/good/NAME is an honest key,
// hashivault://tufgit-test/broken/NAME reports NAME's public key but signs
// with another (as a misconfigured or faulty KMS key would). Keys derive
// from NAME, so every process sees the same one.
const fakeKMSPrefix = "hashivault://tufgit-test/"

// registerFakeKMS wraps the hashivault provider in the test binary only:
// references under fakeKMSPrefix are the fake, every other one goes to
// the real provider (the backend scripts test against Vault's transit
// engine).
func registerFakeKMS() {
	kms.AddProvider("hashivault://", func(_ context.Context, ref string, h crypto.Hash, opts ...signature.RPCOption) (kms.SignerVerifier, error) {
		rest, ok := strings.CutPrefix(ref, fakeKMSPrefix)
		if !ok {
			return hashivault.LoadSignerVerifier(ref, h, opts...)
		}
		mode, name, _ := strings.Cut(rest, "/")
		claimed := seededKey(name)
		signing := claimed
		switch mode {
		case "good":
		case "broken":
			signing = seededKey(name + "-other")
		default:
			return nil, fmt.Errorf("%s: want good or broken", ref)
		}
		sv, err := signature.LoadED25519SignerVerifier(signing)
		if err != nil {
			return nil, err
		}
		return &fakeKMS{claimed: claimed.Public(), signer: sv}, nil
	})
}

func seededKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("tufgit fake kms " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// fakeKMS implements what tufgit uses of a KMS signer; the embedded nil
// interface makes any other call fail loudly.
type fakeKMS struct {
	kms.SignerVerifier
	claimed crypto.PublicKey
	signer  signature.Signer
}

func (f *fakeKMS) PublicKey(...signature.PublicKeyOption) (crypto.PublicKey, error) {
	return f.claimed, nil
}

func (f *fakeKMS) SignMessage(m io.Reader, opts ...signature.SignOption) ([]byte, error) {
	return f.signer.SignMessage(m, opts...)
}
