//go:build linux && (amd64 || arm64)

package local

import (
	"os"
	"syscall"
)

// startWriteback asks the kernel to start writing the file's bytes [off, off+n) to disk now,
// without waiting (sync_file_range with SYNC_FILE_RANGE_WRITE). It is only a hint that
// shortens the Sync that makes the object durable: the disk writes while the rest of the object
// arrives, instead of all of them after it. Errors are ignored; Sync reports real ones.
func startWriteback(f *os.File, off, n int64) {
	const syncFileRangeWrite = 2 // SYNC_FILE_RANGE_WRITE
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_, _, _ = syscall.Syscall6(syscall.SYS_SYNC_FILE_RANGE, fd, uintptr(off), uintptr(n), syncFileRangeWrite, 0, 0)
	})
}
