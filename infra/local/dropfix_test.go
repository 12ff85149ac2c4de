package local

import (
	"sort"
	"strings"
	"testing"

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
