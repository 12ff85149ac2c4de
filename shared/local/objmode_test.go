//go:build unix

package local_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ream-dev/ream/shared/local"
)

// TestObjectsFollowTheUmask: the files under objects/ (uploads, outputs, drop folders) and
// their folders are created as the umask lets them be, as the README says, so that other
// accounts can be let into drop folders (found from outside: every object was 0600 and every
// folder 0755 under umask 002, as os.CreateTemp makes them).
func TestObjectsFollowTheUmask(t *testing.T) {
	old := syscall.Umask(0o002)
	defer syscall.Umask(old)
	root := t.TempDir()
	objs, err := local.NewObjects(root, "http://127.0.0.1:1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := objs.Put(ctx, "inputs/local/drop/r/a.txt", strings.NewReader("a\n")); err != nil {
		t.Fatal(err)
	}
	if err := objs.Compose(ctx, "outputs/local/j/output", []string{"inputs/local/drop/r/a.txt"}); err != nil {
		t.Fatal(err)
	}
	if err := objs.MakeFolder(ctx, "inputs/local/drop/s/"); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "objects")
	for p, want := range map[string]os.FileMode{
		"inputs/local/drop/r/a.txt": 0o664, "outputs/local/j/output": 0o664,
		"inputs/local/drop/r": 0o775, "outputs/local/j": 0o775, "inputs/local/drop/s": 0o775,
	} {
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v; want %v (0666 or 0777 less the umask 002)", p, got, want)
		}
	}
}
