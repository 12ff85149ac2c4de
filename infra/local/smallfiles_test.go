package local

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestSmallLineFilesArePacked: a line input of many small files under a prefix is cut into
// shards of several whole files each (at most MaxFilesPerShard, 100 by default), not one shard
// per file (which cost about 3 ms a file on this stack, a thousand times a document of one big
// file); every file's lines keep their File and their Line from 0, in key order; the manifest
// names each shard's first and last file; a retry re-runs exactly the document of the error
// record it names, though lines of other files of its shard have the same Line.
func TestSmallLineFilesArePacked(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	root := filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "small")
	const n = 250
	for i := range n {
		text := fmt.Sprintf("Review number %d was fine.\nThe room was quiet.\n", i)
		if i == 137 {
			text = "A calm day.\nbad \xff line\n" // its Line 1 is an error record
		}
		p := filepath.Join(root, fmt.Sprintf("f%04d.txt", i))
		if i%50 == 7 {
			p = filepath.Join(root, "sub", fmt.Sprintf("f%04d.txt", i)) // sorts after every f*.txt
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base, err := filepath.Abs(filepath.Join(s.cfg.DataDir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	req := lineJob("small-files", job.OneDocPerLine)
	req.InputDataConfig.S3Uri = FileURI(base) + "/inputs/local/small/"
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	_, j := follow(t, ctx, c, res.JobId)
	if j.JobStatus != job.PartialSuccess || j.JobDetails.InputDocumentsCount != 2*n || j.JobDetails.DocumentsWithErrorsCount != 1 || j.JobDetails.ShardsTotal != 3 {
		t.Fatalf("job %s (%s) %+v; want PARTIAL_SUCCESS, %d documents, 1 error, 3 shards", j.JobStatus, j.Message, j.JobDetails, 2*n)
	}
	recs, m := fetchResults(t, ctx, c, res.JobId)
	if len(recs) != 2*n {
		t.Fatalf("%d records, want %d", len(recs), 2*n)
	}
	prev := ""
	for i, r := range recs {
		if r.Line == nil || *r.Line != int64(i%2) || (i%2 == 1) != (r.File == prev) || r.File < prev {
			t.Fatalf("record %d: File %q Line %v after %q; want each file's lines 0 and 1, in key order", i, r.File, r.Line, prev)
		}
		prev = r.File
	}
	if len(m.Shards) != 3 || m.Shards[0].Files != 100 || m.Shards[2].Files != 50 || m.Shards[0].FirstFile != "f0000.txt" || m.Shards[2].LastFile != "sub/f0207.txt" || m.Shards[0].File != "" {
		t.Errorf("manifest shards %+v; want 100, 100 and 50 files from f0000.txt to sub/f0207.txt", m.Shards)
	}

	child, err := c.Retry(ctx, res.JobId, api.RetryRequest{ErrorCodes: []string{job.CodeUnsupportedEncoding}})
	if err != nil {
		t.Fatal(err)
	}
	_, cj := follow(t, ctx, c, child.JobId)
	crecs, _ := fetchResults(t, ctx, c, child.JobId)
	if cj.JobDetails.InputDocumentsCount != 1 || len(crecs) != 1 || crecs[0].File != "f0137.txt" || crecs[0].Line == nil || *crecs[0].Line != 1 || crecs[0].ErrorCode != job.CodeUnsupportedEncoding {
		t.Errorf("retry %s (%s): %d documents, records %+v; want f0137.txt line 1 alone", cj.JobStatus, cj.Message, cj.JobDetails.InputDocumentsCount, crecs)
	}
}

// TestLineFilesLimit: a line input under a prefix may hold up to 100,000 files (it was
// 10,000, when each file was a shard of its own: 10,001 failed the job); one more fails the job
// at planning with a Message saying the limit and what to do.
func TestLineFilesLimit(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	base, err := filepath.Abs(filepath.Join(s.cfg.DataDir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		n    int
		text string
	}{{10_001, "A short line.\n"}, {100_001, ""}} {
		dir := fmt.Sprintf("limit-%d", tc.n)
		root := filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", dir)
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range tc.n {
			if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%06d.txt", i)), []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		req := api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
			InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine, S3Uri: FileURI(base) + "/inputs/local/" + dir + "/"}}
		res, err := c.CreateJob(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		_, j := follow(t, ctx, c, res.JobId)
		if tc.n <= 100_000 {
			if j.JobStatus != job.Completed || j.JobDetails.InputDocumentsCount != int64(tc.n) {
				t.Errorf("%d files: %s (%s), %d documents; want COMPLETED with one each", tc.n, j.JobStatus, j.Message, j.JobDetails.InputDocumentsCount)
			}
			continue
		}
		want := "more than 100000 objects under " + req.InputDataConfig.S3Uri + "; a line-format job reads at most 100000 files (use fewer, larger files)"
		if j.JobStatus != job.Failed || j.Message != want {
			t.Errorf("%d files: %s %q; want FAILED %q", tc.n, j.JobStatus, j.Message, want)
		}
	}
}

// TestEmptyUnreadableLineFile: an empty file whose name the store cannot read (a backslash),
// beside small files packed into one shard, is still its UNREADABLE_FILE record, as README's
// error codes say and as it was when every file was a shard of its own; packing skipped every
// empty file at planning without opening it, so the job COMPLETED without a word about it. An
// empty file the store can read holds no documents and takes no place in a shard.
func TestEmptyUnreadableLineFile(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	var uri string
	for _, f := range []struct{ name, text string }{{"a.txt", "A calm day.\n"}, {`bad\name.txt`, ""}, {"c.txt", ""}, {"d.txt", "A quiet night.\n"}} {
		uri = putInput(t, s, "emptybad/"+f.name, []byte(f.text))
	}
	req := lineJob("empty-bad", job.OneDocPerLine)
	req.InputDataConfig.S3Uri = uri[:strings.LastIndex(uri, "/")+1] // the folder
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	_, j := follow(t, ctx, c, res.JobId)
	if d := j.JobDetails; j.JobStatus != job.PartialSuccess || d.InputDocumentsCount != 3 || d.DocumentsWithErrorsCount != 1 {
		t.Fatalf("job %s (%s) %+v; want PARTIAL_SUCCESS, a.txt and d.txt analysed and bad\\name.txt an error record", j.JobStatus, j.Message, d)
	}
	recs, m := fetchResults(t, ctx, c, res.JobId)
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%s:%d:%s", r.File, *r.Line, r.ErrorCode))
	}
	if want := []string{"a.txt:0:", `bad\name.txt:0:` + job.CodeUnreadableFile, "d.txt:0:"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("records %q; want %q", got, want)
	}
	if len(m.Shards) != 3 || m.Shards[2].Files != 1 || m.Shards[2].FirstFile != "d.txt" {
		t.Errorf("manifest shards %+v; want a.txt, bad\\name.txt, then d.txt alone (c.txt has no documents)", m.Shards)
	}
}
