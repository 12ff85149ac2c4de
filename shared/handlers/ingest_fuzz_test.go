package handlers_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"testing"

	"github.com/ream-dev/ream/shared/handlers"
)

// FuzzIngest hands the ingest handler arbitrary events, as its Lambda receives them (an SQS
// batch of EventBridge events, an S3 notification, an EventBridge event, or anything else), and
// S3 notifications and EventBridge events naming arbitrary object keys: no panic; an object
// that is no job's upload and in no drop rule's folder is ignored, not an error (an error is
// delivered again until the dead-letter queue); an undecodable message in an SQS batch is
// dropped, not reported for redelivery.
func FuzzIngest(f *testing.F) {
	for _, s := range []struct{ raw, key string }{
		{`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"object":{"key":"inputs/tenant-a/j/input","eTag":"e"}}}]}`, "inputs/tenant-a/0f1e2d3c/input"},
		{`{"version":"0","id":"1","detail-type":"Object Created","source":"aws.s3","detail":{"object":{"key":"inputs/tenant-a/drop/r/a.txt"}}}`, "inputs/tenant-a/drop/r/a b+c%2F.txt"},
		{`{"Records":[{"eventSource":"aws:sqs","messageId":"m1","body":"{\"detail-type\":\"Object Created\",\"source\":\"aws.s3\",\"detail\":{\"object\":{\"key\":\"inputs/x/y/input\"}}}"},{"eventSource":"aws:sqs","messageId":"m2","body":"garbage"}]}`, "inputs/tenant-a/drop/x"},
		{`{"detail-type":"Object Created","source":"aws.s3","detail":"not an object"}`, "outputs/tenant-a/j/output.tar.gz"},
		{`[]`, "inputs/-bad/../x"},
		{`{"Records":null}`, "inputs/tenant-a/drop/r/.hidden/_SUCCESS"},
		{`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"%zz"}}}]}`, ""},
	} {
		f.Add([]byte(s.raw), s.key)
	}
	svc, _ := newServiceWrapping(f, nil)
	h := handlers.NewIngest(svc, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw []byte, key string) {
		resp, _ := h.HandleJSON(ctx, json.RawMessage(raw))
		for _, fl := range resp.BatchItemFailures {
			var batch struct {
				Records []struct{ MessageId, Body string } `json:"Records"`
			}
			_ = json.Unmarshal(raw, &batch)
			for _, m := range batch.Records {
				var probe map[string]json.RawMessage
				if m.MessageId == fl.ItemIdentifier && json.Unmarshal([]byte(m.Body), &probe) != nil {
					t.Fatalf("message %q, not a JSON object, reported for redelivery", m.Body)
				}
			}
		}
		// The same key as an S3 notification (URL-encoded) and as an EventBridge event (as is):
		// no job has it (the service has none) and no drop rule is put, so both are ignored.
		s3 := map[string]any{"Records": []any{map[string]any{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
			"s3": map[string]any{"object": map[string]any{"key": url.QueryEscape(key), "eTag": "e"}}}}}
		eb := map[string]any{"detail-type": "Object Created", "source": "aws.s3", "detail": map[string]any{"object": map[string]any{"key": key}}}
		for _, ev := range []any{s3, eb} {
			b, _ := json.Marshal(ev)
			if _, err := h.HandleJSON(ctx, b); err != nil {
				t.Fatalf("object %q of no job or rule: %v", key, err)
			}
		}
	})
}
