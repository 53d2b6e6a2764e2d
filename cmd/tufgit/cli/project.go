package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/repo"
)

func newProjectCmd(io *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "project",
		Short: "Create, list and inspect projects",
		Long: `A project is a TUF role signed by its own maintainers' keys, with a threshold.
Its files live at PROJECT/VERSION/FILENAME. Projects are delegated from the
prefix index, which the repository admins sign with offline keys.`,
	}
	cmd.AddCommand(newProjectCreateCmd(io), newProjectListCmd(io), newProjectShowCmd(io), newProjectThresholdCmd(io), newProjectRemoveCmd(io))
	return cmd
}

// ProjectCreateOptions are the options of `tufgit project create`.
type ProjectCreateOptions struct {
	RepoOptions
	Name        string
	Maintainers []string
	Threshold   int
	Note        string
}

func newProjectCreateCmd(io *IOStreams) *cobra.Command {
	o := &ProjectCreateOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "create NAME --maintainer [LABEL=]PUBKEY... [--threshold N] --key KEY",
		Short: "Create a project with its maintainers",
		Long: `Create a project: delegate PROJECT/*/* to the maintainers' keys, with a
threshold (default 1), from the index role for its name.

NAME is normalized as PyPI does (PEP 503): Hello_World and hello.world are both
the project hello-world. A name that normalizes to an existing project is
refused.

Creating a project changes an index role, which the admins sign. With an admin
key the project is created at once (when the admins' threshold is met);
with any other key the change becomes a request for the admins to sign.

Each --maintainer is a public key file, optionally labelled: alice=alice.pub.
The label defaults to the file name (alice.pub is "alice"). Labels are for
people; the keys are what counts.`,
		Example: `  # An admin creates hello with two maintainers, both needed to sign
  tufgit project create hello --maintainer alice.pub --maintainer bob.pub --threshold 2 --key admin.key

  # A developer asks the admins for a project
  tufgit project create my-lib --maintainer me=~/.tufgit/me.pub --key ~/.tufgit/me.key`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			return o.Run(cmd)
		},
	}
	o.addFlags(cmd, true)
	cmd.Flags().StringArrayVar(&o.Maintainers, "maintainer", nil, "a maintainer's public key, [LABEL=]PATH (repeat)")
	cmd.Flags().IntVar(&o.Threshold, "threshold", 1, "how many maintainers must sign each change")
	cmd.Flags().StringVar(&o.Note, "note", "", "a note for the admins, shown as yours")
	_ = cmd.MarkFlagRequired("maintainer")
	return cmd
}

// Run creates the project.
func (o *ProjectCreateOptions) Run(cmd *cobra.Command) error {
	ctx := cmd.Context()
	var ms []repo.NewMaintainer
	for _, spec := range o.Maintainers {
		m, err := maintainerSpec(ctx, o.IO, spec)
		if err != nil {
			return err
		}
		ms = append(ms, m)
	}
	return o.change(cmd, func(s *repo.Session, key *keys.Key, so repo.SubmitOptions) (*repo.Result, error) {
		return s.CreateProject(repo.ProjectCreateOptions{Name: o.Name, Maintainers: ms, Threshold: o.Threshold, Key: key, Note: o.Note, SubmitOptions: so})
	})
}

// ProjectListOptions are the options of `tufgit project list`.
type ProjectListOptions struct {
	RepoOptions
	JSON bool
}

func newProjectListCmd(io *IOStreams) *cobra.Command {
	o := &ProjectListOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List every project",
		Long:    `List every project the index delegates, with its threshold and number of maintainers.`,
		Example: "  tufgit project list\n  tufgit project list --json | jq -r '.[].name'",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return o.Run(cmd.Context()) },
	}
	o.addFlags(cmd, false)
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON")
	return cmd
}

// Run lists the projects.
func (o *ProjectListOptions) Run(ctx context.Context) error {
	return o.read(ctx, o.list)
}

func (o *ProjectListOptions) list(s *repo.Session) error {
	ps, err := s.ListProjects()
	if err != nil {
		return err
	}
	if o.JSON {
		if ps == nil {
			ps = []repo.ProjectInfo{}
		}
		return writeJSON(o.IO.Out, ps)
	}
	for _, p := range ps {
		fmt.Fprintf(o.IO.Out, "%-30s %d of %d maintainers\n", p.Name, p.Threshold, len(p.Maintainers))
	}
	if len(ps) == 0 {
		fmt.Fprintln(o.IO.ErrOut, "no projects yet; create one with `tufgit project create`")
	}
	return nil
}

// ProjectShowOptions are the options of `tufgit project show`.
type ProjectShowOptions struct {
	RepoOptions
	Name string
	JSON bool
}

func newProjectShowCmd(io *IOStreams) *cobra.Command {
	o := &ProjectShowOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a project's maintainers, releases and open requests",
		Long: `Show a project: its maintainers with their keyids, the threshold, every
release in version order with its files (yanked ones too, with the reason),
and the open requests that concern it.`,
		Example: "  tufgit project show hello",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			return o.Run(cmd.Context())
		},
	}
	o.addFlags(cmd, false)
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON")
	return cmd
}

// Run shows the project.
func (o *ProjectShowOptions) Run(ctx context.Context) error {
	return o.read(ctx, o.show)
}

func (o *ProjectShowOptions) show(s *repo.Session) error {
	p, err := s.ShowProject(o.Name)
	if err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(o.IO.Out, p)
	}
	w := o.IO.Out
	title := p.Name
	if p.DisplayName != "" {
		title += " (" + p.DisplayName + ")"
	}
	fmt.Fprintf(w, "project %s\n", title)
	fmt.Fprintf(w, "  delegated by %s; %d of %d maintainers must sign\n", p.Index, p.Threshold, len(p.Maintainers))
	for _, m := range p.Maintainers {
		// A label nobody signed comes after the keyid, marked.
		switch {
		case m.Name == "":
			fmt.Fprintf(w, "  maintainer %-16s %s\n", "(no label)", m.KeyID)
		case m.NameSigned:
			fmt.Fprintf(w, "  maintainer %-16s %s\n", m.Name, m.KeyID)
		default:
			fmt.Fprintf(w, "  maintainer %s (label %q, unsigned: only the project config says so)\n", m.KeyID, m.Name)
		}
	}
	if p.Expires != nil {
		fmt.Fprintf(w, "  role version %d, expires %s\n", p.RoleVersion, p.Expires.UTC().Format("2006-01-02"))
	}
	if len(p.Releases) == 0 {
		fmt.Fprintln(w, "  no releases yet")
	}
	for _, r := range p.Releases {
		y := ""
		if r.Yanked {
			y = "  YANKED"
			if r.YankReason != "" {
				y += ": " + r.YankReason
			}
		}
		fmt.Fprintf(w, "  release %s%s\n", r.Version, y)
		for _, f := range r.Files {
			fmt.Fprintf(w, "    %-40s %12d bytes  sha256 %s\n", f.Name, f.Length, f.SHA256[:16])
		}
	}
	for _, r := range p.Requests {
		fmt.Fprintf(w, "  open request %s (%s)\n", r.ID, r.Kind)
	}
	return nil
}

// ProjectThresholdOptions are the options of `tufgit project threshold`.
type ProjectThresholdOptions struct {
	RepoOptions
	Name      string
	Threshold int
}

func newProjectThresholdCmd(io *IOStreams) *cobra.Command {
	o := &ProjectThresholdOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "threshold NAME N --key KEY",
		Short: "Change how many maintainers must sign",
		Long: `Change a project's threshold. The threshold is part of the project's
delegation in its index role, so the admins sign the change; the project role
is re-signed in the same request, so the maintainers consent too. Either side
may run this; the other signs with 'tufgit sign'.`,
		Example: "  tufgit project threshold hello 2 --key alice.key",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if _, err := fmt.Sscanf(args[1], "%d", &o.Threshold); err != nil || o.Threshold < 1 {
				return usageError("threshold %q: want a positive number", args[1])
			}
			return o.Run(cmd)
		},
	}
	o.addFlags(cmd, true)
	return cmd
}

// Run changes the threshold.
func (o *ProjectThresholdOptions) Run(cmd *cobra.Command) error {
	return runMaintainerChange(cmd, &o.RepoOptions, repo.MaintainerChange{Project: o.Name, Threshold: o.Threshold})
}

func runMaintainerChange(cmd *cobra.Command, o *RepoOptions, mc repo.MaintainerChange) error {
	return o.change(cmd, func(s *repo.Session, key *keys.Key, so repo.SubmitOptions) (*repo.Result, error) {
		mc.Key, mc.SubmitOptions = key, so
		return s.ChangeMaintainers(mc)
	})
}

func writeJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// ProjectRemoveOptions are the options of `tufgit project remove`.
type ProjectRemoveOptions struct {
	RepoOptions
	Name string
	Note string
}

func newProjectRemoveCmd(io *IOStreams) *cobra.Command {
	o := &ProjectRemoveOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "remove NAME --key ADMIN-KEY",
		Short: "Stop delegating a project; its releases stay on record",
		Long: `Remove a project: its index role, which the admins sign, no longer delegates
it, so no client will trust a file of it again. When the change is applied:

  - the project's last role metadata moves to metadata/retired/, where its
    releases and the version its role reached stay on record (NAME.json;
    a name removed again adds NAME.2.json, and so on: no record changes);
  - its config and its pending requests go;
  - its artifacts stay (they are append-only);
  - the publisher keeps the role in snapshot at its last version, because
    clients refuse a snapshot that drops a role they saw before.

A project created again under the same name continues the role's versions,
and can never publish other bytes under a release of any earlier project of
the name.
Signers see "KEY CHANGE: NAME: no longer delegated".`,
		Example: "  tufgit project remove hello --key admin1.key --note 'abandoned, see #123'",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			return o.change(cmd, func(s *repo.Session, k *keys.Key, so repo.SubmitOptions) (*repo.Result, error) {
				return s.RemoveProject(repo.ProjectRemoveOptions{Name: o.Name, Key: k, Note: o.Note, SubmitOptions: so})
			})
		},
	}
	o.addFlags(cmd, true)
	cmd.Flags().StringVar(&o.Note, "note", "", "why, for the other signers (shown as your words)")
	return cmd
}
