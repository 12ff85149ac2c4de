package local

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/client"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestTimedOutResultsConflictSaysWhy: GET results of a TIMED_OUT job is a 409 that says it has
// none and never will, with its Message (found from outside: it said results exist once the job
// is COMPLETED, PARTIAL_SUCCESS, FAILED or STOPPED, as if it were still to end).
func TestTimedOutResultsConflictSaysWhy(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{UploadTTL: Duration(time.Second), SweepInterval: Duration(time.Hour)}, pipeline.Hooks{})
	c := defaultClient(s)
	res, err := c.CreateJob(ctx, lineJob("never-uploaded", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-time.After(time.Until(res.Upload.Expires) + 50*time.Millisecond):
	case <-ctx.Done():
		t.Fatal("context done")
	}
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatalf("sweep: %v", err)
	}
	if _, j := follow(t, ctx, c, res.JobId); j.JobStatus != job.TimedOut {
		t.Fatalf("job %s; want TIMED_OUT", j.JobStatus)
	}
	_, err = c.Results(ctx, res.JobId)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusConflict || !strings.Contains(err.Error(), "is TIMED_OUT and has no results: its input never arrived") ||
		!strings.Contains(err.Error(), "no input arrived before the upload URL expired") || strings.Contains(err.Error(), "results exist once") {
		t.Errorf("results of a TIMED_OUT job: %v; want a 409 saying it has no results and why", err)
	}
}
