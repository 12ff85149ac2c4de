package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ream-dev/ream/shared/internal/textcut"
	"github.com/ream-dev/ream/shared/pipeline"
)

// Ingest handles S3 ObjectCreated events for the inputs/ prefix: S3 notifications (Handle) and
// EventBridge "Object Created" events (HandleEventBridge); HandleJSON takes either. An object
// in a drop rule's folder starts the rule's job, any other is a job's upload.
type Ingest struct {
	svc *pipeline.Service
	log *slog.Logger
	// Releaser, when set, makes messages handed back at the deadline visible again at once.
	Releaser Releaser
}

// NewIngest builds the ingest handler.
func NewIngest(svc *pipeline.Service, log *slog.Logger) *Ingest {
	return &Ingest{svc: svc, log: orDefault(log)}
}

// Handle processes every ObjectCreated record (others, such as ObjectRemoved, are logged and
// ignored); an error makes Lambda retry the event (InputArrived is idempotent), so all records
// are attempted and the errors joined.
func (h *Ingest) Handle(ctx context.Context, ev events.S3Event) error {
	var errs []error
	for _, r := range ev.Records {
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") && !strings.HasPrefix(r.EventName, "s3:ObjectCreated:") {
			// Said as the EventBridge path says events of other kinds (it was silent).
			h.log.InfoContext(ctx, "not an S3 ObjectCreated record; ignored", "eventName", r.EventName, "key", r.S3.Object.Key)
			continue
		}
		key, err := ObjectKey(r.S3.Object)
		if err != nil {
			h.log.ErrorContext(ctx, "undecodable object key; ignored", "key", r.S3.Object.Key, "err", err)
			continue
		}
		o := pipeline.CreatedObject{Key: key, ETag: r.S3.Object.ETag, VersionId: r.S3.Object.VersionID}
		if err := h.svc.ObjectCreated(ctx, o); err != nil {
			h.log.ErrorContext(ctx, LogInputFailed, "key", key, "err", err)
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
	// Releaser, when set, makes messages handed back at the deadline visible again at once.
	Releaser Releaser
}

// NewWorker builds the worker handler.
func NewWorker(svc *pipeline.Service, log *slog.Logger) *Worker {
	return &Worker{svc: svc, log: orDefault(log)}
}

// Handle processes the batch's messages in order. A malformed message is reported as failed
// so that it ends in the dead-letter queue for inspection instead of vanishing.
func (h *Worker) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return shardBatch(ctx, h.log, ev, h.Releaser, true, h.svc.ProcessShard), nil
}

// DeadLetters consumes the dead-letter queue: each poison shard's documents are written as
// SHARD_FAILED error records, so the job still completes with every document accounted for.
type DeadLetters struct {
	svc *pipeline.Service
	log *slog.Logger
	// Releaser, when set, makes messages handed back at the deadline visible again at once.
	Releaser Releaser
}

// NewDeadLetters builds the dead-letter handler.
func NewDeadLetters(svc *pipeline.Service, log *slog.Logger) *DeadLetters {
	return &DeadLetters{svc: svc, log: orDefault(log)}
}

// deadLetterReason is the ErrorMessage of a dead-lettered shard's documents.
const deadLetterReason = "the shard failed on every delivery and was moved to the dead-letter queue"

// Handle processes the batch. A malformed message is logged and dropped: the dead-letter queue
// is the end of the line.
func (h *DeadLetters) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return shardBatch(ctx, h.log, ev, h.Releaser, false, func(ctx context.Context, m pipeline.ShardMessage) error {
		return h.svc.DeadLetter(ctx, m, deadLetterReason)
	}), nil
}

// sqsBatch runs handle on every message of an SQS batch, in order, and reports the ones it
// returns an error for as batch item failures. When ctx has a deadline (a Lambda invocation's),
// the batch stops a little before it: the message running then is cut short (handle sees its
// context end) and the ones not yet begun are handed back, all as batch item failures, so that
// the invocation answers in time and the messages already done are deleted; an invocation killed
// at its timeout would have had the whole batch delivered again, those too.
//
// With rel, the messages handed back for the deadline (not those that failed) are made visible
// again at once, within releaseTimeout: otherwise each would wait out the queue's visibility
// timeout (18 minutes for the shard queue) although nothing was wrong with it (found by an
// outside review). Their receive still counts: a message handed back untried as many times as
// the queue's maxReceiveCount is dead-lettered (a shard's documents then become SHARD_FAILED
// records, which a retry re-runs).
func sqsBatch(ctx context.Context, log *slog.Logger, ev events.SQSEvent, rel Releaser, handle func(run context.Context, m events.SQSMessage) error) events.SQSEventResponse {
	var resp events.SQSEventResponse
	var back []events.SQSMessage
	run, cancel := beforeDeadline(ctx)
	defer cancel()
	timeUp := func() bool { return run.Err() != nil && ctx.Err() == nil }
	for _, m := range ev.Records {
		if timeUp() {
			log.InfoContext(ctx, "the invocation's time is up; message handed back without starting", "messageId", m.MessageId)
			back = append(back, m)
		} else if err := handle(run, m); err == nil {
			continue
		} else if timeUp() && errors.Is(err, context.DeadlineExceeded) {
			back = append(back, m)
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
	}
	if rel != nil && len(back) > 0 {
		// Bounded, so that the answer still goes out before the invocation's deadline: an
		// invocation cut off there has its whole batch delivered again, the done ones too.
		rctx, cancel := context.WithTimeout(ctx, releaseTimeout)
		err := rel.Release(rctx, back)
		cancel()
		if err != nil {
			log.WarnContext(ctx, "could not make the handed-back messages visible again; they come back after the visibility timeout", "messages", len(back), "err", err)
		}
	}
	return resp
}

// releaseTimeout bounds the release of a batch's handed-back messages (within deadlineReserve).
const releaseTimeout = 2 * time.Second

// Releaser makes messages visible again at once (SQS ChangeMessageVisibility to 0): those a
// batch hands back because the invocation's time is up. The AWS adapter is reamaws.Releaser.
// The local stack has none: its deliveries end at 15 minutes too, and the messages they hand
// back come again after the queue's visibility timeout (its poller's heartbeat keeps them
// hidden until the handler has returned).
type Releaser interface {
	Release(ctx context.Context, msgs []events.SQSMessage) error
}

// shardBatch runs fn on every shard message of an SQS batch (sqsBatch) and reports the ones that
// failed (and, when reportMalformed, the undecodable ones) as batch item failures.
func shardBatch(ctx context.Context, log *slog.Logger, ev events.SQSEvent, rel Releaser, reportMalformed bool, fn func(context.Context, pipeline.ShardMessage) error) events.SQSEventResponse {
	return sqsBatch(ctx, log, ev, rel, func(run context.Context, m events.SQSMessage) error {
		msg, err := DecodeShardMessage(m.Body)
		if err != nil {
			log.ErrorContext(ctx, "malformed shard message", "messageId", m.MessageId, "body", truncate(m.Body, 200), "reported", reportMalformed, "err", err)
			if reportMalformed {
				return err
			}
			return nil
		}
		err = fn(run, msg)
		switch {
		case err == nil:
		case errors.Is(run.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
			log.WarnContext(ctx, "shard cut short by the invocation's deadline; handed back", "messageId", m.MessageId, "tenant", msg.Tenant, "job", msg.JobId, "shard", msg.Index)
		case errors.Is(ctx.Err(), context.Canceled):
			// A clean stop of the process cut the shard short: not the shard's failure.
			log.InfoContext(ctx, "shard interrupted by the stop; handed back", "messageId", m.MessageId, "tenant", msg.Tenant, "job", msg.JobId, "shard", msg.Index)
		default:
			log.ErrorContext(ctx, LogShardFailed, "messageId", m.MessageId, "tenant", msg.Tenant, "job", msg.JobId, "shard", msg.Index, "err", err)
		}
		return err
	})
}

// LogInputFailed is the message of the log line of every input event ingest failed on (it will be
// delivered again): ingest answers its SQS batches with batch item failures, which its Lambda
// Errors metric does not count, so the deployment counts these lines into its IngestFailures alarm.
const LogInputFailed = "input event failed"

// LogShardFailed is the message of the log line of every shard whose processing failed (it will
// be delivered again): the deployment counts these lines into its ShardFailures alarm.
const LogShardFailed = "shard failed"

// deadlineReserve is how long before an invocation's deadline its work stops (at most a tenth of
// the time the invocation has): enough to answer, with the batch item failures or a 503.
const deadlineReserve = 10 * time.Second

// beforeDeadline returns ctx ending deadlineReserve before the invocation's deadline (ctx's), so
// that what runs under it is cut short while there is still time to answer; ctx itself when it
// has no deadline (the local stack).
func beforeDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, dl.Add(-min(deadlineReserve, time.Until(dl)/10)))
}

// DecodeShardMessage parses and checks a queue message body: one JSON object, nothing after it
// (a body holding two messages had its second dropped without a word, found by fuzzing; a
// malformed body is reported, so that it reaches the dead-letter queue for inspection).
func DecodeShardMessage(body string) (pipeline.ShardMessage, error) {
	var m pipeline.ShardMessage
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("decode shard message: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return pipeline.ShardMessage{}, errors.New("decode shard message: data after the message's JSON object")
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
	return &Sweeper{svc: svc, log: orDefault(log)}
}

// Handle runs one sweep.
func (h *Sweeper) Handle(ctx context.Context, ev events.EventBridgeEvent) (pipeline.SweepReport, error) {
	rep, err := h.svc.Sweep(ctx)
	if rep.JobsScanned > 0 || err != nil {
		h.log.InfoContext(ctx, "sweep", "event", ev.ID, "report", rep, "err", err)
	}
	return rep, err
}

// truncate cuts s to at most n bytes, at a character boundary, marking the cut with "…": a
// value of the caller's that is echoed in a log line or an error message.
func truncate(s string, n int) string { return textcut.Clip(s, n) }

// maxEchoedID is how much of an ID an error message echoes: a job ID is a 36-character UUID, so
// a longer one is a mistake, and echoing all of it would make the answer as long as the request.
const maxEchoedID = 100

func orDefault(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.Default()
	}
	return log
}
