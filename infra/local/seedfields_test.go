package local

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

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

// TestRetentionHours: a job's RetentionHours sets its ExpirationTime (EndTime + that many hours)
// within the deployment's retention; outside 1..retention it is a 400 and no job is stored.
func TestRetentionHours(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{Retention: Duration(48 * time.Hour)}, pipeline.Hooks{})
	c := defaultClient(s)
	for _, h := range []int{-1, 49, 24 * 3660} {
		req := lineJob("retention-bad", job.OneDocPerLine)
		req.RetentionHours = h
		_, err := c.CreateJob(ctx, req)
		if e := wantAPIError(t, err, http.StatusBadRequest, fmt.Sprintf("RetentionHours %d", h)); e != nil && !strings.Contains(e.Message, "between 1 and 48") {
			t.Errorf("RetentionHours %d: %q does not give the bounds", h, e.Message)
		}
	}
	if l, err := c.List(ctx, listAll()); err != nil || len(l.Jobs) != 0 {
		t.Fatalf("refused creates stored %d jobs (%v)", len(l.Jobs), err)
	}
	for _, tc := range []struct {
		hours int
		want  time.Duration
	}{{2, 2 * time.Hour}, {48, 48 * time.Hour}, {0, 48 * time.Hour}} {
		req := lineJob("retention", job.OneDocPerLine)
		req.RetentionHours = tc.hours
		res := createAndUpload(t, ctx, c, req, []byte("Great value.\n"))
		_, j := follow(t, ctx, c, res.JobId)
		if j.EndTime == nil || j.ExpirationTime == nil || j.ExpirationTime.Sub(*j.EndTime) != tc.want || j.RetentionHours != tc.hours {
			t.Errorf("RetentionHours %d: EndTime %v ExpirationTime %v (RetentionHours %d); want %s later", tc.hours, j.EndTime, j.ExpirationTime, j.RetentionHours, tc.want)
		}
	}
}
