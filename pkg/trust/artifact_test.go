package trust_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/tufgit/tufgit/pkg/trust"
)

// VerifyArtifact must agree with go-tuf's VerifyLengthHashes on every
// input: the same artifact passes, any change of length or content fails.
func TestVerifyArtifactAgreesWithGoTUF(t *testing.T) {
	data := bytes.Repeat([]byte("tufgit artifact "), 40000) // 640 KB: many reads
	tf, err := metadata.TargetFile().FromBytes("p/1/p.tar.gz", data, "sha256", "sha512")
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 1
	cases := map[string][]byte{
		"same":    data,
		"flipped": flipped,
		"shorter": data[:len(data)-1],
		"longer":  append(append([]byte(nil), data...), 'x'),
		"empty":   nil,
		"doubled": append(append([]byte(nil), data...), data...),
	}
	for name, in := range cases {
		want := tf.VerifyLengthHashes(in)
		got := trust.VerifyArtifact(tf, iotest.OneByteReader(bytes.NewReader(in)))
		if (got == nil) != (want == nil) {
			t.Errorf("%s: VerifyArtifact = %v, go-tuf = %v", name, got, want)
		}
	}
	// Only one hash listed: the other is not required.
	only256, _ := metadata.TargetFile().FromBytes("p", data, "sha256")
	if err := trust.VerifyArtifact(only256, bytes.NewReader(data)); err != nil {
		t.Errorf("sha256 only: %v", err)
	}
	only256.Hashes["sha256"][0] ^= 1
	if err := trust.VerifyArtifact(only256, bytes.NewReader(data)); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("a wrong sha256 alone: %v", err)
	}
	// A read error is reported, not taken for a short artifact.
	boom := errors.New("disk on fire")
	if err := trust.VerifyArtifact(tf, iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
	bad := &metadata.TargetFiles{Length: 1, Hashes: metadata.Hashes{"md5": []byte{1}}}
	if err := trust.VerifyArtifact(bad, bytes.NewReader([]byte("x"))); err == nil {
		t.Error("an unknown hash algorithm passed")
	}
}

// The stream is not read beyond one byte past the signed length.
func TestVerifyArtifactStopsReading(t *testing.T) {
	tf, _ := metadata.TargetFile().FromBytes("p", []byte("abc"), "sha256")
	r := &countingReader{}
	if err := trust.VerifyArtifact(tf, r); err == nil {
		t.Fatal("an endless stream passed")
	}
	if r.n > 4 {
		t.Fatalf("read %d bytes of an endless stream for a 3-byte target", r.n)
	}
}

type countingReader struct{ n int }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	c.n += len(p)
	return len(p), nil
}
