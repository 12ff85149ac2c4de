package local_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestRestart closes the database and reopens it: jobs, shard records and queue state
// (in-flight messages, receive counts, dead letters) survive.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ream.db")
	ctx := context.Background()
	clock := newFakeClock()

	db, err := local.OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	jobs := local.NewJobs(db)
	j := &job.Job{JobId: "j1", Tenant: "t1", JobStatus: job.InProgress, SubmitTime: time.Now(), InputKey: "inputs/t1/j1",
		ClientRequestToken: "tok", JobDetails: job.Details{ShardsTotal: 2}}
	if _, _, err := jobs.Create(ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, _, err := jobs.RecordShard(ctx, "t1", "j1", pipeline.ShardRecord{Index: 0, Documents: 4}); err != nil {
		t.Fatal(err)
	}
	q := local.NewQueue(db, "shards", 2, local.WithClock(clock.Now))
	if err := q.Send(ctx, []pipeline.ShardMessage{{Tenant: "t1", JobId: "j1", Index: 1}, {Tenant: "t1", JobId: "j1", Index: 2}}); err != nil {
		t.Fatal(err)
	}
	if err := q.SendRaw(ctx, [][]byte{[]byte("poison")}); err != nil {
		t.Fatal(err)
	}
	inflight, err := q.Receive(ctx, 1, time.Minute) // shard 1 is in flight when the process dies
	if err != nil || len(inflight) != 1 {
		t.Fatalf("Receive = %v, %v", inflight, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = local.OpenDB(path) // migrations are idempotent
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	jobs = local.NewJobs(db)
	got, err := jobs.Get(ctx, "t1", "j1")
	if err != nil || got.InputKey != "inputs/t1/j1" || got.JobDetails.ShardsDone != 1 || got.JobDetails.InputDocumentsCount != 4 || got.Version != 2 {
		t.Fatalf("job after restart = %+v, %v", got, err)
	}
	if _, applied, _ := jobs.RecordShard(ctx, "t1", "j1", pipeline.ShardRecord{Index: 0, Documents: 4}); applied {
		t.Fatalf("a shard recorded before the restart was applied again")
	}
	if _, created, _ := jobs.Create(ctx, &job.Job{JobId: "j2", Tenant: "t1", ClientRequestToken: "tok"}); created {
		t.Fatalf("the client token was forgotten")
	}

	q = local.NewQueue(db, "shards", 2, local.WithClock(clock.Now))
	msgs, err := q.Receive(ctx, 10, time.Minute)
	// The poison (its own group, tagged 1 as shard 1 was) comes before shard 2 (tagged 2).
	if err != nil || len(msgs) != 2 || string(msgs[0].Body) != "poison" || !strings.Contains(string(msgs[1].Body), `"shard":2`) {
		t.Fatalf("after restart: received %d messages, %v; want the poison and then shard 2 (shard 1 is in flight)", len(msgs), err)
	}
	clock.Advance(2 * time.Minute)
	msgs, err = q.Receive(ctx, 10, time.Minute)
	if err != nil || len(msgs) != 3 {
		t.Fatalf("after the visibility timeout: %d messages, %v; want 3", len(msgs), err)
	}
	for _, m := range msgs {
		if m.ID == inflight[0].ID && m.ReceiveCount != 2 {
			t.Fatalf("the in-flight message lost its receive count: %d", m.ReceiveCount)
		}
		if string(m.Body) != "poison" {
			q.Delete(ctx, m.Receipt)
		}
	}
	clock.Advance(2 * time.Minute)
	if msgs, _ := q.Receive(ctx, 10, time.Minute); len(msgs) != 0 {
		t.Fatalf("the poison message was delivered a third time")
	}
	dead, err := q.DeadLetters(ctx)
	if err != nil || len(dead) != 1 || string(dead[0].Body) != "poison" {
		t.Fatalf("DeadLetters = %+v, %v", dead, err)
	}
	dlq := q.DeadLetterQueue()
	if m, err := dlq.Receive(ctx, 10, time.Minute); err != nil || len(m) != 1 || dlq.Delete(ctx, m[0].Receipt) != nil {
		t.Fatalf("consuming the dead-letter queue: %+v, %v", m, err)
	}
	if st, err := q.Stats(ctx); err != nil || st != (local.QueueStats{}) {
		t.Fatalf("Stats = %+v, %v; want empty", st, err)
	}
}
