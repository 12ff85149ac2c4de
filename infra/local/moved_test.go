package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestDataDirectoryMoved: a data directory copied or moved to another path (a restore, another
// machine) goes on working: its jobs, drop rules and notifications name the store where it is
// now, a finished job retries, a drop rule with an output location of its own starts its jobs,
// and deleting a job deletes its output in that location. Before, the records kept naming the
// old path, which was "not in this deployment's store": the retry was refused 400, the dropped
// file started a FAILED job and the deleted job's output stayed.
func TestDataDirectoryMoved(t *testing.T) {
	ctx := testCtx(t)
	root := t.TempDir()
	cfg := dropConfig()
	cfg.DataDir = filepath.Join(root, "before")
	cfg.Addr = "127.0.0.1:0"
	cfg.PollInterval = Duration(10 * time.Millisecond)
	cfg.Workers = 2
	s, err := Start(ctx, cfg, Options{Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	oldBase := FileURI(filepath.ToSlash(s.objectsDir)) + "/"
	c := defaultClient(s)
	req := lineJob("moved", job.OneDocPerLine)
	req.OutputDataConfig.S3Uri = oldBase + "outputs/local/mine/"
	res := createAndUpload(t, ctx, c, req, readSample(t)) // French and German lines: SENTIMENT's UNSUPPORTED_LANGUAGE
	n, _ := follow(t, ctx, c, res.JobId)
	if n.JobStatus != job.PartialSuccess {
		t.Fatalf("job ended %s; want PARTIAL_SUCCESS", n.JobStatus)
	}
	rule := lineJob("", job.OneDocPerLine)
	rule.OutputDataConfig.S3Uri = oldBase + "outputs/local/dropped/"
	if _, err := c.PutDropRule(ctx, "nightly", rule); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	cfg.DataDir = filepath.Join(root, "after")
	if err := os.Rename(filepath.Join(root, "before"), cfg.DataDir); err != nil {
		t.Fatal(err)
	}
	s = startStack(t, cfg, pipeline.Hooks{})
	c = defaultClient(s)
	base := FileURI(filepath.ToSlash(s.objectsDir)) + "/"

	j, err := c.Describe(ctx, res.JobId)
	if err != nil {
		t.Fatal(err)
	}
	for what, uri := range map[string]string{"input": j.InputDataConfig.S3Uri, "output": j.OutputDataConfig.S3Uri, "manifest": j.ManifestFilePath} {
		if !strings.HasPrefix(uri, base) {
			t.Errorf("the job's %s is %s; want it under %s", what, uri, base)
		}
	}
	if recs, _ := fetchResults(t, ctx, c, res.JobId); len(recs) == 0 {
		t.Error("the job's results are empty after the move")
	}

	child, err := c.Retry(ctx, res.JobId, api.RetryRequest{ErrorCodes: []string{"UNSUPPORTED_LANGUAGE"}})
	if err != nil {
		t.Fatalf("retry after the move: %v", err)
	}
	if want := base + "outputs/local/mine/" + child.JobId + "/"; child.OutputDataConfig.S3Uri != want {
		t.Errorf("retry's output is %s; want %s (its parent's location)", child.OutputDataConfig.S3Uri, want)
	}
	follow(t, ctx, c, child.JobId)

	r, err := c.GetDropRule(ctx, "nightly")
	if err != nil {
		t.Fatal(err)
	}
	if r.Location != base+"inputs/local/drop/nightly/" || r.Template.OutputDataConfig.S3Uri != base+"outputs/local/dropped/" {
		t.Errorf("drop rule names %s, output %s; want them under %s", r.Location, r.Template.OutputDataConfig.S3Uri, base)
	}
	key := dropFile(t, s, "nightly", "a.txt", []byte("a lovely film\n"))
	dj := waitDropJob(t, ctx, c, "nightly", key)
	if n, _ := follow(t, ctx, c, dj.JobId); n.JobStatus != job.Completed {
		t.Errorf("dropped file's job ended %s (%s); want COMPLETED", n.JobStatus, n.Message)
	}

	out := filepath.Join(s.objectsDir, "outputs", "local", "mine", res.JobId)
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, res.JobId); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the deleted job's output folder %s is still there (%v)", out, err)
	}
}
