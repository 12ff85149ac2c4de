package local_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestQueueReturnDoesNotCount: a delivery handed back by Return (a clean stop cut its handler
// short) is visible at once and does not count towards the dead-letter queue; a receipt that
// is not the latest is ErrNotFound.
func TestQueueReturnDoesNotCount(t *testing.T) {
	ctx := context.Background()
	q := local.NewQueue(openDB(t, t.TempDir()), "shards", 1)
	if err := q.Send(ctx, []pipeline.ShardMessage{{Tenant: "t1", JobId: "j1", Index: 0}}); err != nil {
		t.Fatal(err)
	}
	for round := 1; round <= 3; round++ {
		got, err := q.Receive(ctx, 10, time.Hour)
		if err != nil || len(got) != 1 {
			t.Fatalf("round %d: received %d, %v; want the message back (a returned delivery is not counted)", round, len(got), err)
		}
		if got[0].ReceiveCount != 1 {
			t.Errorf("round %d: ReceiveCount %d, want 1", round, got[0].ReceiveCount)
		}
		if err := q.Return(ctx, got[0].Receipt); err != nil {
			t.Fatal(err)
		}
		if err := q.Return(ctx, "not-a-receipt"); !errors.Is(err, job.ErrNotFound) {
			t.Fatalf("Return of a receipt that is not current: %v, want ErrNotFound", err)
		}
	}
	if dead, err := q.DeadLetters(ctx); err != nil || len(dead) != 0 {
		t.Fatalf("dead letters %d, %v; want none", len(dead), err)
	}
}
