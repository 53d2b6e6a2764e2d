package client_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The import graph mirrors the trust model (see README.md). This test
// fails when a package reaches for what it must not have.
func TestImportBoundaries(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not available")
	}
	deps := func(pkg string) []string {
		out, err := exec.Command("go", "list", "-deps", "github.com/tufgit/tufgit/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		return strings.Fields(string(out))
	}
	forbidden := map[string][]string{
		// The downloader needs neither git nor keys.
		"pkg/client": {"github.com/go-git/", "github.com/tufgit/tufgit/pkg/keys", "github.com/sigstore/sigstore/pkg/signature/kms", "github.com/tufgit/tufgit/pkg/gitstore"},
		// Verification needs no private key, and neither does the hook.
		"pkg/verify": {"github.com/tufgit/tufgit/pkg/keys", "github.com/sigstore/sigstore/pkg/signature/kms", "gocloud.dev"},
		"pkg/hook":   {"github.com/tufgit/tufgit/pkg/keys", "github.com/sigstore/sigstore/pkg/signature/kms", "github.com/tufgit/tufgit/pkg/publish"},
		// The audit re-runs verification: no key, no CLI.
		"pkg/audit": {"github.com/tufgit/tufgit/pkg/keys", "github.com/sigstore/sigstore/pkg/signature/kms", "github.com/tufgit/tufgit/pkg/publish", "github.com/spf13/cobra"},
		// The library knows no CLI.
		"pkg/repo":    {"github.com/spf13/cobra"},
		"pkg/publish": {"github.com/spf13/cobra", "github.com/tufgit/tufgit/pkg/repo"},
		// Only gitstore touches go-git.
		"pkg/layout": {"github.com/go-git/"},
		"pkg/trust":  {"github.com/go-git/", "github.com/tufgit/tufgit/pkg/keys"},
	}
	for pkg, bad := range forbidden {
		for _, d := range deps(pkg) {
			for _, b := range bad {
				if strings.HasPrefix(d, b) {
					t.Errorf("%s imports %s (forbidden prefix %s)", pkg, d, b)
				}
			}
		}
	}
	// go-git is imported directly only by gitstore.
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/tufgit/tufgit/...").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		for _, imp := range f[1:] {
			// Everything that touches git, its hash type included, stays
			// in gitstore (which has its own Hash).
			if strings.HasPrefix(imp, "github.com/go-git/") && !strings.HasSuffix(f[0], "/pkg/gitstore") {
				t.Errorf("%s imports %s: only pkg/gitstore may", f[0], imp)
			}
		}
	}
}
