//go:build unix

package local

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDatabaseIsPrivate: a new database, and the -wal and -shm files beside it, are readable
// by the server's user alone (it holds webhook URLs, whose secret paths and tokens are never
// logged, and every job's record); it was 0644 under the usual umask 022.
func TestDatabaseIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "ream.db")
	db, err := OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS probe (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v; want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
}
