package cli

import (
	"github.com/spf13/cobra"

	"github.com/tufgit/tufgit/pkg/keys"
	"github.com/tufgit/tufgit/pkg/repo"
)

func newReleaseCmd(io *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "release",
		Short: "Add, yank and unyank releases",
		Long: `A release is a version of a project: one or more files at
PROJECT/VERSION/FILENAME, hashed with sha256 and sha512 and signed by the
project's maintainers. A published release never changes; yanking marks it so
downloaders skip it when picking the latest version.`,
	}
	cmd.AddCommand(newReleaseAddCmd(io), newReleaseYankCmd(io, false), newReleaseYankCmd(io, true))
	return cmd
}

// ReleaseAddOptions are the options of `tufgit release add`.
type ReleaseAddOptions struct {
	RepoOptions
	Project string
	Version string
	Files   []string
	Note    string
}

func newReleaseAddCmd(io *IOStreams) *cobra.Command {
	o := &ReleaseAddOptions{RepoOptions: RepoOptions{IO: io}}
	cmd := &cobra.Command{
		Use:   "add NAME VERSION FILE... --key KEY",
		Short: "Publish a release's files, signed by you",
		Long: `Add a release: hash each FILE with sha256 and sha512, store it in the
artifact store, and list it in the project's role as NAME/VERSION/FILENAME
(FILENAME is the file's base name).

When your key meets the project's threshold, the release is published at once;
otherwise it waits as a request for the other maintainers ('tufgit sign').

A published file never changes: the same version and filename with other bytes
is refused. You may add a new file to an existing release that is not yanked;
its co-signers see "adds to existing release".

VERSION follows SemVer 2.0 or PEP 440 (see docs/projects.md for their order).
A version that reads as an existing release of the project (v1.0, V1.0 or
01.0 where 1.0 exists) is refused, naming it; "latest" is reserved.`,
		Example: `  tufgit release add hello 1.2.0 dist/hello-1.2.0.tar.gz dist/hello-1.2.0-py3-none-any.whl --key alice.key`,
		Args:    cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Project, o.Version, o.Files = args[0], args[1], args[2:]
			return o.Run(cmd)
		},
	}
	o.addFlags(cmd, true)
	cmd.Flags().StringVar(&o.Note, "note", "", "a note for your co-signers, shown as yours")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON: commit, applied, request_id, summary, changes, roles (signed_by, missing, met)")
	return cmd
}

// Run adds the release.
func (o *ReleaseAddOptions) Run(cmd *cobra.Command) error {
	check := func(s *repo.Session) error {
		return s.CheckRelease(repo.ReleaseAddOptions{Project: o.Project, Version: o.Version, Files: o.Files})
	}
	return o.checkedChange(cmd, check, func(s *repo.Session, key *keys.Key, so repo.SubmitOptions) (*repo.Result, error) {
		return s.AddRelease(repo.ReleaseAddOptions{Project: o.Project, Version: o.Version, Files: o.Files, Key: key, Note: o.Note, SubmitOptions: so,
			Progress: newProgress(o.IO, o.JSON).callback()})
	})
}

// ReleaseYankOptions are the options of `tufgit release yank` and `unyank`.
type ReleaseYankOptions struct {
	RepoOptions
	Project string
	Version string
	Reason  string
	Unyank  bool
}

func newReleaseYankCmd(io *IOStreams, unyank bool) *cobra.Command {
	o := &ReleaseYankOptions{RepoOptions: RepoOptions{IO: io}, Unyank: unyank}
	cmd := &cobra.Command{
		Use:   "yank NAME VERSION --reason TEXT --key KEY",
		Short: "Mark a release as yanked",
		Long: `Yank a release (PEP 592): mark each of its files as yanked, with a reason,
in the targets' signed custom metadata. The files stay: downloaders skip a
yanked release when picking the latest version, and can still fetch it by its
exact version, with a warning. Signed by the project's maintainers like a
release.`,
		Example: `  tufgit release yank hello 1.0.0 --reason "CVE-2026-1234: use 1.0.1" --key alice.key`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Project, o.Version = args[0], args[1]
			return o.Run(cmd)
		},
	}
	if unyank {
		cmd.Use = "unyank NAME VERSION --key KEY"
		cmd.Short = "Undo a yank"
		cmd.Long = `Unyank a release: remove the yanked mark from each of its files, so that it
counts again when downloaders pick the latest version.`
		cmd.Example = "  tufgit release unyank hello 1.0.0 --key alice.key"
	} else {
		cmd.Flags().StringVar(&o.Reason, "reason", "", "why it is yanked, shown to downloaders (required)")
		_ = cmd.MarkFlagRequired("reason")
	}
	o.addFlags(cmd, true)
	return cmd
}

// Run yanks or unyanks.
func (o *ReleaseYankOptions) Run(cmd *cobra.Command) error {
	check := func(s *repo.Session) error {
		return s.CheckYank(repo.YankOptions{Project: o.Project, Version: o.Version, Reason: o.Reason, Unyank: o.Unyank})
	}
	return o.checkedChange(cmd, check, func(s *repo.Session, key *keys.Key, so repo.SubmitOptions) (*repo.Result, error) {
		return s.Yank(repo.YankOptions{Project: o.Project, Version: o.Version, Reason: o.Reason, Unyank: o.Unyank, Key: key, SubmitOptions: so})
	})
}
