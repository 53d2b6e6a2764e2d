// Package artifacts stores artifact bytes outside git, content-addressed by
// sha256, in any gocloud.dev/blob bucket: file://, s3://, gs://, azblob://.
// (The embedded default keeps them in the git tree instead; see
// metadata-layout.) Bytes are never trusted from a store: every reader
// checks them against signed target metadata.
package artifacts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/fileblob"  // file://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/s3blob"    // s3://
	"gocloud.dev/gcerrors"

	"github.com/tufgit/tufgit/pkg/layout"
)

// ErrNotFound means the store has no object for that hash.
var ErrNotFound = errors.New("artifact not in the store")

// Store is an artifact store in a bucket.
type Store struct {
	URL    string
	bucket *blob.Bucket
}

// Open opens the store at url (as in tufgit.json's artifacts.store).
func Open(ctx context.Context, url string) (*Store, error) {
	if err := layout.ValidateStore(url); err != nil || url == "git" {
		return nil, fmt.Errorf("artifact store %q: not an object store URL", url)
	}
	b, err := blob.OpenBucket(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("artifact store %s: %w", url, err)
	}
	return &Store{URL: url, bucket: b}, nil
}

// Close closes the bucket.
func (s *Store) Close() error { return s.bucket.Close() }

// Key is the object key of an artifact: the same shape as the embedded
// store's path, without the "artifacts/" prefix.
func Key(sha256hex string) string {
	return "sha256/" + sha256hex[0:2] + "/" + sha256hex[2:4] + "/" + sha256hex
}

// ErrMismatch is bytes that are not the length or the sha256 they were
// stored under.
var ErrMismatch = errors.New("the bytes do not match their hash")

// Put stores data under its sha256, which must be sha256hex. An object
// already there with the right size is kept (content addressing).
func (s *Store) Put(ctx context.Context, sha256hex string, data []byte) error {
	return s.PutFrom(ctx, sha256hex, bytes.NewReader(data), int64(len(data)))
}

// PutFrom stores size bytes read from r under sha256hex, hashing them as
// they stream: bytes that are not size long or do not hash to sha256hex
// are ErrMismatch, and the write is abandoned, so the bucket never holds
// them. An object already there with the right size is kept without
// reading r.
func (s *Store) PutFrom(ctx context.Context, sha256hex string, r io.Reader, size int64) error {
	k := Key(sha256hex)
	if a, err := s.bucket.Attributes(ctx, k); err == nil && a.Size == size {
		return nil
	}
	// Cancelling the writer's context abandons the write.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.bucket.NewWriter(wctx, k, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("artifact store %s: %w", s.URL, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(r, size+1))
	if err == nil && n != size {
		err = fmt.Errorf("%w: %d bytes, not %d", ErrMismatch, n, size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); err == nil && got != sha256hex {
		err = fmt.Errorf("%w: sha256 %s, not %s", ErrMismatch, got[:12], sha256hex[:12])
	}
	if err != nil {
		cancel()
		w.Close()
		if errors.Is(err, ErrMismatch) {
			return fmt.Errorf("artifact store: %w", err)
		}
		return fmt.Errorf("artifact store %s: writing %s: %w", s.URL, k, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("artifact store %s: writing %s: %w", s.URL, k, err)
	}
	return nil
}

// Ping checks that the bucket exists and answers with the credentials at
// hand.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.bucket.IsAccessible(ctx)
	if err != nil {
		return fmt.Errorf("artifact store %s: %w", s.URL, err)
	}
	if !ok {
		return fmt.Errorf("artifact store %s: the bucket does not exist or is not accessible", s.URL)
	}
	return nil
}

// OpenArtifact streams an artifact and gives its stored size.
func (s *Store) OpenArtifact(ctx context.Context, sha256hex string) (io.ReadCloser, int64, error) {
	r, err := s.bucket.NewReader(ctx, Key(sha256hex), nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, 0, fmt.Errorf("%s: %w", Key(sha256hex), ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("artifact store %s: %w", s.URL, err)
	}
	return r, r.Size(), nil
}
