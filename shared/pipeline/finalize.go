package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline/layout"
	"github.com/ream-dev/ream/shared/pipeline/message"
	"github.com/ream-dev/ream/shared/pipeline/topicsjob"
)

// outputKey is the key of name in the job's output location.
func (s *Service) outputKey(j *job.Job, name string) string {
	prefix, err := s.cfg.Locations.Key(j.OutputDataConfig.S3Uri)
	if err != nil {
		prefix = layout.OutputPrefix(j.Tenant, j.JobId)
	}
	return prefix + name
}

// Finalize writes the job's output archive and manifest once every shard is accounted for,
// moves the job to its terminal status with a conditional write, and publishes the one
// notification. Concurrent or repeated calls are safe: the archive is deterministic, only one
// status write wins, and a notification that was not yet published is published by whoever
// sees the job terminal and un-notified (the sweeper retries it).
//
// The step is claimed on the job first (FinalizeClaimed, a conditional write), so a second
// finalizer (the sweeper, a duplicate delivery of the last shard, a stop) leaves it to the
// first while its claim is fresh; a finalizer that fails releases its claim so that its
// message's retry goes on at once.
func (s *Service) Finalize(ctx context.Context, tenant, id string) error {
	return s.finalize(ctx, tenant, id, "", false)
}

// finalizeBy is Finalize by the holder of a shard message whose record completed the step:
// a redelivery of that message takes over a claim of its own first delivery at once.
func (s *Service) finalizeBy(ctx context.Context, tenant, id string, shard int) error {
	return s.finalize(ctx, tenant, id, fmt.Sprintf("shard %d", shard), false)
}

// finalize is Finalize by owner (see job.Job.FinalizeClaimedBy); force takes the step even while another claim is fresh (the caller
// holds it, or knows its holder is gone).
func (s *Service) finalize(ctx context.Context, tenant, id, owner string, force bool) error {
	j, err := s.jobs.Get(ctx, tenant, id)
	if err != nil {
		return fmt.Errorf("get job: %w", err)
	}
	if j.JobStatus.Terminal() {
		return s.notify(ctx, j)
	}
	if j.JobStatus != job.InProgress && j.JobStatus != job.StopRequested {
		return nil
	}
	if j.JobDetails.ShardsDone < j.JobDetails.ShardsTotal {
		return nil
	}
	claimed, err := s.claimFinalize(ctx, j, owner, force)
	if err != nil || !claimed {
		return err
	}
	if err := s.finalizeClaimed(ctx, j); err != nil {
		s.releaseFinalize(ctx, j)
		return err
	}
	return nil
}

// claimFinalize claims the finalization of j (read just now) with a conditional write: false
// when another finalizer's claim is fresh (it will finish the step, or the sweeper will once
// the claim is stale) or the job moved on meanwhile to where no step waits. j is the claimed
// job afterwards.
func (s *Service) claimFinalize(ctx context.Context, j *job.Job, owner string, force bool) (bool, error) {
	for try := 0; ; try++ {
		now := s.nowUTC()
		mine := owner != "" && j.FinalizeClaimedBy == owner
		if !force && !mine && s.claimFresh(j, now) {
			s.log.InfoContext(ctx, "job is being finalized elsewhere; leaving it to that finalizer", "tenant", j.Tenant, "job", j.JobId, "claimed", *j.FinalizeClaimed, "by", j.FinalizeClaimedBy)
			return false, nil
		}
		j.FinalizeClaimed, j.FinalizeClaimedBy = &now, owner
		err := s.jobs.Update(ctx, j, j.JobStatus)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, job.ErrConflict) || try >= maxVersionTries {
			return false, fmt.Errorf("claim finalization: %w", err)
		}
		// It moved underneath (a stop, another claim, a counter): look again.
		cur, err := s.jobs.Get(ctx, j.Tenant, j.JobId)
		if err != nil {
			return false, fmt.Errorf("get job: %w", err)
		}
		if cur.JobStatus.Terminal() {
			return false, s.notify(ctx, cur)
		}
		if (cur.JobStatus != job.InProgress && cur.JobStatus != job.StopRequested) || cur.JobDetails.ShardsDone < cur.JobDetails.ShardsTotal {
			return false, nil
		}
		*j = *cur
	}
}

// claimFresh reports whether j carries a finalize claim younger than StuckAfter at now (and not
// that far ahead of it: see recent): its holder is taken to be at work (older, it is taken over).
func (s *Service) claimFresh(j *job.Job, now time.Time) bool {
	return j.FinalizeClaimed != nil && recent(*j.FinalizeClaimed, now, s.cfg.StuckAfter)
}

// sameClaim reports whether mine (a finalizer's copy of the job) holds the finalize claim
// stored (the job as read again) holds: same time and same owner.
func sameClaim(mine, stored *job.Job) bool {
	return mine.FinalizeClaimed != nil && stored.FinalizeClaimed != nil &&
		stored.FinalizeClaimed.Equal(*mine.FinalizeClaimed) && stored.FinalizeClaimedBy == mine.FinalizeClaimedBy
}

// finalizeRequestOwner begins the owner of a claim requestFinalize took.
const finalizeRequestOwner = "request "

// requestFinalize has a worker finalize j: it claims the step (force: over another's fresh
// claim) for a request of its own and sends a finalize message naming it, which the worker takes
// over. The sweeper and a restart ask this way rather than finalize inline, so that a long step
// (a TOPICS reduce, a large coding operation's records) holds neither the sweep nor the start of
// `ream serve`. A fresh claim of another's is left alone (unless force).
func (s *Service) requestFinalize(ctx context.Context, j *job.Job, force bool) (bool, error) {
	owner := finalizeRequestOwner + s.nowUTC().Format(time.RFC3339Nano)
	claimed, err := s.claimFinalize(ctx, j, owner, force)
	if err != nil || !claimed {
		return false, err
	}
	if err := s.queue.Send(ctx, []ShardMessage{{Tenant: j.Tenant, JobId: j.JobId, Finalize: owner}}); err != nil {
		s.releaseFinalize(ctx, j)
		return false, fmt.Errorf("send finalize request: %w", err)
	}
	s.log.InfoContext(ctx, "finalization requested from a worker", "tenant", j.Tenant, "job", j.JobId)
	return true, nil
}

// releaseFinalize withdraws a failed finalizer's claim (best effort: a claim left behind only
// delays the retry until it is stale). It runs even when ctx ended (a finalize cut short by its
// invocation's deadline), within a few seconds of its own.
func (s *Service) releaseFinalize(ctx context.Context, j *job.Job) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	cur, err := s.jobs.Get(ctx, j.Tenant, j.JobId)
	if err != nil || cur.JobStatus.Terminal() || cur.FinalizeClaimed == nil || j.FinalizeClaimed == nil || !cur.FinalizeClaimed.Equal(*j.FinalizeClaimed) {
		return // gone, done, or someone else's claim now
	}
	cur.FinalizeClaimed, cur.FinalizeClaimedBy = nil, ""
	if err := s.jobs.Update(ctx, cur, cur.JobStatus); err != nil {
		s.log.WarnContext(ctx, "cannot release a finalization claim; it is retried once stale", "tenant", j.Tenant, "job", j.JobId, "err", err)
	}
}

// releaseTimeout bounds releaseFinalize.
const releaseTimeout = 5 * time.Second

// finalizeClaimed is the claimed step of finalize.
func (s *Service) finalizeClaimed(ctx context.Context, j *job.Job) error {
	tenant, id := j.Tenant, j.JobId
	if j.JobStatus == job.StopRequested && j.StartedAt == nil {
		// Stopped while SUBMITTED: never planned, nothing queued, nothing to put in an output.
		return s.finish(ctx, j, job.Stopped, stoppedUnplanned, s.nowUTC())
	}
	if j.TopicsStage != nil {
		return s.topicsAdvance(ctx, j) // a stage is complete: its reduce, the next stage, or the end
	}
	if err := s.adoptRegisteredModel(ctx, j); err != nil {
		return err
	}
	recs, err := s.jobs.Shards(ctx, tenant, id)
	if err != nil {
		return fmt.Errorf("list shards: %w", err)
	}
	var results []archivePart
	var outBytes, outLines, failedShards, skipped int64
	infos := make([]output.ShardInfo, 0, len(recs))
	for _, r := range recs {
		info := output.ShardInfo{Index: r.Index, Documents: r.Documents, Errors: r.Errors, Status: output.ShardProcessed}
		switch {
		case r.Skipped:
			info.Status = output.ShardSkipped
			skipped++
		case r.Failed:
			info.Status = output.ShardFailed
			if r.Documents > 0 { // the Message counts the shards whose documents failed so
				failedShards++
			}
		}
		infos = append(infos, info)
		if r.Skipped || r.Bytes == 0 {
			continue
		}
		results = append(results, archivePart{r.ResultKey, r.CRC, r.Bytes, !r.Deflate})
		outBytes += r.Bytes
		outLines += r.Documents
	}
	if err := s.fillShardRanges(ctx, j, infos); err != nil {
		return err
	}

	archiveKey := s.outputKey(j, api.ArchiveName)
	if err := s.composeArchive(ctx, j, archiveKey, recs, results, outBytes); err != nil {
		if errors.Is(err, job.ErrInvalid) {
			// The store refuses the output's key: retrying cannot help.
			return s.fail(ctx, j, "the output cannot be written: "+err.Error())
		}
		if cur, done := s.finishedMeanwhile(ctx, tenant, id); done {
			return s.notify(ctx, cur)
		}
		return fmt.Errorf("write archive: %w", err)
	}

	status, msg := message.TerminalStatus(j, int64(len(recs)), skipped, failedShards)
	end := s.nowUTC()
	withAnalysisCounts(j) // (the manifest's counters as Describe shows them)
	m := &output.Manifest{
		JobId: j.JobId, JobName: j.JobName, Tenant: j.Tenant, JobStatus: status, Message: msg,
		InputDataConfig: j.InputDataConfig, OutputDataConfig: j.OutputDataConfig,
		LanguageCode: j.LanguageCode, JobDetails: j.JobDetails, SubmitTime: j.SubmitTime, EndTime: end,
		Output: output.OutputInfo{ArchiveKey: archiveKey, Location: s.cfg.Locations.URI(archiveKey), Lines: outLines, Format: "JSON Lines in output.tar.gz entry 'output'"},
		Shards: infos,
	}
	m.Analyses = s.manifestAnalyses(j)
	if j.CodingOperation {
		if cur, done := s.finishedMeanwhile(ctx, tenant, id); done {
			return s.notify(ctx, cur) // its coded records stand (see below)
		}
		if err := s.writeCoded(ctx, j, results); err != nil {
			if cur, done := s.finishedMeanwhile(ctx, tenant, id); done {
				return s.notify(ctx, cur)
			}
			return err
		}
	}
	if cur, done := s.finishedMeanwhile(ctx, tenant, id); done {
		// Another finalizer ended the job while this one wrote the same archive: its manifest,
		// with its EndTime, stands (this one's would differ in EndTime).
		return s.notify(ctx, cur)
	}
	if err := s.putStreamTo(ctx, s.outputObjects(ctx, j), s.outputKey(j, api.ManifestName), func(w io.Writer) error {
		return output.WriteManifest(w, m)
	}); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	j.ManifestFilePath = s.manifestURI(j)
	return s.finish(ctx, j, status, msg, end)
}

// finishedMeanwhile reports whether the job is terminal now: a concurrent finalizer finished
// first and removed the shard files this one was reading, which is why it failed.
func (s *Service) finishedMeanwhile(ctx context.Context, tenant, id string) (*job.Job, bool) {
	cur, err := s.jobs.Get(ctx, tenant, id)
	return cur, err == nil && cur.JobStatus.Terminal()
}

// manifestAnalyses are the manifest's record of the analyses a per-document job ran, in the
// job's order, each with its model: the analysers' versions, and for CODING (and
// CODING_TRAINING) the coding model the job recorded, "<model id>@v<version>".
func (s *Service) manifestAnalyses(j *job.Job) []output.AnalysisInfo {
	var out []output.AnalysisInfo
	for _, name := range j.Analyses {
		switch name {
		case job.Coding, job.CodingTraining:
			out = append(out, output.AnalysisInfo{Analysis: name, ModelVersion: jobModelVersion(j, name), MaxDocumentBytes: CodingMaxRecordBytes})
		default:
			if a, ok := s.analyzers[name]; ok {
				out = append(out, output.AnalysisInfo{Analysis: name, ModelVersion: a.ModelVersion(), MaxDocumentBytes: s.maxBytes(a)})
			}
		}
	}
	return out
}

// jobModelVersion is analysis a's entry of the job's ModelVersion ("A=v1,B=v2"), or, for a
// coding analysis whose entry is missing, the model id of its CodingConfig.
func jobModelVersion(j *job.Job, a job.Analysis) string {
	for _, part := range strings.Split(j.ModelVersion, ",") {
		if v, ok := strings.CutPrefix(part, string(a)+"="); ok {
			return v
		}
	}
	if (a == job.Coding || a == job.CodingTraining) && j.CodingConfig != nil {
		return j.CodingConfig.ModelId
	}
	return ""
}

// manifestURI is where the job's manifest.json is written, as the user sees locations.
func (s *Service) manifestURI(j *job.Job) string {
	return s.cfg.Locations.URI(s.outputKey(j, api.ManifestName))
}

// archivePart is an object a worker wrote for the archive (a shard's results or its part of the
// redacted copies): one compressed segment (output.Member) with the CRC-32 and size of its bytes
// before compression; Gzip when it is a gzip member instead (a shard record written before
// segments, ShardRecord.Deflate false: a job that ran across an upgrade).
type archivePart struct {
	Key  string
	CRC  uint32
	Size int64
	Gzip bool
}

// composeArchive writes output.tar.gz as the concatenation of the workers' segments and the
// framing around them (see output.Framing): the "output" entry's header, the shards' results in
// order, the redacted copies (one entry per input file of a line input), and the framing in
// between, which it writes as small objects of its own. The store concatenates
// (Objects.Compose), so this costs O(shards + files) requests and moves no result bytes. The
// framing is a pure function of the shard records, so a repeated finalize writes the same
// archive. Parts that are gzip members are framed as members of a multi-member archive.
func (s *Service) composeArchive(ctx context.Context, j *job.Job, key string, recs []ShardRecord, results []archivePart, outBytes int64) error {
	entries := s.redactedEntries(ctx, j, recs)
	if len(entries) == 0 {
		entries = []redactedEntry{{}} // no redacted copies: the frame after the results only pads them
	}
	gzipped := func(p archivePart) bool { return p.Gzip }
	f := output.Framing{Legacy: slices.ContainsFunc(results, gzipped) ||
		slices.ContainsFunc(entries, func(e redactedEntry) bool { return slices.ContainsFunc(e.Parts, gzipped) })}
	head, err := f.Head(output.EntryName, outBytes)
	if err != nil {
		return err
	}
	framePrefix := layout.JobWork(j.Tenant, j.JobId) + "archive/"
	type frame struct {
		key string
		b   []byte
	}
	frames := []frame{{framePrefix + "head", head}}
	keys := make([]string, 0, len(results)+2*len(entries)+2)
	keys = append(keys, frames[0].key)
	add := func(parts []archivePart) {
		for _, p := range parts {
			if !f.Legacy || p.Gzip {
				keys = append(keys, p.Key)
				f.Add(p.CRC, p.Size)
				continue
			}
			// A segment among gzip members: a member of its own, by a header and a trailer.
			before, after := output.MemberAround(p.CRC, p.Size)
			n := len(frames)
			frames = append(frames, frame{fmt.Sprintf("%swrap-%06d", framePrefix, n), before}, frame{fmt.Sprintf("%swrap-%06d", framePrefix, n+1), after})
			keys = append(keys, frames[n].key, p.Key, frames[n+1].key)
		}
	}
	add(results)
	prev := outBytes // the entry the next frame pads
	for i, e := range entries {
		b, err := f.Frame(prev, e.Name, e.Size)
		if err != nil {
			return err
		}
		name := "mid"
		if i > 0 {
			name = fmt.Sprintf("mid-%06d", i)
		}
		frames = append(frames, frame{framePrefix + name, b})
		keys = append(keys, framePrefix+name)
		add(e.Parts)
		prev = -1 // ONE_DOC_PER_FILE redacted segments hold whole, padded entries
		if e.Name != "" {
			prev = e.Size
		}
	}
	tail, err := f.Trailer(prev)
	if err != nil {
		return err
	}
	frames = append(frames, frame{framePrefix + "tail", tail})
	keys = append(keys, framePrefix+"tail")
	// The frames a few at once: each Put waits for its object to be durable, and the waits
	// overlap instead of adding up.
	errs := make([]error, len(frames))
	sem := make(chan struct{}, framesAtOnce)
	var wg sync.WaitGroup
	for i, f := range frames {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = s.objects.Put(ctx, f.key, bytes.NewReader(f.b))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("write archive frame: %w", err)
	}
	return s.outputObjects(ctx, j).Compose(ctx, key, keys)
}

// framesAtOnce bounds the archive frames written at once (one per input file of a redacted
// many-file line input, up to 100,002).
const framesAtOnce = 16

// fillShardRanges adds each shard's byte range or file count to the manifest from the plan. A
// job without a plan has no ranges to add; a plan that cannot be read (a store error) is the
// caller's error, so that the finalization is tried again rather than writing a manifest without
// its shards' Start, End and File (found by errcheck: the error was dropped).
func (s *Service) fillShardRanges(ctx context.Context, j *job.Job, infos []output.ShardInfo) error {
	byIndex := make(map[int]*output.ShardInfo, len(infos))
	for i := range infos {
		byIndex[infos[i].Index] = &infos[i]
	}
	err := s.readPlan(ctx, j, func(m ShardMessage) error {
		if in := byIndex[m.Index]; in != nil {
			in.Start, in.End, in.Files = m.Start, m.End, len(m.Files)
			if m.Key != "" {
				in.File = fileName(j, m.Key)
			}
			if len(m.Files) > 0 {
				in.FirstFile, in.LastFile = fileName(j, m.Files[0]), fileName(j, m.Files[len(m.Files)-1])
			}
			if in.Status == output.ShardSkipped && m.CountsLines() {
				in.Documents = m.Lines // not analysed, but counted when planned
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, job.ErrNotFound) {
		return fmt.Errorf("read the job's plan for the manifest: %w", err)
	}
	return nil
}

// finish moves j to its terminal status and publishes the notification.
func (s *Service) finish(ctx context.Context, j *job.Job, status job.Status, msg string, now time.Time) error {
	from := j.JobStatus
	if err := s.end(j, status, msg, now); err != nil {
		return err
	}
	if err := s.jobs.Update(ctx, j, from); err != nil {
		if errors.Is(err, job.ErrConflict) {
			// Someone else finished (or stopped) it first: look again.
			cur, gerr := s.jobs.Get(ctx, j.Tenant, j.JobId)
			if gerr != nil {
				return gerr
			}
			if cur.JobStatus.Terminal() {
				return s.notify(ctx, cur)
			}
			// Stopped meanwhile: finalize again as stopping, under this finalizer's claim if it
			// holds the stored one (a failing caller that holds none, or whose claim was taken
			// over, must not force past another finalizer's).
			if sameClaim(j, cur) {
				return s.finalize(ctx, j.Tenant, j.JobId, j.FinalizeClaimedBy, true)
			}
			return s.Finalize(ctx, j.Tenant, j.JobId)
		}
		return fmt.Errorf("finish job: %w", err)
	}
	return s.ended(ctx, j)
}

// end moves j (in memory) to the terminal status with its Message, end and expiration times.
func (s *Service) end(j *job.Job, status job.Status, msg string, now time.Time) error {
	if err := j.Transition(status); err != nil {
		return err
	}
	exp := now.Add(s.retention(j))
	j.Message = msg
	j.JobDetails.Stage = "" // a TOPICS job's stage is its progress while it runs
	j.EndTime = &now
	j.ExpirationTime = &exp
	j.UpdatedAt = now
	return nil
}

// ended follows a job's stored move to its terminal status: it is logged and notified, and its
// work objects are deleted.
func (s *Service) ended(ctx context.Context, j *job.Job) error {
	s.log.InfoContext(ctx, "job finished", "tenant", j.Tenant, "job", j.JobId, "status", j.JobStatus,
		"documents", j.JobDetails.InputDocumentsCount, "errors", j.JobDetails.DocumentsWithErrorsCount)
	err := s.notify(ctx, j)
	s.cleanupWork(ctx, j)
	return err
}

// fail moves a job that cannot go on to FAILED with a message for the user.
func (s *Service) fail(ctx context.Context, j *job.Job, msg string) error {
	if j.JobStatus.Terminal() {
		return nil
	}
	s.log.WarnContext(ctx, "job failed", "tenant", j.Tenant, "job", j.JobId, "reason", msg)
	// The caller's copy may be stale: another shard's record or the planner may have written the
	// job since it was read, and finish would then take the conflict for a stop and leave the
	// job running (found when a ONE_DOC_PER_FILE file changed: the job stayed IN_PROGRESS, its
	// failing shard's message deleted, and nothing was notified). So the stored job is failed,
	// read again on each conflict. A finalizer other than the caller holding a fresh claim is
	// left to end the job (every shard is recorded then, and failing under it would delete the
	// work it is reading); the caller's own claim (a finalizer that fails) is no obstacle.
	for attempt := 0; ; attempt++ {
		cur, err := s.jobs.Get(ctx, j.Tenant, j.JobId)
		if err != nil {
			return err
		}
		if cur.JobStatus.Terminal() {
			return s.notify(ctx, cur)
		}
		if !sameClaim(j, cur) && s.claimFresh(cur, s.nowUTC()) {
			s.log.InfoContext(ctx, "job is being finalized elsewhere; leaving it to that finalizer", "tenant", cur.Tenant, "job", cur.JobId, "by", cur.FinalizeClaimedBy)
			return nil
		}
		from := cur.JobStatus
		if err := s.end(cur, job.Failed, msg, s.nowUTC()); err != nil {
			return err
		}
		err = s.jobs.Update(ctx, cur, from)
		if errors.Is(err, job.ErrConflict) && attempt < maxVersionTries {
			continue
		}
		if err != nil {
			return fmt.Errorf("fail job: %w", err) // the message comes back, and fails it then
		}
		return s.ended(ctx, cur)
	}
}

// notifyClaimTTL is how long a claim to publish a notification stands before the sweeper
// treats its holder as dead and publishes instead.
const notifyClaimTTL = 2 * time.Minute

// notify publishes the terminal notification once and marks the job notified. The publisher
// first claims the job with a conditional write, so concurrent finalizers (a duplicate delivery
// of the last shard) publish once; if the claimant dies before publishing, the sweeper publishes
// after notifyClaimTTL (at least once, in that rare case).
//
// A finished job is still written by others while it is notified (a retry records its child in
// ChildJobIds, an upload's event corrects a stopped job's Message), so a conflict on the claim or
// on the mark is not taken for another publisher's: the job is read again, and claimed or marked
// unless another publisher's claim stands (found by racing retries against finalizing jobs: a
// claim that lost to a retry's write published nothing until the sweeper, a mark that lost to it
// left the job unmarked, and the sweeper published it a second time once the claim was
// notifyClaimTTL old). j is the stored job when notify returns.
func (s *Service) notify(ctx context.Context, j *job.Job) error {
	var claim time.Time
	claimed, err := s.rewrite(ctx, j, func(j *job.Job) bool {
		if j.Notified || !j.JobStatus.Terminal() {
			return false
		}
		claim = s.nowUTC()
		if j.NotifyClaimed != nil && recent(*j.NotifyClaimed, claim, notifyClaimTTL) {
			return false // someone else is publishing it
		}
		j.NotifyClaimed = &claim
		return true
	})
	if err != nil {
		return fmt.Errorf("claim notification: %w", err)
	}
	if !claimed {
		return nil
	}
	// ours: the claim this attempt wrote still stands (another publisher takes it over only
	// once it is notifyClaimTTL old, and then marks the job itself).
	ours := func(j *job.Job) bool { return !j.Notified && j.NotifyClaimed != nil && j.NotifyClaimed.Equal(claim) }
	// Time and Timestamp say when the job finished, as Textract's Timestamp does (found from
	// outside: they were the publish time, later than EndTime, and minutes later when the
	// sweeper republishes).
	ended := claim
	if j.EndTime != nil {
		ended = j.EndTime.UTC()
	}
	n := api.Notification{
		JobId: j.JobId, JobName: j.JobName, Tenant: j.Tenant, JobStatus: j.JobStatus, Message: j.Message,
		InputDocumentsCount:      j.JobDetails.InputDocumentsCount,
		ProcessedDocumentsCount:  j.JobDetails.ProcessedDocumentsCount,
		DocumentsWithErrorsCount: j.JobDetails.DocumentsWithErrorsCount,
		Time:                     ended,
		DropRule:                 j.DropRule, DropObject: j.DropObject,
		OutputLocation: j.OutputLocation(),
		Status:         api.TextractStatus(j.JobStatus), API: j.API, JobTag: j.JobTag,
		Timestamp: ended.UnixMilli(), DocumentLocation: s.documentLocation(ctx, j),
	}
	if n.API == "" {
		n.API = "CreateJob"
	}
	if j.CodingConfig != nil {
		cc := *j.CodingConfig
		n.CodingConfig = &cc
	}
	if j.NotificationChannel != nil {
		n.TopicArn = j.NotificationChannel.SNSTopicArn
	}
	if err := s.notifier.Publish(ctx, n); err != nil {
		// The publish failed (SNS or KMS throttled it past the SDK's retries, say): give the claim
		// back, so that the caller's retry (the shard's next delivery) or the next sweep publishes
		// at once. A claim kept here made them take it for another publisher's and leave the
		// notification to the sweeper once the claim was notifyClaimTTL old: minutes late. (A
		// publish that failed after SNS took it is then published twice: at least once, as SNS
		// delivers anyway.)
		// A write to the job meanwhile (a retry recording its child) is read and the claim given
		// back over it, while the claim is still this attempt's.
		_, rerr := s.rewrite(context.WithoutCancel(ctx), j, func(j *job.Job) bool {
			if !ours(j) {
				return false
			}
			j.NotifyClaimed = nil
			return true
		})
		if rerr != nil && !errors.Is(rerr, job.ErrConflict) {
			s.log.WarnContext(ctx, "could not give back the notification claim", "tenant", j.Tenant, "job", j.JobId, "err", rerr)
		}
		return fmt.Errorf("publish notification: %w", err)
	}
	// Marked unless the claim is no longer ours (another publisher took it over, and marks it).
	if _, err := s.rewrite(ctx, j, func(j *job.Job) bool {
		if !ours(j) {
			return false
		}
		j.Notified = true
		return true
	}); err != nil {
		return fmt.Errorf("mark notified: %w", err)
	}
	return nil
}

// rewrite stores change's edit of j with a conditional write that keeps j's status: on a
// conflict (the job was written meanwhile) it reads j again and asks change again, up to
// maxVersionTries times. change returns false to write nothing: what it would write no longer
// applies to the job as it now is. It reports whether the edit was stored; j is the stored job
// afterwards (as written, or as read).
func (s *Service) rewrite(ctx context.Context, j *job.Job, change func(*job.Job) bool) (bool, error) {
	for try := 0; ; try++ {
		if !change(j) {
			return false, nil
		}
		err := s.jobs.Update(ctx, j, j.JobStatus)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, job.ErrConflict) || try == maxVersionTries {
			return false, err
		}
		if err := s.reread(ctx, j); err != nil {
			return false, err
		}
	}
}

// reread replaces j with the job as stored.
func (s *Service) reread(ctx context.Context, j *job.Job) error {
	cur, err := s.jobs.Get(ctx, j.Tenant, j.JobId)
	if err != nil {
		return err
	}
	*j = *cur
	return nil
}

// documentLocation is the job's input as a notification names it (Textract's DocumentLocation):
// the object that started a drop job, else the one object the job's input was found to be when
// it was planned (InputObject: its object, or the only document of its folder or key prefix),
// else the job's input (its object, or its folder's prefix); the bucket is the store's: the
// first s3:// name of its locations (locally, where locations are file:// URIs, the bucket name
// its S3-style alias gives, if any).
func (s *Service) documentLocation(ctx context.Context, j *job.Job) api.DocumentLocation {
	key := j.DropObject.Key
	if key == "" {
		// (found from outside: a key prefix that matched one object, as Comprehend reads an
		// S3Uri, was notified by the prefix, which no GetObject finds)
		key = j.InputObject
	}
	if key == "" {
		key, _ = s.cfg.Locations.Key(j.InputDataConfig.S3Uri)
	}
	if key == "" {
		key = j.InputKey
	}
	folder := ""
	if j.DropObject.Key == "" && j.InputObject == "" && strings.HasSuffix(key, "/") {
		folder = key
	} else if j.DropObject.Key == "" && j.InputObject == "" && key != "" {
		// A location named without its trailing slash that is no object is read as the folder
		// of that name when there is one (found from outside: a folder of one object named
		// without its slash was notified by the folder's name, which no GetObject finds). Only
		// the folder is listed, not the key as a prefix: an input deleted while its job ran
		// must not be notified as another object whose name begins with its own.
		if _, err := s.objects.Head(ctx, key); errors.Is(err, job.ErrNotFound) || errors.Is(err, job.ErrInvalid) {
			folder = key + "/"
		}
	}
	if folder != "" {
		// A folder holding one object (`ream submit` of one file uploads it under the job's
		// files/ folder) is named by that object, the document a Textract consumer fetches
		// (found from outside: a GetObject of the folder's name failed).
		var only string
		n := 0
		err := s.objects.List(ctx, folder, func(o ObjectInfo) error {
			if n++; n > 1 {
				return errStopList
			}
			only = o.Key
			return nil
		})
		// (Not a folder of several upload files of which one came: the job timed out waiting for
		// the others, and that one is not its input.)
		if (err == nil || errors.Is(err, errStopList)) && n == 1 && j.ExpectedFiles <= 1 {
			key = only
		}
	}
	var bucket string
	for _, base := range append([]string{s.cfg.Locations.Base}, s.cfg.Locations.Aliases...) {
		if rest, ok := strings.CutPrefix(base, "s3://"); ok {
			bucket, _, _ = strings.Cut(rest, "/")
			break
		}
	}
	return api.DocumentLocation{S3Bucket: bucket, S3ObjectName: key}
}

// cleanupWork deletes the shard results once they are in the archive, and a TOPICS job's
// statistics, samples and models (best effort: left-overs are harmless and expire with the job).
func (s *Service) cleanupWork(ctx context.Context, j *job.Job) {
	var keys []string
	for _, prefix := range []string{layout.JobWork(j.Tenant, j.JobId) + "shards/", layout.JobWork(j.Tenant, j.JobId) + "archive/", layout.RedactedPrefix(j.Tenant, j.JobId), topicsjob.Key(j, "")} {
		_ = s.objects.List(ctx, prefix, func(o ObjectInfo) error {
			keys = append(keys, o.Key)
			return nil
		})
	}
	// One request per 1,000 objects on S3: deleting them one by one took a request and a round
	// trip per shard, one after another, in the last worker after the job was notified (≈ 1,000
	// for a 1 GB job, ≈ 5,000 at the 5 GB input limit).
	if err := s.objects.DeleteKeys(ctx, keys); err != nil {
		s.log.WarnContext(ctx, "cleanup failed", "tenant", j.Tenant, "job", j.JobId, "objects", len(keys), "err", err)
	}
}

// putStream streams what write produces into key. It returns once write has returned too, so
// nothing write touches is still in use.
func (s *Service) putStream(ctx context.Context, key string, write func(io.Writer) error) error {
	return s.putStreamTo(ctx, s.objects, key, write)
}

// putStreamTo is putStream into the store objs (a job's outputObjects).
func (s *Service) putStreamTo(ctx context.Context, objs Objects, key string, write func(io.Writer) error) error {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		bw := bufio.NewWriterSize(pw, 256<<10)
		err := write(bw)
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	err := objs.Put(ctx, key, pr)
	pr.CloseWithError(errors.New("upload stopped"))
	<-done
	return err
}

// readPlan streams the job's shard plan.
func (s *Service) readPlan(ctx context.Context, j *job.Job, fn func(ShardMessage) error) error {
	rc, err := s.objects.Open(ctx, layout.PlanKey(j.Tenant, j.JobId), 0)
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := json.NewDecoder(bufio.NewReader(rc))
	for {
		var m ShardMessage
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("read plan: %w", err)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
}
