// Package cli is tufgit's command-line interface: cobra commands, each with
// its own options struct and Run, over the library in pkg/. It is the only
// place that prints, parses flags or picks exit codes.
package cli

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/spf13/cobra"

	_ "github.com/tufgit/tufgit/pkg/keys/kmsproviders" // awskms://, gcpkms://, azurekms://, hashivault://
)

// Main runs tufgit with the process's arguments and streams and returns
// the exit code.
func Main() int {
	return Run(context.Background(), os.Args[1:], SystemIO())
}

// Run runs tufgit with args and returns the exit code.
func Run(ctx context.Context, args []string, io *IOStreams) int {
	cmd := NewRootCmd(io)
	cmd.SetArgs(args)
	cmd.SetIn(io.In)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	if err := cmd.ExecuteContext(ctx); err != nil {
		var ee *exitError
		if !errors.As(err, &ee) && isUsage(err) {
			err = &exitError{code: ExitUsage, err: err, hint: "run `tufgit " + strings.Join(commandPath(cmd, args), " ") + " --help`"}
		}
		return report(io.ErrOut, err)
	}
	return ExitOK
}

// NewRootCmd builds the command tree.
func NewRootCmd(io *IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "tufgit",
		Short: "A TUF repository kept in git, with developer signing",
		Long: `tufgit keeps a TUF (The Update Framework) repository in a git repository.
All metadata, configuration and pending signature requests are plain files in
git. Each project is a delegated role signed by its own maintainers, so that
someone who takes over the git server, its CI and the online key still cannot
make a client accept a file the project's maintainers did not sign.

Exit codes: 0 success, 1 error, 2 usage, 3 verification found problems,
4 only expired metadata, 13 status: roles expire soon (see docs/exit-codes.md).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       ReadBuildInfo().Short(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(newKeyCmd(io), newInitCmd(io), newVerifyCmd(io), newProjectCmd(io), newReleaseCmd(io),
		newMaintainerCmd(io), newRequestCmd(io), newSignCmd(io), newHookCmd(io), newPublishCmd(io),
		newClientCmd(io), newProjectsCmd(io), newReleasesCmd(io), newDownloadCmd(io), newServeCmd(io), newUICmd(io),
		newRenewCmd(io), newStatusCmd(io), newRootKeysCmd(io), newAuditCmd(io), newVersionCmd(io))
	return root
}

// isUsage reports whether cobra rejected the flags or arguments.
func isUsage(err error) bool {
	m := err.Error()
	for _, s := range []string{"unknown flag", "unknown shorthand", "unknown command", "flag needs an argument",
		"invalid argument", "accepts ", "requires at least", "required flag", "arg(s)"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

func commandPath(root *cobra.Command, args []string) []string {
	c, _, err := root.Find(args)
	if err != nil || c == nil || c == root {
		return nil
	}
	return strings.Fields(strings.TrimPrefix(c.CommandPath(), "tufgit"))
}
