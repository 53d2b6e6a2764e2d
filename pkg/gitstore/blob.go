package gitstore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/objfile"
)

// BlobSize returns the size of a blob without reading its content when
// the storage can tell.
func (r *Repo) BlobSize(h Hash) (int64, error) {
	if _, size, ok, err := r.catSize(h); ok {
		return size, err
	}
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

// ReadBlob reads a blob of at most max bytes; name is used in errors. A
// blob over max is refused before its content is read. Through git it
// is one lookup: the reply's header gives the size.
func (r *Repo) ReadBlob(h Hash, max int64, name string) ([]byte, error) {
	data, ok, err := r.catRead(plumbing.BlobObject, h, max)
	if ok {
		var big *tooLarge
		if errors.As(err, &big) {
			return nil, fmt.Errorf("%s: %w (%d bytes, limit %d)", name, ErrTooLarge, big.size, max)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return data, nil
	}
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
	data, err = io.ReadAll(io.LimitReader(rd, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: %w", name, ErrTooLarge)
	}
	return data, nil
}

// OpenBlob streams a blob. Close the reader: through git, it holds a
// reader process until then.
func (r *Repo) OpenBlob(h Hash) (io.ReadCloser, int64, error) {
	if rc, size, ok, err := r.catStream(h); ok {
		return rc, size, err
	}
	if rc, size, ok, err := r.openLoose(h); ok {
		return rc, size, err
	}
	o, err := r.r.Storer.EncodedObject(plumbing.BlobObject, plumbing.Hash(h))
	if err != nil {
		return nil, 0, err
	}
	rd, err := o.Reader()
	return rd, o.Size(), err
}

// openLoose streams a loose blob straight from its file (ok false when
// there is no such file): go-git's object storage inflates a loose object
// whole into memory before handing out a reader.
func (r *Repo) openLoose(h Hash) (rc io.ReadCloser, size int64, ok bool, err error) {
	dir, err := r.objectsDir()
	if err != nil {
		return nil, 0, false, nil
	}
	hex := h.String()
	f, err := os.Open(filepath.Join(dir, hex[:2], hex[2:]))
	if err != nil {
		return nil, 0, false, nil
	}
	zr, err := objfile.NewReader(f)
	if err != nil {
		f.Close()
		return nil, 0, true, fmt.Errorf("object %s: %w", hex, err)
	}
	typ, size, err := zr.Header()
	if err == nil && typ != plumbing.BlobObject {
		err = plumbing.ErrObjectNotFound // as go-git and the git reader say
	}
	if err != nil {
		zr.Close()
		f.Close()
		return nil, 0, true, err
	}
	return &looseBlob{Reader: io.LimitReader(zr, size), zr: zr, f: f}, size, true, nil
}

type looseBlob struct {
	io.Reader
	zr *objfile.Reader
	f  *os.File
}

func (b *looseBlob) Close() error {
	b.zr.Close()
	return b.f.Close()
}
