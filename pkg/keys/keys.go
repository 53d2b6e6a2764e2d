// Package keys loads and generates the keys people sign with: encrypted
// private key files, public key files (PEM or OpenSSH, for signatures that
// come later), KMS keys through sigstore, PKCS#11 tokens (pkcs11: URIs) and
// ssh-agent keys (ssh-agent:SHA256:...). It is imported by the commands that
// sign, never by verification or the downloader.
package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/options"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/layout"
)

// Errors callers test for with errors.Is.
var (
	ErrWrongPassphrase = errors.New("wrong passphrase")
	ErrNoPassphrase    = errors.New("no passphrase")
	// ErrEmptyPassphrase: a new key's passphrase was empty.
	ErrEmptyPassphrase = errors.New("empty passphrase")
	// ErrKeyPermissions: a private key file others may read (see
	// PermissionError).
	ErrKeyPermissions = errors.New("private key file is readable by others")
	ErrNoPIN          = errors.New("no PIN for the PKCS#11 token")
	ErrKeyFormat      = errors.New("not a key file tufgit can read")
	ErrKMSScheme      = errors.New("unsupported KMS scheme")
	ErrKeyRef         = errors.New("malformed key reference")
	ErrKeyExists      = errors.New("key file already exists")
	// ErrKeyType is a key type TUF clients could not verify, or that the
	// backend signs in a way TUF does not accept.
	ErrKeyType = errors.New("key type refused")
	// ErrBadSignature means a key's signature over a challenge does not
	// verify against the public key it reports: the backend is broken.
	ErrBadSignature = errors.New("the key's signature does not verify")
)

// MaxKeyFileSize bounds reading a key file.
const MaxKeyFileSize = 64 << 10

// Key types `tufgit key generate` makes.
const (
	TypeEd25519   = "ed25519"
	TypeECDSAP256 = "ecdsa-p256"
)

// Passphrase obtains the passphrase for a key; prompt names the key.
//
// After a wrong passphrase, Load asks again, up to PassphraseTries times
// in all, with a prompt for which IsRetryPrompt is true. A Passphrase
// function that would only give the same answer again (one reading a
// variable or a file) returns ErrWrongPassphrase for a retry prompt.
type Passphrase func(prompt string) ([]byte, error)

// PassphraseTries is how often a key file's passphrase is asked, as ssh
// does.
const PassphraseTries = 3

// RetryPromptPrefix starts the prompt of a second or later try.
const RetryPromptPrefix = "wrong passphrase, try again: "

// IsRetryPrompt reports whether a prompt asks again after a wrong passphrase.
func IsRetryPrompt(prompt string) bool { return strings.HasPrefix(prompt, RetryPromptPrefix) }

// PermissionError refuses a private key file that its group or others may
// read, as ssh does. It is not checked on Windows, where mode bits do not
// say who may read a file.
type PermissionError struct {
	Path string
	Mode os.FileMode
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("key %s: %v (mode %04o): a private key must be readable by you alone", e.Path, ErrKeyPermissions, e.Mode.Perm())
}

func (e *PermissionError) Unwrap() error { return ErrKeyPermissions }

// Key is a loaded key: always its public part, and a signer when the
// private part is at hand.
type Key struct {
	Ref    string        // what the user gave: a path, a KMS, pkcs11: or ssh-agent: URI
	Public *metadata.Key // the TUF key
	ID     string        // the TUF keyid
	Signer signature.Signer
}

// CanSign reports whether the private part is at hand.
func (k *Key) CanSign() bool { return k.Signer != nil }

// Generate makes a new private key of the given type.
func Generate(typ string) (crypto.Signer, error) {
	switch typ {
	case TypeEd25519, "":
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case TypeECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	return nil, fmt.Errorf("unknown key type %q (use %s or %s)", typ, TypeEd25519, TypeECDSAP256)
}

// WriteKeyPair writes out+".key" (the private key encrypted with the
// passphrase, mode 0600) and out+".pub" (the public key). It refuses to
// overwrite either file. It returns the TUF keyid.
func WriteKeyPair(out string, priv crypto.Signer, passphrase []byte) (string, error) {
	if len(passphrase) == 0 {
		return "", fmt.Errorf("%w: it would leave the key unprotected", ErrEmptyPassphrase)
	}
	der, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(priv, func(bool) ([]byte, error) { return passphrase, nil })
	if err != nil {
		return "", fmt.Errorf("encrypt private key: %w", err)
	}
	privPEM := pem.EncodeToMemory(&pem.Block{Type: string(cryptoutils.EncryptedSigstorePrivateKeyPEMType), Bytes: der})
	pubPEM, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		return "", err
	}
	tk, err := metadata.KeyFromPublicKey(priv.Public())
	if err != nil {
		return "", err
	}
	id, err := tk.ID()
	if err != nil {
		return "", err
	}
	if err := writeNew(out+".key", privPEM, 0o600); err != nil {
		return "", err
	}
	if err := writeNew(out+".pub", pubPEM, 0o644); err != nil {
		os.Remove(out + ".key")
		return "", err
	}
	return id, nil
}

// writeNew creates path exclusively, so an existing key is never lost.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s: %w", path, ErrKeyExists)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// Load loads the key named by ref: a KMS URI, a pkcs11: URI, an
// ssh-agent:SHA256:... reference, or a private or public key file. pass is
// asked for an encrypted private key file's passphrase, and for a PKCS#11
// token's PIN (with a prompt for which IsPINPrompt is true).
func Load(ctx context.Context, ref string, pass Passphrase) (*Key, error) {
	switch {
	case strings.HasPrefix(ref, PKCS11Scheme):
		return loadPKCS11(ref, pass)
	case strings.HasPrefix(ref, SSHAgentScheme):
		return loadSSHAgent(ref)
	case strings.Index(ref, "://") > 0:
		return loadKMS(ctx, ref)
	}
	f, err := os.Open(ref)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", ref, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", ref, err)
	}
	if len(data) > MaxKeyFileSize {
		return nil, fmt.Errorf("key %s: %w: larger than %d bytes", ref, ErrKeyFormat, MaxKeyFileSize)
	}
	if runtime.GOOS != "windows" && isPrivatePEM(data) {
		if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
			return nil, &PermissionError{Path: ref, Mode: fi.Mode()}
		}
	}
	return Parse(ref, data, pass)
}

// Parse reads a key from PEM bytes, or an OpenSSH public key (a .pub file
// or an authorized_keys line); name is used in messages.
func Parse(name string, data []byte, pass Passphrase) (*Key, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		if looksLikeSSHPublicKey(data) {
			return parseSSHPublicKey(name, data)
		}
		return nil, fmt.Errorf("key %s: %w: no PEM block", name, ErrKeyFormat)
	}
	switch block.Type {
	case string(cryptoutils.PublicKeyPEMType):
		pub, err := cryptoutils.UnmarshalPEMToPublicKey(data)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w: %s", name, ErrKeyFormat, oneLine(err))
		}
		return fromPublic(name, pub, nil)
	case string(cryptoutils.EncryptedSigstorePrivateKeyPEMType), "ENCRYPTED COSIGN PRIVATE KEY":
		if pass == nil {
			return nil, fmt.Errorf("key %s: %w", name, ErrNoPassphrase)
		}
		prompt := "passphrase for " + name
		for try := 1; ; try++ {
			pw, err := pass(prompt)
			if err != nil {
				if try > 1 && errors.Is(err, ErrWrongPassphrase) {
					return nil, fmt.Errorf("key %s: %w", name, ErrWrongPassphrase)
				}
				return nil, fmt.Errorf("key %s: %w", name, err)
			}
			priv, err := cryptoutils.UnmarshalPEMToPrivateKey(data, func(bool) ([]byte, error) { return pw, nil })
			if err == nil {
				return fromPrivate(name, priv)
			}
			if !strings.Contains(err.Error(), "decrypt") {
				return nil, fmt.Errorf("key %s: %w: %s", name, ErrKeyFormat, oneLine(err))
			}
			if try == PassphraseTries {
				return nil, fmt.Errorf("key %s: %w (%d tries)", name, ErrWrongPassphrase, try)
			}
			prompt = RetryPromptPrefix + "passphrase for " + name
		}
	case string(cryptoutils.PrivateKeyPEMType), string(cryptoutils.ECPrivateKeyPEMType), string(cryptoutils.PKCS1PrivateKeyPEMType):
		return nil, fmt.Errorf("key %s: %w: unencrypted private keys are refused; make one with `tufgit key generate`", name, ErrKeyFormat)
	}
	return nil, fmt.Errorf("key %s: %w: PEM type %q", name, ErrKeyFormat, block.Type)
}

func fromPrivate(name string, priv crypto.PrivateKey) (*Key, error) {
	var (
		s   signature.Signer
		err error
	)
	switch p := priv.(type) {
	case ed25519.PrivateKey:
		s, err = signature.LoadSigner(p, crypto.Hash(0))
	case *ecdsa.PrivateKey:
		if p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("key %s: %w: only ECDSA P-256 is supported", name, ErrKeyFormat)
		}
		s, err = signature.LoadSigner(p, crypto.SHA256)
	case *rsa.PrivateKey:
		// go-tuf verifies rsassa-pss-sha256, so sign with PSS.
		s, err = signature.LoadRSAPSSSigner(p, crypto.SHA256, &rsa.PSSOptions{Hash: crypto.SHA256})
	default:
		return nil, fmt.Errorf("key %s: %w: unsupported private key type %T", name, ErrKeyFormat, priv)
	}
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", name, err)
	}
	pub, err := s.PublicKey()
	if err != nil {
		return nil, err
	}
	return fromPublic(name, pub, s)
}

func fromPublic(name string, pub crypto.PublicKey, s signature.Signer) (*Key, error) {
	if ec, ok := pub.(*ecdsa.PublicKey); ok && ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("key %s: %w: only ECDSA P-256 is supported", name, ErrKeyFormat)
	}
	tk, err := metadata.KeyFromPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w: %s", name, ErrKeyFormat, oneLine(err))
	}
	id, err := tk.ID()
	if err != nil {
		return nil, err
	}
	if s != nil {
		s = &recorder{Signer: s}
	}
	return &Key{Ref: name, Public: tk, ID: id, Signer: s}, nil
}

// isPrivatePEM reports whether data is a PEM private key (encrypted or not).
func isPrivatePEM(data []byte) bool {
	block, _ := pem.Decode(data)
	return block != nil && strings.Contains(block.Type, "PRIVATE KEY")
}

// loadKMS opens a KMS key. The scheme is checked against tufgit's list
// before sigstore sees it: sigstore would otherwise execute a plugin
// program named after an unknown scheme from PATH.
func loadKMS(ctx context.Context, ref string) (*Key, error) {
	if !layout.IsKMSURI(ref) {
		scheme, _, _ := strings.Cut(ref, "://")
		return nil, fmt.Errorf("key %q: %w %q (use a key file or one of %s)", ref, ErrKMSScheme, scheme,
			strings.Join(layout.KMSSchemes, "://, ")+"://")
	}
	registered := false
	for _, p := range kms.SupportedProviders() {
		if strings.HasPrefix(ref, p) {
			registered = true
		}
	}
	if !registered {
		return nil, fmt.Errorf("key %q: %w: this build of tufgit has no provider for it", ref, ErrKMSScheme)
	}
	sv, err := kms.Get(ctx, ref, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", ref, err)
	}
	pub, err := sv.PublicKey(options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("key %q: reading the public key from KMS: %w", ref, err)
	}
	switch pub.(type) {
	case *rsa.PublicKey:
		return nil, fmt.Errorf("key %q: %w: RSA KMS keys sign PKCS#1 v1.5, which TUF's rsassa-pss-sha256 does not accept; use an ECDSA P-256 key", ref, ErrKeyType)
	case ed25519.PublicKey:
		// TUF's ed25519 signs the message itself. Opened with SHA-256,
		// sigstore's Vault signer would have Vault sign SHA-256(message),
		// a signature no TUF client accepts; reopen with no hash.
		sv, err = kms.Get(ctx, ref, crypto.Hash(0))
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", ref, err)
		}
	}
	return fromPublic(ref, pub, sv)
}

// FromSigner wraps an in-memory private key (ed25519, ECDSA P-256 or RSA)
// as a Key; name is used in messages.
func FromSigner(name string, priv crypto.PrivateKey) (*Key, error) { return fromPrivate(name, priv) }

// oneLine renders a parser's error for a message of ours: the parsers of
// key files (x/crypto/ssh, encoding/pem, x509) may quote bytes of the
// hostile input in their errors, control characters included; those are
// escaped, so the message stays one line that a terminal shows as is.
func oneLine(err error) string {
	s := err.Error()
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
