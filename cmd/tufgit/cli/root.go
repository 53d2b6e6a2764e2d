// Package cli is tufgit's command-line interface: cobra commands, each with
// its own options struct and Run, over the library in pkg/. It is the only
// place that prints, parses flags or picks exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	_ "github.com/tufgit/tufgit/pkg/keys/kmsproviders" // awskms://, gcpkms://, azurekms://, hashivault://
)

// Main runs tufgit with the process's arguments and streams and returns
// the exit code. Ctrl-C (SIGINT) or SIGTERM cancels the command's context:
// uploads, artifact reads and KMS calls stop, and the command fails
// saying it was interrupted. A second signal kills the process.
func Main() int {
	ctx, stop := SignalContext()
	defer stop()
	return Run(ctx, os.Args[1:], SystemIO())
}

// SignalContext is a context cancelled by the first SIGINT or SIGTERM;
// stop restores the default handling.
func SignalContext() (ctx context.Context, stop context.CancelFunc) {
	ctx, stop = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // the next signal kills, as usual
	}()
	return ctx, stop
}

// Run runs tufgit with args and returns the exit code.
func Run(ctx context.Context, args []string, io *IOStreams) int {
	cmd := NewRootCmd(io)
	cmd.SetArgs(args)
	cmd.SetIn(io.In)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	// An unknown command is a usage error, found before cobra runs.
	found, rest, err := cmd.Find(args)
	if err != nil {
		return report(io.ErrOut, &exitError{code: ExitUsage, err: err, hint: suggest(found, args)})
	}
	// A group (tufgit, tufgit release, ...) given a word it does not know,
	// before its flags are parsed: "tufgit relase add x --key k" is an
	// unknown command, not an unknown flag.
	if found.HasSubCommands() && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") && !cobraBuiltin[rest[0]] {
		return report(io.ErrOut, &exitError{code: ExitUsage, err: fmt.Errorf("unknown command %q for %q", rest[0], found.CommandPath()), hint: suggest(found, rest)})
	}
	if err := cmd.ExecuteContext(ctx); err != nil {
		if ctx.Err() != nil && !errors.As(err, new(*exitError)) {
			err = withHint(fmt.Errorf("interrupted: %w", err), "the command was stopped before it finished; run it again")
		}
		return report(io.ErrOut, io.explain(err))
	}
	return ExitOK
}

// cobraBuiltin are the commands cobra adds itself, when it runs.
var cobraBuiltin = map[string]bool{"help": true, "completion": true, "__complete": true, "__completeNoDesc": true}

// suggest is the hint for an unknown command: the commands its name is
// close to ("did you mean release?"), else --help.
func suggest(c *cobra.Command, args []string) string {
	if c == nil {
		return "run `tufgit --help`"
	}
	// The first argument that is not a subcommand of the ones found.
	typed := ""
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		if sub, _, err := c.Find([]string{a}); err == nil && sub != c {
			continue
		}
		typed = a
		break
	}
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2
	}
	if s := c.SuggestionsFor(typed); typed != "" && len(s) > 0 {
		for i := range s {
			s[i] = "`" + c.CommandPath() + " " + s[i] + "`"
		}
		return "did you mean " + strings.Join(s, " or ") + "? (`" + c.CommandPath() + " --help` lists the commands)"
	}
	return "run `" + c.CommandPath() + " --help`"
}

// typedUsage makes every way cobra can refuse a command line an exit-2
// usage error with a --help hint, by type rather than by the words of the
// message: flag errors through SetFlagErrorFunc, argument and required-flag
// errors by wrapping each command's Args, and an unknown subcommand of a
// command group (which cobra answers with help and exit 0) by giving each
// group a RunE that refuses arguments.
func typedUsage(c *cobra.Command) {
	usage := func(c *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: err, hint: "run `" + c.CommandPath() + " --help`"}
	}
	c.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usage(c, err) })
	if c.HasSubCommands() && !c.Runnable() {
		c.Args = func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &exitError{code: ExitUsage, err: fmt.Errorf("unknown command %q for %q", args[0], c.CommandPath()), hint: suggest(c, args)}
			}
			return nil
		}
		c.RunE = func(c *cobra.Command, args []string) error { return c.Help() }
	}
	orig := c.Args
	c.Args = func(c *cobra.Command, args []string) error {
		if orig != nil {
			if err := orig(c, args); err != nil {
				if ee := (*exitError)(nil); errors.As(err, &ee) {
					return err
				}
				return usage(c, err)
			}
		}
		if err := c.ValidateRequiredFlags(); err != nil {
			return usage(c, err)
		}
		if err := c.ValidateFlagGroups(); err != nil {
			return usage(c, err)
		}
		return nil
	}
	for _, sub := range c.Commands() {
		typedUsage(sub)
	}
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

` + exitCodesHelp(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       ReadBuildInfo().Short(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(newKeyCmd(io), newInitCmd(io), newVerifyCmd(io), newProjectCmd(io), newReleaseCmd(io),
		newMaintainerCmd(io), newRequestCmd(io), newSignCmd(io), newHookCmd(io), newPublishCmd(io),
		newClientCmd(io), newProjectsCmd(io), newReleasesCmd(io), newDownloadCmd(io), newShardCmd(io), newServeCmd(io), newUICmd(io),
		newRenewCmd(io), newReshardCmd(io), newStatusCmd(io), newRootKeysCmd(io), newAuditCmd(io), newVersionCmd(io))
	typedUsage(root)
	return root
}
