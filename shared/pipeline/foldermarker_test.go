package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// withFolderMarker is an object store that lists a "folder" marker (a zero-byte key ending in
// "/", as the S3 console's "Create folder" writes) under prefix, beside what the store holds:
// the local store cannot hold such a key, S3 can.
type withFolderMarker struct {
	pipeline.Objects
	prefix string
}

func (o *withFolderMarker) List(ctx context.Context, prefix string, fn func(pipeline.ObjectInfo) error) error {
	if o.prefix != "" && strings.HasPrefix(o.prefix, prefix) {
		if err := fn(pipeline.ObjectInfo{Key: o.prefix + "scans/"}); err != nil {
			return err
		}
	}
	return o.Objects.List(ctx, prefix, fn)
}

// TestFolderMarkerIsNoUpload: a ONE_DOC_PER_FILE upload job waits for every file it named; a
// folder marker under its upload folder is not one of them (found from outside: it was counted,
// so the job started one file early, without the last file).
func TestFolderMarkerIsNoUpload(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	objs := &withFolderMarker{Objects: st.objects}
	deps := st.deps
	deps.Objects = objs
	svc := pipeline.New(deps)
	res, err := svc.CreateJob(ctx, "local", api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerFile}, UploadFiles: []string{"a.txt", "b.txt"}})
	if err != nil {
		t.Fatal(err)
	}
	objs.prefix = res.InputKey
	if err := st.objects.Put(ctx, res.InputKey+"a.txt", strings.NewReader("The first document.")); err != nil {
		t.Fatal(err)
	}
	if err := svc.InputArrived(ctx, res.InputKey+"a.txt"); err != nil {
		t.Fatal(err)
	}
	if j, err := st.jobs.Get(ctx, "local", res.JobId); err != nil || j.JobStatus != job.AwaitingInput {
		t.Fatalf("one of two files and a folder marker uploaded: %v %v; want AWAITING_INPUT", j.JobStatus, err)
	}
	if err := st.objects.Put(ctx, res.InputKey+"b.txt", strings.NewReader("The second document.")); err != nil {
		t.Fatal(err)
	}
	if err := svc.InputArrived(ctx, res.InputKey+"b.txt"); err != nil {
		t.Fatal(err)
	}
	processQueue(t, ctx, svc, st.queue)
	j, err := st.jobs.Get(ctx, "local", res.JobId)
	if err != nil || j.JobStatus != job.Completed || j.JobDetails.InputDocumentsCount != 2 {
		t.Fatalf("both files uploaded: %+v %v; want COMPLETED with 2 documents", j, err)
	}
}
