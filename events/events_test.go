// Package events holds real sample payloads, in the versions the handlers take, for tests and for
// `sam local invoke -e events/<file>.json`.
package events_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ream-dev/ream/shared/handlers"
)

// roundTrip decodes a fixture into v, encodes it and decodes it again, and checks nothing was lost
// between the two decodes.
func roundTrip[T any](t *testing.T, file string) T {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var first T
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&first); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	again, err := json.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	var second T
	if err := json.Unmarshal(again, &second); err != nil {
		t.Fatalf("%s: re-decode: %v", file, err)
	}
	if !reflect.DeepEqual(first, second) {
		t.Fatalf("%s: round trip changed the event:\n%+v\n%+v", file, first, second)
	}
	return first
}

func TestS3ObjectCreated(t *testing.T) {
	ev := roundTrip[events.S3Event](t, "s3-object-created.json")
	if len(ev.Records) != 1 || ev.Records[0].EventName != "ObjectCreated:Put" || ev.Records[0].EventSource != "aws:s3" {
		t.Fatalf("unexpected event: %+v", ev)
	}
	key, err := handlers.ObjectKey(ev.Records[0].S3.Object)
	if err != nil || !strings.HasPrefix(key, "inputs/") || ev.Records[0].S3.Object.Size != 6550 {
		t.Fatalf("object key %q size %d err %v", key, ev.Records[0].S3.Object.Size, err)
	}
}

func TestSQSBatch(t *testing.T) {
	ev := roundTrip[events.SQSEvent](t, "sqs-shard-batch.json")
	if len(ev.Records) != 2 {
		t.Fatalf("want 2 records, got %d", len(ev.Records))
	}
	for i, r := range ev.Records {
		m, err := handlers.DecodeShardMessage(r.Body)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if m.Index != i || m.Tenant == "" || m.JobId == "" || m.End <= m.Start {
			t.Fatalf("record %d: %+v", i, m)
		}
		if r.Attributes["ApproximateReceiveCount"] == "" || r.EventSource != "aws:sqs" {
			t.Fatalf("record %d lacks SQS attributes", i)
		}
	}
}

func TestAPIGatewayV2(t *testing.T) {
	for _, tt := range []struct{ file, method, route string }{
		{"apigw-v2-create-job.json", "POST", "POST /v1/jobs"},
		{"apigw-v2-describe-job.json", "GET", "GET /v1/jobs/{id}"},
	} {
		ev := roundTrip[events.APIGatewayV2HTTPRequest](t, tt.file)
		if ev.Version != "2.0" || ev.RequestContext.HTTP.Method != tt.method || ev.RouteKey != tt.route {
			t.Fatalf("%s: version %q method %q route %q", tt.file, ev.Version, ev.RequestContext.HTTP.Method, ev.RouteKey)
		}
		var tenant string
		var err error
		probe := handlers.LambdaHandler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			tenant, err = handlers.IAMAuth{}.Tenant(r)
		}))
		if _, lerr := probe(context.Background(), ev); lerr != nil {
			t.Fatal(lerr)
		}
		if err != nil || !strings.HasPrefix(tenant, "123456789012-") {
			t.Fatalf("%s: tenant %q err %v", tt.file, tenant, err)
		}
	}
}

func TestScheduledEvent(t *testing.T) {
	ev := roundTrip[events.EventBridgeEvent](t, "eventbridge-schedule.json")
	if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || ev.Time.IsZero() {
		t.Fatalf("unexpected event: %+v", ev)
	}
}

func TestEventBridgeS3ObjectCreated(t *testing.T) {
	ev := roundTrip[events.EventBridgeEvent](t, "eventbridge-s3-object-created.json")
	if ev.DetailType != "Object Created" || ev.Source != "aws.s3" || ev.Time.IsZero() {
		t.Fatalf("unexpected event: %+v", ev)
	}
	var d handlers.S3EventBridgeDetail
	dec := json.NewDecoder(strings.NewReader(string(ev.Detail)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("detail: %v", err)
	}
	again, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var d2 handlers.S3EventBridgeDetail
	if err := json.Unmarshal(again, &d2); err != nil || !reflect.DeepEqual(d, d2) {
		t.Fatalf("detail round trip changed it: %+v, %+v, %v", d, d2, err)
	}
	o := d.Object
	if !strings.HasPrefix(o.Key, "inputs/") || !strings.Contains(o.Key, "/drop/") || o.ETag == "" || o.VersionID == "" || o.Size != 6550 {
		t.Fatalf("object %+v", o)
	}
}

// TestSQSIngestBatch: the ingest queue's batch carries the EventBridge Object Created event as
// each message's body, unchanged.
func TestSQSIngestBatch(t *testing.T) {
	ev := roundTrip[events.SQSEvent](t, "sqs-ingest-batch.json")
	if len(ev.Records) != 1 || ev.Records[0].EventSource != "aws:sqs" {
		t.Fatalf("unexpected batch: %+v", ev)
	}
	b, err := os.ReadFile("eventbridge-s3-object-created.json")
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(ev.Records[0].Body), &got); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("the message body is not the EventBridge event: %v", err)
	}
}
