package local

import (
	"path"
	"reflect"
	"sort"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestLifecycleSample runs the sample through the whole lifecycle: create, presigned upload,
// event stream until the notification, results download, with the default shard size (one
// shard) and with 64-byte shards (many shards, lines cut across them).
func TestLifecycleSample(t *testing.T) {
	sample := readSample(t)
	docs := splitDocs(sample)
	if len(docs) != 22 {
		t.Fatalf("the sample has %d documents by the format's rules; the tests assume 22", len(docs))
	}
	for _, tc := range []struct {
		name       string
		shardBytes int64
		minShards  int
	}{
		{"default shards", 0, 1},
		{"64-byte shards", 64, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			s := startStack(t, Config{ShardBytes: tc.shardBytes}, pipeline.Hooks{})
			c := defaultClient(s)
			res := createAndUpload(t, ctx, c, lineJob("sample", job.OneDocPerLine), sample)
			n, j := follow(t, ctx, c, res.JobId)
			if j.JobStatus != job.PartialSuccess {
				t.Fatalf("status %s (%s), want PARTIAL_SUCCESS", j.JobStatus, j.Message)
			}
			if n.OutputLocation == "" {
				t.Error("notification has no OutputLocation")
			}
			if j.JobDetails.ShardsTotal < tc.minShards {
				t.Errorf("%d shards, want at least %d", j.JobDetails.ShardsTotal, tc.minShards)
			}
			recs, m := fetchResults(t, ctx, c, res.JobId)
			checkLineResults(t, sample, j, recs, m, false)
			// The five bad documents of the sample, whatever the analysers think of the others.
			want := map[int64]string{
				7:  job.CodeUnsupportedEncoding,
				12: job.CodeDocumentSizeExceeded,
				15: job.CodeEmptyDocument,
				17: job.CodeEmptyDocument,
				20: job.CodeUnsupportedLanguage,
			}
			// Line 12 is too long for SENTIMENT only: it keeps its LANGUAGE result and lists
			// SENTIMENT's failure in Errors; the others are document-level errors.
			perAnalysis := map[int64]bool{12: true}
			for _, r := range recs {
				code, ok := want[*r.Line]
				switch {
				case !ok:
				case perAnalysis[*r.Line]:
					if r.ErrorCode != "" || len(r.Errors) != 1 || r.Errors[0].Analysis != job.Sentiment || r.Errors[0].ErrorCode != code || len(r.Languages) == 0 {
						t.Errorf("Line %d: ErrorCode %q, Errors %+v, Languages %v; want LANGUAGE's result and SENTIMENT's %s in Errors", *r.Line, r.ErrorCode, r.Errors, r.Languages, code)
					}
				case r.ErrorCode != code:
					t.Errorf("Line %d: ErrorCode %q (%s), want %q", *r.Line, r.ErrorCode, r.ErrorMessage, code)
				}
			}
			if j.JobDetails.DocumentsWithErrorsCount < int64(len(want)-len(perAnalysis)) {
				t.Errorf("DocumentsWithErrorsCount = %d, want at least %d", j.JobDetails.DocumentsWithErrorsCount, len(want)-len(perAnalysis))
			}
			if j.JobDetails.AnalysisCounts[job.Sentiment].Failed < 1 {
				t.Errorf("AnalysisCounts = %+v, want SENTIMENT failures", j.JobDetails.AnalysisCounts)
			}
		})
	}
}

// TestLifecycleGenerated runs 2,000 generated lines (CRLF/LF/CR terminators, empty, blank and
// invalid UTF-8 lines at known positions) through many small shards and checks every error is
// at its input line with its code and every other line was analysed.
func TestLifecycleGenerated(t *testing.T) {
	ctx := testCtx(t)
	input, bad := genInput(2000)
	s := startStack(t, Config{ShardBytes: 1500}, pipeline.Hooks{})
	c := defaultClient(s)
	res := createAndUpload(t, ctx, c, lineJob("generated", job.OneDocPerLine), input)
	_, j := follow(t, ctx, c, res.JobId)
	if j.JobStatus != job.PartialSuccess {
		t.Fatalf("status %s (%s), want PARTIAL_SUCCESS", j.JobStatus, j.Message)
	}
	if j.JobDetails.ShardsTotal < 50 {
		t.Errorf("only %d shards; the test wants many", j.JobDetails.ShardsTotal)
	}
	recs, m := fetchResults(t, ctx, c, res.JobId)
	checkLineResults(t, input, j, recs, m, true)
	if int64(len(bad)) != j.JobDetails.DocumentsWithErrorsCount {
		t.Errorf("DocumentsWithErrorsCount = %d, the generator made %d bad lines", j.JobDetails.DocumentsWithErrorsCount, len(bad))
	}
	for _, r := range recs {
		if r.Line == nil {
			continue
		}
		if want := bad[int(*r.Line)]; r.ErrorCode != want {
			t.Errorf("Line %d: ErrorCode %q, want %q", *r.Line, r.ErrorCode, want)
		}
	}
}

// TestOneDocPerFileUpload uploads a collection through one presigned URL per file; the job
// starts only once every file has arrived, and the output has one record per file under its
// name.
func TestOneDocPerFileUpload(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	files := map[string]struct {
		body string
		code string
	}{
		"a.txt":          {"I love this camera, the pictures are sharp and beautiful.", ""},
		"b.txt":          {"The service at this hotel was terrible and the room was dirty.", ""},
		"notes/c.txt":    {"The museum was interesting and the guide was very friendly.", ""},
		"empty.txt":      {"", job.CodeEmptyDocument},
		"latin1.txt":     {"Caf\xe9 cr\xe8me br\xfbl\xe9e", job.CodeUnsupportedEncoding},
		"with space.txt": {"What a wonderful and relaxing holiday we had by the sea.", ""},
	}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	res, err := c.CreateJob(ctx, api.CreateJobRequest{
		JobName:         "files",
		Analyses:        []job.Analysis{job.Language, job.Sentiment},
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerFile},
		UploadFiles:     names,
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if res.JobStatus != job.AwaitingInput || len(res.Uploads) != len(names) {
		t.Fatalf("job %s with %d upload URLs; want AWAITING_INPUT with %d", res.JobStatus, len(res.Uploads), len(names))
	}
	dir := t.TempDir()
	for i, u := range res.Uploads {
		f, ok := files[u.File]
		if !ok {
			t.Fatalf("upload URL for unknown file %q", u.File)
		}
		if err := c.Upload(ctx, u.Presigned, writeTempIn(t, dir, path.Base(u.File)+".upload", []byte(f.body))); err != nil {
			t.Fatalf("upload %s: %v", u.File, err)
		}
		if i == len(res.Uploads)-1 {
			break
		}
		// Let ingest handle every event so far, then the job must still be waiting.
		waitFor(t, ctx, "ingest to drain", func() bool {
			st, err := s.s3Events.Stats(ctx)
			return err == nil && st.Visible == 0 && st.InFlight == 0
		})
		j, err := c.Describe(ctx, res.JobId)
		if err != nil {
			t.Fatal(err)
		}
		if j.JobStatus != job.AwaitingInput {
			t.Fatalf("job is %s after %d of %d uploads; want AWAITING_INPUT", j.JobStatus, i+1, len(names))
		}
	}
	_, j := follow(t, ctx, c, res.JobId)
	if j.JobStatus != job.PartialSuccess {
		t.Fatalf("status %s (%s), want PARTIAL_SUCCESS", j.JobStatus, j.Message)
	}
	recs, m := fetchResults(t, ctx, c, res.JobId)
	if int64(len(recs)) != j.JobDetails.InputDocumentsCount || len(recs) != len(files) {
		t.Errorf("%d output records, InputDocumentsCount %d, %d files", len(recs), j.JobDetails.InputDocumentsCount, len(files))
	}
	if m.Output.Lines != int64(len(files)) || !reflect.DeepEqual(m.JobDetails, j.JobDetails) {
		t.Errorf("manifest Lines %d, details %+v; job %+v", m.Output.Lines, m.JobDetails, j.JobDetails)
	}
	seen := map[string]int{}
	var errs int64
	for _, r := range recs {
		seen[r.File]++
		if r.Line != nil {
			t.Errorf("%s: a ONE_DOC_PER_FILE record has Line %d", r.File, *r.Line)
		}
		f, ok := files[r.File]
		if !ok {
			t.Errorf("output record for unknown file %q", r.File)
			continue
		}
		if r.ErrorCode != f.code {
			t.Errorf("%s: ErrorCode %q (%s), want %q", r.File, r.ErrorCode, r.ErrorMessage, f.code)
		}
		if r.ErrorCode != "" {
			errs++
		}
	}
	for n := range files {
		if seen[n] != 1 {
			t.Errorf("file %s appears %d times in the output", n, seen[n])
		}
	}
	if errs != j.JobDetails.DocumentsWithErrorsCount || j.JobDetails.ProcessedDocumentsCount+errs != j.JobDetails.InputDocumentsCount {
		t.Errorf("%d error records; job details %+v", errs, j.JobDetails)
	}
}

// TestJSONL checks a JSONL input: record ids (strings and numbers) are echoed on every record,
// a line that is not JSON is INVALID_RECORD, and line numbers are global.
func TestJSONL(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{ShardBytes: 100}, pipeline.Hooks{})
	c := defaultClient(s)
	lines := []struct {
		json, id, code string
	}{
		{`{"recordId":"r-0","text":"I love this phone, the battery lasts all day."}`, "r-0", ""},
		{`{"recordId":17,"text":"The delivery was late and the box was damaged."}`, "17", ""},
		{`{"recordId":"r-2","text":"The hotel room was clean and the breakfast was great."}`, "r-2", ""},
		{`{"recordId":"r-3","text": this is not json}`, "", job.CodeInvalidRecord},
		{`{"recordId":"r-4","text":"   "}`, "r-4", job.CodeEmptyDocument},
		{`["r-5","an array is not a record"]`, "", job.CodeInvalidRecord},
		{`{"recordId":"r-6","text":"The concert was amazing and the band was wonderful."}`, "r-6", ""},
		{`{"recordId":"r-7"}`, "r-7", job.CodeInvalidRecord},
		{`{"recordId":"r-8","text":"This restaurant serves wonderful food every single day."}`, "r-8", ""},
	}
	var input []byte
	for i, l := range lines {
		input = append(input, l.json...)
		if i < len(lines)-1 {
			input = append(input, '\n')
		}
	}
	res := createAndUpload(t, ctx, c, lineJob("jsonl", job.JSONLines), input)
	_, j := follow(t, ctx, c, res.JobId)
	if j.JobStatus != job.PartialSuccess {
		t.Fatalf("status %s (%s), want PARTIAL_SUCCESS", j.JobStatus, j.Message)
	}
	recs, m := fetchResults(t, ctx, c, res.JobId)
	if len(recs) != len(lines) || j.JobDetails.InputDocumentsCount != int64(len(lines)) {
		t.Fatalf("%d output lines, InputDocumentsCount %d; want %d", len(recs), j.JobDetails.InputDocumentsCount, len(lines))
	}
	checkManifest(t, input, j, m, int64(len(lines)), false)
	seen := make([]int, len(lines))
	var errs int64
	for _, r := range recs {
		if r.Line == nil || *r.Line < 0 || *r.Line >= int64(len(lines)) {
			t.Errorf("record %+v has no valid Line", r)
			continue
		}
		l := lines[*r.Line]
		seen[*r.Line]++
		if r.ErrorCode != l.code {
			t.Errorf("Line %d: ErrorCode %q (%s), want %q", *r.Line, r.ErrorCode, r.ErrorMessage, l.code)
		}
		if l.id != "" && r.RecordId != l.id {
			t.Errorf("Line %d: RecordId %q, want %q", *r.Line, r.RecordId, l.id)
		}
		if r.ErrorCode != "" {
			errs++
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Errorf("Line %d appears %d times", i, n)
		}
	}
	if errs != j.JobDetails.DocumentsWithErrorsCount {
		t.Errorf("%d error records, DocumentsWithErrorsCount %d", errs, j.JobDetails.DocumentsWithErrorsCount)
	}
}
