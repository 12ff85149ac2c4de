package local

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/client"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// TestRetryChildJob: a job whose shard 1 always fails ends PARTIAL_SUCCESS with SHARD_FAILED
// records; POST /v1/jobs/{id}/retry makes a child job over exactly those documents, with
// ParentJobId, listed in the parent's ChildJobIds; the child's output lines carry the parent's
// File and Line and equal what a clean run says about the same lines; the same
// ClientRequestToken returns the same child; bad requests are 4xx.
func TestRetryChildJob(t *testing.T) {
	ctx := testCtx(t)
	var mu sync.Mutex
	failing := map[string]bool{} // job ids whose shard 1 fails
	hooks := pipeline.Hooks{AfterShardWritten: func(msg pipeline.ShardMessage) error {
		mu.Lock()
		defer mu.Unlock()
		if failing[msg.JobId] && msg.Index == 1 {
			return errCrash
		}
		return nil
	}}
	s := startStack(t, Config{ShardBytes: 1024, VisibilityTimeout: Duration(time.Second), MaxReceiveCount: 2}, hooks)
	c := defaultClient(s)
	input, bad := genInput(300)

	clean := createAndUpload(t, ctx, c, lineJob("clean", job.OneDocPerLine), input)
	follow(t, ctx, c, clean.JobId)
	want := map[int64]string{} // Line -> the clean run's line
	for _, l := range fetchRawLines(t, ctx, c, clean.JobId) {
		want[lineOf(t, l)] = l
	}

	req := lineJob("flaky", job.OneDocPerLine)
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	failing[res.JobId] = true
	mu.Unlock()
	p := writeTemp(t, "input.txt", input)
	if err := c.Upload(ctx, res.Upload.Presigned, p); err != nil {
		t.Fatal(err)
	}
	_, parent := follow(t, ctx, c, res.JobId)
	if parent.JobStatus != job.PartialSuccess {
		t.Fatalf("parent %s (%s)", parent.JobStatus, parent.Message)
	}
	failed := map[int64]bool{}
	for _, l := range fetchRawLines(t, ctx, c, res.JobId) {
		if strings.Contains(l, `"ErrorCode":"SHARD_FAILED"`) {
			failed[lineOf(t, l)] = true
		}
	}
	if len(failed) == 0 {
		t.Fatal("no SHARD_FAILED records to retry")
	}

	child, err := c.Retry(ctx, res.JobId, api.RetryRequest{ClientRequestToken: "retry-1"})
	if err != nil {
		t.Fatal(err)
	}
	if child.ParentJobId != res.JobId || child.JobName != "flaky retry" || strings.Join(child.RetryErrorCodes, ",") != "INTERNAL_SERVER_ERROR,SHARD_FAILED" {
		t.Errorf("child: ParentJobId %q, JobName %q, RetryErrorCodes %v", child.ParentJobId, child.JobName, child.RetryErrorCodes)
	}
	again, err := c.Retry(ctx, res.JobId, api.RetryRequest{ClientRequestToken: "retry-1"})
	if err != nil || again.JobId != child.JobId {
		t.Errorf("the same token made another child: %v %v", again, err)
	}
	_, cj := follow(t, ctx, c, child.JobId)
	if cj.JobStatus != job.Completed || cj.JobDetails.InputDocumentsCount != int64(len(failed)) {
		t.Fatalf("child %s (%s) with %d documents; want COMPLETED with %d", cj.JobStatus, cj.Message, cj.JobDetails.InputDocumentsCount, len(failed))
	}
	lines := fetchRawLines(t, ctx, c, child.JobId)
	if len(lines) != len(failed) {
		t.Fatalf("child output has %d lines, want %d", len(lines), len(failed))
	}
	for _, l := range lines {
		n := lineOf(t, l)
		if !failed[n] {
			t.Errorf("child output has Line %d, which did not fail", n)
		}
		if l != want[n] {
			t.Errorf("Line %d:\nchild %s\nclean %s", n, l, want[n])
		}
		delete(failed, n)
	}
	pj, err := c.Describe(ctx, res.JobId)
	if err != nil {
		t.Fatal(err)
	}
	if len(pj.ChildJobIds) != 1 || pj.ChildJobIds[0] != child.JobId || pj.JobStatus != job.PartialSuccess {
		t.Errorf("parent after retry: %s, ChildJobIds %v", pj.JobStatus, pj.ChildJobIds)
	}

	// The bad documents of the input (empty, invalid UTF-8) retried by code: the child has
	// exactly them, with the same codes (the documents did not change).
	var codes []string
	seen := map[string]bool{}
	for _, code := range bad {
		if !seen[code] {
			seen[code] = true
			codes = append(codes, code)
		}
	}
	byCode, err := c.Retry(ctx, clean.JobId, api.RetryRequest{ErrorCodes: codes})
	if err != nil {
		t.Fatal(err)
	}
	_, bj := follow(t, ctx, c, byCode.JobId)
	if bj.JobDetails.InputDocumentsCount != int64(len(bad)) || bj.JobDetails.DocumentsWithErrorsCount != int64(len(bad)) || bj.JobStatus != job.Failed {
		t.Errorf("retry of the bad documents: %s %+v; want FAILED with all %d documents in error", bj.JobStatus, bj.JobDetails, len(bad))
	}
	for _, l := range fetchRawLines(t, ctx, c, byCode.JobId) {
		if l != want[lineOf(t, l)] {
			t.Errorf("retried bad line differs:\n%s\n%s", l, want[lineOf(t, l)])
		}
	}
	// A retry of that retry: the same documents, still with the original line numbers.
	grand, err := c.Retry(ctx, byCode.JobId, api.RetryRequest{ErrorCodes: codes})
	if err != nil {
		t.Fatal(err)
	}
	follow(t, ctx, c, grand.JobId)
	if got, was := fetchRawLines(t, ctx, c, grand.JobId), fetchRawLines(t, ctx, c, byCode.JobId); strings.Join(got, "\n") != strings.Join(was, "\n") {
		t.Errorf("retry of a retry:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(was, "\n"))
	}

	// A ONE_DOC_PER_FILE parent: the child has the files by name, without Line.
	root := filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "retry-docs")
	if err := os.MkdirAll(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"a.txt": "A lovely quiet hotel.", "sub/b.txt": "", "c.txt": "  "} {
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(name)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base, _ := filepath.Abs(filepath.Join(s.cfg.DataDir, "objects"))
	fr := lineJob("files", job.OneDocPerFile)
	fr.InputDataConfig.S3Uri = FileURI(base) + "/inputs/local/retry-docs/"
	fres, err := c.CreateJob(ctx, fr)
	if err != nil {
		t.Fatal(err)
	}
	follow(t, ctx, c, fres.JobId)
	fchild, err := c.Retry(ctx, fres.JobId, api.RetryRequest{ErrorCodes: []string{"empty_document"}, JobName: "empties"})
	if err != nil {
		t.Fatal(err)
	}
	_, fj := follow(t, ctx, c, fchild.JobId)
	flines := fetchRawLines(t, ctx, c, fchild.JobId)
	if fj.JobName != "empties" || len(flines) != 2 || !strings.HasPrefix(flines[0], `{"File":"c.txt","ErrorCode":"EMPTY_DOCUMENT"`) || !strings.HasPrefix(flines[1], `{"File":"sub/b.txt","ErrorCode":"EMPTY_DOCUMENT"`) {
		t.Errorf("file retry child %q: %q", fj.JobName, flines)
	}

	for name, tc := range map[string]struct {
		id     string
		req    api.RetryRequest
		status int
	}{
		"unknown code":     {res.JobId, api.RetryRequest{ErrorCodes: []string{"NOPE"}}, 400},
		"nothing to retry": {child.JobId, api.RetryRequest{}, 400},
		"unknown job":      {"no-such-job", api.RetryRequest{}, 404},
		"token reused":     {res.JobId, api.RetryRequest{ClientRequestToken: "retry-1", ErrorCodes: []string{"EMPTY_DOCUMENT"}}, 409},
		"unfinished job":   {createJobOnly(t, ctx, c), api.RetryRequest{}, 409},
	} {
		if _, err := c.Retry(ctx, tc.id, tc.req); !isStatus(err, tc.status) {
			t.Errorf("%s: %v, want %d", name, err, tc.status)
		}
	}

	// The parent's input is replaced: a new retry fails with a Message saying so.
	key := layout.UploadKey("local", res.JobId)
	if err := os.WriteFile(filepath.Join(s.cfg.DataDir, "objects", filepath.FromSlash(key)), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gone, err := c.Retry(ctx, res.JobId, api.RetryRequest{})
	if err != nil {
		t.Fatal(err)
	}
	_, gj := follow(t, ctx, c, gone.JobId)
	if gj.JobStatus != job.Failed || !strings.Contains(gj.Message, "replaced or deleted") {
		t.Errorf("retry after the input changed: %s %q", gj.JobStatus, gj.Message)
	}
}

func lineOf(t *testing.T, l string) int64 {
	t.Helper()
	var r struct{ Line *int64 }
	if err := json.Unmarshal([]byte(l), &r); err != nil || r.Line == nil {
		t.Fatalf("output line without Line: %s", l)
	}
	return *r.Line
}

// createJobOnly creates a job that waits for its upload and returns its id.
func createJobOnly(t *testing.T, ctx context.Context, c *client.Client) string {
	t.Helper()
	res, err := c.CreateJob(ctx, lineJob("waiting", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	return res.JobId
}

// TestRetryCodingAtTheLimit: a coding record of exactly the limit (10,000 bytes of texts) is
// coded, in its job and again in a retry child (which re-checks the limit as its parent counted
// it: the two texts' bytes, not the line joining them).
func TestRetryCodingAtTheLimit(t *testing.T) {
	ctx := testCtx(t)
	var mu sync.Mutex
	failing := map[string]bool{}
	hooks := pipeline.Hooks{AfterShardWritten: func(msg pipeline.ShardMessage) error {
		mu.Lock()
		defer mu.Unlock()
		if failing[msg.JobId] {
			return errCrash
		}
		return nil
	}}
	s := startStack(t, Config{VisibilityTimeout: Duration(200 * time.Millisecond), MaxReceiveCount: 2}, hooks)
	c := defaultClient(s)
	full := `{"recordId":"full","occp_text":"registered nurse ` + strings.Repeat("x", 10000-len("registered nurse ")-len("caring")) + `","tasks_text":"caring"}`
	data := []byte(`{"recordId":"a","occp_text":"bus driver","tasks_text":""}` + "\n" + full + "\n")
	res, err := c.CreateJob(ctx, api.CreateJobRequest{Analyses: []job.Analysis{job.Coding},
		InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines}, CodingConfig: &job.CodingConfig{Topic: "occupation"}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	failing[res.JobId] = true
	mu.Unlock()
	if err := c.Upload(ctx, res.Upload.Presigned, writeTemp(t, "records.jsonl", data)); err != nil {
		t.Fatal(err)
	}
	if _, parent := follow(t, ctx, c, res.JobId); parent.JobDetails.DocumentsWithErrorsCount != 2 {
		t.Fatalf("parent: %s %+v (%s), want both records SHARD_FAILED", parent.JobStatus, parent.JobDetails, parent.Message)
	}
	child, err := c.Retry(ctx, res.JobId, api.RetryRequest{})
	if err != nil {
		t.Fatal(err)
	}
	_, cj := follow(t, ctx, c, child.JobId)
	lines := fetchRawLines(t, ctx, c, child.JobId)
	if cj.JobStatus != job.Completed || len(lines) != 2 || !strings.Contains(lines[1], `"RecordId":"full"`) || !strings.Contains(lines[1], `"Coding"`) {
		t.Fatalf("retry child %s (%s): %d lines, the full record %.300s", cj.JobStatus, cj.Message, len(lines), lines[len(lines)-1])
	}
}

// TestRetryRedactedCopyName: a retry child of a redacting PII job names its redacted copy as its
// parent's, after the input its output lines' File names (found from outside: it was
// redacted/retry-input.jsonl, its own input's name, while its lines said "File":"input").
func TestRetryRedactedCopyName(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	req := lineJob("redacting", job.OneDocPerLine)
	req.Analyses = []job.Analysis{job.PII}
	req.LanguageCode = "en"
	req.RedactionConfig = &job.RedactionConfig{MaskMode: "MASK"}
	res := createAndUpload(t, ctx, c, req, []byte("Mail jane@example.com today.\nbad \xff byte\n"))
	follow(t, ctx, c, res.JobId)
	redactedNames := func(id string) []string {
		var names []string
		for name := range archiveEntries(t, ctx, s, id) {
			if strings.HasPrefix(name, "redacted/") {
				names = append(names, name)
			}
		}
		return names
	}
	parent := redactedNames(res.JobId)
	child, err := c.Retry(ctx, res.JobId, api.RetryRequest{ErrorCodes: []string{job.CodeUnsupportedEncoding}})
	if err != nil {
		t.Fatal(err)
	}
	follow(t, ctx, c, child.JobId)
	if got := redactedNames(child.JobId); len(parent) != 1 || len(got) != 1 || got[0] != parent[0] {
		t.Errorf("the retry's redacted copy %v; want it named as its parent's %v", got, parent)
	}
	// Files uploaded through UploadFiles (ream submit FILE or DIR): the one file's name, or
	// "input" for several, never the service's upload folder (found from outside:
	// redacted/files).
	for _, tc := range []struct {
		files []string
		want  string
	}{{[]string{"notes.txt"}, "redacted/notes.txt"}, {[]string{"a.txt", "b/c.txt"}, "redacted/input"}} {
		req.UploadFiles = tc.files
		up, err := c.CreateJob(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range up.Uploads {
			p := writeTempIn(t, t.TempDir(), "f.txt", []byte("Mail jane@example.com today.\nbad \xff byte\n"))
			if err := c.Upload(ctx, u.Presigned, p); err != nil {
				t.Fatal(err)
			}
		}
		follow(t, ctx, c, up.JobId)
		child, err := c.Retry(ctx, up.JobId, api.RetryRequest{ErrorCodes: []string{job.CodeUnsupportedEncoding}})
		if err != nil {
			t.Fatal(err)
		}
		follow(t, ctx, c, child.JobId)
		if got := redactedNames(child.JobId); len(got) != 1 || got[0] != tc.want {
			t.Errorf("%v: the retry's redacted copy %v; want %s", tc.files, got, tc.want)
		}
	}
}

// TestRetryKeepsOutputLocation: a retry child writes under its parent's output location (the
// folder the parent's own output folder is in), as it keeps the parent's other options (found
// from outside: it wrote to the default location, where a pipeline watching the parent's folder
// never saw it).
func TestRetryKeepsOutputLocation(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	req := lineJob(strings.Repeat("n", 256), job.OneDocPerLine) // the longest name: the child's still ends in " retry"
	req.OutputDataConfig.S3Uri = "s3://" + bucketName + "/outputs/local/reports/"
	res := createAndUpload(t, ctx, c, req, []byte("A calm day.\n\nAnother calm day.\n"))
	_, parent := follow(t, ctx, c, res.JobId)
	if parent.JobDetails.DocumentsWithErrorsCount == 0 {
		t.Fatalf("parent %s with no error to retry", parent.JobStatus)
	}
	child, err := c.Retry(ctx, res.JobId, api.RetryRequest{ErrorCodes: []string{job.CodeEmptyDocument}})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(parent.OutputDataConfig.S3Uri, res.JobId+"/") + child.JobId + "/"; child.OutputDataConfig.S3Uri != want {
		t.Errorf("child output %q, want %q (beside the parent's)", child.OutputDataConfig.S3Uri, want)
	}
	if want := strings.Repeat("n", 250) + " retry"; child.JobName != want {
		t.Errorf("child name %q, want the parent's cut to leave room for \" retry\"", child.JobName)
	}
	follow(t, ctx, c, child.JobId)
}
