//go:build unix

package local

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ream-dev/ream/shared/pipeline"
)

// TestInputsFolderFollowsTheUmask: objects/inputs, which the drop watcher makes at start, is a
// folder under objects/ too, so it is 0777 less the umask, as the README says (found from
// outside: 0755 under umask 002, beside 0775 for every other folder of objects/).
func TestInputsFolderFollowsTheUmask(t *testing.T) {
	old := syscall.Umask(0o002)
	defer syscall.Umask(old)
	s := startStack(t, Config{}, pipeline.Hooks{})
	fi, err := os.Stat(filepath.Join(s.cfg.DataDir, "objects", "inputs"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o775 {
		t.Errorf("objects/inputs: mode %v; want -rwxrwxr-x (0777 less the umask 002)", got)
	}
}
