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
// EventBridge target retry (ObjectCreated is idempotent); events of other kinds are ignored.
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
		h.log.ErrorContext(ctx, "input event failed", "key", o.Key, "err", err)
		return fmt.Errorf("%s: %w", o.Key, err)
	}
	return nil
}

// HandleJSON is the ingest Lambda's handler: it takes an S3 notification ({"Records": …}) or an
// EventBridge event ({"detail-type": …}), so the function works behind either trigger.
func (h *Ingest) HandleJSON(ctx context.Context, raw json.RawMessage) error {
	var probe struct {
		Records    json.RawMessage `json:"Records"`
		DetailType string          `json:"detail-type"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return fmt.Errorf("ingest: the event is not a JSON object: %w", err)
	}
	switch {
	case probe.DetailType != "":
		var ev events.EventBridgeEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return fmt.Errorf("ingest: undecodable EventBridge event: %w", err)
		}
		return h.HandleEventBridge(ctx, ev)
	case probe.Records != nil:
		var ev events.S3Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return fmt.Errorf("ingest: undecodable S3 event: %w", err)
		}
		return h.Handle(ctx, ev)
	}
	return errors.New("ingest: the event is neither an S3 notification nor an EventBridge event")
}
