package gitstore

import (
	"bytes"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// FuzzParseTree feeds raw tree objects, as a push could carry them, to the
// strict tree parser. Whatever it accepts must be what git shows: entries
// with canonical modes, nonempty unique names, in git's order, and encoding
// them again gives back exactly the bytes read.
func FuzzParseTree(f *testing.F) {
	h := NewHash("0123456789abcdef0123456789abcdef01234567")
	enc := func(entries ...treeEntry) []byte {
		t := goGitTree(entries)
		o := &plumbing.MemoryObject{}
		if err := t.Encode(o); err != nil {
			f.Fatal(err)
		}
		r, _ := o.Reader()
		var b bytes.Buffer
		_, _ = b.ReadFrom(r)
		return b.Bytes()
	}
	f.Add(enc(treeEntry{Name: "a.json", Mode: ModeRegular, Hash: h}, treeEntry{Name: "metadata", Mode: ModeDir, Hash: h}))
	f.Add(enc(treeEntry{Name: "x", Mode: ModeRegular, Hash: h}, treeEntry{Name: "x", Mode: ModeRegular, Hash: h}))
	f.Add([]byte("100664 a\x00" + string(h[:])))
	f.Add([]byte("40000 d\x00" + string(h[:]) + "100644 d\x00" + string(h[:])))
	f.Add([]byte("100644 \x00" + string(h[:])))
	f.Add([]byte("100644 a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := parseTree(data)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for i, e := range entries {
			if e.Name == "" || seen[e.Name] {
				t.Fatalf("accepted an empty or repeated name %q", e.Name)
			}
			seen[e.Name] = true
			if i > 0 && !gitLess(entries[i-1], e) {
				t.Fatalf("accepted entries out of git's order: %q then %q", entries[i-1].Name, e.Name)
			}
		}
		if got := enc(entries...); !bytes.Equal(got, data) {
			t.Fatalf("accepted a tree that does not encode back to itself:\n%q\n%q", data, got)
		}
	})
}
