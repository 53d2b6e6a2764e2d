package keys

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/trust"
)

// FuzzLoadKeyRef feeds key references (--key, git config tufgit.key) to
// Load: pkcs11: URIs, ssh-agent: references, KMS URIs of any scheme.
// Nothing fuzzed here can reach a key: no PIN is given, no agent is
// running, and only schemes tufgit does not know reach the KMS branch
// (a known scheme would make a network call, so it is only classified).
// Properties: nothing loads; every refusal is one line that names the
// reference (quoted); an unknown KMS scheme is refused as such before
// sigstore sees it (sigstore would execute a plugin named after it); a
// pkcs11: reference is refused for its syntax or for the missing PIN, never
// after opening a module.
func FuzzLoadKeyRef(f *testing.F) {
	for _, s := range []string{
		"pkcs11:token=tufgit;object=online?module-path=/usr/lib/softhsm/libsofthsm2.so",
		"pkcs11:token=a;object=b?module-path=/nonexistent.so",
		"pkcs11:token=a%0Ab;object=b?module-path=/m.so",
		"ssh-agent:SHA256:2b6FsdvDc0GUz2fKnZ7nsuXQpkB1BoO0nnLdVnGhh0E",
		"ssh-agent:SHA256:short",
		"ssh-agent:",
		"awskms:///alias/online",
		"hashivault://online",
		"gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k",
		"azurekms://vault.example/key",
		"evil://x",
		"sigstore-kms-x://",
		"a\nb://c",
	} {
		f.Add(s)
	}
	sock, had := os.LookupEnv("SSH_AUTH_SOCK")
	os.Unsetenv("SSH_AUTH_SOCK")
	f.Cleanup(func() {
		if had {
			os.Setenv("SSH_AUTH_SOCK", sock)
		}
	})
	f.Fuzz(func(t *testing.T, ref string) {
		isPKCS11, isAgent := strings.HasPrefix(ref, PKCS11Scheme), strings.HasPrefix(ref, SSHAgentScheme)
		isKMS := !isPKCS11 && !isAgent && strings.Index(ref, "://") > 0
		switch {
		case isKMS && layout.IsKMSURI(ref):
			scheme, _, _ := strings.Cut(ref, "://")
			known := false
			for _, k := range layout.KMSSchemes {
				known = known || k == scheme
			}
			if !known {
				t.Fatalf("IsKMSURI(%q) with scheme %q, which is not in KMSSchemes", ref, scheme)
			}
			return
		case !isPKCS11 && !isAgent && !isKMS:
			return // a file path: FuzzParseKeyFile feeds file contents
		}
		k, err := Load(context.Background(), ref, nil)
		if err == nil {
			t.Fatalf("loaded %q: %+v", ref, k)
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\r\n") {
			t.Fatalf("refusal is not one line: %q", msg)
		}
		if !strings.Contains(msg, strconv.Quote(ref)) {
			t.Fatalf("refusal does not name the reference %q: %s", ref, msg)
		}
		switch {
		case isKMS && !errors.Is(err, ErrKMSScheme):
			t.Fatalf("unknown KMS scheme in %q not refused as such: %v", ref, err)
		case isPKCS11:
			if _, perr := ParsePKCS11URI(ref); (perr == nil) != errors.Is(err, ErrNoPIN) && !strings.Contains(msg, "PKCS#11 module") {
				t.Fatalf("pkcs11 reference %q: parse error %v, load error %v", ref, perr, err)
			}
		}
	})
}

// FuzzParseKeyFile feeds key files (public keys as PEM or OpenSSH; private
// keys are asked no passphrase here). Properties: whatever is accepted is
// a public key TUF metadata can carry (trust.SupportedKey) under the keyid
// go-tuf computes for it, that can not sign, and that survives a round
// trip through PEM with the same keyid; every refusal is one line that
// names the file.
func FuzzParseKeyFile(f *testing.F) {
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	ecPriv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for _, pub := range []any{edPub, ecPriv.Public(), ec384.Public()} {
		pem, err := cryptoutils.MarshalPublicKeyToPEM(pub)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pem)
	}
	if der, err := cryptoutils.MarshalPrivateKeyToPEM(ecPriv); err == nil {
		f.Add(der)
	}
	f.Add([]byte("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"))
	f.Add([]byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop\n"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := Parse("fuzz.pub", data, nil)
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, "fuzz.pub") {
				t.Fatalf("refusal is not one line naming the file: %q", msg)
			}
			return
		}
		if k.CanSign() {
			t.Fatalf("a key file without a passphrase gave a signer")
		}
		if err := trust.SupportedKey(k.Public); err != nil {
			t.Fatalf("accepted a key verify would refuse: %v", err)
		}
		id, err := k.Public.ID()
		if err != nil || id != k.ID {
			t.Fatalf("keyid %s, go-tuf computes %s (%v)", k.ID, id, err)
		}
		pub, err := k.Public.ToPublicKey()
		if err != nil {
			t.Fatalf("go-tuf can not read back the key: %v", err)
		}
		pem, err := cryptoutils.MarshalPublicKeyToPEM(pub)
		if err != nil {
			t.Fatalf("can not write the key as PEM: %v", err)
		}
		k2, err := Parse("again.pub", pem, nil)
		if err != nil || k2.ID != k.ID {
			t.Fatalf("PEM round trip: %v, keyid %v vs %s", err, k2, k.ID)
		}
	})
}
