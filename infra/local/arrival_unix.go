//go:build linux || darwin || freebsd || netbsd || openbsd

package local

import (
	"os"
	"syscall"
	"time"
)

// arrived is when a file came to be where it is: the later of its modification time and its
// inode's change time. Copies that keep the source's time (`cp -p`, `rsync -a`, `mv` from
// another folder) carry an old modification time; the change time, which no tool can set, is
// when the file was created or moved in.
// A modification time in the future (a copy off a machine whose clock runs ahead) is ignored.
func arrived(fi os.FileInfo) time.Time {
	t := fi.ModTime()
	if t.After(time.Now()) {
		t = time.Time{}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if c := ctime(st); c.After(t) {
			t = c
		}
	}
	return t
}
