package trust

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"fmt"
	"hash"
	"io"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// VerifyArtifact checks an artifact read from r against its target entry,
// as go-tuf's TargetFiles.VerifyLengthHashes does for bytes in memory, but
// hashing while reading: memory stays a buffer's worth whatever the
// artifact's size. It reads at most one byte beyond the signed length, so
// a longer stream is refused without being read to its end. The errors
// say what differs: the length, or which hash.
func VerifyArtifact(tf *metadata.TargetFiles, r io.Reader) error {
	h, err := NewArtifactHasher(tf)
	if err != nil {
		return err
	}
	if _, err := io.Copy(h, h.Limit(r)); err != nil {
		return fmt.Errorf("reading the artifact: %w", err)
	}
	return h.Check()
}

// ArtifactHasher hashes an artifact as it is written to it, for a check
// against its target entry when it ends (VerifyArtifact, or a copy that
// must not be kept unless the check passes).
type ArtifactHasher struct {
	tf      *metadata.TargetFiles
	sums    map[string]hash.Hash
	writers io.Writer
	n       int64
}

// NewArtifactHasher hashes with every algorithm tf lists (sha256, sha512).
func NewArtifactHasher(tf *metadata.TargetFiles) (*ArtifactHasher, error) {
	h := &ArtifactHasher{tf: tf, sums: make(map[string]hash.Hash, len(tf.Hashes))}
	writers := make([]io.Writer, 0, len(tf.Hashes))
	for alg := range tf.Hashes {
		var s hash.Hash
		switch alg {
		case "sha256":
			s = sha256.New()
		case "sha512":
			s = sha512.New()
		default:
			return nil, fmt.Errorf("hash verification failed - unknown hashing algorithm - %s", alg)
		}
		h.sums[alg] = s
		writers = append(writers, s)
	}
	h.writers = io.MultiWriter(writers...)
	return h, nil
}

// Limit bounds r to one byte more than the signed length: enough to see
// that a stream is too long without reading it to its end.
func (h *ArtifactHasher) Limit(r io.Reader) io.Reader { return io.LimitReader(r, h.tf.Length+1) }

func (h *ArtifactHasher) Write(p []byte) (int, error) {
	h.n += int64(len(p))
	return h.writers.Write(p)
}

// Check compares what was written with the target's length and hashes.
func (h *ArtifactHasher) Check() error {
	if h.n != h.tf.Length {
		if h.n > h.tf.Length {
			return fmt.Errorf("length verification failed - expected %d, got more", h.tf.Length)
		}
		return fmt.Errorf("length verification failed - expected %d, got %d", h.tf.Length, h.n)
	}
	for _, alg := range []string{"sha256", "sha512"} {
		s, ok := h.sums[alg]
		if ok && subtle.ConstantTimeCompare(s.Sum(nil), h.tf.Hashes[alg]) != 1 {
			return fmt.Errorf("hash verification failed - mismatch for algorithm %s", alg)
		}
	}
	return nil
}
