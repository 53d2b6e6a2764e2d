package repo

import (
	"testing"

	"github.com/tufgit/tufgit/pkg/layout"
)

// A commit subject says what the request does, cut before details and
// before the requester's own words (a yank's reason).
func TestRequestSubject(t *testing.T) {
	r := &layout.Request{Kind: "release-yank"}
	for _, c := range []struct {
		items []ChangeItem
		want  string
	}{
		{[]ChangeItem{{Kind: ItemYank, Text: `yanks release 0.9.0 of hello (reason: "leaks memory; use 1.0.0")`}}, "yanks release 0.9.0 of hello"},
		{[]ChangeItem{{Kind: ItemYank, Text: `yanks release 0.9.0 of hello (reason: "a: b")`}}, "yanks release 0.9.0 of hello"},
		{[]ChangeItem{{Kind: ItemRelease, Text: "adds release 2.0 of hello: hello-2.0.tar.gz, 10 bytes"}, {Kind: ItemVersion, Text: "hello: version 1 → 2"}}, "adds release 2.0 of hello"},
		{[]ChangeItem{{Kind: ItemVersion, Text: "hello: version 1 → 2"}}, "release yank"},
	} {
		if got := requestSubject(r, c.items); got != c.want {
			t.Errorf("requestSubject(%q) = %q, want %q", c.items[0].Text, got, c.want)
		}
	}
}
