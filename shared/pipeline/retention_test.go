package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestExpirationTimeFromRetentionHours: a finished job's ExpirationTime is its EndTime plus its
// RetentionHours (1 included), or plus the deployment's retention when it names none; a job
// that asked for more than the deployment keeps now (its retention lowered since the job was
// created) is kept only that long, as the bucket's lifecycle deletes its output at that age.
func TestExpirationTimeFromRetentionHours(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := newLocalService(t, pipeline.Config{Retention: 72 * time.Hour}, clock)
	for _, c := range []struct {
		name    string
		hours   *int
		lowered time.Duration // the deployment's retention when the job ends (0: unchanged)
		want    time.Duration
	}{
		{"none named", nil, 0, 72 * time.Hour},
		{"one hour", new(1), 0, time.Hour},
		{"two hours", new(2), 0, 2 * time.Hour},
		{"the deployment's", new(72), 0, 72 * time.Hour},
		{"more than the retention lowered since", new(48), 24 * time.Hour, 24 * time.Hour},
		{"less than the retention lowered since", new(12), 24 * time.Hour, 12 * time.Hour},
	} {
		id := storedLineJob(t, ctx, st, nil, "inputs/local/"+c.name+".txt", "one line\n", job.Language, func(r *api.CreateJobRequest) {
			r.RetentionHours = c.hours
		})
		svc := st.svc
		if c.lowered > 0 {
			deps := st.deps
			deps.Config.Retention = c.lowered
			svc = pipeline.New(deps)
		}
		processQueue(t, ctx, svc, st.queue)
		j, err := st.jobs.Get(ctx, "local", id)
		if err != nil {
			t.Fatal(err)
		}
		if j.JobStatus != job.Completed || j.EndTime == nil || j.ExpirationTime == nil {
			t.Fatalf("%s: %s, EndTime %v, ExpirationTime %v; want COMPLETED with both", c.name, j.JobStatus, j.EndTime, j.ExpirationTime)
		}
		if got := j.ExpirationTime.Sub(*j.EndTime); got != c.want {
			t.Errorf("%s: ExpirationTime is EndTime + %v; want + %v", c.name, got, c.want)
		}
	}
}

// TestRetentionHoursBounds: RetentionHours is 1 to the deployment's retention in whole hours,
// both ends included; anything else is a bad request that says the bounds.
func TestRetentionHoursBounds(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{Retention: 72 * time.Hour}, nil)
	for h, ok := range map[int]bool{-1: false, 0: false, 1: true, 71: true, 72: true, 73: false} {
		_, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}, RetentionHours: new(h)})
		switch {
		case ok && err != nil:
			t.Errorf("RetentionHours %d: %v; want it taken", h, err)
		case !ok && (!errors.Is(err, job.ErrInvalid) || !strings.Contains(err.Error(), "between 1 and 72")):
			t.Errorf("RetentionHours %d: %v; want ErrInvalid saying between 1 and 72", h, err)
		}
	}
}

// TestRetryKeepsRetentionCutToTheDeployments: a retry child keeps its parent's RetentionHours,
// cut to the deployment's retention as it is now: a parent kept longer than a lowered retention
// allows is retried, not refused for a RetentionHours the retry never named.
func TestRetryKeepsRetentionCutToTheDeployments(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{Retention: 72 * time.Hour}, nil)
	parent := storedLineJob(t, ctx, st, nil, "inputs/local/parent.txt", "a good line\n\xff\xfe bad\n", job.Language, func(r *api.CreateJobRequest) {
		r.RetentionHours = new(48)
	})
	processQueue(t, ctx, st.svc, st.queue)
	retry := api.RetryRequest{ErrorCodes: []string{job.CodeUnsupportedEncoding}}
	for _, c := range []struct {
		retention time.Duration
		want      int
	}{{72 * time.Hour, 48}, {24 * time.Hour, 24}} {
		deps := st.deps
		deps.Config.Retention = c.retention
		child, err := pipeline.New(deps).Retry(ctx, "local", parent, retry)
		if err != nil {
			t.Fatalf("retry under a retention of %v: %v", c.retention, err)
		}
		if child.RetentionHours != c.want {
			t.Errorf("retry under a retention of %v: RetentionHours %d; want %d", c.retention, child.RetentionHours, c.want)
		}
	}
}

// TestDropFailedJobKeepsTemplatesRetention: the FAILED job of an object a drop rule cannot
// start (here a _SUCCESS marker at a ONE_DOC_PER_FILE rule's top level) expires after the
// template's RetentionHours, as any job of the rule does.
func TestDropFailedJobKeepsTemplatesRetention(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{Retention: 72 * time.Hour}, nil)
	tmpl := api.CreateJobRequest{Analyses: []job.Analysis{job.Language}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerFile}, RetentionHours: new(2)}
	if _, err := st.svc.PutDropRule(ctx, "local", "scans", tmpl); err != nil {
		t.Fatal(err)
	}
	if err := st.svc.ObjectCreated(ctx, pipeline.CreatedObject{Key: "inputs/local/drop/scans/_SUCCESS", ETag: "e1"}); err != nil {
		t.Fatal(err)
	}
	jobs, _, err := st.svc.List(ctx, "local", api.ListFilter{})
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs %v, %v; want the marker's FAILED job", jobs, err)
	}
	j := jobs[0]
	if j.JobStatus != job.Failed || j.EndTime == nil || j.ExpirationTime == nil {
		t.Fatalf("%s, EndTime %v, ExpirationTime %v; want FAILED with both", j.JobStatus, j.EndTime, j.ExpirationTime)
	}
	if got := j.ExpirationTime.Sub(*j.EndTime); got != 2*time.Hour {
		t.Errorf("ExpirationTime is EndTime + %v; want + 2h (the template's RetentionHours)", got)
	}
}
