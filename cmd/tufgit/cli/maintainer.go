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
start it; the other signs with 'tufgit sign'.

A maintainer's label is signed with the key itself, in the key object of the
index role (the field x-tuf-on-ci-keyowner, as tuf-on-ci does), so the
admins sign it. A key is named on the command line by keyid prefix, public
key file, or signed label: a label only the unsigned project config gives
never selects a key.`,
	}
	cmd.AddCommand(newMaintainerAddCmd(io), newMaintainerRemoveCmd(io), newMaintainerRotateCmd(io), newMaintainerRecoverCmd(io), newMaintainerLabelCmd(io))
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
least 8 hex digits), by signed label, or by public key file. A label only
the unsigned project config gives (shown as 'label "bob", unsigned') selects
no key: anyone who can push may have moved it. The threshold drops to
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

// MaintainerRotateOptions are the options of `tufgit maintainer rotate`.
type MaintainerRotateOptions struct {
	RepoOptions
	Project, Old, New string
}

func newMaintainerRotateCmd(io *IOStreams) *cobra.Command {
	o := &MaintainerRotateOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "rotate NAME OLD [LABEL=]NEWPUB --key KEY",
		Short: "Replace one maintainer key by another, in one request",
		Long: `Replace a maintainer's key (named by keyid prefix, label or public key file)
by a new public key, keeping its place, its label (unless LABEL= is given)
and the threshold. The old key is named by keyid prefix, public key file or
signed label. Like every maintainer change, the admins sign the index
role and the maintainers, as the new delegation lists them, re-sign the
project role: the new key itself can sign, the old one can not.`,
		Example: "  tufgit maintainer rotate hello alice alice-2027.pub --key alice-2027.key\n  tufgit sign hello-3f9a2c1b --key admin1.key",
		Args:    cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Project, o.Old, o.New = args[0], args[1], args[2]
			m, err := maintainerSpec(cmd.Context(), o.IO, o.New)
			if err != nil {
				return err
			}
			if _, ref, err := splitMaintainerSpec(o.New); err == nil && ref == o.New {
				m.Name = "" // no LABEL= given: keep the old key's label
			}
			return runMaintainerChange(cmd, &o.RepoOptions, repo.MaintainerChange{Project: o.Project, Remove: o.Old, Rotate: &m})
		},
	}
	o.addFlags(cmd, true)
	return cmd
}

// MaintainerRecoverOptions are the options of `tufgit maintainer recover`.
type MaintainerRecoverOptions struct {
	RepoOptions
	Project     string
	Maintainers []string
	Threshold   int
}

func newMaintainerRecoverCmd(io *IOStreams) *cobra.Command {
	o := &MaintainerRecoverOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "recover NAME --maintainer [LABEL=]PUB... [--threshold N] --key ADMIN-KEY",
		Short: "Replace every maintainer key of a project whose maintainers lost theirs",
		Long: `The one change in which the admins act on a project without its maintainers:
every maintainer key is replaced by the keys given. Use it when the
maintainers lost their keys (or every one of them is compromised), after
checking who the new keys belong to out of band.

Signers see it loudly: "KEY CHANGE: NAME: maintainers … replaced by … — NONE of
the current maintainers stays: the admins alone decide this (recovery of
lost keys)". The admins sign the index role; the new maintainers re-sign the
project role (its releases unchanged), so they must hold the new keys.`,
		Example: "  tufgit maintainer recover hello --maintainer alice=alice-new.pub --key admin1.key\n  tufgit sign hello-3f9a2c1b --key alice-new.key",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Project = args[0]
			if len(o.Maintainers) == 0 {
				return usageError("give the new maintainers with --maintainer [LABEL=]PUB")
			}
			var ms []repo.NewMaintainer
			for _, spec := range o.Maintainers {
				m, err := maintainerSpec(cmd.Context(), o.IO, spec)
				if err != nil {
					return err
				}
				ms = append(ms, m)
			}
			return runMaintainerChange(cmd, &o.RepoOptions, repo.MaintainerChange{Project: o.Project, Recover: ms, Threshold: o.Threshold})
		},
	}
	o.addFlags(cmd, true)
	cmd.Flags().StringArrayVar(&o.Maintainers, "maintainer", nil, "a new maintainer's public key, [LABEL=]PUB (repeatable)")
	cmd.Flags().IntVar(&o.Threshold, "threshold", 0, "how many of the new keys must sign (default: as before, at most their number)")
	return cmd
}

// MaintainerLabelOptions are the options of `tufgit maintainer label`.
type MaintainerLabelOptions struct {
	RepoOptions
	Project, Who, Label string
}

func newMaintainerLabelCmd(io *IOStreams) *cobra.Command {
	o := &MaintainerLabelOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "label NAME KEYID|PUBKEY LABEL --key ADMIN-KEY",
		Short: "Sign a maintainer key's label into the index role",
		Long: `Sign LABEL as the owner of one maintainer key of project NAME: the label goes
into the key object of the index role that delegates the project (the field
x-tuf-on-ci-keyowner), which the admins sign. Only the index role changes;
the maintainers need not sign.

Until a label is signed, tufgit shows it after the keyid and marked
unsigned (33e1c0ffee12 (label "alice", unsigned)) and never resolves a
command-line name through it. Repositories made before labels were signed
keep their labels in the project config only: sign each with this command,
after checking the keyid with its holder (tufgit key show).`,
		Example: "  tufgit maintainer label hello 33e1c0ffee12 alice --key admin1.key",
		Args:    cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Project, o.Who, o.Label = args[0], args[1], args[2]
			return runMaintainerChange(cmd, &o.RepoOptions, repo.MaintainerChange{Project: o.Project, Remove: o.Who, Label: o.Label})
		},
	}
	o.addFlags(cmd, true)
	return cmd
}
