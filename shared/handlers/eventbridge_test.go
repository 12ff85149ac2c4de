package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
)

// TestIngestEventBridgeDrop: the ingest handler takes the EventBridge Object Created sample
// (events/eventbridge-s3-object-created.json, a key in a drop rule's folder) as the deployed
// stack delivers it; the rule's job starts once however often the event comes, and carries the
// event's ETag and version id.
func TestIngestEventBridgeDrop(t *testing.T) {
	ctx := context.Background()
	svc, jobs := newServiceAndJobs(t)
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", "eventbridge-s3-object-created.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, tenant, rule := putSampleDropRule(t, svc, fixture[events.EventBridgeEvent](t, "eventbridge-s3-object-created.json"))
	h := handlers.NewIngest(svc, nil)
	for i := 0; i < 2; i++ {
		if _, err := h.HandleJSON(ctx, raw); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	listed, _, err := jobs.List(ctx, tenant, api.ListFilter{MaxResults: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 {
		t.Fatalf("%d jobs after two deliveries, want 1", len(listed))
	}
	want := job.DropObject{Key: d.Object.Key, ETag: d.Object.ETag, VersionId: d.Object.VersionID}
	if j := listed[0]; j.DropRule != rule || j.DropObject != want {
		t.Errorf("job DropRule %q DropObject %+v; want %s, %+v", j.DropRule, j.DropObject, rule, want)
	}
}

// putSampleDropRule stores a LANGUAGE drop rule for the folder of the sample event ev's object
// and returns the event's detail, the tenant and the rule.
func putSampleDropRule(t *testing.T, svc *pipeline.Service, ev events.EventBridgeEvent) (handlers.S3EventBridgeDetail, string, string) {
	t.Helper()
	var d handlers.S3EventBridgeDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		t.Fatal(err)
	}
	tenant, rule, _, ok := droprule.ParseKey(d.Object.Key)
	if !ok {
		t.Fatalf("the sample's key %s is not in a drop folder", d.Object.Key)
	}
	if _, err := svc.PutDropRule(context.Background(), tenant, rule, api.CreateJobRequest{Analyses: []job.Analysis{job.Language}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}); err != nil {
		t.Fatal(err)
	}
	return d, tenant, rule
}

func TestIngestHandleJSONShapes(t *testing.T) {
	ctx := context.Background()
	h := handlers.NewIngest(newService(t), nil)
	// An S3 notification for a key that is no job's upload: handled (ignored), no error.
	s3raw, err := os.ReadFile(filepath.Join("..", "..", "events", "s3-object-created.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.HandleJSON(ctx, s3raw); err != nil {
		t.Errorf("S3 notification: %v", err)
	}
	// An EventBridge event of another kind: ignored.
	if _, err := h.HandleJSON(ctx, json.RawMessage(`{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`)); err != nil {
		t.Errorf("scheduled event: %v", err)
	}
	// A drop into a folder without a rule: ignored.
	noRule := `{"detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"inputs/t1/drop/none/x.txt","etag":"e"}}}`
	if _, err := h.HandleJSON(ctx, json.RawMessage(noRule)); err != nil {
		t.Errorf("drop without a rule: %v", err)
	}
	for _, bad := range []string{`not json`, `{}`, `[1]`} {
		if _, err := h.HandleJSON(ctx, json.RawMessage(bad)); err == nil || !strings.Contains(err.Error(), "ingest") {
			t.Errorf("HandleJSON(%s) = %v; want an ingest error", bad, err)
		}
	}
}

// failingGet is a job store whose Get fails for tenant "down", as a store that does not answer.
type failingGet struct{ pipeline.Jobs }

func (f failingGet) Get(ctx context.Context, tenant, id string) (*job.Job, error) {
	if tenant == "down" {
		return nil, errors.New("injected: the table is throttled")
	}
	return f.Jobs.Get(ctx, tenant, id)
}

// TestIngestSQSBatch: ingest takes the ingest queue's SQS batch (events/sqs-ingest-batch.json,
// an EventBridge Object Created event as its body) and starts the drop rule's job; a message
// whose event fails is reported as a batch item failure (it comes back, and after the ingest
// queue's maxReceiveCount goes to its dead-letter queue: never dropped), one that cannot be
// decoded is dropped, and the others are handled.
func TestIngestSQSBatch(t *testing.T) {
	ctx := context.Background()
	svc, jobs := newServiceWrapping(t, func(j pipeline.Jobs) pipeline.Jobs { return failingGet{j} })
	batch := fixture[events.SQSEvent](t, "sqs-ingest-batch.json")
	var ev events.EventBridgeEvent
	if err := json.Unmarshal([]byte(batch.Records[0].Body), &ev); err != nil {
		t.Fatal(err)
	}
	_, tenant, rule := putSampleDropRule(t, svc, ev)
	down := `{"detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"inputs/down/j1/input","etag":"e"}}}`
	batch.Records = append(batch.Records,
		events.SQSMessage{MessageId: "m-down", Body: down, EventSource: "aws:sqs"},
		events.SQSMessage{MessageId: "m-garbage", Body: "not json", EventSource: "aws:sqs"})
	raw, err := json.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := handlers.NewIngest(svc, nil).HandleJSON(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := []events.SQSBatchItemFailure{{ItemIdentifier: "m-down"}}; !reflect.DeepEqual(resp.BatchItemFailures, want) {
		t.Errorf("batch item failures %+v, want %+v", resp.BatchItemFailures, want)
	}
	listed, _, err := jobs.List(ctx, tenant, api.ListFilter{MaxResults: 10})
	if err != nil || len(listed) != 1 || listed[0].DropRule != rule {
		t.Fatalf("jobs after the batch: %d %v, want the drop rule's one", len(listed), err)
	}
}

// TestIngestS3TestEvent: the s3:TestEvent S3 sends to a notification's destination when the
// notification is configured (it has no Records) is ignored and said at INFO, invoked directly
// or as an SQS message body; before, it was an undecodable event: an error (a failed
// invocation, retried by Lambda) directly, an ERROR line "dropped" in a batch.
func TestIngestS3TestEvent(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	h := handlers.NewIngest(newService(t), slog.New(slog.NewJSONHandler(&logs, nil)))
	testEvent := `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-22T15:04:05.123Z","Bucket":"ream-bucket-example","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}`
	if _, err := h.HandleJSON(ctx, json.RawMessage(testEvent)); err != nil {
		t.Errorf("direct s3:TestEvent: %v, want it ignored", err)
	}
	batch, err := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-test", Body: testEvent, EventSource: "aws:sqs"}}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.HandleJSON(ctx, batch)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Errorf("s3:TestEvent in a batch: %+v %v, want it ignored", resp, err)
	}
	var n int
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l struct{ Level, Msg, Bucket string }
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if l.Level != "INFO" || !strings.Contains(l.Msg, "S3 test event") || l.Bucket != "ream-bucket-example" {
			t.Errorf("log line %s, want the test event said ignored at INFO with its bucket", line)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d log lines, want one per test event:\n%s", n, logs.String())
	}
}

// TestIngestS3OtherRecordsLogged: an S3 notification record that is not ObjectCreated (an
// ObjectRemoved, as a notification for every event sends) is ignored and said at INFO, as the
// EventBridge path says events of other kinds; it was skipped without a word.
func TestIngestS3OtherRecordsLogged(t *testing.T) {
	var logs bytes.Buffer
	h := handlers.NewIngest(newService(t), slog.New(slog.NewJSONHandler(&logs, nil)))
	removed := `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"object":{"key":"inputs/t1/j1/my+input%2B1","sequencer":"0A1B2C3D4E5F678901"}}}]}`
	if _, err := h.HandleJSON(context.Background(), json.RawMessage(removed)); err != nil {
		t.Fatal(err)
	}
	var l struct{ Level, Msg, EventName, Key string }
	if err := json.Unmarshal(logs.Bytes(), &l); err != nil || l.Level != "INFO" || l.EventName != "ObjectRemoved:Delete" || l.Key != "inputs/t1/j1/my+input%2B1" {
		t.Errorf("log %q (%v), want one INFO line naming the event and the key", logs.String(), err)
	}
}
