package pipeline_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestManifestLinesCountErrorRecords: the manifest's Output.Lines is the number of lines in the
// output, error records included (every document is there once, as a result or an error
// record), so it equals InputDocumentsCount.
func TestManifestLinesCountErrorRecords(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	id := storedLineJob(t, ctx, st, nil, "inputs/local/in.txt", "a good line\n\xff\xfe bad\nanother good line\n", job.Language, nil)
	processQueue(t, ctx, st.svc, st.queue)
	j, err := st.jobs.Get(ctx, "local", id)
	if err != nil {
		t.Fatal(err)
	}
	if j.JobStatus != job.PartialSuccess || j.JobDetails.InputDocumentsCount != 3 || j.JobDetails.DocumentsWithErrorsCount != 1 {
		t.Fatalf("job %s %+v; want PARTIAL_SUCCESS, 3 documents, 1 error", j.JobStatus, j.JobDetails)
	}
	key, _ := strings.CutPrefix(j.OutputDataConfig.S3Uri, "s3://bucket/")
	rc, err := st.objects.Open(ctx, key+api.ManifestName, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var m struct{ Output output.OutputInfo }
	if err := json.NewDecoder(rc).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if m.Output.Lines != 3 {
		t.Errorf("manifest Output.Lines %d; want 3 (InputDocumentsCount)", m.Output.Lines)
	}
}
