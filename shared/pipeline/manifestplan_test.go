package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// failingPlanOpen is an object store whose Open of a job's plan fails while fail is set.
type failingPlanOpen struct {
	pipeline.Objects
	fail atomic.Bool
	job  string
}

func (f *failingPlanOpen) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	if f.fail.Load() && key == layout.PlanKey("local", f.job) {
		return nil, errors.New("open: store unavailable")
	}
	return f.Objects.Open(ctx, key, offset)
}

// TestManifestKeepsShardRangesWhenThePlanFailsToOpen: a plan that cannot be read at finalize (a
// store error, not a missing plan) fails the finalization, which is tried again, rather than
// writing a manifest without its shards' Start, End and File (found by errcheck: the error was
// dropped and the job COMPLETED with a manifest of zero ranges).
func TestManifestKeepsShardRangesWhenThePlanFailsToOpen(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	flaky := &failingPlanOpen{Objects: st.objects}
	deps := st.deps
	deps.Objects = flaky
	svc := pipeline.New(deps)
	id := storedLineJob(t, ctx, st, svc, "inputs/local/in.txt", "one line\nanother line\n", job.Language, nil)
	recordAllShards(t, ctx, st, id, pipeline.ShardRecord{Recorded: time.Now().UTC()})
	flaky.job = id
	flaky.fail.Store(true)
	if err := svc.Finalize(ctx, "local", id); err == nil {
		t.Error("finalize with an unreadable plan: no error; want one, so that it is tried again")
	}
	flaky.fail.Store(false)
	if err := svc.Finalize(ctx, "local", id); err != nil {
		t.Fatal(err)
	}
	j, err := st.jobs.Get(ctx, "local", id)
	if err != nil {
		t.Fatal(err)
	}
	checkManifestRanges(t, ctx, st, j)
}

func checkManifestRanges(t *testing.T, ctx context.Context, st localService, j *job.Job) {
	t.Helper()
	if j.JobStatus != job.Completed {
		t.Fatalf("job %s: %s %q", j.JobId, j.JobStatus, j.Message)
	}
	key, ok := strings.CutPrefix(j.OutputDataConfig.S3Uri, "s3://bucket/")
	if !ok {
		t.Fatalf("output %q", j.OutputDataConfig.S3Uri)
	}
	rc, err := st.objects.Open(ctx, key+api.ManifestName, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var m struct{ Shards []output.ShardInfo }
	if err := json.NewDecoder(rc).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if len(m.Shards) == 0 || m.Shards[0].End == 0 || m.Shards[0].File == "" {
		t.Errorf("manifest shards %+v; want each with its byte range and file", m.Shards)
	}
}
