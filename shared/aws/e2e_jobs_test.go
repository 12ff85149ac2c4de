package aws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/handlers"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// e2eJobsShardBytes is small: the ten mixed-language lines make several shards, and each
// generated review (about 85 bytes) shares a shard with one or two others.
const e2eJobsShardBytes = 200

// e2eMixedText reads the mixed-language sample infra/local's per-analysis test uses too:
// English, French, German and Spanish reviews and news lines, with two document-level failures
// (an empty line at 3, invalid UTF-8 at 7).
func e2eMixedText(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sample", "mixed-languages.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestE2EJobFeatures runs, on the emulators with the AWS adapters wired as the Lambda functions
// wire them (API handler, MinIO, ingest, the worker and dead-letter handlers over SQS, SNS), the
// job features infra/local tests on the local stack: per-analysis errors and AnalysisCounts in
// a five-analysis job; the errors route's pages and filters; a many-file line input under an
// S3 prefix; retry of a dead-lettered shard as a child job; and the rate and completion estimate
// of a running job.
func TestE2EJobFeatures(t *testing.T) {
	e2eSkipWithoutEmulators(t)
	// Hang protection only: nothing below asserts on time.
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()

	s := newE2EStack(t, ctx, e2eJobsShardBytes)
	kmsKey := e2eProbeKMS(t, ctx, s)
	hold := &e2eHoldQueue{}
	s.rebuild(t, ctx, e2eDeps{
		shardBytes: e2eJobsShardBytes, kmsKey: kmsKey,
		wrapQueue: func(q pipeline.Queue) pipeline.Queue { hold.next = q; return hold },
	})
	s3Events := e2eStartObjectEvents(t, ctx, s)
	e2eEventSources(t, ctx, s, 30*time.Second, nil)
	sub := e2eNewSubscriber(s)
	tenant := handlers.TenantFromARN(e2eCaller)

	// run creates a job through the API, uploads data through its presigned URL, delivers the
	// ObjectCreated event to ingest and waits for the job's notification.
	run := func(t *testing.T, req api.CreateJobRequest, data []byte, before func(id string)) (*api.CreateJobResult, e2eDelivered) {
		t.Helper()
		res := e2eCreate(t, ctx, s, req)
		if before != nil {
			before(res.JobId)
		}
		key := layout.UploadKey(tenant, res.JobId)
		e2eUpload(t, ctx, res.Upload.Presigned, data)
		s3Events.uploaded(t, ctx, key)
		e2eCheckObjectEvent(t, s, s3Events.webhook, s3Events.waitIngested(t, ctx, key), key, len(data))
		return res, sub.wait(t, ctx, res.JobId)
	}

	t.Run("per-analysis errors and the errors route", func(t *testing.T) {
		five := []job.Analysis{job.Language, job.Sentiment, job.Entities, job.KeyPhrases, job.PII}
		res, d := run(t, api.CreateJobRequest{
			JobName: "e2e-mixed-" + uniq(t), Analyses: five,
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine},
		}, e2eMixedText(t), nil)
		j := e2eDescribe(t, ctx, s, res.JobId)
		if j.JobStatus != job.PartialSuccess || d.Note.JobStatus != job.PartialSuccess {
			t.Fatalf("job %s (%s), notified %s; want PARTIAL_SUCCESS", j.JobStatus, j.Message, d.Note.JobStatus)
		}
		if j.JobDetails.ShardsTotal < 3 {
			t.Errorf("%d shards; the test wants several", j.JobDetails.ShardsTotal)
		}

		raw := e2eRawLines(t, ctx, s, res.JobId)
		if len(raw) != 10 {
			t.Fatalf("%d output lines, want 10:\n%s", len(raw), strings.Join(raw, "\n"))
		}
		want := job.AnalysisCounts{}
		var docErrors int64
		var errorLines []string
		french := false
		for i, line := range raw {
			r := e2eParseRecord(t, line)
			if r.Line == nil || *r.Line != int64(i) {
				t.Fatalf("output line %d has Line %v: %s", i, r.Line, line)
			}
			if r.ErrorCode != "" || len(r.Errors) > 0 {
				errorLines = append(errorLines, line)
			}
			if r.ErrorCode != "" && len(r.Errors) == 0 {
				docErrors++ // a document-level error: no analysis ran
				wantCode := map[int]string{3: job.CodeEmptyDocument, 7: job.CodeUnsupportedEncoding}[i]
				if r.ErrorCode != wantCode || r.ErrorMessage == "" {
					t.Errorf("line %d: document-level error %s %q, want %q with a message", i, r.ErrorCode, r.ErrorMessage, wantCode)
				}
				continue
			}
			if i == 3 || i == 7 {
				t.Errorf("line %d (bad input) has no document-level error: %s", i, line)
			}
			if r.ErrorCode != "" && len(r.Errors) != len(five) {
				t.Errorf("line %d: top-level ErrorCode with only %d failed analyses: %s", i, len(r.Errors), line)
			}
			failed := map[job.Analysis]bool{}
			for _, e := range r.Errors {
				if !slices.Contains(five, e.Analysis) || e.ErrorCode == "" || !strings.Contains(e.ErrorMessage, string(e.Analysis)) {
					t.Errorf("line %d: error %+v does not say which analysis failed and why", i, e)
				}
				if failed[e.Analysis] {
					t.Errorf("line %d lists %s twice in Errors", i, e.Analysis)
				}
				failed[e.Analysis] = true
			}
			for _, a := range five {
				c := want[a]
				if failed[a] {
					c.Failed++
				} else {
					c.Succeeded++
				}
				want[a] = c
			}
			if failed[job.Language] || len(r.Languages) == 0 {
				t.Errorf("line %d: LANGUAGE failed on a plain sentence: %s", i, line)
			}
			if len(r.Languages) > 0 && r.Languages[0].LanguageCode == "fr" {
				french = true
				if !failed[job.Sentiment] || r.Sentiment != "" {
					t.Errorf("line %d (French): want LANGUAGE's result and SENTIMENT listed as failed: %s", i, line)
				}
			}
			if !failed[job.Sentiment] && r.Sentiment == "" {
				t.Errorf("line %d: SENTIMENT neither succeeded nor is listed as failed: %s", i, line)
			}
		}
		if !french {
			t.Error("no document was identified as French")
		}
		if want.Failures() == 0 {
			t.Error("no analysis failed on any document")
		}
		dt := j.JobDetails
		if !reflect.DeepEqual(dt.AnalysisCounts, want) {
			t.Errorf("AnalysisCounts = %+v\nthe output says    %+v", dt.AnalysisCounts, want)
		}
		if dt.DocumentsWithErrorsCount != docErrors || dt.InputDocumentsCount != 10 || dt.ProcessedDocumentsCount != 10-docErrors {
			t.Errorf("JobDetails = %+v, want 10 documents, %d with errors", dt, docErrors)
		}
		// The Message says how many documents could not be analysed, then names every analysis
		// that failed on some, in the job's order, with its count.
		if !strings.HasPrefix(j.Message, fmt.Sprintf("%d of 10 documents could not be analysed", docErrors)) {
			t.Errorf("Message %q does not say %d of 10 documents failed", j.Message, docErrors)
		}
		at := -1
		for _, a := range five {
			n := want[a].Failed
			i := strings.Index(j.Message, string(a)+" ")
			if n == 0 {
				if i >= 0 {
					t.Errorf("Message %q names %s, which failed on no document", j.Message, a)
				}
				continue
			}
			if i < 0 || !strings.HasPrefix(j.Message[i:], fmt.Sprintf("%s failed on %d", a, n)) && !strings.HasPrefix(j.Message[i:], fmt.Sprintf("%s on %d", a, n)) {
				t.Errorf("Message %q does not say %s failed on %d documents", j.Message, a, n)
			} else if i < at {
				t.Errorf("Message %q names %s out of the job's order of analyses", j.Message, a)
			}
			at = i
		}
		if d.Note.Message != j.Message {
			t.Errorf("notification Message %q, job Message %q", d.Note.Message, j.Message)
		}
		t.Logf("Message: %s\nAnalysisCounts: %+v\nerror lines:\n%s", j.Message, dt.AnalysisCounts, strings.Join(errorLines, "\n"))

		// The errors route, two records a page: every error line of the archive exactly once,
		// in the archive's order; then each filter, against the archive's lines it matches.
		if got := e2eErrorPages(t, ctx, s, res.JobId, url.Values{}); !reflect.DeepEqual(got, errorLines) {
			t.Errorf("errors route, pages of 2:\n%s\narchive's error lines:\n%s", strings.Join(got, "\n"), strings.Join(errorLines, "\n"))
		}
		filters := []url.Values{
			{"ErrorCode": {job.CodeEmptyDocument}},
			{"ErrorCode": {job.CodeUnsupportedEncoding}},
			{"ErrorCode": {job.CodeUnsupportedLanguage}},
			{"Analysis": {string(job.Sentiment)}, "ErrorCode": {job.CodeUnsupportedLanguage}},
			{"Analysis": {string(job.Sentiment)}, "ErrorCode": {job.CodeEmptyDocument}},
		}
		for _, a := range five {
			filters = append(filters, url.Values{"Analysis": {string(a)}})
		}
		for _, f := range filters {
			var wantLines []string
			for _, l := range errorLines {
				if e2eMatches(t, l, f.Get("ErrorCode"), job.Analysis(f.Get("Analysis"))) {
					wantLines = append(wantLines, l)
				}
			}
			got := e2eErrorPages(t, ctx, s, res.JobId, f)
			if !reflect.DeepEqual(got, wantLines) {
				t.Errorf("errors route %s:\n%s\nwant the archive's lines\n%s", f.Encode(), strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
			}
			if a := job.Analysis(f.Get("Analysis")); a != "" && f.Get("ErrorCode") == "" && int64(len(got)) != want[a].Failed {
				t.Errorf("errors route %s: %d records, AnalysisCounts says %s failed on %d", f.Encode(), len(got), a, want[a].Failed)
			}
		}
		if got := e2eErrorPages(t, ctx, s, res.JobId, url.Values{"ErrorCode": {job.CodeEmptyDocument}}); len(got) != 1 || !strings.Contains(got[0], `"Line":3`) {
			t.Errorf("ErrorCode=EMPTY_DOCUMENT: %v, want the record of Line 3", got)
		}
		for _, bad := range []url.Values{{"Analysis": {string(job.Topics)}}, {"NextToken": {"nonsense"}}, {"MaxResults": {"5000"}}, {"MaxResults": {"0"}}} {
			s.callError(t, ctx, e2eErrorsRequest(t, res.JobId, bad, ""), http.StatusBadRequest)
		}
		s.callError(t, ctx, e2eErrorsRequest(t, res.JobId, url.Values{}, "arn:aws:iam::210987654321:user/someone-else"), http.StatusNotFound)
	})

	t.Run("many-file line input under a prefix", func(t *testing.T) {
		root := layout.TenantInputs(tenant) + "batch-" + uniq(t)
		var part03 strings.Builder
		reviews := []string{"The staff were friendly and helpful.", "The room was far too noisy at night.", "Breakfast was excellent and fresh."}
		for i := range 12 {
			fmt.Fprintf(&part03, "%s (note %d)\n", reviews[i%len(reviews)], i)
		}
		files := map[string]string{
			"part-00.txt":     "The train was late again.\nWhat a wonderful concert!\n",
			"part-01.txt":     "Terrible service, never again.\r\n\r\nThe hotel was lovely and quiet.\r\nGreat food.",
			"part-03.txt":     part03.String(), // several shards
			"sub/part-02.txt": "\xef\xbb\xbfA fine day for a walk in the park.\nbad \xff line\n",
			"zero.txt":        "",
		}
		for rel, data := range files {
			in := &s3.PutObjectInput{Bucket: &s.bucket, Key: e2ePtrTo(root + "/" + rel), Body: strings.NewReader(data)}
			if kmsKey != "" {
				in.ServerSideEncryption, in.SSEKMSKeyId = s3types.ServerSideEncryptionAwsKms, &kmsKey
			}
			if _, err := s.c.S3.PutObject(ctx, in); err != nil {
				t.Fatalf("PutObject %s: %v", rel, err)
			}
		}
		type fl struct {
			file string
			line int64
			code string
		}
		want := []fl{
			{"part-00.txt", 0, ""}, {"part-00.txt", 1, ""},
			{"part-01.txt", 0, ""}, {"part-01.txt", 1, job.CodeEmptyDocument}, {"part-01.txt", 2, ""}, {"part-01.txt", 3, ""},
		}
		for i := range 12 {
			want = append(want, fl{"part-03.txt", int64(i), ""})
		}
		want = append(want, fl{"sub/part-02.txt", 0, ""}, fl{"sub/part-02.txt", 1, job.CodeUnsupportedEncoding})

		for _, prefix := range []string{root + "/", root} {
			uri := "s3://" + s.bucket + "/" + prefix
			body, err := json.Marshal(api.CreateJobRequest{
				JobName: "e2e-many-" + uniq(t), Analyses: []job.Analysis{job.Language, job.Sentiment},
				InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine, S3Uri: uri},
			})
			if err != nil {
				t.Fatal(err)
			}
			var res api.CreateJobResult
			s.callAPI(t, ctx, e2eApiRequest(t, http.MethodPost, "/v1/jobs", string(body), ""), http.StatusCreated, &res)
			if res.Job == nil || res.Upload != nil || res.InputDataConfig.S3Uri != uri {
				t.Fatalf("create with S3Uri %s answered %+v", uri, res)
			}
			d := sub.wait(t, ctx, res.JobId)
			j := e2eDescribe(t, ctx, s, res.JobId)
			lines := e2eReadArchive(t, e2eDownload(t, ctx, e2eResultLinks(t, ctx, s, res.JobId).Output))
			if len(lines) != len(want) {
				t.Errorf("S3Uri %s: %d records, want %d: %+v", uri, len(lines), len(want), lines)
			}
			for i, r := range lines {
				if i >= len(want) {
					break
				}
				if r.Line == nil || r.File != want[i].file || *r.Line != want[i].line || r.ErrorCode != want[i].code {
					t.Errorf("S3Uri %s: record %d: File %q Line %v ErrorCode %q, want %+v", uri, i, r.File, e2eDeref(r.Line), r.ErrorCode, want[i])
				}
				if r.ErrorCode == "" && (r.Sentiment == "" || len(r.Languages) == 0) {
					t.Errorf("S3Uri %s: record %d has no results: %+v", uri, i, r)
				}
			}
			dt := j.JobDetails
			if j.JobStatus != job.PartialSuccess || d.Note.JobStatus != job.PartialSuccess || dt.InputDocumentsCount != int64(len(want)) ||
				dt.DocumentsWithErrorsCount != 2 || dt.ProcessedDocumentsCount != int64(len(want))-2 {
				t.Errorf("S3Uri %s: job %s (notified %s) %+v (%s); want PARTIAL_SUCCESS, %d documents, 2 with errors", uri, j.JobStatus, d.Note.JobStatus, dt, j.Message, len(want))
			}
			var inputBytes int64
			for _, data := range files {
				inputBytes += int64(len(data))
			}
			if dt.InputBytes != inputBytes || dt.ProcessedBytes != inputBytes {
				t.Errorf("S3Uri %s: InputBytes %d ProcessedBytes %d, the objects hold %d bytes", uri, dt.InputBytes, dt.ProcessedBytes, inputBytes)
			}
			// The small files are packed whole (part-00.txt and part-01.txt in one shard,
			// sub/part-02.txt and zero.txt in another) and part-03.txt, over a shard, is cut.
			if dt.ShardsTotal < 4 {
				t.Errorf("S3Uri %s: %d shards; want two packs of small files and part-03.txt cut into several", uri, dt.ShardsTotal)
			}
			t.Logf("S3Uri %s: job %s, %d records, %d shards", uri, j.JobStatus, len(lines), dt.ShardsTotal)
		}
	})

	t.Run("retry as a child job", func(t *testing.T) {
		data, docs := e2eGenLines(60, []int{11}, []int{40}, nil)
		req := func(name string) api.CreateJobRequest {
			return api.CreateJobRequest{
				JobName: name, Analyses: []job.Analysis{job.Language, job.Sentiment},
				InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine},
			}
		}
		// A clean run of the same input: what the child must say about each document.
		clean, _ := run(t, req("e2e-clean-"+uniq(t)), data, nil)
		cleanLines := map[int64]string{}
		for _, l := range e2eRawLines(t, ctx, s, clean.JobId) {
			cleanLines[*e2eParseRecord(t, l).Line] = l
		}
		if len(cleanLines) != len(docs) {
			t.Fatalf("clean run has %d distinct lines, want %d", len(cleanLines), len(docs))
		}

		const poison = 2
		parentName := "e2e-flaky-" + uniq(t)
		res, d := run(t, req(parentName), data, func(id string) {
			s.failShard.Store(e2ePtrTo(func(m pipeline.ShardMessage) bool { return m.JobId == id && m.Index == poison }))
		})
		s.failShard.Store(nil)
		parent := e2eDescribe(t, ctx, s, res.JobId)
		if parent.JobStatus != job.PartialSuccess || d.Note.JobStatus != job.PartialSuccess || !strings.Contains(parent.Message, "dead-lettered") {
			t.Fatalf("parent %s (notified %s): %q; want PARTIAL_SUCCESS with a dead-lettered shard", parent.JobStatus, d.Note.JobStatus, parent.Message)
		}
		type fileLine struct {
			file string
			line int64
		}
		failed := map[fileLine]bool{}
		var failedOrder []fileLine
		for _, l := range e2eRawLines(t, ctx, s, res.JobId) {
			r := e2eParseRecord(t, l)
			if r.ErrorCode == job.CodeShardFailed {
				k := fileLine{r.File, *r.Line}
				failed[k] = true
				failedOrder = append(failedOrder, k)
			}
		}
		if len(failed) == 0 {
			t.Fatal("no SHARD_FAILED records to retry")
		}

		body := `{"ClientRequestToken":"retry-1"}`
		var child api.CreateJobResult
		s.callAPI(t, ctx, e2eApiRequest(t, http.MethodPost, "/v1/jobs/"+res.JobId+"/retry", body, ""), http.StatusCreated, &child)
		if child.Job == nil || child.JobId == "" || child.JobId == res.JobId || child.ParentJobId != res.JobId ||
			child.JobName != parentName+" retry" || strings.Join(child.RetryErrorCodes, ",") != "INTERNAL_SERVER_ERROR,SHARD_FAILED" {
			t.Fatalf("retry answered %+v; want a child with ParentJobId %s, JobName %q and the default codes", child.Job, res.JobId, parentName+" retry")
		}
		var again api.CreateJobResult
		s.callAPI(t, ctx, e2eApiRequest(t, http.MethodPost, "/v1/jobs/"+res.JobId+"/retry", body, ""), http.StatusCreated, &again)
		if again.Job == nil || again.JobId != child.JobId {
			t.Errorf("the same ClientRequestToken made another child: %s, first %s", again.JobId, child.JobId)
		}
		cd := sub.wait(t, ctx, child.JobId)
		cj := e2eDescribe(t, ctx, s, child.JobId)
		if cj.JobStatus != job.Completed || cd.Note.JobStatus != job.Completed || cj.ParentJobId != res.JobId ||
			cj.JobDetails.InputDocumentsCount != int64(len(failed)) || cj.JobDetails.DocumentsWithErrorsCount != 0 {
			t.Fatalf("child %s (notified %s, %q) ParentJobId %q %+v; want COMPLETED with the %d failed documents", cj.JobStatus, cd.Note.JobStatus, cj.Message, cj.ParentJobId, cj.JobDetails, len(failed))
		}
		lines := e2eRawLines(t, ctx, s, child.JobId)
		var got []fileLine
		for _, l := range lines {
			r := e2eParseRecord(t, l)
			k := fileLine{r.File, *r.Line}
			got = append(got, k)
			if !failed[k] {
				t.Errorf("child output has File %q Line %d, which did not fail: %s", k.file, k.line, l)
			}
			if l != cleanLines[k.line] {
				t.Errorf("Line %d:\nchild %s\nclean %s", k.line, l, cleanLines[k.line])
			}
		}
		if !reflect.DeepEqual(got, failedOrder) {
			t.Errorf("child output lines %v, want exactly the failed ones %v", got, failedOrder)
		}
		pj := e2eDescribe(t, ctx, s, res.JobId)
		if !reflect.DeepEqual(pj.ChildJobIds, []string{child.JobId}) || pj.JobStatus != job.PartialSuccess {
			t.Errorf("parent after retry: %s, ChildJobIds %v; want PARTIAL_SUCCESS listing %s", pj.JobStatus, pj.ChildJobIds, child.JobId)
		}
		// The child is finished and has nothing to retry; the token may not name another request.
		s.callError(t, ctx, e2eApiRequest(t, http.MethodPost, "/v1/jobs/"+child.JobId+"/retry", `{}`, ""), http.StatusBadRequest)
		s.callError(t, ctx, e2eApiRequest(t, http.MethodPost, "/v1/jobs/"+res.JobId+"/retry", `{"ClientRequestToken":"retry-1","ErrorCodes":["EMPTY_DOCUMENT"]}`, ""), http.StatusConflict)
		t.Logf("parent %s: %d SHARD_FAILED lines; child %s re-ran them", res.JobId, len(failed), child.JobId)
	})

	t.Run("rate and completion estimate while running", func(t *testing.T) {
		data, _ := e2eGenLines(60, nil, nil, nil)
		const first = 4
		res := e2eCreate(t, ctx, s, api.CreateJobRequest{
			JobName: "e2e-rate-" + uniq(t), Analyses: []job.Analysis{job.Language, job.Sentiment},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine},
		})
		// The shard messages after the first few are held back from SQS until the test has
		// looked at the running job.
		hold.holdFrom(res.JobId, first)
		t.Cleanup(func() {
			if err := hold.release(context.WithoutCancel(ctx)); err != nil {
				t.Error(err)
			}
		})
		key := layout.UploadKey(tenant, res.JobId)
		e2eUpload(t, ctx, res.Upload.Presigned, data)
		s3Events.uploaded(t, ctx, key)
		e2eCheckObjectEvent(t, s, s3Events.webhook, s3Events.waitIngested(t, ctx, key), key, len(data))

		var j *job.Job
		var raw string
		var asked time.Time
		for {
			asked = time.Now()
			j, raw = e2eDescribeRaw(t, ctx, s, res.JobId)
			if j.JobDetails.ShardsDone >= first || j.JobStatus.Terminal() {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("job %s has %d shards done: %v", j.JobStatus, j.JobDetails.ShardsDone, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
		dt := j.JobDetails
		if j.JobStatus != job.InProgress || dt.ShardsDone != first || dt.ShardsTotal <= first || hold.held() != dt.ShardsTotal-first {
			t.Fatalf("job %s with %d/%d shards, %d held; want it running with %d done", j.JobStatus, dt.ShardsDone, dt.ShardsTotal, hold.held(), first)
		}
		if dt.InputBytes != int64(len(data)) || dt.ProcessedBytes <= 0 || dt.ProcessedBytes >= dt.InputBytes {
			t.Errorf("InputBytes %d (input has %d), ProcessedBytes %d", dt.InputBytes, len(data), dt.ProcessedBytes)
		}
		if dt.DocumentsPerSecond == nil || *dt.DocumentsPerSecond <= 0 {
			t.Errorf("DocumentsPerSecond = %v while running: %s", dt.DocumentsPerSecond, raw)
		}
		// Ordering only (the input is not all done, so the estimate lies ahead of the request).
		if dt.EstimatedCompletionTime == nil || !dt.EstimatedCompletionTime.After(j.SubmitTime) || !dt.EstimatedCompletionTime.After(asked) {
			t.Errorf("EstimatedCompletionTime = %v while running (submitted %v, asked %v): %s", dt.EstimatedCompletionTime, j.SubmitTime, asked, raw)
		}
		t.Logf("running: %d/%d shards, %d of %d bytes, %.1f documents/s, ETA %v", dt.ShardsDone, dt.ShardsTotal, dt.ProcessedBytes, dt.InputBytes, *dt.DocumentsPerSecond, dt.EstimatedCompletionTime)

		if err := hold.release(ctx); err != nil {
			t.Fatal(err)
		}
		d := sub.wait(t, ctx, res.JobId)
		j, raw = e2eDescribeRaw(t, ctx, s, res.JobId)
		dt = j.JobDetails
		if j.JobStatus != job.Completed || d.Note.JobStatus != job.Completed || dt.ShardsDone != dt.ShardsTotal {
			t.Errorf("finished job %s (notified %s, %q) with %d/%d shards; want COMPLETED", j.JobStatus, d.Note.JobStatus, j.Message, dt.ShardsDone, dt.ShardsTotal)
		}
		if dt.DocumentsPerSecond != nil || dt.EstimatedCompletionTime != nil || strings.Contains(raw, "DocumentsPerSecond") || strings.Contains(raw, "EstimatedCompletionTime") {
			t.Errorf("finished job: rate %v, ETA %v; want neither: %s", dt.DocumentsPerSecond, dt.EstimatedCompletionTime, raw)
		}
		if dt.InputBytes != int64(len(data)) || dt.ProcessedBytes != int64(len(data)) {
			t.Errorf("finished job: InputBytes %d, ProcessedBytes %d; the input has %d bytes", dt.InputBytes, dt.ProcessedBytes, len(data))
		}
	})

	e2eWaitDrained(t, ctx, s.c, "shard", s.queues.URL)
	e2eWaitDrained(t, ctx, s.c, "dead-letter", s.queues.DLQURL)
}

// e2eCreate creates a job through the API handler; it must wait for its upload.
func e2eCreate(t *testing.T, ctx context.Context, s *e2eStack, req api.CreateJobRequest) *api.CreateJobResult {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var res api.CreateJobResult
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodPost, "/v1/jobs", string(body), ""), http.StatusCreated, &res)
	if res.Job == nil || res.JobId == "" || res.JobStatus != job.AwaitingInput || res.Upload == nil {
		t.Fatalf("create answered %+v; want an AWAITING_INPUT job with an upload URL", res)
	}
	return &res
}

// e2eDescribe is GET /v1/jobs/{id} through the API handler.
func e2eDescribe(t *testing.T, ctx context.Context, s *e2eStack, id string) *job.Job {
	t.Helper()
	j, _ := e2eDescribeRaw(t, ctx, s, id)
	return j
}

// e2eDescribeRaw is GET /v1/jobs/{id}, decoded and as the body the API answered.
func e2eDescribeRaw(t *testing.T, ctx context.Context, s *e2eStack, id string) (*job.Job, string) {
	t.Helper()
	var j job.Job
	resp := s.callAPI(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/jobs/"+id, "", ""), http.StatusOK, &j)
	if j.JobId != id {
		t.Fatalf("describe %s answered job %q", id, j.JobId)
	}
	return &j, resp.Body
}

// e2eResultLinks is GET /v1/jobs/{id}/results.
func e2eResultLinks(t *testing.T, ctx context.Context, s *e2eStack, id string) api.ResultLinks {
	t.Helper()
	var links api.ResultLinks
	s.callAPI(t, ctx, e2eApiRequest(t, http.MethodGet, "/v1/jobs/"+id+"/results", "", ""), http.StatusOK, &links)
	return links
}

// e2eRawLines downloads a finished job's output.tar.gz through the results route and returns
// its output lines verbatim.
func e2eRawLines(t *testing.T, ctx context.Context, s *e2eStack, id string) []string {
	t.Helper()
	entries := e2eArchiveEntries(t, e2eDownload(t, ctx, e2eResultLinks(t, ctx, s, id).Output))
	b, ok := entries[output.EntryName]
	if !ok {
		t.Fatalf("output.tar.gz of %s has no %q entry", id, output.EntryName)
	}
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// e2eRecord is an output line with the fields these tests look at.
type e2eRecord struct {
	Line      *int64
	File      string
	Languages []struct{ LanguageCode string }
	Sentiment string
	Errors    []output.AnalysisError
	ErrorCode string
	// ErrorMessage is the document-level error's message.
	ErrorMessage string
}

func e2eParseRecord(t *testing.T, line string) e2eRecord {
	t.Helper()
	var r e2eRecord
	if err := json.Unmarshal([]byte(line), &r); err != nil || r.Line == nil {
		t.Fatalf("output line is not a record with a Line (%v): %s", err, line)
	}
	return r
}

// e2eMatches says whether an error line matches the errors route's filter as api.ErrorsFilter
// documents it (a job of several analyses): ErrorCode alone matches the record's own code or a
// failed analysis's; Analysis matches a failed analysis; both match one failed analysis with
// that code.
func e2eMatches(t *testing.T, line, code string, a job.Analysis) bool {
	t.Helper()
	var r e2eRecord
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatal(err)
	}
	if a == "" && r.ErrorCode == code {
		return true
	}
	for _, e := range r.Errors {
		if (a == "" || e.Analysis == a) && (code == "" || e.ErrorCode == code) {
			return true
		}
	}
	return false
}

// e2eErrorsRequest is GET /v1/jobs/{id}/errors with the query q, as API Gateway sends it.
func e2eErrorsRequest(t *testing.T, id string, q url.Values, userARN string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	ev := e2eApiRequest(t, http.MethodGet, "/v1/jobs/"+id+"/errors", "", userARN)
	ev.RawQueryString = q.Encode()
	if len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k := range q {
			ev.QueryStringParameters[k] = q.Get(k)
		}
	}
	return ev
}

// e2eErrorPages pages through the errors route with the filter q, two records a page, and
// returns the records in the order given.
func e2eErrorPages(t *testing.T, ctx context.Context, s *e2eStack, id string, q url.Values) []string {
	t.Helper()
	var out []string
	next := ""
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatalf("errors route %s does not stop paging", q.Encode())
		}
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		pq.Set("MaxResults", "2")
		if next != "" {
			pq.Set("NextToken", next)
		}
		var page api.ErrorsResponse
		s.callAPI(t, ctx, e2eErrorsRequest(t, id, pq, ""), http.StatusOK, &page)
		if page.JobId != id || !page.JobStatus.Terminal() {
			t.Errorf("errors page for job %q status %s", page.JobId, page.JobStatus)
		}
		if len(page.Errors) > 2 {
			t.Fatalf("errors route gave a page of %d records, asked for 2", len(page.Errors))
		}
		for _, e := range page.Errors {
			out = append(out, string(bytes.TrimSpace(e)))
		}
		if page.NextToken == "" {
			return out
		}
		if len(page.Errors) == 0 {
			t.Errorf("errors route %s: an empty page with a NextToken", pq.Encode())
		}
		next = page.NextToken
	}
}

func e2eDeref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// e2eHoldQueue holds back the shard messages of one job from a given index on until release
// sends them: the job runs with its first shards only, as a job whose workers are busy.
type e2eHoldQueue struct {
	next pipeline.Queue

	mu    sync.Mutex
	job   string
	from  int
	queue []pipeline.ShardMessage
}

func (q *e2eHoldQueue) holdFrom(jobID string, from int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.job, q.from = jobID, from
}

func (q *e2eHoldQueue) held() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queue)
}

// release stops holding and sends every held message.
func (q *e2eHoldQueue) release(ctx context.Context) error {
	q.mu.Lock()
	msgs := q.queue
	q.job, q.queue = "", nil
	q.mu.Unlock()
	if len(msgs) == 0 {
		return nil
	}
	if err := q.next.Send(ctx, msgs); err != nil {
		return fmt.Errorf("send the %d held shard messages: %w", len(msgs), err)
	}
	return nil
}

// Send implements pipeline.Queue.
func (q *e2eHoldQueue) Send(ctx context.Context, msgs []pipeline.ShardMessage) error {
	q.mu.Lock()
	var now []pipeline.ShardMessage
	for _, m := range msgs {
		if q.job != "" && m.JobId == q.job && m.Index >= q.from {
			q.queue = append(q.queue, m)
		} else {
			now = append(now, m)
		}
	}
	q.mu.Unlock()
	if len(now) == 0 {
		return nil
	}
	return q.next.Send(ctx, now)
}
