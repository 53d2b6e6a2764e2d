package gitstore

import (
	"strings"
	"testing"
)

func TestHashParseAndString(t *testing.T) {
	const hex = "0123456789abcdef0123456789abcdef01234567"
	h, err := ParseHash(hex)
	if err != nil || h.String() != hex || h.IsZero() {
		t.Fatalf("ParseHash(%q) = %v, %v", hex, h, err)
	}
	if up, err := ParseHash(strings.ToUpper(hex)); err != nil || up != h {
		t.Errorf("ParseHash of upper case = %v, %v; want %v", up, err, h)
	}
	if NewHash(hex) != h {
		t.Errorf("NewHash(%q) = %v", hex, NewHash(hex))
	}
	for _, bad := range []string{"", hex[:39], hex + "0", "g" + hex[1:], "0123456789abcdef0123456789abcdef0123456 "} {
		if got, err := ParseHash(bad); err == nil {
			t.Errorf("ParseHash(%q) = %v, want an error", bad, got)
		}
	}
	if !ZeroHash.IsZero() || ZeroHash.String() != strings.Repeat("0", 40) {
		t.Errorf("ZeroHash = %v", ZeroHash)
	}
	// NewHash is lenient as git's plumbing is: junk reads as zero.
	if !NewHash("not hex").IsZero() {
		t.Errorf("NewHash of junk is not zero")
	}
}

func TestFileModeString(t *testing.T) {
	for m, want := range map[FileMode]string{ModeRegular: "0100644", ModeDir: "0040000", ModeExecutable: "0100755", ModeSymlink: "0120000", ModeSubmodule: "0160000"} {
		if m.String() != want {
			t.Errorf("%d.String() = %q, want %q", uint32(m), m.String(), want)
		}
	}
}
