package gitstore

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// This file and its siblings (sys_darwin.go, sys_other.go) are gitstore's
// only per-OS code: a pipe for git's object reader and the stat fields
// git's index records.

// blockingPipe is a close-on-exec pipe whose ends are in blocking mode, so
// that reads from git cat-file go straight to the kernel, not through Go's
// poller.
func blockingPipe() (r, w *os.File, err error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return nil, nil, fmt.Errorf("git object reader: pipe: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "|0"), os.NewFile(uintptr(fds[1]), "|1"), nil
}

func statOf(fi fs.FileInfo) (fileStat, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStat{}, false
	}
	return fileStat{uint32(st.Dev), uint32(st.Ino), st.Uid, st.Gid, time.Unix(st.Ctim.Sec, st.Ctim.Nsec)}, true
}
