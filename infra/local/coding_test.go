package local

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	sl "github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/codingop"
)

// codingClient speaks the coding service's API the way its clients do: a token from
// /oauth2/token, then `Authorization: <token>` on every call.
type codingClient struct {
	t     *testing.T
	base  string
	token string
}

func newCodingClient(t *testing.T, base, id, secret string) *codingClient {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth2/token", strings.NewReader("grant_type=client_credentials&scope=ream/coding"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok api.Token
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" || tok.ExpiresIn <= 0 || tok.TokenType == "" {
		t.Fatalf("token: %d %+v %v", resp.StatusCode, tok, err)
	}
	return &codingClient{t: t, base: base, token: tok.AccessToken}
}

// call sends a request (no body) and decodes a 2xx answer into out; it returns the status and
// the error body of other answers.
func (c *codingClient) call(method, path string, out any) (int, api.ErrorBody) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, nil)
	req.Header.Set("Authorization", c.token) // the service's clients send the bare token
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var eb api.ErrorBody
	if resp.StatusCode/100 != 2 {
		if err := json.Unmarshal(b, &eb); err != nil {
			c.t.Fatalf("%s %s: %d with a body that is not JSON: %q", method, path, resp.StatusCode, b)
		}
		return resp.StatusCode, eb
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v: %q", method, path, err, b)
		}
	}
	return resp.StatusCode, eb
}

func (c *codingClient) must(method, path string, out any) {
	c.t.Helper()
	if status, eb := c.call(method, path, out); status/100 != 2 {
		c.t.Fatalf("%s %s: %d %+v", method, path, status, eb)
	}
}

// putRecords PUTs data to the upload URL with the two SSE-KMS headers, as the service documents,
// and returns the status and the error body of an answer that is not 2xx.
func putRecords(t *testing.T, op api.CodingOperationStarted, data []byte) (int, api.ErrorBody) {
	t.Helper()
	resp := putUpload(t, api.Presigned{Method: http.MethodPut, URL: op.RequestUploadURL}, bytes.NewReader(data), int64(len(data)), map[string]string{
		"x-amz-server-side-encryption":                "aws:kms",
		"x-amz-server-side-encryption-aws-kms-key-id": op.BucketKmsKeyArn,
	})
	return statusAndError(resp)
}

// statusAndError reads and closes resp: its status and, when it is not 2xx, its error body.
func statusAndError(resp *http.Response) (int, api.ErrorBody) {
	defer resp.Body.Close()
	var eb api.ErrorBody
	if resp.StatusCode/100 != 2 {
		_ = json.NewDecoder(resp.Body).Decode(&eb)
	}
	return resp.StatusCode, eb
}

// waitOperation polls the operation until its status is not awaiting_input/in_progress.
func (c *codingClient) waitOperation(ctx context.Context, path string) api.CodingOperationStatus {
	c.t.Helper()
	seen := map[string]bool{}
	for {
		var st api.CodingOperationStatus
		c.must(http.MethodGet, path, &st)
		seen[st.OperationStatus] = true
		if st.OperationStatus != api.OpAwaitingInput && st.OperationStatus != api.OpInProgress {
			return st
		}
		select {
		case <-ctx.Done():
			c.t.Fatalf("operation %s still %s", path, st.OperationStatus)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func download(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "coding", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCodingServiceFlow follows the coding service's documented flow exactly: token, create,
// PUT with the KMS headers, in_progress, complete, output and metadata through the URLs; then a
// pinned model, a model of another topic (409), an unknown topic (404), and the operation as a
// Ream job in GET /v1/jobs.
func TestCodingServiceFlow(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{ShardBytes: 4096}, pipeline.Hooks{})
	c := newCodingClient(t, s.URL, DefaultClientID, DefaultClientSecret)

	var topics []api.Topic
	c.must(http.MethodGet, "/v1/topics", &topics)
	if len(topics) != 1 || topics[0].URIName != "occupation" || topics[0].TopicStandard != "SOC" || topics[0].TopicVersion != "2010" {
		t.Fatalf("topics: %+v", topics)
	}
	var topic api.TopicDetail
	c.must(http.MethodGet, "/v1/topics/occupation", &topic)
	levels := map[int]int{}
	for _, code := range topic.Codes {
		levels[code.Level]++
	}
	if levels[1] != 9 || levels[2] != 25 || levels[3] != 90 {
		t.Fatalf("classification levels %v, want 9/25/90", levels)
	}
	// As documented: parent is absent at level 1, and names the code one level up otherwise.
	var raw struct{ Codes []map[string]any }
	c.must(http.MethodGet, "/v1/topics/occupation", &raw)
	for _, code := range raw.Codes {
		parent, has := code["parent"].(string)
		if level := code["level"].(float64); has != (level > 1) || has && !strings.HasPrefix(code["code"].(string), parent) {
			t.Errorf("code %v: parent %q (present %v)", code, parent, has)
		}
	}
	var latest api.Model
	c.must(http.MethodGet, "/v1/topics/occupation/models/latest", &latest)
	if latest.ModelId == "" || latest.ModelVersion != 1 || !latest.Shipped || latest.Topic != "occupation" || len(latest.Metrics) == 0 {
		t.Fatalf("latest model: %+v", latest)
	}
	// GUIDs are case-insensitive: the model's id in capitals names it too.
	var upper api.Model
	c.must(http.MethodGet, "/v1/topics/occupation/models/"+strings.ToUpper(latest.ModelId), &upper)
	if upper.ModelId != latest.ModelId {
		t.Fatalf("model by its id in capitals: %+v", upper)
	}

	// Create, then the operation waits for its input.
	var op api.CodingOperationStarted
	c.must(http.MethodPost, "/v1/topics/occupation/batch-code", &op)
	if op.OperationId == "" || op.RequestUploadURL == "" || op.BucketKmsKeyArn == "" {
		t.Fatalf("batch-code: %+v", op)
	}
	opPath := "/v1/topics/occupation/batch-code/operations/" + op.OperationId
	var st api.CodingOperationStatus
	c.must(http.MethodGet, opPath, &st)
	if st.OperationStatus != api.OpAwaitingInput || st.ResponseDownloadURL != "" {
		t.Fatalf("before upload: %+v", st)
	}
	c.must(http.MethodGet, "/v1/topics/occupation/batch-code/operations/"+strings.ToUpper(op.OperationId), &st)
	if st.OperationId != op.OperationId {
		t.Fatalf("operation by its id in capitals: %+v", st)
	}
	// A PUT without the KMS headers is refused: they are part of the signature.
	if resp, err := http.DefaultClient.Do(mustRequest(t, http.MethodPut, op.RequestUploadURL, "x")); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("PUT without the KMS headers: %v %v, want 403", resp.StatusCode, err)
	}
	records := readTestdata(t, "records.jsonl")
	bad := []byte(`{"recordId":"no-tasks","occp_text":"welder"}` + "\n" + `{"recordId":"both-empty","occp_text":"","tasks_text":" "}` + "\n")
	input := append(append([]byte{}, records...), bad...)
	input = append(input, []byte(`{"occp_text":"primary school teacher","tasks_text":"teaching children aged 5 to 11"}`+"\n")...)
	if status, _ := putRecords(t, op, input); status != http.StatusOK {
		t.Fatalf("PUT records: %d", status)
	}
	st = c.waitOperation(ctx, opPath)
	if st.OperationStatus != api.OpComplete || st.ResponseDownloadURL == "" || st.MetadataDownloadURL == "" || st.Error != "" {
		t.Fatalf("after upload: %+v", st)
	}
	out := download(t, st.ResponseDownloadURL)
	var lines []api.CodedRecord
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r api.CodedRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("output line %q: %v", sc.Text(), err)
		}
		lines = append(lines, r)
	}
	inLines := bytes.Count(input, []byte("\n"))
	if len(lines) != inLines {
		t.Fatalf("%d output lines for %d records", len(lines), inLines)
	}
	coded, suggestedOnly := 0, 0
	for i, r := range lines[:200] {
		if want := "r" + strconv.Itoa(i); r.RecordId != want {
			t.Fatalf("line %d has recordId %q, want %q (input order)", i, r.RecordId, want)
		}
		if r.Error != nil || len(r.Suggestions) != 3 {
			t.Fatalf("line %d: %+v, want a coding with 3 suggestions", i, r)
		}
		if r.Result != nil {
			coded++
			if n := len(r.Result.CodeCategory); n < 1 || n > 3 || r.Result.CodeLabel == "" || r.Result.CodeConfidence <= 0 || r.Result.CodeConfidence > 1 {
				t.Fatalf("line %d: result %+v", i, r.Result)
			}
		} else {
			suggestedOnly++
		}
		for k := 1; k < len(r.Suggestions); k++ {
			if r.Suggestions[k].CodeConfidence > r.Suggestions[k-1].CodeConfidence || len(r.Suggestions[k].CodeCategory) != 3 {
				t.Fatalf("line %d: suggestions not 3-digit codes best first: %+v", i, r.Suggestions)
			}
		}
	}
	if coded < 100 {
		t.Errorf("only %d of 200 records coded", coded)
	}
	if l := lines[200]; l.RecordId != "no-tasks" || l.Error == nil || l.Error.Code != job.CodeInvalidRecord {
		t.Errorf("record without tasks_text: %+v", l)
	}
	if l := lines[201]; l.RecordId != "both-empty" || l.Error == nil || l.Error.Code != job.CodeEmptyDocument {
		t.Errorf("record with both texts blank: %+v", l)
	}
	if l := lines[202]; l.RecordId != "" || l.Result == nil || !strings.HasPrefix(l.Result.CodeCategory, "2") {
		t.Errorf("teacher record without recordId: %+v (want a code of major group 2, professional occupations)", l)
	}
	var meta api.CodingMetadata
	if err := json.Unmarshal(download(t, st.MetadataDownloadURL), &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Topic != "occupation" || meta.Classification.Standard != "SOC" || meta.Classification.Version != "2010" ||
		meta.Model.ModelId != latest.ModelId || meta.Model.ModelVersion != 1 || meta.Model.ModelReleaseDate.IsZero() || meta.Records != int64(inLines) {
		t.Errorf("metadata: %+v", meta)
	}
	t.Logf("%d of 200 records coded, %d suggestions only", coded, suggestedOnly)

	// The operation is a Ream job: listed, with exact counters, and the model recorded.
	j, err := defaultClient(s).Describe(ctx, op.OperationId)
	if err != nil {
		t.Fatal(err)
	}
	if j.CodingConfig == nil || j.CodingConfig.ModelId != latest.ModelId || !strings.Contains(j.ModelVersion, latest.ModelId) ||
		j.JobDetails.InputDocumentsCount != int64(inLines) || j.JobDetails.DocumentsWithErrorsCount != 2 || j.RetentionHours != 24 {
		t.Errorf("the operation as a job: %+v", j)
	}
	if j.ExpirationTime == nil || j.EndTime == nil || j.ExpirationTime.Sub(*j.EndTime) != 24*time.Hour {
		t.Errorf("coding output kept until %v after %v, want 24 h", j.ExpirationTime, j.EndTime)
	}

	// A pinned model, and the operation through the models/{model} form.
	var pinned api.CodingOperationStarted
	c.must(http.MethodPost, "/v1/topics/occupation/models/"+latest.ModelId+"/batch-code", &pinned)
	if status, _ := putRecords(t, pinned, records[:bytes.IndexByte(records, '\n')+1]); status != http.StatusOK {
		t.Fatalf("PUT: %d", status)
	}
	st = c.waitOperation(ctx, "/v1/topics/occupation/models/"+latest.ModelId+"/batch-code/operations/"+pinned.OperationId)
	if st.OperationStatus != api.OpComplete {
		t.Fatalf("pinned operation: %+v", st)
	}

	// A model of another topic: 409 with the service's words. (The registry gets one directly:
	// this deployment ships one topic.)
	other := api.Model{ModelId: "0b7c7a52-2a9c-5d6e-9f10-111111111111", Topic: "industry", ModelVersion: 1, ModelReleaseDate: time.Now().UTC(), ModelType: "test"}
	if _, _, err := sl.NewModels(s.db).Register(ctx, other); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/v1/topics/occupation/models/" + other.ModelId + "/batch-code"} {
		if status, eb := c.call(http.MethodPost, path, nil); status != http.StatusConflict || eb.Message != "Selected model does not match the input topic." {
			t.Errorf("POST %s: %d %+v, want 409 with the service's words", path, status, eb)
		}
	}
	if status, _ := c.call(http.MethodGet, "/v1/topics/occupation/models/"+other.ModelId, nil); status != http.StatusConflict {
		t.Errorf("GET a model of another topic: %d, want 409", status)
	}
	// Unknown topic, unknown model, unknown operation: 404.
	for _, path := range []string{"/v1/topics/industry", "/v1/topics/industry/models", "/v1/topics/occupation/models/3f0c0000-0000-4000-8000-000000000000"} {
		if status, _ := c.call(http.MethodGet, path, nil); status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, status)
		}
	}
	// An operation asked for under a model that does not exist: the model's 404, not "operation
	// ... was not made with model ..." (found comparing the stacks).
	if status, eb := c.call(http.MethodGet, "/v1/topics/occupation/models/3f0c0000-0000-4000-8000-000000000000/batch-code/operations/"+pinned.OperationId, nil); status != http.StatusNotFound ||
		strings.Contains(eb.Message, "was not made with model") {
		t.Errorf("an operation under an unknown model: %d %+v, want 404 saying the model does not exist", status, eb)
	}
	if status, _ := c.call(http.MethodPost, "/v1/topics/industry/batch-code", nil); status != http.StatusNotFound {
		t.Errorf("batch-code on an unknown topic: %d, want 404", status)
	}
	if status, eb := c.call(http.MethodGet, "/v1/topics/occupation/batch-code/operations/3f0c0000-0000-4000-8000-000000000000", nil); status != http.StatusNotFound ||
		eb.Message != "operation 3f0c0000-0000-4000-8000-000000000000 not found" {
		t.Errorf("unknown operation: %d %+v, want 404 in the service's words", status, eb)
	}
	// No token, a bad token: 401.
	if resp, err := http.Get(s.URL + "/v1/topics"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %v %v", resp.StatusCode, err)
	}
	bad401 := &codingClient{t: t, base: s.URL, token: c.token + "x"}
	if status, _ := bad401.call(http.MethodGet, "/v1/topics", nil); status != http.StatusUnauthorized {
		t.Errorf("tampered token: %d, want 401", status)
	}
}

func mustRequest(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestCodingTimedOutAndFailed: an operation whose input never comes is timed_out; one whose
// file is unusable (empty) is failed, with error saying why.
func TestCodingTimedOutAndFailed(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := newCodingClient(t, s.URL, DefaultClientID, DefaultClientSecret)
	var empty api.CodingOperationStarted
	c.must(http.MethodPost, "/v1/topics/occupation/batch-code", &empty)
	if status, _ := putRecords(t, empty, nil); status != http.StatusOK {
		t.Fatalf("PUT: %d", status)
	}
	st := c.waitOperation(ctx, "/v1/topics/occupation/batch-code/operations/"+empty.OperationId)
	if st.OperationStatus != api.OpFailed || !strings.Contains(st.Error, "empty") || st.ResponseDownloadURL != "" {
		t.Errorf("empty file: %+v, want failed with an error that says why", st)
	}
	// It names the input as the client knows it, not the store's path (found from outside: the
	// error showed file:///…/objects/inputs/…).
	if !strings.HasPrefix(st.Error, "the uploaded file is empty") || strings.Contains(st.Error, "file://") || strings.Contains(st.Error, "objects/") || strings.Contains(st.Error, "s3://") {
		t.Errorf("empty file's error %q: want it to name the uploaded file, not a location", st.Error)
	}
	// So does an ordinary job's empty upload: its client had an upload URL, and the location
	// is the service's upload folder (found from outside: the Message named the local stack's
	// file:///…/objects/inputs/… path).
	res := createAndUpload(t, ctx, defaultClient(s), lineJob("empty", job.JSONLines), nil)
	if _, j := follow(t, ctx, defaultClient(s), res.JobId); j.JobStatus != job.Failed || !strings.HasPrefix(j.Message, "the uploaded file is empty (0 bytes)") {
		t.Errorf("an ordinary job's empty upload: %s %q, want it to name the uploaded file", j.JobStatus, j.Message)
	}

	// Every record bad: failed, and the output (an error line per record) is downloadable.
	var blank api.CodingOperationStarted
	c.must(http.MethodPost, "/v1/topics/occupation/batch-code", &blank)
	if status, _ := putRecords(t, blank, []byte("\n\n  \n")); status != http.StatusOK {
		t.Fatalf("PUT: %d", status)
	}
	st = c.waitOperation(ctx, "/v1/topics/occupation/batch-code/operations/"+blank.OperationId)
	if st.OperationStatus != api.OpFailed || !strings.Contains(st.Error, "all 3 documents failed") || st.ResponseDownloadURL == "" || st.MetadataDownloadURL == "" {
		t.Fatalf("blank records: %+v, want failed with the download URLs of its error lines", st)
	}
	lines := strings.Split(strings.TrimSpace(string(download(t, st.ResponseDownloadURL))), "\n")
	for i, l := range lines {
		var r api.CodedRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.Error == nil || r.Error.Code != job.CodeEmptyDocument {
			t.Errorf("error line %d: %s %v", i, l, err)
		}
	}
	var meta api.CodingMetadata
	if err := json.Unmarshal(download(t, st.MetadataDownloadURL), &meta); err != nil || len(lines) != 3 || meta.Records != 3 || meta.RecordsWithErrors != 3 {
		t.Errorf("%d error lines, metadata %+v %v; want 3 of 3", len(lines), meta, err)
	}

	// A stack whose upload URLs expire after a second: nothing uploaded → timed_out.
	short := startStack(t, Config{UploadTTL: Duration(time.Second), SweepInterval: Duration(time.Hour)}, pipeline.Hooks{})
	sc := newCodingClient(t, short.URL, DefaultClientID, DefaultClientSecret)
	var idle api.CodingOperationStarted
	sc.must(http.MethodPost, "/v1/topics/occupation/batch-code", &idle)
	var idleSt api.CodingOperationStatus
	waitFor(t, ctx, "the operation to time out", func() bool {
		if _, err := short.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		sc.must(http.MethodGet, "/v1/topics/occupation/batch-code/operations/"+idle.OperationId, &idleSt)
		return idleSt.OperationStatus != api.OpAwaitingInput
	})
	if idleSt.OperationStatus != api.OpTimedOut || idleSt.Error == "" || idleSt.Error != idleSt.Job.Message || idleSt.ResponseDownloadURL != "" {
		t.Errorf("nothing uploaded: %+v, want timed_out with error saying why (the job's Message)", idleSt)
	}
}

// TestCodingTraining: a job trains a new version from a labelled upload; the version is listed
// and is the new latest; records are coded with it; another tenant cannot see or use it.
func TestCodingTraining(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{
		Keys:         map[string]string{DefaultKey: "local", "other-key": "team-b"},
		OAuthClients: []OAuthClient{{ClientID: DefaultClientID, ClientSecret: DefaultClientSecret, Tenant: "local"}, {ClientID: "b", ClientSecret: "b-secret", Tenant: "team-b"}},
	}, pipeline.Hooks{})
	jc := defaultClient(s)
	data := readTestdata(t, "train-sample.jsonl")
	data = append(data, []byte(`{"code":"999","occp_text":"astronaut","tasks_text":""}`+"\nnot json\n")...)
	// A code with spaces around it is trained on (no error line); a record with no word to
	// learn from is not (an error line): the error lines are the trainer's rule.
	data = append(data, []byte(`{"code":" 223 ","occp_text":"nurse practitioner","tasks_text":""}`+"\n"+`{"code":"223","occp_text":"-","tasks_text":"?"}`+"\n")...)
	res := createAndUpload(t, ctx, jc, api.CreateJobRequest{
		JobName:         "train-occupation",
		Analyses:        []job.Analysis{job.CodingTraining},
		InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines},
		CodingConfig:    &job.CodingConfig{Topic: "occupation"},
	}, data)
	n, j := follow(t, ctx, jc, res.JobId)
	if j.JobStatus != job.PartialSuccess || j.JobDetails.InputDocumentsCount != int64(bytes.Count(data, []byte("\n"))) || j.JobDetails.DocumentsWithErrorsCount != 3 {
		t.Fatalf("training job: %s %q %+v", j.JobStatus, j.Message, j.JobDetails)
	}
	if j.CodingConfig == nil || j.CodingConfig.ModelId == "" {
		t.Fatalf("training job names no model: %+v", j.CodingConfig)
	}
	trained := j.CodingConfig.ModelId
	// The notification names the model too (a client learns it without a Describe).
	if n.CodingConfig == nil || n.CodingConfig.ModelId != trained || n.CodingConfig.Topic != "occupation" {
		t.Errorf("the training's notification: CodingConfig %+v, want topic occupation and model %s", n.CodingConfig, trained)
	}
	// The records it could not use are served by the errors route, as any job's.
	if errs, err := jc.Errors(ctx, res.JobId, api.ErrorsFilter{}); err != nil || len(errs.Errors) != 3 ||
		!strings.Contains(string(errs.Errors[0]), `code \"999\"`) || !strings.Contains(string(errs.Errors[1]), "not valid JSON") ||
		!strings.Contains(string(errs.Errors[2]), "no word to learn from") {
		t.Fatalf("training job's error records: %+v %v", errs, err)
	}

	c := newCodingClient(t, s.URL, DefaultClientID, DefaultClientSecret)
	var models []api.Model
	c.must(http.MethodGet, "/v1/topics/occupation/models", &models)
	if len(models) != 2 || models[0].ModelVersion != 1 || !models[0].Shipped || models[1].ModelId != trained || models[1].ModelVersion != 2 ||
		models[1].Shipped || models[1].TrainingJobId != res.JobId || len(models[1].Metrics) == 0 {
		t.Fatalf("models after training: %+v", models)
	}
	var latest api.Model
	c.must(http.MethodGet, "/v1/topics/occupation/models/latest", &latest)
	if latest.ModelId != trained {
		t.Fatalf("latest is %s, want the trained %s", latest.ModelId, trained)
	}
	// The model says what it was trained on, in records: every record without an error line
	// trained or held out, the unknown code and the wordless record skipped ("not json" never
	// reached the trainer), not refit; under the documented names.
	usable := int(j.JobDetails.InputDocumentsCount - j.JobDetails.DocumentsWithErrorsCount)
	var byID map[string]any
	c.must(http.MethodGet, "/v1/topics/occupation/models/"+trained, &byID)
	wantTraining := map[string]any{"trainRecords": float64(0), "heldOutRecords": float64(0), "refitRecords": float64(0),
		"skipped": map[string]any{"unknownCode": float64(1), "empty": float64(1)}}
	if tr, ok := byID["training"].(map[string]any); !ok {
		t.Errorf("the trained model's description has no training: %v", byID)
	} else {
		tr0, held := tr["trainRecords"], tr["heldOutRecords"]
		n, h := tr0.(float64), held.(float64)
		if n <= 0 || h <= 0 || int(n+h) != usable {
			t.Errorf("training: %v trained and %v held out, want %d in all", tr0, held, usable)
		}
		wantTraining["trainRecords"], wantTraining["heldOutRecords"] = tr0, held
		if !reflect.DeepEqual(tr, wantTraining) {
			t.Errorf("training: %v, want %v", tr, wantTraining)
		}
	}
	for _, m := range []api.Model{models[1], latest} {
		if m.Training == nil || m.Training.TrainRecords+m.Training.HeldOutRecords != usable || m.Training.Skipped.UnknownCode != 1 || m.Training.Skipped.Empty != 1 {
			t.Errorf("model %s: training %+v, want %d usable records, 1 unknown code, 1 empty", m.ModelId, m.Training, usable)
		}
	}
	// The shipped model's, from its model file's info.
	shipped, _, err := codingop.Schemes["occupation"].Shipped()
	if err != nil {
		t.Fatal(err)
	}
	info := shipped.Info()
	if tr := models[0].Training; tr == nil || tr.TrainRecords != info.TrainRecords || tr.HeldOutRecords != info.HeldOutRecords ||
		tr.RefitRecords != info.RefitRecords || tr.RefitRecords == 0 || tr.Skipped.UnknownCode != info.Skipped.UnknownCode || tr.Skipped.Empty != info.Skipped.Empty {
		t.Errorf("shipped model: training %+v, want the counts of its info %+v", tr, info)
	}
	var op api.CodingOperationStarted
	c.must(http.MethodPost, "/v1/topics/occupation/models/"+trained+"/batch-code", &op)
	if status, _ := putRecords(t, op, readTestdata(t, "records.jsonl")); status != http.StatusOK {
		t.Fatalf("PUT: %d", status)
	}
	st := c.waitOperation(ctx, "/v1/topics/occupation/batch-code/operations/"+op.OperationId)
	if st.OperationStatus != api.OpComplete {
		t.Fatalf("coding with the trained model: %+v", st)
	}
	var meta api.CodingMetadata
	if err := json.Unmarshal(download(t, st.MetadataDownloadURL), &meta); err != nil || meta.Model.ModelId != trained || meta.Model.ModelVersion != 2 {
		t.Fatalf("metadata: %+v %v", meta, err)
	}

	// Another tenant: the trained model is 404, its latest is still the shipped one.
	b := newCodingClient(t, s.URL, "b", "b-secret")
	if status, _ := b.call(http.MethodGet, "/v1/topics/occupation/models/"+trained, nil); status != http.StatusNotFound {
		t.Errorf("another tenant's GET of the model: %d, want 404", status)
	}
	if status, _ := b.call(http.MethodPost, "/v1/topics/occupation/models/"+trained+"/batch-code", nil); status != http.StatusNotFound {
		t.Errorf("another tenant's batch-code with the model: %d, want 404", status)
	}
	var bl api.Model
	b.must(http.MethodGet, "/v1/topics/occupation/models/latest", &bl)
	if bl.ModelId == trained || !bl.Shipped {
		t.Errorf("another tenant's latest: %+v", bl)
	}
	if status, _ := b.call(http.MethodGet, "/v1/topics/occupation/batch-code/operations/"+op.OperationId, nil); status != http.StatusNotFound {
		t.Errorf("another tenant's operation: %d, want 404", status)
	}
}

// TestCodingTrainingStopped: a training job stopped while it trains registers no model, so the
// tenant's latest stays what it was (found from outside: the stopped job's model became latest,
// and unpinned operations coded with it).
func TestCodingTrainingStopped(t *testing.T) {
	ctx := testCtx(t)
	var s *Stack
	var jobID atomic.Value
	var stopErr error
	var once sync.Once
	s = startStack(t, Config{}, pipeline.Hooks{ShardStarted: func(pipeline.ShardMessage) error {
		once.Do(func() { _, stopErr = defaultClient(s).Stop(ctx, jobID.Load().(string)) })
		return nil
	}})
	jc := defaultClient(s)
	req := api.CreateJobRequest{
		Analyses:        []job.Analysis{job.CodingTraining},
		InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines},
		CodingConfig:    &job.CodingConfig{Topic: "occupation"},
	}
	res, err := jc.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	jobID.Store(res.JobId)
	if err := jc.Upload(ctx, res.Upload.Presigned, writeTemp(t, "train.jsonl", readTestdata(t, "train-sample.jsonl"))); err != nil {
		t.Fatal(err)
	}
	_, j := follow(t, ctx, jc, res.JobId)
	if stopErr != nil {
		t.Fatalf("stop while training: %v", stopErr)
	}
	if j.JobStatus != job.Stopped || j.CodingConfig.ModelId != "" || !strings.Contains(j.Message, "no model was made") {
		t.Fatalf("training job stopped while it trained: %s %q, model %q; want STOPPED with no model, saying so", j.JobStatus, j.Message, j.CodingConfig.ModelId)
	}
	c := newCodingClient(t, s.URL, DefaultClientID, DefaultClientSecret)
	var models []api.Model
	c.must(http.MethodGet, "/v1/topics/occupation/models", &models)
	if len(models) != 1 || !models[0].Shipped {
		var got []string
		for _, m := range models {
			got = append(got, fmt.Sprintf("v%d %s (training job %q)", m.ModelVersion, m.ModelId, m.TrainingJobId))
		}
		t.Fatalf("models after a stopped training: %v; want the shipped one alone", got)
	}
}

// TestCodingCorruptModel: a model whose file does not decode (cut short in the store) fails the
// operation at once, saying the model cannot be used and why; it was retried as a shard failure
// three times, a minute apart, and ended with SHARD_FAILED lines (found from outside).
func TestCodingCorruptModel(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s := startStack(t, Config{DataDir: dir}, pipeline.Hooks{})
	jc := defaultClient(s)
	res := createAndUpload(t, ctx, jc, api.CreateJobRequest{
		Analyses:        []job.Analysis{job.CodingTraining},
		InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines},
		CodingConfig:    &job.CodingConfig{Topic: "occupation"},
	}, readTestdata(t, "train-sample.jsonl"))
	_, j := follow(t, ctx, jc, res.JobId)
	if j.CodingConfig == nil || j.CodingConfig.ModelId == "" {
		t.Fatalf("training job: %s %q", j.JobStatus, j.Message)
	}
	id := j.CodingConfig.ModelId
	files, err := filepath.Glob(filepath.Join(dir, "objects", "models", "*", "*", id+"*"))
	if err != nil || len(files) != 1 {
		t.Fatalf("model file of %s: %v %v", id, files, err)
	}
	if err := os.Truncate(files[0], 1000); err != nil {
		t.Fatal(err)
	}
	c := newCodingClient(t, s.URL, DefaultClientID, DefaultClientSecret)
	var op api.CodingOperationStarted
	c.must(http.MethodPost, "/v1/topics/occupation/models/"+id+"/batch-code", &op)
	if status, _ := putRecords(t, op, readTestdata(t, "records.jsonl")); status != http.StatusOK {
		t.Fatalf("PUT: %d", status)
	}
	st := c.waitOperation(ctx, "/v1/topics/occupation/batch-code/operations/"+op.OperationId)
	if st.OperationStatus != api.OpFailed || !strings.Contains(st.Error, "coding model cannot be used") || !strings.Contains(st.Error, "invalid model file") || st.ResponseDownloadURL != "" {
		t.Errorf("a corrupt model: %+v; want failed at once, saying the model cannot be used and why, without output", st)
	}
}

// TestCodingAsAnAnalysis: an ordinary JSONL job asks for CODING beside LANGUAGE; each output line
// carries "Coding" (result and suggestions) and the language; the model used is recorded.
func TestCodingAsAnAnalysis(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	data := []byte(`{"recordId":"a","occp_text":"registered nurse","tasks_text":"caring for patients on a hospital ward"}` + "\n" +
		`{"recordId":"b","occp_text":"secondary school teacher","tasks_text":""}` + "\n" +
		`{"recordId":"c","text":"not a coding record"}` + "\n")
	res := createAndUpload(t, ctx, c, api.CreateJobRequest{
		Analyses:        []job.Analysis{job.Language, job.Coding},
		InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines},
		CodingConfig:    &job.CodingConfig{Topic: "occupation"},
	}, data)
	_, j := follow(t, ctx, c, res.JobId)
	if j.JobStatus != job.PartialSuccess || j.CodingConfig == nil || j.CodingConfig.ModelId == "" || !strings.Contains(j.ModelVersion, "CODING=") {
		t.Fatalf("job %s %q, coding %+v, versions %q", j.JobStatus, j.Message, j.CodingConfig, j.ModelVersion)
	}
	dir := t.TempDir()
	if _, err := c.DownloadResults(ctx, res.JobId, dir); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(filepath.Join(dir, "output"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d output lines, want 3", len(lines))
	}
	for i, want := range []string{"22", "23"} { // nursing (223) and teaching (231) professionals: major group 2
		var rec struct {
			RecordId  string
			Languages []struct{ LanguageCode string }
			Coding    *api.Coding
		}
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Coding == nil || len(rec.Coding.Suggestions) != 3 || len(rec.Languages) == 0 || !strings.HasPrefix(rec.Coding.Suggestions[0].CodeCategory, want) {
			t.Errorf("line %d: %s", i, lines[i])
		}
	}
	if !strings.Contains(lines[2], job.CodeInvalidRecord) {
		t.Errorf("a record without the coding fields: %s", lines[2])
	}
	// The model's GUID in capitals names it here too, as on the coding routes (found from
	// outside: a 404 here).
	pinned, err := c.CreateJob(ctx, api.CreateJobRequest{
		Analyses:        []job.Analysis{job.Coding},
		InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines},
		CodingConfig:    &job.CodingConfig{Topic: "occupation", ModelId: strings.ToUpper(j.CodingConfig.ModelId)},
	})
	if err != nil {
		t.Fatalf("a job pinning the model by its id in capitals: %v", err)
	}
	if pj, err := c.Describe(ctx, pinned.JobId); err != nil || pj.CodingConfig == nil || pj.CodingConfig.ModelId != j.CodingConfig.ModelId {
		t.Errorf("the pinned job: %+v, %v; want the model %s", pj, err, j.CodingConfig.ModelId)
	}
}

// TestCodingCountedAndInManifest: CODING is an analysis like the others in a job of several:
// JobDetails.AnalysisCounts counts it per record (Succeeded/Failed), a record another analysis
// fails on keeps its coding (Errors lists the other analysis; it is no error record), and
// manifest.json lists it with its model, "<model id>@v<version>", in the job's order.
func TestCodingCountedAndInManifest(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{ShardBytes: 2048}, pipeline.Hooks{})
	c := defaultClient(s)
	var data []byte
	titles := []string{"registered nurse", "secondary school teacher", "welder", "accountant", "bus driver"}
	for i := 0; i < 15; i++ {
		data = append(data, fmt.Sprintf(`{"recordId":"ok-%d","occp_text":%q,"tasks_text":"I do my job well every day"}`+"\n", i, titles[i%len(titles)])...)
	}
	// Over SENTIMENT's 5,000 bytes, within CODING's 10,000: SENTIMENT fails, CODING does not.
	data = append(data, fmt.Sprintf(`{"recordId":"long","occp_text":"care assistant","tasks_text":%q}`+"\n", strings.Repeat("helping residents wash and dress ", 200))...)
	data = append(data, `{"recordId":"no-tasks","occp_text":"welder"}`+"\n"+`{"recordId":"blank","occp_text":"","tasks_text":" "}`+"\nnot json\n"...)
	res := createAndUpload(t, ctx, c, api.CreateJobRequest{
		Analyses:        []job.Analysis{job.Coding, job.Sentiment},
		InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines},
		CodingConfig:    &job.CodingConfig{Topic: "occupation"},
		LanguageCode:    "en",
	}, data)
	_, j := follow(t, ctx, c, res.JobId)
	want := job.AnalysisCounts{job.Coding: {Succeeded: 16}, job.Sentiment: {Succeeded: 15, Failed: 1}}
	if j.JobStatus != job.PartialSuccess || j.JobDetails.InputDocumentsCount != 19 || j.JobDetails.DocumentsWithErrorsCount != 3 ||
		!reflect.DeepEqual(j.JobDetails.AnalysisCounts, want) {
		t.Fatalf("job %s %q: %+v, want AnalysisCounts %+v and 3 error records", j.JobStatus, j.Message, j.JobDetails, want)
	}
	if !strings.Contains(j.Message, "SENTIMENT failed on 1 document") {
		t.Errorf("Message %q does not say which analysis failed", j.Message)
	}
	recs, m := fetchResults(t, ctx, c, res.JobId)
	if len(recs) != 19 {
		t.Fatalf("%d output lines, want 19", len(recs))
	}
	if long := recs[15]; long.RecordId != "long" || long.ErrorCode != "" || len(long.Errors) != 1 || long.Errors[0].Analysis != job.Sentiment {
		t.Errorf("the record SENTIMENT refused: %+v, want its coding kept and SENTIMENT in Errors", long)
	}
	model := j.CodingConfig.ModelId
	checkAnalyses := func(m *output.Manifest, want ...job.Analysis) {
		t.Helper()
		var got []job.Analysis
		for _, a := range m.Analyses {
			got = append(got, a.Analysis)
			if a.ModelVersion == "" || a.MaxDocumentBytes <= 0 {
				t.Errorf("manifest analysis %+v has no model or limit", a)
			}
			if a.Analysis == job.Coding && (a.ModelVersion != model+"@v1" || a.MaxDocumentBytes != pipeline.CodingMaxRecordBytes) {
				t.Errorf("manifest CODING: %+v, want model %s@v1 and %d bytes", a, model, pipeline.CodingMaxRecordBytes)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("manifest Analyses %v, want %v", got, want)
		}
	}
	checkAnalyses(m, job.Coding, job.Sentiment)

	res = createAndUpload(t, ctx, c, api.CreateJobRequest{
		Analyses:        []job.Analysis{job.Coding, job.Language},
		InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines},
		CodingConfig:    &job.CodingConfig{Topic: "occupation"},
	}, data[:bytes.Index(data, []byte(`{"recordId":"long"`))])
	_, j = follow(t, ctx, c, res.JobId)
	if want := (job.AnalysisCounts{job.Coding: {Succeeded: 15}, job.Language: {Succeeded: 15}}); j.JobStatus != job.Completed || !reflect.DeepEqual(j.JobDetails.AnalysisCounts, want) {
		t.Errorf("CODING+LANGUAGE job %s %q: counts %+v, want %+v", j.JobStatus, j.Message, j.JobDetails.AnalysisCounts, want)
	}
	_, m = fetchResults(t, ctx, c, res.JobId)
	checkAnalyses(m, job.Coding, job.Language)
}

// TestCodingLimitWithLargerLimits: CODING's 10,000-byte record limit holds in a job whose other
// analyses take larger documents (LANGUAGE, PII: 100,000), which the reader then lets through:
// a record of 10,001 bytes of occp_text and tasks_text fails CODING with DOCUMENT_SIZE_EXCEEDED
// (listed in Errors, the other analysis kept), as it does in a job of CODING alone. Found from
// outside: with LANGUAGE such a record was coded.
func TestCodingLimitWithLargerLimits(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	title := strings.Repeat("nurse ", 833) // 4,998 bytes
	data := []byte(fmt.Sprintf(`{"recordId":"at","occp_text":"%snu","tasks_text":%q}`+"\n"+
		`{"recordId":"over","occp_text":"%snur","tasks_text":%q}`+"\n",
		title, strings.Repeat("t", 5000), title, strings.Repeat("t", 5000)))
	res := createAndUpload(t, ctx, c, api.CreateJobRequest{
		Analyses:        []job.Analysis{job.Coding, job.Language},
		InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines},
		CodingConfig:    &job.CodingConfig{Topic: "occupation"},
	}, data)
	_, j := follow(t, ctx, c, res.JobId)
	want := job.AnalysisCounts{job.Coding: {Succeeded: 1, Failed: 1}, job.Language: {Succeeded: 2}}
	if j.JobStatus != job.PartialSuccess || !reflect.DeepEqual(j.JobDetails.AnalysisCounts, want) {
		t.Fatalf("job %s %q: counts %+v, want %+v", j.JobStatus, j.Message, j.JobDetails.AnalysisCounts, want)
	}
	recs, _ := fetchResults(t, ctx, c, res.JobId)
	if len(recs) != 2 {
		t.Fatalf("%d output lines, want 2", len(recs))
	}
	if at := recs[0]; at.RecordId != "at" || at.ErrorCode != "" || len(at.Errors) != 0 {
		t.Errorf("the record of exactly 10,000 bytes: %+v, want it coded", at)
	}
	over := recs[1]
	if over.RecordId != "over" || over.ErrorCode != "" || len(over.Errors) != 1 || over.Errors[0].Analysis != job.Coding ||
		over.Errors[0].ErrorCode != job.CodeDocumentSizeExceeded || !strings.Contains(over.Errors[0].ErrorMessage, "10001 bytes") {
		t.Errorf("the record of 10,001 bytes: %+v, want CODING failed with DOCUMENT_SIZE_EXCEEDED and LANGUAGE kept", over)
	}
}

// TestCodingTrainingTooFewRecords: a training job on a handful of records FAILS with a Message
// that says in the user's terms how many labelled records it needs, and keeps its counts and
// output: one line per record, the records it could not use as error records, which the errors
// route serves.
func TestCodingTrainingTooFewRecords(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	data := []byte(`{"code":"223","occp_text":"nurse","tasks_text":"caring for patients"}
{"code":"231","occp_text":"teacher","tasks_text":"teaching children"}
{"code":"821","occp_text":"bus driver","tasks_text":""}
{"code":"411","occp_text":"clerk","tasks_text":"filing"}
{"code":223,"occp_text":"nurse","tasks_text":""}
{"code":"999","occp_text":"astronaut","tasks_text":""}
`)
	res := createAndUpload(t, ctx, c, api.CreateJobRequest{
		Analyses:        []job.Analysis{job.CodingTraining},
		InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines},
		CodingConfig:    &job.CodingConfig{Topic: "occupation"},
	}, data)
	n, j := follow(t, ctx, c, res.JobId)
	if j.JobStatus != job.Failed || !strings.Contains(j.Message, "too few labelled records: 4 usable") ||
		!strings.Contains(j.Message, "at least 500 usable records") || strings.Contains(j.Message, "HeldOutShare") || n.Message != j.Message {
		t.Fatalf("training on 6 records: %s %q", j.JobStatus, j.Message)
	}
	if d := j.JobDetails; d.InputDocumentsCount != 6 || d.DocumentsWithErrorsCount != 2 || d.ProcessedDocumentsCount != 4 {
		t.Errorf("counts of the failed training: %+v, want 6 records, 2 with errors", d)
	}
	if j.CodingConfig == nil || j.CodingConfig.ModelId != "" {
		t.Errorf("a failed training names a model: %+v", j.CodingConfig)
	}
	recs, m := fetchResults(t, ctx, c, res.JobId)
	if len(recs) != 6 || recs[4].ErrorCode != job.CodeInvalidRecord || recs[5].ErrorCode != job.CodeInvalidRecord || m.JobStatus != job.Failed {
		t.Errorf("output of the failed training: %+v, manifest %s", recs, m.JobStatus)
	}
	errs, err := c.Errors(ctx, res.JobId, api.ErrorsFilter{})
	if err != nil || len(errs.Errors) != 2 || !strings.Contains(string(errs.Errors[0]), `\"code\" must be a string`) {
		t.Fatalf("errors route of the failed training: %+v %v", errs, err)
	}
}

// TestCodingAuthForms pins what the README documents: on the coding routes an OAuth token works
// with or without "Bearer", an API key only as "Bearer <key>" (as on /v1/jobs; a bare key is a
// 401); /oauth2/token's errors are OAuth's {error, error_description}.
func TestCodingAuthForms(t *testing.T) {
	s := startStack(t, Config{}, pipeline.Hooks{})
	tok := newCodingClient(t, s.URL, DefaultClientID, DefaultClientSecret).token
	for _, tc := range []struct {
		auth string
		want int
	}{
		{tok, http.StatusOK},
		{"Bearer " + tok, http.StatusOK},
		{"Bearer " + DefaultKey, http.StatusOK},
		{DefaultKey, http.StatusUnauthorized},
	} {
		for _, path := range []string{"/v1/topics", "/v1/jobs"} {
			req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
			req.Header.Set("Authorization", tc.auth)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("GET %s with Authorization %.20q…: %d, want %d", path, tc.auth, resp.StatusCode, tc.want)
			}
		}
	}
	for _, tc := range []struct {
		form, id, secret string
		status           int
		code             string
	}{
		{"grant_type=client_credentials", DefaultClientID, "wrong", http.StatusUnauthorized, "invalid_client"},
		{"grant_type=password", DefaultClientID, DefaultClientSecret, http.StatusBadRequest, "unsupported_grant_type"},
		{"grant_type=client_credentials&scope=other", DefaultClientID, DefaultClientSecret, http.StatusBadRequest, "invalid_scope"},
		{"", DefaultClientID, DefaultClientSecret, http.StatusBadRequest, "invalid_request"},
		{"grant_type=client_credentials&scope=ream/coding&scope=x", DefaultClientID, DefaultClientSecret, http.StatusBadRequest, "invalid_request"},
		{"grant_type=client_credentials&grant_type=password", DefaultClientID, DefaultClientSecret, http.StatusBadRequest, "invalid_request"},
	} {
		status, body, err := postToken(t, s, "application/x-www-form-urlencoded", tc.form, tc.id, tc.secret)
		if err != nil || status != tc.status || body["error"] != tc.code || body["error_description"] == "" || len(body) != 2 {
			t.Errorf("token %s: %d %v %v, want %d {error: %s, error_description}", tc.form, status, body, err, tc.status, tc.code)
		}
	}
	// A form the server does not read says why (found from outside: an over-size form was "not
	// application/x-www-form-urlencoded", and one sent as text/plain "grant_type is missing").
	for _, tc := range []struct{ ctype, form, says string }{
		{"application/x-www-form-urlencoded", "grant_type=client_credentials&pad=" + strings.Repeat("x", 2<<20), "larger than"},
		{"text/plain", "grant_type=client_credentials", `Content-Type: application/x-www-form-urlencoded (got "text/plain")`},
		{"application/json", `{"grant_type":"client_credentials","client_id":"` + DefaultClientID + `","client_secret":"` + DefaultClientSecret + `"}`, `(got "application/json")`},
	} {
		id, secret := DefaultClientID, DefaultClientSecret
		if strings.HasPrefix(tc.form, "{") {
			id, secret = "", "" // the credentials are in the JSON body, not in HTTP Basic
		}
		status, body, err := postToken(t, s, tc.ctype, tc.form, id, secret)
		if err != nil || status != http.StatusBadRequest || body["error"] != "invalid_request" || !strings.Contains(body["error_description"], tc.says) {
			t.Errorf("token as %s, %d bytes: %d %v %v; want 400 invalid_request saying %q", tc.ctype, len(tc.form), status, body, err, tc.says)
		}
	}
}

// TestCodingTokenClientAuth: HTTP Basic credentials are form-decoded before they are compared
// (RFC 6749 §2.3.1; found from outside: a secret with '+', '/', '=' and '%' sent encoded was a
// 401), the raw secret still works, the credentials may be sent in the body instead
// (client_secret_post), and Basic with credentials in the body too is refused (RFC 6749 §2.3:
// one method per request; the body was ignored).
func TestCodingTokenClientAuth(t *testing.T) {
	s := startStack(t, Config{OAuthClients: []OAuthClient{
		{ClientID: DefaultClientID, ClientSecret: DefaultClientSecret, Tenant: "local"},
		{ClientID: "clientc", ClientSecret: "p+q/r=s%41", Tenant: "local"},
	}}, pipeline.Hooks{})
	const grant = "grant_type=client_credentials"
	for _, tc := range []struct {
		name, form, id, secret string
		status                 int
		code                   string
	}{
		{"Basic, form-encoded (curl -u 'clientc:p%2Bq%2Fr%3Ds%2541')", grant, "clientc", "p%2Bq%2Fr%3Ds%2541", http.StatusOK, ""},
		{"Basic, raw (curl -u 'clientc:p+q/r=s%41')", grant, "clientc", "p+q/r=s%41", http.StatusOK, ""},
		{"Basic, '+' decoded to a space", grant, "clientc", "p q/r=s%41", http.StatusUnauthorized, "invalid_client"},
		{"body only (client_secret_post)", grant + "&client_id=clientc&client_secret=p%2Bq%2Fr%3Ds%2541", "", "", http.StatusOK, ""},
		{"body only, the default client", grant + "&client_id=" + DefaultClientID + "&client_secret=" + DefaultClientSecret, "", "", http.StatusOK, ""},
		{"body only, wrong secret", grant + "&client_id=" + DefaultClientID + "&client_secret=wrong", "", "", http.StatusUnauthorized, "invalid_client"},
		{"Basic and body credentials", grant + "&client_id=" + DefaultClientID + "&client_secret=" + DefaultClientSecret, DefaultClientID, DefaultClientSecret, http.StatusBadRequest, "invalid_request"},
		{"Basic and another client in the body", grant + "&client_id=clientc&client_secret=p%2Bq%2Fr%3Ds%2541", DefaultClientID, DefaultClientSecret, http.StatusBadRequest, "invalid_request"},
		{"Basic and another client_id in the body", grant + "&client_id=clientc", DefaultClientID, DefaultClientSecret, http.StatusBadRequest, "invalid_request"},
	} {
		// (a 200's expires_in is a number: postToken's map of strings keeps the rest)
		status, body, err := postToken(t, s, "application/x-www-form-urlencoded", tc.form, tc.id, tc.secret)
		switch {
		case status != tc.status || (err != nil && status != http.StatusOK):
			t.Errorf("%s: %d %v %v, want %d", tc.name, status, body, err, tc.status)
		case tc.status == http.StatusOK:
			c := &codingClient{t: t, base: s.URL, token: body["access_token"]}
			if st, eb := c.call(http.MethodGet, "/v1/topics", nil); st != http.StatusOK {
				t.Errorf("%s: the token is refused: %d %+v", tc.name, st, eb)
			}
		case body["error"] != tc.code || body["error_description"] == "":
			t.Errorf("%s: %v, want %s with a description", tc.name, body, tc.code)
		}
	}
}

// TestCodingSecondUpload: a second PUT of other bytes to an operation's upload URL is a 409 that
// tells the client to start a new batch-code operation, in the coding service's terms (found
// from outside: it said to "create a new job", which its client never did).
func TestCodingSecondUpload(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := newCodingClient(t, s.URL, DefaultClientID, DefaultClientSecret)
	var op api.CodingOperationStarted
	c.must(http.MethodPost, "/v1/topics/occupation/batch-code", &op)
	first := []byte(`{"recordId":"1","occp_text":"nurse","tasks_text":""}` + "\n")
	if status, _ := putRecords(t, op, first); status != http.StatusOK {
		t.Fatalf("PUT: %d", status)
	}
	check := func(when string) {
		t.Helper()
		status, eb := putRecords(t, op, []byte(`{"recordId":"2","occp_text":"welder","tasks_text":""}`+"\n"))
		if status != http.StatusConflict || !strings.Contains(eb.Message, "start a new batch-code operation (POST /v1/topics/occupation/batch-code)") ||
			!strings.Contains(eb.Message, "operation "+op.OperationId) || strings.Contains(eb.Message, "job") {
			t.Errorf("second PUT %s: %d %+v, want 409 telling to start a new batch-code operation", when, status, eb)
		}
	}
	check("at once") // already uploaded, or the operation already in_progress
	st := c.waitOperation(ctx, "/v1/topics/occupation/batch-code/operations/"+op.OperationId)
	if st.OperationStatus != api.OpComplete {
		t.Fatalf("operation: %+v", st)
	}
	check("once complete")
	// An ordinary job's 409 keeps its words.
	res := createAndUpload(t, ctx, defaultClient(s), lineJob("once", job.JSONLines), first)
	if status, eb := statusAndError(putUpload(t, res.Upload.Presigned, strings.NewReader("other\n"), int64(len("other\n")), nil)); status != http.StatusConflict || !strings.Contains(eb.Message, "create a new job to analyse another input") {
		t.Errorf("an ordinary job's second PUT: %d %+v", status, eb)
	}
}

// TestUncleanPathsAnswerJSON: a path not in canonical form is a 404 NotFound JSON answer like any
// unknown route's, on every route (found from outside: GET //v1/topics was a 307 HTML redirect
// from Go's ServeMux); so is /objects without its slash.
func TestUncleanPathsAnswerJSON(t *testing.T) {
	s := startStack(t, Config{}, pipeline.Hooks{})
	tok := newCodingClient(t, s.URL, DefaultClientID, DefaultClientSecret).token
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "//v1/topics"},
		{http.MethodGet, "/v1//topics/occupation"},
		{http.MethodGet, "/v1/topics/./occupation"},
		{http.MethodGet, "/v1/jobs/../jobs"},
		{http.MethodGet, "//v1/jobs"},
		{http.MethodPost, "//v1/topics/occupation/batch-code"},
		{http.MethodPost, "//oauth2/token"},
		{http.MethodGet, "//v1/health"},
		{http.MethodGet, "/objects"},
		{http.MethodGet, "//objects/x"},
	} {
		req, _ := http.NewRequest(tc.method, s.URL+tc.path, nil)
		req.Header.Set("Authorization", tok)
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var eb api.ErrorBody
		if err := json.Unmarshal(b, &eb); resp.StatusCode != http.StatusNotFound || err != nil || eb.Code != api.CodeNotFound || resp.Header.Get("Location") != "" {
			t.Errorf("%s %s: %d %q (Location %q), want 404 NotFound JSON", tc.method, tc.path, resp.StatusCode, b, resp.Header.Get("Location"))
		}
	}
	// The clean paths still answer.
	for _, p := range []string{"/v1/topics", "/v1/health"} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+p, nil)
		req.Header.Set("Authorization", tok)
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
}

// postToken posts form to /oauth2/token as ctype with HTTP Basic id and secret (none when id is
// empty), and decodes the answer's JSON object.
func postToken(t *testing.T, s *Stack, ctype, form, id, secret string) (int, map[string]string, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/oauth2/token", strings.NewReader(form))
	req.Header.Set("Content-Type", ctype)
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	err = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body, err
}

// TestCodingOperationIdNotEchoed: an operation id that is not a GUID is a 404 that does not
// repeat it (found from outside: a 5,000-character id came back whole).
func TestCodingOperationIdNotEchoed(t *testing.T) {
	s := startStack(t, Config{}, pipeline.Hooks{})
	long := strings.Repeat("x", 5000)
	status, body, _ := rawRequest(t, http.MethodGet, s.URL+"/v1/topics/occupation/batch-code/operations/"+long, DefaultKey, "")
	if status != http.StatusNotFound || strings.Contains(body.Message, "xxxxxxxxxx") || !strings.Contains(body.Message, "GUID") {
		t.Errorf("%d %q; want a 404 saying ids are GUIDs, without the id", status, body.Message)
	}
}

// TestCodingConfigBadReferenceIs400: a CodingConfig in a request body that names an unknown
// topic, an unknown model or a model of another topic is a 400 InvalidRequest saying which field
// is wrong (it answered 404, the status of the URL's resource: found from outside); the coding
// routes, whose URL names the topic and the model, still answer 404 and 409.
func TestCodingConfigBadReferenceIs400(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	jc := defaultClient(s)
	other := api.Model{ModelId: "0b7c7a52-2a9c-5d6e-9f10-222222222222", Topic: "industry", ModelVersion: 1, ModelReleaseDate: time.Now().UTC(), ModelType: "test"}
	if _, _, err := sl.NewModels(s.db).Register(ctx, other); err != nil {
		t.Fatal(err)
	}
	req := func(a job.Analysis, cc job.CodingConfig) api.CreateJobRequest {
		return api.CreateJobRequest{Analyses: []job.Analysis{a}, InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines}, CodingConfig: &cc}
	}
	long := strings.Repeat("x", 5000)
	for _, c := range []struct {
		what  string
		req   api.CreateJobRequest
		field string
	}{
		{"an unknown topic", req(job.Coding, job.CodingConfig{Topic: "industry"}), "CodingConfig.Topic"},
		{"an unknown topic, pinned model", req(job.Coding, job.CodingConfig{Topic: "industry", ModelId: other.ModelId}), "CodingConfig.Topic"},
		{"an unknown topic to train", req(job.CodingTraining, job.CodingConfig{Topic: "industry"}), "CodingConfig.Topic"},
		{"a long unknown topic", req(job.Coding, job.CodingConfig{Topic: long}), "CodingConfig.Topic"},
		{"an unknown model", req(job.Coding, job.CodingConfig{Topic: "occupation", ModelId: "3f0c0000-0000-4000-8000-000000000000"}), "CodingConfig.ModelId"},
		{"a model id that is no GUID", req(job.Coding, job.CodingConfig{Topic: "occupation", ModelId: long}), "CodingConfig.ModelId"},
		{"a model of another topic", req(job.Coding, job.CodingConfig{Topic: "occupation", ModelId: other.ModelId}), "CodingConfig.ModelId"},
	} {
		_, err := jc.CreateJob(ctx, c.req)
		ae := wantAPIError(t, err, http.StatusBadRequest, "create with "+c.what)
		if ae != nil && (ae.Code != api.CodeInvalidRequest || !strings.Contains(ae.Message, c.field) || strings.Contains(ae.Message, strings.Repeat("x", 200))) {
			t.Errorf("create with %s: %+v; want InvalidRequest naming %s (without echoing a long value whole)", c.what, ae, c.field)
		}
		// A drop rule's template is refused the same way.
		_, perr := jc.PutDropRule(ctx, "bad-ref", c.req)
		if pe := wantAPIError(t, perr, http.StatusBadRequest, "drop rule with "+c.what); ae != nil && pe != nil && *pe != *ae {
			t.Errorf("drop rule with %s: %+v, create: %+v", c.what, pe, ae)
		}
	}
	// The coding routes name the topic and the model in their URL: 404 (409 for a model of
	// another topic), in the service's words.
	cc := newCodingClient(t, s.URL, DefaultClientID, DefaultClientSecret)
	for path, want := range map[string]int{
		"/v1/topics/industry/batch-code":                                               http.StatusNotFound,
		"/v1/topics/occupation/models/3f0c0000-0000-4000-8000-000000000000/batch-code": http.StatusNotFound,
		"/v1/topics/occupation/models/" + other.ModelId + "/batch-code":                http.StatusConflict,
	} {
		if status, eb := cc.call(http.MethodPost, path, nil); status != want {
			t.Errorf("POST %s: %d %+v, want %d", path, status, eb, want)
		}
	}
}

// TestCodingStoppedOperationError: a coding operation stopped while it codes ends failed with an
// error its client can act on through the coding API alone: how many records were coded (and
// how many of them are error lines), that they are in the response download, and how to code
// the rest; not the job's shards and manifest, which the coding API does not serve (found from
// outside).
func TestCodingStoppedOperationError(t *testing.T) {
	ctx := testCtx(t)
	var s *Stack
	var opID atomic.Value
	var stopErr error
	var once sync.Once
	s = startStack(t, Config{ShardBytes: 2048}, pipeline.Hooks{ShardStarted: func(pipeline.ShardMessage) error {
		once.Do(func() { _, stopErr = defaultClient(s).Stop(ctx, opID.Load().(string)) })
		return nil
	}})
	c := newCodingClient(t, s.URL, DefaultClientID, DefaultClientSecret)
	var op api.CodingOperationStarted
	c.must(http.MethodPost, "/v1/topics/occupation/batch-code", &op)
	opID.Store(op.OperationId)
	var data []byte
	for i := range 400 {
		data = append(data, fmt.Sprintf(`{"recordId":"r%d","occp_text":"registered nurse","tasks_text":"caring for patients"}`+"\n", i)...)
	}
	data = append(data, "\n"...) // an error line, if its shard is coded
	if status, _ := putRecords(t, op, data); status != http.StatusOK {
		t.Fatalf("PUT: %d", status)
	}
	st := c.waitOperation(ctx, "/v1/topics/occupation/batch-code/operations/"+op.OperationId)
	if stopErr != nil {
		t.Fatalf("stop: %v", stopErr)
	}
	if st.Job == nil || st.Job.JobStatus != job.Stopped || st.OperationStatus != api.OpFailed || st.ResponseDownloadURL == "" {
		t.Fatalf("stopped operation: %+v; want failed (STOPPED) with the coded records' download", st)
	}
	coded := strings.Count(string(download(t, st.ResponseDownloadURL)), "\n")
	if coded == 0 || coded > 400 {
		t.Fatalf("%d coded lines of 401; want some coded and some skipped", coded)
	}
	for _, bad := range []string{"manifest", "shard"} {
		if strings.Contains(st.Error, bad) {
			t.Errorf("error %q speaks of the job's %s, which the coding API does not serve", st.Error, bad)
		}
	}
	for _, want := range []string{fmt.Sprintf("%d records were coded", coded), "responseDownloadUrl", "recordId", "batch-code"} {
		if !strings.Contains(st.Error, want) {
			t.Errorf("error %q does not say %q", st.Error, want)
		}
	}
}

// TestCodingTrainingNamesInputAsClientKnowsIt: a trained model's trainedOn and a training job's
// Message name the input as its client knows it (the uploaded file, or the s3:// location it
// gave), never the local store's file:// path into the server's data directory (found from
// outside).
func TestCodingTrainingNamesInputAsClientKnowsIt(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	jc := defaultClient(s)
	c := newCodingClient(t, s.URL, DefaultClientID, DefaultClientSecret)
	serverPath := func(text string) bool {
		return strings.Contains(text, "file:") || strings.Contains(text, filepath.ToSlash(s.objectsDir)) || strings.Contains(text, s.objectsDir)
	}
	training := api.CreateJobRequest{
		Analyses:        []job.Analysis{job.CodingTraining},
		InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines},
		CodingConfig:    &job.CodingConfig{Topic: "occupation"},
	}
	data := readTestdata(t, "train-sample.jsonl")

	// Uploaded: trainedOn says so, with the job.
	res := createAndUpload(t, ctx, jc, training, data)
	_, j := follow(t, ctx, jc, res.JobId)
	if j.CodingConfig == nil || j.CodingConfig.ModelId == "" {
		t.Fatalf("training job: %s %q", j.JobStatus, j.Message)
	}
	var m api.Model
	c.must(http.MethodGet, "/v1/topics/occupation/models/"+j.CodingConfig.ModelId, &m)
	if serverPath(m.TrainedOn) || !strings.Contains(m.TrainedOn, "uploaded file") || !strings.Contains(m.TrainedOn, res.JobId) || !strings.Contains(m.TrainedOn, fmt.Sprint(len(data))) {
		t.Errorf("trainedOn of an uploaded input: %q; want the uploaded file, its size and the job, without a server path", m.TrainedOn)
	}

	// Named by its location: trainedOn gives the s3:// name the store takes in requests.
	key := "inputs/local/training/train.jsonl"
	p := filepath.Join(s.objectsDir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	byURI := training
	byURI.InputDataConfig.S3Uri = "s3://ream-local/" + key
	res2, err := jc.CreateJob(ctx, byURI)
	if err != nil {
		t.Fatal(err)
	}
	_, j2 := follow(t, ctx, jc, res2.JobId)
	if j2.CodingConfig == nil || j2.CodingConfig.ModelId == "" {
		t.Fatalf("training job on a location: %s %q", j2.JobStatus, j2.Message)
	}
	c.must(http.MethodGet, "/v1/topics/occupation/models/"+j2.CodingConfig.ModelId, &m)
	if serverPath(m.TrainedOn) || !strings.Contains(m.TrainedOn, "s3://ream-local/"+key) || !strings.Contains(m.TrainedOn, res2.JobId) {
		t.Errorf("trainedOn of an input named by location: %q; want s3://ream-local/%s and the job, without a server path", m.TrainedOn, key)
	}

	// An empty upload: the Message names the uploaded file.
	res3 := createAndUpload(t, ctx, jc, training, nil)
	if _, j3 := follow(t, ctx, jc, res3.JobId); j3.JobStatus != job.Failed || serverPath(j3.Message) || !strings.HasPrefix(j3.Message, "the uploaded file is empty") {
		t.Errorf("empty training upload: %s %q; want FAILED naming the uploaded file, without a server path", j3.JobStatus, j3.Message)
	}
	// An empty location: the Message names it by its s3:// name.
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res4, err := jc.CreateJob(ctx, byURI)
	if err != nil {
		t.Fatal(err)
	}
	if _, j4 := follow(t, ctx, jc, res4.JobId); j4.JobStatus != job.Failed || serverPath(j4.Message) || !strings.Contains(j4.Message, "s3://ream-local/"+key+" is empty") {
		t.Errorf("empty training location: %s %q; want FAILED naming s3://ream-local/%s, without a server path", j4.JobStatus, j4.Message, key)
	}
	// A folder of two files (a training input is one object): the Message names the folder by
	// its s3:// name (found from outside: it named the file:///…/objects/inputs/… path).
	for _, name := range []string{"a.jsonl", "b.jsonl"} {
		if err := os.WriteFile(filepath.Join(filepath.Dir(p), name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	byFolder := training
	byFolder.InputDataConfig.S3Uri = "s3://ream-local/inputs/local/training/"
	res5, err := jc.CreateJob(ctx, byFolder)
	if err != nil {
		t.Fatal(err)
	}
	if _, j5 := follow(t, ctx, jc, res5.JobId); j5.JobStatus != job.Failed || serverPath(j5.Message) || !strings.Contains(j5.Message, "s3://ream-local/inputs/local/training/") || !strings.Contains(j5.Message, "one object") {
		t.Errorf("training folder of several files: %s %q; want FAILED naming s3://ream-local/inputs/local/training/, without a server path", j5.JobStatus, j5.Message)
	}
}
