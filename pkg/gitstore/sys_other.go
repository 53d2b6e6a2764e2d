//go:build !linux && !darwin

package gitstore

import (
	"io/fs"
	"os"
)

// blockingPipe: os.Pipe is close-on-exec on every OS Go supports.
func blockingPipe() (r, w *os.File, err error) { return os.Pipe() }

// statOf: git's index keeps device, inode, owner and change time only on
// Unix; elsewhere it records the modification time alone, as Git for
// Windows does.
func statOf(fs.FileInfo) (fileStat, bool) { return fileStat{}, false }
