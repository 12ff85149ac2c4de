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
	"github.com/ream-dev/ream/shared/pipeline/accesskeys"
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

// TestAccessKeySecretsArePrivate: the issued access keys (accesskeys.Prefix: each object holds
// a secret that signs requests as its tenant) are readable by the server's user alone whatever
// the umask, as ream.db and the signing secrets are, and a store an earlier version left them
// readable in is made private when opened (found in review: `ream keys issue` wrote them 0644 in
// a 0755 folder under the usual umask 022).
func TestAccessKeySecretsArePrivate(t *testing.T) {
	old := syscall.Umask(0o002)
	defer syscall.Umask(old)
	root := t.TempDir()
	secret := []byte("0123456789abcdef0123456789abcdef")
	objs, err := local.NewObjects(root, "http://127.0.0.1:1", secret)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	keys := accesskeys.New(objs)
	k, err := keys.Issue(ctx, "team-a")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "objects", "access-keys")
	file := filepath.Join(dir, k.AccessKeyId+".json")
	check := func(when string) {
		t.Helper()
		for p, want := range map[string]os.FileMode{dir: 0o700, file: 0o600} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s: %s has mode %v; want %v", when, p, got, want)
			}
		}
	}
	check("issued")

	// As an earlier version left them: opening the store makes them private again.
	if err := os.Chmod(dir, 0o775); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, 0o664); err != nil {
		t.Fatal(err)
	}
	if _, err := local.NewObjects(root, "http://127.0.0.1:1", secret); err != nil {
		t.Fatal(err)
	}
	check("reopened")
	if got, err := keys.Get(ctx, k.AccessKeyId); err != nil || got != k {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, k)
	}
}
