package pipeline_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// duringPublish is a notifier that runs during (once per job) while the first notification of a
// job is being published: after its publisher claimed it, before it marks the job notified.
type duringPublish struct {
	*countingNotifier
	mu     sync.Mutex
	during map[string]func()
}

func (n *duringPublish) Publish(ctx context.Context, note api.Notification) error {
	n.mu.Lock()
	f := n.during[note.JobId]
	delete(n.during, note.JobId)
	n.mu.Unlock()
	if f != nil {
		f()
	}
	return n.countingNotifier.Publish(ctx, note)
}

// afterTerminal is a job store that runs after (once per job) right after the write that moves
// a job to its terminal status: before its finalizer claims the notification.
type afterTerminal struct {
	pipeline.Jobs
	mu    sync.Mutex
	after map[string]func()
}

func (s *afterTerminal) Update(ctx context.Context, j *job.Job, expect job.Status) error {
	if err := s.Jobs.Update(ctx, j, expect); err != nil {
		return err
	}
	if j.JobStatus.Terminal() && !expect.Terminal() {
		s.mu.Lock()
		f := s.after[j.JobId]
		delete(s.after, j.JobId)
		s.mu.Unlock()
		if f != nil {
			f()
		}
	}
	return nil
}

// TestRetryAsParentIsNotifiedNotifiesOnce: a retry of a job created the moment the job finished
// (its client saw it PARTIAL_SUCCESS in Describe, which the job shows before its notification is
// published) writes the parent (ChildJobIds) while its finalizer notifies it. The parent's
// notification is published once, at once, and the job marked notified, whether the retry's
// write comes before the finalizer's claim or while it publishes. Before, a claim that lost to
// the retry's write was taken for another publisher's and nothing was published until a sweep;
// a mark that lost to it left the job unmarked, and the sweep published it again once the
// claim was 2 minutes old (on AWS a second SNS message; locally the notifier's store dropped it).
func TestRetryAsParentIsNotifiedNotifiesOnce(t *testing.T) {
	for _, when := range []string{"before the claim", "while publishing"} {
		t.Run(when, func(t *testing.T) {
			ctx := context.Background()
			t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			clk := &testClock{now: t0}
			st := newLocalService(t, pipeline.Config{}, clk.service)
			rec := &duringPublish{countingNotifier: &countingNotifier{Notifier: st.deps.Notifier, sent: map[string]int{}}, during: map[string]func(){}}
			jobs := &afterTerminal{Jobs: st.jobs, after: map[string]func(){}}
			deps := st.deps
			deps.Notifier, deps.Jobs = rec, jobs
			svc := pipeline.New(deps)
			id := storedLineJob(t, ctx, st, svc, "inputs/local/mixed.txt", "A fine day for a walk in the park.\nbad \xff bytes\n", job.Language, nil)
			var (
				child *api.CreateJobResult
				rerr  error
			)
			retry := func() {
				child, rerr = svc.Retry(ctx, "local", id, api.RetryRequest{ErrorCodes: []string{job.CodeUnsupportedEncoding}})
			}
			if when == "before the claim" {
				jobs.after[id] = retry
			} else {
				rec.during[id] = retry
			}
			processQueue(t, ctx, svc, st.queue)
			if rerr != nil {
				t.Fatalf("retry as the parent finished: %v", rerr)
			}
			p, err := st.jobs.Get(ctx, "local", id)
			if err != nil {
				t.Fatal(err)
			}
			if p.JobStatus != job.PartialSuccess || len(p.ChildJobIds) != 1 || p.ChildJobIds[0] != child.JobId {
				t.Fatalf("parent: %s, children %v; want PARTIAL_SUCCESS with child %s", p.JobStatus, p.ChildJobIds, child.JobId)
			}
			if n := rec.count(id); n != 1 || !p.Notified {
				t.Fatalf("parent's notification published %d times, job marked notified %v; want once, marked", n, p.Notified)
			}
			// The sweeps after the claim has aged publish nothing more.
			clk.set(t0.Add(3 * time.Minute))
			if _, err := svc.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			if n := rec.count(id); n != 1 {
				t.Fatalf("after a sweep the parent's notification was published %d times, want once", n)
			}
			if c, err := st.jobs.Get(ctx, "local", child.JobId); err != nil || !c.JobStatus.Terminal() || rec.count(child.JobId) != 1 {
				t.Fatalf("child: %+v, %v, notified %d times; want it finished and notified once", c, err, rec.count(child.JobId))
			}
		})
	}
}
