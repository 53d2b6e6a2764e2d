package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/keys"
)

func newKeyCmd(io *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Generate and inspect signing keys",
		Long: `Generate and inspect signing keys.

Everywhere tufgit takes a signing key (--key, --root-key, --targets-key,
--online-key) it accepts:

  a private key file      made by 'tufgit key generate'
  a public key file       PEM, or OpenSSH (id_ed25519.pub, an authorized_keys
                          line): the signature comes later, from its holder
  a KMS URI               awskms://, gcpkms://, azurekms://, hashivault://
  a PKCS#11 URI           pkcs11:token=LABEL;object=LABEL?module-path=/path/module.so
                          (PIN from TUFGIT_PKCS11_PIN or the terminal)
  an ssh-agent key        ssh-agent:SHA256:FINGERPRINT, as 'ssh-add -l' prints it

See docs/keys.md for which backend suits which role.`,
	}
	cmd.AddCommand(newKeyGenerateCmd(io), newKeyShowCmd(io))
	return cmd
}

// KeyGenerateOptions are the options of `tufgit key generate`.
type KeyGenerateOptions struct {
	IO   *IOStreams
	Out  string
	Type string
}

func newKeyGenerateCmd(io *IOStreams) *cobra.Command {
	o := &KeyGenerateOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "generate --out PATH [--type ed25519|ecdsa-p256]",
		Short: "Make a new key pair: PATH.key (encrypted) and PATH.pub",
		Long: `Make a new key pair.

PATH.key holds the private key, encrypted with a passphrase (scrypt and
secretbox, sigstore's format), with file mode 0600. PATH.pub holds the public
key, to hand to the people who will list you as a signer. The TUF keyid is
printed. Neither file is ever overwritten. A missing directory in PATH is
created with mode 0700, as ssh-keygen does for ~/.ssh.

The passphrase is asked twice on the terminal, or taken from the
TUFGIT_PASSPHRASE environment variable when it is set.`,
		Example: `  # A maintainer's key
  tufgit key generate --out ~/.tufgit/alice

  # An ECDSA P-256 key, passphrase from the environment (for scripts)
  TUFGIT_PASSPHRASE=... tufgit key generate --out admin1 --type ecdsa-p256`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.Run() },
	}
	cmd.Flags().StringVar(&o.Out, "out", "", "write PATH.key and PATH.pub (required)")
	cmd.Flags().StringVar(&o.Type, "type", keys.TypeEd25519, "key type: ed25519 or ecdsa-p256")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// Run generates the key pair.
func (o *KeyGenerateOptions) Run() error {
	if o.Type != keys.TypeEd25519 && o.Type != keys.TypeECDSAP256 {
		return usageError("--type %q: use %s or %s", o.Type, keys.TypeEd25519, keys.TypeECDSAP256)
	}
	// Refuse an existing key before asking for a passphrase.
	for _, p := range []string{o.Out + ".key", o.Out + ".pub"} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s: %w", p, keys.ErrKeyExists)
		}
	}
	dir := filepath.Dir(o.Out)
	fi, err := os.Stat(dir)
	missing := errors.Is(err, fs.ErrNotExist)
	switch {
	case err != nil && !missing:
		return err
	case err == nil && !fi.IsDir():
		return usageError("--out %s: %s is not a directory", o.Out, dir)
	}
	priv, err := keys.Generate(o.Type)
	if err != nil {
		return err
	}
	pw, err := o.IO.NewPassphrase(o.Out + ".key")
	if err != nil {
		return err
	}
	if missing {
		// As ssh-keygen makes ~/.ssh: private to its owner.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		fmt.Fprintf(o.IO.ErrOut, "created directory %s (mode 0700)\n", dir)
	}
	id, err := keys.WriteKeyPair(o.Out, priv, pw)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "wrote %s.key (private, encrypted, mode 0600) and %s.pub (public)\n", o.Out, o.Out)
	fmt.Fprintln(o.IO.Out, id)
	return nil
}

// KeyShowOptions are the options of `tufgit key show`.
type KeyShowOptions struct {
	IO  *IOStreams
	Ref string
}

func newKeyShowCmd(io *IOStreams) *cobra.Command {
	o := &KeyShowOptions{IO: io}
	return &cobra.Command{
		Use:   "show KEY",
		Short: "Print a key's TUF keyid, keytype and scheme, and check that it signs correctly",
		Long: `Print the TUF keyid, keytype and scheme of a key: a public key file (PEM or
OpenSSH), a private key file (its passphrase is needed to read it), a KMS
URI, a pkcs11: URI or an ssh-agent: key.

When the key can sign, it signs a fixed challenge, and the signature is
verified here, with the TUF verifier clients use, against the public key
shown. A KMS, token or agent that signs wrongly is caught before it signs
anything real: the command fails and says so.`,
		Example: `  tufgit key show alice.pub
  tufgit key show ~/.ssh/id_ed25519.pub
  tufgit key show ssh-agent:SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU
  tufgit key show 'pkcs11:token=YubiKey%20PIV%20%2312345678;id=%01?module-path=/usr/lib/x86_64-linux-gnu/libykcs11.so'
  AWS_ENDPOINT_URL_KMS=http://127.0.0.1:4599 tufgit key show awskms:///alias/tufgit-online`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref = args[0]
			return o.Run(cmd)
		},
	}
}

// Run prints the key's facts.
func (o *KeyShowOptions) Run(cmd *cobra.Command) error {
	k, err := keys.Load(cmd.Context(), o.Ref, o.IO.Passphrase())
	if err != nil {
		return err
	}
	kind := "public"
	if k.CanSign() {
		kind = "private"
	}
	fmt.Fprintf(o.IO.Out, "keyid:   %s\nkeytype: %s\nscheme:  %s\nholds:   %s key\n", k.ID, k.Public.Type, k.Public.Scheme, kind)
	if k.CanSign() {
		if err := k.Check(); err != nil {
			return err
		}
		fmt.Fprintln(o.IO.Out, "signs:   ok (a test signature verifies against this public key)")
	}
	return nil
}
