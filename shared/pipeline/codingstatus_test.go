package pipeline_test

import (
	"context"
	"strings"
	"testing"

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
