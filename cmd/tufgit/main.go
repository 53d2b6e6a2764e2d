// Command tufgit manages a TUF repository kept in git. See README.md.
package main

import (
	"os"

	"github.com/tufgit/tufgit/cmd/tufgit/cli"
)

func main() { os.Exit(cli.Main()) }
