package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/tufgit/tufgit/pkg/gitstore"
)

// Two publishers (issue #22) coordinate through one ref, StateRef in the
// shared repository, moved only by git's compare-and-swap (update-ref
// NEW OLD on the server, a push with --force-with-lease from a clone):
//
//  1. read the shared record (Shared.Sync);
//  2. verify, write target files and versioned roles (content-addressed:
//     the same name always holds the same bytes), sign snapshot N and
//     timestamp M above both the record and what the mirror serves;
//  3. claim N and M: move the shared record from the one read in 1 to a
//     record naming them. Of two publishers that read the same record, one
//     claim wins; the loser has written nothing versioned by snapshot or
//     timestamp, reads the record again and retries, or stands down;
//  4. write N.snapshot.json and timestamp.json, checking just before the
//     timestamp that the claim still stands.
//
// A version is therefore written only by the publisher that claimed it.
// No lock is held: a publisher that dies before 3 leaves nothing; one
// that dies between 3 and 4 leaves a record ahead of the mirror, which
// the next publisher waits out for at most ClaimLease after the claim,
// then publishes above it (N+1), never reusing N.

// ErrClaimLost: another publisher moved the shared record first.
var ErrClaimLost = errors.New("another publisher claimed the next snapshot and timestamp first")

// ErrSuperseded: another publisher claimed versions above this one's
// before its timestamp was written; nothing more was written.
var ErrSuperseded = errors.New("another publisher took over")

// ClaimLease is how long a claim the mirror does not serve yet holds off
// other publishers: longer than writing one snapshot and timestamp.
const ClaimLease = 30 * time.Second

// Shared is the repository whose StateRef publishers coordinate through.
type Shared interface {
	// Sync makes the local StateRef the shared one (and fetches the
	// commit it names when missing) and returns it (ZeroHash: none).
	Sync(ctx context.Context) (gitstore.Hash, error)
	// Claim moves the shared StateRef from old to new, atomically;
	// ErrClaimLost when it is no longer old. The local one follows.
	Claim(ctx context.Context, old, new gitstore.Hash) error
	// Current is the shared StateRef now.
	Current(ctx context.Context) (gitstore.Hash, error)
	String() string
}

// git runs git in repository g, returning trimmed stdout.
func git(ctx context.Context, g *gitstore.Repo, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"--git-dir=" + g.GitDir()}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", args[0], strings.ReplaceAll(msg, "\n", "; "))
	}
	return strings.TrimSpace(out.String()), nil
}

// LocalShared: the publisher runs in the shared repository itself (the
// server's post-receive, cron on the server).
func LocalShared(g *gitstore.Repo) Shared { return localShared{g} }

type localShared struct{ g *gitstore.Repo }

func (l localShared) String() string { return l.g.GitDir() }

func (l localShared) Current(ctx context.Context) (gitstore.Hash, error) {
	out, err := git(ctx, l.g, "for-each-ref", "--format=%(objectname)", StateRef)
	if err != nil || out == "" {
		return gitstore.ZeroHash, err
	}
	return gitstore.ParseHash(out)
}

func (l localShared) Sync(ctx context.Context) (gitstore.Hash, error) { return l.Current(ctx) }

func (l localShared) Claim(ctx context.Context, old, new gitstore.Hash) error {
	if _, err := git(ctx, l.g, "update-ref", "-m", "tufgit publish", StateRef, new.String(), old.String()); err != nil {
		if cur, cerr := l.Current(ctx); cerr == nil && cur != old {
			return fmt.Errorf("%w (%s moved from %s to %s)", ErrClaimLost, StateRef, short(old), short(cur))
		}
		return err
	}
	return nil
}

// RemoteShared: the publisher runs in a clone (a standby host); the
// shared record is StateRef in remote, a git remote name or URL.
func RemoteShared(g *gitstore.Repo, remote string) Shared { return remoteShared{g, remote} }

type remoteShared struct {
	g      *gitstore.Repo
	remote string
}

func (r remoteShared) String() string { return r.remote }

func (r remoteShared) Current(ctx context.Context) (gitstore.Hash, error) {
	out, err := git(ctx, r.g, "ls-remote", r.remote, StateRef)
	if err != nil {
		return gitstore.ZeroHash, fmt.Errorf("reading %s from the shared repository %s: %w", StateRef, r.remote, err)
	}
	oid, _, _ := strings.Cut(out, "\t")
	if oid == "" {
		return gitstore.ZeroHash, nil
	}
	return gitstore.ParseHash(oid)
}

func (r remoteShared) Sync(ctx context.Context) (gitstore.Hash, error) {
	cur, err := r.Current(ctx)
	if err != nil {
		return cur, err
	}
	if cur == gitstore.ZeroHash {
		// Nothing published through the shared repository yet: a local
		// record of this clone counts for nothing.
		if _, err := git(ctx, r.g, "update-ref", "-d", StateRef); err != nil {
			return cur, err
		}
		return cur, nil
	}
	if _, err := git(ctx, r.g, "fetch", "-q", "--no-tags", r.remote, cur.String()); err != nil {
		return cur, fmt.Errorf("fetching %s from the shared repository %s: %w", StateRef, r.remote, err)
	}
	if _, err := git(ctx, r.g, "update-ref", StateRef, cur.String()); err != nil {
		return cur, err
	}
	if rec, err := ReadRecord(r.g); err == nil && rec != nil && rec.Commit != "" {
		if _, err := r.g.Commit(gitstore.NewHash(rec.Commit)); err != nil {
			// The published commit, so that lineage is judged here too.
			if _, err := git(ctx, r.g, "fetch", "-q", "--no-tags", r.remote, rec.Commit); err != nil {
				return cur, fmt.Errorf("fetching %s, the commit last published, from %s: %w", rec.Commit[:12], r.remote, err)
			}
		}
	}
	return cur, nil
}

// Claim pushes with --force-with-lease. Two publishers that signed the
// same commit at the same second with a deterministic key (ed25519) make
// the same record commit; the second push then finds the ref already
// there and succeeds: both write the same bytes, which is no conflict.
func (r remoteShared) Claim(ctx context.Context, old, new gitstore.Hash) error {
	lease := ""
	if old != gitstore.ZeroHash {
		lease = old.String()
	}
	_, err := git(ctx, r.g, "push", "-q", "--no-verify", "--force-with-lease="+StateRef+":"+lease, r.remote, new.String()+":"+StateRef)
	if err != nil {
		if cur, cerr := r.Current(ctx); cerr == nil && cur != old {
			return fmt.Errorf("%w (%s in %s moved from %s to %s)", ErrClaimLost, StateRef, r.remote, short(old), short(cur))
		}
		return fmt.Errorf("claiming %s in the shared repository %s: %w", StateRef, r.remote, err)
	}
	_, err = git(ctx, r.g, "update-ref", StateRef, new.String())
	return err
}

func short(h gitstore.Hash) string {
	if h == gitstore.ZeroHash {
		return "nothing"
	}
	return h.String()[:12]
}

// pendingWrite is a snapshot or timestamp signed but not yet written.
type pendingWrite struct {
	name      string
	data      []byte
	timestamp bool
}

// claimAndWrite claims the versions signed (step 3) and writes them
// (step 4). A write that fails gives the claim back, so that the next
// publisher need not wait it out.
func (p *publisher) claimAndWrite(st published, snaps map[string][]byte) error {
	c, err := p.recordCommit(st, snaps)
	if err != nil {
		return err
	}
	if err := p.shared.Claim(p.ctx, p.claimOld, c); err != nil {
		return err
	}
	for _, w := range p.pending {
		if w.timestamp {
			cur, err := p.shared.Current(p.ctx)
			if err == nil && cur != c {
				return fmt.Errorf("%w: %s in %s moved from this publish's claim (snapshot v%d, timestamp v%d) to %s before its timestamp was written; that publish supersedes this one, nothing more written",
					ErrSuperseded, StateRef, p.shared, st.Snapshot, st.Timestamp, short(cur))
			}
			if err != nil {
				p.release(c)
				return err
			}
		}
		if err := p.write(w.name, w.data); err != nil {
			p.release(c)
			return err
		}
	}
	return nil
}

// release gives a claim back after a failed write, when it still stands;
// best effort: a claim left behind only makes the next publisher wait
// ClaimLease, then publish above it.
func (p *publisher) release(c gitstore.Hash) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.ctx), 10*time.Second)
	defer cancel()
	_ = p.shared.Claim(ctx, c, p.claimOld)
}

// claimInFlight reports a claim another publisher made less than
// ClaimLease ago whose timestamp the mirror does not serve yet: it is
// probably still writing.
func (p *publisher) claimInFlight() bool {
	if p.prev == nil || p.claimOld == gitstore.ZeroHash {
		return false
	}
	c, err := p.Repo.Commit(p.claimOld)
	if err != nil || p.Now.Sub(c.Committed) > ClaimLease {
		return false
	}
	mTS, _ := p.mirrorVersions(p.top)
	return mTS < p.prev.Timestamp
}

// superseded reports whether the record names a commit that contains
// p.Rev and that a branch holds: another publisher already published
// a newer head (not a rollback: a branch reset to p.Rev holds no commit
// after it).
func (p *publisher) superseded() (string, bool) {
	if p.prev == nil || p.prev.Commit == "" || p.prev.Commit == p.Rev.String() {
		return "", false
	}
	last := gitstore.NewHash(p.prev.Commit)
	if ok, err := p.Repo.IsAncestor(p.Rev, last); err != nil || !ok {
		return "", false
	}
	out, err := git(p.ctx, p.Repo, "for-each-ref", "--count=1", "--format=%(refname)", "--contains", last.String(), "refs/heads/", "refs/remotes/")
	if err != nil || out == "" {
		return "", false
	}
	return p.prev.Commit, true
}
