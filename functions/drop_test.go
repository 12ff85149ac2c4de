package functions_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
)

// apiEvent is the create fixture aimed at method rawPath with body.
func apiEvent(t *testing.T, method, rawPath, body string) []byte {
	t.Helper()
	return fixtureJSON(t, "apigw-v2-create-job.json", func(m map[string]any) {
		m["rawPath"] = rawPath
		m["body"] = body
		h := m["requestContext"].(map[string]any)["http"].(map[string]any)
		h["path"], h["method"] = rawPath, method
	})
}

// TestIngestBootstrapTakesEventBridgeDrop: the built api and ingest functions as the deployed
// stack runs them: a drop rule is stored through the api function, a file is uploaded into its
// folder through the presigned URL the api hands out, and the ingest function, invoked with the
// EventBridge Object Created event (events/ sample naming the object) in an SQS batch of the
// ingest queue (the CDK stack's trigger), starts the rule's job, once however often the event
// comes.
func TestIngestBootstrapTakesEventBridgeDrop(t *testing.T) {
	s := newEmulatorStack(t, 3)
	env := s.env()
	apiH := startFunction(t, "api", env)
	tenant := handlers.TenantFromARN(fixtureCaller)

	var rule api.DropRule
	apiCall(t, apiH, apiEvent(t, http.MethodPut, "/v1/drop-rules/nightly",
		`{"JobName":"nightly-","Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}`), http.StatusOK, &rule)
	if rule.Location != "s3://"+s.bucket+"/"+droprule.Prefix(tenant, "nightly") {
		t.Fatalf("rule %+v", rule)
	}
	var up api.Upload
	apiCall(t, apiH, apiEvent(t, http.MethodPost, "/v1/drop-rules/nightly/uploads", `{"File":"day 1.txt"}`), http.StatusOK, &up)
	putPresigned(t, &up, "one\ntwo\nthree\n")
	key := droprule.Prefix(tenant, "nightly") + "day 1.txt"
	head, err := s.c.S3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		t.Fatalf("the presigned upload did not land at %s: %v", key, err)
	}
	etag := strings.Trim(sdkaws.ToString(head.ETag), `"`)

	ev := fixtureJSON(t, "eventbridge-s3-object-created.json", func(m map[string]any) {
		m["resources"] = []string{"arn:aws:s3:::" + s.bucket}
		d := m["detail"].(map[string]any)
		d["bucket"] = map[string]any{"name": s.bucket}
		o := d["object"].(map[string]any)
		o["key"], o["etag"], o["size"] = key, etag, 14
		delete(o, "version-id") // the bucket is not versioned
	})
	ingest := startFunction(t, "ingest", env)
	// As the stack delivers it: in the ingest queue's SQS batch; then again, invoked directly.
	batch, err := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: string(ev), EventSource: "aws:sqs"}}})
	if err != nil {
		t.Fatal(err)
	}
	var resp events.SQSEventResponse
	ingest.response(t, batch, &resp)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("ingest reported %+v as failed", resp.BatchItemFailures)
	}
	ingest.response(t, ev, nil) // delivered again

	var list api.ListResponse
	apiCall(t, apiH, apiGetEvent(t, "/v1/jobs", ""), http.StatusOK, &list)
	if len(list.Jobs) != 1 {
		t.Fatalf("%d jobs after the event came twice, want 1", len(list.Jobs))
	}
	j := list.Jobs[0]
	if j.DropRule != "nightly" || j.DropObject != (job.DropObject{Key: key, ETag: etag}) || j.JobName != "nightly-day 1.txt" || j.JobStatus != job.InProgress {
		t.Fatalf("job %+v", j)
	}
}
