package local

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	sl "github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestDeliveryEndsAtLambdasTimeout: a delivery's handler gets a context that ends at
// maxHandlerRun, as a Lambda invocation ends at its timeout, and its message comes back only
// once the handler has returned. Without the deadline a handler outlived its heartbeat and ran
// on beside the copy of its message delivered again (found measuring a coding training of
// 50 MB, which took longer than 15 minutes on a loaded machine: two trainings ran at once).
func TestDeliveryEndsAtLambdasTimeout(t *testing.T) {
	saved := maxHandlerRun
	maxHandlerRun = 2 * time.Second
	t.Cleanup(func() { maxHandlerRun = saved })
	ctx := testCtx(t)
	db, err := sl.OpenDB(filepath.Join(t.TempDir(), "ream.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	q := sl.NewQueue(db, "shards", 5)
	if err := q.Send(ctx, []pipeline.ShardMessage{{Tenant: "local", JobId: "j", Index: 0}}); err != nil {
		t.Fatal(err)
	}
	s := &Stack{log: testLogger(t), cfg: Config{PollInterval: Duration(10 * time.Millisecond)}, noSpace: new(atomic.Int64)}
	pctx, stop := context.WithCancel(ctx)
	var running, deliveries atomic.Int32
	overlapped := make(chan bool, 4)
	again := make(chan struct{})
	s.poll(pctx, "shards", q, 2, 2, 1, 500*time.Millisecond, func(hctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		n := deliveries.Add(1)
		overlapped <- running.Add(1) > 1
		defer running.Add(-1)
		if n > 1 {
			close(again)
			stop()
			return events.SQSEventResponse{}, nil
		}
		if _, ok := hctx.Deadline(); !ok {
			t.Error("the handler's context has no deadline")
		}
		select {
		case <-hctx.Done(): // the deadline: hand the message back, as a cut-short handler does
		case <-ctx.Done():
		}
		return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: ev.Records[0].MessageId}}}, nil
	})
	select {
	case <-again:
	case <-ctx.Done():
		t.Fatal("the message was not delivered again after its handler's deadline")
	}
	s.wg.Wait()
	close(overlapped)
	for o := range overlapped {
		if o {
			t.Error("the message was delivered again while its first handler still ran")
		}
	}
}
