package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ream-dev/ream/shared/pipeline"
)

// S3EventBridgeDetail is the detail of the EventBridge event S3 sends for an object created in a
// bucket with EventBridge notifications on (source "aws.s3", detail-type "Object Created").
// Unlike S3 notifications, its key is not URL-encoded.
type S3EventBridgeDetail struct {
	Version string `json:"version"`
	Bucket  struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"etag"`
		VersionID string `json:"version-id,omitempty"`
		Sequencer string `json:"sequencer"`
	} `json:"object"`
	RequestID       string `json:"request-id"`
	Requester       string `json:"requester"`
	SourceIPAddress string `json:"source-ip-address,omitempty"`
	Reason          string `json:"reason"`
}

// Event names of the EventBridge events ingest takes.
const (
	eventBridgeS3Source     = "aws.s3"
	eventBridgeObjectCreate = "Object Created"
)

// HandleEventBridge processes an EventBridge "Object Created" event from S3. An error makes the
// message (or the EventBridge target) retry (ObjectCreated is idempotent); events of other kinds
// are ignored.
func (h *Ingest) HandleEventBridge(ctx context.Context, ev events.EventBridgeEvent) error {
	if ev.Source != eventBridgeS3Source || ev.DetailType != eventBridgeObjectCreate {
		h.log.InfoContext(ctx, "not an S3 Object Created event; ignored", "source", ev.Source, "detailType", ev.DetailType)
		return nil
	}
	var d S3EventBridgeDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		h.log.ErrorContext(ctx, "undecodable Object Created detail; ignored", "event", ev.ID, "err", err)
		return nil
	}
	o := pipeline.CreatedObject{Key: d.Object.Key, ETag: d.Object.ETag, VersionId: d.Object.VersionID}
	if err := h.svc.ObjectCreated(ctx, o); err != nil {
		h.log.ErrorContext(ctx, LogInputFailed, "key", o.Key, "err", err)
		return fmt.Errorf("%s: %w", o.Key, err)
	}
	return nil
}

// HandleJSON is the ingest Lambda's handler. The deployed stack's rule sends S3's Object
// Created events to the ingest queue, so ingest gets an SQS batch whose messages are EventBridge
// events; each message that fails is reported in the response's batchItemFailures and comes
// back after the queue's visibility timeout (the queue's dead-letter queue takes it after
// IngestMaxReceiveCount receives), so an event is never dropped on an error. It also takes an
// EventBridge event or an S3 notification ({"Records": …}) invoked directly, or as an SQS
// message body, so the function works behind any of these triggers (S3's s3:TestEvent, which
// such a notification sends first, is logged and ignored); a direct event's error is the
// invocation's.
func (h *Ingest) HandleJSON(ctx context.Context, raw json.RawMessage) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	var probe struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(raw, &probe); err == nil && len(probe.Records) > 0 && probe.Records[0].EventSource == "aws:sqs" {
		var batch events.SQSEvent
		if err := json.Unmarshal(raw, &batch); err != nil {
			return resp, fmt.Errorf("ingest: undecodable SQS batch: %w", err)
		}
		return sqsBatch(ctx, h.log, batch, h.Releaser, func(run context.Context, m events.SQSMessage) error {
			err := h.handleEvent(run, json.RawMessage(m.Body))
			var bad undecodable
			if errors.As(err, &bad) {
				// Delivering it again cannot help: logged and dropped.
				h.log.ErrorContext(ctx, "undecodable ingest message; dropped", "messageId", m.MessageId, "err", err)
				return nil
			}
			return err
		}), nil
	}
	return resp, h.handleEvent(ctx, raw)
}

// undecodable is an ingest event that is neither an S3 notification nor an EventBridge event.
type undecodable struct{ error }

// s3TestEvent is the Event of the message S3 sends to a notification's destination when the
// notification is configured ({"Service":"Amazon S3","Event":"s3:TestEvent",…}, no Records).
const s3TestEvent = "s3:TestEvent"

// handleEvent handles one EventBridge event or S3 notification.
func (h *Ingest) handleEvent(ctx context.Context, raw json.RawMessage) error {
	var probe struct {
		Records    json.RawMessage `json:"Records"`
		DetailType string          `json:"detail-type"`
		Event      string          `json:"Event"`
		Bucket     string          `json:"Bucket"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return undecodable{fmt.Errorf("ingest: the event is not a JSON object: %w", err)}
	}
	switch {
	case probe.Event == s3TestEvent && probe.Records == nil && probe.DetailType == "":
		// Not an object: S3 checks that the destination takes its notifications. It was an
		// undecodable event: an error logged (and, invoked directly, a failed invocation that
		// Lambda retried) every time a bucket notification to ingest was configured.
		h.log.InfoContext(ctx, "S3 test event (sent when a bucket notification is configured); ignored", "bucket", probe.Bucket)
		return nil
	case probe.DetailType != "":
		var ev events.EventBridgeEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return undecodable{fmt.Errorf("ingest: undecodable EventBridge event: %w", err)}
		}
		return h.HandleEventBridge(ctx, ev)
	case probe.Records != nil:
		var ev events.S3Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return undecodable{fmt.Errorf("ingest: undecodable S3 event: %w", err)}
		}
		return h.Handle(ctx, ev)
	}
	return undecodable{errors.New("ingest: the event is neither an S3 notification nor an EventBridge event")}
}
