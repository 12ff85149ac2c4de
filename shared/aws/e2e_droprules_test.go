package aws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ream-dev/ream/shared/api"
	reamaws "github.com/ream-dev/ream/shared/aws"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
)

// TestE2EDropRule runs a drop rule on the emulators with the AWS adapters: the rule is stored
// through the API handler (in DynamoDB); an object is put into the rule's folder with the S3
// SDK, with no API call for the job; its ObjectCreated event (MinIO's webhook, or one the test
// builds from a HeadObject) reaches ingest, which starts the job from the rule's template; the
// job runs through SQS and notifies through SNS with the rule and the object in the
// notification and in Describe. The same event delivered again, and the same object version as
// an EventBridge "Object Created" event (the deployed stack's trigger), start nothing new.
func TestE2EDropRule(t *testing.T) {
	e2eSkipWithoutEmulators(t)
	// Hang protection only: nothing below asserts on time.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	s := newE2EStack(t, ctx, e2eShardBytes)
	s3Events := e2eStartObjectEvents(t, ctx, s)
	workers := &e2eSqsEventSource{
		name: "worker", q: reamaws.NewQueue(s.c.SQS, s.queues.URL), arn: s.queues.ARN, region: s.c.Config.Region,
		batch: 10, visibility: 30 * time.Second, retryAfter: time.Second, handle: s.worker.Handle, gate: &sync.RWMutex{},
	}
	workers.run(t, ctx, 2)
	sub := e2eNewSubscriber(s)
	tenant := handlers.TenantFromARN(e2eCaller)

	tmpl, err := json.Marshal(api.CreateJobRequest{
		JobName:         "nightly-",
		Analyses:        []job.Analysis{job.Language, job.Sentiment},
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine},
		Tags:            []job.Tag{{Key: "source", Value: "export"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var rule api.DropRule
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodPut, "/v1/drop-rules/nightly", string(tmpl), ""), http.StatusOK, &rule)
	if want := "s3://" + s.bucket + "/" + droprule.Prefix(tenant, "nightly"); rule.Location != want {
		t.Fatalf("rule location %s, want %s", rule.Location, want)
	}
	var rules api.DropRuleList
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/drop-rules", "", ""), http.StatusOK, &rules)
	if len(rules.DropRules) != 1 || rules.DropRules[0].Name != "nightly" {
		t.Fatalf("rules %+v", rules)
	}
	// Another principal (another tenant) does not see it.
	other := e2eApiRequest(t, http.MethodGet, "/v1/drop-rules/nightly", "", "arn:aws:sts::123456789012:assumed-role/other/session-2")
	s.callAPI(t, ctx, other, http.StatusNotFound, nil)

	data, docs := e2eGenLines(120, []int{7}, []int{50}, nil)
	key := droprule.Prefix(tenant, "nightly") + "2026-11-22/export part 1.txt"
	if _, err := s.c.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: &key, Body: bytes.NewReader(data)}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	s3Events.uploaded(t, ctx, key)
	in := s3Events.waitIngested(t, ctx, key)
	if in.Err != nil {
		t.Fatalf("ingest: %v", in.Err)
	}
	head, err := s.c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	etag := strings.Trim(sdkaws.ToString(head.ETag), `"`)

	dropJobs := func() []*job.Job {
		var l api.ListResponse
		s.callAPI(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/jobs", "", ""), http.StatusOK, &l)
		var out []*job.Job
		for _, j := range l.Jobs {
			if j.DropRule == "nightly" {
				out = append(out, j)
			}
		}
		return out
	}
	jobs := dropJobs()
	if len(jobs) != 1 {
		t.Fatalf("%d jobs after the object was dropped, want 1", len(jobs))
	}
	id := jobs[0].JobId

	// The same event again (S3 delivers at least once), and the same object version as the
	// EventBridge event the deployed stack's rule delivers.
	if err := s.ingest.Handle(ctx, in.Event); err != nil {
		t.Fatalf("repeated event: %v", err)
	}
	ev := map[string]any{
		"version": "0", "id": "e2e-" + uniq(t), "detail-type": "Object Created", "source": "aws.s3",
		"account": "123456789012", "time": time.Now().UTC().Format(time.RFC3339), "region": s.c.Config.Region,
		"resources": []string{"arn:aws:s3:::" + s.bucket},
		"detail": map[string]any{
			"version": "0", "bucket": map[string]string{"name": s.bucket},
			"object":     map[string]any{"key": key, "size": len(data), "etag": etag, "version-id": in.Event.Records[0].S3.Object.VersionID, "sequencer": "00"},
			"request-id": "e2e", "requester": "123456789012", "reason": "PutObject",
		},
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ingest.HandleJSON(ctx, raw); err != nil {
		t.Fatalf("EventBridge event: %v", err)
	}
	if jobs := dropJobs(); len(jobs) != 1 {
		t.Fatalf("%d jobs after the event was delivered three times, want 1", len(jobs))
	}

	d := sub.wait(t, ctx, id)
	var j job.Job
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/jobs/"+id, "", ""), http.StatusOK, &j)
	want := job.DropObject{Key: key, ETag: etag, VersionId: in.Event.Records[0].S3.Object.VersionID}
	if j.DropRule != "nightly" || j.DropObject != want {
		t.Errorf("Describe: DropRule %q DropObject %+v; want nightly, %+v", j.DropRule, j.DropObject, want)
	}
	if d.Note.DropRule != "nightly" || d.Note.DropObject != want {
		t.Errorf("notification: DropRule %q DropObject %+v; want nightly, %+v", d.Note.DropRule, d.Note.DropObject, want)
	}
	if j.JobName != "nightly-2026-11-22/export part 1.txt" || len(j.Tags) != 1 || j.InputDataConfig.S3Uri != "s3://"+s.bucket+"/"+key {
		t.Errorf("job %q tags %v input %s", j.JobName, j.Tags, j.InputDataConfig.S3Uri)
	}
	if j.JobStatus != job.PartialSuccess || j.JobDetails.InputDocumentsCount != int64(len(docs)) || d.Note.InputDocumentsCount != int64(len(docs)) {
		t.Errorf("job %s with %+v (notification %+v); want PARTIAL_SUCCESS over %d documents", j.JobStatus, j.JobDetails, d.Note, len(docs))
	}
	var links api.ResultLinks
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/jobs/"+id+"/results", "", ""), http.StatusOK, &links)
	if lines := e2eReadArchive(t, e2eDownload(t, ctx, links.Output)); len(lines) != len(docs) {
		t.Errorf("%d output lines, want %d", len(lines), len(docs))
	}

	// An object in a folder without a rule starts nothing.
	stray := droprule.Prefix(tenant, "norule") + "x.txt"
	if _, err := s.c.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: &stray, Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	s3Events.uploaded(t, ctx, stray)
	if in := s3Events.waitIngested(t, ctx, stray); in.Err != nil {
		t.Fatalf("ingest of an object without a rule: %v", in.Err)
	}
	var l api.ListResponse
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/jobs", "", ""), http.StatusOK, &l)
	if len(l.Jobs) != 1 {
		t.Errorf("%d jobs, want only the rule's one", len(l.Jobs))
	}
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodDelete, "/v1/drop-rules/nightly", "", ""), http.StatusNoContent, nil)
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodDelete, "/v1/drop-rules/nightly", "", ""), http.StatusNotFound, nil)
}
