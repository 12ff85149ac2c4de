package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// SweepReport says what one sweep did.
type SweepReport struct {
	TimedOut    int `json:"timedOut"`
	Started     int `json:"started"`
	Finalized   int `json:"finalized"`
	Rescued     int `json:"rescued"`
	Renotified  int `json:"renotified"`
	Expired     int `json:"expired"`
	Errors      int `json:"errors"`
	JobsScanned int `json:"jobsScanned"`
	// UnnotifiedScanned is how many of JobsScanned were finished jobs not yet notified, which
	// every sweep reads; FinishedScanned how many were finished jobs read by the expiry pass;
	// PassStarted and PassDone say whether this sweep started a pass and ended one.
	UnnotifiedScanned int  `json:"unnotifiedScanned,omitempty"`
	FinishedScanned   int  `json:"finishedScanned,omitempty"`
	PassStarted       bool `json:"passStarted,omitempty"`
	PassDone          bool `json:"passDone,omitempty"`
}

// job.ActiveStatuses are swept in full on every sweep; terminalStatuses by the expiry pass, in
// this order (a pass's state stores where it stopped in it).
var terminalStatuses = []job.Status{job.Completed, job.PartialSuccess, job.Failed, job.Stopped, job.TimedOut}

const (
	// expiryStateName names the expiry pass's state in the job store.
	expiryStateName = "expiry"
	// expiryPage is how many finished jobs the expiry pass reads at a time.
	expiryPage = 200
	// expiryMargin is how long before its context's deadline a sweep stops taking finished jobs
	// (at most a fifth of the time it had when it began), so that it stores its cursor, and
	// expires the job it is at, in time.
	expiryMargin = 30 * time.Second
)

// Sweep enforces deadlines so no job is ever stuck. Every sweep reads every job of the active
// statuses:
//   - AWAITING_INPUT whose input is in the store (its upload event was lost) → started;
//   - AWAITING_INPUT past its upload deadline → TIMED_OUT (notified);
//   - SUBMITTED (start interrupted) → started again;
//   - IN_PROGRESS / STOP_REQUESTED with every shard recorded, the last one stepGrace ago or
//     more, and no fresh finalize claim → handed to a worker to finalize (a finalizer died and
//     its message did not bring it back);
//   - IN_PROGRESS / STOP_REQUESTED with no progress for StuckAfter → unrecorded shards
//     re-enqueued (a send was lost; poison shards reach the dead-letter queue instead); while
//     the shard queue holds messages waiting to be received, the job's shards may be among
//     them and copies would only lengthen the backlog, so it waits up to backlogPatience ×
//     StuckAfter first.
//
// Every sweep also reads the finished jobs not yet notified (Jobs.ScanUnnotified, which the
// stores keep apart, so this reads them alone: a finalizer died between the terminal write
// and the publish):
//   - terminal but not notified → notification published again (and the job marked notified).
//
// The finished jobs, which a table keeps for their retention and which outnumber the running
// ones by far, are read by the expiry pass instead (see expiryPass): once every
// Config.ExpiryPassEvery, spread over as many sweeps as it takes:
//   - terminal past ExpirationTime → its objects, record, shard records and token deleted;
//   - terminal but not notified (one the unnotified read did not reach: written by an earlier
//     release of the DynamoDB adapter, or failing to publish) → notification published again;
//     it is expired once notified.
//
// Errors on one job are logged and counted; the sweep goes on with the others.
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	var rep SweepReport
	now := s.nowUTC()
	budget := s.sweepBudget(ctx)
	waiting := s.queueWaiting(ctx)
	err := s.jobs.Scan(ctx, job.ActiveStatuses, func(j *job.Job) error {
		s.sweepCounted(ctx, j, now, waiting, &rep)
		return ctx.Err()
	})
	if err != nil {
		return rep, fmt.Errorf("scan jobs: %w", err)
	}
	err = s.jobs.ScanUnnotified(ctx, func(j *job.Job) error {
		rep.UnnotifiedScanned++
		s.sweepCounted(ctx, j, now, waiting, &rep)
		return ctx.Err()
	})
	if err != nil {
		return rep, fmt.Errorf("scan unnotified jobs: %w", err)
	}
	if err := s.expiryPass(ctx, now, budget, &rep); err != nil {
		return rep, fmt.Errorf("expiry pass: %w", err)
	}
	return rep, nil
}

// sweepBudget is how much of the expiry pass one sweep takes on: until stopAt (its context's
// deadline less a margin) or, without a deadline, maxJobs finished jobs.
type sweepBudget struct {
	stopAt  time.Time // real time (the context's clock); zero: no deadline
	clock   func() time.Time
	maxJobs int
}

func (s *Service) sweepBudget(ctx context.Context) sweepBudget {
	d, ok := ctx.Deadline()
	if !ok {
		return sweepBudget{maxJobs: s.cfg.ExpiryRunJobs}
	}
	clock := s.hooks.SweepClock
	if clock == nil {
		clock = time.Now
	}
	margin := min(expiryMargin, d.Sub(clock())/5)
	return sweepBudget{stopAt: d.Add(-margin), clock: clock}
}

// spent says whether a sweep that has read n finished jobs is to stop.
func (b sweepBudget) spent(n int) bool {
	if b.stopAt.IsZero() {
		return n >= b.maxJobs
	}
	return !b.clock().Before(b.stopAt)
}

// pageLimit is how many finished jobs to read next, having read n.
func (b sweepBudget) pageLimit(n int) int {
	if b.stopAt.IsZero() {
		return max(1, min(expiryPage, b.maxJobs-n))
	}
	return expiryPage
}

// expiryPass continues the pass over the finished jobs from where the last sweep left it, or
// starts one when the last ended ExpiryPassEvery or more after it started (or none ever ran),
// for as long as the sweep's budget lasts. The pass's state (its start, the status it is in, the
// store's cursor in it) is stored after each page with a conditional write: of two sweeps that
// overlap, the one that loses a write leaves the pass to the other (both may have swept a page:
// expiry and notification are idempotent).
func (s *Service) expiryPass(ctx context.Context, now time.Time, b sweepBudget, rep *SweepReport) error {
	st, err := s.jobs.GetSweepState(ctx, expiryStateName)
	if err != nil {
		return err
	}
	if !st.Done && !slices.Contains(terminalStatuses, st.Status) && st.Version != 0 {
		s.log.WarnContext(ctx, "the expiry pass's stored state names no finished status; starting a new pass", "status", st.Status)
		st.Done, st.PassStarted = true, time.Time{}
	}
	if st.Version == 0 || st.Done {
		if !st.PassStarted.IsZero() && recent(st.PassStarted, now, s.cfg.ExpiryPassEvery) {
			return nil // the last pass is recent enough
		}
		st = SweepState{PassStarted: now, Status: terminalStatuses[0], Version: st.Version}
		if err := s.jobs.PutSweepState(ctx, expiryStateName, &st); err != nil {
			if errors.Is(err, job.ErrConflict) {
				return nil // another sweep started it
			}
			return err
		}
		rep.PassStarted = true
	}
	read := 0
	for !b.spent(read) {
		page, next, err := s.jobs.ScanPage(ctx, st.Status, st.Cursor, b.pageLimit(read))
		if errors.Is(err, job.ErrInvalid) && st.Cursor != "" {
			// A cursor the store no longer takes (its encoding changed): the status again from
			// its start, which is only work done twice.
			s.log.WarnContext(ctx, "the expiry pass's cursor is refused; reading its status again from the start", "status", st.Status, "err", err)
			st.Cursor = ""
			continue
		}
		if err != nil {
			return err
		}
		cursor, stopped, swept := st.Cursor, false, 0
		for _, sj := range page {
			if b.spent(read) {
				stopped = true
				break
			}
			read++
			swept++
			rep.FinishedScanned++
			s.sweepCounted(ctx, sj.Job, now, 0, rep)
			if err := ctx.Err(); err != nil {
				return err
			}
			cursor = sj.After
		}
		if !stopped {
			cursor = next
		}
		if stopped && swept == 0 {
			return nil // the budget was spent before the page's first job: nothing to store
		}
		st.Cursor = cursor
		if !stopped && next == "" {
			// This status is done: the next, or the end of the pass.
			if i := slices.Index(terminalStatuses, st.Status); i+1 < len(terminalStatuses) {
				st.Status, st.Cursor = terminalStatuses[i+1], ""
			} else {
				st.Status, st.Cursor, st.Done = "", "", true
			}
		}
		if err := s.jobs.PutSweepState(ctx, expiryStateName, &st); err != nil {
			if errors.Is(err, job.ErrConflict) {
				return nil // an overlapping sweep moved the pass on: it goes on from there
			}
			return err
		}
		if st.Done {
			rep.PassDone = true
			return nil
		}
		if stopped {
			return nil
		}
	}
	return nil
}

// RecoverAfterRestart is what a process whose queue it can see whole (the local stack) does when
// it starts again after dying: a SUBMITTED job without a plan message is planned again; a running
// job with shards neither recorded nor in the queue (waiting, in flight or dead-lettered: queued
// gives the bodies of the job's messages there) lost their sends (the process died between
// marking the job IN_PROGRESS and enqueueing all its shards) and has them enqueued at once,
// rather than after StuckAfter; one whose shards are all recorded is handed to a worker to
// finalize (requestFinalize, taking over the last run's claim), so that the start does not wait
// for a long finalization; and a finished job whose notification it was publishing (its claim
// is the last run's) is published at once. It returns how many running jobs it rescued.
func (s *Service) RecoverAfterRestart(ctx context.Context, queued func(ctx context.Context, tenant, jobID string) ([][]byte, error)) (int, error) {
	rescued := 0
	// inQueue is the job's messages in the queue: whether one is a plan message, and the shard
	// indexes of the others.
	inQueue := func(j *job.Job) (plan bool, shards map[int]bool, err error) {
		bodies, err := queued(ctx, j.Tenant, j.JobId)
		if err != nil {
			return false, nil, err
		}
		shards = make(map[int]bool, len(bodies))
		for _, b := range bodies {
			var m ShardMessage
			if json.Unmarshal(b, &m) != nil || m.JobId != j.JobId || m.Tenant != j.Tenant {
				continue
			}
			switch {
			case m.Plan:
				plan = true
			case m.Finalize == "":
				shards[m.Index] = true
			}
		}
		return plan, shards, nil
	}
	err := s.jobs.Scan(ctx, []job.Status{job.Submitted, job.InProgress, job.StopRequested}, func(j *job.Job) error {
		if j.JobStatus == job.Submitted {
			// Its planning was cut short (locally a create plans in its request); unless a plan
			// message of it waits in the queue, plan it again now rather than after StuckAfter/3.
			if plan, _, err := inQueue(j); err != nil || plan {
				return err
			}
			rescued++
			s.log.WarnContext(ctx, "a job's planning was cut short by the last stop; planning it again", "tenant", j.Tenant, "job", j.JobId)
			return s.start(ctx, j)
		}
		if j.JobDetails.ShardsDone >= j.JobDetails.ShardsTotal {
			rescued++
			_, err := s.requestFinalize(ctx, j, true) // its claim, if any, is the last run's
			return err
		}
		_, queuedShards, err := inQueue(j)
		if err != nil {
			return err
		}
		sent, err := s.enqueueUnqueued(ctx, j, queuedShards)
		if sent > 0 {
			rescued++
			s.log.WarnContext(ctx, "a running job lost shard messages in the last stop; enqueued its shards neither recorded nor queued", "tenant", j.Tenant, "job", j.JobId, "count", sent)
		}
		return err
	})
	if err != nil {
		return rescued, err
	}
	// A notification the last run was publishing when it died (claimed, not marked notified):
	// the claim is that run's, and nothing else publishes here, so it is published now rather
	// than by the first sweep once the claim is notifyClaimTTL old (the restart's sweep publishes
	// those without a claim).
	err = s.jobs.ScanUnnotified(ctx, func(j *job.Job) error {
		if j.NotifyClaimed == nil {
			return nil
		}
		s.log.WarnContext(ctx, "a job's notification was being published at the last stop; publishing it now", "tenant", j.Tenant, "job", j.JobId)
		j.NotifyClaimed = nil
		if err := s.notify(ctx, j); err != nil {
			s.log.ErrorContext(ctx, "could not publish a job's notification; the sweeper will", "tenant", j.Tenant, "job", j.JobId, "err", err)
		}
		return ctx.Err()
	})
	return rescued, err
}

// stepGrace is how long the sweeper leaves a step to the process taking it before it takes it
// again itself: the planning of a SUBMITTED job (since it was marked so), the finalization of a
// job whose shards are all recorded (since the last record). A third of StuckAfter (5 minutes by
// default), longer than a worker invocation.
func (s *Service) stepGrace() time.Duration { return s.cfg.StuckAfter / 3 }

// recent reports whether a stamp t (a job's last progress, a claim, the start of an expiry pass)
// is less than d old at now. A stamp d or more ahead of now is not recent either: it was written
// by a clock since set back (one that ran ahead, then was corrected), and says nothing of how
// long ago it was; taking it as recent held rescues, claims and the expiry pass for as long as
// the clock had been ahead (found in the time review). Within d ahead it is recent, so that the
// small differences between two machines' clocks change nothing.
func recent(t, now time.Time, d time.Duration) bool {
	age := now.Sub(t)
	return age < d && age > -d
}

// backlogPatience bounds how long a backlog defers the rescue of a job without progress: after
// backlogPatience × StuckAfter it is rescued anyway (a queue that never empties, other tenants'
// jobs arriving all the time, must not keep a job whose shard was lost from ever finishing).
const backlogPatience = 3

// backlog is a queue that can tell how many messages wait in it to be received (SQS's
// ApproximateNumberOfMessages; not those in flight).
type backlog interface {
	Waiting(ctx context.Context) (int64, error)
}

// queueWaiting is how many shard messages wait to be received, or 0 when the queue cannot tell
// (or the question failed: then stuck jobs are rescued as before).
func (s *Service) queueWaiting(ctx context.Context) int64 {
	b, ok := s.queue.(backlog)
	if !ok {
		return 0
	}
	n, err := b.Waiting(ctx)
	if err != nil {
		if ctx.Err() == nil { // a stopping process's sweep is not worth a warning
			s.log.WarnContext(ctx, "cannot read the shard queue's backlog; stuck jobs are rescued regardless", "err", err)
		}
		return 0
	}
	return n
}

// LogSweepFailed is the message of the sweeper's log line for a job it could not sweep (a
// notification it could not publish, a rescue, timeout or expiry that failed): the sweep goes on
// with the other jobs and ends without an error, so the deployment counts these lines into its
// SweepFailures alarm, as the sweeper's Lambda Errors metric never sees them.
const LogSweepFailed = "sweep failed for job"

// LogJobRescued is the message of the sweeper's log line for a running job that made no
// progress for StuckAfter and whose unrecorded shards it enqueues again (a shard message was
// lost): the deployment counts these lines into its JobsRescued alarm.
const LogJobRescued = "job made no progress; re-enqueueing its unrecorded shards"

// sweepCounted sweeps j (sweepOne), counting it in rep and logging a failure, which stops
// no other job's sweep.
func (s *Service) sweepCounted(ctx context.Context, j *job.Job, now time.Time, waiting int64, rep *SweepReport) {
	rep.JobsScanned++
	if err := s.sweepOne(ctx, j, now, waiting, rep); err != nil {
		rep.Errors++
		s.log.ErrorContext(ctx, LogSweepFailed, "tenant", j.Tenant, "job", j.JobId, "status", j.JobStatus, "err", err)
	}
}

func (s *Service) sweepOne(ctx context.Context, j *job.Job, now time.Time, waiting int64, rep *SweepReport) error {
	switch j.JobStatus {
	case job.AwaitingInput:
		// An upload whose ObjectCreated event was lost (the process died between storing the
		// object and queuing the event; S3's event delivery gave up) must not wait for a
		// timeout: look for the input itself.
		uploaded, err := s.inputUploaded(ctx, j)
		if err != nil {
			return err
		}
		if uploaded {
			rep.Started++
			s.log.WarnContext(ctx, "input is present but the job has not started (its upload event was lost, or is still queued behind others); starting it", "tenant", j.Tenant, "job", j.JobId)
			return s.InputArrived(ctx, j.InputKey)
		}
		// The deadline is the instant its upload URLs stop working (uploadDeadline).
		if j.UploadDeadline == nil || now.Before(*j.UploadDeadline) {
			return nil
		}
		rep.TimedOut++
		msg, err := s.timeoutMessage(ctx, j)
		if err != nil {
			return err
		}
		err = s.finish(ctx, j, job.TimedOut, msg, now)
		if errors.Is(err, job.ErrConflict) {
			return nil // the input arrived meanwhile
		}
		return err
	case job.Submitted:
		if recent(j.UpdatedAt, now, s.stepGrace()) {
			return nil
		}
		rep.Rescued++
		return s.start(ctx, j)
	case job.InProgress, job.StopRequested:
		// The job's last progress: the latest of its stamps, leaving out those StuckAfter or
		// more ahead of the clock (see recent), so that a job stamped only by a clock since set
		// back is rescued once, and its rescue's stamp is then its last progress.
		var last time.Time
		progress := func(t time.Time) {
			if t.After(last) && t.Sub(now) < s.cfg.StuckAfter {
				last = t
			}
		}
		progress(j.UpdatedAt)
		recs, err := s.jobs.Shards(ctx, j.Tenant, j.JobId)
		if err != nil {
			return err
		}
		for _, r := range recs {
			progress(r.Recorded)
		}
		if j.JobDetails.ShardsDone >= j.JobDetails.ShardsTotal {
			// The worker that recorded the last shard is finalizing (a large output takes a
			// while), and if it died its message comes back and finalizes again: step in only
			// once that has had its time, not beside it.
			if recent(last, now, s.stepGrace()) {
				return nil
			}
			// A request of ours may still wait in a backlog of the shard queue: asking again
			// once its claim is stale would only have each request find the next one's claim
			// and drop itself. Wait, as the rescue of shards does, up to backlogPatience.
			if c := j.FinalizeClaimed; c != nil && strings.HasPrefix(j.FinalizeClaimedBy, finalizeRequestOwner) && waiting > 0 && recent(*c, now, backlogPatience*s.cfg.StuckAfter) {
				return nil
			}
			asked, err := s.requestFinalize(ctx, j, false)
			if asked {
				rep.Finalized++ // handed to a worker (not counted while another finalizer's claim is fresh)
			}
			return err
		}
		if recent(last, now, s.cfg.StuckAfter) {
			return nil
		}
		if waiting > 0 && recent(last, now, backlogPatience*s.cfg.StuckAfter) {
			s.log.InfoContext(ctx, "job made no progress, but the shard queue holds messages waiting to be received: its shards may be among them; not re-enqueued yet", "tenant", j.Tenant, "job", j.JobId, "since", last, "waiting", waiting)
			return nil
		}
		rep.Rescued++
		s.log.WarnContext(ctx, LogJobRescued, "tenant", j.Tenant, "job", j.JobId, "since", last)
		if err := s.enqueueMissing(ctx, j); err != nil {
			return err
		}
		j.UpdatedAt = now
		return s.jobs.Update(ctx, j, j.JobStatus)
	default: // terminal
		if !j.Notified {
			rep.Renotified++
			return s.notify(ctx, j)
		}
		if j.ExpirationTime != nil && now.After(*j.ExpirationTime) {
			rep.Expired++
			return s.expire(ctx, j)
		}
	}
	return nil
}

// timeoutMessage says why a job waiting for its upload is timed out: nothing arrived, or (a job
// with UploadFiles) how many of its files did, since it starts only once all have.
func (s *Service) timeoutMessage(ctx context.Context, j *job.Job) (string, error) {
	at := j.UploadDeadline.Format(time.RFC3339)
	if j.ExpectedFiles > 0 {
		n, err := s.uploadedFiles(ctx, j)
		if err != nil {
			return "", err
		}
		if n > 0 {
			return fmt.Sprintf("%d of %d upload files arrived before the upload URLs expired at %s; the job needs all of them", n, j.ExpectedFiles, at), nil
		}
		return fmt.Sprintf("none of the %d upload files arrived before the upload URLs expired at %s", j.ExpectedFiles, at), nil
	}
	return fmt.Sprintf("no input arrived before the upload URL expired at %s", at), nil
}

// expire deletes a job's objects and records after its ExpirationTime (on AWS the bucket's
// lifecycle rules, and a week later the table's TTL, would catch most of it; this also removes
// the shard and counter records and the token, which TTL never does, and keeps the local stack
// bounded), or when its owner asks for it (EraseJob): the one deletion of a job's data. It
// deletes the job's work and output folders and its input only when the job uploaded it (its
// upload folder, inputs/<tenant>/<job>/): an S3Uri input or a dropped object is the tenant's
// own, kept until the input retention. Every step is idempotent: a deletion cut short is done
// again whole, and the record goes last, so that one whose objects are not all deleted can be
// found and expired again.
func (s *Service) expire(ctx context.Context, j *job.Job) error {
	prefixes := []string{layout.JobWork(j.Tenant, j.JobId), layout.OutputPrefix(j.Tenant, j.JobId)}
	if k, err := s.cfg.Locations.Key(j.OutputDataConfig.S3Uri); err == nil {
		prefixes = append(prefixes, k)
	}
	if _, id, _, ok := layout.ParseUploadKey(j.InputKey); ok && id == j.JobId {
		prefixes = append(prefixes, layout.InputsPrefix+j.Tenant+"/"+j.JobId+"/")
	}
	for _, p := range prefixes {
		var keys []string
		if err := s.objects.List(ctx, p, func(o ObjectInfo) error { keys = append(keys, o.Key); return nil }); err != nil {
			return err
		}
		if err := s.objects.DeleteKeys(ctx, keys); err != nil {
			return err
		}
	}
	// Then the record, its shard records and its token: the job is gone (404), as on AWS
	// after the table's TTL.
	if err := s.jobs.Delete(ctx, j.Tenant, j.JobId); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "expired job deleted", "tenant", j.Tenant, "job", j.JobId)
	return nil
}

// eraseNotifyWaits times eraseNotifyPoll (2 s) is how long EraseJob waits for a notification
// another process is publishing before it answers ErrConflict.
const (
	eraseNotifyWaits = 20
	eraseNotifyPoll  = 100 * time.Millisecond
)

// EraseJob deletes the tenant's finished job and its data now, on request (DELETE
// /v1/jobs/{id}: an erasure request, a wrong file uploaded), through the same deletion as its
// expiry (expire), so that afterwards it is the 404 an expired job is. A job not finished is
// ErrConflict (stop it first: its shards would go on writing into the job's folders); another
// tenant's job, an unknown one and one already erased are ErrNotFound. As the expiry pass does,
// a job whose notification was never published is notified first (a receiver waiting for it
// must not wait for ever); one whose notification another process is publishing right now is
// ErrConflict (try again in a moment) once it has waited up to 2 s for it (eraseNotifyWaits).
// Before deleting anything the job's ExpirationTime is set to now, so that an erasure cut short
// (a store failing, the process dying) is finished by the next expiry pass if not by a repeated
// request. Deps.AfterErase runs once it is done.
func (s *Service) EraseJob(ctx context.Context, tenant, id string) error {
	j, err := s.jobs.Get(ctx, tenant, id)
	if err != nil {
		return err
	}
	if !j.JobStatus.Terminal() {
		how := fmt.Sprintf("stop it first (POST /v1/jobs/%s/stop), then delete it once it is STOPPED", id)
		if j.JobStatus == job.StopRequested {
			how = "delete it once it is STOPPED"
		}
		return fmt.Errorf("%w: job %s is %s and cannot be deleted before it ends: %s", job.ErrConflict, id, j.JobStatus, how)
	}
	// A job that has just ended is usually being notified by the process that ended it, for a
	// few milliseconds: wait for that publication (found in CI: a DELETE sent as soon as Describe
	// showed the job ended was a 409) before answering that it goes on.
	for wait := 0; !j.Notified; wait++ {
		if err := s.notify(ctx, j); err != nil {
			return err
		}
		if j.Notified {
			break
		}
		if wait == eraseNotifyWaits {
			return fmt.Errorf("%w: job %s's notification is being published; delete it again in a few seconds", job.ErrConflict, id)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(eraseNotifyPoll):
		}
		if j, err = s.jobs.Get(ctx, tenant, id); err != nil {
			return err
		}
	}
	now := s.nowUTC()
	if _, err := s.rewrite(ctx, j, func(j *job.Job) bool {
		if j.ExpirationTime != nil && !j.ExpirationTime.After(now) {
			return false
		}
		j.ExpirationTime = &now
		return true
	}); err != nil {
		return err
	}
	if err := s.expire(ctx, j); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "job deleted on request", "tenant", tenant, "job", id)
	if s.afterErase != nil {
		s.afterErase(ctx, tenant, id)
	}
	return nil
}
