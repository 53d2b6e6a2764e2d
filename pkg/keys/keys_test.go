package keys

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

func pass(s string) Passphrase { return func(string) ([]byte, error) { return []byte(s), nil } }

func TestGenerateWriteLoad(t *testing.T) {
	for _, typ := range []string{TypeEd25519, TypeECDSAP256} {
		dir := t.TempDir()
		priv, err := Generate(typ)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "k")
		id, err := WriteKeyPair(p, priv, []byte("secret"))
		if err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(p + ".key"); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: private key mode %o", typ, fi.Mode().Perm())
		}
		k, err := Load(context.Background(), p+".key", pass("secret"))
		if err != nil || !k.CanSign() || k.ID != id {
			t.Fatalf("%s: load private: %v", typ, err)
		}
		pub, err := Load(context.Background(), p+".pub", nil)
		if err != nil || pub.CanSign() || pub.ID != id {
			t.Fatalf("%s: load public: %v", typ, err)
		}
		if _, err := Load(context.Background(), p+".key", pass("wrong")); !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("%s: wrong passphrase: %v", typ, err)
		}
		if _, err := Load(context.Background(), p+".key", nil); !errors.Is(err, ErrNoPassphrase) {
			t.Errorf("%s: no passphrase: %v", typ, err)
		}
		if _, err := WriteKeyPair(p, priv, []byte("secret")); !errors.Is(err, ErrKeyExists) {
			t.Errorf("%s: overwrite: %v", typ, err)
		}
	}
	priv, _ := Generate(TypeEd25519)
	if _, err := WriteKeyPair(filepath.Join(t.TempDir(), "k"), priv, nil); !errors.Is(err, ErrEmptyPassphrase) {
		t.Errorf("empty passphrase: %v", err)
	}
}

func TestRefusedKeys(t *testing.T) {
	dir := t.TempDir()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	plain, _ := cryptoutils.MarshalPrivateKeyToPEM(ec)
	os.WriteFile(filepath.Join(dir, "plain.pem"), plain, 0o600)
	if _, err := Load(context.Background(), filepath.Join(dir, "plain.pem"), nil); !errors.Is(err, ErrKeyFormat) || !strings.Contains(err.Error(), "unencrypted") {
		t.Errorf("unencrypted key: %v", err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	pub, _ := cryptoutils.MarshalPublicKeyToPEM(p384.Public())
	os.WriteFile(filepath.Join(dir, "p384.pub"), pub, 0o644)
	if _, err := Load(context.Background(), filepath.Join(dir, "p384.pub"), nil); !errors.Is(err, ErrKeyFormat) {
		t.Errorf("P-384 key: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "big"), make([]byte, MaxKeyFileSize+1), 0o644)
	if _, err := Load(context.Background(), filepath.Join(dir, "big"), nil); !errors.Is(err, ErrKeyFormat) {
		t.Errorf("huge file: %v", err)
	}
	// RSA keys load as PSS signers (TUF's rsassa-pss-sha256).
	r, _ := rsa.GenerateKey(rand.Reader, 2048)
	k, err := FromSigner("rsa", r)
	if err != nil || k.Public.Scheme != "rsassa-pss-sha256" {
		t.Errorf("rsa: %v %+v", err, k)
	}
}

// A KMS URI with a scheme tufgit does not list is refused before
// sigstore could look for a plugin program named after it on PATH.
func TestUnknownKMSSchemeNeverExecs(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	plugin := filepath.Join(dir, "sigstore-kms-evil")
	os.WriteFile(plugin, []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755)
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, ref := range []string{"evil://key", "file:///etc/passwd", "https://example.org/key"} {
		if _, err := Load(context.Background(), ref, nil); !errors.Is(err, ErrKMSScheme) {
			t.Errorf("%s: %v", ref, err)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a plugin from PATH was executed")
	}
	// A listed scheme whose provider is not linked into this build.
	if _, err := Load(context.Background(), "hashivault://k", nil); !errors.Is(err, ErrKMSScheme) {
		t.Errorf("unregistered provider: %v", err)
	}
}
