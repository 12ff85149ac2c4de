package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/internal/jsonw"
	"github.com/ream-dev/ream/shared/internal/pagetoken"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/request"
	"github.com/ream-dev/ream/shared/pipeline/topicsjob"
)

// Describe returns the tenant's job (ErrNotFound for another tenant's), with its rate and
// estimated completion time while it runs.
func (s *Service) Describe(ctx context.Context, tenant, id string) (*job.Job, error) {
	j, err := s.jobs.Get(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	s.asDescribed(j)
	return j, nil
}

// asDescribed completes stored job j as Describe shows it: a running job's rate and estimate,
// and a count for every analysis. (The coding operation status embeds its job so too.)
func (s *Service) asDescribed(j *job.Job) {
	progress(j, s.nowUTC())
	withAnalysisCounts(j)
}

// withAnalysisCounts gives j a count, zero until a shard records one, for every analysis of the
// job that runs on each document (found from outside: AnalysisCounts was absent until a shard
// was recorded, and an analysis no document reached was missing from it).
func withAnalysisCounts(j *job.Job) {
	for _, a := range job.RecordAnalyses(j.Analyses) {
		if _, ok := j.JobDetails.AnalysisCounts[a]; ok {
			continue
		}
		if j.JobDetails.AnalysisCounts == nil {
			j.JobDetails.AnalysisCounts = job.AnalysisCounts{}
		}
		j.JobDetails.AnalysisCounts[a] = job.AnalysisCount{}
	}
}

// progress works out a running job's DocumentsPerSecond (documents recorded within
// job.RateWindow, or since the job started when that is shorter) and EstimatedCompletionTime
// (the input bytes left at the job's byte rate since it started; now while the last shards are
// finalized), and clears both otherwise and for a TOPICS job, whose Stage is its progress.
func progress(j *job.Job, now time.Time) {
	d := &j.JobDetails
	d.DocumentsPerSecond, d.EstimatedCompletionTime = nil, nil
	if j.JobStatus != job.InProgress || j.StartedAt == nil || j.TopicsStage != nil {
		return // (a TOPICS job's stages pass over the documents several times: Stage is its progress)
	}
	// RecentDocuments counts the store's buckets from RecentSince on (job.RateSince of the
	// store's clock: a little more than RateWindow), and none before the job started: divide by
	// the time they cover.
	from := d.RecentSince
	if from.IsZero() {
		from = job.RateSince(now)
	}
	if j.StartedAt.After(from) {
		from = *j.StartedAt
	}
	window := max(now.Sub(from), time.Millisecond)
	rate := math.Round(float64(d.RecentDocuments)/window.Seconds()*10) / 10
	d.DocumentsPerSecond = &rate
	elapsed := now.Sub(*j.StartedAt)
	switch {
	case d.InputBytes > 0 && d.ProcessedBytes >= d.InputBytes:
		eta := now // every shard is done: the job is being finalized
		d.EstimatedCompletionTime = &eta
	case d.InputBytes > 0 && d.ProcessedBytes > 0 && elapsed > 0:
		left := time.Duration(float64(elapsed) * float64(d.InputBytes-d.ProcessedBytes) / float64(d.ProcessedBytes))
		eta := now.Add(left)
		d.EstimatedCompletionTime = &eta
	}
}

// List's page sizes: without MaxResults, and at most (the adapters' Jobs.List cap their pages
// with them too).
const (
	DefaultListResults = 100
	MaxListResults     = 500
)

// jobsThatFit is how many of jobs, from the first, fit in a page of api.MaxPageBytes, each
// weighed as the API writes it (without HTML escaping) and then escaped as a Lambda response's
// body (jsonw.AppendString); one at least.
func jobsThatFit(jobs []*job.Job) int {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var scratch []byte
	total := 0
	for i, j := range jobs {
		buf.Reset()
		if err := enc.Encode(j); err != nil {
			return len(jobs) // the answer fails to encode anyway, as before
		}
		scratch = jsonw.AppendString(scratch[:0], buf.String(), true)
		if total += len(scratch) - 2; i > 0 && total > api.MaxPageBytes {
			return i
		}
	}
	return len(jobs)
}

// List returns the tenant's jobs, newest first (oldest first with f.Oldest).
func (s *Service) List(ctx context.Context, tenant string, f api.ListFilter) ([]*job.Job, string, error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, "", fmt.Errorf("%w: unknown JobStatus %q (one of %s)", job.ErrInvalid, f.Status, job.List(job.AllStatuses))
	}
	if utf8.RuneCountInString(f.JobName) > request.MaxJobName {
		// No job has a longer name (found from outside: a 500 KB filter was listed as any other).
		return nil, "", fmt.Errorf("%w: the JobName filter must be at most %d characters, as job names are", job.ErrInvalid, request.MaxJobName)
	}
	if f.MaxResults < 0 || f.MaxResults > MaxListResults {
		return nil, "", fmt.Errorf("%w: MaxResults must be 1-%d", job.ErrInvalid, MaxListResults)
	}
	if f.MaxResults == 0 {
		f.MaxResults = DefaultListResults
	}
	if !f.SubmittedAfter.IsZero() && !f.SubmittedBefore.IsZero() && !f.SubmittedAfter.Before(f.SubmittedBefore) {
		return nil, "", fmt.Errorf("%w: SubmitTimeAfter must be before SubmitTimeBefore", job.ErrInvalid)
	}
	// Every job was submitted inside [listFloor, listCeiling): a bound outside it (datetime.max,
	// year 9999, as "no bound") either bounds nothing or excludes everything, and is not passed
	// to the stores, whose keys (nanoseconds since 1970, four-digit years) cannot hold it.
	if b := f.SubmittedBefore; !b.IsZero() && !b.After(listFloor) || f.SubmittedAfter.After(listCeiling) {
		return nil, "", nil
	}
	if f.SubmittedBefore.After(listCeiling) {
		f.SubmittedBefore = time.Time{}
	}
	if a := f.SubmittedAfter; !a.IsZero() && a.Before(listFloor) {
		f.SubmittedAfter = time.Time{}
	}
	// A token remembers the filters of the page it ends, and the store's own position: one
	// used with other filters would page on from a position in another listing, skipping or
	// repeating jobs silently (found from outside; the errors route already refused it).
	key := ListFilterKey(f)
	if f.NextToken != "" {
		var tok listToken
		if err := pagetoken.Decode(f.NextToken, &tok); err != nil || tok.Store == "" {
			return nil, "", fmt.Errorf("%w: NextToken is not one this route returned", job.ErrInvalid)
		}
		if !pagetoken.Owned(tok.Owner, tenant) {
			return nil, "", fmt.Errorf("%w: NextToken was returned to another caller; page with the tokens of your own listing", job.ErrInvalid)
		}
		if tok.Filter != key {
			return nil, "", fmt.Errorf("%w: NextToken belongs to other JobName, JobStatus or submit-time filters; page with the filters that returned it", job.ErrInvalid)
		}
		f.NextToken = tok.Store
	}
	jobs, next, err := s.jobs.List(ctx, tenant, f)
	for _, j := range jobs {
		withAnalysisCounts(j)
	}
	// A page ends before the job that would take it past api.MaxPageBytes: a job with 50 tags
	// of the longest Unicode keys and values weighs about 60 KB, so MaxResults=500 of them made a
	// 30 MB answer (the default 100, 5.9 MB), over the 6 MB a Lambda may answer (found from
	// outside; 500 jobs of the longest ASCII tags make 10 MB). The store is then asked for the
	// jobs that fit, so that its token goes on after the last one shown.
	for err == nil {
		n := jobsThatFit(jobs)
		if n == len(jobs) {
			break
		}
		f.MaxResults = n
		jobs, next, err = s.jobs.List(ctx, tenant, f)
		for _, j := range jobs {
			withAnalysisCounts(j)
		}
	}
	if err != nil || next == "" {
		return jobs, "", err
	}
	return jobs, pagetoken.Encode(listToken{Store: next, Filter: key, Owner: pagetoken.Owner(tenant)}), nil
}

// listToken is List's NextToken: the store's token and the filters of the listing it pages.
type listToken struct {
	Store  string `json:"t"`
	Filter string `json:"f,omitempty"`
	Owner  string `json:"o,omitempty"` // pagetoken.Owner of the tenant it was returned to
}

// ListFilterKey is what a list token remembers of the filters (MaxResults may change): the
// Comprehend surface binds its own tokens with it too.
func ListFilterKey(f api.ListFilter) string {
	var b strings.Builder
	if f.JobName != "" || f.Status != "" || !f.SubmittedBefore.IsZero() || !f.SubmittedAfter.IsZero() {
		fmt.Fprintf(&b, "%q/%s/%d/%d", f.JobName, f.Status, unixNanoOrZero(f.SubmittedBefore), unixNanoOrZero(f.SubmittedAfter))
	}
	if f.Oldest {
		b.WriteString("/oldest") // a token pages in its listing's order
	}
	return b.String()
}

func unixNanoOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// The span of time every job's SubmitTime lies in (the stores' keys hold 1678–2262).
var (
	listFloor   = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	listCeiling = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Stop asks a job to stop. A job still waiting for its input stops at once; a running one goes
// to STOP_REQUESTED, its outstanding shards are skipped, and it ends STOPPED with the work that
// was done kept in its output (or as it would have, when the stop came too late to skip any). Stopping a stopping or stopped job is a no-op that returns it (as
// Comprehend's Stop… answers STOPPED for a job stopped before); a job that ended otherwise
// (COMPLETED, PARTIAL_SUCCESS, FAILED, TIMED_OUT) is a conflict.
func (s *Service) Stop(ctx context.Context, tenant, id string) (*job.Job, error) {
	// A stop is carried through once asked for, whether or not the caller stays for the answer
	// (detached): one cut after its STOP_REQUESTED was stored left a job that no shard would
	// finalize (SUBMITTED, or every shard done) STOP_REQUESTED until a sweep ended it.
	ctx, cancel := s.detached(ctx)
	defer cancel()
	j, err := s.stop(ctx, tenant, id)
	if err == nil {
		withAnalysisCounts(j) // (as Describe shows the job)
	}
	return j, err
}

func (s *Service) stop(ctx context.Context, tenant, id string) (*job.Job, error) {
	for attempt := 0; attempt < 5; attempt++ {
		j, err := s.jobs.Get(ctx, tenant, id)
		if err != nil {
			return nil, err
		}
		from := j.JobStatus
		switch {
		case from == job.StopRequested, from == job.Stopped:
			return j, nil
		case from == job.InProgress && (j.TopicsStage == nil || j.TopicsStage.Kind == topicsjob.Assign) && j.JobDetails.ShardsDone >= j.JobDetails.ShardsTotal:
			// (A TOPICS job's shards are all done at the end of every stage; only the last
			// stage's end is its finalizing.)
			// Every shard is processed and the job is being finalized: a stop would skip
			// nothing, so it ends as it would have (as Comprehend's: "if the job completes
			// before it can be stopped, it is put into the COMPLETED state"). Unless a
			// finalizer holds it, a worker is asked to finalize it (not this request, which an
			// API call's time limit could cut short while it held the claim).
			if _, err := s.requestFinalize(ctx, j, false); err != nil {
				return nil, err
			}
			return s.jobs.Get(ctx, tenant, id)
		case from.Terminal():
			return nil, fmt.Errorf("%w: job %s is already %s", job.ErrConflict, id, from)
		case from == job.AwaitingInput:
			msg, merr := s.stopBeforeStartMessage(ctx, j)
			if merr != nil {
				return nil, merr
			}
			err = s.finish(ctx, j, job.Stopped, msg, s.nowUTC())
		default:
			if err = j.Transition(job.StopRequested); err != nil {
				return nil, err
			}
			j.UpdatedAt = s.nowUTC()
			err = s.jobs.Update(ctx, j, from)
			if err == nil && (from == job.Submitted || j.JobDetails.ShardsDone >= j.JobDetails.ShardsTotal) {
				// Nothing is queued (a SUBMITTED job is being planned, and its planner's move to
				// IN_PROGRESS will conflict and enqueue nothing), or everything is done: no
				// worker will finalize it.
				err = s.Finalize(ctx, tenant, id)
			}
		}
		if errors.Is(err, job.ErrConflict) {
			continue // it moved underneath us; look again
		}
		if err != nil {
			return nil, err
		}
		// finish does not report a conflict (it hands the job to whoever moved it): the stop
		// took only if the job is now stopping or stopped; else it moved (an upload's event
		// started it meanwhile) and the stop is applied to its new state.
		cur, err := s.jobs.Get(ctx, tenant, id)
		if err != nil {
			return nil, err
		}
		if cur.JobStatus == job.StopRequested || cur.JobStatus == job.Stopped {
			return cur, nil
		}
	}
	return nil, fmt.Errorf("%w: job %s is changing too fast to stop; retry", job.ErrConflict, id)
}

// stoppedArrived is the Message of a job stopped while AWAITING_INPUT after its upload landed,
// and stoppedUnplanned that of one stopped while SUBMITTED (its input was being planned: it may
// still prove missing or unreadable); neither has output.
const (
	stoppedArrived   = "stopped on request before processing began; its input had arrived and was not analysed"
	stoppedUnplanned = "stopped on request before processing began; its input was not analysed"
	// stoppedNoInput is the Message of a job stopped while AWAITING_INPUT with no input stored.
	// An upload that was being stored as the stop landed (S3 cannot refuse it; locally its
	// check came just before the stop) can still land: its event then changes the Message to
	// stoppedArrived (see InputArrived), so the Message never denies an upload answered 200.
	stoppedNoInput = "stopped on request before its input arrived"
)

// stopBeforeStartMessage is the Message of a job stopped while AWAITING_INPUT. Its upload may
// have landed already, its event still queued (the job would have started a moment later): the
// Message then says the input had arrived, rather than that it had not. The job stops either
// way, without output; the queued event finds it STOPPED and is ignored.
func (s *Service) stopBeforeStartMessage(ctx context.Context, j *job.Job) (string, error) {
	arrived, err := s.inputUploaded(ctx, j)
	if err != nil {
		return "", err
	}
	if arrived {
		return stoppedArrived, nil
	}
	return stoppedNoInput, nil
}

// Results returns presigned GET URLs (valid for ResultsTTL) for the archive and the manifest
// of a finished job.
func (s *Service) Results(ctx context.Context, tenant, id string) (*api.ResultLinks, error) {
	j, err := s.jobs.Get(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	switch j.JobStatus {
	case job.Completed, job.PartialSuccess, job.Stopped, job.Failed:
	case job.TimedOut:
		// Terminal: it never will have results (found from outside: it was told that results
		// exist once it is COMPLETED, …, as a running job is).
		return nil, fmt.Errorf("%w: job %s is TIMED_OUT and has no results: its input never arrived, so nothing was analysed (%s); create a new job", job.ErrConflict, id, j.Message)
	default:
		return nil, fmt.Errorf("%w: job %s is %s; results exist once it is COMPLETED, PARTIAL_SUCCESS, FAILED or STOPPED", job.ErrConflict, id, j.JobStatus)
	}
	archive := s.outputKey(j, api.ArchiveName)
	if _, err := s.objects.Head(ctx, archive); err != nil {
		if errors.Is(err, job.ErrNotFound) {
			// The job exists but never produced output (stopped before its input arrived,
			// or failed before any shard ran): a conflict with its state, not a missing job.
			return nil, fmt.Errorf("%w: job %s is %s without output: %s", job.ErrConflict, id, j.JobStatus, j.Message)
		}
		return nil, err
	}
	out, err := s.objects.PresignGet(ctx, archive, s.cfg.ResultsTTL)
	if err != nil {
		return nil, err
	}
	man, err := s.objects.PresignGet(ctx, s.outputKey(j, api.ManifestName), s.cfg.ResultsTTL)
	if err != nil {
		return nil, err
	}
	return &api.ResultLinks{JobId: j.JobId, JobStatus: j.JobStatus, Output: out, Manifest: man}, nil
}
