package pipeline_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestTrainingTimedOutSaysSo: a training cut short by its delivery's deadline (a Lambda's
// timeout; 15 minutes on the local stack) hands its message back, and the job says why it is
// taking so long: pipeline.TrainingTimedOut is its Message while it runs, and the Message of its
// failure should every delivery end so. Before, nothing said it, and the job FAILED "training
// registered no model" after its deliveries ran out (found measuring a 50 MB training that
// needed 33 minutes).
func TestTrainingTimedOutSaysSo(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	data, err := os.ReadFile("../../testdata/coding/train-sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	// Enough records that 16 passes cannot end within the deadline below.
	if err := st.objects.Put(ctx, "inputs/local/train.jsonl", strings.NewReader(strings.Repeat(string(data), 40))); err != nil {
		t.Fatal(err)
	}
	created, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{
		Analyses:        []job.Analysis{job.CodingTraining},
		InputDataConfig: job.InputDataConfig{S3Uri: "s3://bucket/inputs/local/train.jsonl", InputFormat: job.JSONLines},
		CodingConfig:    &job.CodingConfig{Topic: "occupation"},
	})
	if err != nil {
		t.Fatal(err)
	}
	trained := false
	for range 10 {
		msgs, err := st.queue.Receive(ctx, 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			var sm pipeline.ShardMessage
			if err := json.Unmarshal(m.Body, &sm); err != nil {
				t.Fatal(err)
			}
			if sm.Plan {
				if err := st.svc.ProcessShard(ctx, sm); err != nil {
					t.Fatal(err)
				}
				if err := st.queue.Delete(ctx, m.Receipt); err != nil {
					t.Fatal(err)
				}
				continue
			}
			dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			err := st.svc.ProcessShard(dctx, sm)
			cancel()
			if err == nil {
				t.Fatal("the training shard ended without error under a 200 ms deadline; want it cut short")
			}
			trained = true
		}
		if trained {
			break
		}
	}
	if !trained {
		t.Fatal("no training shard was delivered")
	}
	j, err := st.jobs.Get(ctx, "local", created.JobId)
	if err != nil {
		t.Fatal(err)
	}
	if j.JobStatus != job.InProgress || j.Message != pipeline.TrainingTimedOut {
		t.Errorf("after a delivery cut short by its deadline: %s %q; want IN_PROGRESS with Message %q", j.JobStatus, j.Message, pipeline.TrainingTimedOut)
	}
	msg := pipeline.ShardMessage{Tenant: "local", JobId: created.JobId, Index: 0}
	if err := st.svc.DeadLetter(ctx, msg, ""); err != nil {
		t.Fatal(err)
	}
	j, err = st.jobs.Get(ctx, "local", created.JobId)
	if err != nil {
		t.Fatal(err)
	}
	if j.JobStatus != job.Failed || !strings.HasPrefix(j.Message, pipeline.TrainingTimedOut) {
		t.Errorf("dead-lettered after its deliveries timed out: %s %q; want FAILED saying the training was cut short by the time limit", j.JobStatus, j.Message)
	}
}
