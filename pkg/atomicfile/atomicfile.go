// Package atomicfile writes a file so that readers see the old content or
// the new, never a part: to a temporary file beside it, then renamed into
// place. It is tufgit's one copy of that step (the working tree, the
// mirror, the web pages, the downloader's cache and output, hooks).
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write writes data to path with mode perm, creating parent directories
// as needed, and syncs it to disk before the rename and the directory after
// it: after Write returns, a crash leaves the new content.
func Write(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, true)
}

// WriteUnsynced is Write without the sync, for files that are rebuilt
// when lost (the web pages): still never half-written, but a crash may
// leave the old content.
func WriteUnsynced(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, false)
}

func write(path string, data []byte, perm os.FileMode, sync bool) error {
	return WriteFrom(path, perm, sync, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFrom is Write for content that streams: fill writes it into the
// temporary file (a download, hashed as it arrives). When fill fails,
// path is left as it was. sync says whether to sync before the rename.
func WriteFrom(path string, perm os.FileMode, sync bool, fill func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if sync {
		// The rename is an entry in the directory: until the directory
		// is synced too, a crash may bring back the old name.
		return syncDir(filepath.Dir(path))
	}
	return nil
}
