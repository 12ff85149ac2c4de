package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// archivedObjects is an object store whose Open of an archived key fails as the S3 adapter's
// does for an object in an archive storage class (GetObject's 403 InvalidObjectState); Head and
// List still answer, as S3's do for such an object.
type archivedObjects struct {
	pipeline.Objects
	mu   sync.Mutex
	keys map[string]bool
}

func (a *archivedObjects) archive(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys[key] = true
}

func (a *archivedObjects) restore(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.keys, key)
}

func (a *archivedObjects) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	a.mu.Lock()
	archived := a.keys[key]
	a.mu.Unlock()
	if archived {
		return nil, fmt.Errorf("open s3://bucket/%s: %w: %w", key, &job.ArchivedError{Class: "GLACIER"},
			errors.New("api error InvalidObjectState: The operation is not valid for the object's storage class"))
	}
	return a.Objects.Open(ctx, key, offset)
}

// OpenInfo fails as Open does: the worker reads a listed file with it (one GET and its answer's
// size and ETag), and S3 refuses an archived object's GetObject alike.
func (a *archivedObjects) OpenInfo(ctx context.Context, key string) (io.ReadCloser, pipeline.ObjectInfo, error) {
	a.mu.Lock()
	archived := a.keys[key]
	a.mu.Unlock()
	if archived {
		_, err := a.Open(ctx, key, 0)
		return nil, pipeline.ObjectInfo{}, err
	}
	return a.Objects.OpenInfo(ctx, key)
}

// withArchive puts an archivedObjects in front of st's store and returns st with a service on it.
func withArchive(st localService) (localService, *archivedObjects) {
	a := &archivedObjects{Objects: st.objects, keys: map[string]bool{}}
	st.deps.Objects = a
	st.svc = pipeline.New(st.deps)
	return st, a
}

// TestArchivedInput: an input object in an archive storage class (S3 Glacier Flexible Retrieval,
// Deep Archive, Intelligent-Tiering's archive tiers), which S3 does not read until it is
// restored, is an error naming its storage class and saying to restore it: in a ONE_DOC_PER_FILE
// input, that file's UNREADABLE_FILE record, the other files analysed; a line input fails its
// job at planning, or when it is archived after planning, at its shard. Once restored, a retry of
// the UNREADABLE_FILE documents reads the file. Before, the read's error
// was returned as the store's, so each delivery failed alike until the shard was dead-lettered
// (SHARD_FAILED records, saying nothing of the storage class) or the plan message failed.
func TestArchivedInput(t *testing.T) {
	ctx := context.Background()
	getJob := func(t *testing.T, st localService, id string) *job.Job {
		t.Helper()
		j, err := st.jobs.Get(ctx, "local", id)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	wantAdvice := func(t *testing.T, what, msg string) {
		t.Helper()
		if !strings.Contains(msg, "storage class GLACIER") || !strings.Contains(msg, "restore it") {
			t.Errorf("%s %q; want the storage class named and a restore asked for", what, msg)
		}
	}

	t.Run("one doc per file", func(t *testing.T) {
		st, arch := withArchive(newLocalService(t, pipeline.Config{}, nil))
		arch.archive("inputs/local/dir/a.txt")
		id := perFileJob(t, ctx, st, map[string]string{"a.txt": "A fine day for a walk.", "b.txt": "A fine day for a swim."})
		processQueue(t, ctx, st.svc, st.queue)
		j := getJob(t, st, id)
		if j.JobStatus != job.PartialSuccess || j.JobDetails.DocumentsWithErrorsCount != 1 || j.JobDetails.ProcessedDocumentsCount != 1 {
			t.Fatalf("job %s (%s) %+v; want PARTIAL_SUCCESS, b.txt analysed and a.txt an error", j.JobStatus, j.Message, j.JobDetails)
		}
		page, err := st.svc.Errors(ctx, "local", id, api.ErrorsFilter{})
		if err != nil || len(page.Errors) != 1 {
			t.Fatalf("errors %+v, %v; want a.txt's record", page, err)
		}
		rec := string(page.Errors[0])
		if !strings.Contains(rec, `"File":"a.txt"`) || !strings.Contains(rec, job.CodeUnreadableFile) {
			t.Errorf("record %s; want a.txt's UNREADABLE_FILE", rec)
		}
		wantAdvice(t, "record", rec)

		// Restored, the file is read by a retry of those documents, as the message says.
		arch.restore("inputs/local/dir/a.txt")
		child, err := st.svc.Retry(ctx, "local", id, api.RetryRequest{ErrorCodes: []string{job.CodeUnreadableFile}})
		if err != nil {
			t.Fatal(err)
		}
		processQueue(t, ctx, st.svc, st.queue)
		if c := getJob(t, st, child.JobId); c.JobStatus != job.Completed || c.JobDetails.ProcessedDocumentsCount != 1 {
			t.Errorf("retry after the restore: %s (%s) %+v; want COMPLETED with a.txt analysed", c.JobStatus, c.Message, c.JobDetails)
		}
	})

	t.Run("line input at planning", func(t *testing.T) {
		st, arch := withArchive(newLocalService(t, pipeline.Config{}, nil))
		arch.archive("inputs/local/reviews.txt")
		id := storedLineJob(t, ctx, st, st.svc, "inputs/local/reviews.txt", "A fine day.\nA poor day.\n", job.Sentiment, nil)
		processQueue(t, ctx, st.svc, st.queue)
		j := getJob(t, st, id)
		if j.JobStatus != job.Failed || !strings.Contains(j.Message, "s3://bucket/inputs/local/reviews.txt") {
			t.Fatalf("job %s (%s); want FAILED naming the object", j.JobStatus, j.Message)
		}
		wantAdvice(t, "Message", j.Message)
	})

	t.Run("retry of a line input archived since it ran", func(t *testing.T) {
		// The child is planned from the parent's input, which planning reads again: it FAILS
		// naming the storage class, as a new job on that input does (before, the read's error
		// was returned, so the plan message failed on every delivery until it was dead-lettered).
		st, arch := withArchive(newLocalService(t, pipeline.Config{}, nil))
		id := storedLineJob(t, ctx, st, st.svc, "inputs/local/reviews.txt", "A fine day.\n\nA poor day.\n", job.Sentiment, nil)
		processQueue(t, ctx, st.svc, st.queue)
		if j := getJob(t, st, id); j.JobStatus != job.PartialSuccess {
			t.Fatalf("parent %s (%s); want PARTIAL_SUCCESS, its empty line an error", j.JobStatus, j.Message)
		}
		arch.archive("inputs/local/reviews.txt")
		child, err := st.svc.Retry(ctx, "local", id, api.RetryRequest{ErrorCodes: []string{job.CodeEmptyDocument}})
		if err != nil {
			t.Fatal(err)
		}
		processQueue(t, ctx, st.svc, st.queue)
		c := getJob(t, st, child.JobId)
		if c.JobStatus != job.Failed || !strings.Contains(c.Message, "s3://bucket/inputs/local/reviews.txt") {
			t.Fatalf("retry child %s (%s); want FAILED naming the parent's input", c.JobStatus, c.Message)
		}
		wantAdvice(t, "Message", c.Message)
	})

	t.Run("TOPICS line input archived after planning", func(t *testing.T) {
		// Every stage reads the input again; before, the stage's shard returned the store's
		// error on every delivery until dead-lettered, and the job FAILED "shard 0 failed
		// repeatedly ... the topic model cannot be fitted without it", naming no class.
		j := archivedAfterPlanning(t, "inputs/local/reviews.txt", "A fine day.\nA poor day.\n", job.Topics, nil)
		if j.JobStatus != job.Failed || !strings.Contains(j.Message, "s3://bucket/inputs/local/reviews.txt") {
			t.Fatalf("job %s (%s); want FAILED naming the object", j.JobStatus, j.Message)
		}
		wantAdvice(t, "Message", j.Message)
	})

	t.Run("CODING_TRAINING input archived after planning", func(t *testing.T) {
		j := archivedAfterPlanning(t, "inputs/local/train.jsonl", `{"code":"223","occp_text":"nurse","tasks_text":"care"}`+"\n", job.CodingTraining, func(r *api.CreateJobRequest) {
			r.InputDataConfig.InputFormat = job.JSONLines
			r.CodingConfig = &job.CodingConfig{Topic: "occupation"}
		})
		if j.JobStatus != job.Failed || !strings.Contains(j.Message, "s3://bucket/inputs/local/train.jsonl") || strings.Contains(j.Message, "InvalidObjectState") {
			t.Fatalf("job %s (%s); want FAILED naming the object, without the store's words", j.JobStatus, j.Message)
		}
		wantAdvice(t, "Message", j.Message)
	})

	t.Run("line input archived after planning", func(t *testing.T) {
		j := archivedAfterPlanning(t, "inputs/local/reviews.txt", "A fine day.\nA poor day.\n", job.Sentiment, nil)
		if j.JobStatus != job.Failed || !strings.Contains(j.Message, "s3://bucket/inputs/local/reviews.txt") {
			t.Fatalf("job %s (%s); want FAILED naming the object", j.JobStatus, j.Message)
		}
		wantAdvice(t, "Message", j.Message)
	})
}

// archivedAfterPlanning runs a job of analysis over key (holding body) on a local service whose
// store archives key once the job is planned, and returns the job as the queue left it.
func archivedAfterPlanning(t *testing.T, key, body string, analysis job.Analysis, mod func(*api.CreateJobRequest)) *job.Job {
	t.Helper()
	ctx := context.Background()
	st, arch := withArchive(newLocalService(t, pipeline.Config{}, nil))
	id := storedLineJob(t, ctx, st, st.svc, key, body, analysis, mod)
	arch.archive(key)
	processQueue(t, ctx, st.svc, st.queue)
	j, err := st.jobs.Get(ctx, "local", id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}
