package keys

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// needTool finds a test helper or tool: in PATH, or where .ci/run caches
// the helpers it builds. Missing, the test skips, or fails under CI.
func needTool(t *testing.T, name, install string) string {
	t.Helper()
	home, _ := os.UserHomeDir()
	if p := filepath.Join(home, ".cache", "tufgit", "bin", name); fileExists(p) {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing under CI; .ci/run installs it", name)
	}
	t.Skipf("SKIPPED: %s not found (%s)", name, install)
	return ""
}

func TestParsePKCS11URI(t *testing.T) {
	mod := "/usr/lib/softhsm/libsofthsm2.so"
	good := map[string]PKCS11URI{
		"pkcs11:token=tufgit;object=online?module-path=" + mod:                      {Token: "tufgit", Object: "online", ModulePath: mod},
		"pkcs11:token=YubiKey%20PIV;id=%02?module-path=" + mod:                      {Token: "YubiKey PIV", ID: []byte{2}, ModulePath: mod},
		"pkcs11:serial=abc;object=k;type=private;manufacturer=x?module-path=" + mod: {Serial: "abc", Object: "k", ModulePath: mod},
	}
	for ref, want := range good {
		got, err := ParsePKCS11URI(ref)
		if err != nil {
			t.Errorf("%s: %v", ref, err)
			continue
		}
		if got.Token != want.Token || got.Serial != want.Serial || got.Object != want.Object || !bytes.Equal(got.ID, want.ID) || got.ModulePath != want.ModulePath {
			t.Errorf("%s: got %+v, want %+v", ref, got, want)
		}
	}
	bad := map[string]string{
		"pkcs11:token=t;object=o":                                      "no module",
		"pkcs11:object=o?module-path=" + mod:                           "no token",
		"pkcs11:token=t?module-path=" + mod:                            "no key",
		"pkcs11:token=t;object=o?module-path=lib.so":                   "absolute",
		"pkcs11:token=t;object=o?module-path=" + mod + "&pin-value=1":  "keep the PIN out",
		"pkcs11:token=t;object=o?module-path=" + mod + "&pin-source=f": "keep the PIN out",
		"pkcs11:token=t;objekt=o?module-path=" + mod:                   `unknown path attribute "objekt"`,
		"pkcs11:token=t;object=o?module-path=" + mod + "&x=1":          `unknown query attribute "x"`,
		"pkcs11:token=t;token=u;object=o?module-path=" + mod:           "given twice",
		"pkcs11:token=t;object=o;type=public?module-path=" + mod:       "type=private",
		"pkcs11:token=t;object=%zz?module-path=" + mod:                 "percent-encoding",
		"pkcs11:token?module-path=" + mod:                              "not NAME=VALUE",
	}
	for ref, want := range bad {
		if _, err := ParsePKCS11URI(ref); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error containing %q", ref, err, want)
		}
	}
	// Through Load, a malformed URI is a one-line ErrKeyRef, never a panic.
	if _, err := Load(context.Background(), "pkcs11:token=t", nil); !errors.Is(err, ErrKeyRef) {
		t.Errorf("Load of a malformed pkcs11: URI: %v", err)
	}
}

// flipSigner signs with s and flips one bit of the result: a broken backend.
type flipSigner struct{ signature.Signer }

func (f flipSigner) SignMessage(m io.Reader, o ...signature.SignOption) ([]byte, error) {
	sig, err := f.Signer.SignMessage(m, o...)
	if err == nil {
		sig[len(sig)/2] ^= 1
	}
	return sig, err
}

func TestCheckCatchesBrokenSigners(t *testing.T) {
	for _, typ := range []string{TypeEd25519, TypeECDSAP256} {
		priv, _ := Generate(typ)
		k, err := FromSigner("k", priv)
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Check(); err != nil {
			t.Fatalf("%s: a good signer fails the check: %v", typ, err)
		}
		// A tampered signature.
		bad := *k
		bad.Signer = flipSigner{k.Signer}
		if err := bad.Check(); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: a signer that flips a bit passes the check: %v", typ, err)
		}
		// The wrong key: the backend signs with another key than it reports.
		other, _ := Generate(typ)
		ok, _ := FromSigner("other", other)
		wrong := *k
		wrong.Signer = ok.Signer
		if err := wrong.Check(); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: a signer with another key passes the check: %v", typ, err)
		}
	}
	// A public key has nothing to check.
	priv, _ := Generate(TypeEd25519)
	pub, _ := fromPublic("pub", priv.Public(), nil)
	if err := pub.Check(); err != nil {
		t.Error(err)
	}
}

func TestOpenSSHPublicKeys(t *testing.T) {
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	ecPriv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, pub := range []crypto.PublicKey{edPub, &ecPriv.PublicKey} {
		sp, err := ssh.NewPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		line := ssh.MarshalAuthorizedKey(sp)
		want, _ := metadata.KeyFromPublicKey(pub)
		wantID, _ := want.ID()
		for name, data := range map[string][]byte{
			"pub":             append(bytes.TrimSpace(line), " alice@laptop\n"...),
			"authorized_keys": append([]byte(`restrict,command="/bin/false" `), line...),
		} {
			k, err := Parse(name, data, nil)
			if err != nil {
				t.Fatalf("%s %s: %v", sp.Type(), name, err)
			}
			if k.ID != wantID || k.CanSign() {
				t.Errorf("%s %s: keyid %s, want %s", sp.Type(), name, k.ID, wantID)
			}
		}
	}
	rsaPriv, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaSSH, _ := ssh.NewPublicKey(&rsaPriv.PublicKey)
	if _, err := Parse("rsa.pub", ssh.MarshalAuthorizedKey(rsaSSH), nil); !errors.Is(err, ErrKeyType) || !strings.Contains(err.Error(), "PKCS#1 v1.5") {
		t.Errorf("RSA OpenSSH key: %v", err)
	}
	sk := "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIEX/dQ0v4127bEo8eeG1EV0ApO2lWbSnN6RWusn/NjqIAAAABHNzaDo= alice@yubikey\n"
	if _, err := Parse("sk.pub", []byte(sk), nil); !errors.Is(err, ErrKeyType) || !strings.Contains(err.Error(), "flags and counter") {
		t.Errorf("sk- OpenSSH key: %v", err)
	}
	if _, err := Parse("junk.pub", []byte("ssh-ed25519 !!!notbase64"), nil); !errors.Is(err, ErrKeyFormat) {
		t.Errorf("junk OpenSSH key: %v", err)
	}
}

// agentKey adds priv to an in-memory agent and returns it as a Key that
// signs through the agent protocol's signer.
func agentKey(t *testing.T, ag agent.ExtendedAgent, priv crypto.PrivateKey) *Key {
	t.Helper()
	if err := ag.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	signer, _ := ssh.NewSignerFromKey(priv)
	pub := signer.PublicKey()
	k, err := fromSSHPublicKey("agent", pub, &agentSigner{agent: ag, pub: pub})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestAgentSignatures(t *testing.T) {
	ag := agent.NewKeyring().(agent.ExtendedAgent)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, priv := range []crypto.PrivateKey{ed, ec} {
		k := agentKey(t, ag, priv)
		// An ed25519 agent signature is TUF's ed25519; an ecdsa one,
		// re-encoded as DER, is TUF's ecdsa-sha2-nistp256.
		if err := k.Check(); err != nil {
			t.Errorf("%s: %v", k.Public.Scheme, err)
		}
		// Too large for OpenSSH's agent: refused before asking it, naming
		// the metadata type and size.
		msg := append([]byte(`{"_type":"targets","x":"`), bytes.Repeat([]byte("a"), 300<<10)...)
		_, err := k.Signer.SignMessage(bytes.NewReader(msg))
		var tl *MessageTooLargeError
		if !errors.As(err, &tl) || tl.Type != "targets" || tl.Size != int64(len(msg)) || !errors.Is(err, ErrMessageTooLarge) {
			t.Errorf("%s: 300 KiB message: %v", k.Public.Scheme, err)
		} else if !strings.Contains(err.Error(), "targets metadata to sign is 307224 bytes (300 KiB)") {
			t.Errorf("message: %v", err)
		}
	}
}

// The limit matches OpenSSH's real agent: the largest message tufgit lets
// through is signed, one byte more the agent itself refuses.
func TestOpenSSHAgentLimit(t *testing.T) {
	bin := needTool(t, "ssh-agent", "apt-get install openssh-client")
	dir, err := os.MkdirTemp("", "tufgit-agent")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "a.sock")
	cmd := exec.Command(bin, "-D", "-a", sock)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var conn net.Conn
	for i := 0; i < 300 && conn == nil; i++ {
		conn, _ = net.Dial("unix", sock)
		time.Sleep(10 * time.Millisecond)
	}
	if conn == nil {
		t.Fatal("ssh-agent did not start")
	}
	defer conn.Close()
	ag := agent.NewClient(conn)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	k := agentKey(t, ag, ed)
	as := k.Signer.(*recorder).Signer.(*agentSigner)
	max := as.maxMessage()
	if _, err := k.Signer.SignMessage(bytes.NewReader(make([]byte, max))); err != nil {
		t.Fatalf("OpenSSH's agent refused %d bytes, tufgit's limit: %v", max, err)
	}
	if _, err := ag.SignWithFlags(as.pub, make([]byte, max+1), 0); err == nil {
		t.Fatalf("OpenSSH's agent signed %d bytes: tufgit's limit is too strict", max+1)
	}
	if _, err := k.Signer.SignMessage(bytes.NewReader(make([]byte, max+1))); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("one byte over: %v", err)
	}
	// go-tuf hides a signer's error; SignError gives it back.
	m := metadata.Targets(time.Now().Add(time.Hour))
	m.Signed.UnrecognizedFields = map[string]any{"pad": strings.Repeat("x", max)}
	if _, err := m.Sign(k.Signer); err == nil {
		t.Fatal("go-tuf signed an oversized role")
	}
	if err := k.SignError(); !errors.Is(err, ErrMessageTooLarge) || !strings.Contains(err.Error(), "targets metadata") {
		t.Fatalf("SignError: %v", err)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
