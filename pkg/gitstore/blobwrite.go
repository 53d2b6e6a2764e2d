package gitstore

import (
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// ErrShortBlob is a blob source that ended before, or went on past, the
// length it was declared with (a file that changed while it was read).
var ErrShortBlob = errors.New("the data is not the length it was declared with")

// WriteBlobFrom writes exactly size bytes read from src as a loose blob
// and returns its id. The bytes stream through zlib into a temporary file
// in the object directory, renamed to the object's name at the end, so an
// artifact of any size costs a buffer, not its size in memory (go-git's
// own object writer holds the whole object). A src that ends early or has
// more than size bytes is ErrShortBlob, and nothing is stored.
func (r *Repo) WriteBlobFrom(src io.Reader, size int64) (Hash, error) {
	if size < 0 {
		return ZeroHash, fmt.Errorf("blob of negative size %d", size)
	}
	dir, err := r.objectsDir()
	if err != nil {
		return ZeroHash, err
	}
	f, err := os.CreateTemp(dir, "tmp_obj_")
	if err != nil {
		return ZeroHash, err
	}
	tmp := f.Name()
	keep := false
	defer func() {
		if !keep {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// git's loose object format: zlib of "blob SIZE\x00" and the bytes,
	// named by the SHA-1 of the same. Compressed at git's default level
	// for loose objects (core.looseCompression: best speed).
	zw, err := zlib.NewWriterLevel(f, zlib.BestSpeed)
	if err != nil {
		return ZeroHash, err
	}
	hasher := plumbing.NewHasher(plumbing.BlobObject, size)
	if _, err := zw.Write(plumbing.BlobObject.Bytes()); err != nil {
		return ZeroHash, err
	}
	if _, err := fmt.Fprintf(zw, " %d\x00", size); err != nil {
		return ZeroHash, err
	}
	n, err := io.Copy(io.MultiWriter(zw, hasher), io.LimitReader(src, size+1))
	switch {
	case err != nil:
		return ZeroHash, err
	case n > size:
		return ZeroHash, fmt.Errorf("%w: more than %d bytes", ErrShortBlob, size)
	case n < size:
		return ZeroHash, fmt.Errorf("%w: %d bytes, not %d", ErrShortBlob, n, size)
	}
	if err := zw.Close(); err != nil {
		return ZeroHash, err
	}
	h := Hash(hasher.Sum())
	if err := f.Sync(); err != nil {
		return ZeroHash, err
	}
	if err := f.Close(); err != nil {
		return ZeroHash, err
	}
	hex := h.String()
	dst := filepath.Join(dir, hex[:2], hex[2:])
	if _, err := os.Lstat(dst); err == nil {
		os.Remove(tmp) // content addressed: the object is there already
		keep = true
		return h, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return ZeroHash, err
	}
	if err := os.Chmod(tmp, 0o444); err != nil {
		return ZeroHash, err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return ZeroHash, err
	}
	keep = true
	return h, nil
}

// objectsDir is where loose objects go: the objects directory of the
// repository, or of the common directory of a linked worktree.
func (r *Repo) objectsDir() (string, error) {
	common := r.gitDir
	if data, err := os.ReadFile(filepath.Join(r.gitDir, "commondir")); err == nil {
		c := strings.TrimSpace(string(data))
		if !filepath.IsAbs(c) {
			c = filepath.Join(r.gitDir, c)
		}
		common = c
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	return filepath.Join(common, "objects"), nil
}

// HashBlobFile is the git blob id of the file at p, hashed while read.
func HashBlobFile(p string) (Hash, error) {
	f, err := os.Open(p)
	if err != nil {
		return ZeroHash, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ZeroHash, err
	}
	h := plumbing.NewHasher(plumbing.BlobObject, fi.Size())
	n, err := io.Copy(h, f)
	if err != nil {
		return ZeroHash, err
	}
	if n != fi.Size() {
		return ZeroHash, fmt.Errorf("%s: %w", p, ErrShortBlob)
	}
	return Hash(h.Sum()), nil
}
