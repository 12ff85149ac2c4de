package local_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/local"
)

// TestMakeFolderOverAFile: a drop rule's folder whose name (or a parent's) a file already holds
// (`cp export.txt drop/reviews` before the rule existed) cannot be made: a 409 naming the file,
// not a 500 whose details only the server log had; the folder is made once the file is moved.
func TestMakeFolderOverAFile(t *testing.T) {
	root := t.TempDir()
	objs, err := local.NewObjects(root, "http://127.0.0.1:1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	drop := filepath.Join(root, "objects", "inputs", "local", "drop") // NewObjects keeps objects under root/objects
	if err := os.MkdirAll(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(drop, "reviews"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := objs.MakeFolder(ctx, "inputs/local/drop/other/"); err != nil {
		t.Fatalf("MakeFolder beside the file: %v", err)
	}
	for prefix, file := range map[string]string{
		"inputs/local/drop/reviews/":     "inputs/local/drop/reviews is a file",
		"inputs/local/drop/reviews/sub/": "inputs/local/drop/reviews is a file",
	} {
		err := objs.MakeFolder(ctx, prefix)
		if status, _ := api.StatusOf(err); status != http.StatusConflict || !strings.Contains(api.Message(err), file) {
			t.Errorf("MakeFolder(%s) over a file: %d %q (%v); want 409 naming the file", prefix, status, api.Message(err), err)
		}
	}
	if err := os.Rename(filepath.Join(drop, "reviews"), filepath.Join(root, "objects", "moved")); err != nil {
		t.Fatal(err)
	}
	if err := objs.MakeFolder(ctx, "inputs/local/drop/reviews/"); err != nil {
		t.Fatalf("MakeFolder once the file moved: %v", err)
	}
}
