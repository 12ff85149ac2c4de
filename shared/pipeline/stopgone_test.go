package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// hangUpAfterStopRequest is a job store that cancels the stop request's context (its client
// went away: net/http cancels it on the local stack) once the job's move to STOP_REQUESTED is
// stored.
type hangUpAfterStopRequest struct {
	pipeline.Jobs
	id     string
	hangUp context.CancelFunc
}

func (h *hangUpAfterStopRequest) Update(ctx context.Context, j *job.Job, expect job.Status) error {
	err := h.Jobs.Update(ctx, j, expect)
	if err == nil && j.JobId == h.id && j.JobStatus == job.StopRequested {
		h.hangUp()
	}
	return err
}

// TestStopGoneClientStillEndsTheJob: a stop of a job not yet planned (SUBMITTED: no shard will
// ever finalize it) ends the job STOPPED even when its client goes away once the stop request is
// stored. The end ran with the request's context, so a client gone by then left the job
// STOP_REQUESTED until a sweep finalized it.
func TestStopGoneClientStillEndsTheJob(t *testing.T) {
	ctx := t.Context()
	st := newLocalService(t, pipeline.Config{PlanInWorker: true}, nil) // the plan message is never taken here
	key := "inputs/local/stopgone/in.txt"
	if err := st.objects.Put(ctx, key, strings.NewReader("A calm day.\n")); err != nil {
		t.Fatal(err)
	}
	res, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
		InputDataConfig: job.InputDataConfig{S3Uri: "s3://bucket/" + key, InputFormat: job.OneDocPerLine}})
	if err != nil || res.JobStatus != job.Submitted {
		t.Fatalf("create: %v %+v; want SUBMITTED", err, res)
	}
	reqCtx, hangUp := context.WithCancel(ctx)
	defer hangUp()
	deps := st.deps
	deps.Jobs = &hangUpAfterStopRequest{Jobs: st.jobs, id: res.JobId, hangUp: hangUp}
	_, _ = pipeline.New(deps).Stop(reqCtx, "local", res.JobId) // nobody reads the answer
	j, err := st.jobs.Get(ctx, "local", res.JobId)
	if err != nil || j.JobStatus != job.Stopped {
		t.Fatalf("job whose stop's client went away: %s (%v); want STOPPED", j.JobStatus, err)
	}
}
