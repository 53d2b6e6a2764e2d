package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
)

// RepoOptions are shared by the commands that change a repository.
type RepoOptions struct {
	IO       *IOStreams
	Repo     string
	KeyRef   string
	NoCommit bool
}

func (o *RepoOptions) addFlags(cmd *cobra.Command, needKey bool) {
	cmd.Flags().StringVar(&o.Repo, "repo", ".", "the repository's working tree")
	if needKey {
		cmd.Flags().StringVar(&o.KeyRef, "key", "", "your signing key: a key file, KMS URI, pkcs11: URI or ssh-agent:SHA256:... (required)")
		_ = cmd.MarkFlagRequired("key")
		cmd.Flags().BoolVar(&o.NoCommit, "no-commit", false, "leave the change in the working tree instead of committing it")
	}
}

// open locks the repository and reads its head.
func (o *RepoOptions) open() (*repo.Session, error) {
	now := o.IO.Now()
	return repo.Open(o.Repo, now)
}

// key loads the signing key.
func (o *RepoOptions) key(ctx context.Context) (*keys.Key, error) {
	return keys.Load(ctx, o.KeyRef, o.IO.Passphrase())
}

// change runs one signed change: load the key, lock and open the
// repository, let do make the change, and say what it did.
func (o *RepoOptions) change(cmd *cobra.Command, do func(*repo.Session, *keys.Key, repo.SubmitOptions) (*repo.Result, error)) error {
	key, err := o.key(cmd.Context())
	if err != nil {
		return err
	}
	s, err := o.open()
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := do(s, key, repo.SubmitOptions{NoCommit: o.NoCommit})
	if err != nil {
		return err
	}
	printResult(o.IO.Out, res, o.Repo)
	return nil
}

// read runs a read-only command on the locked repository.
func (o *RepoOptions) read(do func(*repo.Session) error) error {
	s, err := o.open()
	if err != nil {
		return err
	}
	defer s.Close()
	return do(s)
}

// printResult tells what a change did, in words.
func printResult(w io.Writer, res *repo.Result, repoDir string) {
	for _, l := range res.Summary {
		fmt.Fprintf(w, "  %s\n", l)
	}
	switch {
	case res.Commit == "" || strings.Trim(res.Commit, "0") == "":
		fmt.Fprintln(w, "left in the working tree, not committed (--no-commit)")
	case res.Applied:
		fmt.Fprintf(w, "applied and committed as %s\n", res.Commit[:12])
	default:
		fmt.Fprintf(w, "committed as %s; waiting for signatures in request %s:\n", res.Commit[:12], res.RequestID)
	}
	if !res.Applied {
		for _, r := range res.Signed {
			state := "complete"
			if !r.Met {
				state = fmt.Sprintf("needs %d more (from %s)", r.Threshold-len(r.Signed), shortIDs(r.Missing))
			}
			fmt.Fprintf(w, "    %s v%d: %d of %d, %s\n", r.Role, r.Version, len(r.Signed), r.Threshold, state)
		}
		if res.RequestID != "" {
			fmt.Fprintf(w, "next: push, and ask the missing signers to run `tufgit sign %s --key THEIR-KEY`\n", res.RequestID)
		}
	}
}

// maintainerSpec reads "[NAME=]KEY". KEY may itself contain "=" (a
// pkcs11: URI does), so the spec is split on its first "=" only when the
// whole spec is not already a key reference and the part before "=" is a
// valid name; see splitMaintainerSpec.
func maintainerSpec(ctx context.Context, io *IOStreams, spec string) (repo.NewMaintainer, error) {
	name, ref, err := splitMaintainerSpec(spec)
	if err != nil {
		return repo.NewMaintainer{}, usageError("--maintainer %q: %v (give NAME=KEY or KEY)", spec, err)
	}
	// Only the public key is needed. A PKCS#11 token still wants its PIN
	// to find the key pair; key files' passphrases are never asked.
	pass := io.Passphrase()
	pinOnly := func(prompt string) ([]byte, error) {
		if !keys.IsPINPrompt(prompt) {
			return nil, keys.ErrNoPassphrase
		}
		return pass(prompt)
	}
	k, err := keys.Load(ctx, ref, pinOnly)
	if err != nil {
		return repo.NewMaintainer{}, fmt.Errorf("maintainer %s: %w (give a public key file)", spec, err)
	}
	return repo.NewMaintainer{Name: name, Key: k}, nil
}

// splitMaintainerSpec splits "[NAME=]KEY" into a label and a key reference.
//
//   - A spec that is a key reference as a whole (an existing file, a
//     pkcs11: or ssh-agent: reference, a KMS URI) is not split, whatever
//     "=" it holds: pkcs11:token=t;object=o is one key.
//   - Otherwise it splits on the first "=" when the left part is a valid
//     label that can not be mistaken for a path or URI (no "/" or ":").
//   - Without a label, the key's file name (or object, or last path
//     segment) is the label.
func splitMaintainerSpec(spec string) (name, ref string, err error) {
	if spec == "" {
		return "", "", errors.New("empty")
	}
	if !isKeyRef(spec) {
		if left, right, ok := strings.Cut(spec, "="); ok && !strings.ContainsAny(left, "/:") && layout.ValidateLabel(left) == nil {
			if right == "" {
				return "", "", fmt.Errorf("no key after %q", left+"=")
			}
			return left, right, nil
		}
	}
	return defaultLabel(spec), spec, nil
}

// isKeyRef reports whether s as a whole names a key.
func isKeyRef(s string) bool {
	if strings.HasPrefix(s, keys.PKCS11Scheme) || strings.HasPrefix(s, keys.SSHAgentScheme) {
		return true
	}
	if scheme, _, ok := strings.Cut(s, "://"); ok && scheme != "" && !strings.ContainsAny(scheme, "=/:") {
		return true
	}
	_, err := os.Stat(s)
	return err == nil
}

// defaultLabel is the label of a maintainer given without NAME=.
func defaultLabel(ref string) string {
	switch {
	case strings.HasPrefix(ref, keys.PKCS11Scheme):
		if u, err := keys.ParsePKCS11URI(ref); err == nil && u.Object != "" {
			return u.Object
		}
		return "pkcs11 key"
	case strings.HasPrefix(ref, keys.SSHAgentScheme):
		return "ssh-agent key"
	}
	return strings.TrimSuffix(filepath.Base(ref), filepath.Ext(ref))
}
