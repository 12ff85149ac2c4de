package pipeline_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestCodingOperationJobAsDescribed: a running coding operation's status embeds its job as
// Describe shows it, with the rate (DocumentsPerSecond) and the counts of every analysis (found
// from outside: it was the stored job with the counts alone, while its comment said "as Describe
// shows it").
func TestCodingOperationJobAsDescribed(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	op, err := st.svc.StartCoding(ctx, "local", "occupation", "")
	if err != nil {
		t.Fatal(err)
	}
	j, err := st.jobs.Get(ctx, "local", op.OperationId)
	if err != nil {
		t.Fatal(err)
	}
	records := `{"recordId":"1","occp_text":"staff nurse","tasks_text":"caring for patients"}` + "\n"
	if err := st.objects.Put(ctx, j.InputKey, strings.NewReader(records)); err != nil {
		t.Fatal(err)
	}
	if err := st.svc.InputArrived(ctx, j.InputKey); err != nil {
		t.Fatal(err)
	}
	status, err := st.svc.CodingOperation(ctx, "local", "occupation", "", op.OperationId)
	if err != nil {
		t.Fatal(err)
	}
	described, err := st.svc.Describe(ctx, "local", op.OperationId)
	if err != nil {
		t.Fatal(err)
	}
	if described.JobStatus != job.InProgress {
		t.Fatalf("the operation is %s before its shards ran; want IN_PROGRESS", described.JobStatus)
	}
	if status.Job == nil || status.Job.JobDetails.DocumentsPerSecond == nil || described.JobDetails.DocumentsPerSecond == nil {
		t.Errorf("running operation: status job %+v; want its DocumentsPerSecond as Describe's (%v)", status.Job, described.JobDetails.DocumentsPerSecond)
	}
	if _, ok := status.Job.JobDetails.AnalysisCounts[job.Coding]; !ok {
		t.Errorf("running operation: AnalysisCounts %v; want CODING's", status.Job.JobDetails.AnalysisCounts)
	}
}

// TestCodingOperationErrorSaysWhy: an operation that is not complete carries why in its error: a
// timed-out one the job's Message (its upload never arrived), one stopped before it coded
// anything the job's Message too (not a count of coded records it never had).
func TestCodingOperationErrorSaysWhy(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	clk := &testClock{now: t0}
	st := newLocalService(t, pipeline.Config{}, clk.service)
	stopped, err := st.svc.StartCoding(ctx, "local", "occupation", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.svc.Stop(ctx, "local", stopped.OperationId); err != nil {
		t.Fatal(err)
	}
	timedOut, err := st.svc.StartCoding(ctx, "local", "occupation", "")
	if err != nil {
		t.Fatal(err)
	}
	clk.set(t0.Add(2 * time.Hour)) // past the upload URL's hour, within the stopped one's retention
	if rep, err := st.svc.Sweep(ctx); err != nil || rep.TimedOut != 1 {
		t.Fatalf("sweep past the upload's deadline: %+v, %v; want one operation timed out", rep, err)
	}
	for _, c := range []struct {
		id         string
		status     string
		wantPrefix string
	}{
		{stopped.OperationId, api.OpFailed, "stopped on request before its input arrived"},
		{timedOut.OperationId, api.OpTimedOut, "no input arrived before the upload URL expired"},
	} {
		j, err := st.jobs.Get(ctx, "local", c.id)
		if err != nil {
			t.Fatal(err)
		}
		op, err := st.svc.CodingOperation(ctx, "local", "occupation", "", c.id)
		if err != nil {
			t.Fatal(err)
		}
		if op.OperationStatus != c.status || op.Error != j.Message || !strings.HasPrefix(op.Error, c.wantPrefix) {
			t.Errorf("operation %s (%s %q): %s, error %q; want %s with the Message, starting %q", c.id, j.JobStatus, j.Message, op.OperationStatus, op.Error, c.status, c.wantPrefix)
		}
	}
}
