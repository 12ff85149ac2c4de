//go:build linux || darwin || freebsd || netbsd || openbsd

package local

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockDataDir takes the data directory for this process: an exclusive advisory lock on its
// file ream.lock, held until release (or the process's end: the kernel drops it then, so a
// killed server never leaves it behind). A second `ream serve` on the same directory would
// share its database and delete the first's temporary files (found from outside: a second
// server on one directory made the first's shards fail on vanished files), so it is refused.
func lockDataDir(dir string) (release func(), err error) {
	p := filepath.Join(dir, "ream.lock")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(p)
		f.Close()
		if errors.Is(err, syscall.ENOLCK) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EOPNOTSUPP) {
			// a file system without locks (some NFS or FUSE mounts): run unlocked, and say so
			return func() {}, fmt.Errorf("%w: %s: %v", errNoDataLock, dir, err)
		}
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := ""
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = fmt.Sprintf(" (pid %d)", pid)
			}
			return nil, fmt.Errorf("data directory %s is in use by another ream serve%s: stop it, or give this one another data directory", dir, holder)
		}
		return nil, fmt.Errorf("lock data directory %s: %w", dir, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil // closing the file drops the lock
}
