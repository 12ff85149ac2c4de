package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestDropObjectDeletedBeforePlanning: an object dropped under a line-format rule and then
// renamed (an mv: copy to a name that starts with the old one, such as export.txt.done, and a
// delete) before its event is taken. Its job FAILS saying the object was deleted; before, the
// planner, finding no object under the key, read the key as a prefix and analysed
// export.txt.done under export.txt's job, a second time beside the job of its own.
func TestDropObjectDeletedBeforePlanning(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	if _, err := st.svc.PutDropRule(ctx, "local", "lines", api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}); err != nil {
		t.Fatal(err)
	}
	put := func(key, text string) pipeline.CreatedObject {
		if err := st.objects.Put(ctx, key, strings.NewReader(text)); err != nil {
			t.Fatal(err)
		}
		info, err := st.objects.Head(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return pipeline.CreatedObject{Key: key, ETag: info.ETag}
	}
	key := "inputs/local/drop/lines/export.txt"
	dropped := put(key, "The export.\nIts second document.\n")
	renamed := put(key+".done", "The export.\nIts second document.\n")
	if err := st.objects.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	for _, o := range []pipeline.CreatedObject{dropped, renamed} {
		if err := st.svc.DropArrived(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	processQueue(t, ctx, st.svc, st.queue)
	jobs, _, err := st.jobs.List(ctx, "local", api.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]*job.Job{}
	for _, j := range jobs {
		byKey[j.DropObject.Key] = j
	}
	if len(jobs) != 2 || byKey[dropped.Key] == nil || byKey[renamed.Key] == nil {
		t.Fatalf("%d jobs %v; want one per object", len(jobs), byKey)
	}
	if j := byKey[dropped.Key]; j.JobStatus != job.Failed || !strings.Contains(j.Message, "was deleted before the job was planned") ||
		j.JobDetails.InputDocumentsCount != 0 {
		t.Errorf("deleted object's job: %s %q %+v; want FAILED, deleted, no documents", j.JobStatus, j.Message, j.JobDetails)
	}
	if j := byKey[renamed.Key]; j.JobStatus != job.Completed || j.JobDetails.InputDocumentsCount != 2 {
		t.Errorf("renamed object's job: %s %q %+v; want COMPLETED over its 2 documents", j.JobStatus, j.Message, j.JobDetails)
	}
}
