package chaos

import "testing"

// TestBuildOutsideGit: the harness builds ream in a clone git will not read (GIT_DIR naming no
// repository stands for one owned by another user: git exits 128 either way), whatever the
// machine's go env says (-buildvcs=auto, go's default, in GOFLAGS); go build failed there with
// "error obtaining VCS status" where the machine had no GOFLAGS=-buildvcs=false, and with it the
// fault harness and the local stack's restart tests.
func TestBuildOutsideGit(t *testing.T) {
	t.Setenv("GOFLAGS", "-buildvcs=auto")
	t.Setenv("GIT_DIR", t.TempDir())
	if _, err := Build(t.Context(), t.TempDir()); err != nil {
		t.Fatal(err)
	}
}
