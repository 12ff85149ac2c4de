package pipeline_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestSweepPlansSubmittedAfterStepGrace: a SUBMITTED job whose plan message was lost is planned
// by the sweeper once it has been SUBMITTED for StuckAfter/3, not before.
func TestSweepPlansSubmittedAfterStepGrace(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	clk := &testClock{now: t0}
	const stuck = 15 * time.Minute
	st := newLocalService(t, pipeline.Config{StuckAfter: stuck, PlanInWorker: true}, clk.service)
	id := storedLineJob(t, ctx, st, nil, "inputs/local/in.txt", "one line\n", job.Language, nil)
	msgs, err := st.queue.Receive(ctx, 10, time.Minute)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%d messages, %v; want the plan message", len(msgs), err)
	}
	if err := st.queue.Delete(ctx, msgs[0].Receipt); err != nil { // lost
		t.Fatal(err)
	}
	clk.set(t0.Add(stuck/3 - time.Second))
	if rep, err := st.svc.Sweep(ctx); err != nil || rep.Rescued != 0 {
		t.Fatalf("sweep just before StuckAfter/3: %+v, %v; want nothing rescued", rep, err)
	}
	clk.set(t0.Add(stuck/3 + time.Second))
	if rep, err := st.svc.Sweep(ctx); err != nil || rep.Rescued != 1 {
		t.Fatalf("sweep just after StuckAfter/3: %+v, %v; want the job planned", rep, err)
	}
	if j, err := st.jobs.Get(ctx, "local", id); err != nil || j.JobStatus != job.InProgress {
		t.Fatalf("job %+v, %v; want IN_PROGRESS", j, err)
	}
}

// TestSweepRescueWaitsForBacklogAtMostThreeTimes: a running job whose shard message was lost is
// rescued once it made no progress for StuckAfter; while the shard queue holds messages waiting
// (its shard may be among them) it is not, but only for 3 × StuckAfter: a queue that never
// empties does not keep it from finishing.
func TestSweepRescueWaitsForBacklogAtMostThreeTimes(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	clk := &testClock{now: t0}
	const stuck = 15 * time.Minute
	st := newLocalService(t, pipeline.Config{MaxFilesPerShard: 1, StuckAfter: stuck}, clk.service)
	perFileJob(t, ctx, st, map[string]string{"a.txt": "A fine day for a walk.", "b.txt": "A fine day for a swim."})
	msgs, err := st.queue.Receive(ctx, 10, time.Minute)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%d shard messages, %v; want 2", len(msgs), err)
	}
	var first pipeline.ShardMessage
	if err := json.Unmarshal(msgs[0].Body, &first); err != nil {
		t.Fatal(err)
	}
	if err := st.svc.ProcessShard(ctx, first); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs { // the other shard's message is lost
		if err := st.queue.Delete(ctx, m.Receipt); err != nil {
			t.Fatal(err)
		}
	}
	// With nothing waiting in the queue, the job is rescued once it made no progress for
	// StuckAfter, not before; the rescue is its progress.
	clk.set(t0.Add(stuck - time.Second))
	if rep, err := st.svc.Sweep(ctx); err != nil || rep.Rescued != 0 {
		t.Fatalf("sweep just before StuckAfter: %+v, %v; want nothing rescued", rep, err)
	}
	t0 = t0.Add(stuck + time.Second)
	clk.set(t0)
	if rep, err := st.svc.Sweep(ctx); err != nil || rep.Rescued != 1 {
		t.Fatalf("sweep just after StuckAfter: %+v, %v; want the job rescued", rep, err)
	}
	msgs, err = st.queue.Receive(ctx, 10, time.Minute)
	if err != nil || len(msgs) != 1 || st.queue.Delete(ctx, msgs[0].Receipt) != nil { // lost again
		t.Fatalf("after the rescue %d messages, %v; want the lost shard's", len(msgs), err)
	}
	// Another tenant's work waits in the queue, and keeps waiting.
	if err := st.queue.SendRaw(ctx, [][]byte{[]byte(`{"Tenant":"other","JobId":"elsewhere","Index":0}`)}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		after time.Duration
		want  int
	}{{stuck - time.Second, 0}, {stuck + time.Second, 0}, {3*stuck - time.Second, 0}, {3*stuck + time.Second, 1}} {
		clk.set(t0.Add(c.after))
		rep, err := st.svc.Sweep(ctx)
		if err != nil || rep.Rescued != c.want {
			t.Fatalf("sweep %v after the last progress, a message waiting: %+v, %v; want %d rescued", c.after, rep, err, c.want)
		}
	}
}
