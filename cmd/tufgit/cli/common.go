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

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/repo"
)

// RepoOptions are shared by the commands that change a repository.
type RepoOptions struct {
	IO       *IOStreams
	Repo     string // "": the repository the current directory is in
	KeyRef   string // "": git config tufgit.key
	NoCommit bool
	JSON     bool // print the result as JSON (commands that offer --json)

	g *gitstore.Repo
}

// repoFlagHelp describes --repo for every command that finds the
// repository as git does.
const repoFlagHelp = "the repository (default: the one the current directory is in, found upward as git does)"

// ConfigKey is the git config entry of the default signing key.
const ConfigKey = "tufgit.key"

func (o *RepoOptions) addFlags(cmd *cobra.Command, needKey bool) {
	cmd.Flags().StringVar(&o.Repo, "repo", "", repoFlagHelp)
	if needKey {
		cmd.Flags().StringVar(&o.KeyRef, "key", "", "your signing key: a key file, KMS URI, pkcs11: URI or ssh-agent:SHA256:... (default: git config "+ConfigKey+")")
		cmd.Flags().BoolVar(&o.NoCommit, "no-commit", false, "leave the change in the working tree instead of committing it")
	}
}

// openGit opens the repository at dir, or, when dir is "", finds the one
// the current directory is in (searching upward, as git does).
func openGit(dir string) (*gitstore.Repo, error) {
	if dir == "" {
		return gitstore.Discover(".")
	}
	return gitstore.Open(dir)
}

// git opens the repository once.
func (o *RepoOptions) git() (*gitstore.Repo, error) {
	if o.g == nil {
		g, err := openGit(o.Repo)
		if err != nil {
			return nil, err
		}
		o.g = g
	}
	return o.g, nil
}

// open locks the repository and reads its head; ctx is the command's.
func (o *RepoOptions) open(ctx context.Context) (*repo.Session, error) {
	g, err := o.git()
	if err != nil {
		return nil, err
	}
	return repo.OpenStore(ctx, g, o.IO.Now())
}

// keyRef is --key, or else the default signing key from git config
// (tufgit.key in the repository's config, then the global one). A relative
// path there is relative to the top of the working tree (the repository
// directory when bare), and ~/ is the home directory.
func (o *RepoOptions) keyRef() (ref string, fromConfig bool, err error) {
	if o.KeyRef != "" {
		return o.KeyRef, false, nil
	}
	g, err := o.git()
	if err != nil {
		return "", false, err
	}
	section, name, _ := strings.Cut(ConfigKey, ".")
	v, err := g.ConfigValue(section, name)
	if err != nil {
		return "", false, fmt.Errorf("git config %s: %w", ConfigKey, err)
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", false, nil
	}
	if !isURIKeyRef(v) {
		if rest, ok := strings.CutPrefix(v, "~/"); ok {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", false, fmt.Errorf("git config %s %s: %w", ConfigKey, v, err)
			}
			v = filepath.Join(home, rest)
		} else if !filepath.IsAbs(v) {
			top := g.WorkTree()
			if top == "" {
				top = g.GitDir()
			}
			v = filepath.Join(top, v)
		}
	}
	return v, true, nil
}

// isURIKeyRef reports whether ref names a key by URI rather than by path.
func isURIKeyRef(ref string) bool {
	if strings.HasPrefix(ref, keys.PKCS11Scheme) || strings.HasPrefix(ref, keys.SSHAgentScheme) {
		return true
	}
	scheme, _, ok := strings.Cut(ref, "://")
	return ok && scheme != "" && !strings.ContainsAny(scheme, "/\\")
}

// key loads the signing key: --key, or the default from git config. A
// public key can sign nothing: given where a signature is wanted it is a
// mistake (it used to file an unsigned request silently), so it is
// refused, suggesting the private key next to it.
func (o *RepoOptions) key(ctx context.Context) (*keys.Key, error) {
	return o.loadKey(ctx, o.IO.Passphrase(), true)
}

// precheckKey refuses, asking nothing, a key that can not sign: none
// given, a missing or unreadable file, a public key. An encrypted key file
// passes (its passphrase is asked when the key is loaded).
func (o *RepoOptions) precheckKey(ctx context.Context) error {
	ref, _, err := o.keyRef()
	if err != nil {
		return err
	}
	if ref != "" && isURIKeyRef(ref) {
		return nil // KMS, tokens and agents are reached when signing
	}
	_, err = o.loadKey(ctx, func(string) ([]byte, error) { return nil, keys.ErrNoPassphrase }, false)
	if errors.Is(err, keys.ErrNoPassphrase) {
		return nil
	}
	return err
}

func (o *RepoOptions) loadKey(ctx context.Context, pass keys.Passphrase, say bool) (*keys.Key, error) {
	ref, fromConfig, err := o.keyRef()
	if err != nil {
		return nil, err
	}
	if ref == "" {
		return nil, &exitError{code: ExitUsage, err: errors.New("no signing key: give --key KEY"),
			hint: "or set a default once: `git config " + ConfigKey + " ~/.tufgit/you.key` (or `git config --global " + ConfigKey + " ...`)"}
	}
	k, err := keys.Load(ctx, ref, pass)
	if err != nil {
		if fromConfig {
			return nil, fmt.Errorf("git config %s: %w", ConfigKey, err)
		}
		return nil, err
	}
	if !k.CanSign() {
		if fromConfig {
			return nil, withHint(fmt.Errorf("git config %s: %s is a public key, which can not sign", ConfigKey, ref),
				"set it to your private key: `git config "+ConfigKey+" PATH.key`")
		}
		return nil, publicKeyError(ref)
	}
	if fromConfig && say {
		fmt.Fprintf(o.IO.ErrOut, "tufgit: signing with %s (git config %s)\n", ref, ConfigKey)
	}
	return k, nil
}

// publicKeyError refuses a public key given as --key.
func publicKeyError(ref string) error {
	hint := "give your private key (a key file, KMS URI, pkcs11: URI or ssh-agent:SHA256:...); to ask others for a change, any private key of yours files a request"
	if priv := siblingPrivateKey(ref); priv != "" {
		return withHint(fmt.Errorf("--key %s is a public key; did you mean %s?", ref, priv), hint)
	}
	return withHint(fmt.Errorf("--key %s is a public key, which can not sign", ref), hint)
}

// siblingPrivateKey is the PATH.key next to PATH.pub (as `tufgit key
// generate` writes them), if it exists.
func siblingPrivateKey(ref string) string {
	ext := filepath.Ext(ref)
	if ext == ".key" {
		return ""
	}
	cand := strings.TrimSuffix(ref, ext) + ".key"
	if fi, err := os.Stat(cand); err == nil && fi.Mode().IsRegular() {
		return cand
	}
	return ""
}

// change runs one signed change: load the key, lock and open the
// repository, let do make the change, and say what it did.
func (o *RepoOptions) change(cmd *cobra.Command, do func(*repo.Session, *keys.Key, repo.SubmitOptions) (*repo.Result, error)) error {
	return o.checkedChange(cmd, nil, do)
}

// checkedChange is change with check run first, on the open repository:
// what check refuses is refused before the key is loaded, so nobody types
// a passphrase (or touches a token) for a change that can not go ahead.
func (o *RepoOptions) checkedChange(cmd *cobra.Command, check func(*repo.Session) error, do func(*repo.Session, *keys.Key, repo.SubmitOptions) (*repo.Result, error)) error {
	var key *keys.Key
	var err error
	if check == nil {
		if key, err = o.key(cmd.Context()); err != nil {
			return err
		}
	} else if err := o.precheckKey(cmd.Context()); err != nil {
		return err
	}
	s, err := o.open(cmd.Context())
	if err != nil {
		return err
	}
	defer s.Close()
	if check != nil {
		if err := check(s); err != nil {
			return err
		}
		if key, err = o.key(cmd.Context()); err != nil {
			return err
		}
	}
	res, err := do(s, key, repo.SubmitOptions{NoCommit: o.NoCommit})
	if err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(o.IO.Out, resultJSON(res))
	}
	printResult(o.IO.Out, res, o.Repo)
	return nil
}

// ResultJSON is what a change prints with --json.
type ResultJSON struct {
	// Commit is the new commit; "" with --no-commit.
	Commit string `json:"commit"`
	// Applied: every threshold is met and the change is in place. Else it
	// waits as request RequestID.
	Applied   bool              `json:"applied"`
	RequestID string            `json:"request_id,omitempty"`
	Summary   []string          `json:"summary"`
	Changes   []repo.ChangeItem `json:"changes"`
	Roles     []repo.RoleState  `json:"roles"`
}

func resultJSON(res *repo.Result) ResultJSON {
	out := ResultJSON{Commit: res.Commit, Applied: res.Applied, RequestID: res.RequestID,
		Summary: res.Summary, Changes: res.Changes, Roles: res.Signed}
	if strings.Trim(out.Commit, "0") == "" {
		out.Commit = ""
	}
	if out.Summary == nil {
		out.Summary = []string{}
	}
	if out.Changes == nil {
		out.Changes = []repo.ChangeItem{}
	}
	if out.Roles == nil {
		out.Roles = []repo.RoleState{}
	}
	for i := range out.Roles {
		if out.Roles[i].Signed == nil {
			out.Roles[i].Signed = []string{}
		}
		if out.Roles[i].Missing == nil {
			out.Roles[i].Missing = []string{}
		}
	}
	return out
}

// read runs a read-only command on the locked repository.
func (o *RepoOptions) read(ctx context.Context, do func(*repo.Session) error) error {
	s, err := o.open(ctx)
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
				state = fmt.Sprintf("needs %d more (from %s)", r.Threshold-len(r.Signed), labelled(res.Labels, r.Missing))
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
