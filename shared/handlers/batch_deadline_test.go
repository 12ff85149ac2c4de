package handlers

import (
	"context"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ream-dev/ream/shared/pipeline"
)

// TestShardBatchStopsBeforeTheDeadline: in an invocation with a deadline, the message running
// when the deadline nears is cut short and the ones not begun are handed back, so the batch
// answers in time and the message done is deleted (an invocation killed at its timeout had
// the whole batch delivered again).
func TestShardBatchStopsBeforeTheDeadline(t *testing.T) {
	body := `{"tenant":"t","jobId":"j","shard":0,"key":"k","end":10}`
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "quick", Body: body}, {MessageId: "long", Body: body}, {MessageId: "later", Body: body}}}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var started []string
	calls := 0
	resp := shardBatch(ctx, slog.New(slog.DiscardHandler), ev, true, func(run context.Context, _ pipeline.ShardMessage) error {
		calls++
		started = append(started, ev.Records[calls-1].MessageId)
		if calls == 1 {
			return nil
		}
		<-run.Done() // a shard longer than the invocation has left
		return run.Err()
	})
	if ctx.Err() != nil {
		t.Fatal("the batch answered after the invocation's deadline")
	}
	want := []events.SQSBatchItemFailure{{ItemIdentifier: "long"}, {ItemIdentifier: "later"}}
	if !reflect.DeepEqual(resp.BatchItemFailures, want) || !reflect.DeepEqual(started, []string{"quick", "long"}) {
		t.Errorf("failures %+v after starting %v; want %+v after quick and long", resp.BatchItemFailures, started, want)
	}
	// Without a deadline (the local stack) nothing is cut.
	resp = shardBatch(context.Background(), slog.New(slog.DiscardHandler), ev, true, func(context.Context, pipeline.ShardMessage) error { return nil })
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("failures without a deadline: %+v", resp.BatchItemFailures)
	}
}
