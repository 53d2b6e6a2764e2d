package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/status"
)

// StatusOptions are the options of `tufgit status`.
type StatusOptions struct {
	IO     *IOStreams
	Repo   string
	Rev    string
	Within string
	JSON   bool
}

func newStatusCmd(io *IOStreams) *cobra.Command {
	o := &StatusOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "status [REV] [--within DURATION] [--json] [--repo DIR]",
		Short: "Say what expires when, who must renew it, and what waits for signatures",
		Long: `Report on REV (default HEAD), straight from git objects, so it works in a bare
repository too: every role with its version, expiry and who signs it
(admins, maintainers of NAME, online), what expires within the window
(--within, default 30d), and the pending requests with the signatures they
still miss.

Root, targets, every index role and every project role are read from the
tree. Snapshot and timestamp are not in git: they are shown, as online,
when the publisher's record (refs/tufgit/published) is in the repository,
which is the case on the server that publishes. An online role is due
within at most a quarter of its validity ('tufgit publish --refresh'
re-signs it at half), so a stalled publisher shows before clients fail.

status reads versions and expiries only; it checks no signature. Run
'tufgit verify' for that.

The report lists the due roles first, earliest first (index roles and
projects grouped, so it stays short at any size), then a count per kind
with the next expiry, then the requests. --json gives roles, expiring,
kinds, requests, published and problems.

Exit codes: 0 nothing expires within the window; 13 something does, renew
it (see docs/operations.md); 4 something has expired already; 1 the report
could not be made, or a role file could not be read (run 'tufgit verify').`,
		Example: `  # Daily in CI: fail a month before anything expires
  tufgit status --within 30d

  # On the server's bare repository, for machines
  tufgit status --repo /srv/git/packages.git main --json

  # What will be due in the next quarter?
  tufgit status --within 90d`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Rev = "HEAD"
			if len(args) == 1 {
				o.Rev = args[0]
			}
			return o.Run()
		},
	}
	cmd.Flags().StringVar(&o.Repo, "repo", ".", "the repository (a working tree or a bare repository)")
	cmd.Flags().StringVar(&o.Within, "within", "30d", "the window: roles expiring within it are due (e.g. 30d, 90d, 2y, \"2 weeks\", 12h)")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the report as JSON")
	return cmd
}

// Run reports and picks the exit code.
func (o *StatusOptions) Run() error {
	within, err := parseDuration(o.Within)
	if err != nil {
		return usageError("--within: %v", err)
	}
	g, err := gitstore.Open(o.Repo)
	if err != nil {
		return err
	}
	rev, err := g.Resolve(o.Rev)
	if err != nil {
		return err
	}
	st, err := status.Get(status.Options{Repo: g, Rev: rev, Now: o.IO.Now(), Within: time.Duration(within)})
	if err != nil {
		return err
	}
	if o.JSON {
		if err := writeJSON(o.IO.Out, st); err != nil {
			return err
		}
	} else {
		printStatus(o.IO.Out, st)
	}
	switch {
	case st.Expired() > 0:
		return silentExit(ExitExpired)
	case len(st.Problems) > 0:
		// A file it could not read may be the next to expire.
		return silentExit(ExitError)
	case len(st.Expiring) > 0:
		return silentExit(ExitExpiring)
	}
	return nil
}

// maxListed bounds how many due project roles are named one by one.
const maxListed = 20

func printStatus(w io.Writer, st *status.Status) {
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	when := func(t time.Time) string {
		d := t.Sub(st.Now)
		switch {
		case d <= 0:
			return fmt.Sprintf("%s (EXPIRED %s ago)", day(t), span(-d))
		default:
			return fmt.Sprintf("%s (in %s)", day(t), span(d))
		}
	}
	fmt.Fprintf(w, "status of %s on %s; due: expiring within %s\n", st.Commit[:12], st.Now.Format("2006-01-02 15:04 UTC"), st.Within)
	if len(st.Expiring) == 0 {
		fmt.Fprintf(w, "\nnothing expires within %s\n", st.Within)
	} else {
		fmt.Fprintf(w, "\ndue (%d):\n", len(st.Expiring))
		fmt.Fprintf(w, "  %-28s %-8s %-28s %-12s %s\n", "ROLE", "VERSION", "EXPIRES", "SIGNED BY", "RENEW WITH")
		// Index roles are one line, where the first of them falls in
		// expiry order; projects past maxListed are counted.
		var idx []status.Role
		for _, r := range st.Expiring {
			if r.Kind == status.KindIndex {
				idx = append(idx, r)
			}
		}
		projects := 0
		for _, r := range st.Expiring {
			switch r.Kind {
			case status.KindIndex:
				if r.Role != idx[0].Role {
					continue
				}
				name := fmt.Sprintf("%d index roles", len(idx))
				if len(idx) == 1 {
					name = r.Role
				}
				fmt.Fprintf(w, "  %-28s %-8s %-28s %-12s %s\n", name, "-", when(r.Expires), status.SignedByAdmins, renewWith(r))
				continue
			case status.KindProject:
				projects++
				if projects > maxListed {
					continue
				}
			}
			by := r.SignedBy
			if r.Kind == status.KindProject {
				by = "maintainers" // of the project the ROLE column names
			}
			fmt.Fprintf(w, "  %-28s %-8d %-28s %-12s %s\n", r.Role, r.Version, when(r.Expires), by, renewWith(r))
		}
		if projects > maxListed {
			fmt.Fprintf(w, "  … and %d more project roles (tufgit status --json lists them all)\n", projects-maxListed)
		}
	}
	fmt.Fprintf(w, "\nroles:\n  %-10s %7s %6s %8s  %s\n", "KIND", "ROLES", "DUE", "EXPIRED", "NEXT EXPIRY")
	for _, k := range st.Kinds {
		fmt.Fprintf(w, "  %-10s %7d %6d %8d  %s\n", k.Kind, k.Roles, k.Due, k.Expired, when(k.Next))
	}
	switch {
	case st.Published == nil:
		fmt.Fprintln(w, "  snapshot, timestamp: not shown (no publisher's record, refs/tufgit/published, in this repository)")
	case !st.Published.Current:
		fmt.Fprintf(w, "  snapshot, timestamp: as last published, from commit %s\n", short(st.Published.Commit))
	}
	if len(st.Requests) == 0 {
		fmt.Fprintln(w, "\nno pending requests")
	} else {
		fmt.Fprintf(w, "\npending requests (%d):\n", len(st.Requests))
		for _, r := range st.Requests {
			state := "missing " + strings.Join(r.Missing, ", ")
			if r.Ready {
				state = "ready"
			}
			if len(r.Problems) > 0 {
				state = "PROBLEM: " + r.Problems[0]
			}
			fmt.Fprintf(w, "  %-24s %-18s %s — %s\n", r.ID, r.Kind, r.Summary, state)
		}
	}
	for _, p := range st.Problems {
		fmt.Fprintf(w, "\nproblem: %s\n", p)
	}
	switch n, e := len(st.Expiring), st.Expired(); {
	case e > 0:
		fmt.Fprintf(w, "\n%d role(s) EXPIRED, %d more due within %s: clients refuse expired metadata; renew now (docs/operations.md)\n", e, n-e, st.Within)
	case n > 0:
		fmt.Fprintf(w, "\n%d role(s) expire within %s: renew them (docs/operations.md)\n", n, st.Within)
	}
}

// renewWith is the next step for a due role: sign the pending request
// that proposes it, or the command that renews it.
func renewWith(r status.Role) string {
	if r.PendingRequest != "" {
		return "tufgit sign " + r.PendingRequest + " --key KEY (pending)"
	}
	return r.Renew
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// span is a duration in words: days, or hours and minutes under two days.
func span(d time.Duration) string { return humanSpan(d) }
