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
	id := startLargeTraining(t, ctx, st)
	sm := receiveTrainingShard(t, ctx, st, time.Minute)
	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err := st.svc.ProcessShard(dctx, sm)
	cancel()
	if err == nil {
		t.Fatal("the training shard ended without error under a 200 ms deadline; want it cut short")
	}
	j, err := st.jobs.Get(ctx, "local", id)
	if err != nil {
		t.Fatal(err)
	}
	if j.JobStatus != job.InProgress || j.Message != pipeline.TrainingTimedOut {
		t.Errorf("after a delivery cut short by its deadline: %s %q; want IN_PROGRESS with Message %q", j.JobStatus, j.Message, pipeline.TrainingTimedOut)
	}
	msg := pipeline.ShardMessage{Tenant: "local", JobId: id, Index: 0}
	if err := st.svc.DeadLetter(ctx, msg, ""); err != nil {
		t.Fatal(err)
	}
	j, err = st.jobs.Get(ctx, "local", id)
	if err != nil {
		t.Fatal(err)
	}
	if j.JobStatus != job.Failed || !strings.HasPrefix(j.Message, pipeline.TrainingTimedOut) {
		t.Errorf("dead-lettered after its deliveries timed out: %s %q; want FAILED saying the training was cut short by the time limit", j.JobStatus, j.Message)
	}
}

// TestTrainingDeliveryIsProgress: a training delivery is progress to the sweeper, when it begins
// and when its deadline cuts it short, so that a training that needs several deliveries is not
// re-enqueued beside the one in flight. Before, nothing a training did between planning and its
// model stamped the job: StuckAfter after planning (15 minutes locally, where a delivery also
// runs up to 15 minutes and its message comes back a visibility timeout later) the sweeper sent
// a copy of the shard while the first was still hidden, and two trainings ran at once.
func TestTrainingDeliveryIsProgress(t *testing.T) {
	ctx := context.Background()
	clock := time.Now().UTC()
	st := newLocalService(t, pipeline.Config{}, func() time.Time { return clock })
	startLargeTraining(t, ctx, st)
	training := receiveTrainingShard(t, ctx, st, time.Hour) // in flight for the rest of the test
	// The delivery begins 10 minutes after planning and its deadline cuts it short.
	clock = clock.Add(10 * time.Minute)
	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err := st.svc.ProcessShard(dctx, training)
	cancel()
	if err == nil {
		t.Fatal("the training shard ended without error under a 200 ms deadline; want it cut short")
	}
	// StuckAfter after planning, but not after the delivery: its message is still in flight.
	clock = clock.Add(pipeline.DefaultStuckAfter - 5*time.Minute)
	if _, err := st.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	msgs, err := st.queue.Receive(ctx, 10, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 0 {
		t.Errorf("the sweeper re-enqueued the training shard 10 minutes after its delivery began, while that delivery's message was in flight: %d messages", len(msgs))
	}
}

// startLargeTraining stores 40 copies of the training sample (enough records that 16 passes
// cannot end within a 200 ms deadline) and creates a training job over them.
func startLargeTraining(t *testing.T, ctx context.Context, st localService) string {
	t.Helper()
	data, err := os.ReadFile("../../testdata/coding/train-sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
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
	return created.JobId
}

// receiveTrainingShard processes the plan messages of the queue and returns the training
// shard's message, left in flight for visibility.
func receiveTrainingShard(t *testing.T, ctx context.Context, st localService, visibility time.Duration) pipeline.ShardMessage {
	t.Helper()
	for range 10 {
		msgs, err := st.queue.Receive(ctx, 10, visibility)
		if err != nil {
			t.Fatal(err)
		}
		var training *pipeline.ShardMessage
		for _, m := range msgs {
			var sm pipeline.ShardMessage
			if err := json.Unmarshal(m.Body, &sm); err != nil {
				t.Fatal(err)
			}
			if !sm.Plan {
				training = &sm
				continue
			}
			if err := st.svc.ProcessShard(ctx, sm); err != nil {
				t.Fatal(err)
			}
			if err := st.queue.Delete(ctx, m.Receipt); err != nil {
				t.Fatal(err)
			}
		}
		if training != nil {
			return *training
		}
		if len(msgs) == 0 {
			break
		}
	}
	t.Fatal("no training shard was delivered")
	return pipeline.ShardMessage{}
}
