package pipeline_test

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
)

// testClock is a settable clock; the object store reads it lag later than the service does
// (as it does for real: presigning happens after the service read the time).
type testClock struct {
	mu  sync.Mutex
	now time.Time
	lag time.Duration
}

func (c *testClock) set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }
func (c *testClock) service() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}
func (c *testClock) store() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now.Add(c.lag)
}

// newClockedService is a Service on the local adapters whose service and store read clk.
func newClockedService(t *testing.T, clk *testClock, ttl time.Duration) *pipeline.Service {
	t.Helper()
	return newLocalService(t, pipeline.Config{UploadTTL: ttl}, clk.service, local.WithClock(clk.store)).svc
}

// urlExpiry is the instant a local presigned URL stops working (its X-Ream-Expires).
func urlExpiry(t *testing.T, p api.Presigned) time.Time {
	t.Helper()
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(u.Query().Get(local.ParamExpires), 10, 64)
	if err != nil {
		t.Fatalf("URL %s: %v", p.URL, err)
	}
	return time.Unix(n, 0).UTC()
}

// TestUploadDeadlineIsTheURLsExpiry: a job waiting for its upload is timed out at the instant
// its upload URLs stop working (their X-Ream-Expires, which Upload.Expires shows), not up to a
// second earlier, and the timeout's Message prints that instant. The service is created at a
// fraction of a second and the store reads its clock a little later, as for real.
func TestUploadDeadlineIsTheURLsExpiry(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 3, 2, 35, 6, 400_000_000, time.UTC)
	clk := &testClock{now: t0, lag: time.Millisecond}
	svc := newClockedService(t, clk, time.Hour)
	req := api.CreateJobRequest{
		Analyses:           []job.Analysis{job.Language},
		InputDataConfig:    job.InputDataConfig{InputFormat: job.OneDocPerLine},
		ClientRequestToken: "deadline-1",
	}
	res, err := svc.CreateJob(ctx, "local", req)
	if err != nil {
		t.Fatal(err)
	}
	want := t0.Add(time.Hour).Truncate(time.Second).Add(time.Second) // 03:35:07Z
	if got := urlExpiry(t, res.Upload.Presigned); !got.Equal(want) || !res.Upload.Expires.Equal(want) {
		t.Fatalf("URL expires at %s, Upload.Expires %s; want both %s", got, res.Upload.Expires, want)
	}
	files := req
	files.ClientRequestToken = "deadline-2"
	files.InputDataConfig.InputFormat = job.OneDocPerFile
	files.UploadFiles = []string{"a.txt", "b.txt"}
	many, err := svc.CreateJob(ctx, "local", files)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range many.Uploads {
		if got := urlExpiry(t, u.Presigned); !got.Equal(want) || !u.Expires.Equal(want) {
			t.Errorf("%s: URL expires at %s, Upload.Expires %s; want both %s", u.File, got, u.Expires, want)
		}
	}

	// The same request again later (its token returns the job) signs URLs to the same instant.
	clk.set(t0.Add(10*time.Minute + 900*time.Millisecond))
	again, err := svc.CreateJob(ctx, "local", req)
	if err != nil {
		t.Fatal(err)
	}
	if again.JobId != res.JobId {
		t.Fatalf("the token returned job %s, want %s", again.JobId, res.JobId)
	}
	if got := urlExpiry(t, again.Upload.Presigned); !got.Equal(want) || !again.Upload.Expires.Equal(want) {
		t.Errorf("re-signed URL expires at %s, Upload.Expires %s; want both %s", got, again.Upload.Expires, want)
	}

	// In the URLs' last nanosecond the jobs still wait; at their expiry they time out.
	status := func(id string) *job.Job {
		j, err := svc.Describe(ctx, "local", id)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	clk.set(want.Add(-time.Nanosecond))
	if _, err := svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{res.JobId, many.JobId} {
		if j := status(id); j.JobStatus != job.AwaitingInput {
			t.Errorf("job %s is %s (%q) while its upload URLs (expiring %s) still work; want AWAITING_INPUT", id, j.JobStatus, j.Message, want)
		}
	}
	clk.set(want)
	if _, err := svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{res.JobId, many.JobId} {
		j := status(id)
		if j.JobStatus != job.TimedOut || !strings.Contains(j.Message, "expired at "+want.Format(time.RFC3339)) {
			t.Errorf("job %s at its URLs' expiry: %s %q; want TIMED_OUT saying they expired at %s", id, j.JobStatus, j.Message, want.Format(time.RFC3339))
		}
	}
	// A TIMED_OUT job has no documents to retry: a 400 saying so, not a 409 calling it
	// unfinished (found from outside).
	if _, err := svc.Retry(ctx, "local", res.JobId, api.RetryRequest{}); !errors.Is(err, job.ErrInvalid) || !strings.Contains(err.Error(), "no documents to retry") {
		t.Errorf("retry of a TIMED_OUT job: %v; want ErrInvalid saying it has no documents", err)
	}
}
