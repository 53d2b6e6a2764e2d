package atomicfile

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The directory sync after the rename reports a directory it cannot sync,
// naming it, rather than claiming durability it did not get.
func TestSyncDir(t *testing.T) {
	dir := t.TempDir()
	if err := syncDir(dir); err != nil {
		t.Fatalf("syncDir(%s): %v", dir, err)
	}
	missing := filepath.Join(dir, "gone")
	if runtime.GOOS != "windows" {
		if err := syncDir(missing); err == nil || !strings.Contains(err.Error(), missing) {
			t.Fatalf("syncDir of a missing directory: %v", err)
		}
	}
}
