package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/atomicfile"
	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/hook"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/publish"
	"github.com/tufgit/tufgit/pkg/verify"
)

func newHookCmd(io *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hook",
		Short: "The server-side git hook that verifies every push",
		Long: `tufgit's pre-receive hook checks every push before git accepts it, with the
rules of 'tufgit verify', and keeps protected refs (the main branch by
default) from being deleted or rewritten.`,
	}
	cmd.AddCommand(newHookPreReceiveCmd(io), newHookPostReceiveCmd(io), newHookInstallCmd(io))
	return cmd
}

// HookPreReceiveOptions are the options of `tufgit hook pre-receive`.
type HookPreReceiveOptions struct {
	IO   *IOStreams
	Repo string
}

func newHookPreReceiveCmd(io *IOStreams) *cobra.Command {
	o := &HookPreReceiveOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "pre-receive",
		Short: "Check a push (run by git, reading ref updates on stdin)",
		Long: `Run by git's pre-receive hook with "<old> <new> <ref>" lines on standard
input. For each updated ref it verifies the move from the ref's old commit
(or, for a new branch, from the protected branch it builds on) to the new one,
with every rule of 'tufgit verify --since'; a ref with no such base gets the
full check. Protected refs (git config tufgit.protectedRef, repeatable,
default refs/heads/main) may not be deleted or moved backwards. No push may
touch refs/tufgit/* (the publisher writes refs/tufgit/published in place).
No push may create or move a ref that ends in a protected branch's short
name (refs/tags/main, refs/remotes/origin/main, refs/notes/main, ...) or in
HEAD: git would resolve "main" to it, so tufgit keeps every short name
naming one ref (deleting such a ref is allowed).
A push that changes artifacts.store in tufgit.json is accepted only when the
new store answers and holds every artifact, so the hook needs read access
to the store.

It reads the pushed objects from git's quarantine (GIT_OBJECT_DIRECTORY and
GIT_ALTERNATE_OBJECT_DIRECTORIES), packed or loose. If any ref fails, the
whole push is refused and every problem is listed; git then leaves every ref
and object of the repository as it was.`,
		Example: `  # Installed by 'tufgit hook install'; by hand, in a bare repository:
  printf '%s %s refs/heads/main\n' "$OLD" "$NEW" | tufgit hook pre-receive`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.Run(cmd.Context()) },
	}
	cmd.Flags().StringVar(&o.Repo, "repo", ".", "the repository (git runs hooks inside it)")
	return cmd
}

// Run checks the push.
func (o *HookPreReceiveOptions) Run(ctx context.Context) error {
	ups, err := hook.ParseUpdates(o.IO.In)
	if err != nil {
		return err
	}
	g, err := gitstore.OpenReceiving(o.Repo)
	if err != nil {
		return err
	}
	pol, err := hook.PolicyFor(g)
	if err != nil {
		return err
	}
	now := o.IO.Now()
	// A push that changes artifacts.store is accepted only once the new
	// store answers and holds every artifact (verify.Options.OpenStore).
	results, err := hook.Check(g, ups, pol, verify.Options{Now: now, OpenStore: openReachableStore, Context: ctx})
	if err != nil {
		return err
	}
	w := o.IO.ErrOut
	rejected := 0
	for _, r := range results {
		if r.Accepted {
			msg := "ok"
			if r.Report != nil {
				msg = fmt.Sprintf("ok (verified against %s: %d roles checked", r.Base, r.Report.Stats.RolesChecked)
				if n := len(r.Report.Pending); n > 0 {
					msg += fmt.Sprintf(", %s", plural(n, "pending request"))
				}
				if n := len(r.Report.Expired); n > 0 {
					msg += fmt.Sprintf(", %d expired: re-sign soon", n)
				}
				msg += ")"
			}
			fmt.Fprintf(w, "tufgit: %s: %s\n", r.Ref, msg)
			continue
		}
		rejected++
		fmt.Fprintf(w, "tufgit: %s: REJECTED\n", r.Ref)
		for _, reason := range r.Reasons {
			fmt.Fprintf(w, "tufgit:   %s\n", reason)
		}
		if r.Report != nil {
			for _, p := range r.Report.Problems {
				fmt.Fprintf(w, "tufgit:   %s\n", p)
			}
		}
	}
	if rejected > 0 {
		return withHint(fmt.Errorf("%w: %d of %d ref update(s) failed tufgit's checks", hook.ErrRejected, rejected, len(results)),
			"run `tufgit verify --since origin/main HEAD` locally to see the same problems")
	}
	return nil
}

// preReceiveScript is the hook git runs, with %s the shell-quoted absolute
// path of tufgit. It takes nothing from the environment: on a local push
// git runs the hook with the pusher's environment, so a TUFGIT or PATH
// variable would let the pusher swap the verifier. hooks/pre-receive in
// the source tree is this script for /usr/local/bin/tufgit.
const preReceiveScript = `#!/bin/sh
# tufgit pre-receive hook: verifies every push against TUF's rules before git
# accepts it (see 'tufgit hook pre-receive --help'). The verifier is this
# fixed absolute path, never one from the pusher's environment.
exec %s hook pre-receive
`

// postReceiveScript publishes after accepted pushes to the main branch.
const postReceiveScript = `#!/bin/sh
# tufgit post-receive hook: publishes the main branch to the mirror after an
# accepted push (see 'tufgit hook post-receive --help'). The publisher is
# this fixed absolute path, never one from the pusher's environment.
exec %s hook post-receive
`

// SourceTreeBinary is the tufgit path in hooks/ of the source tree.
const SourceTreeBinary = "/usr/local/bin/tufgit"

// shQuote quotes s for sh: in single quotes, each inner quote closed, escaped and reopened.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// HookPostReceiveOptions are the options of `tufgit hook post-receive`.
type HookPostReceiveOptions struct {
	IO   *IOStreams
	Repo string
}

func newHookPostReceiveCmd(io *IOStreams) *cobra.Command {
	o := &HookPostReceiveOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "post-receive",
		Short: "Publish after an accepted push (run by git)",
		Long: `Run by git's post-receive hook. When the push updated the branch named by git
config tufgit.publishBranch (default refs/heads/main), it runs 'tufgit publish'
of that branch with the online key (tufgit.onlineKey) to the mirror
(tufgit.publishTo). A key file's passphrase comes from the file git config
tufgit.passphraseFile names (hook install --passphrase-file), else from
TUFGIT_PASSPHRASE_FILE in the git server's environment; never from
TUFGIT_PASSPHRASE or a terminal, which on a local push are the pusher's. A
KMS key needs none. A failed publish does
not undo the push: run 'tufgit publish' again (it continues where it stopped).`,
		Example: "  # Installed by: tufgit hook install repo.git --publish-to /srv/www/tuf --online-key awskms:///alias/online",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return o.Run(cmd) },
	}
	cmd.Flags().StringVar(&o.Repo, "repo", ".", "the repository (git runs hooks inside it)")
	return cmd
}

// Run publishes when the publish branch moved.
func (o *HookPostReceiveOptions) Run(cmd *cobra.Command) error {
	ups, err := hook.ParseUpdates(o.IO.In)
	if err != nil {
		return err
	}
	g, err := gitstore.Open(o.Repo)
	if err != nil {
		return err
	}
	get := func(k, def string) string {
		if v, _ := g.ConfigValues("tufgit", k); len(v) > 0 {
			return v[len(v)-1]
		}
		return def
	}
	branch, dest, key := get("publishBranch", hook.DefaultProtected), get("publishTo", ""), get("onlineKey", "")
	if dest == "" || key == "" {
		return nil // publishing is not configured
	}
	// The key's passphrase comes from the hook's configuration only: on a
	// local push git runs this with the pusher's environment and terminal.
	hio := o.IO.forHook(get(configPassphraseFile, ""))
	for _, u := range ups {
		if u.Ref != branch || u.New.IsZero() {
			continue
		}
		p := &PublishOptions{IO: hio, Repo: o.Repo, Rev: u.New.String(), OnlineKey: key, Mirror: dest}
		if err := p.Run(cmd); err != nil {
			if errors.Is(err, publish.ErrSuperseded) {
				// Another publisher claimed a newer publish of a head that
				// descends from this one, and writes it.
				fmt.Fprintf(hio.ErrOut, "tufgit: %s is published by another publisher: %v\n", branch, err)
				continue
			}
			return publishFailed(branch, o.Repo, *hio.passFrom, err)
		}
	}
	return nil
}

// configPassphraseFile is the git config entry (in section tufgit) naming
// the file that holds the online key's passphrase, for the hook's publish.
const configPassphraseFile = "passphraseFile"

// publishFailed tells the pusher plainly that their push is in but the
// mirror does not serve it, and names the fix.
func publishFailed(branch, repo, passFrom string, err error) error {
	retry := fmt.Sprintf("`tufgit publish --repo %s`", repo)
	if abs, aerr := filepath.Abs(repo); aerr == nil {
		retry = fmt.Sprintf("`tufgit publish --repo %s`", abs)
	}
	hint := "the push is in, but clients do not see it yet. On the server run " + retry +
		" (the next scheduled `tufgit publish --refresh` also catches up)"
	switch {
	case errors.Is(err, keys.ErrWrongPassphrase) && passFrom != "":
		hint = wrongPassphraseHint(passFrom) + "; then run " + retry
	case errors.Is(err, keys.ErrNoPassphrase), errors.Is(err, keys.ErrWrongPassphrase):
		hint = "the server's git hooks can not unlock the online key: put its passphrase in a file only the git user can read (chmod 600) and name it with " +
			"`git config tufgit." + configPassphraseFile + " FILE` in the server's repository (or set " + EnvPassphraseFile +
			" in the environment git runs hooks with; docs/server.md); then run " + retry
	case errors.Is(err, publish.ErrRewritten):
		hint = hintFor(err)
	case errors.Is(err, publish.ErrNotOnlineKey):
		hint = "root lists another online key now: set it with `git config tufgit.onlineKey NEW-KEY` in the server's repository, then run " + retry
	}
	return withHint(fmt.Errorf("PUBLISH FAILED: %s was accepted but not published to the mirror: %w", branch, err), hint)
}

// HookInstallOptions are the options of `tufgit hook install`.
type HookInstallOptions struct {
	IO        *IOStreams
	Repo      string
	Protected []string
	Force     bool
	PublishTo string
	OnlineKey string
	PassFile  string
}

func newHookInstallCmd(io *IOStreams) *cobra.Command {
	o := &HookInstallOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "install BAREREPO [--protect REF...]",
		Short: "Install the pre-receive hook in a bare repository",
		Long: `Install tufgit's pre-receive hook in a bare repository, calling this tufgit
binary by its absolute path. --protect sets the protected refs (git config
tufgit.protectedRef); the default protects refs/heads/main. An existing hook
that tufgit did not write is kept unless --force is given.

The hooks call tufgit by that fixed absolute path and read nothing from the
environment to find it: git runs hooks of a local push with the pusher's
environment, which must not be able to swap the verifier. Re-run install
after moving the binary.

With --publish-to, the online key is checked first: a public key is
refused (it can not sign), and an encrypted key file needs
--passphrase-file (a 0600 file whose first line unlocks it). Relative
paths are made absolute: the hooks run in the bare repository.`,
		Example: `  git init --bare /srv/git/packages.git
  tufgit hook install /srv/git/packages.git --protect refs/heads/main --protect 'refs/tags/*'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Repo = args[0]
			return o.Run()
		},
	}
	cmd.Flags().StringArrayVar(&o.Protected, "protect", nil, "a ref (or path pattern) that may only move forward and never be deleted (repeat)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "replace existing hooks tufgit did not write")
	cmd.Flags().StringVar(&o.PublishTo, "publish-to", "", "also install post-receive, publishing the main branch to this mirror after each accepted push")
	cmd.Flags().StringVar(&o.OnlineKey, "online-key", "", "the online key post-receive publishes with (with --publish-to): a private key file or KMS URI")
	cmd.Flags().StringVar(&o.PassFile, "passphrase-file", "", "a file (mode 0600) whose first line is the online key file's passphrase (default: $"+EnvPassphraseFile+")")
	return cmd
}

// Run installs the hook.
func (o *HookInstallOptions) Run() error {
	g, err := gitstore.Open(o.Repo)
	if err != nil {
		return err
	}
	if !g.IsBare() {
		return withHint(fmt.Errorf("%s is not a bare repository", o.Repo), "install the hook where people push to (git init --bare)")
	}
	bin, err := exec.LookPath("tufgit")
	if err != nil {
		if bin, err = os.Executable(); err != nil {
			return err
		}
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return err
	}
	if (o.PublishTo == "") != (o.OnlineKey == "") {
		return usageError("--publish-to and --online-key go together")
	}
	if o.PassFile != "" && o.OnlineKey == "" {
		return usageError("--passphrase-file goes with --online-key")
	}
	if o.OnlineKey != "" {
		if err := o.checkOnlineKey(); err != nil {
			return err
		}
	}
	if o.PublishTo != "" && !strings.Contains(o.PublishTo, "://") {
		// A directory: the hook runs in the bare repository, not here.
		if o.PublishTo, err = filepath.Abs(o.PublishTo); err != nil {
			return err
		}
	}
	scripts := map[string]string{"pre-receive": preReceiveScript}
	if o.PublishTo != "" {
		scripts["post-receive"] = postReceiveScript
		if err := g.SetConfigValues("tufgit", "publishTo", []string{o.PublishTo}); err != nil {
			return err
		}
		if err := g.SetConfigValues("tufgit", "onlineKey", []string{o.OnlineKey}); err != nil {
			return err
		}
		var pf []string
		if o.PassFile != "" {
			pf = []string{o.PassFile}
		}
		if err := g.SetConfigValues("tufgit", configPassphraseFile, pf); err != nil {
			return err
		}
	}
	for _, name := range []string{"pre-receive", "post-receive"} {
		script, ok := scripts[name]
		if !ok {
			continue
		}
		p := filepath.Join(g.GitDir(), "hooks", name)
		if old, err := os.ReadFile(p); err == nil && !strings.Contains(string(old), "tufgit "+name+" hook") && !o.Force {
			return withHint(fmt.Errorf("%s exists and was not written by tufgit", p), "chain it by hand, or pass --force to replace it")
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err := atomicfile.Write(p, []byte(fmt.Sprintf(script, shQuote(bin))), 0o755); err != nil {
			return err
		}
		fmt.Fprintf(o.IO.Out, "installed %s (runs %s)\n", p, bin)
	}
	if len(o.Protected) > 0 {
		if err := g.SetConfigValues("tufgit", "protectedRef", o.Protected); err != nil {
			return err
		}
	}
	pol, err := hook.PolicyFor(g)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "protected refs: %s\n", strings.Join(pol.Protected, ", "))
	if o.PublishTo != "" {
		fmt.Fprintf(o.IO.Out, "after each accepted push to %s: tufgit publish --online-key %s --mirror %s\n", hook.DefaultProtected, o.OnlineKey, o.PublishTo)
	}
	return nil
}

// checkOnlineKey makes sure, before anything is installed, that the hook
// will be able to sign with the online key: a key file is made absolute
// (the hook runs in the bare repository), a public key is refused (it can
// not sign), and an encrypted key file needs a passphrase file that
// unlocks it. KMS, pkcs11: and ssh-agent: keys are checked when publish
// first runs.
func (o *HookInstallOptions) checkOnlineKey() error {
	if isURIKeyRef(o.OnlineKey) {
		return nil
	}
	abs, err := filepath.Abs(o.OnlineKey)
	if err != nil {
		return err
	}
	o.OnlineKey = abs
	if o.PassFile == "" {
		o.PassFile = o.IO.Getenv(EnvPassphraseFile)
	}
	if o.PassFile != "" {
		if o.PassFile, err = filepath.Abs(o.PassFile); err != nil {
			return err
		}
	}
	pass := func(string) ([]byte, error) { return nil, keys.ErrNoPassphrase }
	if o.PassFile != "" {
		pass = func(prompt string) ([]byte, error) {
			if keys.IsRetryPrompt(prompt) {
				return nil, keys.ErrWrongPassphrase
			}
			return readPassphraseFile(o.PassFile, "--passphrase-file")
		}
	}
	k, err := keys.Load(context.Background(), o.OnlineKey, pass)
	switch {
	case errors.Is(err, keys.ErrNoPassphrase):
		return withHint(fmt.Errorf("--online-key %s is encrypted, and the hook has no passphrase for it", o.OnlineKey),
			"give --passphrase-file FILE: a file only the git user can read (chmod 600) whose first line is the passphrase; or use a KMS key (docs/server.md)")
	case errors.Is(err, keys.ErrWrongPassphrase):
		return withHint(fmt.Errorf("--online-key %s: the passphrase in %s does not unlock it", o.OnlineKey, o.PassFile),
			"check the file's first line: it is what the hook will use")
	case err != nil:
		return err
	case !k.CanSign():
		hint := "give the online key's private key file (with --passphrase-file) or its KMS URI"
		if priv := siblingPrivateKey(o.OnlineKey); priv != "" {
			hint = fmt.Sprintf("did you mean %s? (with --passphrase-file FILE for its passphrase)", priv)
		}
		return withHint(fmt.Errorf("--online-key %s is a public key, which can not sign the snapshot and timestamp", o.OnlineKey), hint)
	}
	return nil
}
