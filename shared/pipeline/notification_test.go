package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestTextractNotificationFields: a job's notification carries the fields of Textract's
// completion message (Status, API, JobTag, Timestamp, DocumentLocation) besides Ream's own, so a
// consumer written for Textract's NotificationChannel reads it; JobTag follows Textract's rule.
func TestTextractNotificationFields(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	if err := st.objects.Put(ctx, "inputs/local/reviews.txt", strings.NewReader("I love it.\nI hate it.\n")); err != nil {
		t.Fatal(err)
	}
	var req api.CreateJobRequest
	req.Analyses = []job.Analysis{job.Sentiment}
	req.InputDataConfig = job.InputDataConfig{S3Uri: "s3://bucket/inputs/local/reviews.txt", InputFormat: job.OneDocPerLine}
	for _, bad := range []string{"has space", "slash/no", strings.Repeat("x", 65)} {
		req.JobTag = bad
		if _, err := st.svc.CreateJob(ctx, "local", req); !errors.Is(err, job.ErrInvalid) || !strings.Contains(err.Error(), "JobTag") {
			t.Errorf("JobTag %q: %v; want a 400 naming JobTag", bad, err)
		}
	}
	req.JobTag = "invoices-2026.12:batch_7"
	created, err := st.svc.CreateJob(ctx, "local", req)
	if err != nil {
		t.Fatal(err)
	}
	// Describe shows the JobTag while the job runs and once it has ended.
	describe := func(wantTerminal bool) {
		t.Helper()
		j, err := st.svc.Describe(ctx, "local", created.JobId)
		if err != nil {
			t.Fatal(err)
		}
		if j.JobTag != req.JobTag {
			t.Fatalf("Describe shows JobTag %q, want %q", j.JobTag, req.JobTag)
		}
		if j.JobStatus.Terminal() != wantTerminal {
			t.Fatalf("job %s, terminal %v", j.JobStatus, wantTerminal)
		}
	}
	describe(false)
	processQueue(t, ctx, st.svc, st.queue)
	describe(true)
	evs, err := st.deps.Notifier.(*local.Notifier).Since(ctx, "local", 0)
	if err != nil || len(evs) != 1 {
		t.Fatalf("notifications: %d, %v", len(evs), err)
	}
	b, err := json.Marshal(evs[0].Notification)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	loc, _ := got["DocumentLocation"].(map[string]any)
	ts, _ := got["Timestamp"].(float64)
	if got["Status"] != "SUCCEEDED" || got["API"] != "CreateJob" || got["JobTag"] != req.JobTag ||
		loc["S3Bucket"] != "bucket" || loc["S3ObjectName"] != "inputs/local/reviews.txt" ||
		int64(ts) != evs[0].Time.UnixMilli() || got["JobStatus"] != "COMPLETED" {
		t.Errorf("notification %s; want Textract's Status SUCCEEDED, API CreateJob, the JobTag, DocumentLocation bucket/inputs/local/reviews.txt and Timestamp in ms", b)
	}
	// Time and Timestamp are when the job finished (Textract's Timestamp), not when it was published.
	if j, err := st.svc.Describe(ctx, "local", created.JobId); err != nil || j.EndTime == nil || !evs[0].Time.Equal(*j.EndTime) {
		t.Errorf("notification Time %v, want the job's EndTime (%v)", evs[0].Time, err)
	}
	for st, want := range map[job.Status]string{job.Completed: "SUCCEEDED", job.PartialSuccess: "SUCCEEDED", job.Failed: "FAILED", job.TimedOut: "FAILED", job.Stopped: "FAILED"} {
		if got := api.TextractStatus(st); got != want {
			t.Errorf("TextractStatus(%s) = %s, want %s", st, got, want)
		}
	}
}

// TestTopicsLanguageRefused: TOPICS tokenises with English stop words and an English stemmer, so
// a job declared to be in another language is a 400 (found from outside: fr and de were
// accepted and gave the same topics of French stop words as no code).
func TestTopicsLanguageRefused(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	for code, ok := range map[string]bool{"fr": false, "de": false, "en": true, "EN-gb": true, "": true} {
		var req api.CreateJobRequest
		req.Analyses = []job.Analysis{job.Topics}
		req.LanguageCode = code
		req.InputDataConfig = job.InputDataConfig{InputFormat: job.OneDocPerLine}
		_, err := st.svc.CreateJob(ctx, "local", req)
		if ok && err != nil || !ok && (!errors.Is(err, job.ErrInvalid) || !strings.Contains(err.Error(), "TOPICS supports LanguageCode en only")) {
			t.Errorf("TOPICS with LanguageCode %q: %v", code, err)
		}
	}
}

// TestMaskCharacterChecked: a redaction masks with one of Comprehend's characters; a line
// break (which split a line input's redacted copy into more lines), a letter or an invisible
// character is a 400 (found from outside).
func TestMaskCharacterChecked(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	for mask, ok := range map[string]bool{"#": true, "*": true, "": true, "\n": false, "x": false, "\u0301": false, "\ufeff": false, "##": false} {
		var req api.CreateJobRequest
		req.Analyses = []job.Analysis{job.PII}
		req.LanguageCode = "en"
		req.InputDataConfig = job.InputDataConfig{InputFormat: job.OneDocPerLine}
		req.RedactionConfig = &job.RedactionConfig{MaskMode: "MASK", MaskCharacter: mask}
		_, err := st.svc.CreateJob(ctx, "local", req)
		if ok && err != nil || !ok && (!errors.Is(err, job.ErrInvalid) || !strings.Contains(err.Error(), "MaskCharacter must be one of !@#$%&*")) {
			t.Errorf("MaskCharacter %q: %v", mask, err)
		}
	}
	// MaskMode left out is Comprehend's default (found from outside: a 400 on /v1 only).
	var req api.CreateJobRequest
	req.Analyses = []job.Analysis{job.PII}
	req.InputDataConfig = job.InputDataConfig{InputFormat: job.OneDocPerLine}
	req.RedactionConfig = &job.RedactionConfig{PiiEntityTypes: []string{"EMAIL"}}
	res, err := st.svc.CreateJob(ctx, "local", req)
	if err != nil || res.Job.RedactOutput == nil || res.Job.RedactOutput.MaskMode != "REPLACE_WITH_PII_ENTITY_TYPE" {
		t.Errorf("RedactionConfig without MaskMode: %+v, %v; want REPLACE_WITH_PII_ENTITY_TYPE", res, err)
	}
}

// TestTopicsDefaultKIsTheSameRequest: a retry that names NumberOfTopics' default (10) is the
// same request as one that left it out (found from outside: a 409 "different request").
func TestTopicsDefaultKIsTheSameRequest(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	var req api.CreateJobRequest
	req.Analyses = []job.Analysis{job.Topics}
	req.ClientRequestToken = "topics-retry-1"
	req.InputDataConfig = job.InputDataConfig{InputFormat: job.OneDocPerLine}
	first, err := st.svc.CreateJob(ctx, "local", req)
	if err != nil {
		t.Fatal(err)
	}
	req.NumberOfTopics = new(10)
	again, err := st.svc.CreateJob(ctx, "local", req)
	if err != nil || again.JobId != first.JobId {
		t.Fatalf("the retry naming the default K: %v, %v; want job %s", again, err, first.JobId)
	}
}

// TestDocumentLocationFolderWithoutSlash: an input folder named without its trailing slash (as
// the README lets a location be named) that holds one object is notified by that object, as the
// same folder named with its slash is, so a Textract consumer's GetObject finds the document
// (found from outside: it was notified as the folder's name, which is no object).
func TestDocumentLocationFolderWithoutSlash(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	if err := st.objects.Put(ctx, "inputs/local/docs/x.txt", strings.NewReader("I love it.\n")); err != nil {
		t.Fatal(err)
	}
	for i, uri := range []string{"s3://bucket/inputs/local/docs", "s3://bucket/inputs/local/docs/"} {
		var req api.CreateJobRequest
		req.Analyses = []job.Analysis{job.Language}
		req.InputDataConfig = job.InputDataConfig{S3Uri: uri, InputFormat: job.OneDocPerFile}
		if _, err := st.svc.CreateJob(ctx, "local", req); err != nil {
			t.Fatal(err)
		}
		processQueue(t, ctx, st.svc, st.queue)
		evs, err := st.deps.Notifier.(*local.Notifier).Since(ctx, "local", 0)
		if err != nil || len(evs) != i+1 {
			t.Fatalf("notifications: %d, %v", len(evs), err)
		}
		if got := evs[i].Notification.DocumentLocation; got.S3ObjectName != "inputs/local/docs/x.txt" {
			t.Errorf("S3Uri %s: DocumentLocation %+v, want S3ObjectName inputs/local/docs/x.txt", uri, got)
		}
	}
}

// TestDocumentLocationKeyPrefix: an input named by a key prefix (as Comprehend reads an S3Uri:
// every object whose key starts with it) that matched one object is notified by that object,
// the document a Textract consumer's GetObject fetches, in both formats and for a retry child
// of such a job; one that matched several keeps the prefix. An input object deleted while its
// job ran is still notified by its own key, never by another object whose name begins with it
// (found from outside: a prefix of one object was notified as the prefix, which no GetObject
// finds).
func TestDocumentLocationKeyPrefix(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	put := func(key, body string) {
		t.Helper()
		if err := st.objects.Put(ctx, key, strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	put("inputs/local/solo-1.txt", "I love it.\n\nI hate it.\n")
	put("inputs/local/duo-1.txt", "I love it.\n")
	put("inputs/local/duo-2.txt", "I hate it.\n")
	put("inputs/local/export.txt", "I love it.\n")
	notified := func(id string) api.Notification {
		t.Helper()
		evs, err := st.deps.Notifier.(*local.Notifier).Since(ctx, "local", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Notification.JobId == id {
				return ev.Notification
			}
		}
		t.Fatalf("job %s was not notified", id)
		return api.Notification{}
	}
	run := func(uri string, format job.Format) string {
		t.Helper()
		var req api.CreateJobRequest
		req.Analyses = []job.Analysis{job.Language}
		req.InputDataConfig = job.InputDataConfig{S3Uri: uri, InputFormat: format}
		res, err := st.svc.CreateJob(ctx, "local", req)
		if err != nil {
			t.Fatal(err)
		}
		processQueue(t, ctx, st.svc, st.queue)
		return res.JobId
	}
	for _, c := range []struct {
		uri    string
		format job.Format
		want   string
	}{
		{"s3://bucket/inputs/local/solo", job.OneDocPerFile, "inputs/local/solo-1.txt"},
		{"s3://bucket/inputs/local/solo", job.OneDocPerLine, "inputs/local/solo-1.txt"},
		{"s3://bucket/inputs/local/duo", job.OneDocPerFile, "inputs/local/duo"},
		{"s3://bucket/inputs/local/duo", job.OneDocPerLine, "inputs/local/duo"},
	} {
		id := run(c.uri, c.format)
		if got := notified(id).DocumentLocation.S3ObjectName; got != c.want {
			t.Errorf("%s %s: DocumentLocation.S3ObjectName %q, want %q", c.format, c.uri, got, c.want)
		}
		if c.want == "inputs/local/solo-1.txt" && c.format == job.OneDocPerLine {
			// Its empty line is an EMPTY_DOCUMENT record: a retry re-runs it.
			child, err := st.svc.Retry(ctx, "local", id, api.RetryRequest{ErrorCodes: []string{"EMPTY_DOCUMENT"}})
			if err != nil {
				t.Fatal(err)
			}
			processQueue(t, ctx, st.svc, st.queue)
			if got := notified(child.JobId).DocumentLocation.S3ObjectName; got != c.want {
				t.Errorf("retry of %s: DocumentLocation.S3ObjectName %q, want %q", c.uri, got, c.want)
			}
		}
	}

	// An input object deleted while its job ran: export.txt.done begins with its name.
	var req api.CreateJobRequest
	req.Analyses = []job.Analysis{job.Language}
	req.InputDataConfig = job.InputDataConfig{S3Uri: "s3://bucket/inputs/local/export.txt", InputFormat: job.OneDocPerFile}
	res, err := st.svc.CreateJob(ctx, "local", req)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.objects.Delete(ctx, "inputs/local/export.txt"); err != nil {
		t.Fatal(err)
	}
	put("inputs/local/export.txt.done", "")
	processQueue(t, ctx, st.svc, st.queue)
	if got := notified(res.JobId).DocumentLocation.S3ObjectName; got != "inputs/local/export.txt" {
		t.Errorf("an input deleted while its job ran: DocumentLocation.S3ObjectName %q, want inputs/local/export.txt", got)
	}
}
