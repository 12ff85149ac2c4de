package local

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestExpiredJobLeavesNoTraceInDatabase: once the sweep has expired a job, no file of the data
// directory holds its record any more: not ream.db's free space (SQLite left a deleted row's
// bytes there until it reused the space) and not the write-ahead log's older frames. Found by
// the data-lifecycle audit: an expired job's name, tags and file names stayed in ream.db and
// ream.db-wal after its record was deleted.
func TestExpiredJobLeavesNoTraceInDatabase(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{Retention: Duration(time.Second), ExpiryPassEvery: Duration(time.Second)}, pipeline.Hooks{})
	c := defaultClient(s)
	const name, tagValue = "name-of-a-job-to-forget", "tag-value-to-forget"
	req := lineJob(name, job.OneDocPerLine)
	req.Tags = []job.Tag{{Key: "case", Value: tagValue}}
	req.UploadFiles = []string{"patient-file-to-forget.txt"}
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Uploads) != 1 {
		t.Fatalf("uploads: %+v", res.Uploads)
	}
	if err := c.Upload(ctx, res.Uploads[0].Presigned, writeTemp(t, "in", []byte("Lovely.\nAwful.\n"))); err != nil {
		t.Fatal(err)
	}
	_, j := follow(t, ctx, c, res.JobId)
	time.Sleep(time.Until(*j.ExpirationTime) + 100*time.Millisecond)
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Describe(ctx, res.JobId); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("describe after expiry: %v, want 404", err)
	}
	for _, f := range []string{"ream.db", "ream.db-wal"} {
		b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, what := range []string{res.JobId, name, tagValue, "patient-file-to-forget"} {
			if bytes.Contains(b, []byte(what)) {
				t.Errorf("%s still holds %q of the expired job", f, what)
			}
		}
	}
}
