package cli

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// hooks/ in the source tree holds the scripts `tufgit hook install` writes,
// for tufgit installed at SourceTreeBinary; they must not drift apart.
func TestHookScriptsInSourceTree(t *testing.T) {
	for name, script := range map[string]string{"pre-receive": preReceiveScript, "post-receive": postReceiveScript} {
		data, err := os.ReadFile("../../../hooks/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(script, shQuote(SourceTreeBinary)); string(data) != want {
			t.Errorf("hooks/%s differs from what tufgit hook install writes:\n%s\nwant:\n%s", name, data, want)
		}
	}
}

// The installed hooks run a fixed, quoted path and read nothing from the
// environment (a local push runs them with the pusher's environment).
func TestHookScriptsTakeNothingFromTheEnvironment(t *testing.T) {
	for name, script := range map[string]string{"pre-receive": preReceiveScript, "post-receive": postReceiveScript} {
		got := fmt.Sprintf(script, shQuote("/opt/it's here/tufgit"))
		if strings.Contains(got, "$") {
			t.Errorf("%s expands a variable:\n%s", name, got)
		}
		if !strings.Contains(got, `exec '/opt/it'\''s here/tufgit' hook `+name) {
			t.Errorf("%s does not exec the quoted absolute path:\n%s", name, got)
		}
	}
}
