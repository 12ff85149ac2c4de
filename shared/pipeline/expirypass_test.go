package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// finishedJob stores a job that ended at t0 in status st, expiring at exp, with an object under
// its work prefix, and returns its id.
func finishedJob(t *testing.T, ctx context.Context, st localService, i int, status job.Status, t0, exp time.Time, notified bool) string {
	t.Helper()
	id := fmt.Sprintf("done-%03d", i)
	j := &job.Job{
		Tenant: "local", JobId: id, JobName: id, JobStatus: status, SubmitTime: t0.Add(-time.Minute),
		EndTime: &t0, ExpirationTime: &exp, Notified: notified,
	}
	if _, created, err := st.jobs.Create(ctx, j); err != nil || !created {
		t.Fatalf("create %s: %v %v", id, created, err)
	}
	if err := st.objects.Put(ctx, layout.JobWork("local", id)+"plan.json", strings.NewReader("{}")); err != nil {
		t.Fatal(err)
	}
	return id
}

// exists says whether the job's record, and its object, are still there (and that both are, or
// neither).
func exists(t *testing.T, ctx context.Context, st localService, id string) bool {
	t.Helper()
	_, err := st.jobs.Get(ctx, "local", id)
	if err != nil && !errors.Is(err, job.ErrNotFound) {
		t.Fatal(err)
	}
	_, oerr := st.objects.Head(ctx, layout.JobWork("local", id)+"plan.json")
	if oerr != nil && !errors.Is(oerr, job.ErrNotFound) {
		t.Fatal(oerr)
	}
	if (err == nil) != (oerr == nil) {
		t.Errorf("job %s: record %v, object %v: one is gone without the other", id, err, oerr)
	}
	return err == nil
}

// TestExpiryPassResumes: the finished jobs are swept by a pass that starts at most once every
// ExpiryPassEvery and that a sweep too small to finish it (ExpiryRunJobs 7 of 40 jobs) leaves at
// a stored cursor for the next: every pass reads every finished job once, no job is expired
// before its ExpirationTime, every one is expired within ExpiryPassEvery, a sweep interval and
// the pass's own sweeps after it, a lost notification is published again (by the first sweep,
// which reads the jobs not notified; once), and the running jobs are still read by every sweep.
func TestExpiryPassResumes(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &testClock{now: t0}
	const (
		every    = time.Hour
		interval = 5 * time.Minute
		perRun   = 7
		n        = 40
	)
	st := newLocalService(t, pipeline.Config{ExpiryPassEvery: every, ExpiryRunJobs: perRun}, clk.service)
	terminal := []job.Status{job.Completed, job.PartialSuccess, job.Failed, job.Stopped, job.TimedOut}
	expires := map[string]time.Time{}
	for i := range n {
		// From 1 h to ≈ 3 h after t0, so that jobs fall due during passes, not only between.
		exp := t0.Add(time.Hour + time.Duration(i)*3*time.Minute + 7*time.Second)
		id := finishedJob(t, ctx, st, i, terminal[i%len(terminal)], t0, exp, i != 3)
		expires[id] = exp
	}
	// A running job, which every sweep reads.
	far := t0.Add(1000 * time.Hour)
	running := &job.Job{Tenant: "local", JobId: "waiting", JobStatus: job.AwaitingInput, SubmitTime: t0,
		InputKey: layout.UploadKey("local", "waiting"), UploadDeadline: &far}
	if _, _, err := st.jobs.Create(ctx, running); err != nil {
		t.Fatal(err)
	}

	var passStarts []time.Time
	inPass := 0 // finished jobs read by the current pass
	renotified := 0
	runsInPass, maxRunsInPass := 0, 0
	gone := map[string]time.Time{}
	for now := t0; now.Before(t0.Add(8 * time.Hour)); now = now.Add(interval) {
		clk.set(now)
		rep, err := st.svc.Sweep(ctx)
		if err != nil {
			t.Fatalf("sweep at %s: %v", now, err)
		}
		if rep.Errors != 0 {
			t.Fatalf("sweep at %s: %d errors", now, rep.Errors)
		}
		if rep.JobsScanned-rep.FinishedScanned-rep.UnnotifiedScanned != 1 {
			t.Fatalf("sweep at %s read %d running jobs, want 1 (every sweep reads them all)", now, rep.JobsScanned-rep.FinishedScanned-rep.UnnotifiedScanned)
		}
		unnotified := 0
		if now == t0 {
			unnotified = 1 // the one job not notified, read by the first sweep (which notifies it)
		}
		if rep.UnnotifiedScanned != unnotified {
			t.Fatalf("sweep at %s read %d jobs not notified, want %d", now, rep.UnnotifiedScanned, unnotified)
		}
		if rep.FinishedScanned > perRun {
			t.Fatalf("sweep at %s read %d finished jobs, more than ExpiryRunJobs %d", now, rep.FinishedScanned, perRun)
		}
		renotified += rep.Renotified
		if rep.PassStarted {
			if inPass != 0 {
				t.Fatalf("a pass started at %s while the last one was not done", now)
			}
			if k := len(passStarts); k > 0 && now.Sub(passStarts[k-1]) < every {
				t.Fatalf("a pass started at %s, %v after the last one; want ExpiryPassEvery (%v) or more", now, now.Sub(passStarts[k-1]), every)
			}
			passStarts = append(passStarts, now)
			runsInPass = 0
		} else if rep.FinishedScanned > 0 && inPass == 0 {
			t.Fatalf("sweep at %s read finished jobs with no pass started", now)
		}
		if rep.FinishedScanned > 0 || rep.PassStarted {
			runsInPass++
		}
		inPass += rep.FinishedScanned
		if !rep.PassDone && rep.FinishedScanned > 0 {
			s, err := st.jobs.GetSweepState(ctx, "expiry")
			if err != nil || s.Done || s.Cursor == "" && s.Status == job.Completed {
				t.Fatalf("after a sweep that did not end the pass the state is %+v, %v; want a cursor into the pass", s, err)
			}
		}
		if rep.PassDone {
			// Every job present throughout the pass was read once: those still there, and
			// those the pass itself expired.
			left := 0
			for id := range expires {
				if _, ok := gone[id]; !ok && exists(t, ctx, st, id) {
					left++
				}
			}
			if inPass != left+rep.Expired+expiredEarlierInPass(gone, passStarts[len(passStarts)-1], now) {
				t.Fatalf("the pass that ended at %s read %d finished jobs; %d are left and it expired %d", now, inPass, left, rep.Expired+expiredEarlierInPass(gone, passStarts[len(passStarts)-1], now))
			}
			inPass = 0
			maxRunsInPass = max(maxRunsInPass, runsInPass)
		}
		for id, exp := range expires {
			if _, ok := gone[id]; ok {
				continue
			}
			if !exists(t, ctx, st, id) {
				if !now.After(exp) {
					t.Fatalf("job %s expired by the sweep at %s, before its ExpirationTime %s", id, now, exp)
				}
				gone[id] = now
			}
		}
	}
	if len(passStarts) < 3 {
		t.Fatalf("%d passes started in 8 hours; want one an hour once the last ended", len(passStarts))
	}
	if want := (n + perRun - 1) / perRun; maxRunsInPass < want {
		t.Fatalf("a pass took at most %d sweeps; with %d jobs and %d a sweep it takes %d", maxRunsInPass, n, perRun, want)
	}
	if renotified != 1 {
		t.Errorf("%d notifications published again, want 1 (the one job not notified)", renotified)
	}
	passTime := time.Duration(maxRunsInPass) * interval
	t.Logf("passes started at %v; at most %d sweeps a pass", passStarts, maxRunsInPass)
	for id, exp := range expires {
		at, ok := gone[id]
		if !ok {
			t.Errorf("job %s (expiring %s) was never expired", id, exp)
			continue
		}
		if late := at.Sub(exp); late > every+interval+passTime {
			t.Errorf("job %s expired %v after its ExpirationTime; want within ExpiryPassEvery + a sweep interval + a pass (%v)", id, late, every+interval+passTime)
		}
	}
	if j, err := st.jobs.Get(ctx, "local", "waiting"); err != nil || j.JobStatus != job.AwaitingInput {
		t.Errorf("the running job: %v, %v; want it AWAITING_INPUT still", j, err)
	}
}

// expiredEarlierInPass counts the jobs expired by the sweeps of the pass from start before now.
func expiredEarlierInPass(gone map[string]time.Time, start, now time.Time) int {
	c := 0
	for _, at := range gone {
		if !at.Before(start) && at.Before(now) {
			c++
		}
	}
	return c
}

// TestExpiryPassConcurrentSweeps: sweeps that overlap (the schedule's next run while one still
// runs) keep the pass's state whole: each may sweep a page the other swept, neither fails, and
// every expired job is expired once the pass is done.
func TestExpiryPassConcurrentSweeps(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &testClock{now: t0}
	st := newLocalService(t, pipeline.Config{ExpiryPassEvery: time.Hour, ExpiryRunJobs: 5}, clk.service)
	var ids []string
	for i := range 60 {
		exp := t0.Add(time.Hour)
		if i%4 == 0 {
			exp = t0.Add(48 * time.Hour) // kept
		}
		ids = append(ids, finishedJob(t, ctx, st, i, job.Completed, t0, exp, true))
	}
	clk.set(t0.Add(2 * time.Hour))
	for round := 0; round < 40; round++ {
		var wg sync.WaitGroup
		reps := make([]pipeline.SweepReport, 3)
		errs := make([]error, 3)
		for k := range reps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				reps[k], errs[k] = st.svc.Sweep(ctx)
			}()
		}
		wg.Wait()
		done := false
		for k := range reps {
			if errs[k] != nil || reps[k].Errors != 0 {
				t.Fatalf("round %d: concurrent sweep %d: %v, %d errors", round, k, errs[k], reps[k].Errors)
			}
			done = done || reps[k].PassDone
		}
		if done {
			break
		}
	}
	s, err := st.jobs.GetSweepState(ctx, "expiry")
	if err != nil || !s.Done || !s.PassStarted.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("sweep state %+v, %v; want the pass started at %s done", s, err, t0.Add(2*time.Hour))
	}
	for i, id := range ids {
		if want := i%4 == 0; exists(t, ctx, st, id) != want {
			t.Errorf("job %s exists = %v, want %v", id, !want, want)
		}
	}
}

// slowDelete is a job store whose Delete takes a while, as an expiry on AWS does (the job's
// objects, its 64 counter items, its shard items).
type slowDelete struct {
	pipeline.Jobs
	clk *testClock // the sweep's clock, which each Delete moves on by 40 ms
}

func (s slowDelete) Delete(ctx context.Context, tenant, id string) error {
	s.clk.set(s.clk.service().Add(40 * time.Millisecond))
	return s.Jobs.Delete(ctx, tenant, id)
}

// deadlineCtx is a context whose Deadline is on a test's clock (the sweep's, SweepClock) and
// which is never done: the sweep measures its budget against that clock while the store works
// as under any context.
type deadlineCtx struct {
	context.Context
	d time.Time
}

func (c deadlineCtx) Deadline() (time.Time, bool) { return c.d, true }

// TestExpiryPassStopsBeforeDeadline: a sweep whose context has a deadline (a Lambda
// invocation's) stops the pass shortly before it, inside a page, and stores the cursor after the
// last job it dealt with, so the next sweep goes on from there: a pass reads each job once.
func TestExpiryPassStopsBeforeDeadline(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &testClock{now: t0}
	st := newLocalService(t, pipeline.Config{}, clk.service)
	deps := st.deps
	// The sweep's own clock, apart from the service's: each Delete takes 40 ms of it and each
	// sweep has 400 ms, so the test does not depend on how busy the machine is.
	sweepClk := &testClock{now: time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)}
	deps.Jobs = slowDelete{st.jobs, sweepClk}
	deps.Hooks.SweepClock = sweepClk.service
	svc := pipeline.New(deps)
	const n = 40
	var ids []string
	for i := range n {
		exp := t0.Add(time.Hour) // every other one expired, the others kept
		if i%2 == 1 {
			exp = t0.Add(48 * time.Hour)
		}
		ids = append(ids, finishedJob(t, context.Background(), st, i, job.Failed, t0, exp, true))
	}
	clk.set(t0.Add(2 * time.Hour))
	read, runs := 0, 0
	for done := false; !done; runs++ {
		if runs == 30 {
			t.Fatalf("the pass is not done after %d sweeps (%d jobs read)", runs, read)
		}
		rep, err := svc.Sweep(deadlineCtx{context.Background(), sweepClk.service().Add(400 * time.Millisecond)})
		if err != nil || rep.Errors != 0 {
			t.Fatalf("sweep %d: %v, %d errors", runs, err, rep.Errors)
		}
		if runs == 0 && (rep.PassDone || rep.FinishedScanned >= n) {
			t.Fatalf("the first sweep read %d jobs and ended the pass (%v), though 20 expiries take 800 ms of its 400", rep.FinishedScanned, rep.PassDone)
		}
		read += rep.FinishedScanned
		done = rep.PassDone
	}
	if read != n {
		t.Errorf("the pass read %d finished jobs over %d sweeps; want each of the %d once", read, runs, n)
	}
	for i, id := range ids {
		if want := i%2 == 1; exists(t, context.Background(), st, id) != want {
			t.Errorf("job %s exists = %v, want %v", id, !want, want)
		}
	}
}

// countingNotifier counts the notifications published per job.
type countingNotifier struct {
	pipeline.Notifier
	mu   sync.Mutex
	sent map[string]int
}

func (n *countingNotifier) Publish(ctx context.Context, note api.Notification) error {
	if err := n.Notifier.Publish(ctx, note); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent[note.JobId]++
	return nil
}

func (n *countingNotifier) count(id string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.sent[id]
}

// TestLostNotificationNextSweep: a job whose finalizer died between its terminal write and the
// publish (terminal, not notified) is notified by the very next sweep, though no expiry pass is
// due (the last one started minutes before, ExpiryPassEvery is an hour), and that sweep reads it
// alone of the finished jobs, not the notified ones; once notified it is not read again.
func TestLostNotificationNextSweep(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &testClock{now: t0}
	st := newLocalService(t, pipeline.Config{ExpiryPassEvery: time.Hour}, clk.service)
	rec := &countingNotifier{Notifier: st.deps.Notifier, sent: map[string]int{}}
	deps := st.deps
	deps.Notifier = rec
	svc := pipeline.New(deps)
	far := t0.Add(1000 * time.Hour)
	for i := range 30 {
		finishedJob(t, ctx, st, i, job.Completed, t0, far, true)
	}
	rep, err := svc.Sweep(ctx)
	if err != nil || rep.Errors != 0 || !rep.PassStarted || !rep.PassDone || rep.FinishedScanned != 30 || rep.UnnotifiedScanned != 0 {
		t.Fatalf("first sweep: %+v, %v; want a whole pass over the 30 finished jobs, none unnotified", rep, err)
	}
	// A job ends at t0 + 2 min: its terminal status is stored, and its finalizer dies before it
	// publishes.
	clk.set(t0.Add(2 * time.Minute))
	lost := &job.Job{Tenant: "local", JobId: "lost", JobName: "lost", JobStatus: job.InProgress, SubmitTime: t0}
	if _, _, err := st.jobs.Create(ctx, lost); err != nil {
		t.Fatal(err)
	}
	cur, err := st.jobs.Get(ctx, "local", "lost")
	if err != nil {
		t.Fatal(err)
	}
	end := t0.Add(2 * time.Minute)
	cur.JobStatus, cur.EndTime, cur.ExpirationTime = job.Completed, &end, &far
	if err := st.jobs.Update(ctx, cur, job.InProgress); err != nil {
		t.Fatal(err)
	}
	for k, at := range []time.Duration{5 * time.Minute, 10 * time.Minute} {
		clk.set(t0.Add(at))
		rep, err := svc.Sweep(ctx)
		if err != nil || rep.Errors != 0 {
			t.Fatalf("sweep at t0+%v: %v, %d errors", at, err, rep.Errors)
		}
		if rep.PassStarted || rep.FinishedScanned != 0 {
			t.Fatalf("sweep at t0+%v: %+v; want no expiry pass (the last started %v before)", at, rep, at)
		}
		want := 1 - k // the first of these sweeps reads and notifies it; the next finds none
		if rep.UnnotifiedScanned != want || rep.Renotified != want || rep.JobsScanned != want {
			t.Fatalf("sweep at t0+%v: %+v; want %d job read (not notified) and notified again", at, rep, want)
		}
		if n := rec.count("lost"); n != 1 {
			t.Fatalf("after the sweep at t0+%v the lost job's notification was published %d times, want once", at, n)
		}
		if j, err := st.jobs.Get(ctx, "local", "lost"); err != nil || !j.Notified {
			t.Fatalf("after the sweep at t0+%v: %+v, %v; want the job marked notified", at, j, err)
		}
	}
}

// TestRestartPublishesClaimedNotification: a process that died while publishing a finished job's
// notification (after its claim, before the job was marked notified) left a claim that no one
// holds. A process that starts again and sees the whole store (the local stack:
// RecoverAfterRestart) publishes it at once, not once the claim is notifyClaimTTL old, so that
// the restart's sweep replaces the dead finalizer as the README says.
func TestRestartPublishesClaimedNotification(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &testClock{now: t0}
	st := newLocalService(t, pipeline.Config{}, clk.service)
	rec := &countingNotifier{Notifier: st.deps.Notifier, sent: map[string]int{}}
	deps := st.deps
	deps.Notifier = rec
	svc := pipeline.New(deps)
	claimed := t0.Add(-30 * time.Second) // the dead process's claim, 30 s before the restart
	far := t0.Add(1000 * time.Hour)
	lost := &job.Job{Tenant: "local", JobId: "claimed", JobName: "claimed", JobStatus: job.Completed,
		SubmitTime: t0.Add(-time.Hour), EndTime: &claimed, ExpirationTime: &far, NotifyClaimed: &claimed}
	if _, _, err := st.jobs.Create(ctx, lost); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RecoverAfterRestart(ctx, func(context.Context, string, string) ([][]byte, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rec.count("claimed"); n != 1 {
		t.Fatalf("after the restart the notification was published %d times, want once", n)
	}
	if j, err := st.jobs.Get(ctx, "local", "claimed"); err != nil || !j.Notified {
		t.Fatalf("after the restart: %+v, %v; want the job marked notified", j, err)
	}
}

// failingNotifier fails the first fails publishes, as SNS does when it, or KMS for an encrypted
// topic (KMSThrottling, which the SDK does not retry), throttles past the SDK's retries.
type failingNotifier struct {
	*countingNotifier
	fails int
}

func (n *failingNotifier) Publish(ctx context.Context, note api.Notification) error {
	n.mu.Lock()
	fail := n.fails > 0
	n.fails--
	n.mu.Unlock()
	if fail {
		return fmt.Errorf("injected: KMSThrottling")
	}
	return n.countingNotifier.Publish(ctx, note)
}

// TestFailedPublishGivesBackItsClaim: a finished job's notification whose publish failed is
// published by the next attempt (a sweep at the same moment), not left until the failed
// attempt's claim is notifyClaimTTL old.
func TestFailedPublishGivesBackItsClaim(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &testClock{now: t0}
	st := newLocalService(t, pipeline.Config{}, clk.service)
	rec := &failingNotifier{countingNotifier: &countingNotifier{Notifier: st.deps.Notifier, sent: map[string]int{}}, fails: 1}
	deps := st.deps
	deps.Notifier = rec
	svc := pipeline.New(deps)
	id := finishedJob(t, ctx, st, 1, job.Completed, t0, t0.Add(1000*time.Hour), false)

	_, _ = svc.Sweep(ctx) // its first publish fails
	_, _ = svc.Sweep(ctx)
	if n := rec.count(id); n != 1 {
		t.Fatalf("the next attempt published %d notifications, want 1 (the failed attempt kept its claim)", n)
	}
	if j, err := st.jobs.Get(ctx, "local", id); err != nil || !j.Notified {
		t.Fatalf("after the second sweep: %+v, %v; want the job marked notified", j, err)
	}
}

// TestFinishedJobShardPublishesNotification: a shard delivered for a finished job whose
// notification failed to publish (its claim given back) publishes it, as the delivery's retry
// of the publish; a failing publish comes back as the delivery's error, so the message is
// delivered again. Once the job is notified, further shards of it publish nothing and write
// nothing to the job (a stopped job's many queued shards cost one read each).
func TestFinishedJobShardPublishesNotification(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &testClock{now: t0}
	st := newLocalService(t, pipeline.Config{}, clk.service)
	rec := &failingNotifier{countingNotifier: &countingNotifier{Notifier: st.deps.Notifier, sent: map[string]int{}}, fails: 1}
	deps := st.deps
	deps.Notifier = rec
	svc := pipeline.New(deps)
	id := finishedJob(t, ctx, st, 1, job.Stopped, t0, t0.Add(1000*time.Hour), false)
	msg := pipeline.ShardMessage{Tenant: "local", JobId: id, Index: 3}

	if err := svc.ProcessShard(ctx, msg); err == nil {
		t.Fatalf("a shard whose notification publish failed was dropped as done; want its error, so that it is delivered again")
	}
	if j, err := st.jobs.Get(ctx, "local", id); err != nil || j.Notified || j.NotifyClaimed != nil {
		t.Fatalf("after the failed publish: %+v, %v; want the job unnotified and its claim given back", j, err)
	}
	if err := svc.ProcessShard(ctx, msg); err != nil {
		t.Fatalf("the shard's next delivery: %v", err)
	}
	if n := rec.count(id); n != 1 {
		t.Fatalf("%d notifications after the next delivery, want 1", n)
	}
	notified, err := st.jobs.Get(ctx, "local", id)
	if err != nil || !notified.Notified {
		t.Fatalf("after the publish: %+v, %v; want the job marked notified", notified, err)
	}
	for i := range 5 {
		if err := svc.ProcessShard(ctx, pipeline.ShardMessage{Tenant: "local", JobId: id, Index: 10 + i}); err != nil {
			t.Fatalf("another shard of the notified job: %v", err)
		}
	}
	if n := rec.count(id); n != 1 {
		t.Errorf("%d notifications after more shards of the notified job, want 1", n)
	}
	if j, err := st.jobs.Get(ctx, "local", id); err != nil || j.Version != notified.Version {
		t.Errorf("more shards of the notified job wrote it: version %d, was %d (%v)", j.Version, notified.Version, err)
	}
}
