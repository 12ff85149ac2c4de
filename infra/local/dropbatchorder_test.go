package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
)

// TestDropBatchMarkerWaitsForItsBatch: a folder that already holds its _SUCCESS marker (Spark's
// output) copied into a ONE_DOC_PER_FILE rule's folder as rsync copies it: the marker first (in
// name order, "_SUCCESS" sorts before "part-*"), then each part under a hidden temporary name,
// renamed into place once whole. The marker is not reported by the watcher (nor by the sweep,
// which asks the same batchArriving) while a file of its batch is still arriving; once the batch has settled it starts one job
// over every part. Before, the marker was reported as soon as it had settled itself, and its job
// FAILED with "no documents" (or ran on the parts there by then), while the parts that came
// after it started nothing.
func TestDropBatchMarkerWaitsForItsBatch(t *testing.T) {
	const settle = time.Hour // the stack's own watcher and sweep leave the files alone
	s := startStack(t, Config{DropSettle: Duration(settle), SweepInterval: Duration(time.Hour)}, pipeline.Hooks{})
	ctx := testCtx(t)
	c := defaultClient(s)
	if _, err := c.PutDropRule(ctx, "spark", lineJob("", job.OneDocPerFile)); err != nil {
		t.Fatal(err)
	}
	// Arrival is the modification time here, so that os.Chtimes can age a file.
	defer func(f func(os.FileInfo) time.Time) { fileArrived = f }(fileArrived)
	fileArrived = os.FileInfo.ModTime
	batch := filepath.Join(s.objectsDir, filepath.FromSlash(droprule.Prefix("local", "spark")), "run-1")
	if err := os.MkdirAll(batch, 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * settle)
	write := func(name, text string, at time.Time) string {
		p := filepath.Join(batch, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
		return p
	}
	marker := write(droprule.Marker, "", old)
	write("part-00000", "The first part is here.", old)
	tmp := write(".part-00001.Xy12Ab", "The second part is still", time.Now()) // rsync is writing it

	dw := &dropWatcher{s: s, inputs: filepath.Join(s.objectsDir, "inputs"), settle: settle, pending: map[string]time.Time{}}
	dw.pending[marker] = old
	dw.flush(ctx)
	if jobs := dropJobs(t, ctx, c, "spark"); len(jobs) != 0 {
		t.Fatalf("the marker started %d jobs (%s: %q) while a file of its batch was still arriving", len(jobs), jobs[0].JobStatus, jobs[0].Message)
	}
	if _, ok := dw.pending[marker]; !ok {
		t.Fatal("the watcher dropped the marker it held")
	}

	// The part is whole and renamed into place; a while later the batch has settled.
	if err := os.WriteFile(tmp, []byte("The second part is whole."), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(batch, "part-00001")); err != nil {
		t.Fatal(err)
	}
	dw.pending[marker] = old
	dw.flush(ctx)
	jobs := dropJobs(t, ctx, c, "spark")
	if len(jobs) != 1 {
		t.Fatalf("%d jobs once the batch settled, want 1", len(jobs))
	}
	n, _ := follow(t, ctx, c, jobs[0].JobId)
	if n.JobStatus != job.Completed || n.InputDocumentsCount != 2 || !strings.HasSuffix(jobs[0].DropObject.Key, "/run-1/"+droprule.Marker) {
		t.Errorf("batch job %s over %d documents (%q); want COMPLETED over both parts", n.JobStatus, n.InputDocumentsCount, jobs[0].DropObject.Key)
	}
}
