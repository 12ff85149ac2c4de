package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOpenDBSaysWhatToDo: a database ream serve cannot use is refused naming the file, what is
// wrong with it and what the operator must do; OpenDB said only "migrate: file is not a
// database (26)" or "migrate: unable to open database file (14)" (found from outside, on a
// damaged ream.db and on a data directory of another user's).
func TestOpenDBSaysWhatToDo(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(path string) error
		want    []string
	}{
		{"not a database", func(p string) error {
			return os.WriteFile(p, []byte(strings.Repeat("garbage!", 4096)), 0o600)
		}, []string{"file is not a database", "is damaged", "restore the data directory from a copy"}},
		{"a folder in its place", func(p string) error { return os.Mkdir(p, 0o700) }, []string{"is a directory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ream.db")
			if err := tc.prepare(path); err != nil {
				t.Fatal(err)
			}
			db, err := OpenDB(path)
			if err == nil {
				db.Close()
				t.Fatal("OpenDB succeeded")
			}
			for _, w := range append(tc.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestStorageAdvice: the storage failures an operator must act on each get their advice, and
// any other error none (it is a request's, not the data directory's).
func TestStorageAdvice(t *testing.T) {
	full := &fs.PathError{Op: "write", Path: "/data/objects/x", Err: syscall.ENOSPC}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{full, "file system is full"},
		{fmt.Errorf("write shard results: %w", full), "file system is full"},
		{&fs.PathError{Op: "open", Path: "/data/ream.db", Err: syscall.EACCES}, "cannot write its data directory"},
		{&fs.PathError{Op: "open", Path: "/data/ream.db", Err: syscall.EROFS}, "cannot write its data directory"},
		{errors.New("job not found"), ""},
		{nil, ""},
	} {
		got := StorageAdvice(tc.err)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("StorageAdvice(%v) = %q; want %q", tc.err, got, tc.want)
		}
	}
}
