package publish_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/layout"
	"github.com/tufgit/tufgit/pkg/publish"
)

// In a sharded repository, a head rolled back behind the last publish is
// refused; with the publisher's record deleted too, the snapshot the
// mirror serves for the release's shard still refuses the lower version.
// The published head then publishes again (a full publish, as the record
// is gone), and a later release incrementally.
func TestPublishRefusesRollbackInShard(t *testing.T) {
	f := shardedFixture(t, 8)
	m, _ := dirMirror(t)
	doPublish(t, f, m, f.Now, false)
	old := f.Head
	p := f.Spec.Names[0]
	if _, err := f.Release(p, "2.0.0", p+"-2.0.0.tar.gz", []byte("two")); err != nil {
		t.Fatal(err)
	}
	published := f.Head
	doPublish(t, f, m, f.Now, false)

	try := func(rev gitstore.Hash) error {
		f.Head = rev
		_, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: onlineKey(t), Mirror: m, Now: f.Now})
		return err
	}
	err := try(old)
	if !errors.Is(err, publish.ErrRewritten) || !strings.Contains(err.Error(), "does not descend from "+published.String()[:12]) {
		t.Fatalf("rolled back: %v", err)
	}
	if out, err := exec.Command("git", "--git-dir="+f.Repo.GitDir(), "update-ref", "-d", publish.StateRef).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	shard := layout.ShardName(layout.ShardOf(p, testShardBits), testShardBits)
	err = try(old)
	if !errors.Is(err, publish.ErrRewritten) || !strings.Contains(err.Error(), "shard "+shard+"'s snapshot would lower "+p+" v") {
		t.Fatalf("rolled back, record deleted: %v", err)
	}
	if err := try(published); err != nil {
		t.Fatalf("the published head again: %v", err)
	}
	if _, err := f.Release(p, "3.0.0", p+"-3.0.0.tar.gz", []byte("three")); err != nil {
		t.Fatal(err)
	}
	if res := doPublish(t, f, m, f.Now, false); res.Full || res.Shards != 1 {
		t.Fatalf("a later release: %+v", res)
	}
}
