package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestDropObjectReplacedBeforePlanning: two uploads of one name under a line-format drop rule
// at once (or an S3 event that comes after the object was written again) start a job per
// version, and the event of the first version is taken after the second version replaced it.
// Its job FAILS saying the object was replaced and the new version starts a job of its own; the
// new version's job analyses the new version once. Before, the first version's job planned on
// the second version's bytes and COMPLETED with them under the first version's DropObject, so
// the second version was analysed twice and the first never.
func TestDropObjectReplacedBeforePlanning(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	if _, err := st.svc.PutDropRule(ctx, "local", "lines", api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}); err != nil {
		t.Fatal(err)
	}
	key := "inputs/local/drop/lines/export.txt"
	version := func(text string) pipeline.CreatedObject {
		if err := st.objects.Put(ctx, key, strings.NewReader(text)); err != nil {
			t.Fatal(err)
		}
		info, err := st.objects.Head(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return pipeline.CreatedObject{Key: key, ETag: info.ETag}
	}
	first := version("The first version.\n")
	second := version("The second version, of two documents.\nIts second document.\n")
	if first.ETag == second.ETag {
		t.Fatalf("both versions have ETag %s", first.ETag)
	}
	for _, o := range []pipeline.CreatedObject{first, second} {
		if err := st.svc.DropArrived(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	processQueue(t, ctx, st.svc, st.queue)
	jobs, _, err := st.jobs.List(ctx, "local", api.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byETag := map[string]*job.Job{}
	for _, j := range jobs {
		byETag[j.DropObject.ETag] = j
	}
	if len(jobs) != 2 || byETag[first.ETag] == nil || byETag[second.ETag] == nil {
		t.Fatalf("%d jobs %v; want one per version", len(jobs), byETag)
	}
	if j := byETag[first.ETag]; j.JobStatus != job.Failed || !strings.Contains(j.Message, "was replaced before the job was planned; the new version starts a job of its own under drop rule lines") ||
		j.JobDetails.InputDocumentsCount != 0 {
		t.Errorf("first version's job: %s %q %+v; want FAILED, replaced, no documents", j.JobStatus, j.Message, j.JobDetails)
	}
	if j := byETag[second.ETag]; j.JobStatus != job.Completed || j.JobDetails.InputDocumentsCount != 2 {
		t.Errorf("second version's job: %s %q %+v; want COMPLETED over its 2 documents", j.JobStatus, j.Message, j.JobDetails)
	}
}
