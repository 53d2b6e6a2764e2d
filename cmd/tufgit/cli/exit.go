package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tufgit/tufgit/pkg/client"
	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/publish"
	"github.com/tufgit/tufgit/pkg/repo"
	"github.com/tufgit/tufgit/pkg/status"
)

// Exit codes. ExitCodes (exitdoc.go) documents each; docs/exit-codes.md and
// the root help are generated from it.
const (
	ExitOK       = 0 // success
	ExitError    = 1 // the command could not do its job (bad input, I/O, git)
	ExitUsage    = 2 // wrong flags or arguments
	ExitInvalid  = 3 // verification found problems: the tree breaks TUF's or tufgit's rules
	ExitExpired  = 4 // verification found nothing wrong except expired metadata
	ExitNotFound = 5 // an unknown project, release or request

	// The downloader's TUF failures, one code per cause.
	ExitUnreachable = 6  // the mirror could not be reached
	ExitExpiredMeta = 7  // expired metadata: a freeze, or an unmaintained mirror
	ExitRollback    = 8  // rollback or mix-and-match
	ExitSignature   = 9  // signatures missing, invalid or below threshold
	ExitHash        = 10 // a file's length or hashes do not match
	ExitTooLarge    = 11 // a file over its size limit
	ExitTUF         = 12 // another TUF failure (e.g. a file missing from the mirror)

	// ExitExpiring: status found roles that expire within its window
	// (and none expired yet, which is ExitExpired).
	ExitExpiring = 13

	// ExitRewritten: history that was signed off before is gone: audit's
	// checkpointed commit is no longer in REV, or publish was handed a
	// head that does not descend from what it last published, or a
	// snapshot that lowers or drops a role.
	ExitRewritten = 14
)

// exitError carries an exit code and a hint to the top level.
type exitError struct {
	code int
	err  error
	hint string
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// withHint attaches the next thing to try.
func withHint(err error, hint string) error {
	return &exitError{code: ExitError, err: err, hint: hint}
}

// usageError marks bad flags or arguments.
func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// silentExit ends with a code after the command printed its own report.
func silentExit(code int) error { return &exitError{code: code} }

// report prints err the CLI's way and returns the exit code.
func report(w io.Writer, err error) int {
	var ee *exitError
	code, hint := ExitError, ""
	if errors.As(err, &ee) {
		code, hint = ee.code, ee.hint
		if ee.err == nil {
			return code
		}
	}
	if hint == "" {
		hint = hintFor(err)
	}
	if code == ExitError {
		code = codeFor(err)
	}
	msg := strings.TrimSpace(err.Error())
	fmt.Fprintf(w, "tufgit: error: %s\n", msg)
	if hint != "" {
		fmt.Fprintf(w, "tufgit: hint: %s\n", hint)
	}
	return code
}

// hintFor suggests a next step for well-known library errors.
func hintFor(err error) string {
	var ne *layout.NameError
	var ie *repo.InvalidInitError
	var ge *repo.GoneError
	if errors.As(err, &ge) {
		switch {
		case ge.Commit == nil:
			return "if it was made in another clone, `git pull` first; `tufgit request list` lists the pending requests"
		case ge.Why == layout.RequestApplied:
			return fmt.Sprintf("nothing left to sign; `git show %s` shows the change", ge.Commit.Hash.String()[:12])
		default:
			return fmt.Sprintf("`git show %s` shows it; `tufgit request list` lists the pending requests", ge.Commit.Hash.String()[:12])
		}
	}
	switch {
	case errors.As(err, &ie):
		return "a key signs with another key than the public key it reports: check each --root-key and --targets-key (for a KMS key, the key version and algorithm)"
	case errors.Is(err, keys.ErrWrongPassphrase):
		return "check the passphrase; tufgit reads it from TUFGIT_PASSPHRASE when set, else asks on the terminal"
	case errors.Is(err, keys.ErrNoPIN):
		return "set TUFGIT_PKCS11_PIN or run on a terminal to be asked for the token's PIN"
	case errors.Is(err, keys.ErrKeyRef):
		return "see docs/keys.md: pkcs11:token=LABEL;object=LABEL?module-path=/path/module.so, or ssh-agent:SHA256:... as `ssh-add -l` prints it"
	case errors.Is(err, keys.ErrKeyType):
		return "see docs/keys.md for the key types each backend supports"
	case errors.Is(err, keys.ErrBadSignature):
		return "the backend signs something other than what TUF verifies; check its key type and version (docs/keys.md)"
	case errors.Is(err, keys.ErrMessageTooLarge):
		return "sign this role with a key file, KMS or PKCS#11 key, or split the role into smaller ones"
	case errors.Is(err, keys.ErrNoPassphrase):
		return "set TUFGIT_PASSPHRASE or run on a terminal"
	case errors.Is(err, keys.ErrEmptyPassphrase):
		return "choose a passphrase: tufgit writes private keys encrypted; nothing was written"
	case errors.Is(err, keys.ErrKMSScheme):
		return "give a key file, a pkcs11: or ssh-agent: reference, or a KMS URI starting with " + strings.Join(layout.KMSSchemes, "://, ") + "://"
	case errors.Is(err, keys.ErrKeyExists):
		return "choose another --out path; tufgit never overwrites a key"
	case errors.Is(err, keys.ErrKeyFormat):
		return "make a key with `tufgit key generate --out NAME`"
	case errors.Is(err, gitstore.ErrNoRepo):
		return "run inside a tufgit repository, pass --repo DIR, or create one with `tufgit init DIR`"
	case errors.Is(err, gitstore.ErrUnknownRev):
		return "list revisions with `git log --oneline`"
	case errors.Is(err, publish.ErrRewritten):
		return "the branch lost commits that were published: restore it from a clone that has them (`git push` the published commit); if the admins rewrote it on purpose, they sign `tufgit root update --accept-rewrite PUBLISHED --rewrite-base COMMIT` on the new branch (docs/server.md#rewritten-history)"
	case errors.Is(err, publish.ErrSuperseded):
		return "nothing to do: the other publisher's newer snapshot and timestamp stand; `tufgit status` shows the record (docs/server.md#two-publishers)"
	case errors.Is(err, publish.ErrClaimLost):
		return "another publisher kept winning: run `tufgit publish` again, and check that the publishers do not loop against each other (docs/server.md#two-publishers)"
	case errors.Is(err, gitstore.ErrAmbiguousRev):
		return "give the full ref name, e.g. refs/heads/main; `git show-ref` lists every ref, and a tag named like a branch is worth asking about"
	case errors.Is(err, repo.ErrExists):
		return "choose a new directory for `tufgit init`"
	case errors.Is(err, repo.ErrBadThreshold):
		return "a threshold must be between 1 and the number of keys given"
	case errors.As(err, &ne):
		return "see metadata-layout/README.md for the allowed characters"
	case errors.Is(err, repo.ErrNotAuthorized):
		return "sign with one of the keys listed, or ask its holder to run `tufgit sign`"
	case errors.Is(err, repo.ErrEquivalentVersion):
		return "add files to the existing release under its own version, or choose another version"
	case errors.Is(err, repo.ErrRemovalPending):
		return "`tufgit request show ID` shows the removal; the project's other maintainers sign in the meantime, or an admin withdraws it"
	case errors.Is(err, repo.ErrImmutable):
		return "publish the change as a new version"
	case errors.Is(err, repo.ErrConflict):
		return "`tufgit request rebase ID --key KEY` makes the same change again on the current head"
	case errors.Is(err, repo.ErrNotInitialized):
		return "`tufgit request show init` shows which signatures the repository still needs"
	case errors.Is(err, gitstore.ErrDirtyWorkTree):
		return "`git status` shows your edits; commit or discard them"
	case errors.Is(err, gitstore.ErrRefMoved):
		return "another change landed meanwhile; run the command again"
	case errors.Is(err, repo.ErrWithdrawn):
		return "`tufgit request list` shows the pending requests; `git log -- requests/` their history"
	case errors.Is(err, repo.ErrBadExpiry):
		return "give --expires between 1d and 1825d (5 years), or leave it out for tufgit.json's expiry"
	case errors.Is(err, status.ErrNotInitialized):
		return "`tufgit request show init` shows which signatures the repository still needs"
	case errors.Is(err, repo.ErrDeclined):
		return "nothing was changed"
	case errors.Is(err, client.ErrOlderRoot):
		return "the client already follows a newer root: nothing to do; to pin this root anyway, pass --force"
	case errors.Is(err, client.ErrBadLocalRoot):
		return "the client's own copy of the root is damaged (nothing came from the network): pin the repository's root again with `tufgit client init --mirror URL --root ROOT.json`"
	case errors.Is(err, client.ErrNotInitialized):
		return "`tufgit client init --mirror URL --root ROOT.json`"
	case errors.Is(err, client.ErrUnknownProject):
		return "`tufgit projects` lists the projects; `tufgit projects PART` searches them"
	case errors.Is(err, client.ErrUnknownFile):
		return "download the whole release by leaving out FILE"
	case errors.Is(err, client.ErrUnknownVersion):
		return "`tufgit releases NAME` lists what exists"
	}
	var pe *keys.PermissionError
	if errors.As(err, &pe) {
		return "`chmod 600 " + pe.Path + "`, as for an ssh key"
	}
	var te *client.TUFError
	if errors.As(err, &te) {
		switch te.Cause {
		case client.CauseUnreachable:
			return "check the mirror URL in the client directory's config.json, and the network"
		case client.CauseExpired:
			return "nothing was installed; if it persists, tell the repository's operators (their metadata is not being re-signed)"
		default:
			return "nothing was installed; the mirror or repository may be compromised: tell its operators"
		}
	}
	return ""
}

// codeFor picks the exit code of an error.
func codeFor(err error) int {
	var te *client.TUFError
	if errors.As(err, &te) {
		switch te.Cause {
		case client.CauseUnreachable:
			return ExitUnreachable
		case client.CauseExpired:
			return ExitExpiredMeta
		case client.CauseRollback:
			return ExitRollback
		case client.CauseSignature:
			return ExitSignature
		case client.CauseHash:
			return ExitHash
		case client.CauseTooLarge:
			return ExitTooLarge
		}
		return ExitTUF
	}
	if errors.Is(err, publish.ErrRewritten) {
		return ExitRewritten
	}
	for _, nf := range []error{repo.ErrUnknownProject, repo.ErrUnknownRelease, repo.ErrUnknownRequest, repo.ErrWithdrawn, repo.ErrUnknownRole,
		client.ErrUnknownProject, client.ErrUnknownVersion, client.ErrNoRelease, client.ErrUnknownFile} {
		if errors.Is(err, nf) {
			return ExitNotFound
		}
	}
	return ExitError
}
