package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// comprehendAPI is the API with the Comprehend surface over a store whose locations are
// s3://bucket/ (as on AWS), and its job store for planting jobs in any status.
func comprehendAPI(t *testing.T) (*handlers.API, pipeline.Jobs) {
	t.Helper()
	svc, jobs := newServiceAndJobs(t)
	a := handlers.NewAPI(svc, handlers.NewKeyAuth(map[string]string{"k": "tenant-a"}), nil).
		WithComprehend(handlers.NewSigV4Auth("comprehend", testKeys), handlers.ComprehendConfig{Bucket: "bucket", Region: "eu-west-1", Account: "123456789012"})
	return a, jobs
}

// call sends a signed Comprehend operation as tenant-a and returns the status and JSON body.
func call(t *testing.T, a http.Handler, op, body string) (int, map[string]any) {
	t.Helper()
	r := signedRequest(t, "AKIDTENANTA", "secret-a", body, time.Now(), map[string]string{"X-Amz-Target": "Comprehend_20171127." + op})
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s: body %q: %v", op, w.Body.String(), err)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("%s: content type %q", op, ct)
	}
	if typ, _ := out["__type"].(string); typ != "" && w.Header().Get("X-Amzn-ErrorType") != typ {
		t.Errorf("%s: X-Amzn-ErrorType %q, body type %q", op, w.Header().Get("X-Amzn-ErrorType"), typ)
	}
	return w.Code, out
}

const (
	inURI  = `"InputDataConfig":{"S3Uri":"s3://bucket/inputs/tenant-a/in.txt","InputFormat":"ONE_DOC_PER_LINE"}`
	outURI = `"OutputDataConfig":{"S3Uri":"s3://bucket/outputs/tenant-a/"}`
	role   = `"DataAccessRoleArn":"arn:aws:iam::123456789012:role/r"`
)

// Every Start operation names the required field it misses, as Comprehend's validation does.
func TestComprehendRequiredFields(t *testing.T) {
	a, _ := comprehendAPI(t)
	full := map[string][]string{
		"StartDominantLanguageDetectionJob": {inURI, outURI, role},
		"StartSentimentDetectionJob":        {inURI, outURI, role, `"LanguageCode":"en"`},
		"StartEntitiesDetectionJob":         {inURI, outURI, role, `"LanguageCode":"en"`},
		"StartKeyPhrasesDetectionJob":       {inURI, outURI, role, `"LanguageCode":"en"`},
		"StartPiiEntitiesDetectionJob":      {inURI, outURI, role, `"LanguageCode":"en"`, `"Mode":"ONLY_OFFSETS"`},
		"StartTopicsDetectionJob":           {inURI, outURI, role},
	}
	names := []string{"inputDataConfig", "outputDataConfig", "dataAccessRoleArn", "languageCode", "mode"}
	for op, fields := range full {
		for i := range fields {
			rest := append(append([]string(nil), fields[:i]...), fields[i+1:]...)
			status, out := call(t, a, op, "{"+strings.Join(rest, ",")+"}")
			msg, _ := out["Message"].(string)
			if status != http.StatusBadRequest || out["__type"] != "InvalidRequestException" || !strings.Contains(msg, "'"+names[i]+"'") {
				t.Errorf("%s without field %d: %d %v", op, i, status, out)
			}
		}
		for _, op := range []string{strings.Replace(op, "Start", "Describe", 1), strings.Replace(op, "Start", "Stop", 1)} {
			if op == "StopTopicsDetectionJob" {
				continue
			}
			if status, out := call(t, a, op, `{}`); status != http.StatusBadRequest || out["__type"] != "InvalidRequestException" || !strings.Contains(fmt.Sprint(out["Message"]), "jobId") {
				t.Errorf("%s without JobId: %d %v", op, status, out)
			}
		}
	}
	// InputFormat is Comprehend's enum: Ream's JSONL is not part of this surface.
	jsonl := strings.Replace(inURI, "ONE_DOC_PER_LINE", "JSONL", 1)
	status, out := call(t, a, "StartTopicsDetectionJob", "{"+strings.Join([]string{jsonl, outURI, role}, ",")+"}")
	if msg := fmt.Sprint(out["Message"]); status != http.StatusBadRequest || out["__type"] != "InvalidRequestException" ||
		!strings.Contains(msg, "inputDataConfig.inputFormat") || strings.Contains(msg, "JSONL]") {
		t.Errorf("InputFormat JSONL: %d %v", status, out)
	}
	// Members Comprehend's model gives a minimum length of 1 are refused empty (an empty JobName
	// made a nameless job, an empty MaskCharacter masked with '*'; found from outside).
	for op, body := range map[string]string{
		"StartSentimentDetectionJob":   "{" + strings.Join([]string{inURI, outURI, role, `"LanguageCode":"en"`, `"JobName":""`}, ",") + "}",
		"StartPiiEntitiesDetectionJob": "{" + strings.Join([]string{inURI, outURI, role, `"LanguageCode":"en"`, `"Mode":"ONLY_REDACTION"`, `"RedactionConfig":{"MaskMode":"MASK","MaskCharacter":""}`}, ",") + "}",
		"StartEntitiesDetectionJob":    "{" + strings.Join([]string{inURI, outURI, role, `"LanguageCode":"en"`, `"VpcConfig":{"SecurityGroupIds":[],"Subnets":["s"]}`}, ",") + "}",
		"ListSentimentDetectionJobs":   `{"NextToken":""}`,
	} {
		status, out := call(t, a, op, body)
		if msg := fmt.Sprint(out["Message"]); status != http.StatusBadRequest || out["__type"] != "InvalidRequestException" || !strings.Contains(msg, "length greater than or equal to 1") {
			t.Errorf("%s with an empty member: %d %v", op, status, out)
		}
	}
	// A PII job in ONLY_REDACTION mode needs its RedactionConfig.
	status, out = call(t, a, "StartPiiEntitiesDetectionJob", "{"+strings.Join([]string{inURI, outURI, role, `"LanguageCode":"en"`, `"Mode":"ONLY_REDACTION"`}, ",")+"}")
	if status != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out["Message"]), "redactionConfig") {
		t.Errorf("ONLY_REDACTION without RedactionConfig: %d %v", status, out)
	}
}

func TestComprehendUnknownAndUnsigned(t *testing.T) {
	a, _ := comprehendAPI(t)
	for _, op := range []string{"StopTopicsDetectionJob", "DetectSentiment", "CreateEndpoint", "",
		"StartTargetedSentimentDetectionJob", "StartEventsDetectionJob", "StartDocumentClassificationJob",
		"CreateEntityRecognizer", "CreateDocumentClassifier", "DetectEntities", "BatchDetectEntities"} {
		if status, out := call(t, a, op, `{}`); status != http.StatusBadRequest || out["__type"] != "UnknownOperationException" {
			t.Errorf("%q: %d %v", op, status, out)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	r.Header.Set("X-Amz-Target", "Comprehend_20171127.ListSentimentDetectionJobs")
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "MissingAuthenticationTokenException") {
		t.Errorf("unsigned: %d %s", w.Code, w.Body)
	}
	// Ream's own routes are untouched: GET / is still no route.
	w = httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("GET /: %d", w.Code)
	}
}

// Ream's statuses as Comprehend's, in Describe and in List's JobStatus filter; only jobs of the
// kind (Analyses exactly [it]) show.
func TestComprehendStatusMapping(t *testing.T) {
	a, jobs := comprehendAPI(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	plant := func(id string, status job.Status, analyses ...job.Analysis) {
		t.Helper()
		j := &job.Job{JobId: id, Tenant: "tenant-a", Analyses: analyses, JobStatus: status, SubmitTime: now, UpdatedAt: now,
			InputDataConfig:  job.InputDataConfig{S3Uri: "s3://bucket/inputs/tenant-a/in.txt", InputFormat: job.OneDocPerLine},
			OutputDataConfig: job.OutputDataConfig{S3Uri: "s3://bucket/outputs/tenant-a/" + id + "/"}}
		if status.Terminal() {
			j.EndTime = &now
		}
		if _, _, err := jobs.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	want := map[job.Status]string{
		job.AwaitingInput: "SUBMITTED", job.Submitted: "SUBMITTED", job.InProgress: "IN_PROGRESS",
		job.Completed: "COMPLETED", job.PartialSuccess: "COMPLETED", job.Failed: "FAILED", job.TimedOut: "FAILED",
		job.StopRequested: "STOP_REQUESTED", job.Stopped: "STOPPED",
	}
	for st := range want {
		plant("job-"+strings.ToLower(string(st)), st, job.Sentiment)
	}
	plant("two-analyses", job.Completed, job.Sentiment, job.Entities)
	plant("entities", job.Completed, job.Entities)
	for st, cs := range want {
		id := "job-" + strings.ToLower(string(st))
		status, out := call(t, a, "DescribeSentimentDetectionJob", `{"JobId":"`+id+`"}`)
		p, _ := out["SentimentDetectionJobProperties"].(map[string]any)
		if status != http.StatusOK || p["JobStatus"] != cs {
			t.Errorf("%s: %d %v, want %s", st, status, out, cs)
			continue
		}
		if p["JobArn"] != "arn:aws:comprehend:eu-west-1:123456789012:sentiment-detection-job/"+id {
			t.Errorf("arn %v", p["JobArn"])
		}
		if p["OutputDataConfig"].(map[string]any)["S3Uri"] != "s3://bucket/outputs/tenant-a/"+id+"/output.tar.gz" {
			t.Errorf("output %v", p["OutputDataConfig"])
		}
		if sub, ok := p["SubmitTime"].(float64); !ok || int64(sub*1000+0.5) != now.UnixMilli() {
			t.Errorf("SubmitTime %v (%T), want %d ms", p["SubmitTime"], p["SubmitTime"], now.UnixMilli())
		}
		if (st == job.PartialSuccess || st == job.TimedOut) && p["Message"] == nil {
			t.Errorf("%s shows no Message", st)
		}
	}
	for _, id := range []string{"two-analyses", "entities", "no-such-job"} {
		if status, out := call(t, a, "DescribeSentimentDetectionJob", `{"JobId":"`+id+`"}`); status != http.StatusBadRequest || out["__type"] != "JobNotFoundException" {
			t.Errorf("%s: %d %v", id, status, out)
		}
	}
	// An unknown job asked for by the /v1 API's dashed id is named as Comprehend names jobs,
	// without dashes (found from outside).
	const dashed = "af3805b6-3313-43d8-9a6e-0123456789ab"
	if status, out := call(t, a, "DescribeSentimentDetectionJob", `{"JobId":"`+dashed+`"}`); status != http.StatusBadRequest || out["Message"] != "Job ID af3805b6331343d89a6e0123456789ab not found" {
		t.Errorf("a dashed unknown id: %d %v", status, out)
	}
	count := map[string]int{}
	for _, cs := range want {
		count[cs]++
	}
	for cs, n := range count {
		status, out := call(t, a, "ListSentimentDetectionJobs", `{"Filter":{"JobStatus":"`+cs+`"}}`)
		l, _ := out["SentimentDetectionJobPropertiesList"].([]any)
		if status != http.StatusOK || len(l) != n {
			t.Errorf("list %s: %d, %d jobs, want %d", cs, status, len(l), n)
		}
	}
	// Pages of 2 over the 9 sentiment jobs: 5 pages, each job once.
	seen := map[string]bool{}
	token := ""
	for pages := 1; ; pages++ {
		body := `{"MaxResults":2}`
		if token != "" {
			body = `{"MaxResults":2,"NextToken":"` + token + `"}`
		}
		_, out := call(t, a, "ListSentimentDetectionJobs", body)
		for _, x := range out["SentimentDetectionJobPropertiesList"].([]any) {
			seen[x.(map[string]any)["JobId"].(string)] = true
		}
		token, _ = out["NextToken"].(string)
		if token == "" {
			if pages != 5 {
				t.Errorf("%d pages", pages)
			}
			break
		}
		if pages > 9 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 9 {
		t.Errorf("paged %d distinct jobs, want 9", len(seen))
	}
	if status, out := call(t, a, "ListSentimentDetectionJobs", `{"Filter":{"JobStatus":"DONE"}}`); status != http.StatusBadRequest || out["__type"] != "InvalidFilterException" {
		t.Errorf("bad status filter: %d %v", status, out)
	}
	if status, out := call(t, a, "ListSentimentDetectionJobs", `{"NextToken":"garbage!"}`); status != http.StatusBadRequest || out["__type"] != "InvalidRequestException" {
		t.Errorf("bad token: %d %v", status, out)
	}
	// Stopping a finished job is an invalid request, as on Comprehend.
	if status, out := call(t, a, "StopSentimentDetectionJob", `{"JobId":"job-completed"}`); status != http.StatusBadRequest || out["__type"] != "InvalidRequestException" {
		t.Errorf("stop COMPLETED: %d %v", status, out)
	}
	// Stopping a stopped job answers STOPPED, as Comprehend's does for a job stopped before
	// (it was an error; found from outside).
	if status, out := call(t, a, "StopSentimentDetectionJob", `{"JobId":"job-stopped"}`); status != http.StatusOK || out["JobStatus"] != "STOPPED" {
		t.Errorf("stop STOPPED: %d %v; want 200 STOPPED", status, out)
	}
	// Its message names the status as this surface shows it (found from outside: "is already
	// PARTIAL_SUCCESS" beside a Describe that says COMPLETED).
	for id, want := range map[string]string{"job-partial_success": "already COMPLETED", "job-timed_out": "already FAILED"} {
		status, out := call(t, a, "StopSentimentDetectionJob", `{"JobId":"`+id+`"}`)
		if msg, _ := out["Message"].(string); status != http.StatusBadRequest || !strings.Contains(msg, want) {
			t.Errorf("stop %s: %d %v; want a message saying %q", id, status, out, want)
		}
	}
}

// Behind API Gateway (LambdaHandler), the same signature verifies: the function, not the
// gateway, authenticates this route.
func TestComprehendThroughLambda(t *testing.T) {
	a, _ := comprehendAPI(t)
	for _, c := range []struct {
		secret, want string
		status       int
	}{{"secret-a", "", http.StatusOK}, {"wrong", "InvalidSignatureException", http.StatusBadRequest}} {
		r := signedRequest(t, "AKIDTENANTA", c.secret, `{}`, time.Now(), nil)
		headers := map[string]string{"host": r.Host, "content-length": "2"}
		for k := range r.Header {
			headers[strings.ToLower(k)] = r.Header.Get(k)
		}
		ev := events.APIGatewayV2HTTPRequest{RawPath: "/", Headers: headers, Body: `{}`}
		ev.RequestContext.HTTP.Method = http.MethodPost
		resp, err := a.HandleEvent(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != c.status || c.want != "" && !strings.Contains(resp.Body, c.want) {
			t.Errorf("secret %s: %d %s", c.secret, resp.StatusCode, resp.Body)
		}
	}
}

// TestComprehendUnsupportedLanguageCode: a LanguageCode the job's analyses refuse is an
// InvalidRequestException that advises a supported code, not leaving the field out, which
// Comprehend's SDKs do not allow (found from outside: boto3 refused the advice).
func TestComprehendUnsupportedLanguageCode(t *testing.T) {
	a, _ := comprehendAPI(t)
	status, out := call(t, a, "StartSentimentDetectionJob", "{"+inURI+","+outURI+","+role+`,"LanguageCode":"es"}`)
	msg, _ := out["Message"].(string)
	if status != http.StatusBadRequest || out["__type"] != "InvalidRequestException" || strings.Contains(msg, "omit LanguageCode") || !strings.Contains(msg, "give a LanguageCode") {
		t.Errorf("LanguageCode es: %d %v", status, out)
	}
}

// VolumeKmsKeyId and VpcConfig, which Comprehend's Describe echoes, are recorded and echoed (found
// from outside: they were accepted and dropped, so code reading them from Describe failed), and
// checked against Comprehend's constraints.
func TestComprehendComputeSettingsEchoed(t *testing.T) {
	a, _ := comprehendAPI(t)
	vpc := `"VpcConfig":{"SecurityGroupIds":["sg-0123"],"Subnets":["subnet-1","subnet-2"]}`
	kms := `"VolumeKmsKeyId":"1234abcd-12ab-34cd-56ef-1234567890ab"`
	status, out := call(t, a, "StartSentimentDetectionJob", "{"+strings.Join([]string{inURI, outURI, role, `"LanguageCode":"en"`, vpc, kms}, ",")+"}")
	if status != http.StatusOK {
		t.Fatalf("start: %d %v", status, out)
	}
	status, out = call(t, a, "DescribeSentimentDetectionJob", fmt.Sprintf(`{"JobId":%q}`, out["JobId"]))
	props, _ := out["SentimentDetectionJobProperties"].(map[string]any)
	if status != http.StatusOK || props["VolumeKmsKeyId"] != "1234abcd-12ab-34cd-56ef-1234567890ab" ||
		fmt.Sprint(props["VpcConfig"]) != "map[SecurityGroupIds:[sg-0123] Subnets:[subnet-1 subnet-2]]" {
		t.Fatalf("describe: %d %v", status, out)
	}
	for name, body := range map[string]string{
		"six security groups": `"VpcConfig":{"SecurityGroupIds":["a","b","c","d","e","f"],"Subnets":["s"]}`,
		"a bad subnet id":     `"VpcConfig":{"SecurityGroupIds":["sg-1"],"Subnets":["subnet 1"]}`,
		"no subnets":          `"VpcConfig":{"SecurityGroupIds":["sg-1"]}`,
		"a long volume key":   `"VolumeKmsKeyId":"` + strings.Repeat("k", 2049) + `"`,
	} {
		status, out := call(t, a, "StartSentimentDetectionJob", "{"+strings.Join([]string{inURI, outURI, role, `"LanguageCode":"en"`, body}, ",")+"}")
		if status != http.StatusBadRequest || out["__type"] != "InvalidRequestException" {
			t.Errorf("%s: %d %v", name, status, out)
		}
	}
}

// NumberOfTopics out of range is an InvalidRequestException naming the range, whichever end it
// misses: the range is the pipeline's one check, the same as on /v1.
func TestComprehendNumberOfTopicsRange(t *testing.T) {
	a, _ := comprehendAPI(t)
	for _, k := range []string{"0", "-1", "101"} {
		status, out := call(t, a, "StartTopicsDetectionJob", "{"+inURI+","+outURI+","+role+`,"NumberOfTopics":`+k+"}")
		msg, _ := out["Message"].(string)
		if status != http.StatusBadRequest || out["__type"] != "InvalidRequestException" || !strings.Contains(msg, "NumberOfTopics must be between 1 and 100") {
			t.Errorf("NumberOfTopics %s: %d %v", k, status, out)
		}
	}
}

// countingList counts the store's List calls.
type countingList struct {
	pipeline.Jobs
	calls *int
}

func (c countingList) List(ctx context.Context, tenant string, f api.ListFilter) ([]*job.Job, string, error) {
	*c.calls++
	return c.Jobs.List(ctx, tenant, f)
}

// A List of one kind reads at most 1,000 of the tenant's jobs per call: past them it answers
// what it found (here nothing) with a NextToken, and the next call goes on after them (found
// from outside: one call read every job of every other kind, however many).
func TestComprehendListReadsBounded(t *testing.T) {
	calls := 0
	svc, jobs := newServiceWrapping(t, func(j pipeline.Jobs) pipeline.Jobs { return countingList{j, &calls} })
	a := handlers.NewAPI(svc, handlers.NewKeyAuth(map[string]string{"k": "tenant-a"}), nil).
		WithComprehend(handlers.NewSigV4Auth("comprehend", testKeys), handlers.ComprehendConfig{Bucket: "bucket", Region: "eu-west-1", Account: "123456789012"})
	ctx := context.Background()
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	plant := func(id string, at time.Time, an job.Analysis) {
		t.Helper()
		j := &job.Job{JobId: id, Tenant: "tenant-a", Analyses: []job.Analysis{an}, JobStatus: job.Completed, SubmitTime: at, UpdatedAt: at, EndTime: &at,
			InputDataConfig:  job.InputDataConfig{S3Uri: "s3://bucket/inputs/tenant-a/in.txt", InputFormat: job.OneDocPerLine},
			OutputDataConfig: job.OutputDataConfig{S3Uri: "s3://bucket/outputs/tenant-a/" + id + "/"}}
		if _, _, err := jobs.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	plant("entities-oldest", base, job.Entities)
	const others = 1050 // newer, of another kind
	for i := range others {
		plant(fmt.Sprintf("sentiment-%04d", i), base.Add(time.Duration(i+1)*time.Second), job.Sentiment)
	}
	var listed []string
	token := ""
	for n := 1; ; n++ {
		body := `{"MaxResults":5}`
		if token != "" {
			body = `{"MaxResults":5,"NextToken":"` + token + `"}`
		}
		calls = 0
		status, out := call(t, a, "ListEntitiesDetectionJobs", body)
		if status != http.StatusOK {
			t.Fatalf("call %d: %d %v", n, status, out)
		}
		if calls > 10 {
			t.Errorf("call %d read %d pages of the store, want at most 10", n, calls)
		}
		for _, p := range out["EntitiesDetectionJobPropertiesList"].([]any) {
			listed = append(listed, p.(map[string]any)["JobId"].(string))
		}
		if n == 1 && len(listed) != 0 {
			t.Errorf("the first call listed %v past 1,000 newer jobs of another kind", listed)
		}
		token, _ = out["NextToken"].(string)
		if token == "" {
			break
		}
		if n > 5 {
			t.Fatal("NextToken never ends")
		}
	}
	if len(listed) != 1 || listed[0] != "entities-oldest" {
		t.Errorf("listed %v across the calls, want [entities-oldest] once", listed)
	}
}

// A Comprehend List's NextToken is refused (InvalidRequestException) when another tenant pages
// with it (found from outside: it was read as a position in that tenant's own listing).
func TestComprehendListTokenIsItsCallers(t *testing.T) {
	a, jobs := comprehendAPI(t)
	ctx := context.Background()
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	for i := range 3 {
		at := base.Add(time.Duration(i) * time.Second)
		id := fmt.Sprint("entities-", i)
		j := &job.Job{JobId: id, Tenant: "tenant-a", Analyses: []job.Analysis{job.Entities}, JobStatus: job.Completed, SubmitTime: at, UpdatedAt: at, EndTime: &at,
			InputDataConfig:  job.InputDataConfig{S3Uri: "s3://bucket/inputs/tenant-a/in.txt", InputFormat: job.OneDocPerLine},
			OutputDataConfig: job.OutputDataConfig{S3Uri: "s3://bucket/outputs/tenant-a/" + id + "/"}}
		if _, _, err := jobs.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	status, out := call(t, a, "ListEntitiesDetectionJobs", `{"MaxResults":1}`)
	token, _ := out["NextToken"].(string)
	if status != http.StatusOK || token == "" {
		t.Fatalf("tenant-a's first page: %d %v", status, out)
	}
	body := `{"MaxResults":1,"NextToken":"` + token + `"}`
	r := signedRequest(t, "AKIDTENANTB", "secret-b", body, time.Now(), map[string]string{"X-Amz-Target": "Comprehend_20171127.ListEntitiesDetectionJobs"})
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "InvalidRequestException") || !strings.Contains(w.Body.String(), "another caller") {
		t.Errorf("tenant-b paging with tenant-a's NextToken: %d %s; want 400 InvalidRequestException saying it was returned to another caller", w.Code, w.Body.String())
	}
	if status, out := call(t, a, "ListEntitiesDetectionJobs", body); status != http.StatusOK || len(out["EntitiesDetectionJobPropertiesList"].([]any)) != 1 {
		t.Errorf("tenant-a paging with its own NextToken: %d %v", status, out)
	}
}

// A job's ARN is in the deployment's partition: a stack in China answers arn:aws-cn:…, one in
// GovCloud arn:aws-us-gov:… (found by the review of deployments outside us-east-1: the
// partition was written in as aws, so an SDK or policy taking the JobArn got an ARN of a
// partition the account is not in). Start, Describe and List answer the same ARN.
func TestComprehendJobArnPartition(t *testing.T) {
	for _, tt := range []struct{ partition, region, want string }{
		{"aws-cn", "cn-north-1", "arn:aws-cn:comprehend:cn-north-1:123456789012:sentiment-detection-job/"},
		{"aws-us-gov", "us-gov-west-1", "arn:aws-us-gov:comprehend:us-gov-west-1:123456789012:sentiment-detection-job/"},
		{"", "eu-west-2", "arn:aws:comprehend:eu-west-2:123456789012:sentiment-detection-job/"},
	} {
		svc, _ := newServiceAndJobs(t)
		a := handlers.NewAPI(svc, handlers.NewKeyAuth(map[string]string{"k": "tenant-a"}), nil).
			WithComprehend(handlers.NewSigV4Auth("comprehend", testKeys), handlers.ComprehendConfig{Bucket: "bucket", Partition: tt.partition, Region: tt.region, Account: "123456789012"})
		status, out := call(t, a, "StartSentimentDetectionJob", "{"+inURI+","+outURI+","+role+`,"LanguageCode":"en"}`)
		id, _ := out["JobId"].(string)
		if status != http.StatusOK || id == "" || out["JobArn"] != tt.want+id {
			t.Errorf("%s: Start %d %v, want JobArn %s<JobId>", tt.partition, status, out, tt.want)
			continue
		}
		_, d := call(t, a, "DescribeSentimentDetectionJob", `{"JobId":"`+id+`"}`)
		if p, _ := d["SentimentDetectionJobProperties"].(map[string]any); p["JobArn"] != out["JobArn"] {
			t.Errorf("%s: Describe JobArn %v, Start's %v", tt.partition, p["JobArn"], out["JobArn"])
		}
		_, l := call(t, a, "ListSentimentDetectionJobs", `{}`)
		if ps, _ := l["SentimentDetectionJobPropertiesList"].([]any); len(ps) != 1 || ps[0].(map[string]any)["JobArn"] != out["JobArn"] {
			t.Errorf("%s: List %v, want one job with JobArn %v", tt.partition, l, out["JobArn"])
		}
	}
}
