package publish_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/publish"
	"github.com/tufgit/tufgit/pkg/repo/repotest"
)

// A publish after a one-release push renders the UI from what it has:
// it reads and checks again only the roles that changed (and the index
// roles, which delegate), and the project page shows the new release.
// Without the manifest (a wiped ui/), everything is done again.
func TestPublishUIIncremental(t *testing.T) {
	dir := t.TempDir()
	names := []string{"alpha", "beta", "gamma", "delta", "hello", "world"}
	f, err := repotest.Generate(filepath.Join(dir, "repo.git"), repotest.Spec{Names: names, Now: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	mirror := filepath.Join(dir, "mirror")
	m, err := publish.OpenMirror(context.Background(), mirror)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := publish.WrapOnlineKeyForTest(repotest.Key("online"))
	pub := func() *publish.Result {
		t.Helper()
		res, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: k, Mirror: m, Now: f.Now, UI: true, UISite: f.UISite})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	release := func(p, v string) {
		t.Helper()
		data := repotest.Artifact(p, v, 100)
		tp := layout.TargetPath(p, v, p+".tar.gz")
		tf, _ := metadata.TargetFile().FromBytes(tp, data, "sha256", "sha512")
		role, err := f.Resign(p, func(m *metadata.Metadata[metadata.TargetsType]) { m.Signed.Targets[tp] = tf }, f.ProjectKeys[p]...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Commit("release", role, gitstore.FileChange{Path: layout.ArtifactPath(fmt.Sprintf("%x", []byte(tf.Hashes["sha256"]))), Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	first := pub()
	if first.UIParsed < len(names) || first.UIChecked < len(names) {
		t.Fatalf("first publish: parsed %d, checked %d", first.UIParsed, first.UIChecked)
	}
	release("hello", "7.0.0")
	second := pub()
	indexRoles := len(f.IndexRoles) + 1 // and targets
	t.Logf("parsed %d then %d, checked %d then %d", first.UIParsed, second.UIParsed, first.UIChecked, second.UIChecked)
	if second.UIParsed > indexRoles+1 || second.UIChecked > 5 {
		t.Errorf("one-release publish: parsed %d roles (index roles %d), checked %d", second.UIParsed, indexRoles, second.UIChecked)
	}
	page, err := os.ReadFile(filepath.Join(mirror, "ui", "project-hello.html"))
	if err != nil || !strings.Contains(string(page), "Latest release <strong>7.0.0</strong>") {
		t.Errorf("the project page does not show the new release (%v)", err)
	}
	if world, _ := os.ReadFile(filepath.Join(mirror, "ui", "project-world.html")); !strings.Contains(string(world), "<h1>world</h1>") {
		t.Error("an unchanged project's page is gone")
	}
	// Without the manifest: everything again.
	if err := os.Remove(filepath.Join(mirror, "ui", "manifest.json")); err != nil {
		t.Fatal(err)
	}
	release("world", "7.0.0")
	third := pub()
	if third.UIParsed < len(names) || third.UIChecked < len(names) {
		t.Errorf("publish without a manifest: parsed %d, checked %d", third.UIParsed, third.UIChecked)
	}
}
