package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// SSHAgentScheme starts a reference to a key held by ssh-agent:
// ssh-agent:SHA256:FINGERPRINT, the fingerprint as `ssh-add -l` prints it.
const SSHAgentScheme = "ssh-agent:"

// MaxSSHAgentMessage is the largest request OpenSSH's agent accepts
// (AGENT_MAX_LEN in ssh-agent.c); a signing request carries the key blob
// and the message, so the message itself must be a little smaller.
const MaxSSHAgentMessage = 256 << 10

// ErrMessageTooLarge means metadata is too big for the signer.
var ErrMessageTooLarge = errors.New("too large to sign")

// sshKeyTypeRefusal says why a type of SSH key can not be a TUF key, or ""
// when it can.
func sshKeyTypeRefusal(typ string) string {
	switch {
	case typ == ssh.KeyAlgoED25519, typ == ssh.KeyAlgoECDSA256:
		return ""
	case strings.HasPrefix(typ, "sk-"):
		return "FIDO security-key (sk-) signatures cover the authenticator's flags and counter, not the message, so no TUF client can verify them; use an ssh-ed25519 key, or the token through PKCS#11"
	case typ == ssh.KeyAlgoRSA:
		return "ssh-agent signs RSA with PKCS#1 v1.5 and TUF's rsassa-pss-sha256 needs PSS; use an ssh-ed25519 or ecdsa-sha2-nistp256 key"
	}
	return "TUF clients support ssh-ed25519 and ecdsa-sha2-nistp256 among SSH key types"
}

// looksLikeSSHPublicKey reports whether data starts like an OpenSSH
// public key or authorized_keys line rather than a PEM file.
func looksLikeSSHPublicKey(data []byte) bool {
	s := strings.TrimSpace(string(data))
	return strings.HasPrefix(s, "ssh-") || strings.HasPrefix(s, "ecdsa-sha2-") || strings.HasPrefix(s, "sk-") ||
		strings.Contains(s, " ssh-") || strings.Contains(s, " ecdsa-sha2-") || strings.Contains(s, " sk-")
}

// parseSSHPublicKey reads the first key of an OpenSSH public key file or
// authorized_keys line (options and comment allowed).
func parseSSHPublicKey(name string, data []byte) (*Key, error) {
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w: OpenSSH public key: %s", name, ErrKeyFormat, oneLine(err))
	}
	return fromSSHPublicKey(name, pub, nil)
}

func fromSSHPublicKey(name string, pub ssh.PublicKey, s signature.Signer) (*Key, error) {
	if why := sshKeyTypeRefusal(pub.Type()); why != "" {
		return nil, fmt.Errorf("key %s: %w: %s: %s", name, ErrKeyType, pub.Type(), why)
	}
	cpub, ok := pub.(ssh.CryptoPublicKey)
	if !ok {
		return nil, fmt.Errorf("key %s: %w: %s", name, ErrKeyFormat, pub.Type())
	}
	return fromPublic(name, cpub.CryptoPublicKey(), s)
}

// loadSSHAgent finds the key with the given fingerprint in the agent at
// SSH_AUTH_SOCK and returns it with a signer that asks the agent.
func loadSSHAgent(ref string) (*Key, error) {
	fp := strings.TrimPrefix(ref, SSHAgentScheme)
	if !strings.HasPrefix(fp, "SHA256:") || len(fp) != len("SHA256:")+43 {
		return nil, fmt.Errorf("key %q: %w: want ssh-agent:SHA256:FINGERPRINT with the 43-character fingerprint `ssh-add -l` prints", ref, ErrKeyRef)
	}
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, fmt.Errorf("key %q: SSH_AUTH_SOCK is not set: start ssh-agent and add the key with ssh-add", ref)
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("key %q: connecting to ssh-agent at SSH_AUTH_SOCK: %w", ref, err)
	}
	ag := agent.NewClient(conn)
	list, err := ag.List()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("key %q: listing ssh-agent's keys: %w", ref, err)
	}
	for _, k := range list {
		if ssh.FingerprintSHA256(k) != fp {
			continue
		}
		pub, err := ssh.ParsePublicKey(k.Marshal())
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("key %q: %w", ref, err)
		}
		key, err := fromSSHPublicKey(ref, pub, &agentSigner{agent: ag, conn: conn, pub: pub})
		if err != nil {
			conn.Close()
			return nil, err
		}
		return key, nil
	}
	conn.Close()
	return nil, fmt.Errorf("key %q: ssh-agent holds no key with this fingerprint (%d keys; see `ssh-add -l`)", ref, len(list))
}

// agentSigner signs through ssh-agent. An ssh-ed25519 signature is a plain
// Ed25519 signature over the message (TUF's ed25519); an
// ecdsa-sha2-nistp256 one is (r, s) in SSH wire form over SHA-256 of the
// message, re-encoded here as the DER TUF's ecdsa-sha2-nistp256 expects.
type agentSigner struct {
	agent agent.ExtendedAgent
	conn  net.Conn
	pub   ssh.PublicKey
}

// maxMessage is the largest message the agent accepts with this key:
// AGENT_MAX_LEN less the request's type byte, key blob, message length
// and flags.
func (a *agentSigner) maxMessage() int {
	return MaxSSHAgentMessage - (1 + 4 + len(a.pub.Marshal()) + 4 + 4)
}

func (a *agentSigner) SignMessage(message io.Reader, _ ...signature.SignOption) ([]byte, error) {
	limit := a.maxMessage()
	data, err := io.ReadAll(io.LimitReader(message, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		n, _ := io.Copy(io.Discard, message)
		return nil, &MessageTooLargeError{Size: int64(len(data)) + n, Limit: int64(limit), Signer: "ssh-agent", Type: metadataType(data)}
	}
	sig, err := a.agent.SignWithFlags(a.pub, data, 0)
	if err != nil {
		return nil, fmt.Errorf("ssh-agent refused to sign (is the key still loaded? confirmation declined?): %w", err)
	}
	switch sig.Format {
	case ssh.KeyAlgoED25519:
		if len(sig.Blob) != ed25519.SignatureSize {
			return nil, fmt.Errorf("ssh-agent returned a %d-byte ed25519 signature", len(sig.Blob))
		}
		return sig.Blob, nil
	case ssh.KeyAlgoECDSA256:
		var rs struct{ R, S *big.Int }
		if err := ssh.Unmarshal(sig.Blob, &rs); err != nil {
			return nil, fmt.Errorf("ssh-agent returned a malformed ecdsa signature: %w", err)
		}
		return asn1.Marshal(rs)
	}
	return nil, fmt.Errorf("ssh-agent returned a %s signature, want %s", sig.Format, a.pub.Type())
}

func (a *agentSigner) PublicKey(...signature.PublicKeyOption) (crypto.PublicKey, error) {
	cpub := a.pub.(ssh.CryptoPublicKey).CryptoPublicKey()
	if ec, ok := cpub.(*ecdsa.PublicKey); ok && ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: only ECDSA P-256", ErrKeyType)
	}
	return cpub, nil
}

// MessageTooLargeError says which metadata was too big for a signer.
type MessageTooLargeError struct {
	Size, Limit int64
	Signer      string
	Type        string // the metadata's _type, when known
}

func (e *MessageTooLargeError) Error() string {
	what := "the metadata"
	if e.Type != "" {
		what = e.Type + " metadata"
	}
	return fmt.Sprintf("%s to sign is %d bytes (%d KiB), over %s's limit of %d bytes: %v",
		what, e.Size, e.Size>>10, e.Signer, e.Limit, ErrMessageTooLarge)
}

func (e *MessageTooLargeError) Unwrap() error { return ErrMessageTooLarge }

// metadataType finds the "_type" of canonical JSON metadata being signed.
func metadataType(data []byte) string {
	const k = `"_type":"`
	i := bytes.Index(data, []byte(k))
	if i < 0 {
		return ""
	}
	rest := data[i+len(k):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || j > 32 {
		return ""
	}
	return string(rest[:j])
}
