package gitstore

import (
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
)

// BlobSize returns the size of a blob without reading its content when
// the storage can tell.
func (r *Repo) BlobSize(h Hash) (int64, error) {
	if s, ok := r.r.Storer.(interface {
		EncodedObjectSize(plumbing.Hash) (int64, error)
	}); ok {
		if n, err := s.EncodedObjectSize(plumbing.Hash(h)); err == nil {
			return n, nil
		}
	}
	o, err := r.r.Storer.EncodedObject(plumbing.BlobObject, plumbing.Hash(h))
	if err != nil {
		return 0, err
	}
	return o.Size(), nil
}

// ReadBlob reads a blob of at most max bytes; name is used in errors.
func (r *Repo) ReadBlob(h Hash, max int64, name string) ([]byte, error) {
	size, err := r.BlobSize(h)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if size > max {
		return nil, fmt.Errorf("%s: %w (%d bytes, limit %d)", name, ErrTooLarge, size, max)
	}
	o, err := r.r.Storer.EncodedObject(plumbing.BlobObject, plumbing.Hash(h))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer rd.Close()
	data, err := io.ReadAll(io.LimitReader(rd, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: %w", name, ErrTooLarge)
	}
	return data, nil
}

// OpenBlob streams a blob.
func (r *Repo) OpenBlob(h Hash) (io.ReadCloser, int64, error) {
	o, err := r.r.Storer.EncodedObject(plumbing.BlobObject, plumbing.Hash(h))
	if err != nil {
		return nil, 0, err
	}
	rd, err := o.Reader()
	return rd, o.Size(), err
}
