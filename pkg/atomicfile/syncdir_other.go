//go:build !unix

package atomicfile

// syncDir: Windows cannot open a directory for fsync; NTFS journals the
// rename itself.
func syncDir(string) error { return nil }
