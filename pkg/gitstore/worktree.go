package gitstore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"

	"github.com/tufgit/tufgit/pkg/atomicfile"
)

// CheckWorkTree refuses when a working-tree file that changes would write
// differs from the version in base (an uncommitted local edit that the
// change would overwrite or lose).
func (r *Repo) CheckWorkTree(base *Tree, changes []FileChange) error {
	if r.worktree == "" {
		return nil
	}
	for _, c := range changes {
		// Hashed while read: a change may write an artifact of any size.
		local, err := HashBlobFile(filepath.Join(r.worktree, filepath.FromSlash(c.Path)))
		localExists := err == nil
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: %w", c.Path, err)
		}
		e, lerr := base.Lookup(c.Path)
		inBase := lerr == nil
		if lerr != nil && !errors.Is(lerr, ErrNotExist) {
			return lerr
		}
		switch {
		case !inBase && !localExists:
		case inBase && localExists && local == e.Hash:
		case !inBase && localExists && !c.Deletes() && local == c.hash():
		default:
			return fmt.Errorf("%s: %w", c.Path, ErrDirtyWorkTree)
		}
	}
	return nil
}

// hash is the blob id the change writes.
func (c FileChange) hash() Hash {
	if c.Data != nil {
		return HashBlob(c.Data)
	}
	return c.Blob
}

// WriteWorkTree writes changes into the working tree (each file to a
// temporary name, then renamed into place) and, when stage is set, records
// them in git's index so that the tree reads as clean after a commit.
func (r *Repo) WriteWorkTree(changes []FileChange, stage bool) error {
	if r.worktree == "" {
		return nil
	}
	for _, c := range changes {
		dst := filepath.Join(r.worktree, filepath.FromSlash(c.Path))
		if c.Deletes() {
			if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			removeEmptyDirs(r.worktree, filepath.Dir(dst))
			continue
		}
		if c.Data == nil {
			if err := r.writeBlobFile(dst, c.Blob); err != nil {
				return fmt.Errorf("%s: %w", c.Path, err)
			}
			continue
		}
		if err := atomicfile.Write(dst, c.Data, 0o644); err != nil {
			return err
		}
	}
	if !stage {
		return nil
	}
	idx, err := r.r.Storer.Index()
	if err != nil {
		return err
	}
	for _, c := range changes {
		if c.Deletes() {
			_, _ = idx.Remove(c.Path)
			continue
		}
		e, err := idx.Entry(c.Path)
		if err != nil {
			e = idx.Add(c.Path)
		}
		fi, err := os.Stat(filepath.Join(r.worktree, filepath.FromSlash(c.Path)))
		if err != nil {
			return err
		}
		e.Hash = plumbing.Hash(c.hash())
		e.Mode = filemode.Regular
		e.Size = uint32(fi.Size())
		e.ModifiedAt = fi.ModTime()
		e.CreatedAt = fi.ModTime()
		if st, ok := statOf(fi); ok {
			e.Dev, e.Inode, e.UID, e.GID = st.dev, st.ino, st.uid, st.gid
			e.CreatedAt = st.ctime
		}
	}
	sort.Slice(idx.Entries, func(i, j int) bool { return idx.Entries[i].Name < idx.Entries[j].Name })
	return r.r.Storer.SetIndex(idx)
}

// writeBlobFile streams blob h into the file dst (a temporary file beside
// it, renamed into place).
func (r *Repo) writeBlobFile(dst string, h Hash) error {
	rc, size, err := r.OpenBlob(h)
	if err != nil {
		return err
	}
	defer rc.Close()
	return atomicfile.WriteFrom(dst, 0o644, true, func(w io.Writer) error {
		n, err := io.Copy(w, io.LimitReader(rc, size+1))
		if err == nil && n != size {
			err = fmt.Errorf("blob %s: %w", h, ErrShortBlob)
		}
		return err
	})
}

func removeEmptyDirs(top, dir string) {
	for dir != top && strings.HasPrefix(dir, top) {
		if err := os.Remove(dir); err != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}
