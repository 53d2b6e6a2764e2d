package publish_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/publish"
)

// rivalShared is the server's own record, where a rival publisher (a
// standby clone, in this process) claims and publishes just before this
// publisher's first claim.
type rivalShared struct {
	publish.Shared
	rival func()
	calls int
}

func (r *rivalShared) Claim(ctx context.Context, old, new gitstore.Hash) error {
	r.calls++
	if r.calls == 1 && r.rival != nil {
		r.rival()
	}
	return r.Shared.Claim(ctx, old, new)
}

func standby(t *testing.T, dir string) *gitstore.Repo {
	t.Helper()
	clone := filepath.Join(t.TempDir(), "standby.git")
	if out, err := exec.Command("git", "clone", "-q", "--bare", dir, clone).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	g, err := gitstore.Open(clone)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Of two publishers that read the same record, one claims the next
// versions; the other, losing the compare-and-swap, has written no
// snapshot or timestamp, reads the record again, and stands down. Without
// the rival (the control), the same publish claims at once.
func TestClaimLostRereadsAndStandsDown(t *testing.T) {
	for _, withRival := range []bool{false, true} {
		f := fixture(t, "hello")
		m, dir := dirMirror(t)
		doPublish(t, f, m, f.Now, false)
		if _, err := f.Release("hello", "2.0.0", "hello-2.0.0.tar.gz", []byte("two")); err != nil {
			t.Fatal(err)
		}
		sh := &rivalShared{Shared: publish.LocalShared(f.Repo)}
		if withRival {
			g := standby(t, f.Dir)
			sh.rival = func() {
				res, err := publish.Publish(context.Background(), publish.Options{Repo: g, Rev: f.Head, Key: onlineKey(t), Mirror: m, Now: f.Now.Add(time.Second),
					Shared: publish.RemoteShared(g, f.Dir)})
				if err != nil || res.Snapshot != 2 || res.UpToDate {
					t.Fatalf("rival: %+v %v", res, err)
				}
			}
		}
		res, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: onlineKey(t), Mirror: m, Now: f.Now, Shared: sh})
		if err != nil {
			t.Fatal(err)
		}
		if !withRival {
			if res.Tries != 1 || res.UpToDate || res.Snapshot != 2 {
				t.Fatalf("alone: %+v", res)
			}
			continue
		}
		if res.Tries != 2 || !res.UpToDate || res.Snapshot != 2 || res.Timestamp != 2 || len(res.Written) != 0 {
			t.Fatalf("after losing the claim: %+v", res)
		}
		// The rival's snapshot v2 stands: signed a second later than the
		// loser's would have been.
		raw, err := os.ReadFile(filepath.Join(dir, "metadata", "2.snapshot.json"))
		if err != nil || !strings.Contains(string(raw), f.Now.Add(time.Second+7*24*time.Hour).Format("2006-01-02T15:04:05Z")) {
			t.Fatalf("2.snapshot.json is not the rival's: %v %s", err, raw)
		}
		if _, err := os.Stat(filepath.Join(dir, "metadata", "3.snapshot.json")); !os.IsNotExist(err) {
			t.Fatalf("3.snapshot.json: %v", err)
		}
	}
}

// The reported bug: the mirror serves a newer snapshot and timestamp than
// the publisher's record (another publisher's). The publisher must not say
// "up to date" from its record: it publishes above the mirror.
func TestMirrorAheadOfRecordIsNotUpToDate(t *testing.T) {
	f := fixture(t, "hello")
	m, _ := dirMirror(t)
	doPublish(t, f, m, f.Now, false)
	rec, err := f.Repo.ResolveRef(publish.StateRef)
	if err != nil {
		t.Fatal(err)
	}
	// Control: with the record and the mirror agreeing, up to date.
	if res := doPublish(t, f, m, f.Now, false); !res.UpToDate {
		t.Fatalf("control: %+v", res)
	}
	// Another publisher moves the mirror to v2/v3; this one's record
	// still says v1/v1.
	if res := doPublish(t, f, m, f.Now.Add(4*24*time.Hour), true); res.Snapshot != 2 || res.Timestamp != 2 {
		t.Fatalf("refresh: %+v", res)
	}
	if out, err := exec.Command("git", "--git-dir="+f.Dir, "update-ref", publish.StateRef, rec.String()).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	res := doPublish(t, f, m, f.Now.Add(4*24*time.Hour), false)
	if res.UpToDate || res.Snapshot != 3 || res.Timestamp != 3 || !res.Full {
		t.Fatalf("mirror ahead of the record: %+v; want a full publish above the mirror (v3)", res)
	}
}

// A head older than the commit another publisher already published, while
// a branch holds that one, stands down: nothing written, no error.
func TestStaleHeadStandsDown(t *testing.T) {
	f := fixture(t, "hello")
	m, _ := dirMirror(t)
	doPublish(t, f, m, f.Now, false)
	old := f.Head
	if _, err := f.Release("hello", "2.0.0", "hello-2.0.0.tar.gz", []byte("two")); err != nil {
		t.Fatal(err)
	}
	doPublish(t, f, m, f.Now, false)
	res, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: old, Key: onlineKey(t), Mirror: m, Now: f.Now})
	if err != nil || !res.UpToDate || res.SupersededBy != f.Head.String() || len(res.Written) != 0 || res.Snapshot != 2 {
		t.Fatalf("stale head: %+v %v", res, err)
	}
}

// failRelease is a record whose claims after the first fail, as if the
// publisher died before it could give its claim back.
type failRelease struct {
	publish.Shared
	calls int
}

func (s *failRelease) Claim(ctx context.Context, old, new gitstore.Hash) error {
	if s.calls++; s.calls > 1 {
		return errors.New("killed")
	}
	return s.Shared.Claim(ctx, old, new)
}

// A publisher that claimed v2 and died before writing it holds others off
// for ClaimLease at most; then the next publishes above it (v3), never
// reusing v2. One that fails a write gives its claim back: the next
// publisher takes v2 at once (the control).
func TestDeadClaimBlocksNoOne(t *testing.T) {
	for _, died := range []bool{false, true} {
		f := fixture(t, "hello")
		m, dir := dirMirror(t)
		doPublish(t, f, m, f.Now, false)
		if _, err := f.Release("hello", "2.0.0", "hello-2.0.0.tar.gz", []byte("two")); err != nil {
			t.Fatal(err)
		}
		var sh publish.Shared = publish.LocalShared(f.Repo)
		if died {
			sh = &failRelease{Shared: sh}
		}
		// Four writes: two target files, the role, then the snapshot fails.
		_, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: onlineKey(t), Mirror: &failingMirror{Mirror: m, n: 3}, Now: f.Now, Shared: sh})
		if err == nil || !strings.Contains(err.Error(), "2.snapshot.json") {
			t.Fatalf("want a failed snapshot write, got %v", err)
		}
		rec, _ := publish.ReadRecord(f.Repo)
		if died != (rec.SnapshotVersion == 2) {
			t.Fatalf("died=%v: the record says snapshot v%d", died, rec.SnapshotVersion)
		}
		start := time.Now()
		res := doPublish(t, f, m, f.Now.Add(publish.ClaimLease+time.Second), false)
		if time.Since(start) > publish.ClaimLease/2 {
			t.Fatalf("waited %s for a claim older than the lease", time.Since(start))
		}
		want := int64(2)
		if died {
			want = 3
		}
		if res.Snapshot != want || res.Timestamp != want {
			t.Fatalf("died=%v: next publish %+v, want v%d", died, res, want)
		}
		if _, err := os.Stat(filepath.Join(dir, "metadata", "2.snapshot.json")); died != os.IsNotExist(err) {
			t.Fatalf("died=%v: 2.snapshot.json: %v", died, err)
		}
	}
}

// A fresh claim the mirror does not serve yet (the other publisher is
// still writing) holds this publisher off until it resolves: here the
// other gives its claim back after 300 ms, and this one then publishes v2.
func TestFreshClaimIsWaitedFor(t *testing.T) {
	f := fixture(t, "hello")
	m, _ := dirMirror(t)
	doPublish(t, f, m, f.Now, false)
	if _, err := f.Release("hello", "2.0.0", "hello-2.0.0.tar.gz", []byte("two")); err != nil {
		t.Fatal(err)
	}
	before, _ := f.Repo.ResolveRef(publish.StateRef)
	_, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: onlineKey(t), Mirror: &failingMirror{Mirror: m, n: 3}, Now: f.Now,
		Shared: &failRelease{Shared: publish.LocalShared(f.Repo)}})
	if err == nil {
		t.Fatal("the snapshot write did not fail")
	}
	claim, _ := f.Repo.ResolveRef(publish.StateRef)
	if claim == before {
		t.Fatal("no claim left behind")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(300 * time.Millisecond)
		if out, err := exec.Command("git", "--git-dir="+f.Dir, "update-ref", publish.StateRef, before.String(), claim.String()).CombinedOutput(); err != nil {
			t.Errorf("%v: %s", err, out)
		}
	}()
	start := time.Now()
	res := doPublish(t, f, m, f.Now, false)
	<-done
	if d := time.Since(start); d < 300*time.Millisecond || d > publish.ClaimLease/2 {
		t.Fatalf("waited %s; want until the claim was given back", d)
	}
	if res.Snapshot != 2 || res.Timestamp != 2 {
		t.Fatalf("after the wait: %+v", res)
	}
}

// takeOver is a record that another publisher moves on from this one's
// claim just before its timestamp would be written.
type takeOver struct {
	publish.Shared
	g       *gitstore.Repo
	claimed gitstore.Hash
}

func (s *takeOver) Claim(ctx context.Context, old, new gitstore.Hash) error {
	err := s.Shared.Claim(ctx, old, new)
	if err == nil && s.claimed == gitstore.ZeroHash {
		s.claimed = new
		// The other publisher's record, on top of this one's claim.
		tree, _ := s.g.Commit(new)
		c, cerr := s.g.CommitTree(gitstore.CommitOptions{Parent: new, Tree: tree.Tree, Detached: true, When: time.Now(), Message: "other\n",
			Author: gitstore.Signature{Name: "other", Email: "other@example.org"}})
		if cerr != nil {
			return cerr
		}
		return s.Shared.Claim(ctx, new, c)
	}
	return err
}

// A publisher whose claim another publisher moved on from before its
// timestamp was written stands down with ErrSuperseded and writes no
// timestamp: the other's is newer. Without the take-over (the control), it
// writes its timestamp.
func TestSupersededBeforeTimestamp(t *testing.T) {
	for _, other := range []bool{false, true} {
		f := fixture(t, "hello")
		m, dir := dirMirror(t)
		doPublish(t, f, m, f.Now, false)
		if _, err := f.Release("hello", "2.0.0", "hello-2.0.0.tar.gz", []byte("two")); err != nil {
			t.Fatal(err)
		}
		before, _ := os.ReadFile(filepath.Join(dir, "metadata", "timestamp.json"))
		var sh publish.Shared = publish.LocalShared(f.Repo)
		if other {
			sh = &takeOver{Shared: sh, g: f.Repo}
		}
		_, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: onlineKey(t), Mirror: m, Now: f.Now, Shared: sh})
		after, _ := os.ReadFile(filepath.Join(dir, "metadata", "timestamp.json"))
		if !other {
			if err != nil || string(after) == string(before) {
				t.Fatalf("control: %v", err)
			}
			continue
		}
		if !errors.Is(err, publish.ErrSuperseded) || !strings.Contains(err.Error(), "before its timestamp was written") || string(after) != string(before) {
			t.Fatalf("taken over: %v (timestamp changed: %v)", err, string(after) != string(before))
		}
	}
}

// alwaysFirst is a record another publisher moves (to a copy of itself)
// just before every claim of this one.
type alwaysFirst struct {
	publish.Shared
	g     *gitstore.Repo
	calls int
}

func (s *alwaysFirst) Claim(ctx context.Context, old, new gitstore.Hash) error {
	s.calls++
	c, err := s.g.Commit(old)
	if err != nil {
		return err
	}
	moved, err := s.g.CommitTree(gitstore.CommitOptions{Parent: old, Tree: c.Tree, Detached: true, When: time.Now(), Message: "other\n",
		Author: gitstore.Signature{Name: "other", Email: "other@example.org"}})
	if err != nil {
		return err
	}
	if err := s.Shared.Claim(ctx, old, moved); err != nil {
		return err
	}
	return s.Shared.Claim(ctx, old, new)
}

// A publisher that loses every claim gives up after a bounded number of
// tries, saying so, with no snapshot or timestamp written.
func TestClaimLostEveryTimeGivesUp(t *testing.T) {
	f := fixture(t, "hello")
	m, dir := dirMirror(t)
	doPublish(t, f, m, f.Now, false)
	if _, err := f.Release("hello", "2.0.0", "hello-2.0.0.tar.gz", []byte("two")); err != nil {
		t.Fatal(err)
	}
	sh := &alwaysFirst{Shared: publish.LocalShared(f.Repo), g: f.Repo}
	_, err := publish.Publish(context.Background(), publish.Options{Repo: f.Repo, Rev: f.Head, Key: onlineKey(t), Mirror: m, Now: f.Now, Shared: sh})
	if !errors.Is(err, publish.ErrClaimLost) || !strings.Contains(err.Error(), "gave up after 5 tries") || sh.calls != 5 {
		t.Fatalf("%d claims: %v", sh.calls, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "metadata", "2.snapshot.json")); !os.IsNotExist(err) {
		t.Fatalf("2.snapshot.json: %v", err)
	}
}
