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
	sums := make(map[string]hash.Hash, len(tf.Hashes))
	writers := make([]io.Writer, 0, len(tf.Hashes))
	for alg := range tf.Hashes {
		var h hash.Hash
		switch alg {
		case "sha256":
			h = sha256.New()
		case "sha512":
			h = sha512.New()
		default:
			return fmt.Errorf("hash verification failed - unknown hashing algorithm - %s", alg)
		}
		sums[alg] = h
		writers = append(writers, h)
	}
	n, err := io.Copy(io.MultiWriter(writers...), io.LimitReader(r, tf.Length+1))
	if err != nil {
		return fmt.Errorf("reading the artifact: %w", err)
	}
	if n != tf.Length {
		if n > tf.Length {
			return fmt.Errorf("length verification failed - expected %d, got more", tf.Length)
		}
		return fmt.Errorf("length verification failed - expected %d, got %d", tf.Length, n)
	}
	for _, alg := range []string{"sha256", "sha512"} {
		h, ok := sums[alg]
		if ok && subtle.ConstantTimeCompare(h.Sum(nil), tf.Hashes[alg]) != 1 {
			return fmt.Errorf("hash verification failed - mismatch for algorithm %s", alg)
		}
	}
	return nil
}
