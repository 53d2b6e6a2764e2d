package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestFlagUsageHasNoBackticks: cobra reads a `word` in a flag's usage as
// the flag's value type, so "as `hook install` writes it" printed
// "--online-key hook install" in --help. No flag of any command may
// quote with backticks.
func TestFlagUsageHasNoBackticks(t *testing.T) {
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			n++
			if strings.Contains(f.Usage, "`") {
				t.Errorf("%s --%s: usage %q has a backtick; cobra would print the quoted words as the flag's type", c.CommandPath(), f.Name, f.Usage)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRootCmd(SystemIO()))
	if n < 50 {
		t.Fatalf("only %d flags seen: the walk is broken", n)
	}
}
