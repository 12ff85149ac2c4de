package local

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestExpiredJobLeavesNoTraceInDatabase: once the sweep has expired a job, no file of the data
// directory holds its record any more: not ream.db's free space (SQLite left a deleted row's
// bytes there until it reused the space) and not the write-ahead log's older frames. Found by
// the data-lifecycle audit: an expired job's name, tags and file names stayed in ream.db and
// ream.db-wal after its record was deleted.
func TestExpiredJobLeavesNoTraceInDatabase(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{Retention: Duration(time.Second), ExpiryPassEvery: Duration(time.Second)}, pipeline.Hooks{})
	c := defaultClient(s)
	const name, tagValue = "name-of-a-job-to-forget", "tag-value-to-forget"
	req := lineJob(name, job.OneDocPerLine)
	req.Tags = []job.Tag{{Key: "case", Value: tagValue}}
	req.UploadFiles = []string{"patient-file-to-forget.txt"}
	res, err := c.CreateJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Uploads) != 1 {
		t.Fatalf("uploads: %+v", res.Uploads)
	}
	if err := c.Upload(ctx, res.Uploads[0].Presigned, writeTemp(t, "in", []byte("Lovely.\nAwful.\n"))); err != nil {
		t.Fatal(err)
	}
	_, j := follow(t, ctx, c, res.JobId)
	time.Sleep(time.Until(*j.ExpirationTime) + 100*time.Millisecond)
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Describe(ctx, res.JobId); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("describe after expiry: %v, want 404", err)
	}
	for _, f := range []string{"ream.db", "ream.db-wal"} {
		b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, what := range []string{res.JobId, name, tagValue, "patient-file-to-forget"} {
			if bytes.Contains(b, []byte(what)) {
				t.Errorf("%s still holds %q of the expired job", f, what)
			}
		}
	}
}

// TestUploadToExpiredJobRefused: an upload URL can outlive its job (the upload TTL is longer
// than a job's retention: here a job stopped before its input arrived, then expired), and a PUT
// to it after the job expired is refused with a 409 and stores nothing. It was stored, and kept,
// never analysed, until inputRetention, long after the job's data was deleted.
func TestUploadToExpiredJobRefused(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{Retention: Duration(time.Second), ExpiryPassEvery: Duration(time.Second)}, pipeline.Hooks{})
	c := defaultClient(s)
	res, err := c.CreateJob(ctx, lineJob("stopped-before-upload", job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stop(ctx, res.JobId); err != nil {
		t.Fatal(err)
	}
	j, err := c.Describe(ctx, res.JobId)
	if err != nil || j.JobStatus != job.Stopped || j.ExpirationTime == nil {
		t.Fatalf("after stop: %+v %v", j, err)
	}
	time.Sleep(time.Until(*j.ExpirationTime) + 100*time.Millisecond)
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Describe(ctx, res.JobId); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("describe after expiry: %v, want 404", err)
	}
	if time.Now().After(res.Upload.Expires) {
		t.Fatalf("the upload URL expired (%s) before the job did", res.Upload.Expires)
	}
	err = c.Upload(ctx, res.Upload.Presigned, writeTemp(t, "in", []byte("Too late.\n")))
	if err == nil || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "no longer exists") {
		t.Errorf("upload to the expired job: %v, want a 409 saying the job no longer exists", err)
	}
	if _, err := os.Stat(filepath.Join(s.cfg.DataDir, "objects", "inputs", "local", res.JobId)); !os.IsNotExist(err) {
		t.Errorf("the expired job's upload folder: %v, want none", err)
	}
}

// TestExpiryScrubSurvivesACrash: a server that died after a sweep expired a job and before its
// write-ahead log was scrubbed (a copy of its database files taken then is what a SIGKILL
// leaves) scrubs it at the first sweep after it starts again. The pending scrub was only in the
// dead process's memory, so ream.db-wal kept the expired job's record until SQLite happened to
// write over those frames: on a quiet server, for good.
func TestExpiryScrubSurvivesACrash(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{Retention: Duration(time.Second), ExpiryPassEvery: Duration(time.Second)}, pipeline.Hooks{})
	c := defaultClient(s)
	const name = "name-of-a-job-to-forget"
	res, err := c.CreateJob(ctx, lineJob(name, job.OneDocPerLine))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(ctx, res.Upload.Presigned, writeTemp(t, "in", []byte("Lovely.\nAwful.\n"))); err != nil {
		t.Fatal(err)
	}
	_, j := follow(t, ctx, c, res.JobId)
	time.Sleep(time.Until(*j.ExpirationTime) + 100*time.Millisecond)
	// The pipeline's sweep alone: the job is expired, and the process "dies" before its scrub.
	rep, err := s.Service.Sweep(ctx)
	if err != nil || rep.Expired == 0 {
		t.Fatalf("sweep: %+v %v, want the job expired", rep, err)
	}
	crashed := t.TempDir()
	for _, f := range []string{"ream.db", "ream.db-wal"} {
		b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(crashed, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(crashed, "ream.db-wal")); !bytes.Contains(b, []byte(name)) {
		t.Fatal("the write-ahead log left by the crash does not hold the expired job: the test shows nothing")
	}
	again := startStack(t, Config{DataDir: crashed, Retention: Duration(time.Second), ExpiryPassEvery: Duration(time.Second)}, pipeline.Hooks{})
	if _, err := again.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ream.db", "ream.db-wal"} {
		b, err := os.ReadFile(filepath.Join(crashed, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(name)) {
			t.Errorf("%s still holds the expired job after the restart's first sweep", f)
		}
	}
}
