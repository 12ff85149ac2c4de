package local

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/internal/syncbuf"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestDropBatchHiddenFilesIgnored: names with a segment starting with "." in a ONE_DOC_PER_FILE
// batch (.DS_Store, a copy tool's temporary file, a hidden folder) are not documents of the
// batch's job, as they start nothing when dropped; a job over a folder given as its input
// location keeps every file.
func TestDropBatchHiddenFilesIgnored(t *testing.T) {
	s := startStack(t, dropConfig(), pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)
	tmpl := api.CreateJobRequest{Analyses: []job.Analysis{job.Language}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerFile}}
	if _, err := c.PutDropRule(ctx, "docs", tmpl); err != nil {
		t.Fatalf("put rule: %v", err)
	}
	for _, rel := range []string{"batch-1/a.txt", "batch-1/sub/b.txt", "batch-1/.DS_Store", "batch-1/.hidden.txt",
		"batch-1/sub/.rsync-tmp.b.txt", "batch-1/.cache/c.txt"} {
		dropFile(t, s, "docs", rel, []byte("The quick brown fox jumps over the lazy dog."))
	}
	marker := dropFile(t, s, "docs", "batch-1/_SUCCESS", nil)
	j := waitDropJob(t, ctx, c, "docs", marker)
	_, j = follow(t, ctx, c, j.JobId)
	files := func(id string) string {
		recs, _ := fetchResults(t, ctx, c, id)
		var out []string
		for _, r := range recs {
			out = append(out, r.File)
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	if j.JobStatus != job.Completed || j.JobDetails.InputDocumentsCount != 2 {
		t.Errorf("batch job %s with %+v; want COMPLETED over 2 documents", j.JobStatus, j.JobDetails)
	}
	if got := files(j.JobId); got != "a.txt,sub/b.txt" {
		t.Errorf("batch job's documents %s; want a.txt,sub/b.txt (no hidden names, no marker)", got)
	}

	// The same folder as a job's input location: every file is a document (the marker too).
	req := api.CreateJobRequest{Analyses: []job.Analysis{job.Language}, InputDataConfig: job.InputDataConfig{
		InputFormat: job.OneDocPerFile, S3Uri: strings.TrimSuffix(j.InputDataConfig.S3Uri, "/")}}
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	follow(t, ctx, c, res.JobId)
	if got, want := files(res.JobId), ".DS_Store,.cache/c.txt,.hidden.txt,_SUCCESS,a.txt,sub/.rsync-tmp.b.txt,sub/b.txt"; got != want {
		t.Errorf("folder input's documents %s; want %s", got, want)
	}
}

// logRecords is an slog handler's output kept for a test to read: one JSON object a line.
type logRecords struct{ syncbuf.Buffer }

// matching returns the records whose msg is msg and whose key attribute is key.
func (l *logRecords) matching(t *testing.T, msg, key string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(l.Bytes(), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if r["msg"] == msg && r["key"] == key {
			out = append(out, r)
		}
	}
	return out
}

// containing returns the log records whose message contains part.
func (l *logRecords) containing(t *testing.T, part string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(l.Bytes(), []byte("\n")) {
		var r map[string]any
		if len(line) == 0 || json.Unmarshal(line, &r) != nil {
			continue
		}
		if m, _ := r["msg"].(string); strings.Contains(m, part) {
			out = append(out, r)
		}
	}
	return out
}

// startStackLogging is startStack with the stack's log, from debug level up, kept in the
// returned records.
func startStackLogging(t *testing.T, cfg Config) (*Stack, *logRecords) {
	t.Helper()
	recs := &logRecords{}
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	cfg.PollInterval = Duration(10 * time.Millisecond)
	cfg.Workers = 2
	log := slog.New(slog.NewJSONHandler(recs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Start(t.Context(), cfg, Options{Log: log})
	if err != nil {
		t.Fatalf("start stack: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close stack: %v", err)
		}
	})
	return s, recs
}

// TestDropStartedJobLoggedOnce: every sweep reports every drop file again and gets the job its
// token started; "dropped object started a job" is logged (at info) only when the job was
// created, the repeats at debug.
func TestDropStartedJobLoggedOnce(t *testing.T) {
	s, logs := startStackLogging(t, dropConfig())
	ctx := testCtx(t)
	c := defaultClient(s)
	if _, err := c.PutDropRule(ctx, "lines", lineJob("", job.OneDocPerLine)); err != nil {
		t.Fatalf("put rule: %v", err)
	}
	key := dropFile(t, s, "lines", "a.txt", []byte("The train was late again.\n"))
	j := waitDropJob(t, ctx, c, "lines", key)
	follow(t, ctx, c, j.JobId)
	for range 3 {
		if _, err := s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	started := logs.matching(t, "dropped object started a job", key)
	if len(started) != 1 || started[0]["level"] != "INFO" || started[0]["job"] != j.JobId {
		t.Errorf("%d \"started a job\" records for %s (%v); want one, at INFO, when its job was created", len(started), key, started)
	}
	again := logs.matching(t, "this object version already started a job", key)
	if len(again) < 3 {
		t.Errorf("%d records of the sweeps' repeats; want at least 3 (one a sweep)", len(again))
	}
	for _, r := range again {
		if r["level"] != "DEBUG" || r["job"] != j.JobId {
			t.Errorf("repeat logged as %v; want DEBUG naming job %s", r, j.JobId)
		}
	}
}

// TestTimedOutMessageCountsUploadFiles: a job created with UploadFiles whose files did not all
// arrive before its upload URLs expired is TIMED_OUT with a Message that says how many did (it
// starts only once all have), and names the instant the URLs' Expires shows; so do the
// Messages of a job none of whose files came and of a one-file upload that never came.
func TestTimedOutMessageCountsUploadFiles(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{UploadTTL: Duration(time.Second), SweepInterval: Duration(time.Hour)}, pipeline.Hooks{})
	c := defaultClient(s)
	files := lineJob("some-files", job.OneDocPerFile)
	files.UploadFiles = []string{"a.txt", "b.txt"}
	some, err := c.CreateJob(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(ctx, some.Uploads[0].Presigned, writeTemp(t, "a.txt", []byte("I love this product."))); err != nil {
		t.Fatalf("upload a.txt: %v", err)
	}
	files.JobName = "no-files"
	none, err := c.CreateJob(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	one, err := c.CreateJob(ctx, lineJob("no-input", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	last := one.Upload.Expires
	for _, u := range append(some.Uploads, none.Uploads...) {
		if u.Expires.After(last) {
			last = u.Expires
		}
	}
	select {
	case <-time.After(time.Until(last) + 50*time.Millisecond):
	case <-ctx.Done():
		t.Fatal("context done")
	}
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatalf("sweep: %v", err)
	}
	for _, tc := range []struct {
		id, want string
	}{
		{some.JobId, "1 of 2 upload files arrived before the upload URLs expired at " + some.Uploads[0].Expires.Format(time.RFC3339) + "; the job needs all of them"},
		{none.JobId, "none of the 2 upload files arrived before the upload URLs expired at " + none.Uploads[0].Expires.Format(time.RFC3339)},
		{one.JobId, "no input arrived before the upload URL expired at " + one.Upload.Expires.Format(time.RFC3339)},
	} {
		n, j := follow(t, ctx, c, tc.id)
		if j.JobStatus != job.TimedOut || j.Message != tc.want || n.Message != tc.want {
			t.Errorf("job %s: %s %q (notified %q); want TIMED_OUT %q", j.JobName, j.JobStatus, j.Message, n.Message, tc.want)
		}
		// The input of a job of two upload files is their folder, not the one file that came
		// (found from outside: DocumentLocation named a.txt, as if it were the job's document).
		if want := "inputs/local/" + some.JobId + "/files/"; tc.id == some.JobId && n.DocumentLocation.S3ObjectName != want {
			t.Errorf("job %s: DocumentLocation %+v, want S3ObjectName %q", j.JobName, n.DocumentLocation, want)
		}
	}
}

// TestFailedWithoutOutputKeepsProgress: a job whose input is replaced while it runs FAILS
// without output, and keeps the counters of the shards recorded before (its progress; counters
// never go backwards), as README's Counters says, rather than output lines it has none of:
// Input = Processed + WithErrors still holds, and the notification carries the same counters.
func TestFailedWithoutOutputKeepsProgress(t *testing.T) {
	ctx := testCtx(t)
	hooks, release, entered := holdShardsWhere(ctx, func(m pipeline.ShardMessage) bool { return m.Index != 0 })
	s := startStack(t, Config{ShardBytes: 1024, Workers: 2, BatchSize: 1}, hooks)
	c := defaultClient(s)
	p, res := storedLineJob(t, ctx, s, "replaced")
	waitFor(t, ctx, "shard 0 to be recorded while another is held", func() bool {
		j, err := c.Describe(ctx, res.JobId)
		return err == nil && j.JobDetails.ShardsDone >= 1 && entered.Load() >= 1
	})
	if err := os.WriteFile(p, []byte(strings.Repeat("Great product, it works well.\n", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	close(release)
	n, j := follow(t, ctx, c, res.JobId)
	if j.JobStatus != job.Failed || !strings.Contains(j.Message, "submit a new job for the new input") {
		t.Fatalf("job %s %q; want FAILED saying its input changed", j.JobStatus, j.Message)
	}
	if j.ManifestFilePath != "" || n.OutputLocation != "" {
		t.Errorf("ManifestFilePath %q, notified OutputLocation %q; want none (no output)", j.ManifestFilePath, n.OutputLocation)
	}
	_, err := c.Results(ctx, res.JobId)
	wantAPIError(t, err, http.StatusConflict, "results of a job that failed without output")
	d := j.JobDetails
	if d.InputDocumentsCount == 0 || d.InputDocumentsCount != d.ProcessedDocumentsCount+d.DocumentsWithErrorsCount {
		t.Errorf("counters %+v; want the progress of the shards recorded before the failure (Input = Processed + WithErrors > 0)", d)
	}
	if d.ShardsDone == 0 || d.ShardsDone > d.ShardsTotal {
		t.Errorf("ShardsDone %d of %d; want the shards recorded before the failure", d.ShardsDone, d.ShardsTotal)
	}
}

// TestLateShardKeepsFailedCounters: a shard that finished reading before its job FAILED (the
// input was replaced while it ran) and is recorded after it leaves the job's counters as its
// notification carried them (found from outside: Describe went on counting after the
// notification, 694,108 then 710,998 documents).
func TestLateShardKeepsFailedCounters(t *testing.T) {
	ctx := testCtx(t)
	written, late := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hooks, release, entered := holdShardsWhere(ctx, func(m pipeline.ShardMessage) bool { return m.Index >= 2 })
	hooks.AfterShardWritten = func(m pipeline.ShardMessage) error {
		if m.Index != 1 {
			return nil
		}
		once.Do(func() { close(written) })
		select { // written with the old input, recorded only after the job has ended
		case <-late:
		case <-ctx.Done():
		}
		return nil
	}
	s := startStack(t, Config{ShardBytes: 1024, Workers: 3, BatchSize: 1}, hooks)
	c := defaultClient(s)
	p, res := storedLineJob(t, ctx, s, "late")
	waitFor(t, ctx, "shard 1 written and another shard held", func() bool {
		select {
		case <-written:
			return entered.Load() >= 1
		default:
			return false
		}
	})
	if err := os.WriteFile(p, []byte(strings.Repeat("Great product, it works well.\n", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	close(release)
	n, j := follow(t, ctx, c, res.JobId)
	if j.JobStatus != job.Failed {
		t.Fatalf("job %s %q; want FAILED on its replaced input", j.JobStatus, j.Message)
	}
	close(late)
	waitFor(t, ctx, "the late shard to be recorded", func() bool {
		var n int
		err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM shards WHERE tenant = 'local' AND job = ? AND shard = 1`, res.JobId).Scan(&n)
		return err == nil && n == 1
	})
	after, err := c.Describe(ctx, res.JobId)
	if err != nil {
		t.Fatal(err)
	}
	d := after.JobDetails
	if d.InputDocumentsCount != n.InputDocumentsCount || d.ProcessedDocumentsCount != n.ProcessedDocumentsCount ||
		d.DocumentsWithErrorsCount != n.DocumentsWithErrorsCount || d.ShardsDone != j.JobDetails.ShardsDone {
		t.Fatalf("after the late shard: %+v; want the counters the notification carried (%d/%d/%d, ShardsDone %d)",
			d, n.InputDocumentsCount, n.ProcessedDocumentsCount, n.DocumentsWithErrorsCount, j.JobDetails.ShardsDone)
	}
}

// storedLineJob writes 200 generated lines into the store as inputs/local/<name>/lines.txt and
// creates a LANGUAGE+SENTIMENT line job named name on it (its S3Uri, not an upload); it returns
// the input's path, which a test may replace or delete while the job runs.
func storedLineJob(t *testing.T, ctx context.Context, s *Stack, name string) (string, *api.CreateJobResult) {
	t.Helper()
	input, _ := genInput(200)
	p := filepath.Join(s.objectsDir, "inputs", "local", name, "lines.txt")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, input, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	req := lineJob(name, job.OneDocPerLine)
	req.InputDataConfig.S3Uri = FileURI(abs)
	res, err := defaultClient(s).CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return p, res
}

// TestDropIgnoredFilesWarn: a file that will never be analysed is said at WARN, the default
// level, once: one in a folder without a rule (a typo in its name), one at a ONE_DOC_PER_FILE
// rule's top level (in no batch, so no marker starts it). Found from outside: both were logged
// at INFO and DEBUG, so nothing showed that the files were dropped for nothing.
func TestDropIgnoredFilesWarn(t *testing.T) {
	s, logs := startStackLogging(t, dropConfig())
	ctx := testCtx(t)
	c := defaultClient(s)
	if _, err := c.PutDropRule(ctx, "files", lineJob("", job.OneDocPerFile)); err != nil {
		t.Fatal(err)
	}
	typo := dropFile(t, s, "flies", "a.txt", []byte("dropped in a folder without a rule\n"))
	top := dropFile(t, s, "files", "loose.txt", []byte("dropped outside any batch\n"))
	warnedOnce(t, ctx, s, logs, typo, "object dropped in a folder that has no drop rule; ignored")
	warnedOnce(t, ctx, s, logs, top, "document at a ONE_DOC_PER_FILE drop rule's top level is in no batch; ignored (put the files and a _SUCCESS marker in drop/files/<batch>/)")
}

// warnedOnce waits for the log record msg about key, lets two sweeps run, and checks that the
// record is there once, at WARN: not repeated by the sweeps.
func warnedOnce(t *testing.T, ctx context.Context, s *Stack, logs *logRecords, key, msg string) {
	t.Helper()
	waitFor(t, ctx, "the log record of "+key, func() bool { return len(logs.matching(t, msg, key)) > 0 })
	for range 2 {
		if _, err := s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if recs := logs.matching(t, msg, key); len(recs) != 1 || recs[0]["level"] != "WARN" {
		t.Errorf("%s: %d records %v; want one, at WARN, not repeated by the sweeps", key, len(recs), recs)
	}
}

// TestDropWatchBudget: the watcher watches at most maxDropWatches folders (each an inotify watch
// of the user, a limit every process of that user shares; found from outside: deep folder trees
// uploaded into a drop folder took the user's whole allowance), says so once, and a file in a
// folder beyond the budget still starts its job, found by the sweep.
func TestDropWatchBudget(t *testing.T) {
	// Restored after the stack's own cleanup (cleanups run last first), once its watcher, which
	// reads it, has stopped.
	n := maxDropWatches
	t.Cleanup(func() { maxDropWatches = n })
	maxDropWatches = 6 // inputs, the tenant's folder, its drop folder, the rule's, and two more
	cfg := dropConfig()
	cfg.SweepInterval = Duration(time.Hour) // swept by hand below
	s, logs := startStackLogging(t, cfg)
	ctx := testCtx(t)
	c := defaultClient(s)
	if _, err := c.PutDropRule(ctx, "lines", lineJob("", job.OneDocPerLine)); err != nil {
		t.Fatalf("put rule: %v", err)
	}
	deep := strings.Repeat("d/", 12)
	key := dropFile(t, s, "lines", deep+"a.txt", []byte("The train was late again.\n"))
	time.Sleep(300 * time.Millisecond) // settled (dropSettle 50ms): the watcher could not see it
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	j := waitDropJob(t, ctx, c, "lines", key)
	follow(t, ctx, c, j.JobId)
	full := logs.containing(t, "the watcher watches its maximum of folders")
	if len(full) != 1 || full[0]["level"] != "WARN" {
		t.Errorf("%d records of the full budget (%v); want one, at WARN", len(full), full)
	}
	if n := len(logs.containing(t, "cannot watch a drop folder")); n != 0 {
		t.Errorf("%d 'cannot watch' records; want none (the budget is not a failure)", n)
	}
}
