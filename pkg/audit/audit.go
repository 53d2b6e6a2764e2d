// Package audit re-verifies the history of a branch commit by commit, the
// way the pre-receive hook would have checked each step: the first commit
// in full, every later commit as the move from its first parent
// (verify.Since), each judged at its own commit time. It names the first
// commit that would have been refused. A checkpoint kept in the git
// directory makes re-runs check only new commits.
//
// Like verify, it reads git objects only and loads no key.
package audit

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/tufgit/tufgit/pkg/gitstore"
	"github.com/tufgit/tufgit/pkg/verify"
)

// RulesVersion names the rules an audit applies. Bump it whenever
// verify's rules (full check or transitions) or the audit's walk change:
// a checkpoint written under other rules is ignored, so the history is
// re-audited under the new ones.
const RulesVersion = "tufgit-audit/1 (verify.Commit for a first commit, verify.Since from the first parent, at commit time)"

// Modes of the walk.
const (
	// ModeAll checks every commit reachable from the head, each against
	// its first parent: side branches of merges too.
	ModeAll = "all"
	// ModeFirstParent checks only the first-parent chain: the states the
	// branch itself moved through when every merge was made on it.
	ModeFirstParent = "first-parent"
)

// Options tune an audit.
type Options struct {
	// Rev names what is audited (e.g. "main"); it keys the checkpoint.
	Rev string
	// Head is the commit Rev resolves to.
	Head gitstore.Hash
	// FirstParent follows only first parents (ModeFirstParent).
	FirstParent bool
	// From, when set, is trusted: the audit starts after it. It must be
	// an ancestor of Head (on its first-parent chain with FirstParent).
	From gitstore.Hash
	// Checkpoint reads the checkpoint to start from, and writes a new one
	// when the audit is clean.
	Checkpoint bool
	// Now is the real time: the head is checked at it, and no commit is
	// judged later than it. time.Now() when zero.
	Now time.Time
	// Verify is passed to each check; its Now is replaced by each
	// commit's time.
	Verify verify.Options
	// Progress, when set, is called after each commit checked (from one
	// goroutine at a time).
	Progress func(checked int)
	// Workers is how many commits are checked at once, each worker on
	// its own handle of the repository; 0 or 1 checks one at a time.
	// With more than one, Verify.Store must be safe for concurrent use.
	Workers int
	// AcceptRewrite names the commit of a checkpoint that Head no longer
	// contains (a hex prefix of at least 7 digits): the auditor accepts
	// that this history replaced it, so the audit may write a new
	// checkpoint. Anything else that was rewritten is still Rewritten.
	AcceptRewrite string
}

// Rewrite says that the audited revision no longer contains the commit
// its last clean audit recorded: its history was rewritten, rolled back
// or truncated since. Such an audit is never clean and writes no
// checkpoint, until the auditor accepts the rewrite by name.
type Rewrite struct {
	// Checkpoint is the commit the last clean audit of Rev recorded.
	Checkpoint string `json:"checkpoint"`
	// Why says how it is gone: "not an ancestor" or "missing".
	Why string `json:"why"`
	// Accepted is set when the auditor accepted it (AcceptRewrite).
	Accepted bool `json:"accepted,omitempty"`
}

// Refusal is a commit the hook would have refused.
type Refusal struct {
	Commit  string `json:"commit"`
	Subject string `json:"subject"`
	// Time is the committer time the commit was judged at.
	Time time.Time `json:"time"`
	// Parent is the commit it was checked against; empty for a full check
	// of a commit without parents.
	Parent   string           `json:"parent,omitempty"`
	Problems []verify.Problem `json:"problems"`
}

// Start says where the audit began.
type Start struct {
	// Commit is trusted without being checked; empty when the audit began
	// at the first commit.
	Commit string `json:"commit,omitempty"`
	// Trusted says why: "from" (--from), "checkpoint", or "" for none.
	Trusted string `json:"trusted,omitempty"`
	// TrustedFrom is, for a checkpoint, the --from commit the audits
	// behind it started after; empty when they began at the first commit.
	TrustedFrom string `json:"trusted_from,omitempty"`
}

// HeadCheck is the full check of the head at the real time.
type HeadCheck struct {
	Commit   string           `json:"commit"`
	At       time.Time        `json:"at"`
	Problems []verify.Problem `json:"problems"`
	Expired  []verify.Problem `json:"expired"`
}

// CheckpointInfo says what the audit did with its checkpoint.
type CheckpointInfo struct {
	Path    string `json:"path,omitempty"`
	Read    string `json:"read,omitempty"`    // the commit of the checkpoint found
	Ignored string `json:"ignored,omitempty"` // why it was not used
	Written string `json:"written,omitempty"` // the commit of the checkpoint written
}

// Result is the outcome of an audit.
type Result struct {
	Rev            string          `json:"rev"`
	Head           string          `json:"head"`
	Mode           string          `json:"mode"`
	Rules          string          `json:"rules"`
	Start          Start           `json:"start"`
	CommitsChecked int             `json:"commits_checked"`
	Refused        int             `json:"refused"`
	FirstRefused   *Refusal        `json:"first_refused"`
	HeadCheck      HeadCheck       `json:"head_check"`
	Checkpoint     *CheckpointInfo `json:"checkpoint"`
	// Rewritten is set when Rev no longer contains the last clean
	// audit's commit (nil: it does, or there was none).
	Rewritten *Rewrite `json:"rewritten"`
	Warnings  []string `json:"warnings"`
	Stats     Stats    `json:"stats"`
}

// Stats says where the time went.
type Stats struct {
	// WalkSeconds is the time spent walking and checking the commits.
	WalkSeconds float64 `json:"walk_seconds"`
	// HeadCheckSeconds is the time of the head's full check.
	HeadCheckSeconds float64 `json:"head_check_seconds"`
}

// Clean reports whether no commit would have been refused, the head
// passes its full check (expiry aside), and the history still contains
// the last clean audit's commit (or the auditor accepted its rewrite).
func (r *Result) Clean() bool {
	return r.Refused == 0 && len(r.HeadCheck.Problems) == 0 && !r.IsRewritten()
}

// IsRewritten reports whether the history was rewritten since the last
// clean audit, and the auditor did not accept it.
func (r *Result) IsRewritten() bool { return r.Rewritten != nil && !r.Rewritten.Accepted }

// ErrNotAncestor is returned when --from is not an ancestor of the head.
var ErrNotAncestor = errors.New("not an ancestor of the audited revision")

// ErrHistory is returned when the history can not be read (a missing
// commit object, as in a shallow clone).
var ErrHistory = errors.New("the history can not be read")

// Run audits the history of opts.Head.
func Run(g *gitstore.Repo, opts Options) (*Result, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	mode := ModeAll
	if opts.FirstParent {
		mode = ModeFirstParent
	}
	a := &auditor{g: g, opts: opts, mode: mode, res: &Result{
		Rev: opts.Rev, Head: opts.Head.String(), Mode: mode, Rules: RulesVersion, Warnings: []string{},
	}}
	if err := a.pickStart(); err != nil {
		return nil, err
	}
	start := time.Now()
	if err := a.walk(); err != nil {
		return nil, err
	}
	a.res.Stats.WalkSeconds = time.Since(start).Seconds()
	switch {
	case a.future == 1:
		a.warn("%s, in the future: judged at the real time instead", a.futureFirst)
	case a.future > 1:
		a.warn("%d commits are dated in the future (the earliest in history: %s): judged at the real time instead", a.future, a.futureFirst)
	}
	start = time.Now()
	rep, err := verify.Commit(g, opts.Head, a.verifyOptions(opts.Now))
	if err != nil {
		return nil, fmt.Errorf("full check of %s: %w", short(opts.Head), err)
	}
	a.res.Stats.HeadCheckSeconds = time.Since(start).Seconds()
	a.res.HeadCheck = HeadCheck{Commit: opts.Head.String(), At: opts.Now.UTC(), Problems: rep.Problems, Expired: rep.Expired}
	if opts.Checkpoint && a.res.Clean() {
		cp := a.res.Checkpoint
		if err := writeCheckpoint(g, checkpointEntry{
			Rev: opts.Rev, Rules: rulesHash(mode), Commit: opts.Head.String(),
			Audited: opts.Now.UTC(), TrustedFrom: a.trustedFrom,
		}); err != nil {
			a.warn("the checkpoint could not be written (the next audit starts over): %v", err)
		} else {
			cp.Written = opts.Head.String()
		}
	}
	return a.res, nil
}

type auditor struct {
	g    *gitstore.Repo
	opts Options
	mode string
	res  *Result
	stop gitstore.Hash // trusted; the walk ends there
	// trustedFrom is the --from commit this audit (or the one whose
	// checkpoint it continues) trusted without checking, kept in the
	// checkpoint so that later runs can still say so.
	trustedFrom string
	// future counts commits dated after the real time (one warning for
	// all: a hostile history must not grow the result).
	future      int
	futureFirst string
	futureIdx   int

	// The checks, in submission order (idx), possibly on workers.
	submitted   int
	lowestFirst bool // history order is submission order (else its reverse)
	refusedIdx  int
	err         error // the error of the lowest idx
	errIdx      int
	failed      atomic.Bool
	jobs        chan job
	stopPool    func()
}

func (a *auditor) warn(format string, args ...any) {
	a.res.Warnings = append(a.res.Warnings, fmt.Sprintf(format, args...))
}

func (a *auditor) verifyOptions(now time.Time) verify.Options {
	o := a.opts.Verify
	o.Now = now
	return o
}

// pickStart chooses the trusted commit the walk stops at: --from, else a
// usable checkpoint, else none (the audit starts at the first commit).
func (a *auditor) pickStart() error {
	if a.opts.Checkpoint {
		a.res.Checkpoint = &CheckpointInfo{Path: checkpointPath(a.g)}
	}
	if a.opts.From != gitstore.ZeroHash {
		ok, err := a.reaches(a.opts.From)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("--from %s: %w %s%s", short(a.opts.From), ErrNotAncestor, a.opts.Rev, a.chainWords())
		}
		a.stop, a.res.Start = a.opts.From, Start{Commit: a.opts.From.String(), Trusted: "from"}
		a.trustedFrom = a.opts.From.String()
		// The checkpoint is still read: --from trusts a commit, it does
		// not accept a rewrite of what was audited before.
	}
	if !a.opts.Checkpoint {
		return nil
	}
	cp := a.res.Checkpoint
	e, found, err := readCheckpoint(a.g, a.opts.Rev, rulesHash(a.mode))
	if short, ok := strings.CutPrefix(a.opts.Rev, "refs/heads/"); ok && err == nil && !found {
		// Audits before tufgit spelled the branch out keyed it "main":
		// that checkpoint still counts, rewrites included.
		e, found, err = readCheckpoint(a.g, short, rulesHash(a.mode))
	}
	switch {
	case err != nil:
		cp.Ignored = err.Error()
	case !found:
		return nil
	default:
		cp.Read = e.Commit
		h := gitstore.NewHash(e.Commit)
		if _, err := a.g.Commit(h); err != nil {
			cp.Ignored = fmt.Sprintf("its commit %s is not in this repository", short(h))
			a.rewritten(e.Commit, "missing")
			break
		}
		ok, err := a.reaches(h)
		if err != nil {
			return err
		}
		if !ok {
			cp.Ignored = fmt.Sprintf("its commit %s is not an ancestor of %s%s: the history was rewritten or rolled back since that audit", short(h), a.opts.Rev, a.chainWords())
			a.rewritten(e.Commit, "not an ancestor")
			break
		}
		if a.opts.From != gitstore.ZeroHash {
			return nil // --from decides where the walk starts
		}
		a.stop, a.res.Start = h, Start{Commit: e.Commit, Trusted: "checkpoint", TrustedFrom: e.TrustedFrom}
		a.trustedFrom = e.TrustedFrom
	}
	if cp.Ignored != "" && a.opts.From == gitstore.ZeroHash {
		a.warn("checkpoint ignored, auditing from the first commit: %s", cp.Ignored)
	}
	return nil
}

// rewritten records that the last clean audit's commit is gone from the
// audited history, and whether the auditor accepted that by name.
func (a *auditor) rewritten(commit, why string) {
	rw := &Rewrite{Checkpoint: commit, Why: why}
	if x := strings.ToLower(a.opts.AcceptRewrite); len(x) >= 7 && strings.HasPrefix(commit, x) {
		rw.Accepted = true
		a.warn("rewrite accepted (--accept-rewrite): %s is gone from %s", short(gitstore.NewHash(commit)), a.opts.Rev)
	}
	a.res.Rewritten = rw
}

func (a *auditor) chainWords() string {
	if a.opts.FirstParent {
		return " (on its first-parent chain)"
	}
	return ""
}

// reaches reports whether h is an ancestor of the head (on its
// first-parent chain in that mode). The first-parent chain is tried
// first, one commit at a time; only a commit off it (a side branch) needs
// git's ancestry walk, which holds a hash per commit.
func (a *auditor) reaches(h gitstore.Hash) (bool, error) {
	found := false
	err := a.firstParents(a.opts.Head, func(c *gitstore.CommitInfo) (bool, error) {
		found = c.Hash == h
		return !found, nil
	})
	if err != nil || found || a.opts.FirstParent {
		return found, err
	}
	ok, err := a.g.IsAncestor(h, a.opts.Head)
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrHistory, err)
	}
	return ok, nil
}

// firstParents calls fn on head and each first parent in turn, newest
// first, while fn returns true. It holds one commit at a time.
func (a *auditor) firstParents(head gitstore.Hash, fn func(*gitstore.CommitInfo) (bool, error)) error {
	h := head
	for {
		c, err := a.commit(h)
		if err != nil {
			return err
		}
		more, err := fn(c)
		if err != nil || !more || len(c.Parents) == 0 {
			return err
		}
		h = c.Parents[0]
	}
}

func (a *auditor) commit(h gitstore.Hash) (*gitstore.CommitInfo, error) {
	c, err := a.g.Commit(h)
	if err != nil {
		return nil, fmt.Errorf("%w: commit %s is missing (a shallow clone? audit with --from a commit you trust): %v", ErrHistory, short(h), err)
	}
	return c, nil
}

// walk checks every commit between the trusted start and the head.
func (a *auditor) walk() error {
	if err := a.startPool(); err != nil {
		return err
	}
	err := a.walkCommits()
	if a.stopPool != nil {
		a.stopPool()
	}
	if err != nil {
		return err
	}
	return a.err
}

func (a *auditor) walkCommits() error {
	if a.opts.FirstParent {
		a.lowestFirst = false
		return a.walkFirstParent()
	}
	// A linear range (no merge between the head and the start) is walked
	// like a first-parent chain, in constant memory.
	linear := true
	err := a.firstParents(a.opts.Head, func(c *gitstore.CommitInfo) (bool, error) {
		if c.Hash == a.stop {
			return false, nil
		}
		if len(c.Parents) > 1 {
			linear = false
		}
		return linear, nil
	})
	if err != nil {
		return err
	}
	if linear {
		return a.walkFirstParent()
	}
	a.lowestFirst = true
	return a.walkAll()
}

// walkFirstParent checks the first-parent chain from the head back to the
// start, newest first, holding one commit at a time. The first refused
// commit is the oldest one met.
func (a *auditor) walkFirstParent() error {
	return a.firstParents(a.opts.Head, func(c *gitstore.CommitInfo) (bool, error) {
		if c.Hash == a.stop {
			return false, nil
		}
		a.submit(c)
		return !a.failed.Load(), nil
	})
}

// walkAll checks every commit reachable from the head and not from the
// start, parents before children (a depth-first post-order), so the first
// refused commit is the first one checked. It holds one hash per commit
// walked (and per ancestor of the start when a merge reaches below it),
// never commit objects or reports.
func (a *auditor) walkAll() error {
	const (
		expanded = 1
		done     = 2
	)
	state := map[gitstore.Hash]uint8{}
	if a.stop != gitstore.ZeroHash {
		// Everything the start reaches was audited (or trusted) already.
		stack := []gitstore.Hash{a.stop}
		for len(stack) > 0 {
			h := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if state[h] == done {
				continue
			}
			state[h] = done
			c, err := a.commit(h)
			if err != nil {
				return err
			}
			stack = append(stack, c.Parents...)
		}
	}
	type frame struct {
		h        gitstore.Hash
		expanded bool // its parents are on the stack above it
	}
	stack := []frame{{h: a.opts.Head}}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if !top.expanded {
			if state[top.h] != 0 {
				stack = stack[:len(stack)-1] // reached twice: the first visit checks it
				continue
			}
			c, err := a.commit(top.h)
			if err != nil {
				return err
			}
			state[top.h] = expanded
			top.expanded = true
			for i := len(c.Parents) - 1; i >= 0; i-- {
				if state[c.Parents[i]] == 0 {
					stack = append(stack, frame{h: c.Parents[i]})
				}
			}
			continue
		}
		h := top.h
		stack = stack[:len(stack)-1]
		state[h] = done
		c, err := a.commit(h) // read again rather than hold every message
		if err != nil {
			return err
		}
		a.submit(c)
		if a.failed.Load() {
			break
		}
	}
	return nil
}

// outcome is the verdict on the idx-th commit submitted.
type outcome struct {
	idx    int
	ref    *Refusal
	future string // set when the commit is dated after the real time
	err    error
}

// judge checks one commit as the hook would have: the move from its first
// parent, or in full when it has none, at the commit's own time. It
// changes nothing in the auditor, so workers may run it at once.
func (a *auditor) judge(g *gitstore.Repo, idx int, c *gitstore.CommitInfo) outcome {
	o := outcome{idx: idx}
	at := c.Committed
	if at.After(a.opts.Now) {
		o.future = fmt.Sprintf("commit %s is dated %s", short(c.Hash), at.UTC().Format(time.RFC3339))
		at = a.opts.Now
	}
	var rep *verify.Report
	var err error
	parent := ""
	if len(c.Parents) == 0 {
		rep, err = verify.Commit(g, c.Hash, a.verifyOptions(at))
	} else {
		parent = c.Parents[0].String()
		rep, err = verify.Since(g, c.Parents[0], c.Hash, a.verifyOptions(at))
	}
	if err != nil {
		o.err = fmt.Errorf("checking commit %s: %w", short(c.Hash), err)
	} else if !rep.Valid() {
		o.ref = &Refusal{Commit: c.Hash.String(), Subject: Subject(c.Message), Time: at.UTC(), Parent: parent, Problems: rep.Problems}
	}
	return o
}

// record takes in one outcome; only one goroutine calls it at a time.
// Which refusal is the first depends on the walk: walking back along the
// first-parent chain it is the one submitted last, walking parents first
// it is the one submitted first.
func (a *auditor) record(o outcome) {
	if o.err != nil {
		if a.err == nil || o.idx < a.errIdx {
			a.err, a.errIdx = o.err, o.idx
		}
		a.failed.Store(true)
		return
	}
	if o.future != "" {
		if a.future == 0 || a.before(o.idx, a.futureIdx) {
			a.futureFirst, a.futureIdx = o.future, o.idx
		}
		a.future++
	}
	a.res.CommitsChecked++
	if a.opts.Progress != nil {
		a.opts.Progress(a.res.CommitsChecked)
	}
	if o.ref == nil {
		return
	}
	a.res.Refused++
	if a.res.FirstRefused == nil || a.before(o.idx, a.refusedIdx) {
		a.res.FirstRefused, a.refusedIdx = o.ref, o.idx
	}
}

// before reports whether the idx-th commit submitted comes before the
// than-th in history.
func (a *auditor) before(idx, than int) bool {
	if a.lowestFirst {
		return idx < than
	}
	return idx > than
}

// startPool starts the workers; submit then hands commits to them, and
// stopPool waits for every verdict.
func (a *auditor) startPool() error {
	if a.opts.Workers <= 1 {
		return nil
	}
	dir := a.g.WorkTree()
	if dir == "" {
		dir = a.g.GitDir()
	}
	a.jobs = make(chan job, 2*a.opts.Workers)
	outs := make(chan outcome, 2*a.opts.Workers)
	var wg sync.WaitGroup
	for i := 0; i < a.opts.Workers; i++ {
		// Each worker reads through its own handle: nothing of go-git's
		// is shared between goroutines.
		g, err := gitstore.Open(dir)
		if err != nil {
			close(a.jobs)
			wg.Wait()
			a.jobs = nil
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range a.jobs {
				if a.failed.Load() {
					continue // drain
				}
				outs <- a.judge(g, j.idx, j.c)
			}
		}()
	}
	collected := make(chan struct{})
	go func() {
		for o := range outs {
			a.record(o)
		}
		close(collected)
	}()
	a.stopPool = func() {
		close(a.jobs)
		wg.Wait()
		close(outs)
		<-collected
	}
	return nil
}

type job struct {
	idx int
	c   *gitstore.CommitInfo
}

// submit checks c, now or on a worker.
func (a *auditor) submit(c *gitstore.CommitInfo) {
	idx := a.submitted
	a.submitted++
	if a.jobs == nil {
		a.record(a.judge(a.g, idx, c))
		return
	}
	a.jobs <- job{idx: idx, c: c}
}

// maxSubject bounds a commit subject as printed.
const maxSubject = 200

// Subject is the first line of a commit message, made safe to print: no
// control or format characters, at most 200 characters.
func Subject(msg string) string {
	line, _, _ := strings.Cut(msg, "\n")
	var b strings.Builder
	n := 0
	for _, r := range line {
		if n == maxSubject {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar {
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

func short(h gitstore.Hash) string { return h.String()[:12] }
