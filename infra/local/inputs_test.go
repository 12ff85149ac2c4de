package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestBadInputFilesFailTheJob: an input that cannot be a job (empty, only a byte order mark,
// line breaks alone, over the per-job limit) fails the job with a Message saying why, and a notification is still
// published.
func TestBadInputFilesFailTheJob(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{MaxInputBytes: 100}, pipeline.Hooks{})
	c := defaultClient(s)
	const bom = "\xEF\xBB\xBF"
	for _, tt := range []struct {
		name   string
		format job.Format
		input  string
		want   string
	}{
		{"empty", job.OneDocPerLine, "", "empty"},
		{"empty JSONL", job.JSONLines, "", "empty"},
		{"only a BOM", job.OneDocPerLine, bom, "empty (only a UTF-8 byte order mark)"},
		{"only a BOM JSONL", job.JSONLines, bom, "empty (only a UTF-8 byte order mark)"},
		// line breaks alone are empty documents: every one fails, as the README says
		{"only line breaks", job.OneDocPerLine, "\n\r\n\n", "all 3 documents failed; the output has an error record for each"},
		{"one line break JSONL", job.JSONLines, bom + "\n", "the one document failed; the output has its error record"},
		{"too big", job.OneDocPerLine, strings.Repeat("A sentence that is long enough.\n", 10), "limit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := createAndUpload(t, ctx, c, lineJob(strings.ReplaceAll(tt.name, " ", "-"), tt.format), []byte(tt.input))
			n, j := follow(t, ctx, c, res.JobId)
			if j.JobStatus != job.Failed || !strings.Contains(j.Message, tt.want) || n.JobStatus != job.Failed {
				t.Fatalf("status %s message %q; want FAILED saying %q", j.JobStatus, j.Message, tt.want)
			}
			if j.EndTime == nil || j.ExpirationTime == nil {
				t.Errorf("a failed job needs EndTime and ExpirationTime: %+v", j)
			}
		})
	}
}

// TestInputAlreadyInTheStore: inputs dropped straight into the store (here the data directory,
// as into the bucket on AWS) start at once when the job names them; a location outside the
// tenant's inputs is refused.
func TestInputAlreadyInTheStore(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	root := filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "dropped")
	write := func(rel, data string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("lines.txt", "The train was late again.\nWhat a wonderful concert!\n")
	write("docs/a.txt", "An excellent, friendly hotel.")
	write("docs/sub/b.txt", "The package arrived on Tuesday.")
	write("docs/c.txt", "")
	base, err := filepath.Abs(filepath.Join(s.cfg.DataDir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	uri := FileURI(base) + "/inputs/local/dropped/"

	req := lineJob("dropped-lines", job.OneDocPerLine)
	req.InputDataConfig.S3Uri = uri + "lines.txt"
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Upload != nil {
		t.Fatal("a job with an input location needs no upload URL")
	}
	_, j := follow(t, ctx, c, res.JobId)
	if j.JobStatus != job.Completed || j.JobDetails.InputDocumentsCount != 2 {
		t.Fatalf("line job: %s %+v", j.JobStatus, j.JobDetails)
	}

	req = lineJob("dropped-files", job.OneDocPerFile)
	req.InputDataConfig.S3Uri = uri + "docs"
	res, err = c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	_, j = follow(t, ctx, c, res.JobId)
	recs, _ := fetchResults(t, ctx, c, res.JobId)
	files := map[string]string{}
	for _, r := range recs {
		files[r.File] = r.ErrorCode
	}
	want := map[string]string{"a.txt": "", "c.txt": job.CodeEmptyDocument, "sub/b.txt": ""}
	if len(files) != len(want) || j.JobDetails.InputDocumentsCount != 3 {
		t.Fatalf("file job: %d documents, files %v", j.JobDetails.InputDocumentsCount, files)
	}
	for f, code := range want {
		if got, ok := files[f]; !ok || got != code {
			t.Errorf("file %s: error code %q (present %v), want %q", f, got, ok, code)
		}
	}

	// A ONE_DOC_PER_FILE location naming one object reads that object as the one document, as
	// Comprehend does with an S3Uri naming a single file (it was listed as a folder: "no
	// documents under …/lines.txt/").
	req = lineJob("one-file", job.OneDocPerFile)
	req.InputDataConfig.S3Uri = uri + "lines.txt"
	if res, err = c.CreateJob(ctx, req); err != nil {
		t.Fatal(err)
	}
	_, j = follow(t, ctx, c, res.JobId)
	if recs, _ := fetchResults(t, ctx, c, res.JobId); j.JobStatus != job.Completed || len(recs) != 1 || recs[0].File != "lines.txt" {
		t.Errorf("one-file ONE_DOC_PER_FILE input: %s %q, %d records %+v", j.JobStatus, j.Message, len(recs), recs)
	}

	for _, bad := range []string{"file://" + base + "/inputs/other-tenant/x.txt", "file:///etc/passwd", "s3://somewhere/else"} {
		req := lineJob("bad-location", job.OneDocPerLine)
		req.InputDataConfig.S3Uri = bad
		if _, err := c.CreateJob(ctx, req); err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("input location %s: want 400, got %v", bad, err)
		}
	}
	req = lineJob("missing", job.OneDocPerLine)
	req.InputDataConfig.S3Uri = uri + "nope.txt"
	res, err = c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, j := follow(t, ctx, c, res.JobId); j.JobStatus != job.Failed || !strings.Contains(j.Message, "does not exist") {
		t.Errorf("missing input: %s %q", j.JobStatus, j.Message)
	}
}

// TestWebhookNotification: a configured webhook receives the terminal notification as JSON.
func TestWebhookNotification(t *testing.T) {
	ctx := testCtx(t)
	var mu sync.Mutex
	var got []api.Notification
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var n api.Notification
		if err := json.Unmarshal(b, &n); err == nil {
			mu.Lock()
			got = append(got, n)
			mu.Unlock()
		}
	}))
	defer hook.Close()
	s := startStack(t, Config{Webhooks: []Webhook{{URL: hook.URL}}}, pipeline.Hooks{})
	c := defaultClient(s)
	req := lineJob("hooked", job.OneDocPerLine)
	req.JobTag = "receipts:2026-12"
	res := createAndUpload(t, ctx, c, req, []byte("Lovely.\n"))
	follow(t, ctx, c, res.JobId)
	waitFor(t, ctx, "the webhook delivery", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) > 0
	})
	mu.Lock()
	defer mu.Unlock()
	if got[0].JobId != res.JobId || got[0].JobStatus != job.Completed || got[0].Tenant != "local" || got[0].InputDocumentsCount != 1 {
		t.Fatalf("webhook got %+v", got[0])
	}
	// Textract's completion fields, as a Textract consumer reads them.
	n := got[0]
	if n.Status != "SUCCEEDED" || n.API != "CreateJob" || n.JobTag != req.JobTag || n.Timestamp != n.Time.UnixMilli() ||
		n.DocumentLocation.S3Bucket != bucketName || !strings.HasPrefix(n.DocumentLocation.S3ObjectName, "inputs/local/"+res.JobId+"/") {
		t.Errorf("Textract's fields: %+v", n)
	}
}

// TestNotificationChannelLocal: the local stack has no SNS, so a job naming its own topic is a
// 400 saying so; a malformed ARN is a 400 too.
func TestNotificationChannelLocal(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	for arn, want := range map[string]string{
		"arn:aws:sns:eu-west-1:123456789012:my-topic": "cannot publish",
		"not-an-arn": "SNSTopicArn",
	} {
		req := lineJob("channel", job.OneDocPerLine)
		req.NotificationChannel = &job.NotificationChannel{SNSTopicArn: arn}
		_, err := c.CreateJob(ctx, req)
		if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want a 400 saying %q, got %v", arn, want, err)
		}
	}
	// Textract's shape carries a RoleArn: a body naming one is a job request like any (found from
	// outside: it was refused as an unknown field), and one that is not a role's ARN a 400.
	for role, want := range map[string]string{
		"arn:aws:iam::123456789012:role/TextractSNS": "cannot publish",
		"arn:aws:sns:eu-west-1:123456789012:t":       "RoleArn must be an IAM role ARN",
	} {
		req := lineJob("channel", job.OneDocPerLine)
		req.NotificationChannel = &job.NotificationChannel{SNSTopicArn: "arn:aws:sns:eu-west-1:123456789012:my-topic", RoleArn: role}
		_, err := c.CreateJob(ctx, req)
		if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), want) {
			t.Errorf("RoleArn %s: want a 400 saying %q, got %v", role, want, err)
		}
	}
}

// TestRefusedRequestsStoreNothing: locations and upload names that no store can hold as asked
// are a 400 at create, and the refused request leaves no job behind (nothing to time out later).
func TestRefusedRequestsStoreNothing(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	base, err := filepath.Abs(filepath.Join(s.cfg.DataDir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	uri := FileURI(base) + "/"
	long := strings.Repeat("x", 300)
	cases := map[string]api.CreateJobRequest{}
	add := func(name string, mut func(*api.CreateJobRequest)) {
		r := lineJob(name, job.OneDocPerLine)
		mut(&r)
		cases[name] = r
	}
	add("input dot-dot", func(r *api.CreateJobRequest) { r.InputDataConfig.S3Uri = uri + "inputs/local/../other/x.txt" })
	add("input double slash", func(r *api.CreateJobRequest) { r.InputDataConfig.S3Uri = uri + "inputs/local//x.txt" })
	add("output dot-dot", func(r *api.CreateJobRequest) { r.OutputDataConfig.S3Uri = uri + "outputs/local/../other/" })
	add("output reserved", func(r *api.CreateJobRequest) { r.OutputDataConfig.S3Uri = uri + "outputs/local/.ream-tmp-x/" })
	files := func(names ...string) func(*api.CreateJobRequest) {
		return func(r *api.CreateJobRequest) {
			r.InputDataConfig.InputFormat = job.OneDocPerFile
			r.UploadFiles = names
		}
	}
	add("file and folder", files("a", "a/b"))
	add("dot name", files("."))
	add("reserved name", files("d/.ream-tmp-1"))
	add("NUL in name", files("a\x00b"))
	add("long segment", files(long+"/b.txt"))
	for name, req := range cases {
		if _, err := c.CreateJob(ctx, req); err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("%s: want 400, got %v", name, err)
		}
	}
	page, err := c.List(ctx, api.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Jobs) != 0 {
		t.Errorf("refused requests left %d jobs behind, e.g. %s %s", len(page.Jobs), page.Jobs[0].JobName, page.Jobs[0].JobStatus)
	}
}

// TestTrailingDataRefused: a body with anything after the job's JSON object is a 400.
func TestTrailingDataRefused(t *testing.T) {
	s := startStack(t, Config{}, pipeline.Hooks{})
	body := `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}} GARBAGE {`
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/jobs", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+DefaultKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("trailing data: %d, want 400", resp.StatusCode)
	}
	// White space after the object that takes the body over 1 MiB: too large, not trailing data.
	padded := `{"Analyses":["LANGUAGE"],"InputDataConfig":{"InputFormat":"ONE_DOC_PER_LINE"}}` + strings.Repeat(" ", 1100000)
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/v1/jobs", strings.NewReader(padded))
	req.Header.Set("Authorization", "Bearer "+DefaultKey)
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	if resp2.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("a body padded past 1 MiB with white space: %d, want 413", resp2.StatusCode)
	}
}

// TestExpiry: once a finished job's ExpirationTime has passed, the sweep that runs the next
// expiry pass deletes its output, its input and its record: describe and results are 404 and the
// objects are gone. With "expiryPassEvery" of a second, the sweep after the expiry starts one
// (the stack's first sweep, at its start, began the last one more than a second before).
func TestExpiry(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{Retention: Duration(time.Second), ExpiryPassEvery: Duration(time.Second)}, pipeline.Hooks{})
	c := defaultClient(s)
	res := createAndUpload(t, ctx, c, lineJob("short-lived", job.OneDocPerLine), []byte("Lovely.\nAwful.\n"))
	_, j := follow(t, ctx, c, res.JobId)
	if j.ExpirationTime == nil || j.ExpirationTime.Sub(*j.EndTime) != time.Second {
		t.Fatalf("ExpirationTime %v, EndTime %v; want one second apart", j.ExpirationTime, j.EndTime)
	}
	time.Sleep(time.Until(*j.ExpirationTime) + 100*time.Millisecond)
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Describe(ctx, res.JobId); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("describe after expiry: %v, want 404", err)
	}
	var left []string
	_ = filepath.WalkDir(filepath.Join(s.cfg.DataDir, "objects"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, res.JobId) {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Errorf("objects of the expired job remain: %v", left)
	}
}

// TestSecondUploadRefused: a second PUT to a job's upload URL is refused whether it lands
// before the job has noticed the first (the object is there) or after (the job moved on), so the
// first upload's documents are never silently replaced.
func TestSecondUploadRefused(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	for i := 0; i < 5; i++ {
		res := createAndUpload(t, ctx, c, lineJob("twice", job.OneDocPerLine), []byte("First upload.\nStill the first.\n"))
		err := c.Upload(ctx, res.Upload.Presigned, writeTemp(t, "second", []byte("Second upload.\n")))
		if err == nil || !strings.Contains(err.Error(), "409") {
			t.Fatalf("second upload: %v, want 409", err)
		}
		if _, j := follow(t, ctx, c, res.JobId); j.JobDetails.InputDocumentsCount != 2 {
			t.Fatalf("the job analysed %d documents, want the first upload's 2", j.JobDetails.InputDocumentsCount)
		}
	}
}

// TestPlanInWorker: where a create request must answer quickly (AWS: the api function and API
// Gateway's 30 s), a job created with an input location is planned by a worker through a plan
// message, not inside the request: the create answers SUBMITTED, the job runs to the same end;
// a plan message delivered twice plans once; one that dead-letters fails the job with a Message
// that says so.
func TestPlanInWorker(t *testing.T) {
	ctx := testCtx(t)
	// The least visibility timeout a config may set: under it a loaded machine lets a planning
	// message's visibility run out while it runs (see TestFullDiskDeadLettersNothing), and two
	// such deliveries dead-letter it, failing a job whose plan was fine.
	cfg := Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", PollInterval: Duration(10 * time.Millisecond), Workers: 2,
		MaxReceiveCount: 2, VisibilityTimeout: Duration(minVisibility)}
	s, err := Start(t.Context(), cfg, Options{Log: testLogger(t), PlanInWorker: true,
		WrapObjects: func(o pipeline.Objects) pipeline.Objects { return unreadableInput{o} }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := defaultClient(s)
	base := FileURI(filepath.Join(s.cfg.DataDir, "objects") + "/")
	for _, name := range []string{"in.txt", "unreadable.txt"} {
		p := filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "plan", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("I love it\nI hate it\nIt rained.\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	req := api.CreateJobRequest{Analyses: []job.Analysis{job.Sentiment}, LanguageCode: "en",
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine, S3Uri: base + "inputs/local/plan/in.txt"}}
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.JobStatus != job.Submitted || res.JobDetails.ShardsTotal != 0 {
		t.Errorf("create answered %s with %d shards, want SUBMITTED and no plan yet", res.JobStatus, res.JobDetails.ShardsTotal)
	}
	// A second plan message (an SQS redelivery) changes nothing.
	if err := s.Shards.Send(ctx, []pipeline.ShardMessage{{Tenant: "local", JobId: res.JobId, Plan: true}}); err != nil {
		t.Fatal(err)
	}
	n, err := c.Follow(ctx, res.JobId, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.JobStatus != job.Completed || n.InputDocumentsCount != 3 {
		t.Fatalf("job ended %s with %d documents (%s), want COMPLETED with 3", n.JobStatus, n.InputDocumentsCount, n.Message)
	}

	// An input that cannot be read for a reason that is not the user's (the store keeps
	// failing): the plan message is retried, dead-lettered, and the job fails saying why.
	req.InputDataConfig.S3Uri = base + "inputs/local/plan/unreadable.txt"
	res, err = c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	n, err = c.Follow(ctx, res.JobId, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.JobStatus != job.Failed || !strings.Contains(n.Message, "could not be planned") {
		t.Errorf("a plan that keeps failing: %s %q, want FAILED saying it could not be planned", n.JobStatus, n.Message)
	}
}

// unreadableInput fails every read of an input named unreadable.txt, as a store that keeps
// timing out would.
type unreadableInput struct{ pipeline.Objects }

func (u unreadableInput) Head(ctx context.Context, key string) (pipeline.ObjectInfo, error) {
	if strings.HasSuffix(key, "/unreadable.txt") {
		return pipeline.ObjectInfo{}, errors.New("injected: the store timed out")
	}
	return u.Objects.Head(ctx, key)
}

// TestUnreadableFileNames: in a ONE_DOC_PER_FILE folder, a file whose name the local store cannot
// read (a backslash, a path over 1,024 bytes) is an UNREADABLE_FILE error record and the other
// files are analysed; a name that is not UTF-8 fails the job at once, saying so. Before, the shard
// was retried until dead-lettered and the whole job FAILED without output minutes later, with a
// message about the dead letter's write (found from outside).
func TestUnreadableFileNames(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{VisibilityTimeout: Duration(time.Second)}, pipeline.Hooks{})
	c := defaultClient(s)
	dir := filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "odd")
	deep := filepath.Join(dir, strings.Repeat("d", 200), strings.Repeat("e", 200), strings.Repeat("f", 200), strings.Repeat("g", 200), strings.Repeat("h", 200))
	for _, p := range []string{filepath.Join(dir, "good1.txt"), filepath.Join(dir, `back\slash.txt`), filepath.Join(deep, "long.txt"), filepath.Join(dir, "good2.txt")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("I love this.\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := FileURI(dir + "/")
	res, err := c.CreateJob(ctx, api.CreateJobRequest{Analyses: []job.Analysis{job.Sentiment}, LanguageCode: "en",
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerFile, S3Uri: base}})
	if err != nil {
		t.Fatal(err)
	}
	_, j := follow(t, ctx, c, res.JobId)
	if j.JobStatus != job.PartialSuccess || j.JobDetails.InputDocumentsCount != 4 || j.JobDetails.DocumentsWithErrorsCount != 2 {
		t.Fatalf("job %s (%s) %+v; want PARTIAL_SUCCESS, 4 documents, 2 errors", j.JobStatus, j.Message, j.JobDetails)
	}
	recs, _ := fetchResults(t, ctx, c, res.JobId)
	var unreadable, analysed int
	for _, r := range recs {
		switch {
		case r.ErrorCode == job.CodeUnreadableFile && strings.Contains(r.ErrorMessage, "rename"):
			unreadable++
		case r.ErrorCode == "" && r.Sentiment == "POSITIVE":
			analysed++
		default:
			t.Errorf("record %+v", r)
		}
	}
	if unreadable != 2 || analysed != 2 {
		t.Errorf("%d unreadable and %d analysed records, want 2 and 2", unreadable, analysed)
	}
	if err := os.WriteFile(filepath.Join(dir, "caf\xe9.txt"), []byte("Latin-1 name.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = c.CreateJob(ctx, api.CreateJobRequest{Analyses: []job.Analysis{job.Sentiment}, LanguageCode: "en",
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerFile, S3Uri: base}})
	if err != nil {
		t.Fatal(err)
	}
	if _, j = follow(t, ctx, c, res.JobId); j.JobStatus != job.Failed || !strings.Contains(j.Message, "not UTF-8") {
		t.Errorf("with a Latin-1 name: %s (%s), want FAILED saying the name is not UTF-8", j.JobStatus, j.Message)
	}
}

// TestOutputUnderAnObject: an output location below an existing object cannot be written by the
// local store (a key cannot be an object and a folder at once): the job FAILS at once with a
// Message naming the key, instead of retrying finalize for minutes (found from outside: 8
// minutes IN_PROGRESS and 39 finalize requests, then a generic dead-letter Message).
func TestOutputUnderAnObject(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	p := filepath.Join(s.cfg.DataDir, "objects", "outputs", "local", "notes.txt")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	req := lineJob("under an object", job.OneDocPerLine)
	req.OutputDataConfig.S3Uri = "s3://" + bucketName + "/outputs/local/notes.txt/"
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(ctx, res.Upload.Presigned, writeTemp(t, "in.txt", []byte("hello world, how are you today\n"))); err != nil {
		t.Fatal(err)
	}
	n, err := c.Follow(ctx, res.JobId, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.JobStatus != job.Failed || !strings.Contains(n.Message, "output cannot be written") || !strings.Contains(n.Message, "outputs/local/notes.txt/") {
		t.Fatalf("%s %q, want FAILED naming the output location", n.JobStatus, n.Message)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "mine" {
		t.Fatalf("the object was touched: %q %v", b, err)
	}

	// An output folder that is a symbolic link (made by hand in the data directory) is not
	// followed, and fails the job at once too (found from outside: retried for nine minutes,
	// then FAILED with a dead-letter Message that did not say why).
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(s.cfg.DataDir, "objects", "outputs", "local", "linked")); err != nil {
		t.Fatal(err)
	}
	req.JobName = "linked"
	req.OutputDataConfig.S3Uri = "s3://" + bucketName + "/outputs/local/linked/"
	if res, err = c.CreateJob(ctx, req); err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(ctx, res.Upload.Presigned, writeTemp(t, "in.txt", []byte("hello world, how are you today\n"))); err != nil {
		t.Fatal(err)
	}
	if n, err = c.Follow(ctx, res.JobId, nil); err != nil {
		t.Fatal(err)
	}
	if n.JobStatus != job.Failed || !strings.Contains(n.Message, "symbolic link") {
		t.Fatalf("output folder a link: %s %q, want FAILED saying the link is not followed", n.JobStatus, n.Message)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("written through the link: %v", ents)
	}
}

// TestCreateAnswersThePlannedJob: a create with an input location is planned before it answers
// locally, and the answer is the job as stored then: FAILED with its Message for an empty input
// (found from outside: it said SUBMITTED for a job already FAILED and notified), not SUBMITTED
// for a good one.
func TestCreateAnswersThePlannedJob(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	for _, tc := range []struct {
		name string
		data []byte
		ok   func(*job.Job) bool
	}{
		{"empty.txt", nil, func(j *job.Job) bool { return j.JobStatus == job.Failed && strings.Contains(j.Message, "empty") }},
		{"good.txt", []byte("A calm day.\n"), func(j *job.Job) bool { return j.JobStatus != job.Submitted && j.JobStatus != job.Failed }},
	} {
		req := lineJob(tc.name, job.OneDocPerLine)
		req.InputDataConfig.S3Uri = putInput(t, s, tc.name, tc.data)
		res, err := c.CreateJob(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if !tc.ok(res.Job) {
			t.Errorf("%s: create answered %s (%q)", tc.name, res.Job.JobStatus, res.Job.Message)
		}
		follow(t, ctx, c, res.JobId)
	}
}

// TestTwoAuthorizationHeaders: a request with two Authorization headers is a 400 on /v1 and on
// the Comprehend surface, never answered for whichever header comes first (found from outside).
func TestTwoAuthorizationHeaders(t *testing.T) {
	s := startStack(t, Config{}, pipeline.Hooks{})
	for _, tc := range []struct{ method, path, target string }{
		{http.MethodGet, "/v1/jobs", ""},
		{http.MethodPost, "/", "Comprehend_20171127.ListSentimentDetectionJobs"},
	} {
		req, _ := http.NewRequest(tc.method, s.URL+tc.path, strings.NewReader("{}"))
		req.Header.Add("Authorization", "Bearer "+DefaultKey)
		req.Header.Add("Authorization", "Bearer someone-elses-key")
		if tc.target != "" {
			req.Header.Set("X-Amz-Target", tc.target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "one Authorization header") {
			t.Errorf("%s %s with two Authorization headers: %d %s, want 400", tc.method, tc.path, resp.StatusCode, b)
		}
	}
}

// TestSameVersionRewriteInsideALongLine: the shards that lie inside one long line skip reading it
// (TestLongLineReadOnce) but still look for a line break in their own range, so a file rewritten
// under the same version (size and modification time) with lines starting there fails the job on
// its line count instead of ending COMPLETED with those documents missing (found in review).
func TestSameVersionRewriteInsideALongLine(t *testing.T) {
	ctx := testCtx(t)
	orig := strings.Repeat("a", 5000) + "\nshort\n"
	changed := strings.Repeat("a", 1100) + "\nbb\n" + strings.Repeat("a", 5000-1100-4) + "\nshort\n"
	if len(changed) != len(orig) {
		t.Fatal("the rewrite must keep the size")
	}
	var path string
	var once sync.Once
	hooks := pipeline.Hooks{ShardStarted: func(pipeline.ShardMessage) error {
		once.Do(func() {
			fi, err := os.Stat(path)
			if err == nil && os.WriteFile(path, []byte(changed), 0o644) == nil {
				_ = os.Chtimes(path, fi.ModTime(), fi.ModTime())
			}
		})
		return nil
	}}
	s := startStack(t, Config{ShardBytes: 1024, Workers: 1}, hooks)
	uri := putInput(t, s, "long/x.txt", []byte(orig))
	path = filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "comprehend", "long", "x.txt")
	req := lineJob("same version", job.OneDocPerLine)
	req.InputDataConfig.S3Uri = uri
	res, err := defaultClient(s).CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	_, j := follow(t, ctx, defaultClient(s), res.JobId)
	if j.JobStatus != job.Failed || !strings.Contains(j.Message, "where planning counted 0") {
		t.Errorf("job %s (%s) with %d documents; want FAILED on shard 1's line count", j.JobStatus, j.Message, j.JobDetails.InputDocumentsCount)
	}
}

// TestOutputInsideAJobsFolder: an output location inside a job's output folder (a path segment
// that is the id of one of the tenant's jobs) is a 400, since that folder is deleted with its job
// when the job expires (found from outside: a 30-day job's output went with a 1-hour job's); a
// GUID-named folder of the user's own, no job's, is fine (found in review).
func TestOutputInsideAJobsFolder(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	first, err := c.CreateJob(ctx, lineJob("first", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	base := "s3://" + bucketName + "/outputs/local/"
	for _, out := range []string{base + first.JobId + "/", base + "reports/" + first.JobId + "/mine/"} {
		req := lineJob("nested", job.OneDocPerLine)
		req.OutputDataConfig.S3Uri = out
		if _, err := c.CreateJob(ctx, req); err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), first.JobId+"'s output folder") {
			t.Errorf("output %s: %v; want a 400 naming job %s's folder", out, err, first.JobId)
		}
	}
	req := lineJob("own GUID folder", job.OneDocPerLine)
	req.OutputDataConfig.S3Uri = base + "runs/0f8fa2c4-3b7e-4c1e-9a51-2b6d4f0a9c11/"
	if _, err := c.CreateJob(ctx, req); err != nil {
		t.Errorf("a GUID-named folder that is no job's: %v", err)
	}
}

// TestLineFormatUploadFiles: a line-format job may name its upload files (UploadFiles), as a
// ONE_DOC_PER_FILE job does: each file keeps its name in the output, with its own line numbers
// (found from outside: `ream submit pii.txt` came out as File "input" and redacted/input).
func TestLineFormatUploadFiles(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	req := lineJob("named lines", job.OneDocPerLine)
	req.UploadFiles = []string{"reviews.txt", "more/other.txt"}
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	content := map[string]string{"reviews.txt": "I love it.\nIt broke on day two.\n", "more/other.txt": "A calm day.\n"}
	for _, u := range res.Uploads {
		if err := c.Upload(ctx, u.Presigned, writeTemp(t, "up.txt", []byte(content[u.File]))); err != nil {
			t.Fatal(err)
		}
	}
	_, j := follow(t, ctx, c, res.JobId)
	if j.JobStatus != job.Completed || j.JobDetails.InputDocumentsCount != 3 {
		t.Fatalf("job %s (%s) with %d documents; want COMPLETED with 3", j.JobStatus, j.Message, j.JobDetails.InputDocumentsCount)
	}
	got := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(archiveEntries(t, ctx, s, res.JobId)["output"])), "\n") {
		var rec struct {
			File string
			Line int
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		got[fmt.Sprintf("%s:%d", rec.File, rec.Line)] = true
	}
	for _, want := range []string{"reviews.txt:0", "reviews.txt:1", "more/other.txt:0"} {
		if !got[want] {
			t.Errorf("output has no record %s: %v", want, got)
		}
	}
}

// TestDocumentLocationNamesTheOneFile: a notification's DocumentLocation names the document a
// Textract consumer fetches: for an upload of one file (what `ream submit file.txt` makes) the
// object itself, not the job's files/ folder (found from outside: a GetObject of the folder's
// name failed); for several files, their folder.
func TestDocumentLocationNamesTheOneFile(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	dir := t.TempDir()
	for _, names := range [][]string{{"reviews.txt"}, {"a.txt", "b.txt"}} {
		res, err := c.CreateJob(ctx, api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}, UploadFiles: names})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range res.Uploads {
			if err := c.Upload(ctx, u.Presigned, writeTempIn(t, dir, u.File, []byte("Lovely weather today.\n"))); err != nil {
				t.Fatal(err)
			}
		}
		n, _ := follow(t, ctx, c, res.JobId)
		want := "inputs/local/" + res.JobId + "/files/"
		if len(names) == 1 {
			want += names[0]
		}
		if n.DocumentLocation.S3ObjectName != want {
			t.Errorf("%d files: DocumentLocation %+v, want S3ObjectName %q", len(names), n.DocumentLocation, want)
		}
	}
}
