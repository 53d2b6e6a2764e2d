package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --maintainer NAME=KEY where KEY may itself contain '='.
func TestSplitMaintainerSpec(t *testing.T) {
	dir := t.TempDir()
	odd := filepath.Join(dir, "a=b.pub") // a key file whose name holds '='
	os.WriteFile(odd, []byte("x"), 0o644)
	mod := "/usr/lib/softhsm/libsofthsm2.so"
	p11 := "pkcs11:token=tufgit;object=alice?module-path=" + mod
	cases := []struct{ spec, name, ref string }{
		{"alice.pub", "alice", "alice.pub"},
		{"alice=alice.pub", "alice", "alice.pub"},
		{"Alice Liddell=keys/a.pub", "Alice Liddell", "keys/a.pub"},
		{"bob (laptop)=../bob.pub", "bob (laptop)", "../bob.pub"},
		// A URI that holds '=' is one key, labelled after its object.
		{p11, "alice", p11},
		{"pkcs11:token=t;id=%01?module-path=" + mod, "pkcs11 key", "pkcs11:token=t;id=%01?module-path=" + mod},
		// NAME= before such a URI splits on the first '=' only.
		{"al=" + p11, "al", p11},
		{"ssh-agent:SHA256:abc=", "ssh-agent key", "ssh-agent:SHA256:abc="},
		{"carol=ssh-agent:SHA256:abc=", "carol", "ssh-agent:SHA256:abc="},
		{"awskms:///alias/k=v", "k=v", "awskms:///alias/k=v"},
		{"dave=awskms:///alias/dave", "dave", "awskms:///alias/dave"},
		// An existing file named with '=' is the file, not NAME=KEY.
		{odd, "a=b", odd},
		// A left part that looks like a path is not a name.
		{"dir/x=y.pub", "x=y", "dir/x=y.pub"},
	}
	for _, c := range cases {
		name, ref, err := splitMaintainerSpec(c.spec)
		if err != nil || name != c.name || ref != c.ref {
			t.Errorf("%q: got (%q, %q, %v), want (%q, %q)", c.spec, name, ref, err, c.name, c.ref)
		}
	}
	for spec, want := range map[string]string{"": "empty", "alice=": `no key after "alice="`} {
		if _, _, err := splitMaintainerSpec(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", spec, err, want)
		}
	}
}
