package local

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestManyFileLineInput: a line-format S3Uri that names no object but a prefix reads every
// object under it; each line is a document with File its name relative to the prefix and Line
// its 0-based line in that file, in key order, whatever the shard size; a prefix with nothing
// under it and one of empty files fail with a Message.
func TestManyFileLineInput(t *testing.T) {
	ctx := testCtx(t)
	for _, shardBytes := range []int64{0, 40} {
		s := startStack(t, Config{ShardBytes: shardBytes}, pipeline.Hooks{})
		c := defaultClient(s)
		root := filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "batch")
		files := map[string]string{
			"part-00.txt":     "The train was late again.\nWhat a wonderful concert!\n",
			"part-01.txt":     "Terrible service, never again.\r\n\r\nThe hotel was lovely and quiet.\r\nGreat food.",
			"sub/part-02.txt": "\xef\xbb\xbfA fine day for a walk in the park.\nbad \xff line\n",
			"zero.txt":        "",
		}
		for rel, data := range files {
			p := filepath.Join(root, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// A sibling whose name starts like the folder's: "batch" names the folder only.
		if err := os.WriteFile(root+"-extra.txt", []byte("Not part of the batch.\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		base, err := filepath.Abs(filepath.Join(s.cfg.DataDir, "objects"))
		if err != nil {
			t.Fatal(err)
		}
		for _, prefix := range []string{"batch/", "batch"} {
			req := lineJob("many", job.OneDocPerLine)
			req.InputDataConfig.S3Uri = FileURI(base) + "/inputs/local/" + prefix
			res, err := c.CreateJob(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			_, j := follow(t, ctx, c, res.JobId)
			recs, m := fetchResults(t, ctx, c, res.JobId)
			type fl struct {
				file string
				line int64
				code string
			}
			want := []fl{
				{"part-00.txt", 0, ""}, {"part-00.txt", 1, ""},
				{"part-01.txt", 0, ""}, {"part-01.txt", 1, job.CodeEmptyDocument}, {"part-01.txt", 2, ""}, {"part-01.txt", 3, ""},
				{"sub/part-02.txt", 0, ""}, {"sub/part-02.txt", 1, job.CodeUnsupportedEncoding},
			}
			if len(recs) != len(want) {
				t.Fatalf("shard bytes %d, prefix %q: %d records, want %d: %+v", shardBytes, prefix, len(recs), len(want), recs)
			}
			for i, r := range recs {
				if r.Line == nil || r.File != want[i].file || *r.Line != want[i].line || r.ErrorCode != want[i].code {
					t.Errorf("record %d: File %q Line %v ErrorCode %q, want %+v", i, r.File, r.Line, r.ErrorCode, want[i])
				}
			}
			if j.JobStatus != job.PartialSuccess || j.JobDetails.InputDocumentsCount != 8 || j.JobDetails.DocumentsWithErrorsCount != 2 {
				t.Errorf("job %s %+v (%s)", j.JobStatus, j.JobDetails, j.Message)
			}
			if shardBytes == 40 && len(m.Shards) < 4 {
				t.Errorf("%d shards with 40-byte shards; want several per file", len(m.Shards))
			}
			// Each shard names its file as the records do (found from outside: a stopped
			// job's skipped shards could not be mapped back to the input): a file larger than a
			// shard by File and byte range, small whole files packed into one shard by the first
			// and last of them (the empty one is in none).
			if shardBytes == 0 {
				if len(m.Shards) != 1 || m.Shards[0].File != "" || m.Shards[0].Files != 3 || m.Shards[0].FirstFile != "part-00.txt" || m.Shards[0].LastFile != "sub/part-02.txt" || m.Shards[0].Documents != 8 {
					t.Errorf("small files: shards %+v; want the 3 non-empty files packed into one shard of 8 documents", m.Shards)
				}
				continue
			}
			shardFiles := map[string]bool{}
			for _, sh := range m.Shards {
				if _, ok := files[sh.File]; !ok || sh.FirstFile != "" {
					t.Errorf("shard %d names File %q, FirstFile %q; want one of the input's files", sh.Index, sh.File, sh.FirstFile)
				}
				shardFiles[sh.File] = true
			}
			if !shardFiles["part-00.txt"] || !shardFiles["sub/part-02.txt"] {
				t.Errorf("the shards name the files %v", shardFiles)
			}
		}

		// A key prefix that is no folder reads, as S3 prefixes and Comprehend do, every object
		// whose key starts with it, named relative to the folder it is in (found from outside:
		// the job failed saying the input did not exist).
		for _, tc := range []struct {
			prefix string
			format job.Format
			files  []string
		}{
			{"batch/part-0", job.OneDocPerLine, []string{"part-00.txt", "part-00.txt", "part-01.txt", "part-01.txt", "part-01.txt", "part-01.txt"}},
			{"batch-", job.OneDocPerLine, []string{"batch-extra.txt"}},
			{"batch/part-0", job.OneDocPerFile, []string{"part-00.txt", "part-01.txt"}},
		} {
			req := lineJob("key-prefix", tc.format)
			req.InputDataConfig.S3Uri = FileURI(base) + "/inputs/local/" + tc.prefix
			res, err := c.CreateJob(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			_, j := follow(t, ctx, c, res.JobId)
			recs, m := fetchResults(t, ctx, c, res.JobId)
			var got []string
			for _, r := range recs {
				got = append(got, r.File)
			}
			if strings.Join(got, ",") != strings.Join(tc.files, ",") {
				t.Errorf("%s %q: %s (%s), files %v; want %v", tc.format, tc.prefix, j.JobStatus, j.Message, got, tc.files)
			}
			if tc.format == job.OneDocPerFile {
				for _, sh := range m.Shards {
					if sh.File != "" || sh.FirstFile == "" || sh.Files == 1 && sh.LastFile != sh.FirstFile {
						t.Errorf("%q: shard %+v", tc.prefix, sh)
					}
				}
				if first, last := m.Shards[0].FirstFile, m.Shards[len(m.Shards)-1].LastFile; first != tc.files[0] || last != tc.files[len(tc.files)-1] {
					t.Errorf("%q: the shards run from %q to %q; want %q to %q", tc.prefix, first, last, tc.files[0], tc.files[len(tc.files)-1])
				}
			}
		}

		// The s3:// name the Comprehend surface uses for the local store is taken on /v1 too
		// (found from outside: the two surfaces of one server wanted different URIs).
		req := lineJob("s3-name", job.OneDocPerLine)
		req.InputDataConfig.S3Uri = "s3://" + bucketName + "/inputs/local/batch/"
		res, err := c.CreateJob(ctx, req)
		if err != nil {
			t.Fatalf("an s3://%s/ input on /v1: %v", bucketName, err)
		}
		if _, j := follow(t, ctx, c, res.JobId); j.JobDetails.InputDocumentsCount != 8 || j.InputDataConfig.S3Uri != FileURI(base)+"/inputs/local/batch/" {
			t.Errorf("s3:// input: %d documents, S3Uri %s; want 8 and the store's file:// name", j.JobDetails.InputDocumentsCount, j.InputDataConfig.S3Uri)
		}

		for name, setup := range map[string]func() string{
			"nothing under it": func() string { return "nothing/" },
			"no key starts so": func() string { return "nothing-at-all" },
			"only empty files": func() string {
				p := filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "empties", "a.txt")
				_ = os.MkdirAll(filepath.Dir(p), 0o755)
				_ = os.WriteFile(p, nil, 0o644)
				_ = os.WriteFile(filepath.Join(filepath.Dir(p), "b.txt"), []byte("\xef\xbb\xbf"), 0o644)
				return "empties/"
			},
		} {
			req := lineJob("bad", job.JSONLines)
			req.InputDataConfig.S3Uri = FileURI(base) + "/inputs/local/" + setup()
			res, err := c.CreateJob(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			_, j := follow(t, ctx, c, res.JobId)
			if j.JobStatus != job.Failed || !strings.Contains(j.Message, "no") {
				t.Errorf("%s: %s %q, want FAILED saying why", name, j.JobStatus, j.Message)
			}
		}
	}
}

// TestOneDocPerFileInputChanged: a ONE_DOC_PER_FILE file replaced or deleted after the job was
// planned fails the job with a Message naming the file, as a line input's object does (found
// from outside: a replaced file was analysed as its new text and the job COMPLETED; a deleted
// one failed its shard three times, then the job, with a store's error). Shards of 100 bytes
// put each file in a shard of its own; the first shard's start replaces or deletes the last
// file before its shard runs (one worker: in order).
func TestOneDocPerFileInputChanged(t *testing.T) {
	ctx := testCtx(t)
	for _, tc := range []struct {
		change string
		format job.Format
	}{{"replaced", job.OneDocPerFile}, {"deleted", job.OneDocPerFile}, {"replaced", job.OneDocPerLine}} {
		// (A many-file line input names the file too: it said "the input object", found from
		// outside.)
		change := tc.change
		var root string
		var once sync.Once
		hooks := pipeline.Hooks{ShardStarted: func(msg pipeline.ShardMessage) error {
			if msg.Index == 0 {
				once.Do(func() {
					p := filepath.Join(root, "c.txt")
					if change == "deleted" {
						_ = os.Remove(p)
					} else {
						_ = os.WriteFile(p, []byte("John Smith moved to London, a much longer text than before."), 0o644)
					}
				})
			}
			return nil
		}}
		s := startStack(t, Config{ShardBytes: 100, Workers: 1}, hooks)
		c := defaultClient(s)
		var uri string
		for _, f := range []string{"a.txt", "b.txt", "c.txt"} {
			uri = putInput(t, s, "docs/"+f, []byte(strings.Repeat("A calm and pleasant day. ", 4)))
		}
		root = filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "comprehend", "docs")
		req := lineJob("per-file", tc.format)
		req.InputDataConfig.S3Uri = uri[:strings.LastIndex(uri, "/")+1] // the folder
		res, err := c.CreateJob(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		_, j := follow(t, ctx, c, res.JobId)
		if j.JobStatus != job.Failed || !strings.Contains(j.Message, "input file") || !strings.Contains(j.Message, "docs/c.txt was replaced or deleted while the job was running") {
			t.Errorf("%s %s file: job %s (%s); want FAILED naming docs/c.txt", tc.format, change, j.JobStatus, j.Message)
		}
	}
}

// TestManyFileLineInputUnreadableName: a file under a line-format prefix whose name the store
// cannot read (a backslash) is one UNREADABLE_FILE error record, and the other files are
// analysed (it failed the job: first with the store's own words, "write plan: … head input: …
// invalid request", then with a Message naming the file; both found from outside).
func TestManyFileLineInputUnreadableName(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	var uri string
	for _, f := range []string{"good.txt", `bad\name.txt`} {
		uri = putInput(t, s, "bs/"+f, []byte("A calm day.\n"))
	}
	req := lineJob("bs", job.OneDocPerLine)
	req.InputDataConfig.S3Uri = uri[:strings.LastIndex(uri, "/")+1] // the folder
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	_, j := follow(t, ctx, c, res.JobId)
	if d := j.JobDetails; j.JobStatus != job.PartialSuccess || d.InputDocumentsCount != 2 || d.DocumentsWithErrorsCount != 1 {
		t.Errorf("job %s (%s) %+v; want PARTIAL_SUCCESS, good.txt analysed and bad\\name.txt an error record", j.JobStatus, j.Message, d)
	}
}

// TestOneFileFolderInputChanged: a line input read as a folder that holds one file (a folder
// given as S3Uri, or the one file `ream submit FILE` uploads through UploadFiles) has that
// file's version recorded too, so replacing it while the job runs fails the job with a Message
// naming it, and a retry of a parent whose file was replaced since fails (found from outside:
// both read the new bytes as the old lines; only folders of two or more files were checked).
func TestOneFileFolderInputChanged(t *testing.T) {
	ctx := testCtx(t)
	text := strings.Repeat("A calm and pleasant day by the sea.\n", 12) // 3 shards of 100-odd bytes
	// Same size and line breaks, other letters: only the version tells it apart.
	other := strings.Map(func(r rune) rune {
		if r >= 'a' && r < 'z' {
			return r + 1
		}
		return r
	}, text)
	for _, mode := range []string{"folder", "upload", "object"} {
		upload := mode == "upload"
		var path string
		var once sync.Once
		hooks := pipeline.Hooks{ShardStarted: func(msg pipeline.ShardMessage) error {
			if msg.Index == 0 {
				once.Do(func() { _ = os.WriteFile(path, []byte(other), 0o644) }) // same size, other bytes
			}
			return nil
		}}
		s := startStack(t, Config{ShardBytes: 100, Workers: 1}, hooks)
		c := defaultClient(s)
		req := lineJob("one-file", job.OneDocPerLine)
		want := "docs/c.txt was replaced or deleted while the job was running"
		var id string
		if upload {
			req.UploadFiles = []string{"c.txt"}
			res, err := c.CreateJob(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			id = res.JobId
			path = filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", id, "files", "c.txt")
			if err := c.Upload(ctx, res.Uploads[0].Presigned, writeTempIn(t, t.TempDir(), "c.txt", []byte(text))); err != nil {
				t.Fatal(err)
			}
			want = `the uploaded file "c.txt" was replaced or deleted while the job was running`
		} else {
			uri := putInput(t, s, "docs/c.txt", []byte(text))
			path = filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "comprehend", "docs", "c.txt")
			req.InputDataConfig.S3Uri = uri[:strings.LastIndex(uri, "/")+1] // the folder
			if mode == "object" {
				// The object itself (this was checked before; its Message said "the input
				// object", found from outside: it names it now).
				req.InputDataConfig.S3Uri = uri
				want = "comprehend/docs/c.txt was replaced or deleted while the job was running"
			}
			res, err := c.CreateJob(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			id = res.JobId
		}
		_, j := follow(t, ctx, c, id)
		if j.JobStatus != job.Failed || !strings.Contains(j.Message, want) || strings.Contains(j.Message, "the input object") {
			t.Errorf("%s: job %s (%s); want FAILED with %q", mode, j.JobStatus, j.Message, want)
		}
	}
}

// TestRetryOfOneFileFolderReplaced: a retry of a parent whose input, a folder of one file, was
// replaced since it ran (same lines, other bytes) fails and says so, rather than analysing the
// new text as the parent's lines (found from outside: the child came out PARTIAL_SUCCESS with
// French text as the parent's empty lines).
func TestRetryOfOneFileFolderReplaced(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	text := "A calm and pleasant day by the sea.\n\nAnother calm day.\n"
	uri := putInput(t, s, "rdocs/c.txt", []byte(text))
	req := lineJob("one-file-retry", job.OneDocPerLine)
	req.InputDataConfig.S3Uri = uri[:strings.LastIndex(uri, "/")+1]
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, j := follow(t, ctx, c, res.JobId); j.JobDetails.DocumentsWithErrorsCount != 1 {
		t.Fatalf("parent %s: %d errors, want 1 (the empty line)", j.JobStatus, j.JobDetails.DocumentsWithErrorsCount)
	}
	p := filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", "comprehend", "rdocs", "c.txt")
	if err := os.WriteFile(p, []byte("B dbmn boe qmfbtbou ebz cz uif tfb.\nx\nBopuifs dbmn ebz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	child, err := c.Retry(ctx, res.JobId, api.RetryRequest{ErrorCodes: []string{"EMPTY_DOCUMENT"}})
	if err != nil {
		t.Fatal(err)
	}
	_, j := follow(t, ctx, c, child.JobId)
	if j.JobStatus != job.Failed || !strings.Contains(j.Message, "rdocs/c.txt was replaced or deleted since it ran") {
		t.Errorf("child %s (%s); want FAILED naming rdocs/c.txt", j.JobStatus, j.Message)
	}
}
