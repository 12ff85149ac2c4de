//go:build !(linux && (amd64 || arm64))

package local

import "os"

// startWriteback is a no-op where sync_file_range is not available: Sync does all the work.
func startWriteback(f *os.File, off, n int64) {}
