package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestTopicsInitialFitResumes: a TOPICS job whose initial fit is cut after every restart it
// finishes (its delivery's context ends there, as the worker's deadline ends an invocation's
// work, and the message is delivered again), so that no delivery fits the whole model, keeps
// each finished restart and ends COMPLETED with output byte-identical to an uncut job's of the
// same seed. Each delivery computes one restart (they run one at a time on a fraction of a
// core, as on a 1,024 MB Lambda function), the last only loads them; the checkpoints are
// deleted with the job's work objects. Found by an outside review: the fit ran inside one
// delivery and started from scratch on each, so a large-K job could be dead-lettered.
func TestTopicsInitialFitResumes(t *testing.T) {
	ctx := context.Background()
	req := func(r *api.CreateJobRequest) { r.NumberOfTopics = new(2); r.RandomSeed = new(int64(42)) }
	cfg := pipeline.Config{FitCPUs: 0.58}

	clean := newLocalService(t, cfg, nil)
	cleanID := storedLineJob(t, ctx, clean, nil, "inputs/local/topics.txt", twoTopicsText(), job.Topics, req)
	processQueue(t, ctx, clean.svc, clean.queue)
	want := topicsArchive(t, ctx, clean, cleanID)

	st := newLocalService(t, cfg, nil)
	var (
		mu      sync.Mutex
		cutNow  context.CancelFunc // the running delivery's
		cuts    int
		restart []string
	)
	deps := st.deps
	deps.Hooks.InitCheckpointSaved = func(name string) {
		if !strings.Contains(name, "/restart-") || strings.Contains(name, "-step-") {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		restart = append(restart, name)
		cuts++
		cutNow() // the deadline of the delivery that finished this restart
	}
	svc := pipeline.New(deps)
	id := storedLineJob(t, ctx, st, svc, "inputs/local/topics.txt", twoTopicsText(), job.Topics, req)
	deliveries := 0 // of the message whose record completed the sample stage, which runs the fit
	for range 100 {
		msgs, err := st.queue.Receive(ctx, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			var sm pipeline.ShardMessage
			if err := json.Unmarshal(m.Body, &sm); err != nil {
				t.Fatal(err)
			}
			for try := 1; ; try++ {
				dctx, cancel := context.WithCancel(ctx)
				mu.Lock()
				cutNow = cancel
				before := cuts
				mu.Unlock()
				err := svc.ProcessShard(dctx, sm)
				cancel()
				mu.Lock()
				cut := cuts > before
				mu.Unlock()
				if cut {
					deliveries++
				}
				if err == nil {
					if cut {
						t.Fatalf("message %s: a delivery cut after a restart succeeded", m.Body)
					}
					break
				}
				if !cut || !errors.Is(err, context.Canceled) {
					t.Fatalf("message %s, delivery %d: %v", m.Body, try, err)
				}
				if try > 10 {
					t.Fatalf("message %s: still cut after %d deliveries", m.Body, try)
				}
			}
			if err := st.queue.Delete(ctx, m.Receipt); err != nil {
				t.Fatal(err)
			}
		}
	}
	j, err := st.jobs.Get(ctx, "local", id)
	if err != nil || j.JobStatus != job.Completed {
		t.Fatalf("job after its initial fit was cut %d times: %+v, %v; want COMPLETED", cuts, j, err)
	}
	if cuts != 4 || deliveries != 4 {
		t.Errorf("%d cuts in %d deliveries; want the 4 restarts, each in a delivery of its own", cuts, deliveries)
	}
	seen := map[string]bool{}
	for _, name := range restart {
		if seen[name] {
			t.Errorf("restart %s computed twice: the delivery after the cut did not load it", name)
		}
		seen[name] = true
	}
	if got := topicsArchive(t, ctx, st, id); !bytes.Equal(got, want) {
		t.Error("output of a job whose initial fit was cut after every restart differs from an uncut job's with the same seed")
	}
	var left []string
	if err := st.objects.List(ctx, "", func(o pipeline.ObjectInfo) error {
		if strings.Contains(o.Key, "/topics/") {
			left = append(left, o.Key)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("work objects left after the job ended: %v", left)
	}
}

// topicsArchive reads the output.tar.gz of job id.
func topicsArchive(t *testing.T, ctx context.Context, st localService, id string) []byte {
	t.Helper()
	j, err := st.jobs.Get(ctx, "local", id)
	if err != nil {
		t.Fatal(err)
	}
	if j.JobStatus != job.Completed {
		t.Fatalf("job %s: %s %q", id, j.JobStatus, j.Message)
	}
	rc, err := st.objects.Open(ctx, strings.TrimPrefix(j.OutputDataConfig.S3Uri, "s3://bucket/")+api.ArchiveName, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
