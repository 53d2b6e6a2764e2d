package cli

import (
	"fmt"
	"os"
	"testing"
)

// hooks/ in the source tree holds the scripts `tufgit hook install` writes,
// with tufgit taken from PATH; they must not drift apart.
func TestHookScriptsInSourceTree(t *testing.T) {
	for name, script := range map[string]string{"pre-receive": preReceiveScript, "post-receive": postReceiveScript} {
		data, err := os.ReadFile("../../../hooks/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(script, "tufgit"); string(data) != want {
			t.Errorf("hooks/%s differs from what tufgit hook install writes:\n%s\nwant:\n%s", name, data, want)
		}
	}
}
