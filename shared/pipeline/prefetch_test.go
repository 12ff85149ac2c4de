package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// aheadObjects is an object store whose worker read (OpenInfo) of first waits until second's
// has begun (or a minute, a guard that only ends a wait that never succeeds), recording
// whether it did.
type aheadObjects struct {
	pipeline.Objects
	first, second string
	once          sync.Once
	began         chan struct{}
	overlapped    bool
}

func (a *aheadObjects) OpenInfo(ctx context.Context, key string) (io.ReadCloser, pipeline.ObjectInfo, error) {
	switch key {
	case a.second:
		a.once.Do(func() { close(a.began) })
	case a.first:
		select {
		case <-a.began:
			a.overlapped = true
		case <-time.After(time.Minute):
		}
	}
	return a.Objects.OpenInfo(ctx, key)
}

// TestPackedFilesOpenedAhead: the files of one shard, small line files packed together or
// ONE_DOC_PER_FILE files, are opened ahead of the one being read (input.Prefetch), so the
// store's first-byte latency is not paid by each file in turn; the job's results are as
// before. Before, the second file was opened only after the first was read and analysed.
func TestPackedFilesOpenedAhead(t *testing.T) {
	ctx := context.Background()
	for _, format := range []job.Format{job.OneDocPerLine, job.OneDocPerFile} {
		t.Run(string(format), func(t *testing.T) {
			st := newLocalService(t, pipeline.Config{}, nil)
			a := &aheadObjects{Objects: st.objects, first: "inputs/local/dir/f00.txt", second: "inputs/local/dir/f01.txt", began: make(chan struct{})}
			st.deps.Objects = a
			st.svc = pipeline.New(st.deps)
			for i := range 20 {
				text := fmt.Sprintf("A fine day number %d.\nA poor day number %d.\n", i, i)
				if format == job.OneDocPerFile {
					text = fmt.Sprintf("A fine day number %d.", i)
				}
				if err := st.objects.Put(ctx, fmt.Sprintf("inputs/local/dir/f%02d.txt", i), strings.NewReader(text)); err != nil {
					t.Fatal(err)
				}
			}
			created, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{Analyses: []job.Analysis{job.Sentiment},
				InputDataConfig: job.InputDataConfig{S3Uri: "s3://bucket/inputs/local/dir/", InputFormat: format}})
			if err != nil {
				t.Fatal(err)
			}
			processQueue(t, ctx, st.svc, st.queue)
			j, err := st.jobs.Get(ctx, "local", created.JobId)
			if err != nil {
				t.Fatal(err)
			}
			want := int64(40)
			if format == job.OneDocPerFile {
				want = 20
			}
			if j.JobStatus != job.Completed || j.JobDetails.ShardsTotal != 1 || j.JobDetails.InputDocumentsCount != want || j.JobDetails.DocumentsWithErrorsCount != 0 {
				t.Fatalf("job %s (%s): %d shards, %d documents, %d with errors", j.JobStatus, j.Message, j.JobDetails.ShardsTotal, j.JobDetails.InputDocumentsCount, j.JobDetails.DocumentsWithErrorsCount)
			}
			if !a.overlapped {
				t.Fatal("the shard's second file was not opened while its first was")
			}
		})
	}
}
