package gitstore

import (
	"io/fs"
	"os"
	"syscall"
	"time"
)

// blockingPipe: macOS has no pipe2; os.Pipe sets close-on-exec itself.
func blockingPipe() (r, w *os.File, err error) { return os.Pipe() }

func statOf(fi fs.FileInfo) (fileStat, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStat{}, false
	}
	return fileStat{uint32(st.Dev), uint32(st.Ino), st.Uid, st.Gid, time.Unix(st.Ctimespec.Sec, st.Ctimespec.Nsec)}, true
}
