// Command tufgit-docs writes tufgit's CLI reference (one Markdown page per
// command) into a directory. `make docs` runs it; `make test` fails when
// docs/cli is stale.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/tufgit/tufgit/cmd/tufgit/cli"
)

func main() {
	if len(os.Args) != 2 && len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: tufgit-docs DIR [EXIT-CODES.md]")
		os.Exit(2)
	}
	if len(os.Args) == 3 {
		if err := os.WriteFile(os.Args[2], []byte(cli.ExitCodesMarkdown()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	dir := os.Args[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	root := cli.NewRootCmd(nil)
	disableAutoGenTag(root)
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// disableAutoGenTag drops the generation date, so that regenerating docs
// with nothing changed gives identical files.
func disableAutoGenTag(c *cobra.Command) {
	c.DisableAutoGenTag = true
	for _, sub := range c.Commands() {
		disableAutoGenTag(sub)
	}
}
