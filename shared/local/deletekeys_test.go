package local_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/local"
)

// DeleteKeys goes on past a key it cannot delete: the keys after it are deleted and the error
// names the failure, as the S3 adapter's does (it stopped at the first failure, leaving the rest
// of a job's work objects behind).
func TestDeleteKeysGoesOnPastAFailure(t *testing.T) {
	objs, err := local.NewObjects(t.TempDir(), "http://127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, k := range []string{"work/t/j/a", "work/t/j/b"} {
		if err := objs.Put(ctx, k, strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	err = objs.DeleteKeys(ctx, []string{"work/t/j/a", "../escape", "work/t/j/b"})
	if !errors.Is(err, job.ErrInvalid) {
		t.Errorf("DeleteKeys = %v, want the invalid key's ErrInvalid", err)
	}
	for _, k := range []string{"work/t/j/a", "work/t/j/b"} {
		if _, err := objs.Open(ctx, k, 0); !errors.Is(err, job.ErrNotFound) {
			t.Errorf("Open(%s) after DeleteKeys = %v, want ErrNotFound (deleted)", k, err)
		}
	}
}
