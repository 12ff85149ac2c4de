package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestShardBatchStopsBeforeTheDeadline: in an invocation with a deadline, the message running
// when the deadline nears is cut short and the ones not begun are handed back, so the batch
// answers in time and the message done is deleted (an invocation killed at its timeout had
// the whole batch delivered again).
func TestShardBatchStopsBeforeTheDeadline(t *testing.T) {
	body := `{"tenant":"t","jobId":"j","shard":0,"key":"k","end":10}`
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "quick", Body: body}, {MessageId: "long", Body: body}, {MessageId: "later", Body: body}}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second) // reserve 200 ms: room for a loaded machine
	defer cancel()
	var started []string
	calls := 0
	rel := &fakeReleaser{}
	resp := shardBatch(ctx, slog.New(slog.DiscardHandler), ev, rel, true, func(run context.Context, _ pipeline.ShardMessage) error {
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
	// Both handed back for the deadline are made visible again at once (found by an outside
	// review: each waited out the visibility timeout, its receive counted); a failure is not.
	if !reflect.DeepEqual(rel.released, []string{"long", "later"}) {
		t.Errorf("released %v; want long and later", rel.released)
	}
	rel.released = nil
	resp = shardBatch(context.Background(), slog.New(slog.DiscardHandler), ev, rel, true, func(context.Context, pipeline.ShardMessage) error { return errors.New("shard failed") })
	if len(resp.BatchItemFailures) != 3 || len(rel.released) != 0 {
		t.Errorf("failures %+v, released %v; want three failures, none released", resp.BatchItemFailures, rel.released)
	}
	// Without a deadline (the local stack) nothing is cut.
	resp = shardBatch(context.Background(), slog.New(slog.DiscardHandler), ev, nil, true, func(context.Context, pipeline.ShardMessage) error { return nil })
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("failures without a deadline: %+v", resp.BatchItemFailures)
	}
}

// TestLambdaRequestEndsBeforeTheInvocation: an API request's context ends a little before the
// invocation's deadline, so that a request whose store is throttled (the SDK's retries wait with
// the context) answers 503 in time instead of being cut off with the function.
func TestLambdaRequestEndsBeforeTheInvocation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second) // reserve 200 ms: room for a loaded machine
	defer cancel()
	invocation, _ := ctx.Deadline()
	h := LambdaHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dl, ok := r.Context().Deadline()
		if !ok || !dl.Before(invocation) {
			t.Errorf("request deadline %v (set %v), want before the invocation's %v", dl, ok, invocation)
		}
		<-r.Context().Done() // a store that never answers
		api.WriteError(w, http.StatusServiceUnavailable, api.CodeUnavailable, api.Message(r.Context().Err()))
	}))
	resp, err := h(ctx, events.APIGatewayV2HTTPRequest{RawPath: "/v1/jobs"})
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable || ctx.Err() != nil {
		t.Errorf("response %d, %v after the invocation's deadline: %v; want a 503 before it", resp.StatusCode, err, ctx.Err())
	}
}

// slowJobs is a job store whose Get lasts until its context ends, counting the calls.
type slowJobs struct {
	pipeline.Jobs
	gets atomic.Int32
}

func (j *slowJobs) Get(ctx context.Context, _, _ string) (*job.Job, error) {
	j.gets.Add(1)
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestIngestBatchStopsBeforeTheDeadline: ingest's SQS batches, as the worker's (sqsBatch), cut the
// event running when the invocation's time is nearly up and hand back the ones not begun.
func TestIngestBatchStopsBeforeTheDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second) // reserve 200 ms: room for a loaded machine
	defer cancel()
	jobs := &slowJobs{}
	h := NewIngest(pipeline.New(pipeline.Deps{Jobs: jobs}), slog.New(slog.DiscardHandler))
	body := `{"detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"inputs/t/j/input","etag":"e"}}}`
	raw, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "a", Body: body, EventSource: "aws:sqs"}, {MessageId: "b", Body: body, EventSource: "aws:sqs"}}})
	resp, err := h.HandleJSON(ctx, raw)
	if err != nil || len(resp.BatchItemFailures) != 2 || ctx.Err() != nil {
		t.Errorf("HandleJSON = %+v, %v (deadline passed: %v); want both events handed back before the deadline", resp.BatchItemFailures, err, ctx.Err())
	}
	if n := jobs.gets.Load(); n != 1 {
		t.Errorf("%d events begun, want 1 (the second handed back without starting)", n)
	}
}

// fakeReleaser records the messages it is asked to make visible again.
type fakeReleaser struct{ released []string }

func (r *fakeReleaser) Release(_ context.Context, msgs []events.SQSMessage) error {
	for _, m := range msgs {
		r.released = append(r.released, m.MessageId)
	}
	return nil
}
