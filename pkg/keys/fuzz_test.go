package keys

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParsePKCS11URI feeds key references that start like RFC 7512 URIs.
// Whatever it accepts names a token, a key and a module, never carries a
// PIN, and holds no control characters that could hide in a message.
func FuzzParsePKCS11URI(f *testing.F) {
	f.Add("pkcs11:token=tufgit;object=online?module-path=/usr/lib/softhsm/libsofthsm2.so")
	f.Add("pkcs11:serial=1234;id=%01%02?module-path=/usr/lib/x.so")
	f.Add("pkcs11:token=a;object=b?module-path=/m.so&pin-value=1234")
	f.Add("pkcs11:token=a%00b;object=b?module-path=/m.so")
	f.Add("pkcs11:token=a;token=b;object=c?module-path=/m.so")
	f.Add("pkcs11:object=b?module-path=")
	f.Fuzz(func(t *testing.T, ref string) {
		u, err := ParsePKCS11URI(ref)
		if err != nil {
			return
		}
		if u.Token == "" && u.Serial == "" {
			t.Fatalf("accepted %q without a token", ref)
		}
		if u.Object == "" && len(u.ID) == 0 {
			t.Fatalf("accepted %q without a key", ref)
		}
		if u.ModulePath == "" {
			t.Fatalf("accepted %q without a module", ref)
		}
		if _, query, ok := strings.Cut(ref, "?"); ok {
			for _, part := range strings.Split(query, "&") {
				if k, _, _ := strings.Cut(part, "="); k == "pin-value" || k == "pin-source" {
					t.Fatalf("accepted a PIN attribute in %q", ref)
				}
			}
		}
		for _, s := range []string{u.Token, u.Serial, u.Object, u.ModulePath} {
			if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("accepted control characters in %q", s)
			}
		}
	})
}

// FuzzParseSSHPublicKey feeds public key files. Whatever is accepted is an
// ed25519 or P-256 key (the types TUF's schemes can express), under the
// keyid tufgit computes for it.
func FuzzParseSSHPublicKey(f *testing.F) {
	f.Add([]byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop\n"))
	f.Add([]byte("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrXPbvaHk4s3t3UyCKnDz1Ad6oKz9xdwi3gA= bob\n"))
	f.Add([]byte("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== carol\n"))
	f.Add([]byte("sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIA== dave\n"))
	f.Add([]byte("command=\"ls\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !looksLikeSSHPublicKey(data) {
			return
		}
		k, err := parseSSHPublicKey("fuzz.pub", data)
		if err != nil {
			return
		}
		if k.Public == nil || (k.Public.Type != "ed25519" && !strings.HasPrefix(k.Public.Type, "ecdsa")) {
			t.Fatalf("accepted key type %+v from %q", k.Public, data)
		}
		id, err := k.Public.ID()
		if err != nil || id != k.ID {
			t.Fatalf("keyid %s, computed %s (%v)", k.ID, id, err)
		}
		if k.CanSign() {
			t.Fatalf("a public key file can sign")
		}
		_ = bytes.TrimSpace(data)
	})
}
