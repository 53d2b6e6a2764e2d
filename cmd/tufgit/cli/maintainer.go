package cli

import (
	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/repo"
)

func newMaintainerCmd(io *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "maintainer",
		Short: "Add or remove a project's maintainers",
		Long: `A project's maintainer keys and threshold are listed in its index role, which
the admins sign with offline keys. A change to them is a request that the
admins sign, and in which the project role is re-signed so that the
maintainers (as the new delegation lists them) consent too. Either side may
start it; the other signs with 'tufgit sign'.`,
	}
	cmd.AddCommand(newMaintainerAddCmd(io), newMaintainerRemoveCmd(io))
	return cmd
}

// MaintainerAddOptions are the options of `tufgit maintainer add`.
type MaintainerAddOptions struct {
	RepoOptions
	Project string
	Spec    string
}

func newMaintainerAddCmd(io *IOStreams) *cobra.Command {
	o := &MaintainerAddOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "add NAME [LABEL=]PUBKEY --key KEY",
		Short: "Add a maintainer key to a project",
		Long: `Add a maintainer's public key to a project. The threshold stays as it is
(change it with 'tufgit project threshold'). The label defaults to the key
file's name.`,
		Example: "  tufgit maintainer add hello carol.pub --key alice.key\n  tufgit maintainer add hello 'Carol Jones=keys/carol.pub' --key admin.key",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Project, o.Spec = args[0], args[1]
			m, err := maintainerSpec(cmd.Context(), o.IO, o.Spec)
			if err != nil {
				return err
			}
			return runMaintainerChange(cmd, &o.RepoOptions, repo.MaintainerChange{Project: o.Project, Add: &m})
		},
	}
	o.addFlags(cmd, true)
	return cmd
}

// MaintainerRemoveOptions are the options of `tufgit maintainer remove`.
type MaintainerRemoveOptions struct {
	RepoOptions
	Project string
	Who     string
}

func newMaintainerRemoveCmd(io *IOStreams) *cobra.Command {
	o := &MaintainerRemoveOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "remove NAME KEYID|LABEL|PUBKEY --key KEY",
		Short: "Remove a maintainer key from a project",
		Long: `Remove a maintainer from a project, named by keyid (or a unique prefix of at
least 8 hex digits), by label, or by public key file. The threshold drops to
the number of maintainers left if it was higher. The last maintainer can not
be removed.`,
		Example: "  tufgit maintainer remove hello bob --key alice.key\n  tufgit maintainer remove hello 3f9a2c1b --key admin.key",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Project, o.Who = args[0], args[1]
			return runMaintainerChange(cmd, &o.RepoOptions, repo.MaintainerChange{Project: o.Project, Remove: o.Who})
		},
	}
	o.addFlags(cmd, true)
	return cmd
}
