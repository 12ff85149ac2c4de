package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ream-dev/ream/shared/pipeline"
)

// Ingest handles S3 ObjectCreated notifications for the inputs/ prefix.
type Ingest struct {
	svc *pipeline.Service
	log *slog.Logger
}

// NewIngest builds the ingest handler.
func NewIngest(svc *pipeline.Service, log *slog.Logger) *Ingest {
	if log == nil {
		log = slog.Default()
	}
	return &Ingest{svc: svc, log: log}
}

// Handle processes every record; an error makes Lambda retry the event (InputArrived is
// idempotent), so all records are attempted and the errors joined.
func (h *Ingest) Handle(ctx context.Context, ev events.S3Event) error {
	var errs []error
	for _, r := range ev.Records {
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") && !strings.HasPrefix(r.EventName, "s3:ObjectCreated:") {
			continue
		}
		key, err := ObjectKey(r.S3.Object)
		if err != nil {
			h.log.ErrorContext(ctx, "undecodable object key; ignored", "key", r.S3.Object.Key, "err", err)
			continue
		}
		if err := h.svc.InputArrived(ctx, key); err != nil {
			h.log.ErrorContext(ctx, "input event failed", "key", key, "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

// ObjectKey returns the plain key of an S3 event object: S3 (and MinIO) URL-encode keys in
// notifications, with '+' for spaces. aws-lambda-go fills URLDecodedKey when it can.
func ObjectKey(o events.S3Object) (string, error) {
	if o.URLDecodedKey != "" {
		return o.URLDecodedKey, nil
	}
	return url.QueryUnescape(o.Key)
}

// Worker handles batches of shard messages from SQS and reports partial batch failures, so only
// the failed messages come back (after their visibility timeout) and, past maxReceiveCount, go
// to the dead-letter queue.
type Worker struct {
	svc *pipeline.Service
	log *slog.Logger
}

// NewWorker builds the worker handler.
func NewWorker(svc *pipeline.Service, log *slog.Logger) *Worker {
	if log == nil {
		log = slog.Default()
	}
	return &Worker{svc: svc, log: log}
}

// Handle processes the batch's messages in order.
func (h *Worker) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		msg, err := DecodeShardMessage(m.Body)
		if err != nil {
			// Not ours and never will be: report it as failed so it ends in the dead-letter
			// queue for inspection instead of vanishing.
			h.log.ErrorContext(ctx, "malformed shard message", "messageId", m.MessageId, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			continue
		}
		if err := h.svc.ProcessShard(ctx, msg); err != nil {
			h.log.ErrorContext(ctx, "shard failed", "messageId", m.MessageId, "tenant", msg.Tenant, "job", msg.JobId, "shard", msg.Index, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// DeadLetters consumes the dead-letter queue: each poison shard's documents are written as
// SHARD_FAILED error records, so the job still completes with every document accounted for.
type DeadLetters struct {
	svc *pipeline.Service
	log *slog.Logger
}

// NewDeadLetters builds the dead-letter handler.
func NewDeadLetters(svc *pipeline.Service, log *slog.Logger) *DeadLetters {
	if log == nil {
		log = slog.Default()
	}
	return &DeadLetters{svc: svc, log: log}
}

// Handle processes the batch.
func (h *DeadLetters) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		msg, err := DecodeShardMessage(m.Body)
		if err != nil {
			h.log.ErrorContext(ctx, "malformed dead letter dropped", "messageId", m.MessageId, "body", truncate(m.Body, 200), "err", err)
			continue
		}
		reason := "the shard failed on every delivery and was moved to the dead-letter queue"
		if err := h.svc.DeadLetter(ctx, msg, reason); err != nil {
			h.log.ErrorContext(ctx, "dead letter failed", "messageId", m.MessageId, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// DecodeShardMessage parses and checks a queue message body.
func DecodeShardMessage(body string) (pipeline.ShardMessage, error) {
	var m pipeline.ShardMessage
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("decode shard message: %w", err)
	}
	if m.Tenant == "" || m.JobId == "" || m.Index < 0 {
		return m, errors.New("shard message lacks tenant, job or shard")
	}
	return m, nil
}

// Sweeper runs the periodic sweep from an EventBridge scheduled event.
type Sweeper struct {
	svc *pipeline.Service
	log *slog.Logger
}

// NewSweeper builds the sweeper handler.
func NewSweeper(svc *pipeline.Service, log *slog.Logger) *Sweeper {
	if log == nil {
		log = slog.Default()
	}
	return &Sweeper{svc: svc, log: log}
}

// Handle runs one sweep.
func (h *Sweeper) Handle(ctx context.Context, ev events.EventBridgeEvent) (pipeline.SweepReport, error) {
	rep, err := h.svc.Sweep(ctx)
	if rep.JobsScanned > 0 || err != nil {
		h.log.InfoContext(ctx, "sweep", "event", ev.ID, "report", rep, "err", err)
	}
	return rep, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
