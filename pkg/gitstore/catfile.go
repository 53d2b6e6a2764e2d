package gitstore

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// Reading objects through git itself. go-git decodes a pack's whole index
// when it first reads from the pack (a cost that grows with the
// repository: 0.05-0.24 s at 100,000 projects) and, by default, reopens the
// pack file for every object. A `git cat-file --batch-command` process
// maps the index and looks objects up in it, keeps the pack open and
// caches delta bases, so a short-lived process (the pre-receive hook)
// pays the same to read a few objects at any repository size, and a full
// verify reads a small object for about 30 us of CPU. When git is not
// installed or can not serve the repository, reads go through go-git.

// useCatFile is whether a Repo reads through git when git is installed.
// Tests switch it off to check both readers.
var useCatFile = true

// maxDrain is how much of an oversized object a reader skips to stay in
// step with git; beyond it, the process is stopped instead (and a new one
// started for the next read).
const maxDrain = 1 << 20

// catFilePool hands out git cat-file processes, one per concurrent reader.
type catFilePool struct {
	gitDir string
	env    []string

	mu     sync.Mutex
	idle   []*catFile
	broken error // git can not serve this repository: read through go-git
	closed bool
}

type catFile struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	w   *bufio.Writer
	out *bufio.Reader

	outFile *os.File
	// answered is set once git has replied to a command: a process that
	// dies before its first reply could not run (a git too old for
	// --batch-command, a repository git refuses), and reads fall back to
	// go-git.
	answered bool
}

// errNoReader is a git process that could not serve its first command.
var errNoReader = errors.New("git cat-file could not start")

// catFileEnv is the environment for git: the process's own, without what
// would point git at another repository. keepObjectDirs keeps a
// pre-receive hook's quarantine (GIT_OBJECT_DIRECTORY and
// GIT_ALTERNATE_OBJECT_DIRECTORIES), for OpenReceiving.
func catFileEnv(keepObjectDirs bool) []string {
	drop := map[string]bool{"GIT_DIR": true, "GIT_WORK_TREE": true, "GIT_INDEX_FILE": true,
		"GIT_COMMON_DIR": true, "GIT_NAMESPACE": true, "GIT_CEILING_DIRECTORIES": true, "GIT_PREFIX": true,
		"GIT_REPLACE_REF_BASE": true}
	if !keepObjectDirs {
		drop["GIT_OBJECT_DIRECTORY"] = true
		drop["GIT_ALTERNATE_OBJECT_DIRECTORIES"] = true
		drop["GIT_QUARANTINE_PATH"] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !drop[k] {
			env = append(env, kv)
		}
	}
	// Objects as stored: no replace refs, no lazy fetching.
	return append(env, "GIT_NO_REPLACE_OBJECTS=1", "GIT_NO_LAZY_FETCH=1")
}

func newCatFilePool(gitDir string, keepObjectDirs bool) *catFilePool {
	if !useCatFile {
		return nil
	}
	return &catFilePool{gitDir: gitDir, env: catFileEnv(keepObjectDirs)}
}

// get returns an idle process or starts one; nil, nil means read through
// go-git (git is not installed).
func (p *catFilePool) get() (*catFile, error) {
	if p == nil {
		return nil, nil
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("git object reader: repository closed")
	}
	if p.broken != nil {
		p.mu.Unlock()
		return nil, nil
	}
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	c, err := startCatFile(p.gitDir, p.env)
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			p.mu.Lock()
			p.broken = err
			p.mu.Unlock()
			return nil, nil
		}
		return nil, err
	}
	return c, nil
}

// fail handles a process that failed a command: when it never answered,
// git can not serve this repository and the pool falls back to go-git
// for good (fallback is true).
func (p *catFilePool) fail(c *catFile, err error) (fallback bool) {
	c.close()
	if !errors.Is(err, errNoReader) {
		return false
	}
	p.mu.Lock()
	if p.broken == nil {
		p.broken = err
	}
	p.mu.Unlock()
	return true
}

// put returns a process that is in step (nothing left to read) to the
// pool. Up to two per core stay, so that parallel readers (one per core)
// do not start and stop processes in turn.
func (p *catFilePool) put(c *catFile) {
	p.mu.Lock()
	if p.closed || len(p.idle) >= 2*runtime.GOMAXPROCS(0)+2 {
		p.mu.Unlock()
		c.close()
		return
	}
	p.idle = append(p.idle, c)
	p.mu.Unlock()
}

func (p *catFilePool) close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}

func startCatFile(gitDir string, env []string, extra ...string) (*catFile, error) {
	// Blocking pipes, not os/exec's: a read then waits in the kernel for
	// git's reply instead of going through Go's poller, which halves the
	// cost of a small object's round trip.
	inR, inW, err := blockingPipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := blockingPipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := exec.Command("git", append([]string{"--git-dir=" + gitDir, "cat-file", "--batch-command"}, extra...)...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout = inR, outW
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("git object reader: %w", err)
	}
	return &catFile{cmd: cmd, in: inW, w: bufio.NewWriter(inW), out: bufio.NewReaderSize(outR, 64<<10), outFile: outR}, nil
}

func (c *catFile) close() {
	c.in.Close()
	c.outFile.Close()
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}

// header sends a command for h and reads the object's type and size.
// Missing is plumbing.ErrObjectNotFound, as go-git says it.
func (c *catFile) header(cmd string, h Hash) (typ string, size int64, err error) {
	if _, err := fmt.Fprintf(c.w, "%s %s\n", cmd, h); err != nil {
		return "", 0, err
	}
	if err := c.w.Flush(); err != nil {
		if !c.answered {
			return "", 0, fmt.Errorf("%w: %v", errNoReader, err)
		}
		return "", 0, fmt.Errorf("git object reader: %w", err)
	}
	line, err := c.out.ReadString('\n')
	if err != nil {
		if !c.answered {
			return "", 0, fmt.Errorf("%w: %v", errNoReader, err)
		}
		return "", 0, fmt.Errorf("git object reader: %w", err)
	}
	c.answered = true
	f := strings.Fields(line)
	if len(f) == 2 && f[0] == h.String() && f[1] == "missing" {
		return "", 0, plumbing.ErrObjectNotFound
	}
	if len(f) != 3 || f[0] != h.String() {
		return "", 0, fmt.Errorf("git object reader: unexpected reply %q", strings.TrimSpace(line))
	}
	size, err = strconv.ParseInt(f[2], 10, 64)
	if err != nil || size < 0 {
		return "", 0, fmt.Errorf("git object reader: unexpected reply %q", strings.TrimSpace(line))
	}
	return f[1], size, nil
}

// tooLarge is an object over the caller's limit, with its size.
type tooLarge struct{ size int64 }

func (e *tooLarge) Error() string { return fmt.Sprintf("object of %d bytes is over the limit", e.size) }

// catRead reads object h of type typ, refusing one over max bytes (max < 0:
// no limit) before reading it. A wrong type reads as missing, as in go-git.
// ok is false when git is not available and the caller must use go-git.
func (r *Repo) catRead(typ plumbing.ObjectType, h Hash, max int64) (data []byte, ok bool, err error) {
	c, err := r.cat.get()
	if err != nil {
		return nil, true, err
	}
	if c == nil {
		return nil, false, nil
	}
	t, size, err := c.header("contents", h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		r.cat.put(c)
		return nil, true, err
	}
	if err != nil {
		return nil, !r.cat.fail(c, err), err
	}
	if t != typ.String() || (max >= 0 && size > max) {
		// Skip what git sends, or stop it when that is a lot.
		if size > maxDrain {
			c.close()
		} else if _, err := c.out.Discard(int(size) + 1); err != nil {
			c.close()
		} else {
			r.cat.put(c)
		}
		if t != typ.String() {
			return nil, true, plumbing.ErrObjectNotFound
		}
		return nil, true, &tooLarge{size}
	}
	data = make([]byte, size+1)
	if _, err := io.ReadFull(c.out, data); err != nil || data[size] != '\n' {
		c.close()
		if err == nil {
			err = errors.New("reply does not end in a newline")
		}
		return nil, true, fmt.Errorf("git object reader: %s: %w", h, err)
	}
	r.cat.put(c)
	return data[:size], true, nil
}

// catSize is the type and size of object h, without reading it.
func (r *Repo) catSize(h Hash) (typ string, size int64, ok bool, err error) {
	c, err := r.cat.get()
	if err != nil {
		return "", 0, true, err
	}
	if c == nil {
		return "", 0, false, nil
	}
	t, size, err := c.header("info", h)
	if err != nil && !errors.Is(err, plumbing.ErrObjectNotFound) {
		return "", 0, !r.cat.fail(c, err), err
	}
	r.cat.put(c)
	return t, size, true, err
}

// catStream streams object h (a blob) through a process of its own until
// the reader is closed.
func (r *Repo) catStream(h Hash) (rc io.ReadCloser, size int64, ok bool, err error) {
	c, err := r.cat.get()
	if err != nil {
		return nil, 0, true, err
	}
	if c == nil {
		return nil, 0, false, nil
	}
	t, size, err := c.header("contents", h)
	if err != nil {
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			r.cat.put(c)
			return nil, 0, true, err
		}
		return nil, 0, !r.cat.fail(c, err), err
	}
	s := &catStream{pool: r.cat, c: c, left: size}
	if t != plumbing.BlobObject.String() {
		s.Close()
		return nil, 0, true, plumbing.ErrObjectNotFound
	}
	return s, size, true, nil
}

type catStream struct {
	pool *catFilePool
	c    *catFile
	left int64
	once sync.Once
}

func (s *catStream) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.c.out.Read(p)
	s.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// Close hands the process back when the rest is short, else stops it.
func (s *catStream) Close() error {
	s.once.Do(func() {
		if s.left <= maxDrain {
			if _, err := s.c.out.Discard(int(s.left)); err == nil {
				if b, err := s.c.out.ReadByte(); err == nil && b == '\n' {
					s.pool.put(s.c)
					return
				}
			}
		}
		s.c.close()
	})
	return nil
}

// catResolve resolves a revision through git, as git rev-parse would:
// go-git's resolution reads the commit through go-git, which loads the
// pack's whole index (tens of MB at 100,000 projects) for one object. ok
// is false when git is not available.
func (r *Repo) catResolve(rev string) (h Hash, ok bool, err error) {
	if rev == "" || strings.ContainsAny(rev, "\n\r\x00") {
		return ZeroHash, true, fmt.Errorf("%q: %w", rev, ErrUnknownRev)
	}
	c, err := r.cat.get()
	if err != nil {
		return ZeroHash, true, err
	}
	if c == nil {
		return ZeroHash, false, nil
	}
	info := func(name string) (oid, typ string, err error) {
		if _, err := fmt.Fprintf(c.w, "info %s\n", name); err != nil {
			return "", "", err
		}
		if err := c.w.Flush(); err != nil {
			return "", "", err
		}
		line, err := c.out.ReadString('\n')
		if err != nil {
			return "", "", err
		}
		c.answered = true
		if strings.HasSuffix(line, " missing\n") || strings.HasSuffix(line, " ambiguous\n") {
			return "", "", nil
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return "", "", fmt.Errorf("git object reader: unexpected reply %q", strings.TrimSpace(line))
		}
		return f[0], f[1], nil
	}
	oid, _, err := info(rev + "^{commit}")
	if err == nil && oid == "" {
		// Unknown, or something other than a commit.
		var typ string
		if _, typ, err = info(rev); err == nil {
			r.cat.put(c)
			if typ != "" {
				return ZeroHash, true, fmt.Errorf("%q is not a commit: %w", rev, ErrUnknownRev)
			}
			return ZeroHash, true, fmt.Errorf("%q: %w", rev, ErrUnknownRev)
		}
	}
	if err != nil {
		if !c.answered {
			err = fmt.Errorf("%w: %v", errNoReader, err)
		}
		return ZeroHash, !r.cat.fail(c, err), err
	}
	r.cat.put(c)
	h, err = ParseHash(oid)
	if err != nil {
		return ZeroHash, true, fmt.Errorf("git object reader: %w", err)
	}
	return h, true, nil
}
