//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package local

import (
	"os"
	"time"
)

// arrived is the file's modification time where the inode's change time is not at hand.
func arrived(fi os.FileInfo) time.Time { return fi.ModTime() }
