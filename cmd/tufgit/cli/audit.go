package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/audit"
	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/verify"
)

// AuditOptions are the options of `tufgit audit`.
type AuditOptions struct {
	IO           *IOStreams
	Repo         string
	Rev          string
	From         string
	JSON         bool
	FirstParent  bool
	NoCheckpoint bool
	Jobs         int
	// AcceptRewrite names the checkpoint commit a rewrite replaced.
	AcceptRewrite string
}

func newAuditCmd(io *IOStreams) *cobra.Command {
	o := &AuditOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "audit [REV] [--from COMMIT] [--first-parent] [--accept-rewrite COMMIT] [--json] [--repo DIR]",
		Short: "Re-verify a branch's history commit by commit, as the hook would have",
		Long: `Re-verify the history of REV (default refs/heads/main) commit by commit: its
first commit with the full check of 'tufgit verify', every later commit as the
move from its first parent, as 'tufgit verify --since' and the pre-receive hook
check a push.
It names the first commit that would have been refused, with its problems.

The root chain is part of every step: each new root version must be signed by
the previous root's threshold, and root history is append-only, so a rewrite
of an old root version is refused at the commit that made it.

Each commit is judged at its own committer time, not now: metadata that has
expired since was valid then. That trusts the commit dates: a forged date
only changes how that one step is judged against expiry, and a date after
the real time is not believed. The head is also checked in full at the real
time.

By default every commit reachable from REV is checked, side branches of
merges included, each against its first parent. --first-parent checks only
the first-parent chain: the states the branch itself moved through. The hook
checked only the end of each push; the audit checks every commit, so a
commit pushed in the middle of a larger push can be named even though the
hook never judged it alone. Check that push's end state with
'tufgit verify --since GOOD END', then continue with --from END.

A clean audit records REV's commit in tufgit-audit.json in the git directory
(this machine's record, never in the tree or a ref), so the next run checks
only new commits; --no-checkpoint audits everything again.
--from COMMIT starts after COMMIT, trusting it.

REV names one ref: a short name that two refs carry (a branch and a tag
both called main) is refused, naming both; spell out refs/heads/main.

A history that no longer contains the checkpoint's commit was rewritten,
rolled back or truncated since the last clean audit, which the hook never
allows on a protected branch: the audit checks everything again, says
REWRITTEN, exits 14 and keeps the old checkpoint, run after run (--from
does not hide it). Once you have established why (docs/audit.md), accept it
by naming the lost commit: --accept-rewrite COMMIT.

Exit codes: 0 the history is clean, 3 a commit would have been refused (or
the head fails its full check), 4 clean but the head has expired metadata
now, 14 the history was rewritten since the last clean audit, 1 the audit
could not run.`,
		Example: `  # Audit main in a bare repository; a second run checks only new commits
  tufgit audit --repo /srv/git/packages.git

  # For machines: how many commits were checked, and the first refused one
  tufgit audit refs/heads/main --json

  # Only the states main itself moved through
  tufgit audit --first-parent

  # Trust everything up to a commit you checked by hand
  tufgit audit --from 3f9a2c1b7d4e`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Rev = gitstore.DefaultRef
			if len(args) == 1 {
				o.Rev = args[0]
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.Repo, "repo", ".", "the repository (a working tree or a bare repository)")
	cmd.Flags().StringVar(&o.From, "from", "", "trust this commit and check only the commits after it")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the result as JSON")
	cmd.Flags().BoolVar(&o.FirstParent, "first-parent", false, "check only the first-parent chain of REV")
	cmd.Flags().BoolVar(&o.NoCheckpoint, "no-checkpoint", false, "neither read nor write the checkpoint: audit everything again")
	cmd.Flags().StringVar(&o.AcceptRewrite, "accept-rewrite", "", "the checkpoint's commit (7+ hex digits) that a rewrite of REV replaced: accept it and checkpoint the new history")
	cmd.Flags().IntVar(&o.Jobs, "jobs", 1, "commits checked at once, each by its own worker (0: one per CPU, at most 8)")
	return cmd
}

// Run audits and prints the result.
func (o *AuditOptions) Run(ctx context.Context) error {
	g, err := gitstore.Open(o.Repo)
	if err != nil {
		return err
	}
	head, err := g.Resolve(o.Rev)
	if err != nil {
		return err
	}
	if full := g.FullRef(o.Rev); full != "" {
		o.Rev = full // one checkpoint for "main" and "refs/heads/main"
	}
	if o.Jobs < 0 || o.Jobs > 64 {
		return usageError("--jobs %d: want 1 to 64 workers, or 0 for one per CPU", o.Jobs)
	}
	jobs := o.Jobs
	if jobs == 0 {
		jobs = min(runtime.GOMAXPROCS(0), 8)
	}
	var from gitstore.Hash
	if o.From != "" {
		if from, err = g.Resolve(o.From); err != nil {
			return err
		}
	}
	opts := audit.Options{
		Rev: o.Rev, Head: head, FirstParent: o.FirstParent, From: from, Checkpoint: !o.NoCheckpoint, AcceptRewrite: o.AcceptRewrite,
		Now: o.IO.Now(), Workers: jobs,
		// As the hook: a change of artifacts.store is accepted only when
		// the new store answers and holds every artifact.
		Verify: verify.Options{OpenStore: openReachableStore, Context: ctx},
	}
	if !o.JSON {
		last := time.Now()
		opts.Progress = func(n int) {
			if time.Since(last) > 5*time.Second {
				last = time.Now()
				fmt.Fprintf(o.IO.ErrOut, "audit: %d commits checked...\n", n)
			}
		}
	}
	res, err := audit.Run(g, opts)
	switch {
	case errors.Is(err, audit.ErrNotAncestor):
		return withHint(err, "`git log --oneline "+o.Rev+"` lists the commits --from may name")
	case errors.Is(err, audit.ErrHistory):
		return withHint(err, "fetch the whole history (`git fetch --unshallow`), or start after a commit you trust with --from")
	case err != nil:
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		printAudit(o.IO.Out, o.IO.ErrOut, res)
	}
	switch {
	case res.IsRewritten():
		if !o.JSON {
			fmt.Fprintf(o.IO.ErrOut, "tufgit: hint: find out who moved %s and why (the server's logs, `git reflog`, other clones); once settled, `tufgit audit %s --accept-rewrite %s` accepts it\n",
				o.Rev, o.Rev, res.Rewritten.Checkpoint[:12])
		}
		return silentExit(ExitRewritten)
	case !res.Clean():
		return silentExit(ExitInvalid)
	case len(res.HeadCheck.Expired) > 0:
		return silentExit(ExitExpired)
	}
	return nil
}

func printAudit(w, errw io.Writer, res *audit.Result) {
	for _, warn := range res.Warnings {
		fmt.Fprintf(errw, "tufgit: warning: %s\n", warn)
	}
	switch res.Start.Trusted {
	case "from":
		fmt.Fprintf(w, "audit: trusting %s (--from) and everything before it\n", res.Start.Commit[:12])
	case "checkpoint":
		fmt.Fprintf(w, "audit: starting after %s, audited before (checkpoint)\n", res.Start.Commit[:12])
		if res.Start.TrustedFrom != "" {
			fmt.Fprintf(w, "audit: that audit trusted %s (--from) and everything before it\n", res.Start.TrustedFrom[:12])
		}
	default:
		fmt.Fprintf(w, "audit: starting from the first commit\n")
	}
	if r := res.FirstRefused; r != nil {
		against := "in full (a first commit)"
		if r.Parent != "" {
			against = "against " + r.Parent[:12]
		}
		fmt.Fprintf(w, "refused: %s %q (%s, checked %s at %s)\n", r.Commit[:12], r.Subject, plural(len(r.Problems), "problem"), against, r.Time.Format(time.RFC3339))
		for _, p := range r.Problems {
			fmt.Fprintf(w, "problem: %s\n", p)
		}
	}
	for _, p := range res.HeadCheck.Problems {
		fmt.Fprintf(w, "head problem: %s\n", p)
	}
	for _, p := range res.HeadCheck.Expired {
		fmt.Fprintf(w, "head expired: %s\n", p)
	}
	if rw := res.Rewritten; rw != nil && !rw.Accepted {
		fmt.Fprintf(w, "rewritten: %s no longer contains %s, the commit its last clean audit checkpointed (%s): its history was rewritten, rolled back or truncated; the checkpoint stays\n",
			res.Rev, rw.Checkpoint[:12], rw.Why)
	}
	verdict := "clean"
	switch {
	case res.IsRewritten():
		verdict = "REWRITTEN: the history lost the checkpointed commit " + res.Rewritten.Checkpoint[:12]
		if res.FirstRefused != nil {
			verdict += fmt.Sprintf(", and %s would have been refused", plural(res.Refused, "commit"))
		}
	case res.FirstRefused != nil:
		verdict = fmt.Sprintf("REFUSED: %s would have been refused", plural(res.Refused, "commit"))
		if res.Refused > 1 {
			verdict += ", the first is " + res.FirstRefused.Commit[:12]
		}
	case len(res.HeadCheck.Problems) > 0:
		verdict = "INVALID: the head fails its full check"
	case len(res.HeadCheck.Expired) > 0:
		verdict = "clean, but the head has expired metadata now"
	}
	fmt.Fprintf(w, "audit: %s (%s of %s checked, %s mode; head %s checked in full)\n",
		verdict, plural(res.CommitsChecked, "commit"), res.Rev, res.Mode, res.Head[:12])
	if res.Checkpoint != nil && res.Checkpoint.Written != "" {
		fmt.Fprintf(w, "audit: checkpoint at %s\n", res.Checkpoint.Written[:12])
	}
}
