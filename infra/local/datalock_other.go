//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package local

import "errors"

// errNoDataLock: see datalock_unix.go.
var errNoDataLock = errors.New("the data directory cannot be locked, so nothing stops a second ream serve on it")

// lockDataDir does not lock where flock(2) is not at hand: run one `ream serve` per data
// directory.
func lockDataDir(string) (func(), error) { return func() {}, nil }
