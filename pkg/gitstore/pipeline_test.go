package gitstore

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// pipelineFixture commits, packed with loose objects on top: many small
// blobs (more than pipelineDepth, so requests go out in several rounds),
// a blob over maxDrain, and nested directories.
func pipelineFixture(t *testing.T) (*Repo, string, Hash, []FileChange, []byte) {
	r, dir := newRepo(t)
	var changes []FileChange
	for i := 0; i < 3*pipelineDepth+5; i++ {
		changes = append(changes, FileChange{Path: fmt.Sprintf("d%d/e%d/f%03d", i%3, i%5, i), Data: []byte(strings.Repeat(fmt.Sprint(i), i%50+1))})
	}
	huge := bytes.Repeat([]byte("h"), 2*maxDrain+10)
	changes = append(changes, FileChange{Path: "huge", Data: huge})
	c1 := commit(t, r, ZeroHash, changes, "first")
	runGit(t, dir, "repack", "-a", "-d", "-q")
	changes = append(changes, FileChange{Path: "d1/loose", Data: []byte("loose\n")})
	c2 := commit(t, r, c1, changes[len(changes)-1:], "second")
	return r, dir, c2, changes, huge
}

// TestPipelineAgrees: a Pipeline's answers, in order, are exactly what
// ReadBlob, OpenBlob and readTree give one object at a time: content,
// missing objects, objects of another type, blobs over the limit, streams
// left unread (small, and over maxDrain), and it stays in step after each.
// Twice (the second pipeline borrows the process the first gave back),
// through git and (TUFGIT_TEST_READER=go-git) without.
func TestPipelineAgrees(t *testing.T) {
	r, _, c, changes, huge := pipelineFixture(t)
	defer r.Close()
	tr := treeAt(t, r, c)
	missing := NewHash("1111111111111111111111111111111111111111")
	type ask struct {
		h      Hash
		max    int64
		stream int // read this many bytes of a stream (-1: not a stream)
		tree   bool
	}
	var asks []ask
	for i, ch := range changes {
		if ch.Path == "huge" {
			continue // at the end
		}
		h := HashBlob(ch.Data)
		switch i % 7 {
		case 0:
			asks = append(asks, ask{h: h, max: 10, stream: -1}) // maybe over the limit
		case 1:
			asks = append(asks, ask{h: h, max: -1, stream: 3})
		case 2:
			asks = append(asks, ask{h: missing, max: 100, stream: -1})
		case 3:
			asks = append(asks, ask{h: tr.Hash, max: 1 << 20, stream: -1}) // a tree asked as a blob
		case 4:
			asks = append(asks, ask{h: tr.Hash, tree: true})
		case 5:
			asks = append(asks, ask{h: h, tree: true}) // a blob asked as a tree
		}
		asks = append(asks, ask{h: h, max: 1 << 30, stream: -1})
	}
	asks = append(asks, ask{h: HashBlob(huge), max: -1, stream: 10}, ask{h: HashBlob(huge), max: 100, stream: -1},
		ask{h: missing, tree: true}, ask{h: HashBlob(changes[0].Data), max: 1000, stream: -1})

	// One at a time.
	var want []string
	for _, a := range asks {
		want = append(want, answerOf(t, a.tree, a.stream, func() ([]treeEntry, error) { return r.readTree(a.h) },
			func() (io.Reader, int64, error) { rc, n, err := r.OpenBlob(a.h); return rc, n, err },
			func() ([]byte, error) { return r.ReadBlob(a.h, a.max, "name") }))
	}
	for _, round := range []int{1, 2} {
		t.Run(fmt.Sprintf("round=%d", round), func(t *testing.T) {
			p := r.NewPipeline()
			defer p.Close()
			if p.UsesGit() != useCatFile {
				t.Errorf("UsesGit = %v with the git reader %v", p.UsesGit(), useCatFile)
			}
			// Asked well ahead: a window of 100 requests.
			next := 0
			for i, a := range asks {
				for ; next < len(asks) && next < i+100; next++ {
					if asks[next].tree {
						p.AskTree(asks[next].h)
					} else {
						p.Ask(asks[next].h, asks[next].max, "name")
					}
				}
				if i == len(asks)-4 && useCatFile && !p.UsesGit() {
					t.Errorf("the pipeline fell back from git before the huge stream")
				}
				got := answerOf(t, a.tree, a.stream, p.NextTree, p.NextStream, p.Next)
				if got != want[i] {
					t.Fatalf("answer %d: pipeline %q, one at a time %q", i, got, want[i])
				}
			}
			if p.Pending() != 0 {
				t.Errorf("%d requests left", p.Pending())
			}
			// A stream left with more than maxDrain unread stops git: the
			// rest were read through the Repo, with the same answers.
			if p.UsesGit() {
				t.Errorf("the pipeline still uses git after a huge stream was left unread")
			}
		})
	}
}

func answerOf(t *testing.T, tree bool, stream int, nextTree func() ([]treeEntry, error), nextStream func() (io.Reader, int64, error), next func() ([]byte, error)) string {
	t.Helper()
	if tree {
		e, err := nextTree()
		return fmt.Sprintf("tree %d entries %v", len(e), err)
	}
	if stream >= 0 {
		rd, n, err := nextStream()
		if err != nil {
			return "stream: " + err.Error()
		}
		buf := make([]byte, min(int64(stream), n))
		if _, err := io.ReadFull(rd, buf); err != nil {
			t.Fatalf("stream: %v", err)
		}
		if c, ok := rd.(io.Closer); ok {
			c.Close()
		}
		return fmt.Sprintf("stream %d %q", n, buf)
	}
	data, err := next()
	return fmt.Sprintf("%q %v", data, err)
}

// TestPipelineWalkMatches: Walk (which reads each directory's
// subdirectories through a pipeline) lists exactly what git ls-tree does,
// in git's order, and reports an unreadable subdirectory after the
// entries before it, naming it.
func TestPipelineWalkMatches(t *testing.T) {
	r, dir, c, _, _ := pipelineFixture(t)
	defer r.Close()
	var got []string
	err := treeAt(t, r, c).Walk(func(e Entry) error {
		got = append(got, e.Mode.String()[1:]+" "+e.Hash.String()+"\t"+e.Path)
		return nil
	}, func(b BadName) error { return fmt.Errorf("bad name %q", b.Name) })
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range strings.Split(strings.TrimSpace(runGit(t, dir, "ls-tree", "-r", c.String())), "\n") {
		mode, rest, _ := strings.Cut(l, " ")
		_, rest, _ = strings.Cut(rest, " ")
		want = append(want, mode+" "+rest)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Walk:\n%s\ngit ls-tree -r:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A directory whose tree object is missing: the entries before it are
	// walked, then the error names it.
	sub, err := treeAt(t, r, c).Lookup("d1")
	if err != nil {
		t.Fatal(err)
	}
	bogus := NewHash("2222222222222222222222222222222222222222")
	top, err := r.readTree(treeAt(t, r, c).Hash)
	if err != nil {
		t.Fatal(err)
	}
	var entries []treeEntry
	for _, e := range top {
		if e.Hash == sub.Hash {
			e.Hash = bogus
		}
		entries = append(entries, e)
	}
	var seen []string
	p := r.NewPipeline()
	defer p.Close()
	err = treeAt(t, r, c).walkEntries(p, entries, "", func(e Entry) error {
		seen = append(seen, e.Path)
		return nil
	}, func(BadName) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "d1: tree "+bogus.String()) {
		t.Errorf("walk over a missing tree: %v", err)
	}
	if len(seen) == 0 || !strings.HasPrefix(seen[len(seen)-1], "d0/") {
		t.Errorf("entries before the missing tree were not walked: %v", seen)
	}
}
