package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/repo"
)

func newRequestCmd(io *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "request",
		Short: "List, show and withdraw pending signature requests",
		Long: `A change that needs more signatures than its author's key gives waits as a
request: a directory under requests/ holding the proposed metadata and the
signatures gathered so far. What a request does is always derived from that
proposed metadata, never from text its author wrote.`,
	}
	cmd.AddCommand(newRequestListCmd(io), newRequestShowCmd(io), newRequestWithdrawCmd(io), newRequestPruneCmd(io), newRequestRebaseCmd(io))
	return cmd
}

// RequestListOptions are the options of `tufgit request list`.
type RequestListOptions struct {
	RepoOptions
	JSON bool
	IDs  bool
}

func newRequestListCmd(io *IOStreams) *cobra.Command {
	o := &RequestListOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "list [--json | --ids]",
		Short: "List pending requests and who still has to sign",
		Long: `List every pending request: what it does, who signed, who is missing.
A request that can no longer be applied is marked STALE, with why, and
what to run ('tufgit request prune', or 'tufgit request rebase').
With --json, an array of objects with id, kind, project, author, created,
summary, roles, signed_by, missing, ready and stale (why it can no longer
be applied); what is unknown (the author of a withdrawn request, a
project for a top-level change) is left out. With --ids, only the IDs of
the requests that wait for signatures, one a line.`,
		Example: "  tufgit request list\n  tufgit request list --json",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return o.Run(cmd.Context()) },
	}
	o.addFlags(cmd, false)
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&o.IDs, "ids", false, "print only the IDs of the requests that wait for signatures, one a line (for scripts)")
	cmd.MarkFlagsMutuallyExclusive("json", "ids")
	return cmd
}

// Run lists the requests.
func (o *RequestListOptions) Run(ctx context.Context) error {
	return o.read(ctx, o.list)
}

func (o *RequestListOptions) list(s *repo.Session) error {
	reqs, err := s.ListRequests()
	if err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(o.IO.Out, reqs)
	}
	if o.IDs {
		for _, r := range reqs {
			if r.Withdrawn == nil {
				fmt.Fprintln(o.IO.Out, r.ID)
			}
		}
		return nil
	}
	if len(reqs) == 0 {
		fmt.Fprintln(o.IO.ErrOut, "no pending requests")
	}
	stale := 0
	for _, r := range reqs {
		if r.Withdrawn != nil {
			fmt.Fprintf(o.IO.Out, "%-24s %-18s withdrawn by %s on %s\n", r.ID, "withdrawn", r.Withdrawn.By, r.Withdrawn.Withdrawn.UTC().Format("2006-01-02"))
			continue
		}
		state := fmt.Sprintf("signed by %s; missing %s", labelled(r.Labels, r.SignedBy), labelled(r.Labels, r.Missing))
		if r.Ready {
			state = "ready"
		}
		what := ""
		if len(r.Summary) > 0 {
			what = r.Summary[0]
		}
		if r.Stale != "" {
			state = "STALE: " + r.Stale
			stale++
		}
		fmt.Fprintf(o.IO.Out, "%-24s %-18s %s — %s\n", r.ID, r.Kind, what, state)
		for _, p := range r.Problems {
			fmt.Fprintf(o.IO.Out, "%-24s PROBLEM: %s\n", "", p)
		}
	}
	if stale > 0 {
		fmt.Fprintf(o.IO.Out, "%s can no longer be applied: `tufgit request prune` removes stale requests (anyone may); to make a change again on the current head, `tufgit request rebase ID --key KEY`\n",
			plural(stale, "STALE request"))
	}
	return nil
}

// RequestShowOptions are the options of `tufgit request show`.
type RequestShowOptions struct {
	RepoOptions
	ID   string
	JSON bool
}

func newRequestShowCmd(io *IOStreams) *cobra.Command {
	o := &RequestShowOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Say in words what a request changes and who must sign",
		Long: `Show a request: who asked and when, what it changes (derived from the
proposed metadata: releases with their files, sizes and hashes, yanks,
maintainers, thresholds), and which signatures are present and missing.`,
		Example: "  tufgit request show hello-3f9a2c1b",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ID = args[0]
			return o.Run(cmd.Context())
		},
	}
	o.addFlags(cmd, false)
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON")
	return cmd
}

// Run shows the request.
func (o *RequestShowOptions) Run(ctx context.Context) error {
	return o.read(ctx, o.show)
}

func (o *RequestShowOptions) show(s *repo.Session) error {
	r, err := s.ShowRequest(o.ID)
	if err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(o.IO.Out, r)
	}
	printRequest(o.IO.Out, r)
	return nil
}

// labelled names keyids by their labels where known.
func labelled(labels repo.Labels, ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = labels.Name(id)
	}
	return strings.Join(out, ", ")
}

func printRequest(w io.Writer, r *repo.RequestInfo) {
	fmt.Fprintf(w, "request %s (%s", r.ID, r.Kind)
	if r.Project != "" {
		fmt.Fprintf(w, " of %s", r.Project)
	}
	fmt.Fprintf(w, ")\n  asked by %s on %s\n", r.Author, r.Created.UTC().Format("2006-01-02 15:04 MST"))
	if r.Note != "" {
		fmt.Fprintf(w, "  their note: %q\n", r.Note)
	}
	fmt.Fprintln(w, "  what it changes:")
	for _, l := range r.Summary {
		fmt.Fprintf(w, "    %s\n", l)
	}
	fmt.Fprintln(w, "  signatures:")
	for _, rs := range r.Roles {
		state := "complete"
		if !rs.Met {
			state = fmt.Sprintf("needs %d more of: %s", rs.Threshold-len(rs.Signed), labelled(r.Labels, rs.Missing))
		}
		fmt.Fprintf(w, "    %s v%d: %d of %d, signed by %s; %s\n", rs.Role, rs.Version, len(rs.Signed), rs.Threshold, labelled(r.Labels, rs.Signed), state)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  PROBLEM: %s\n", p)
	}
	if r.Ready {
		fmt.Fprintln(w, "  ready to apply")
	}
}

// RequestWithdrawOptions are the options of `tufgit request withdraw`.
type RequestWithdrawOptions struct {
	RepoOptions
	ID     string
	Reason string
	JSON   bool
}

func newRequestWithdrawCmd(io *IOStreams) *cobra.Command {
	o := &RequestWithdrawOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "withdraw ID [--key KEY] [--reason TEXT]",
		Short: "Withdraw a pending request, signed by a key entitled to it",
		Long: `Withdraw a pending request, in one commit.

A pending request may be what stands between an attacker and a project (the
admins' request that removes a compromised maintainer key, say), so
withdrawing one takes a key: one that may sign the request, or one the
request would delegate to (the maintainers a project creation or maintainer
change names, so the requester can take back what they asked for). The
request's files are replaced by requests/ID/withdrawal.json, a record of who
withdrew it, when and why, signed by that key; the pre-receive hook refuses
a push that removes a pending request without one.

A request that was applied, can no longer be applied (a role it proposes has
moved past its proposed version), whose proposed metadata has expired, or
that is malformed, may be removed by anyone: no key is needed, and none is
recorded. ` + "`tufgit request prune`" + ` removes all of those and the withdrawal records.`,
		Example: `  tufgit request withdraw hello-3f9a2c1b --key alice.key --reason "wrong file"
  tufgit request withdraw hello-3f9a2c1b          # an expired or stale request`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ID = args[0]
			return o.Run(cmd)
		},
	}
	o.addFlags(cmd, false)
	cmd.Flags().StringVar(&o.KeyRef, "key", "", "a key that may sign the request, or that it names as a maintainer (default, when the request needs one: git config "+ConfigKey+")")
	cmd.Flags().StringVar(&o.Reason, "reason", "", "why, recorded in the signed withdrawal")
	cmd.Flags().BoolVar(&o.NoCommit, "no-commit", false, "leave the change in the working tree")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON")
	return cmd
}

// Run withdraws the request.
func (o *RequestWithdrawOptions) Run(cmd *cobra.Command) error {
	var key *keys.Key
	if o.KeyRef != "" {
		k, err := o.key(cmd.Context())
		if err != nil {
			return err
		}
		key = k
	}
	return o.read(cmd.Context(), func(s *repo.Session) error {
		wo := repo.WithdrawOptions{ID: o.ID, Key: key, Reason: o.Reason, SubmitOptions: repo.SubmitOptions{NoCommit: o.NoCommit}}
		res, err := s.Withdraw(wo)
		if errors.Is(err, repo.ErrNeedsKey) && key == nil {
			// A pending request takes a key: the default one, if set.
			if ref, _, rerr := o.keyRef(); rerr == nil && ref != "" {
				if wo.Key, err = o.key(cmd.Context()); err != nil {
					return err
				}
				res, err = s.Withdraw(wo)
			}
		}
		if err != nil {
			if errors.Is(err, repo.ErrNeedsKey) {
				return withHint(err, fmt.Sprintf("`tufgit request show %s` lists who may sign it; one of them runs `tufgit request withdraw %s --key KEY`", o.ID, o.ID))
			}
			return err
		}
		if o.JSON {
			return writeJSON(o.IO.Out, res)
		}
		if res.Pruned != "" {
			fmt.Fprintf(o.IO.Out, "removed request %s (commit %s): anyone may, since %s\n", o.ID, shortCommit(res.Commit), res.Pruned)
			return nil
		}
		fmt.Fprintf(o.IO.Out, "withdrew request %s, signed by key %s (commit %s)\n", o.ID, shortIDs([]string{res.By}), shortCommit(res.Commit))
		return nil
	})
}

// RequestRebaseOptions are the options of `tufgit request rebase`.
type RequestRebaseOptions struct {
	RepoOptions
	ID   string
	JSON bool
}

func newRequestRebaseCmd(io *IOStreams) *cobra.Command {
	o := &RequestRebaseOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "rebase ID [--key KEY]",
		Short: "Make a request that conflicts with newer changes again, on top of them",
		Long: `When other changes landed on what a pending request touches (two maintainers
opened requests on the same project, and one was applied), the request can
no longer be signed as it is. rebase makes the same change again on top of
the current head: for each role it proposes, the targets and delegations it
added, changed or removed relative to its base are applied to the role as it
is now. The result is a new request with the same note, signed with your key
where your key may sign. Everyone else signs again (they signed other
bytes); the command says who is missing.

The old request goes in the same commit. While it could still be applied,
that is a withdrawal, which takes a key entitled to it (--key); otherwise
anyone may remove it. A request for a new root can not be rebased: make the
root change again.`,
		Example: "  tufgit request rebase hello-3f9a2c1b --key alice.key",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ID = args[0]
			return o.Run(cmd)
		},
	}
	o.addFlags(cmd, false)
	cmd.Flags().StringVar(&o.KeyRef, "key", "", "your key: signs the new request where it may, and withdraws the old one (default: git config tufgit.key)")
	cmd.Flags().BoolVar(&o.NoCommit, "no-commit", false, "leave the change in the working tree")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON")
	return cmd
}

// Run rebases the request.
func (o *RequestRebaseOptions) Run(cmd *cobra.Command) error {
	var key *keys.Key
	if ref, _, err := o.keyRef(); err != nil {
		return err
	} else if ref != "" {
		if key, err = o.key(cmd.Context()); err != nil {
			return err
		}
	}
	return o.read(cmd.Context(), func(s *repo.Session) error {
		res, err := s.Rebase(repo.RebaseOptions{ID: o.ID, Key: key, SubmitOptions: repo.SubmitOptions{NoCommit: o.NoCommit}})
		if err != nil {
			return err
		}
		if o.JSON {
			return writeJSON(o.IO.Out, map[string]any{"old": res.Old, "request": res.RequestID, "applied": res.Applied, "commit": res.Commit, "summary": res.Summary, "roles": res.Signed})
		}
		fmt.Fprintf(o.IO.Out, "rebased request %s on the current head:\n", o.ID)
		printResult(o.IO.Out, res.Result, o.Repo)
		return nil
	})
}

// RequestPruneOptions are the options of `tufgit request prune`.
type RequestPruneOptions struct {
	RepoOptions
}

func newRequestPruneCmd(io *IOStreams) *cobra.Command {
	o := &RequestPruneOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove withdrawn, applied, stale, expired and malformed requests",
		Long: `Remove, in one commit, what anyone may remove without a key: withdrawal
records, and requests that were applied, can no longer be applied, whose
proposed metadata has expired, or that are malformed. Pending requests that
could still be applied stay; withdrawing one takes a key
(` + "`tufgit request withdraw ID --key KEY`" + `).`,
		Example: "  tufgit request prune",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return o.Run(cmd.Context()) },
	}
	o.addFlags(cmd, false)
	cmd.Flags().BoolVar(&o.NoCommit, "no-commit", false, "leave the change in the working tree")
	return cmd
}

// Run prunes.
func (o *RequestPruneOptions) Run(ctx context.Context) error {
	return o.read(ctx, func(s *repo.Session) error {
		ids, h, err := s.Prune(repo.SubmitOptions{NoCommit: o.NoCommit})
		if errors.Is(err, repo.ErrNothingToDo) {
			// Not a failure: cron runs this.
			fmt.Fprintln(o.IO.Out, "nothing to prune: no withdrawn, applied, stale, expired or malformed request")
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(o.IO.Out, "pruned %d request(s) (commit %s): %s\n", len(ids), shortCommit(h), strings.Join(ids, ", "))
		return nil
	})
}

// SignOptions are the options of `tufgit sign`.
type SignOptions struct {
	RepoOptions
	ID  string
	Yes bool
}

func newSignCmd(io *IOStreams) *cobra.Command {
	o := &SignOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "sign ID --key KEY [--yes]",
		Short: "Co-sign a pending request; apply it when complete",
		Long: `Sign a pending request with your key. tufgit first shows what the request
changes, derived from its metadata, and asks you to confirm on a terminal;
only then is your key loaded (its passphrase asked). A request that is gone,
tampered or conflicting is refused before that. Without a terminal it signs
only with --yes. Changes of who may sign a
project or a top-level role come first, marked KEY CHANGE. It refuses a
request whose signatures no longer verify, or that moves a project and
changes its keys at once.

Your signature goes on every role of the request your key may sign; one key
counts once however often it signs. When that completes every threshold, the
request is applied in the same commit: the signed metadata moves into place
and the request is removed.

A request made before other changes landed is signed as it is when none of
what it touches changed since; otherwise tufgit names the conflicting files.`,
		Example: "  tufgit request list\n  tufgit sign hello-3f9a2c1b --key bob.key",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ID = args[0]
			return o.Run(cmd)
		},
	}
	o.addFlags(cmd, true)
	cmd.Flags().BoolVarP(&o.Yes, "yes", "y", false, "sign without asking")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON: commit, applied, request_id, roles (signed_by, missing, met); the request is shown on stderr")
	return cmd
}

// Run signs.
//
// The request is checked and shown, and the signer says yes, before the key
// is loaded: nobody types a passphrase for a request that can not be
// signed, or before reading what it does.
func (o *SignOptions) Run(cmd *cobra.Command) error {
	ref, _, err := o.keyRef()
	if err != nil {
		return err
	}
	if err := o.precheckKey(cmd.Context()); err != nil {
		return err
	}
	s, err := o.open(cmd.Context())
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.CheckSign(o.ID)
	if err != nil {
		return err
	}
	if o.JSON {
		printRequest(o.IO.ErrOut, r) // stdout is the JSON
	} else {
		printRequest(o.IO.Out, r)
	}
	if !o.Yes {
		if o.IO.TTY == nil {
			// A signature is a decision: without a terminal to ask on,
			// only an explicit --yes makes it.
			return &exitError{code: ExitUsage, err: fmt.Errorf("no terminal to confirm on, and --yes was not given: not signing request %s", r.ID),
				hint: fmt.Sprintf("read it with `tufgit request show %s`, then run `tufgit sign %s --key KEY --yes`", r.ID, r.ID)}
		}
		ok, err := o.IO.Confirm("sign this with " + ref + "?")
		if err != nil {
			return err
		}
		if !ok {
			return repo.ErrDeclined
		}
	}
	key, err := o.key(cmd.Context())
	if err != nil {
		return err
	}
	res, err := s.Sign(repo.SignOptions{ID: o.ID, Key: key, SubmitOptions: repo.SubmitOptions{NoCommit: o.NoCommit}})
	if err != nil {
		return err
	}
	if o.JSON {
		j := resultJSON(res)
		j.RequestID = o.ID
		return writeJSON(o.IO.Out, j)
	}
	if res.Applied {
		fmt.Fprintf(o.IO.Out, "signed; every threshold is met: request %s applied (commit %s)\n", o.ID, shortCommit(res.Commit))
		return nil
	}
	fmt.Fprintf(o.IO.Out, "signed (commit %s); still waiting:\n", shortCommit(res.Commit))
	for _, r := range res.Signed {
		if !r.Met {
			fmt.Fprintf(o.IO.Out, "  %s: %d of %d, missing %s\n", r.Role, len(r.Signed), r.Threshold, labelled(res.Labels, r.Missing))
		}
	}
	return nil
}

func shortCommit(h string) string {
	if strings.Trim(h, "0") == "" {
		return "not committed"
	}
	return h[:12]
}
