package local

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestManifestFilePath: Describe shows ManifestFilePath (Comprehend Medical's field) once a job
// is terminal: the manifest.json beside its output, in the store's URI form (as
// OutputDataConfig.S3Uri); a job still waiting, or one that ended without output, has none.
func TestManifestFilePath(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	res := createAndUpload(t, ctx, c, lineJob("manifest", job.OneDocPerLine), []byte("I love it.\nIt broke on day two.\n"))
	if res.ManifestFilePath != "" {
		t.Errorf("a job waiting for its input shows ManifestFilePath %q", res.ManifestFilePath)
	}
	_, j := follow(t, ctx, c, res.JobId)
	if want := j.OutputDataConfig.S3Uri + "manifest.json"; j.ManifestFilePath != want {
		t.Fatalf("ManifestFilePath %q, want %q", j.ManifestFilePath, want)
	}
	path, ok := strings.CutPrefix(j.ManifestFilePath, "file://")
	if !ok {
		t.Fatalf("ManifestFilePath %q is not in the local store's file:// form", j.ManifestFilePath)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the manifest is not at ManifestFilePath: %v", err)
	}
	var m output.Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.JobId != res.JobId || m.JobStatus != j.JobStatus {
		t.Errorf("manifest at ManifestFilePath: %+v (%v)", m, err)
	}
	// Listed jobs show it too.
	l, err := c.List(ctx, listAll())
	if err != nil {
		t.Fatal(err)
	}
	for _, lj := range l.Jobs {
		if lj.JobId == res.JobId && lj.ManifestFilePath != j.ManifestFilePath {
			t.Errorf("listed job's ManifestFilePath %q, want %q", lj.ManifestFilePath, j.ManifestFilePath)
		}
	}

	// Failed while planning (an empty input): no manifest was written, and none is shown.
	res = createAndUpload(t, ctx, c, lineJob("manifest-empty", job.OneDocPerLine), nil)
	if _, j := follow(t, ctx, c, res.JobId); j.JobStatus != job.Failed || j.ManifestFilePath != "" {
		t.Errorf("a job failed while planning: %s, ManifestFilePath %q; want FAILED with none", j.JobStatus, j.ManifestFilePath)
	}
}
