//go:build linux || darwin || freebsd || netbsd || openbsd

package local

import "syscall"

// openFileLimit is the process's limit on open file descriptors (Go raises the soft limit to
// the hard one at start), or 0 when it cannot be read. A variable for the tests.
var openFileLimit = func() uint64 {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return 0
	}
	return uint64(l.Cur)
}
