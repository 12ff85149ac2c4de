//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package local

// lockDataDir does not lock where flock(2) is not at hand: run one `ream serve` per data
// directory.
func lockDataDir(string) (func(), error) { return func() {}, nil }
