package cli

import (
	"fmt"
	"strings"
)

// ExitCode documents one exit code. ExitCodes is the one list that the
// root command's help and docs/exit-codes.md are generated from.
type ExitCode struct {
	Code    int
	Name    string
	Meaning string
}

// ExitCodes are every code tufgit exits with, in order.
var ExitCodes = []ExitCode{
	{ExitOK, "ok", "success; for `verify`: the tree is valid (pending requests are allowed); for `audit`: the history is clean"},
	{ExitError, "error", "the command could not do its job: bad input file, wrong passphrase, I/O or git failure"},
	{ExitUsage, "usage", "wrong flags, arguments or subcommand (`--help` shows the right ones)"},
	{ExitInvalid, "invalid", "`verify` found problems: the tree breaks TUF's or tufgit's rules; `audit` found a commit the hook would have refused, or the head fails its full check"},
	{ExitExpired, "expired", "`verify` found nothing wrong except metadata past its expiry; `status`: a role has expired already; `audit`: the history is clean, but the head has expired metadata now"},
	{ExitNotFound, "not found", "an unknown project, release, version, file or request (also one applied or withdrawn since, which the message names), or a `projects` pattern that matches nothing"},
	{ExitUnreachable, "unreachable", "the downloader could not reach the mirror"},
	{ExitExpiredMeta, "expired metadata", "the downloader found metadata past its expiry (a freeze, or no re-signing)"},
	{ExitRollback, "rollback", "the downloader was offered older metadata, or a role that is not the version snapshot names (mix-and-match)"},
	{ExitSignature, "bad signatures", "the downloader found metadata not signed by its threshold"},
	{ExitHash, "hash mismatch", "a downloaded file's length or hashes do not match its signed entry"},
	{ExitTooLarge, "too large", "a downloaded file is over its size limit (endless data)"},
	{ExitTUF, "other TUF failure", "e.g. the mirror lacks a file its metadata names"},
	{ExitExpiring, "expiring", "`status` found roles that expire within its window (`--within`, default 30d), none expired yet: renew them ([operations.md](operations.md))"},
	{ExitRewritten, "rewritten", "history signed off before is gone: `audit`'s checkpointed commit is no longer in REV (rewritten, rolled back or truncated); `publish` was handed a head that does not descend from the commit it last published, or a snapshot that would lower or drop a role (see [server.md](server.md#rewritten-history))"},
}

// exitCodesHelp is the root command's one-paragraph list of exit codes.
func exitCodesHelp() string {
	parts := make([]string, len(ExitCodes))
	for i, c := range ExitCodes {
		parts[i] = fmt.Sprintf("%d %s", c.Code, c.Name)
	}
	return wrap("Exit codes: "+strings.Join(parts, ", ")+" (see docs/exit-codes.md).", 78)
}

func wrap(s string, width int) string {
	var b strings.Builder
	line := 0
	for i, w := range strings.Fields(s) {
		if i > 0 && line+1+len(w) > width {
			b.WriteString("\n")
			line = 0
		} else if i > 0 {
			b.WriteString(" ")
			line++
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}

// ExitCodesMarkdown is docs/exit-codes.md.
func ExitCodesMarkdown() string {
	var b strings.Builder
	b.WriteString(`# Exit codes

<!-- Generated from cmd/tufgit/cli/exitdoc.go by ` + "`make docs`" + `; edit there. -->

Every tufgit command ends with one of these codes. Errors go to standard
error as one line, ` + "`tufgit: error: …`" + `, usually followed by
` + "`tufgit: hint: …`" + ` naming the next thing to try.

| code | name | meaning |
|---|---|---|
`)
	for _, c := range ExitCodes {
		fmt.Fprintf(&b, "| %d | %s | %s |\n", c.Code, c.Name, c.Meaning)
	}
	b.WriteString(`
Scripts and CI should treat 3 as "reject this change" and 4 as "re-sign
now": an expired role is not a forgery, but clients refuse it. ` + "`status`" + `
exits 13 while there is still time (a month, with the default window), and
4 once anything has expired, even if other roles are only due; 0 means
nothing expires within the window. For the downloader, codes 7 to 12 mean
nothing was installed; see [client.md](client.md) for what each can mean.
14 is an incident: history that was audited or published before is gone
(a server that moved a branch back, or a rewrite nobody signed); it stays
14 until the admins sign the rewrite (publish) or the auditor accepts it by
name (audit).
`)
	return b.String()
}
