package publish_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tufgit/tufgit/pkg/publish"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

// Publish tells its Progress callback how much of each target file it has
// uploaded, in pieces for a large file, ending at the file's length; it
// reports nothing for metadata.
func TestPublishProgress(t *testing.T) {
	dir := t.TempDir()
	f, err := repotest.Generate(filepath.Join(dir, "repo.git"), repotest.Spec{Names: []string{"hello"}, ArtifactSize: 3<<20 + 5, Now: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	// A bucket (here file://) reports as it uploads.
	if err := os.MkdirAll(filepath.Join(dir, "mirror"), 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := publish.OpenMirror(context.Background(), "file://"+filepath.Join(dir, "mirror"))
	if err != nil {
		t.Fatal(err)
	}
	k, _ := publish.WrapOnlineKeyForTest(repotest.Key("online"))
	last := map[string]int64{}
	calls := 0
	_, err = publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: k, Mirror: m, Now: f.Now,
		Progress: func(name string, done, total int64) {
			calls++
			if !strings.HasPrefix(name, "targets/hello/") || total != 3<<20+5 || done < last[name] || done > total {
				t.Errorf("progress %s %d/%d", name, done, total)
			}
			last[name] = done
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(last) != 2 { // the sha256 and the sha512 name
		t.Fatalf("progress for %d files: %v", len(last), last)
	}
	for name, done := range last {
		if done != 3<<20+5 {
			t.Errorf("%s ended at %d", name, done)
		}
	}
	if calls < 8 {
		t.Errorf("%d calls for two 3 MiB uploads: not in pieces", calls)
	}
}
