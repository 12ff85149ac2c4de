//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package local

// openFileLimit is unknown here: connections are capped at maxConnections alone.
var openFileLimit = func() uint64 { return 0 }
