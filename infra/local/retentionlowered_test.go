package local

import (
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestRetentionLoweredBetweenRuns: jobs created with RetentionHours 720 under the default 30-day
// retention, then a restart with "retention": "24h". A job that finishes after the restart is
// kept 24 hours, not 720 (its ExpirationTime is EndTime plus the deployment's retention now, as
// on AWS, where the bucket's lifecycle deletes its output at that age whatever ExpirationTime
// says); and a retry of one that finished before inherits the parent's RetentionHours cut to the
// retention, where it was a 400 "RetentionHours must be between 1 and 24" for a retry that named
// no retention at all.
func TestRetentionLoweredBetweenRuns(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	first, err := Start(ctx, Config{DataDir: dir, Addr: "127.0.0.1:0", PollInterval: Duration(10 * time.Millisecond), Workers: 2}, Options{Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := defaultClient(first)
	req := lineJob("kept long", job.OneDocPerLine)
	req.RetentionHours = new(720)
	done := createAndUpload(t, ctx, c, req, []byte("A calm day.\n\nAnother calm day.\n"))
	if _, j := follow(t, ctx, c, done.JobId); j.JobDetails.DocumentsWithErrorsCount == 0 || j.ExpirationTime.Sub(*j.EndTime) != 720*time.Hour {
		t.Fatalf("first job: %s, %d errors, kept %v; want an empty line's error and 720h", j.JobStatus, j.JobDetails.DocumentsWithErrorsCount, j.ExpirationTime.Sub(*j.EndTime))
	}
	waiting, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	s := startStack(t, Config{DataDir: dir, Retention: Duration(24 * time.Hour)}, pipeline.Hooks{})
	c = defaultClient(s)
	up := waiting.Upload.Presigned
	up.URL = s.URL + strings.TrimPrefix(up.URL, first.URL)
	if err := c.Upload(ctx, up, writeTemp(t, "input", []byte("A calm day.\n"))); err != nil {
		t.Fatal(err)
	}
	if _, j := follow(t, ctx, c, waiting.JobId); j.ExpirationTime == nil || j.ExpirationTime.Sub(*j.EndTime) != 24*time.Hour {
		t.Errorf("job finished after the retention went down to 24h: %s, ExpirationTime %v after EndTime; want 24h", j.JobStatus, j.ExpirationTime.Sub(*j.EndTime))
	}

	child, err := c.Retry(ctx, done.JobId, api.RetryRequest{ErrorCodes: []string{job.CodeEmptyDocument}})
	if err != nil {
		t.Fatalf("retry of a job kept 720h after the retention went down to 24h: %v", err)
	}
	if child.RetentionHours != 24 {
		t.Errorf("retry's RetentionHours %d; want the parent's 720 cut to the retention, 24", child.RetentionHours)
	}
	if _, j := follow(t, ctx, c, child.JobId); j.ExpirationTime.Sub(*j.EndTime) != 24*time.Hour {
		t.Errorf("retry kept %v; want 24h", j.ExpirationTime.Sub(*j.EndTime))
	}
}
