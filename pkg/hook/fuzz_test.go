package hook

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseUpdates feeds the pre-receive hook's standard input. Whatever it
// accepts is one update per nonblank line, each with two 40-hex object ids
// and a ref under refs/, and no more than MaxUpdates of them.
func FuzzParseUpdates(f *testing.F) {
	z := strings.Repeat("0", 40)
	a := strings.Repeat("a", 40)
	f.Add([]byte(z + " " + a + " refs/heads/main\n"))
	f.Add([]byte(a + " " + z + " refs/tufgit/published\n" + z + " " + a + " refs/heads/requests/x\n"))
	f.Add([]byte(a + " " + z + " refs/heads/main extra\n"))
	f.Add([]byte(strings.ToUpper(a) + " " + z + " refs/heads/main\n"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ups, err := ParseUpdates(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(ups) > MaxUpdates {
			t.Fatalf("accepted %d updates", len(ups))
		}
		for _, u := range ups {
			if !strings.HasPrefix(u.Ref, "refs/") || strings.ContainsAny(u.Ref, " \t\n") {
				t.Fatalf("accepted ref %q", u.Ref)
			}
			if !isHash(u.Old.String()) || !isHash(u.New.String()) {
				t.Fatalf("accepted ids %s %s", u.Old, u.New)
			}
		}
	})
}
