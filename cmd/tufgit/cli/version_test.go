package cli

import "testing"

func TestBuildInfoShort(t *testing.T) {
	cases := []struct {
		b    BuildInfo
		want string
	}{
		{BuildInfo{Version: "v1.2.3", Revision: "abcdef0123456789", Modified: true, GoVersion: "go1.26.1"}, "tufgit v1.2.3 (abcdef012345, modified), go1.26.1"},
		{BuildInfo{Version: "(devel)", Revision: "abc", GoVersion: "go1.26.1"}, "tufgit (devel) (abc), go1.26.1"},
		{BuildInfo{Version: "(devel)", GoVersion: "go1.26.1"}, "tufgit (devel), go1.26.1"},
	}
	for _, c := range cases {
		if got := c.b.Short(); got != c.want {
			t.Errorf("Short() = %q, want %q", got, c.want)
		}
	}
	if b := ReadBuildInfo(); b.GoVersion == "" || b.Version == "" || b.Platform == "" {
		t.Errorf("ReadBuildInfo() = %+v: empty fields", b)
	}
}
