package local

import (
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestRateAndETAWhileRunning: while a job runs, Describe shows its input size, the bytes done,
// a documents-per-second rate and an estimated completion time in the future; once it ends both
// are gone. The shards after the first few are held until the test has looked.
func TestRateAndETAWhileRunning(t *testing.T) {
	ctx := testCtx(t)
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open)
	hooks := pipeline.Hooks{AfterShardWritten: func(msg pipeline.ShardMessage) error {
		if msg.Index >= 4 {
			<-release
		}
		return nil
	}}
	s := startStack(t, Config{ShardBytes: 1500}, hooks)
	c := defaultClient(s)
	input, _ := genInput(400)
	res := createAndUpload(t, ctx, c, lineJob("rate", job.OneDocPerLine), input)

	var j *job.Job
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		var err error
		if j, err = c.Describe(ctx, res.JobId); err != nil {
			t.Fatal(err)
		}
		if j.JobDetails.ShardsDone >= 4 || time.Now().After(deadline) {
			break
		}
	}
	d := j.JobDetails
	if j.JobStatus != job.InProgress || d.ShardsDone < 4 || d.ShardsDone >= d.ShardsTotal {
		t.Fatalf("job %s with %d/%d shards; want it running with 4 done", j.JobStatus, d.ShardsDone, d.ShardsTotal)
	}
	if d.InputBytes != int64(len(input)) || d.ProcessedBytes <= 0 || d.ProcessedBytes >= d.InputBytes {
		t.Errorf("InputBytes %d (input has %d), ProcessedBytes %d", d.InputBytes, len(input), d.ProcessedBytes)
	}
	if d.DocumentsPerSecond == nil || *d.DocumentsPerSecond <= 0 {
		t.Errorf("DocumentsPerSecond = %v while running", d.DocumentsPerSecond)
	}
	if d.EstimatedCompletionTime == nil || !d.EstimatedCompletionTime.After(j.SubmitTime) {
		t.Errorf("EstimatedCompletionTime = %v while running (submitted %v)", d.EstimatedCompletionTime, j.SubmitTime)
	}
	open()
	_, j = follow(t, ctx, c, res.JobId)
	if !j.JobStatus.Terminal() || j.JobDetails.DocumentsPerSecond != nil || j.JobDetails.EstimatedCompletionTime != nil {
		t.Errorf("finished job %s: rate %v, ETA %v; want neither", j.JobStatus, j.JobDetails.DocumentsPerSecond, j.JobDetails.EstimatedCompletionTime)
	}
	if j.JobDetails.ProcessedBytes != int64(len(input)) {
		t.Errorf("finished job: ProcessedBytes %d, input %d bytes", j.JobDetails.ProcessedBytes, len(input))
	}
}
