package local

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestSmallJobWhileTopicsFitsRun: while as many TOPICS jobs as there are workers fit their
// initial model (the longest step of a TOPICS job: minutes on a large collection), another
// tenant's one-shard job still runs and completes. Found from outside: with the default 2
// workers, two TOPICS jobs of 200,000 lines in their initial fit held a 10-line job of another
// tenant for 31.9 s (0.2–0.4 s alone, 1.2 s behind one fit), because a stage's reduce ran in the
// delivery of the shard that completed the stage while it held one of the workers' compute
// slots. The fits are held here (at their first checkpoint) until the small job has finished:
// it cannot have waited for them.
func TestSmallJobWhileTopicsFitsRun(t *testing.T) {
	ctx := testCtx(t)
	var (
		mu   sync.Mutex
		held = map[string]bool{} // the fits held, by their checkpoints' fingerprint
	)
	bothHeld, release := make(chan struct{}), make(chan struct{})
	var bothOnce, releaseOnce sync.Once
	const workers = 2
	s := startStack(t, Config{Workers: workers, SweepInterval: Duration(time.Hour),
		Keys: map[string]string{DefaultKey: "local", "team-b-key": "team-b"}}, pipeline.Hooks{
		InitCheckpointSaved: func(name string) {
			fit, _, _ := strings.Cut(name, "/") // init-<fingerprint>: one per job here (other seeds)
			mu.Lock()
			held[fit] = true
			if len(held) == workers {
				bothOnce.Do(func() { close(bothHeld) })
			}
			mu.Unlock()
			select {
			case <-release:
			case <-ctx.Done():
			}
		},
	})
	// (Registered after the stack's cleanup, so it runs first: a failed test's held fits let
	// the stack close.)
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	var text strings.Builder
	for i := range 60 {
		fmt.Fprintf(&text, "garden flowers soil seeds water %d\nengine pistons fuel gears oil %d\n", i, i)
	}
	c := defaultClient(s)
	var fits []string
	for i := range workers {
		req := topicsJob(int64(i + 1))
		req.NumberOfTopics = new(2)
		fits = append(fits, createAndUpload(t, ctx, c, req, []byte(text.String())).JobId)
	}
	select {
	case <-bothHeld:
	case <-ctx.Done():
		t.Fatal("the TOPICS jobs' initial fits never began")
	}
	other := newClient(s.URL, "team-b-key")
	small := createAndUpload(t, ctx, other, lineJob("small", job.OneDocPerLine), []byte("A fine film.\nA dull one.\n"))
	n, j := follow(t, ctx, other, small.JobId)
	if n.JobStatus != job.Completed {
		t.Fatalf("the small job while %d TOPICS fits run: %s (%s); want COMPLETED", workers, j.JobStatus, j.Message)
	}
	for _, id := range fits {
		if j, err := c.Describe(ctx, id); err != nil || j.JobStatus != job.InProgress || !strings.Contains(j.JobDetails.Stage, "initial") {
			t.Fatalf("TOPICS job %s: %+v, %v; want IN_PROGRESS in its initial fit (held)", id, j, err)
		}
	}
	releaseOnce.Do(func() { close(release) })
	for _, id := range fits {
		if n, j := follow(t, ctx, c, id); n.JobStatus != job.Completed {
			t.Fatalf("TOPICS job %s once its fit was let go: %s (%s); want COMPLETED", id, j.JobStatus, j.Message)
		}
	}
}
