package publish_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestMirrorDriversRegisteredHere: pkg/publish, built alone, links every
// bucket driver OpenMirror offers. This test's own binary cannot show it
// (its fixtures import pkg/artifacts, which registers them too), so it asks
// the go tool for the package's own dependencies.
func TestMirrorDriversRegisteredHere(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/tufgit/tufgit/pkg/publish").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string]bool{}
	for _, d := range strings.Fields(string(out)) {
		deps[d] = true
	}
	for scheme, driver := range map[string]string{
		"s3://":     "gocloud.dev/blob/s3blob",
		"gs://":     "gocloud.dev/blob/gcsblob",
		"azblob://": "gocloud.dev/blob/azureblob",
		"file://":   "gocloud.dev/blob/fileblob",
	} {
		if !deps[driver] {
			t.Errorf("pkg/publish does not link %s: a program importing it alone gets `no driver registered` for %s", driver, scheme)
		}
	}
}
