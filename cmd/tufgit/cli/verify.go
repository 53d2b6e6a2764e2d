package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/artifacts"
	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/state"
	"github.com/tufgit/tufgit/pkg/trust"
	"github.com/tufgit/tufgit/pkg/verify"
)

// VerifyOptions are the options of `tufgit verify`.
type VerifyOptions struct {
	IO            *IOStreams
	Repo          string
	Rev           string
	Since         string
	JSON          bool
	SkipArtifacts bool
	CheckStore    bool
	At            string
}

func newVerifyCmd(io *IOStreams) *cobra.Command {
	o := &VerifyOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "verify [REV] [--repo DIR] [--since OLD] [--json]",
		Short: "Check that a commit obeys TUF's rules and tufgit's layout",
		Long: `Check the tree at REV (default HEAD) straight from git objects: no checkout is
needed, so it works the same in a bare repository and in a pre-receive hook.

It checks that every file belongs to the layout (no symlinks, no '..', no stray
files); that every metadata file parses; that every root version is signed by
its own threshold and by the previous root's; that every role is signed by the
threshold of the keys its delegator lists; that delegations follow the prefix
index (no target outside its role's paths, no cycles, no orphan role files);
that every artifact in the embedded store matches its target's length and
hashes; and that pending requests are well formed, with only valid signatures.

With --since OLD it checks the move from OLD to REV instead, trusting that OLD
was valid: changed files, roles whose delegation changed, and the transition
rules (versions grow, root by exactly one per step, root history and artifacts
are append-only, published releases never change or vanish, nothing still
delegated is deleted). Its cost grows with the change, not the repository.

It prints one line per problem naming the file, the role and what is wrong,
then a summary. Expired metadata is reported apart from problems.

Expiry is judged against the system clock, or against --at TIME (RFC 3339)
for an audit of what was valid at that moment. Only verify takes --at; the
hook, publish and the downloader always use the system clock.

Exit codes: 0 valid (pending requests allowed), 3 problems found, 4 valid but
some metadata has expired, 1 the check could not run.`,
		Example: `  # Check the current commit
  tufgit verify

  # In CI: check a pull request's change against its base
  tufgit verify --since origin/main HEAD

  # In a bare repository, for machines
  tufgit verify --repo /srv/git/packages.git main --json

  # Audit: was this commit's metadata valid on 1 March 2027?
  tufgit verify --at 2027-03-01T00:00:00Z`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Rev = "HEAD"
			if len(args) == 1 {
				o.Rev = args[0]
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.Repo, "repo", "", "the repository, a working tree or a bare one (default: the one the current directory is in, found upward as git does)")
	cmd.Flags().StringVar(&o.Since, "since", "", "check only the move from this revision to REV")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&o.SkipArtifacts, "skip-artifacts", false, "do not read artifact bytes (their presence is still checked)")
	cmd.Flags().BoolVar(&o.CheckStore, "check-store", false, "also read and check artifacts kept in an external store (needs the store's credentials)")
	cmd.Flags().StringVar(&o.At, "at", "", "judge expiry as of this time instead of now: a date (2028-01-01, UTC), a date and time (2028-01-01 12:00, UTC) or RFC 3339")
	return cmd
}

// Run verifies and prints the report.
func (o *VerifyOptions) Run(ctx context.Context) error {
	g, err := openGit(o.Repo)
	if err != nil {
		return err
	}
	// Stops (and waits for) the git reader processes, whose work is then
	// part of this process's accounting, as a CPU measurement should see.
	defer g.Close()
	now := o.IO.Now()
	if o.At != "" {
		t, err := parseTime(o.At)
		if err != nil {
			return usageError("--at: %v", err)
		}
		now = t
	}
	rev, err := g.Resolve(o.Rev)
	if err != nil {
		return err
	}
	opts := verify.Options{Now: now, SkipArtifacts: o.SkipArtifacts, Context: ctx}
	if o.CheckStore {
		opts.OpenStore = openReachableStore
		store, err := openStoreAt(ctx, g, rev)
		if err != nil {
			return err
		}
		if store != nil {
			defer store.Close()
			opts.Store = store
		}
	}
	var rep *verify.Report
	if o.Since != "" {
		var old gitstore.Hash
		if old, err = g.Resolve(o.Since); err != nil {
			return err
		}
		rep, err = verify.Since(g, old, rev, opts)
	} else {
		stop := gcForFullCheck()
		rep, err = verify.Commit(g, rev, opts)
		stop()
	}
	if err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(o.IO.Out, rep)
	}
	o.noteWorkTree(g, rev)
	switch {
	case !rep.Valid():
		return silentExit(ExitInvalid)
	case len(rep.Expired) > 0:
		return silentExit(ExitExpired)
	}
	return nil
}

// noteWorkTree says, when verify checked HEAD of a working tree whose
// files differ from it, that what it judged is the commit, not the files
// on disk (an uncommitted, broken targets.json would otherwise pass as
// "valid").
func (o *VerifyOptions) noteWorkTree(g *gitstore.Repo, rev gitstore.Hash) {
	if o.Rev != "HEAD" {
		return
	}
	changed, err := g.WorkTreeChanges(rev, []string{"metadata", "projects", "requests", "tufgit.json"})
	if err != nil || len(changed) == 0 {
		return
	}
	list := changed
	if len(list) > 5 {
		list = append(list[:5:5], fmt.Sprintf("and %d more", len(changed)-5))
	}
	fmt.Fprintf(o.IO.ErrOut, "tufgit: note: this checked commit %s (HEAD); the working tree differs from it in %s: %s\n",
		rev.String()[:12], plural(len(changed), "file"), strings.Join(list, ", "))
	fmt.Fprintln(o.IO.ErrOut, "tufgit: hint: `git diff` shows the changes; commit them and run `tufgit verify` again to check them")
}

func printReport(w io.Writer, rep *verify.Report) {
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	for _, p := range rep.Expired {
		fmt.Fprintf(w, "expired: %s\n", p)
	}
	for _, pr := range rep.Pending {
		fmt.Fprintf(w, "pending: request %s (%s", pr.ID, pr.Kind)
		if pr.Project != "" {
			fmt.Fprintf(w, " of %s", pr.Project)
		}
		fmt.Fprintf(w, ", by %s): %s\n", pr.Author, pendingState(pr))
	}
	var sum []string
	sum = append(sum, plural(len(rep.Problems), "problem"), fmt.Sprintf("%d expired", len(rep.Expired)), plural(len(rep.Pending), "pending request"))
	what := "full check"
	if rep.Stats.Mode == "incremental" {
		what = fmt.Sprintf("check of %d changed file(s) since %s", rep.Stats.Changes, rep.Since[:12])
	}
	verdict := "valid"
	switch {
	case !rep.Valid():
		verdict = "INVALID"
	case len(rep.Expired) > 0:
		verdict = "valid but expired"
	}
	if !rep.Initialized && rep.Valid() {
		verdict = "not yet initialized (waiting for the init request)"
	}
	fmt.Fprintf(w, "verify: %s: %s (%s of %s: %d roles, %d projects, %d targets, %d artifacts read)\n",
		verdict, strings.Join(sum, ", "), what, rep.Commit[:12], rep.Stats.RolesChecked, rep.Stats.Projects, rep.Stats.Targets, rep.Stats.Artifacts)
}

func pendingState(pr verify.PendingRequest) string {
	var parts []string
	groups := map[string][]string{}
	var order []string
	for _, r := range pr.Roles {
		key := fmt.Sprintf("%d of %d (missing %s)", len(r.Signed), r.Threshold, shortIDs(r.Missing))
		if r.Met {
			key = fmt.Sprintf("%d of %d, complete", len(r.Signed), r.Threshold)
		}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], r.Role)
		if r.Also != nil && !r.Also.Met {
			parts = append(parts, fmt.Sprintf("root also needs %d of %d from root v%d", r.Also.Threshold-len(r.Also.Signed), r.Also.Threshold, r.Also.Version))
		}
	}
	for _, k := range order {
		roles := groups[k]
		name := strings.Join(roles, ", ")
		if len(roles) > 3 {
			name = fmt.Sprintf("%s, %s and %d more", roles[0], roles[1], len(roles)-2)
		}
		parts = append(parts, name+": "+k)
	}
	if len(pr.Stale) > 0 {
		parts = append(parts, "STALE: "+strings.Join(pr.Stale, "; "))
	} else if pr.Ready {
		parts = append(parts, "ready to apply")
	}
	return strings.Join(parts, "; ")
}

func shortIDs(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = trust.Short(id)
	}
	return strings.Join(s, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// openReachableStore opens the artifact store at url for a check of a
// change that moves artifacts.store there, and makes sure it answers.
func openReachableStore(ctx context.Context, url string) (verify.ArtifactSource, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := artifacts.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openStoreAt opens the external artifact store the config at rev names,
// or returns nil for the embedded store.
func openStoreAt(ctx context.Context, g *gitstore.Repo, rev gitstore.Hash) (*artifacts.Store, error) {
	tree, err := g.TreeAt(rev)
	if err != nil {
		return nil, err
	}
	cfg, err := state.New(tree).Config()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", layout.ConfigPath, err)
	}
	if cfg.Artifacts.Store == "git" {
		return nil, nil
	}
	return artifacts.Open(ctx, cfg.Artifacts.Store)
}

// gcForFullCheck tunes the garbage collector for a full check, unless GOGC
// or GOMEMLIMIT is set. A full check allocates several times its working
// set in short-lived garbage (go-tuf's canonical JSON of every role it
// checks): with Go's default (collect when the heap has doubled) the
// collector ran about every 30 MB at 10,000 projects. It now lets the heap
// grow to five times the live data, within a soft limit of 176 MiB of Go
// memory; once the live data passes a third of that (a repository of
// about 100,000 projects or more), the limit follows it at twice the live
// data, as the default would, so that a large repository never makes the
// collector run without pause. Measured in verify's peer benchmark: about
// 10-15% less CPU at 1,000 and 10,000 projects and little at 100,000, peak
// memory within 256 MB
// at 100,000 (docs/performance.md).
func gcForFullCheck() (stop func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	const floor = 176 << 20
	oldPercent := debug.SetGCPercent(400)
	oldLimit := debug.SetMemoryLimit(floor)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			metrics.Read(live)
			if live[0].Value.Kind() == metrics.KindUint64 {
				debug.SetMemoryLimit(max(floor, 2*int64(live[0].Value.Uint64())))
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	}
}
