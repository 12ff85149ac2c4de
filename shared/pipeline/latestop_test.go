package pipeline_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// TestUploadLongAfterStopKeepsTheMessage: a job stopped before its input arrived keeps its
// Message (the one its notification carried) when an upload is stored well after the stop,
// which S3 cannot refuse (found from outside on AWS: a PUT 5 s after the stop made it "its input
// had arrived and was not analysed"); an upload stored as the stop landed still changes it.
func TestUploadLongAfterStopKeepsTheMessage(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		shift time.Duration // the service's clock against the store's
		want  string
	}{
		{"stored 10 s after the stop", -10 * time.Second, "stopped on request before its input arrived"},
		{"stored as the stop landed", 0, "its input had arrived and was not analysed"},
	} {
		shift := tc.shift
		st := newLocalService(t, pipeline.Config{}, func() time.Time { return time.Now().Add(shift) })
		res, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}})
		if err != nil {
			t.Fatal(err)
		}
		if j, err := st.svc.Stop(ctx, "local", res.JobId); err != nil || j.Message != "stopped on request before its input arrived" {
			t.Fatalf("%s: stop: %v %+v", tc.name, err, j)
		}
		key := layout.UploadKey("local", res.JobId)
		if err := st.objects.Put(ctx, key, strings.NewReader("Hello there.\n")); err != nil {
			t.Fatal(err)
		}
		if err := st.svc.InputArrived(ctx, key); err != nil {
			t.Fatal(err)
		}
		j, err := st.jobs.Get(ctx, "local", res.JobId)
		if err != nil || j.JobStatus != job.Stopped || !strings.Contains(j.Message, tc.want) {
			t.Errorf("%s: %s %q (%v); want STOPPED saying %q", tc.name, j.JobStatus, j.Message, err, tc.want)
		}
	}
}
