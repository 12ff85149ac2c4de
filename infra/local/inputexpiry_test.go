package local

import (
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// writeInput writes a file at the object key under the stack's data directory dir, as a user
// copying it there would, with its modification time set to at (zero: now).
func writeInput(t *testing.T, dir, key string, at time.Time) string {
	t.Helper()
	p := filepath.Join(dir, "objects", filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("a document\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !at.IsZero() {
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func exists(p string) bool { _, err := os.Lstat(p); return err == nil }

// TestExpireInputs: the expiry pass deletes the files under objects/inputs/ older than
// inputRetention, as the bucket's lifecycle does on AWS (drop folders' files, S3Uri inputs,
// uploads; nothing deleted them locally, and each sweep listed every dropped file forever), and
// removes the batch folders it empties, but keeps newer files, each drop rule's folder, the
// tenant's drop folder and its folder, and does not follow symbolic links.
func TestExpireInputs(t *testing.T) {
	// The files' ages are set with os.Chtimes, which cannot set a change time.
	defer func(f func(os.FileInfo) time.Time) { fileArrived = f }(fileArrived)
	fileArrived = os.FileInfo.ModTime
	dir := t.TempDir()
	logs := &logRecords{}
	cfg := dropConfig()
	cfg.DataDir, cfg.Addr, cfg.PollInterval, cfg.Workers = dir, "127.0.0.1:0", Duration(10*time.Millisecond), 2
	cfg.InputRetention = Duration(2 * time.Hour)
	start := func() *Stack {
		t.Helper()
		s, err := Start(t.Context(), cfg, Options{Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ctx := testCtx(t)
	s := start()
	for _, rule := range []string{"batches", "emptied"} {
		if _, err := defaultClient(s).PutDropRule(ctx, rule, lineJob("", job.OneDocPerFile)); err != nil {
			t.Fatal(err)
		}
	}
	// The files are copied while the stack is stopped, so that none starts a job (the sweep at
	// start leaves the files that arrived before their rule was put, and a batch starts only
	// with its marker).
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-3 * time.Hour)
	batches, emptied := droprule.Prefix("local", "batches"), droprule.Prefix("local", "emptied")
	var olds, news []string
	for _, key := range []string{
		batches + "b1/a.txt", batches + "b1/sub/b.txt", batches + "b1/" + droprule.Marker, // a whole batch
		batches + "b2/a.txt", // a batch with a newer file
		emptied + "x.txt",    // a rule's folder's only file
		droprule.TenantPrefix("local") + "stray.txt",
		"inputs/local/data/2024/x.txt",     // an S3Uri input
		layout.UploadKey("local", "j-old"), // an upload
	} {
		olds = append(olds, writeInput(t, dir, key, old))
	}
	for _, key := range []string{batches + "b2/new.txt", batches + "b3/new.txt", "inputs/local/data/fresh.txt"} {
		news = append(news, writeInput(t, dir, key, time.Time{}))
	}
	// A link to a folder and a link to a file, both outside the store and old: not followed.
	outside := t.TempDir()
	outsideFile := writeInput(t, outside, "old.txt", old)
	objects := filepath.Join(dir, "objects")
	linkDir := filepath.Join(objects, filepath.FromSlash(batches), "linked")
	linkFile := filepath.Join(objects, filepath.FromSlash(batches), "linked.txt")
	if err := os.Symlink(filepath.Join(outside, "objects"), linkDir); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outsideFile, linkFile); err != nil {
		t.Fatal(err)
	}

	s = start()
	t.Cleanup(func() { s.Close() })
	if n := s.expireInputs(ctx, time.Now()); n != len(olds) {
		t.Errorf("expireInputs deleted %d files; want %d", n, len(olds))
	}
	for _, p := range olds {
		if exists(p) {
			t.Errorf("%s, older than inputRetention, is still there", p)
		}
	}
	for _, p := range append(news, outsideFile, linkDir, linkFile) {
		if !exists(p) {
			t.Errorf("%s is gone", p)
		}
	}
	folder := func(key string) string { return filepath.Join(objects, filepath.FromSlash(key)) }
	for _, key := range []string{batches, emptied, droprule.TenantPrefix("local"), layout.TenantInputs("local"), batches + "b2/", "inputs/local/data/"} {
		if fi, err := os.Stat(folder(key)); err != nil || !fi.IsDir() {
			t.Errorf("folder %s is gone: %v", key, err)
		}
	}
	for _, key := range []string{batches + "b1/", "inputs/local/data/2024/", "inputs/local/j-old/"} {
		if exists(folder(key)) {
			t.Errorf("folder %s, emptied, is still there", key)
		}
	}
	recs := logs.containing(t, "old inputs deleted")
	if len(recs) != 1 || recs[0]["files"] != float64(len(olds)) || recs[0]["inputRetention"] != "2h0m0s" {
		t.Errorf("logged %v; want one record of %d files", recs, len(olds))
	}
	// A second pass has nothing left to delete.
	if n := s.expireInputs(ctx, time.Now()); n != 0 {
		t.Errorf("a second pass deleted %d files", n)
	}
}

// TestSweepExpiresInputs: a sweep that starts an expiry pass deletes the old inputs; one that
// does not (the pass is not due) leaves them.
func TestSweepExpiresInputs(t *testing.T) {
	defer func(f func(os.FileInfo) time.Time) { fileArrived = f }(fileArrived)
	fileArrived = os.FileInfo.ModTime
	for _, c := range []struct {
		every   time.Duration
		deleted bool
	}{{time.Nanosecond, true}, {time.Hour, false}} {
		s := startStack(t, Config{InputRetention: Duration(time.Hour), ExpiryPassEvery: Duration(c.every)}, pipeline.Hooks{})
		p := writeInput(t, filepath.Dir(s.objectsDir), "inputs/local/data/old.txt", time.Now().Add(-2*time.Hour))
		rep, err := s.Sweep(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		if exists(p) == c.deleted || rep.PassStarted != c.deleted {
			t.Errorf("expiryPassEvery %v: a sweep (pass started: %v) left the old input: %v; want %v", c.every, rep.PassStarted, exists(p), !c.deleted)
		}
	}
}

// TestExpireInputsKeepsRunningJobsInput: a running job's input is not deleted by the expiry of
// old inputs, however long ago it arrived: its shards still read it. Found in review: a job whose
// input arrived more than inputRetention before an expiry pass (a queue held for hours, a long
// TOPICS job, an S3Uri file that was already old, "retention": "1h" making inputRetention 1h)
// had its input deleted under it, and failed at its next shard with its input changed.
func TestExpireInputsKeepsRunningJobsInput(t *testing.T) {
	defer func(f func(os.FileInfo) time.Time) { fileArrived = f }(fileArrived)
	fileArrived = os.FileInfo.ModTime
	ctx := testCtx(t)
	started, release := make(chan struct{}), make(chan struct{})
	var startedOnce, releaseOnce sync.Once
	s := startStack(t, Config{InputRetention: Duration(time.Hour), SweepInterval: Duration(time.Hour)}, pipeline.Hooks{
		ShardStarted: func(pipeline.ShardMessage) error {
			startedOnce.Do(func() { close(started) })
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil
		},
	})
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	c := defaultClient(s)
	res := createAndUpload(t, ctx, c, lineJob("old input", job.OneDocPerLine), []byte("I love it.\nI hate it.\n"))
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("the job's shard never started")
	}
	p := filepath.Join(s.objectsDir, filepath.FromSlash(layout.UploadKey("local", res.JobId)))
	old := time.Now().Add(-3 * time.Hour)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	stray := writeInput(t, filepath.Dir(s.objectsDir), "inputs/local/data/old.txt", old)
	if n := s.expireInputs(ctx, time.Now()); n != 1 || exists(stray) {
		t.Errorf("expireInputs deleted %d files (the old file no job reads still there: %v); want 1", n, exists(stray))
	}
	if !exists(p) {
		t.Errorf("the running job's input %s was deleted", p)
	}
	releaseOnce.Do(func() { close(release) })
	if n, j := follow(t, ctx, c, res.JobId); n.JobStatus != job.Completed {
		t.Fatalf("job ended %s (%s); want COMPLETED", n.JobStatus, j.Message)
	}
}
