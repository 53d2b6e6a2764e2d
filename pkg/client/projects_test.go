package client_test

import (
	"errors"
	"testing"

	"github.com/tufgit/tufgit/pkg/client"
)

func TestParsePattern(t *testing.T) {
	names := []string{"hello", "hello-world", "hyper", "pyutils", "lib1"}
	cases := []struct {
		pattern string
		want    []string
	}{
		{"", names},
		{"hello", []string{"hello", "hello-world"}},
		{"HELLO_w", []string{"hello-world"}},
		{"o.w", []string{"hello-world"}},
		{"h*", []string{"hello", "hello-world", "hyper"}},
		{"*s", []string{"pyutils"}},
		{"lib?", []string{"lib1"}},
		{"[hp]y*", []string{"hyper", "pyutils"}},
		{"nosuch", nil},
	}
	for _, c := range cases {
		m, err := client.ParsePattern(c.pattern)
		if err != nil {
			t.Errorf("ParsePattern(%q): %v", c.pattern, err)
			continue
		}
		var got []string
		for _, n := range names {
			if m(n) {
				got = append(got, n)
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("ParsePattern(%q) matches %v, want %v", c.pattern, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("ParsePattern(%q) matches %v, want %v", c.pattern, got, c.want)
				break
			}
		}
	}
	for _, bad := range []string{"a/b", "[", "ü", "a b", "x]", string(make([]byte, 200))} {
		if _, err := client.ParsePattern(bad); !errors.Is(err, client.ErrBadPattern) {
			t.Errorf("ParsePattern(%q) = %v, want ErrBadPattern", bad, err)
		}
	}
}
