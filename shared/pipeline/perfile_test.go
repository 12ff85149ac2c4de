package pipeline_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// perFileJob puts files (name → text) under inputs/local/dir/ and creates a ONE_DOC_PER_FILE
// SENTIMENT job over them; it returns the job id.
func perFileJob(t *testing.T, ctx context.Context, st localService, files map[string]string) string {
	t.Helper()
	for name, text := range files {
		if err := st.objects.Put(ctx, "inputs/local/dir/"+name, strings.NewReader(text)); err != nil {
			t.Fatal(err)
		}
	}
	created, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{Analyses: []job.Analysis{job.Sentiment},
		InputDataConfig: job.InputDataConfig{S3Uri: "s3://bucket/inputs/local/dir/", InputFormat: job.OneDocPerFile}})
	if err != nil {
		t.Fatal(err)
	}
	return created.JobId
}

// TestLateCopyOfARecordedShardAfterItsFileChanged: a duplicate delivery of a ONE_DOC_PER_FILE
// shard recorded before its file was replaced does not fail the job (its results were read from
// the planned version), and leaves it to the finalizer that holds a fresh claim (found in
// review: the copy FAILED the job and deleted the work the finalizer was reading).
func TestLateCopyOfARecordedShardAfterItsFileChanged(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{MaxFilesPerShard: 1}, nil)
	id := perFileJob(t, ctx, st, map[string]string{"a.txt": "A fine day for a walk.", "b.txt": "A fine day for a swim."})
	var shards []pipeline.ShardMessage
	msgs, err := st.queue.Receive(ctx, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		var sm pipeline.ShardMessage
		if err := json.Unmarshal(m.Body, &sm); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, sm)
	}
	if len(shards) != 2 {
		t.Fatalf("%d shard messages, want 2", len(shards))
	}
	if err := st.svc.ProcessShard(ctx, shards[0]); err != nil {
		t.Fatal(err)
	}
	// Shard 1 is recorded by a worker that is now finalizing.
	if _, _, err := st.jobs.RecordShard(ctx, "local", id, pipeline.ShardRecord{Index: shards[1].Index, Documents: 1}); err != nil {
		t.Fatal(err)
	}
	setClaim(t, ctx, st, id, time.Now(), "shard 1")
	if err := st.objects.Put(ctx, shards[0].Files[0], strings.NewReader("Another text, of another size.")); err != nil {
		t.Fatal(err)
	}
	if err := st.svc.ProcessShard(ctx, shards[0]); err != nil {
		t.Fatal(err)
	}
	j, err := st.jobs.Get(ctx, "local", id)
	if err != nil {
		t.Fatal(err)
	}
	if j.JobStatus != job.InProgress || j.FinalizeClaimedBy != "shard 1" {
		t.Errorf("after the late copy: %s (%s), claim by %q; want IN_PROGRESS, left to shard 1's finalizer", j.JobStatus, j.Message, j.FinalizeClaimedBy)
	}
}

// TestRetryReadsOnlyItsFiles: a retry of a ONE_DOC_PER_FILE job checks and reads only the files
// it re-runs: another file of the same shard, edited since, does not fail it (found in review).
func TestRetryReadsOnlyItsFiles(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	id := perFileJob(t, ctx, st, map[string]string{"a.txt": "bad \xff text", "b.txt": "A fine day for a walk."})
	processQueue(t, ctx, st.svc, st.queue)
	if p, err := st.jobs.Get(ctx, "local", id); err != nil || p.JobStatus != job.PartialSuccess {
		t.Fatalf("parent: %+v, %v; want PARTIAL_SUCCESS", p, err)
	}
	if err := st.objects.Put(ctx, "inputs/local/dir/b.txt", strings.NewReader("An edited, longer, successful document.")); err != nil {
		t.Fatal(err)
	}
	child, err := st.svc.Retry(ctx, "local", id, api.RetryRequest{ErrorCodes: []string{job.CodeUnsupportedEncoding}})
	if err != nil {
		t.Fatal(err)
	}
	processQueue(t, ctx, st.svc, st.queue)
	c, err := st.jobs.Get(ctx, "local", child.JobId)
	if err != nil {
		t.Fatal(err)
	}
	// a.txt fails again (its bytes did not change), so the child ends FAILED for that document
	// alone, not for b.txt's edit
	if strings.Contains(c.Message, "replaced") || c.JobDetails.InputDocumentsCount != 1 {
		t.Errorf("child %s (%s), %d documents; want a.txt re-run alone", c.JobStatus, c.Message, c.JobDetails.InputDocumentsCount)
	}
}

// TestDeadLetterOfAnEarlierTopicsStage: a dead-lettered copy of a shard of a TOPICS stage the
// job has moved past is a late copy and fails nothing (as topicsShard treats a late delivery;
// found in review); one of the current stage still fails the job.
func TestDeadLetterOfAnEarlierTopicsStage(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	id := storedLineJob(t, ctx, st, nil, "inputs/local/topics.txt", "cats and dogs\nbirds and fish\n", job.Topics, nil)
	j, err := st.jobs.Get(ctx, "local", id)
	if err != nil {
		t.Fatal(err)
	}
	if j.JobStatus != job.InProgress || j.TopicsStage == nil || j.TopicsStage.Shards < 1 {
		t.Fatalf("job %s, stage %+v", j.JobStatus, j.TopicsStage)
	}
	j.TopicsStage.Index = 1 // the job moved on to its next stage
	if err := st.jobs.Update(ctx, j, j.JobStatus); err != nil {
		t.Fatal(err)
	}
	if err := st.svc.DeadLetter(ctx, pipeline.ShardMessage{Tenant: "local", JobId: id, Index: 0}, "boom"); err != nil {
		t.Fatal(err)
	}
	if j, _ = st.jobs.Get(ctx, "local", id); j.JobStatus != job.InProgress {
		t.Errorf("after a late copy of stage 0: %s (%s); want IN_PROGRESS", j.JobStatus, j.Message)
	}
	if err := st.svc.DeadLetter(ctx, pipeline.ShardMessage{Tenant: "local", JobId: id, Index: j.TopicsStage.Shards}, "boom"); err != nil {
		t.Fatal(err)
	}
	if j, _ = st.jobs.Get(ctx, "local", id); j.JobStatus != job.Failed {
		t.Errorf("after a shard of the current stage: %s; want FAILED", j.JobStatus)
	}
}
