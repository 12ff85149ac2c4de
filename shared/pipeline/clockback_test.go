package pipeline_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestExpiryPassAfterClockSetBack: a pass stored as started at a time the clock has since gone
// back over (a machine whose clock ran ahead, then was corrected) does not hold the next pass
// until the clock catches up with it; the next sweep starts one, which expires what is due, and
// passes are then spaced by ExpiryPassEvery again from the corrected clock. Before, no finished
// job was expired for as long as the clock had been ahead (here 30 days).
func TestExpiryPassAfterClockSetBack(t *testing.T) {
	ctx := context.Background()
	ahead := time.Date(2031, 1, 31, 0, 0, 0, 0, time.UTC)
	clk := &testClock{now: ahead}
	st := newLocalService(t, pipeline.Config{ExpiryPassEvery: time.Hour}, clk.service)

	rep, err := st.svc.Sweep(ctx) // a whole pass, at the clock that runs 30 days ahead
	if err != nil || !rep.PassStarted {
		t.Fatalf("first sweep: %+v, %v; want a pass started", rep, err)
	}

	right := ahead.Add(-30 * 24 * time.Hour) // the clock corrected
	due := finishedJob(t, ctx, st, 1, job.Completed, right.Add(-2*time.Hour), right.Add(-time.Hour), true)
	kept := finishedJob(t, ctx, st, 2, job.Completed, right.Add(-2*time.Hour), right.Add(time.Hour), true)
	clk.set(right)
	rep, err = st.svc.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.PassStarted || rep.Expired != 1 {
		t.Fatalf("sweep after the clock went back 30 days: %+v; want a pass started and the job past its ExpirationTime expired", rep)
	}
	if exists(t, ctx, st, due) || !exists(t, ctx, st, kept) {
		t.Fatalf("after the pass: job due %v, job kept %v; want the due one gone and the other kept", exists(t, ctx, st, due), exists(t, ctx, st, kept))
	}

	// From the corrected clock on, a pass starts once every ExpiryPassEvery, as before.
	clk.set(right.Add(30 * time.Minute))
	if rep, err = st.svc.Sweep(ctx); err != nil || rep.PassStarted {
		t.Fatalf("sweep 30 minutes later: %+v, %v; want no new pass", rep, err)
	}
	clk.set(right.Add(2 * time.Hour))
	if rep, err = st.svc.Sweep(ctx); err != nil || !rep.PassStarted || rep.Expired != 1 || exists(t, ctx, st, kept) {
		t.Fatalf("sweep 2 hours later: %+v, %v; want a pass that expires the second job", rep, err)
	}
}

// TestRescueAfterClockSetBack: a running job whose last progress was stamped by a clock since set
// back 30 days, and whose remaining shard's message was lost, is rescued by the next sweep, not
// 30 days and StuckAfter later (a stamp StuckAfter or more ahead of the clock says nothing of how
// recent the progress was); after the rescue it is not rescued again on every sweep (the record
// still ahead of the clock counts for nothing, the rescue's own stamp does).
func TestRescueAfterClockSetBack(t *testing.T) {
	ctx := context.Background()
	ahead := time.Date(2031, 1, 31, 0, 0, 0, 0, time.UTC)
	clk := &testClock{now: ahead}
	const stuck = 15 * time.Minute
	st := newLocalService(t, pipeline.Config{MaxFilesPerShard: 1, StuckAfter: stuck}, clk.service)
	id := perFileJob(t, ctx, st, map[string]string{"a.txt": "A fine day for a walk.", "b.txt": "A fine day for a swim."})
	msgs, err := st.queue.Receive(ctx, 10, time.Minute)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%d shard messages, %v; want 2", len(msgs), err)
	}
	var first pipeline.ShardMessage
	if err := json.Unmarshal(msgs[0].Body, &first); err != nil {
		t.Fatal(err)
	}
	if err := st.svc.ProcessShard(ctx, first); err != nil { // recorded at the clock running ahead
		t.Fatal(err)
	}
	for _, m := range msgs { // the other shard's message is lost
		if err := st.queue.Delete(ctx, m.Receipt); err != nil {
			t.Fatal(err)
		}
	}

	back := ahead.Add(-30 * 24 * time.Hour)
	clk.set(back)
	rep, err := st.svc.Sweep(ctx)
	if err != nil || rep.Rescued != 1 {
		t.Fatalf("sweep after the clock went back 30 days: %+v, %v; want the job rescued", rep, err)
	}
	if n, err := st.queue.Waiting(ctx); err != nil || n != 1 {
		t.Fatalf("after the rescue %d messages wait, %v; want the lost shard's", n, err)
	}
	clk.set(back.Add(stuck / 2))
	if rep, err := st.svc.Sweep(ctx); err != nil || rep.Rescued != 0 {
		t.Fatalf("sweep %v after the rescue: %+v, %v; want no second rescue", stuck/2, rep, err)
	}
	j, err := st.jobs.Get(ctx, "local", id)
	if err != nil || j.JobStatus != job.InProgress || j.JobDetails.ShardsDone != 1 {
		t.Fatalf("job %+v, %v", j, err)
	}
}
