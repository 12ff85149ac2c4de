package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// keysUnder lists the keys of st's object store under prefix.
func keysUnder(t *testing.T, ctx context.Context, st localService, prefix string) []string {
	t.Helper()
	var keys []string
	if err := st.objects.List(ctx, prefix, func(o pipeline.ObjectInfo) error { keys = append(keys, o.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	return keys
}

// uploadedLineJob creates a ONE_DOC_PER_LINE job whose input is uploaded (text stored at its
// upload key, as its presigned PUT would) and runs it to its end; it returns its id.
func uploadedLineJob(t *testing.T, ctx context.Context, st localService, text string) string {
	t.Helper()
	res, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}})
	if err != nil {
		t.Fatal(err)
	}
	key := layout.UploadKey("local", res.JobId)
	if err := st.objects.Put(ctx, key, strings.NewReader(text)); err != nil {
		t.Fatal(err)
	}
	if err := st.svc.InputArrived(ctx, key); err != nil {
		t.Fatal(err)
	}
	processQueue(t, ctx, st.svc, st.queue)
	return res.JobId
}

// TestEraseJob: a finished job is erased on request through the expiry's deletion: its uploaded
// input, output, manifest, work files (a retry child's retry-input.jsonl too), error records and
// record go, and it is then a 404 everywhere, as an expired job; an S3Uri input is the tenant's
// and stays; a parent keeps its erased child's id in ChildJobIds; a job not finished is a 409
// that says to stop it; another tenant's job, an unknown one and one erased already are a 404.
func TestEraseJob(t *testing.T) {
	ctx := context.Background()
	erased := 0
	st := newLocalService(t, pipeline.Config{}, nil)
	deps := st.deps
	deps.AfterErase = func(context.Context, string, string) { erased++ }
	st.svc = pipeline.New(deps)

	parent := uploadedLineJob(t, ctx, st, "a good line\n\xff\xfe bad\n")
	child, err := st.svc.Retry(ctx, "local", parent, api.RetryRequest{ErrorCodes: []string{job.CodeUnsupportedEncoding}})
	if err != nil {
		t.Fatal(err)
	}
	processQueue(t, ctx, st.svc, st.queue)
	for _, id := range []string{parent, child.JobId} {
		j, err := st.jobs.Get(ctx, "local", id)
		if err != nil || !j.JobStatus.Terminal() || !j.Notified {
			t.Fatalf("job %s: %+v, %v; want it finished and notified", id, j, err)
		}
	}
	childWork := layout.JobWork("local", child.JobId)
	if !strings.Contains(strings.Join(keysUnder(t, ctx, st, childWork), " "), "retry-input.jsonl") {
		t.Fatalf("the child's work files %v hold no retry-input.jsonl", keysUnder(t, ctx, st, childWork))
	}
	mine := storedLineJob(t, ctx, st, nil, "inputs/local/mine.txt", "one line\n", job.Language, nil)
	processQueue(t, ctx, st.svc, st.queue)

	// Another tenant's job, and an unknown one: 404, nothing deleted.
	for _, c := range []struct{ tenant, id string }{{"other", parent}, {"local", "no-such-job"}} {
		if err := st.svc.EraseJob(ctx, c.tenant, c.id); !errors.Is(err, job.ErrNotFound) {
			t.Errorf("erase %s of %s: %v; want ErrNotFound", c.id, c.tenant, err)
		}
	}
	// The child first: the parent keeps its id, as when the child expires first.
	prefixes := func(id string) []string {
		return []string{layout.JobWork("local", id), layout.OutputPrefix("local", id), layout.InputsPrefix + "local/" + id + "/"}
	}
	for _, id := range []string{child.JobId, parent, mine} {
		before := 0
		for _, p := range prefixes(id) {
			before += len(keysUnder(t, ctx, st, p))
		}
		if before == 0 {
			t.Fatalf("job %s has no objects to erase", id)
		}
		if err := st.svc.EraseJob(ctx, "local", id); err != nil {
			t.Fatalf("erase %s: %v", id, err)
		}
		for _, p := range prefixes(id) {
			if left := keysUnder(t, ctx, st, p); len(left) > 0 {
				t.Errorf("erased job %s left %v", id, left)
			}
		}
		if _, err := st.svc.Describe(ctx, "local", id); !errors.Is(err, job.ErrNotFound) {
			t.Errorf("describe erased %s: %v; want ErrNotFound", id, err)
		}
		if _, err := st.svc.Results(ctx, "local", id); !errors.Is(err, job.ErrNotFound) {
			t.Errorf("results of erased %s: %v; want ErrNotFound", id, err)
		}
		if shards, err := st.jobs.Shards(ctx, "local", id); (err != nil && !errors.Is(err, job.ErrNotFound)) || len(shards) > 0 {
			t.Errorf("erased %s keeps shard records %v (%v)", id, shards, err)
		}
		if err := st.svc.EraseJob(ctx, "local", id); !errors.Is(err, job.ErrNotFound) {
			t.Errorf("erase %s again: %v; want ErrNotFound, as an unknown job", id, err)
		}
		if id == child.JobId {
			p, err := st.svc.Describe(ctx, "local", parent)
			if err != nil || len(p.ChildJobIds) != 1 || p.ChildJobIds[0] != child.JobId {
				t.Errorf("parent after its child's erasure: %v, %v; want it kept, naming the child", p, err)
			}
		}
	}
	if erased != 3 {
		t.Errorf("AfterErase ran %d times; want 3", erased)
	}
	if _, err := st.objects.Head(ctx, "inputs/local/mine.txt"); err != nil {
		t.Errorf("an S3Uri input is the tenant's, kept until the input retention: %v", err)
	}

	// Not finished: 409 saying to stop it first; once stopped, it is erased.
	res, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{Analyses: []job.Analysis{job.Language},
		InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.svc.EraseJob(ctx, "local", res.JobId); !errors.Is(err, job.ErrConflict) || !strings.Contains(err.Error(), "stop it first") {
		t.Errorf("erase an AWAITING_INPUT job: %v; want ErrConflict saying to stop it first", err)
	}
	if _, err := st.svc.Stop(ctx, "local", res.JobId); err != nil {
		t.Fatal(err)
	}
	if err := st.svc.EraseJob(ctx, "local", res.JobId); err != nil {
		t.Errorf("erase the stopped job: %v", err)
	}
}

// recordingNotifier records what it publishes.
type recordingNotifier struct {
	mu sync.Mutex
	ns []api.Notification
}

func (r *recordingNotifier) Publish(_ context.Context, n api.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ns = append(r.ns, n)
	return nil
}

// notifyingService is a local service at now whose notifications rec records.
func notifyingService(t *testing.T, now time.Time) (localService, *recordingNotifier) {
	st := newLocalService(t, pipeline.Config{}, func() time.Time { return now })
	rec := &recordingNotifier{}
	deps := st.deps
	deps.Notifier = rec
	st.svc = pipeline.New(deps)
	return st, rec
}

// claimedElsewhere marks job id's notification as being published by another process (claimed
// a second before now) and returns the job as stored.
func claimedElsewhere(t *testing.T, ctx context.Context, st localService, id string, now time.Time) *job.Job {
	t.Helper()
	j, err := st.jobs.Get(ctx, "local", id)
	if err != nil {
		t.Fatal(err)
	}
	claim := now.Add(-time.Second)
	j.NotifyClaimed = &claim
	if err := st.jobs.Update(ctx, j, j.JobStatus); err != nil {
		t.Fatal(err)
	}
	return j
}

// TestEraseJobNotifiesFirst: as the expiry pass, an erasure publishes the notification of a job
// that was never notified before deleting it (a receiver waiting for it would wait for ever), and
// leaves one whose notification another process is publishing right now (409: try again).
func TestEraseJobNotifiesFirst(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	st, rec := notifyingService(t, now)
	lost := finishedJob(t, ctx, st, 1, job.Completed, now.Add(-time.Hour), now.Add(time.Hour), false)
	busy := finishedJob(t, ctx, st, 2, job.Failed, now.Add(-time.Hour), now.Add(time.Hour), false)
	claimedElsewhere(t, ctx, st, busy, now)

	if err := st.svc.EraseJob(ctx, "local", lost); err != nil {
		t.Fatalf("erase a job not notified: %v", err)
	}
	if len(rec.ns) != 1 || rec.ns[0].JobId != lost {
		t.Errorf("published %+v; want the erased job's notification, once", rec.ns)
	}
	if exists(t, ctx, st, lost) {
		t.Errorf("job %s is still there", lost)
	}
	if err := st.svc.EraseJob(ctx, "local", busy); !errors.Is(err, job.ErrConflict) || !strings.Contains(err.Error(), "notification is being published") {
		t.Errorf("erase a job being notified: %v; want ErrConflict saying its notification is being published", err)
	}
	if !exists(t, ctx, st, busy) || len(rec.ns) != 1 {
		t.Errorf("a job being notified was erased, or notified again (%d notifications)", len(rec.ns))
	}
}

// failingDeletes is an object store whose DeleteKeys fails while fail is set.
type failingDeletes struct {
	pipeline.Objects
	fail bool
}

func (f *failingDeletes) DeleteKeys(ctx context.Context, keys []string) error {
	if f.fail {
		return errors.New("injected: the store refused the delete")
	}
	return f.Objects.DeleteKeys(ctx, keys)
}

// TestEraseCutShortIsFinishedByTheSweeper: an erasure whose deletion fails has already set the
// job's ExpirationTime to then, so the next expiry pass deletes the job even if the request is
// never repeated.
func TestEraseCutShortIsFinishedByTheSweeper(t *testing.T) {
	ctx := context.Background()
	clk := &testClock{now: time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)}
	st := newLocalService(t, pipeline.Config{}, clk.service)
	objs := &failingDeletes{Objects: st.objects, fail: true}
	deps := st.deps
	deps.Objects = objs
	st.svc = pipeline.New(deps)
	t0 := clk.service()
	id := finishedJob(t, ctx, st, 1, job.Completed, t0.Add(-time.Hour), t0.Add(30*24*time.Hour), true)
	if err := st.svc.EraseJob(ctx, "local", id); err == nil {
		t.Fatal("erase with failing deletes: nil error")
	}
	j, err := st.jobs.Get(ctx, "local", id)
	if err != nil {
		t.Fatalf("the job whose erasure failed: %v; want it kept, to be erased again", err)
	}
	if j.ExpirationTime == nil || !j.ExpirationTime.Equal(t0) {
		t.Errorf("ExpirationTime %v; want the erasure's time %v", j.ExpirationTime, t0)
	}
	objs.fail = false
	clk.set(t0.Add(time.Second))
	rep, err := st.svc.Sweep(ctx)
	if err != nil || rep.Expired != 1 {
		t.Fatalf("sweep: %+v, %v; want the job expired", rep, err)
	}
	if exists(t, ctx, st, id) {
		t.Errorf("job %s is still there after the sweep", id)
	}
}

// TestEraseJobWaitsForAPublication: a job that has just ended is being notified by the process
// that ended it; an erasure that comes meanwhile (a client that deletes as soon as Describe shows
// the job ended) waits for that publication and deletes the job, instead of answering 409 (found
// in CI, where TestDeleteJob's DELETE met the finalizer's publication).
func TestEraseJobWaitsForAPublication(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	st, rec := notifyingService(t, now)
	busy := finishedJob(t, ctx, st, 2, job.Completed, now.Add(-time.Hour), now.Add(time.Hour), false)
	j := claimedElsewhere(t, ctx, st, busy, now)
	// The other process publishes and marks the job notified while the erasure waits.
	published := make(chan error, 1)
	go func() {
		j := *j
		j.Notified = true
		published <- st.jobs.Update(ctx, &j, j.JobStatus)
	}()
	if err := st.svc.EraseJob(ctx, "local", busy); err != nil {
		t.Fatalf("erase a job whose notification was being published: %v; want it deleted once published", err)
	}
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	if exists(t, ctx, st, busy) {
		t.Errorf("job %s is still there", busy)
	}
	if len(rec.ns) != 0 {
		t.Errorf("published %d notifications; the other process had published it", len(rec.ns))
	}
}
