package pipeline_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/local"
	"github.com/ream-dev/ream/shared/pipeline"
)

// The upload events of a ONE_DOC_PER_FILE upload's files arrive in any order and, when the
// ingest is behind, may all find every file there. Only the event that started the job plans and
// enqueues it: the others are ignored, so the shards are queued once, not once per file. A
// repeat of the starting event (its handler died after marking the job IN_PROGRESS and before
// enqueueing) still re-enqueues the unrecorded shards.
func TestSiblingUploadEventsEnqueueOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := local.OpenDB(filepath.Join(dir, "ream.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	objects, err := local.NewObjects(dir, "http://127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := analysis.DefaultRegistry()
	if err != nil {
		t.Fatal(err)
	}
	notifier := local.NewNotifier(db, nil)
	t.Cleanup(func() { notifier.Close(context.Background()) })
	jobs, queue := local.NewJobs(db), local.NewQueue(db, "shards", 3)
	svc := pipeline.New(pipeline.Deps{
		Jobs: jobs, Objects: objects, Queue: queue, Notifier: notifier, Analyzers: reg,
		Config: pipeline.Config{ShardBytes: 16, Locations: pipeline.Locations{Base: "s3://bucket/"}},
		Log:    slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})

	files := []string{"a.txt", "b.txt", "c.txt", "d.txt", "e.txt"}
	var req api.CreateJobRequest
	req.JobName = "siblings"
	req.LanguageCode = "en"
	req.Analyses = []job.Analysis{job.Language}
	req.InputDataConfig.InputFormat = job.OneDocPerFile
	req.UploadFiles = files
	created, err := svc.CreateJob(ctx, "local", req)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := jobs.Get(ctx, "local", created.JobId)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range files {
		key := stored.InputKey + f
		if err := objects.Put(ctx, key, strings.NewReader("Ceci est le document "+f+", écrit en français.")); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key)
	}
	waiting := func() int64 {
		t.Helper()
		n, err := queue.Waiting(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Every file is there before any event is handled: each event finds the upload complete.
	for _, k := range keys {
		if err := svc.InputArrived(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	j, err := svc.Describe(ctx, "local", created.JobId)
	if err != nil {
		t.Fatal(err)
	}
	shards := int64(j.JobDetails.ShardsTotal)
	if j.JobStatus != job.InProgress || shards < 2 {
		t.Fatalf("job %s with %d shards; want IN_PROGRESS with several", j.JobStatus, shards)
	}
	if got := waiting(); got != shards {
		t.Fatalf("%d shard messages queued after the %d files' events; want %d (each shard once)", got, len(keys), shards)
	}
	// The starting event again (its first handling died before enqueueing): enqueued again.
	if err := svc.InputArrived(ctx, keys[0]); err != nil {
		t.Fatal(err)
	}
	if got := waiting(); got != 2*shards {
		t.Fatalf("%d shard messages queued after the starting event came back; want %d", got, 2*shards)
	}
}
