package gitstore

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
)

// A Pipeline reads objects in the order they were asked for, through a
// git process of its own that is sent requests ahead of the replies being
// read. A read one at a time (ReadBlob) costs a round trip: a write, git
// waking up, a reply, this process waking up; about 25 us of CPU between
// the two processes for a small object. A walk that knows what it reads
// next asks for it early: git then answers a batch of requests with a few
// writes as it goes, this side reads replies as they come, and what is left is git's own work on each object (about
// 5 us for a small blob, and two writes).
//
// Requests are Ask (a blob) and AskTree; replies come in the same order
// from Next, NextStream or NextTree, with the answers and errors that
// ReadBlob, OpenBlob and a tree walk give. Without git (or once git has
// failed) a Pipeline reads each object on its own through the Repo's other
// readers. go-git's storage is not safe for concurrent use, so a caller
// that reads through the Repo on other goroutines at the same time must
// serialize those reads with the Pipeline's while UsesGit is false.
//
// A Pipeline is for one goroutine. Close it: it holds a git process.
type Pipeline struct {
	repo *Repo
	c    *catFile // nil: read each object through the Repo
	// queue holds what was asked and not yet answered, oldest first; the
	// first sent of them were sent to git (or need no reply).
	queue []pipeReq
	sent  int
	// buffered: git answers only when sent "flush" (a process started
	// with --buffer); else it answers each request as it reads it, and the
	// process goes back to the Repo's pool on Close.
	buffered bool
	// stream is the reply handed out by NextStream, until the next call.
	stream *pipeStream
}

type pipeReq struct {
	h    Hash
	name string // for errors, as ReadBlob's name
	tree bool   // a tree object, else a blob
	max  int64  // refuse a larger blob; < 0: no limit
	// cached is a tree found in the Repo's cache when it was asked for:
	// it is not sent to git.
	cached []treeEntry
}

// pipelineDepth is how many requests are sent to git ahead of the reply
// being read: a few KB of commands, well under a pipe's buffer, so that
// sending never waits for git (which may itself wait for this side to
// read its replies). git answers the next half while this side reads the
// first.
const pipelineDepth = 64

// NewPipeline returns a pipelined reader that borrows one of the Repo's
// git processes: for walks of any size. (A process of its own started
// with cat-file --buffer was measured too: git writes a blob's header and
// content with a system call each either way, and it was no cheaper.)
func (r *Repo) NewPipeline() *Pipeline {
	p := &Pipeline{repo: r}
	if c, err := r.cat.get(); err == nil && c != nil {
		p.c = c
	}
	return p
}

// UsesGit reports whether the pipeline reads through its git process;
// false once it reads through the Repo's other readers.
func (p *Pipeline) UsesGit() bool { return p.c != nil }

// Ask queues a read of blob h, refused when it is larger than max bytes
// (max < 0: no limit); name is used in errors.
func (p *Pipeline) Ask(h Hash, max int64, name string) {
	p.queue = append(p.queue, pipeReq{h: h, name: name, max: max})
}

// AskTree queues a read of tree h.
func (p *Pipeline) AskTree(h Hash) {
	q := pipeReq{h: h, tree: true, max: -1}
	if h == ZeroHash {
		q.cached = []treeEntry{}
	} else if e, ok := p.repo.cachedTree(h); ok {
		q.cached = e
	}
	p.queue = append(p.queue, q)
}

// Pending is how many requests have not been answered yet.
func (p *Pipeline) Pending() int { return len(p.queue) }

// Close releases the git process. Replies not read are dropped.
func (p *Pipeline) Close() {
	p.dropStream()
	if p.c != nil {
		if p.buffered || p.awaiting() {
			p.c.close()
		} else {
			p.repo.cat.put(p.c)
		}
		p.c = nil
	}
	p.queue, p.sent = nil, 0
}

// awaiting reports whether git owes replies.
func (p *Pipeline) awaiting() bool {
	for _, q := range p.queue[:p.sent] {
		if q.cached == nil {
			return true
		}
	}
	return false
}

// send tells git about queued requests, up to pipelineDepth in flight,
// and asks it to answer them.
func (p *Pipeline) send() error {
	n := 0
	for p.sent < len(p.queue) && p.sent < pipelineDepth {
		q := p.queue[p.sent]
		p.sent++
		if q.cached != nil {
			continue
		}
		var line [50]byte
		copy(line[:], "contents ")
		encodeHex(line[9:49], q.h)
		line[49] = '\n'
		p.c.w.Write(line[:])
		n++
	}
	if n == 0 {
		return nil
	}
	if p.buffered {
		p.c.w.WriteString("flush\n")
	}
	return p.c.w.Flush()
}

func encodeHex(dst []byte, h Hash) {
	const digits = "0123456789abcdef"
	for i, b := range h {
		dst[2*i] = digits[b>>4]
		dst[2*i+1] = digits[b&15]
	}
}

// Next returns the oldest unanswered request's blob (asked with Ask),
// with ReadBlob's answers and errors.
func (p *Pipeline) Next() ([]byte, error) {
	q, size, err := p.head(false)
	var big *tooLarge
	switch {
	case errors.As(err, &big):
		return nil, fmt.Errorf("%s: %w (%d bytes, limit %d)", q.name, ErrTooLarge, big.size, q.max)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", q.name, err)
	case q.fallback:
		return p.repo.ReadBlob(q.h, q.max, q.name)
	}
	data, err := p.content(q, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q.name, err)
	}
	return data, nil
}

// NextStream is Next for a blob of any size (the limit is not applied),
// with OpenBlob's answers and errors: the reader gives its bytes until
// the next call of Next, NextTree or NextStream (or Close), which skips
// what was not read.
func (p *Pipeline) NextStream() (io.Reader, int64, error) {
	if len(p.queue) > 0 {
		p.queue[0].max = -1
	}
	q, size, err := p.head(false)
	if err != nil {
		return nil, 0, err
	}
	if q.fallback {
		rc, n, err := p.repo.OpenBlob(q.h)
		if err != nil {
			return nil, 0, err
		}
		p.stream = &pipeStream{rc: rc}
		return p.stream, n, nil
	}
	p.stream = &pipeStream{p: p, left: size}
	return p.stream, size, nil
}

// NextTree returns the oldest unanswered request's tree (asked with
// AskTree), decoded strictly as Walk decodes trees, with Walk's errors.
// It is taken from the Repo's tree cache when it was there when asked
// for, but not added to it: a walk reads each tree once, and at 100,000
// projects its 50,000 trees would only churn the cache (about 14 MB).
func (p *Pipeline) NextTree() ([]treeEntry, error) {
	q, size, err := p.head(true)
	switch {
	case err != nil:
		return nil, fmt.Errorf("tree %s: %w", q.h, err)
	case q.cached != nil:
		return q.cached, nil
	case q.fallback:
		return p.repo.readTree(q.h)
	}
	data, err := p.content(q, size)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", q.h, err)
	}
	entries, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", q.h, err)
	}
	return entries, nil
}

// content reads the size bytes of the reply head started.
func (p *Pipeline) content(q answer, size int64) ([]byte, error) {
	data := make([]byte, size+1)
	if _, err := io.ReadFull(p.c.out, data); err != nil || data[size] != '\n' {
		if err == nil {
			err = errors.New("reply does not end in a newline")
		}
		return nil, p.fail(fmt.Errorf("git object reader: %s: %w", q.h, err))
	}
	return data[:size], nil
}

// answer is a request being answered.
type answer struct {
	pipeReq
	// fallback: read it through the Repo (no git, or git failed).
	fallback bool
}

// head starts answering the oldest request. It reads git's header and,
// when the object is missing or of another type (plumbing's
// ErrObjectNotFound, as go-git says it) or over the limit (*tooLarge),
// skips the reply. Else size is the content's length, to be read next
// from git, or fallback or cached is set.
func (p *Pipeline) head(tree bool) (q answer, size int64, err error) {
	p.dropStream()
	if len(p.queue) == 0 || p.queue[0].tree != tree {
		return answer{}, 0, errors.New("git object reader: replies read out of order")
	}
	if p.c != nil && p.sent == 0 {
		if err := p.send(); err != nil {
			p.fail(err)
		}
	}
	q.pipeReq = p.queue[0]
	p.queue[0] = pipeReq{}
	p.queue = p.queue[1:]
	if p.sent > 0 {
		p.sent--
	}
	if q.cached != nil {
		return q, 0, nil
	}
	if p.c == nil {
		q.fallback = true
		return q, 0, nil
	}
	// Keep git busy: the next requests go out before this reply is read.
	if p.sent <= pipelineDepth/2 && len(p.queue) > p.sent {
		if err := p.send(); err != nil {
			p.fail(err)
			q.fallback = true
			return q, 0, nil
		}
	}
	typ, size, err := readHeader(p.c.out, q.h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return q, 0, err
	}
	if err != nil {
		// Out of step with git: this one and the rest go through the Repo.
		p.fail(err)
		q.fallback = true
		return q, 0, nil
	}
	want := "blob"
	if q.tree {
		want = "tree"
	}
	if typ != want || (q.max >= 0 && size > q.max) {
		if _, err := io.CopyN(io.Discard, p.c.out, size+1); err != nil {
			p.fail(err)
		}
		if typ != want {
			return q, 0, plumbing.ErrObjectNotFound
		}
		return q, 0, &tooLarge{size}
	}
	return q, size, nil
}

// fail stops the git process after an error; the requests still queued
// are then read one at a time through the Repo.
func (p *Pipeline) fail(err error) error {
	if p.c != nil {
		p.c.close()
		p.c = nil
	}
	p.sent = 0
	return err
}

func (p *Pipeline) dropStream() {
	s := p.stream
	if s == nil {
		return
	}
	p.stream = nil
	if s.rc != nil {
		s.rc.Close()
		return
	}
	if p.c != nil {
		if s.left > maxDrain {
			p.fail(nil) // a lot left: stop git rather than read it all
		} else if _, err := io.CopyN(io.Discard, p.c.out, s.left+1); err != nil {
			p.fail(err)
		}
	}
}

type pipeStream struct {
	p    *Pipeline
	left int64
	rc   io.ReadCloser // OpenBlob's reader, without git
}

func (s *pipeStream) Read(b []byte) (int, error) {
	if s.rc != nil {
		return s.rc.Read(b)
	}
	if s.p.stream != s || s.p.c == nil {
		return 0, errors.New("git object reader: stream read after the next request")
	}
	if s.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > s.left {
		b = b[:s.left]
	}
	n, err := s.p.c.out.Read(b)
	s.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// readHeader reads a reply's header for h: "<id> <type> <size>" or
// "<id> missing" (plumbing.ErrObjectNotFound, as go-git says it).
func readHeader(out *bufio.Reader, h Hash) (typ string, size int64, err error) {
	line, err := out.ReadSlice('\n')
	if err != nil {
		return "", 0, fmt.Errorf("git object reader: %w", err)
	}
	line = line[:len(line)-1]
	var hex [40]byte
	encodeHex(hex[:], h)
	if len(line) < 41 || string(line[:40]) != string(hex[:]) || line[40] != ' ' {
		return "", 0, fmt.Errorf("git object reader: unexpected reply %q", line)
	}
	rest := line[41:]
	if string(rest) == "missing" {
		return "", 0, plumbing.ErrObjectNotFound
	}
	sp := -1
	for i, b := range rest {
		if b == ' ' {
			sp = i
			break
		}
	}
	if sp > 0 {
		size, err = strconv.ParseInt(string(rest[sp+1:]), 10, 64)
	}
	if sp <= 0 || err != nil || size < 0 {
		return "", 0, fmt.Errorf("git object reader: unexpected reply %q", line)
	}
	switch string(rest[:sp]) {
	case "blob":
		return "blob", size, nil
	case "tree":
		return "tree", size, nil
	case "commit":
		return "commit", size, nil
	case "tag":
		return "tag", size, nil
	}
	return "", 0, fmt.Errorf("git object reader: unexpected reply %q", line)
}
