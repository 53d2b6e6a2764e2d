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
		// The branch itself moves back: an old commit while a branch
		// holds the published one is only stale, and stands down.
		if out, err := exec.Command("git", "--git-dir="+f.Repo.GitDir(), "update-ref", "HEAD", rev.String()).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
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

// A record naming a commit this repository does not have (a shallow clone,
// a truncated history) is no proof of descent: refused, saying so.
func TestPublishRefusesWhenPublishedCommitIsMissing(t *testing.T) {
	f := shardedFixture(t, 4)
	m, _ := dirMirror(t)
	doPublish(t, f, m, f.Now, false)
	rec, err := f.Repo.ResolveRef(publish.StateRef)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := f.Repo.TreeAt(rec)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tree.ReadFile("state.json", 1<<22)
	if err != nil {
		t.Fatal(err)
	}
	gone := strings.Repeat("ab", 20)
	raw = []byte(strings.ReplaceAll(string(raw), f.Head.String(), gone))
	nt, err := f.Repo.BuildTree(tree, []gitstore.FileChange{{Path: "state.json", Data: raw}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.Repo.CommitTree(gitstore.CommitOptions{Parent: rec, Tree: nt, Detached: true, When: f.Now, Message: "forged\n",
		Author: gitstore.Signature{Name: "x", Email: "x@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Repo.SetRef(publish.StateRef, c, rec); err != nil {
		t.Fatal(err)
	}
	_, err = publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: onlineKey(t), Mirror: m, Now: f.Now})
	if !errors.Is(err, publish.ErrRewritten) || !strings.Contains(err.Error(), gone[:12]+", the commit last published (refs/tufgit/published), is not in this repository") {
		t.Fatalf("record names a missing commit: %v", err)
	}
}
