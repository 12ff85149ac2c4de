package local

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/client"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestPerAnalysisErrors runs all five text analyses over mixed-language text: documents keep
// the results of the analyses that succeeded and list the failed ones in Errors; the per-analysis
// counts equal what the output says; the errors route pages through every error record exactly
// once, in the archive's order, and filters by code and analysis.
func TestPerAnalysisErrors(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{ShardBytes: 200, Keys: map[string]string{DefaultKey: "local", "other-key": "team-b"}}, pipeline.Hooks{})
	c := defaultClient(s)
	five := []job.Analysis{job.Language, job.Sentiment, job.Entities, job.KeyPhrases, job.PII}
	req := api.CreateJobRequest{JobName: "mixed", Analyses: five, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}
	res := createAndUpload(t, ctx, c, req, readSampleFile(t, "mixed-languages.txt"))
	_, j := follow(t, ctx, c, res.JobId)
	if j.JobStatus != job.PartialSuccess {
		t.Fatalf("status %s (%s), want PARTIAL_SUCCESS", j.JobStatus, j.Message)
	}
	if j.JobDetails.ShardsTotal < 3 {
		t.Errorf("%d shards; the test wants several", j.JobDetails.ShardsTotal)
	}

	raw := fetchRawLines(t, ctx, c, res.JobId)
	if len(raw) != 10 {
		t.Fatalf("%d output lines, want 10", len(raw))
	}
	want := job.AnalysisCounts{}
	var docErrors int64
	var errorLines []string
	french := false
	for i, line := range raw {
		var r struct {
			Line         *int64
			Languages    []struct{ LanguageCode string }
			Sentiment    string
			Entities     []json.RawMessage
			KeyPhrases   []json.RawMessage
			Errors       []output.AnalysisError
			ErrorCode    string
			ErrorMessage string
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, line)
		}
		if r.Line == nil || *r.Line != int64(i) {
			t.Fatalf("output line %d has Line %v", i, r.Line)
		}
		if r.ErrorCode != "" || len(r.Errors) > 0 {
			errorLines = append(errorLines, line)
		}
		if r.ErrorCode != "" && len(r.Errors) == 0 {
			docErrors++ // a document-level error: no analysis ran
			if i != 3 && i != 7 {
				t.Errorf("line %d: unexpected document-level error %s %s", i, r.ErrorCode, r.ErrorMessage)
			}
			continue
		}
		if r.ErrorCode != "" && len(r.Errors) != len(five) {
			t.Errorf("line %d: top-level ErrorCode with only %d failed analyses: %s", i, len(r.Errors), line)
		}
		failed := map[job.Analysis]bool{}
		for _, e := range r.Errors {
			if e.ErrorCode == "" || !strings.Contains(e.ErrorMessage, string(e.Analysis)) {
				t.Errorf("line %d: error %+v does not say which analysis failed", i, e)
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
		if len(r.Languages) > 0 && r.Languages[0].LanguageCode == "fr" {
			french = true
			if !failed[job.Sentiment] || r.Sentiment != "" {
				t.Errorf("line %d (French): want LANGUAGE's result and SENTIMENT listed as failed: %s", i, line)
			}
		}
		if failed[job.Language] || len(r.Languages) == 0 {
			t.Errorf("line %d: LANGUAGE failed on a plain sentence: %s", i, line)
		}
	}
	if !french {
		t.Error("no document was identified as French")
	}
	if !reflect.DeepEqual(j.JobDetails.AnalysisCounts, want) {
		t.Errorf("AnalysisCounts = %+v\nthe output says    %+v", j.JobDetails.AnalysisCounts, want)
	}
	if j.JobDetails.DocumentsWithErrorsCount != docErrors || j.JobDetails.InputDocumentsCount != 10 {
		t.Errorf("JobDetails = %+v, want 10 documents, %d with errors", j.JobDetails, docErrors)
	}
	if !strings.Contains(j.Message, "SENTIMENT failed on") || !strings.Contains(j.Message, "2 of 10 documents") {
		t.Errorf("Message %q does not say how many of which failed", j.Message)
	}

	t.Logf("error lines:\n%s\nMessage: %s\nCounts: %+v", strings.Join(errorLines, "\n"), j.Message, j.JobDetails.AnalysisCounts)
	// The errors route: pages of 2 cover exactly the archive's error lines, in order.
	var paged []string
	f := api.ErrorsFilter{MaxResults: 2}
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatal("the errors route does not stop paging")
		}
		page, err := c.Errors(ctx, res.JobId, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Errors) > 2 {
			t.Fatalf("page of %d records, asked for 2", len(page.Errors))
		}
		for _, e := range page.Errors {
			paged = append(paged, string(e))
		}
		if page.NextToken == "" {
			break
		}
		f.NextToken = page.NextToken
	}
	if !reflect.DeepEqual(paged, errorLines) {
		t.Errorf("errors route:\n%s\narchive's error lines:\n%s", strings.Join(paged, "\n"), strings.Join(errorLines, "\n"))
	}
	// Filters.
	only := func(f api.ErrorsFilter) []string {
		page, err := c.Errors(ctx, res.JobId, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range page.Errors {
			out = append(out, string(e))
		}
		return out
	}
	if got := only(api.ErrorsFilter{ErrorCode: job.CodeEmptyDocument}); len(got) != 1 || !strings.Contains(got[0], `"Line":3`) {
		t.Errorf("ErrorCode=EMPTY_DOCUMENT: %v", got)
	}
	sentiment := only(api.ErrorsFilter{Analysis: job.Sentiment})
	if int64(len(sentiment)) != want[job.Sentiment].Failed {
		t.Errorf("Analysis=SENTIMENT: %d records, the counts say %d", len(sentiment), want[job.Sentiment].Failed)
	}
	for _, l := range sentiment {
		if !strings.Contains(l, `"Analysis":"SENTIMENT"`) {
			t.Errorf("Analysis=SENTIMENT returned %s", l)
		}
	}
	if got := only(api.ErrorsFilter{Analysis: job.Sentiment, ErrorCode: job.CodeUnsupportedLanguage}); len(got) != len(sentiment) {
		t.Errorf("Analysis=SENTIMENT&ErrorCode=UNSUPPORTED_LANGUAGE: %d records, want %d", len(got), len(sentiment))
	}
	if got := only(api.ErrorsFilter{Analysis: "sentiment"}); len(got) != len(sentiment) {
		t.Errorf("Analysis=sentiment: %d records, want %d; analyses are matched in any case, as codes", len(got), len(sentiment))
	}
	if got := only(api.ErrorsFilter{ErrorCode: "empty_document"}); len(got) != 1 {
		t.Errorf("ErrorCode=empty_document: %v; codes are matched in any case, as a retry's", got)
	}
	// A token is refused with another filter or for another job (it was accepted, and the other
	// listing silently skipped records; found from outside).
	first, err := c.Errors(ctx, res.JobId, api.ErrorsFilter{MaxResults: 1})
	if err != nil || first.NextToken == "" {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	other := createAndUpload(t, ctx, c, lineJob("other", job.OneDocPerLine), []byte("\n"))
	follow(t, ctx, c, other.JobId)
	if _, err := c.Errors(ctx, res.JobId, api.ErrorsFilter{NextToken: first.NextToken, Analysis: job.Sentiment}); !isStatus(err, 400) {
		t.Errorf("a token with another filter = %v, want 400", err)
	}
	if _, err := c.Errors(ctx, other.JobId, api.ErrorsFilter{NextToken: first.NextToken}); !isStatus(err, 400) {
		t.Errorf("a token of another job = %v, want 400", err)
	}
	// An edited token (its shard or its position moved past what this route returned) is
	// refused; it used to skip to the next shard's records silently.
	edit := func(field string, v int64) string {
		b, err := base64.RawURLEncoding.DecodeString(first.NextToken)
		var tok map[string]any
		if err == nil {
			err = json.Unmarshal(b, &tok)
		}
		if err != nil {
			t.Fatalf("token %q: %v", first.NextToken, err)
		}
		tok[field] = v
		b, _ = json.Marshal(tok)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	for _, bad := range []string{edit("s", 999), edit("k", 1_000_000)} {
		if _, err := c.Errors(ctx, res.JobId, api.ErrorsFilter{NextToken: bad}); !isStatus(err, 400) {
			t.Errorf("an edited token = %v, want 400", err)
		}
	}
	for _, bad := range []api.ErrorsFilter{{Analysis: job.Topics}, {NextToken: "nonsense"}, {MaxResults: 5000}, {ErrorCode: "BOGUS"}} {
		if _, err := c.Errors(ctx, res.JobId, bad); !isStatus(err, 400) {
			t.Errorf("Errors(%+v) = %v, want 400", bad, err)
		}
	}
	// An unknown code is refused as a retry refuses it: the 400 lists the codes.
	_, err = c.Errors(ctx, res.JobId, api.ErrorsFilter{ErrorCode: "BOGUS"})
	if ae := wantAPIError(t, err, 400, "ErrorCode=BOGUS"); ae != nil && !strings.Contains(ae.Message, job.CodeEmptyDocument) {
		t.Errorf("ErrorCode=BOGUS: %q does not list the codes", ae.Message)
	}
	_, err = c.Retry(ctx, res.JobId, api.RetryRequest{ErrorCodes: []string{"BOGUS"}})
	if ae := wantAPIError(t, err, 400, "retry ErrorCodes BOGUS"); ae != nil && !strings.Contains(ae.Message, job.CodeEmptyDocument+", ") {
		t.Errorf("retry ErrorCodes BOGUS: %q does not list the codes", ae.Message)
	}
	if _, err := newClient(s.URL, "other-key").Errors(ctx, res.JobId, api.ErrorsFilter{}); !isStatus(err, 404) {
		t.Errorf("another tenant's read of the job's errors = %v, want 404", err)
	}
}

// fetchRawLines downloads a finished job's results and returns its output lines verbatim.
func fetchRawLines(t *testing.T, ctx context.Context, c *client.Client, id string) []string {
	t.Helper()
	dir := t.TempDir()
	if _, err := c.DownloadResults(ctx, id, dir); err != nil {
		t.Fatalf("download results of %s: %v", id, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, output.EntryName))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// isStatus reports whether err is an API error with HTTP status code.
func isStatus(err error, code int) bool {
	var ae *client.APIError
	return errors.As(err, &ae) && ae.Status == code
}

// TestOneAnalysisLinesStayComprehends: a one-analysis job's failure is a top-level ErrorCode and
// ErrorMessage with no Errors list, exactly Comprehend's line, and counts as a failed document.
func TestOneAnalysisLinesStayComprehends(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	req := api.CreateJobRequest{Analyses: []job.Analysis{job.Sentiment}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}
	res := createAndUpload(t, ctx, c, req, []byte("I love this camera.\nCe restaurant est excellent, le service était rapide.\n"))
	_, j := follow(t, ctx, c, res.JobId)
	lines := fetchRawLines(t, ctx, c, res.JobId)
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"Line":0,"File":"input","Sentiment":"POSITIVE","SentimentScore":{`) ||
		lines[1] != `{"Line":1,"File":"input","ErrorCode":"UNSUPPORTED_LANGUAGE","ErrorMessage":"SENTIMENT supports English (en) only, not \"fr\""}` {
		t.Errorf("lines:\n%s", strings.Join(lines, "\n"))
	}
	want := job.AnalysisCounts{job.Sentiment: {Succeeded: 1, Failed: 1}}
	if j.JobStatus != job.PartialSuccess || j.JobDetails.DocumentsWithErrorsCount != 1 || !reflect.DeepEqual(j.JobDetails.AnalysisCounts, want) {
		t.Errorf("job %s %+v", j.JobStatus, j.JobDetails)
	}
	if strings.Contains(j.Message, "Errors") {
		t.Errorf("Message %q speaks of per-analysis Errors in a one-analysis job", j.Message)
	}
}

// TestErrorsPageBytes: a page of the errors route ends before the record that would take it past
// about 4 MiB as the records weigh in a Lambda response (whose body is a JSON string: quotes
// escaped), with a NextToken, whatever MaxResults asks: a Lambda answers at most 6 MB, and a
// record of a large document carries the other analyses' results (1,000 of them made a 500 on
// AWS, and records of uneven sizes still passed the first bound; found from outside); the pages
// still cover every record once.
func TestErrorsPageBytes(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	unit := "John Smith met Mary Jones in Paris, said \"hello\" & left. "
	var in strings.Builder
	for i := range 9 {
		n := 1700 // ~100 KB: SENTIMENT refuses it; ENTITIES, KEY_PHRASES and PII write large results
		if i%3 == 2 {
			n = 800
		}
		in.WriteString(strings.Repeat(unit, n) + "\n")
	}
	req := lineJob("big-errors", job.OneDocPerLine)
	req.Analyses, req.LanguageCode = []job.Analysis{job.Entities, job.KeyPhrases, job.PII, job.Sentiment}, "en"
	res := createAndUpload(t, ctx, c, req, []byte(in.String()))
	if _, j := follow(t, ctx, c, res.JobId); j.JobDetails.AnalysisCounts[job.Sentiment].Failed != 9 {
		t.Fatalf("job %s %+v, want SENTIMENT failed on 9 documents", j.JobStatus, j.JobDetails)
	}
	f := api.ErrorsFilter{MaxResults: 1000}
	var total, pages int
	for {
		page, err := c.Errors(ctx, res.JobId, f)
		if err != nil {
			t.Fatal(err)
		}
		body, err := json.Marshal(page)
		if err != nil {
			t.Fatal(err)
		}
		lambda, err := json.Marshal(events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: string(body)})
		if err != nil {
			t.Fatal(err)
		}
		if len(lambda) > 6<<20 {
			t.Errorf("page %d: a Lambda response of %d bytes (%d records), over 6 MB", pages+1, len(lambda), len(page.Errors))
		}
		total += len(page.Errors)
		pages++
		if page.NextToken == "" {
			break
		}
		f.NextToken = page.NextToken
	}
	if total != 9 || pages < 3 {
		t.Errorf("%d records in %d pages, want 9 in 3 or more", total, pages)
	}
}
