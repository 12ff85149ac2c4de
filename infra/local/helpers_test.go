package local

// Helpers shared by the end-to-end tests of the local stack: start a stack on loopback with a
// temporary data directory, drive it through shared/client, and check the exactly-once
// invariants of a finished job against an independent reading of its input.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/client"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline"
)

// hangProtection bounds every wait; it is never an assertion about speed.
const hangProtection = 2 * time.Minute

// testCtx is the test's context with a generous deadline, so that a hung job fails the test
// instead of the whole package timing out.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), hangProtection)
	t.Cleanup(cancel)
	return ctx
}

// testLogger writes the stack's warnings and errors to the test's output (shown on failure or
// with -v).
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// startStack starts a local stack on 127.0.0.1:0 with a fresh data directory (or cfg.DataDir's)
// and closes it when the test ends.
func startStack(t *testing.T, cfg Config, hooks pipeline.Hooks) *Stack {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.Addr = "127.0.0.1:0"
	if cfg.PollInterval == 0 {
		cfg.PollInterval = Duration(10 * time.Millisecond)
	}
	if cfg.Workers == 0 {
		cfg.Workers = 2
	}
	s, err := Start(t.Context(), cfg, Options{Hooks: hooks, Log: testLogger(t)})
	if err != nil {
		t.Fatalf("start stack: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close stack: %v", err)
		}
	})
	return s
}

// stackRef lets a hook built before Start reach the stack it runs in.
type stackRef struct{ p atomic.Pointer[Stack] }

func (r *stackRef) get() *Stack { return r.p.Load() }

func newClient(url, key string) *client.Client {
	return &client.Client{Endpoint: url, APIKey: key}
}

func defaultClient(s *Stack) *client.Client { return newClient(s.URL, DefaultKey) }

// lineJob is a LANGUAGE+SENTIMENT request for a line-format upload.
func lineJob(name string, format job.Format) api.CreateJobRequest {
	return api.CreateJobRequest{
		JobName:         name,
		Analyses:        []job.Analysis{job.Language, job.Sentiment},
		InputDataConfig: job.InputDataConfig{InputFormat: format},
	}
}

// writeTemp writes data to a new file in a temporary directory and returns its path.
func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// createAndUpload creates a line-format job and uploads data through its presigned URL.
func createAndUpload(t *testing.T, ctx context.Context, c *client.Client, req api.CreateJobRequest, data []byte) *api.CreateJobResult {
	t.Helper()
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatalf("create job: %v", err)
	}
	if res.JobStatus != job.AwaitingInput || res.Upload == nil {
		t.Fatalf("created job is %s with upload %v; want AWAITING_INPUT with an upload URL", res.JobStatus, res.Upload)
	}
	if err := c.Upload(ctx, res.Upload.Presigned, writeTemp(t, "input", data)); err != nil {
		t.Fatalf("upload: %v", err)
	}
	return res
}

// follow waits on the job's event stream for its notification and returns it with the job as
// described afterwards. It also checks that the stream's progress counters never went down.
func follow(t *testing.T, ctx context.Context, c *client.Client, id string) (*api.Notification, *job.Job) {
	t.Helper()
	var last job.Details
	n, err := c.Follow(ctx, id, func(ev client.Event) {
		if ev.Job == nil {
			return
		}
		d := ev.Job.JobDetails
		checkNotBackwards(t, d, last)
		last = d
	})
	if err != nil {
		t.Fatalf("follow job %s: %v", id, err)
	}
	if n.JobId != id {
		t.Fatalf("notification is for job %s, want %s", n.JobId, id)
	}
	j, err := c.Describe(ctx, id)
	if err != nil {
		t.Fatalf("describe %s: %v", id, err)
	}
	if !j.JobStatus.Terminal() {
		t.Fatalf("job %s is %s after its notification", id, j.JobStatus)
	}
	checkNotification(t, n, j)
	return n, j
}

// checkNotBackwards fails t when a counter of d is below the same counter of last, an
// earlier reading of the same job.
func checkNotBackwards(t *testing.T, d, last job.Details) {
	t.Helper()
	if d.InputDocumentsCount < last.InputDocumentsCount || d.ShardsDone < last.ShardsDone ||
		d.ProcessedDocumentsCount < last.ProcessedDocumentsCount || d.DocumentsWithErrorsCount < last.DocumentsWithErrorsCount {
		t.Errorf("progress went backwards: %+v after %+v", d, last)
	}
}

func checkNotification(t *testing.T, n *api.Notification, j *job.Job) {
	t.Helper()
	if n.JobStatus != j.JobStatus || n.InputDocumentsCount != j.JobDetails.InputDocumentsCount ||
		n.ProcessedDocumentsCount != j.JobDetails.ProcessedDocumentsCount || n.DocumentsWithErrorsCount != j.JobDetails.DocumentsWithErrorsCount {
		t.Errorf("notification %+v disagrees with the job (%s, %+v)", n, j.JobStatus, j.JobDetails)
	}
	// An OutputLocation only where there is output (a job that failed while planning has none).
	if (n.OutputLocation != "") != (j.ManifestFilePath != "") {
		t.Errorf("notification OutputLocation %q for a %s job with manifest %q (%s)", n.OutputLocation, j.JobStatus, j.ManifestFilePath, j.Message)
	}
}

// outRec is one output line as a user reads it (the analysis fields are ignored).
type outRec struct {
	Line         *int64
	File         string
	RecordId     string
	Languages    []analysis.DominantLanguage
	Sentiment    string
	Errors       []output.AnalysisError
	ErrorCode    string
	ErrorMessage string
}

// fetchResults downloads and unpacks a finished job's results and parses them.
func fetchResults(t *testing.T, ctx context.Context, c *client.Client, id string) ([]outRec, *output.Manifest) {
	t.Helper()
	dir := t.TempDir()
	if _, err := c.DownloadResults(ctx, id, dir); err != nil {
		t.Fatalf("download results of %s: %v", id, err)
	}
	f, err := os.Open(filepath.Join(dir, output.EntryName))
	if err != nil {
		t.Fatalf("unpacked output: %v", err)
	}
	defer f.Close()
	var recs []outRec
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var r outRec
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("output line %d is not JSON: %v: %.200q", len(recs), err, sc.Text())
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, api.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m output.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest.json does not parse: %v", err)
	}
	if m.JobId != id {
		t.Errorf("manifest is for job %q, want %q", m.JobId, id)
	}
	return recs, &m
}

// doc is one document of a line input as read independently of the service.
type doc struct {
	start int64
	text  []byte
}

// splitDocs cuts a line input into documents as the input format specifies: LF, CR and CRLF
// end a line; a terminator at the very end does not start an extra document; a leading BOM is
// not part of the first document.
func splitDocs(b []byte) []doc {
	var docs []doc
	i := 0
	if bytes.HasPrefix(b, []byte("\ufeff")) {
		i = 3
	}
	start := 0 // the first document starts at offset 0 even with a BOM
	textStart := i
	for i < len(b) {
		switch b[i] {
		case '\n', '\r':
			docs = append(docs, doc{start: int64(start), text: b[textStart:i]})
			if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			i++
			start, textStart = i, i
		default:
			i++
		}
	}
	if start < len(b) {
		docs = append(docs, doc{start: int64(start), text: b[textStart:]})
	}
	return docs
}

// inputCode is the error code the reader must give a line document, "" when it is readable
// (the analysers may still refuse it).
func inputCode(text []byte) string {
	switch {
	case !utf8.Valid(text) || bytes.IndexByte(text, 0) >= 0:
		return job.CodeUnsupportedEncoding
	case len(bytes.TrimSpace(text)) == 0:
		return job.CodeEmptyDocument
	}
	return ""
}

// checkLineResults checks a finished line-format job against its input: counters, output
// lines, global line numbers, error codes, and the manifest's accounting shard by shard.
// strict also requires every readable document to have been analysed without error.
func checkLineResults(t *testing.T, input []byte, j *job.Job, recs []outRec, m *output.Manifest, strict bool) {
	t.Helper()
	docs := splitDocs(input)
	n := int64(len(docs))
	d := j.JobDetails
	if d.InputDocumentsCount != n {
		t.Errorf("InputDocumentsCount = %d, want %d (documents in the input)", d.InputDocumentsCount, n)
	}
	if int64(len(recs)) != n {
		t.Errorf("output has %d lines, want %d", len(recs), n)
	}
	if d.ProcessedDocumentsCount+d.DocumentsWithErrorsCount != d.InputDocumentsCount {
		t.Errorf("Processed %d + WithErrors %d != Input %d", d.ProcessedDocumentsCount, d.DocumentsWithErrorsCount, d.InputDocumentsCount)
	}
	if d.ShardsDone != d.ShardsTotal {
		t.Errorf("ShardsDone %d != ShardsTotal %d", d.ShardsDone, d.ShardsTotal)
	}
	seen := make([]int, n)
	var errs int64
	for i, r := range recs {
		if r.ErrorCode != "" {
			errs++
			if r.ErrorMessage == "" {
				t.Errorf("output line %d: error %s without a message", i, r.ErrorCode)
			}
		}
		if r.Line == nil {
			t.Errorf("output line %d has no Line", i)
			continue
		}
		l := *r.Line
		if l < 0 || l >= n {
			t.Errorf("output line %d has Line %d, outside 0..%d", i, l, n-1)
			continue
		}
		seen[l]++
		want := inputCode(docs[l].text)
		switch {
		case want != "" && r.ErrorCode != want:
			t.Errorf("Line %d (%.40q): ErrorCode %q, want %q", l, docs[l].text, r.ErrorCode, want)
		case want == "" && strict && r.ErrorCode != "":
			t.Errorf("Line %d (%.40q): unexpected error %s: %s", l, docs[l].text, r.ErrorCode, r.ErrorMessage)
		case want == "" && r.ErrorCode == job.CodeUnsupportedEncoding || want == "" && r.ErrorCode == job.CodeEmptyDocument:
			t.Errorf("Line %d (%.40q): readable document reported as %s", l, docs[l].text, r.ErrorCode)
		}
	}
	for l, c := range seen {
		if c != 1 {
			t.Errorf("Line %d appears %d times in the output", l, c)
		}
	}
	if errs != d.DocumentsWithErrorsCount {
		t.Errorf("output has %d error records, DocumentsWithErrorsCount = %d", errs, d.DocumentsWithErrorsCount)
	}
	checkManifest(t, input, j, m, n, false)
}

// checkManifest checks manifest.json against the job and, shard by shard, against the documents
// that start in each shard's byte range. For a stopped job, skipped shards contribute nothing.
func checkManifest(t *testing.T, input []byte, j *job.Job, m *output.Manifest, lines int64, stopped bool) {
	t.Helper()
	if m.JobStatus != j.JobStatus {
		t.Errorf("manifest JobStatus %s, job %s", m.JobStatus, j.JobStatus)
	}
	if !reflect.DeepEqual(m.JobDetails, j.JobDetails) {
		t.Errorf("manifest JobDetails %+v, job %+v", m.JobDetails, j.JobDetails)
	}
	if m.Output.Lines != lines {
		t.Errorf("manifest Output.Lines = %d, want %d", m.Output.Lines, lines)
	}
	if len(m.Shards) != j.JobDetails.ShardsTotal {
		t.Errorf("manifest lists %d shards, ShardsTotal = %d", len(m.Shards), j.JobDetails.ShardsTotal)
	}
	docs := splitDocs(input)
	var sumDocs, sumErrs, next int64
	for i, sh := range m.Shards {
		if sh.Index != i {
			t.Errorf("manifest shard %d has Index %d", i, sh.Index)
		}
		if sh.Start != next || sh.End <= sh.Start {
			t.Errorf("shard %d covers [%d, %d); want a non-empty range starting at %d", i, sh.Start, sh.End, next)
		}
		next = sh.End
		var own int64
		for _, dc := range docs {
			if dc.start >= sh.Start && dc.start < sh.End {
				own++
			}
		}
		switch sh.Status {
		case output.ShardSkipped:
			if !stopped {
				t.Errorf("shard %d is SKIPPED in a job that was not stopped", i)
			}
			// A skipped shard reports the documents it holds (not analysed, not in the output).
			if sh.Documents != own || sh.Errors != 0 {
				t.Errorf("skipped shard %d counts %d documents and %d errors, want %d and 0", i, sh.Documents, sh.Errors, own)
			}
			continue
		default:
			if sh.Documents != own {
				t.Errorf("shard %d [%d, %d) has %d documents, want %d (documents starting in its range)", i, sh.Start, sh.End, sh.Documents, own)
			}
		}
		sumDocs += sh.Documents
		sumErrs += sh.Errors
	}
	if next != int64(len(input)) {
		t.Errorf("shards end at byte %d, input has %d bytes", next, len(input))
	}
	if sumDocs != lines || sumDocs != j.JobDetails.InputDocumentsCount {
		t.Errorf("manifest shards hold %d documents; output has %d lines, InputDocumentsCount %d", sumDocs, lines, j.JobDetails.InputDocumentsCount)
	}
	if sumErrs != j.JobDetails.DocumentsWithErrorsCount {
		t.Errorf("manifest shards hold %d errors, DocumentsWithErrorsCount %d", sumErrs, j.JobDetails.DocumentsWithErrorsCount)
	}
}

// sentences are documents both analysers accept.
var sentences = []string{
	"I really love this phone, the screen is bright and the battery lasts all day",
	"The delivery was late and the box was damaged, which made me very unhappy",
	"This restaurant serves wonderful food and the staff are always friendly",
	"The hotel room was clean and quiet, and breakfast was excellent",
	"I would not recommend this product because it stopped working after a week",
	"The concert was amazing and the band played all of our favourite songs",
}

// genInput is a line input of n documents with LF, CRLF and CR terminators, empty and
// whitespace-only lines and invalid UTF-8 at known positions, and no terminator after the last
// line. It returns the input and the expected error code of each bad line.
func genInput(n int) ([]byte, map[int]string) {
	bad := map[int]string{}
	var b bytes.Buffer
	kind := func(i int) string {
		switch {
		case i%97 == 13:
			return "empty"
		case i%89 == 7:
			return "blank"
		case i%131 == 5:
			return "latin1"
		}
		return ""
	}
	for i := 0; i < n; i++ {
		switch kind(i) {
		case "empty":
			bad[i] = job.CodeEmptyDocument
		case "blank":
			b.WriteString(" \t  ")
			bad[i] = job.CodeEmptyDocument
		case "latin1":
			b.WriteString("Caf\xe9 cr\xe8me, line " + fmt.Sprint(i))
			bad[i] = job.CodeUnsupportedEncoding
		default:
			fmt.Fprintf(&b, "%s (review %d)", sentences[i%len(sentences)], i)
		}
		if i == n-1 {
			break
		}
		switch {
		case i%5 == 0:
			b.WriteString("\r\n")
		case i%11 == 3 && kind(i+1) != "empty":
			// A lone CR ends a line too; never before an empty line, where it would pair
			// with that line's LF into one CRLF.
			b.WriteString("\r")
		default:
			b.WriteString("\n")
		}
	}
	return b.Bytes(), bad
}

// readSample reads the repository's sample input.
func readSample(t *testing.T) []byte { return readSampleFile(t, "reviews.txt") }

// readSampleFile reads a file of the repository's testdata/sample: reviews.txt (make run's
// input), mixed-languages.txt (English, French, German and Spanish reviews and news lines,
// with two document-level failures: an empty line at 3, invalid UTF-8 at 7).
func readSampleFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sample", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawRequest sends a request with an optional bearer key and returns the status and the parsed
// JSON error body (zero if the body is not one).
func rawRequest(t *testing.T, method, url, key, body string) (int, api.ErrorBody, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e api.ErrorBody
	_ = json.Unmarshal(b, &e)
	return resp.StatusCode, e, resp.Header
}

// wantAPIError checks that err is an API error with the given status.
func wantAPIError(t *testing.T, err error, status int, what string) *client.APIError {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %d", what, status)
		return nil
	}
	ae, ok := err.(*client.APIError)
	if !ok {
		t.Errorf("%s: %v, want an API error %d", what, err, status)
		return nil
	}
	if ae.Status != status {
		t.Errorf("%s: %v, want status %d", what, err, status)
	}
	if ae.Code == "" || ae.Message == "" {
		t.Errorf("%s: error body lacks code or message: %+v", what, ae)
	}
	return ae
}

// waitFor polls cond until it holds (hang protection only).
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// writeTempIn writes data to dir/name and returns the path.
func writeTempIn(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// localPath is the path of the local store's file: URI uri (FileURI's inverse): a path a test
// reads the object at. The URI's path is percent-encoded (a TMPDIR with a space, as any data
// directory with one, is %20 in it), so it is parsed, not cut after "file://".
func localPath(t *testing.T, uri string) string {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" {
		t.Fatalf("%q is not in the local store's file:// form (%v)", uri, err)
	}
	return u.Path
}
