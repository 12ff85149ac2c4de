package pipeline

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ream-dev/ream/shared/analysis/topics"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline/message"
	"github.com/ream-dev/ream/shared/pipeline/topicsjob"
)

// TOPICS: a topic model fitted over the whole collection, as map–reduce stages through the same
// queue, each stage one pass over the job's N data shards:
//
//	stage   kind     each shard writes (map)             when the last is recorded (reduce)
//	0       count    term statistics                     vocabulary + the shards' line offsets
//	1       sample   a seeded sample of its documents    the initial model (model 0)
//	2…      round r  sufficient statistics vs model r-1  model r; the next round, or assign when done
//	last    assign   doc-topics rows and error records   finalize: output.tar.gz
//
// Shard records of stage s have indexes s*N+i, so every map step is recorded exactly once by the
// same machinery as any shard, and ShardsTotal grows by N per stage (the number of rounds is
// known only when the model converges). Whoever records the last shard of a stage runs its
// reduce and enqueues the next stage; a reduce is a pure function of stored objects, writes its
// result under a fixed key and is skipped when that key exists, so a repeated or concurrent
// reduce (a redelivery, the sweeper rescuing a stage that stalled) changes nothing. With the same
// input, shards and RandomSeed the output is byte-identical, with or without faults. No step
// holds more than one shard's documents, the vocabulary (≤ 50,000 terms) and K×V model weights.

// Output names of a TOPICS job, inside output.tar.gz.
const (
	TopicTermsName = "topic-terms.csv"
	DocTopicsName  = "doc-topics.csv"
	TopicErrorName = "errors.jsonl"
)

// stageSkipped reports whether a shard of the job's stage ts was skipped (recorded while the job
// was stopping).
func (s *Service) stageSkipped(ctx context.Context, j *job.Job, ts *job.TopicsStage) (bool, error) {
	recs, err := s.jobs.Shards(ctx, j.Tenant, j.JobId)
	if err != nil {
		return false, fmt.Errorf("list shards: %w", err)
	}
	for _, r := range recs {
		if r.Skipped && ts.Shards > 0 && r.Index/ts.Shards == ts.Index {
			return true, nil
		}
	}
	return false, nil
}

// topicsShard runs one map step of a TOPICS job.
func (s *Service) topicsShard(ctx context.Context, j *job.Job, msg ShardMessage) error {
	ts := j.TopicsStage
	if ts == nil || ts.Shards <= 0 {
		return s.fail(ctx, j, "the topic model's stage is unknown")
	}
	if topicsjob.LateCopy(ts, msg.Index) {
		return nil // a late copy: the stage was complete before the job moved on
	}
	stage, shard := msg.Index/ts.Shards, msg.Index%ts.Shards
	if stage > ts.Index {
		return fmt.Errorf("topics: shard %d of stage %d arrived while the job is at stage %d", shard, stage, ts.Index)
	}
	// Every stage reads the input again: a file replaced or deleted since planning fails the
	// job, as it does for the other analyses (found from outside: a TOPICS job whose input was
	// swapped while it fitted ended COMPLETED with a model of both versions).
	if done, err := s.inputChangedBefore(ctx, j, msg); done || err != nil {
		return err
	}
	lim := s.readLimits(j)
	// Every stage sees a line document's line within its file (the plan's LineOffset plus
	// its line within the shard), as the output reports it: the seeded sample's keys are then
	// the same whatever the shard size.
	var read int64
	docs := func(fn func(input.Document) error) error {
		read = 0
		return s.readShard(ctx, j, msg, lim, func(d input.Document) error {
			read++
			if n, ok := outputLine(j, msg, d); ok {
				d.Line = n
			}
			return fn(d)
		})
	}
	if err := s.shardStarted(msg); err != nil {
		return err
	}
	rec := ShardRecord{Index: msg.Index}
	var err error
	switch ts.Kind {
	case topicsjob.Count:
		// The documents are read here and analysed at the assign stage (see ShardRecord.Processed).
		rec.Documents, rec.Errors, err = s.topicsCount(ctx, j, shard, docs)
		rec.Analysed = new(int64(0))
	case topicsjob.Sample:
		err = s.topicsSample(ctx, j, shard, docs)
	case topicsjob.Round:
		err = s.topicsRound(ctx, j, shard, ts.Round, docs)
	case topicsjob.Assign:
		var assigned int64
		rec.Errors, assigned, err = s.topicsAssign(ctx, j, shard, docs)
		rec.Analysed = &assigned
	default:
		return s.fail(ctx, j, "unknown topic-model stage "+ts.Kind)
	}
	if err != nil {
		if cur, gerr := s.jobs.Get(ctx, j.Tenant, j.JobId); gerr == nil && cur.JobStatus.Terminal() {
			// A late copy: the job finished while it ran and deleted what it was reading.
			s.log.InfoContext(ctx, "shard for finished job; dropped", "tenant", j.Tenant, "job", j.JobId, "shard", msg.Index, "status", cur.JobStatus)
			s.cleanupWork(ctx, cur)
			return nil
		}
		if key, ok := changedFile(err); ok {
			return s.inputChangedUnder(ctx, j, msg, key)
		}
		if archived := (*job.ArchivedError)(nil); errors.As(err, &archived) {
			// A line input archived since it was planned, as ProcessShard's. (The shard
			// numbered within its stage, as users count them.)
			m := msg
			m.Index = shard
			return s.failArchived(ctx, j, m, archived)
		}
		return fmt.Errorf("topics %s, shard %d: %w", ts.Kind, shard, err)
	}
	if msg.CountsLines() && read != msg.Lines {
		return s.fail(ctx, j, lineCountMessage(j, shard, read, msg.Lines)) // the shard's number within its stage, as users count them
	}
	// The shard's map step is done. What follows, its record and, when it completed its stage,
	// the stage's reduce (the initial fit: minutes on a large collection), is not this shard's
	// computing: a runtime that bounds the shards computing at once (the local stack's compute
	// slots) starts other shards meanwhile, so that fits never hold every slot (found from
	// outside: two fits held another tenant's 10-line job for 32 s with the default 2 workers).
	computeDone(ctx)
	if s.hooks.AfterShardWritten != nil {
		if err := s.hooks.AfterShardWritten(msg); err != nil {
			return err
		}
	}
	return s.record(ctx, j, rec)
}

func (s *Service) topicsCount(ctx context.Context, j *job.Job, shard int, docs func(func(input.Document) error) error) (n, bad int64, err error) {
	st := topics.NewShardStats(0)
	err = docs(func(d input.Document) error {
		n++
		if d.Failed() {
			bad++
			return nil
		}
		st.Add(d.Text)
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return n, bad, s.putStream(ctx, topicsjob.Part(j, "stats", shard), func(w io.Writer) error { return topics.WriteStats(w, st) })
}

func (s *Service) topicsSample(ctx context.Context, j *job.Job, shard int, docs func(func(input.Document) error) error) error {
	v, err := s.topicsVocab(ctx, j)
	if err != nil {
		return err
	}
	sample, err := topics.SampleShard(v, topicsjob.Options(j), topicsjob.Usable(docs))
	if err != nil {
		return err
	}
	return s.putStream(ctx, topicsjob.Part(j, "sample", shard), func(w io.Writer) error { _, err := sample.WriteTo(w); return err })
}

func (s *Service) topicsRound(ctx context.Context, j *job.Job, shard, round int, docs func(func(input.Document) error) error) error {
	m, err := s.topicsModel(ctx, j, round-1)
	if err != nil {
		return err
	}
	st, err := topics.ShardRound(m, shard, topicsjob.Usable(docs))
	if err != nil {
		return err
	}
	return s.putStream(ctx, topicsjob.Part(j, fmt.Sprintf("round-%03d", round), shard), func(w io.Writer) error { _, err := st.WriteTo(w); return err })
}

// topicsAssign writes the shard's doc-topics rows and its error records (bad documents, and
// documents with no vocabulary term); it returns how many of the latter it found (the count
// stage counted the bad ones already) and how many documents it gave topics.
func (s *Service) topicsAssign(ctx context.Context, j *job.Job, shard int, docs func(func(input.Document) error) error) (noTerms, assigned int64, err error) {
	unfit := j.TopicsStage.Unfit
	var a *topics.Assigner
	var spell *topics.SpellingCounter // the spellings of the terms topic-terms.csv shows
	if unfit == "" {
		m, err := s.topicsModel(ctx, j, j.TopicsStage.Round)
		if err != nil {
			return 0, 0, err
		}
		a = topics.NewAssigner(m)
		spell = topics.NewSpellingCounter(topics.TopTerms(m, topicsjob.TopTermsShown))
		a.CountSpellings(spell)
	}
	lineFormat := j.InputDataConfig.InputFormat.LineFormat()
	var errBuf bytes.Buffer
	ew := output.NewWriter(&errBuf)
	err = s.putStream(ctx, topicsjob.Part(j, "doc-topics", shard), func(w io.Writer) error {
		cw := csv.NewWriter(w)
		err := docs(func(d input.Document) error {
			rec := output.Record{File: d.File, RecordId: d.RecordId} // JSONL inputs carry RecordId, as every error record does
			name := d.File
			if lineFormat {
				line := d.Line
				rec.Line = &line
				name = d.File + ":" + strconv.FormatInt(line, 10)
			}
			if d.Failed() {
				rec.ErrorCode, rec.ErrorMessage = d.ErrorCode, d.ErrorMessage
				return ew.Write(&rec)
			}
			if a == nil {
				noTerms++
				rec.ErrorCode, rec.ErrorMessage = topicsjob.CodeNoModel, topicsjob.UnfitMessage(unfit)
				return ew.Write(&rec)
			}
			shares := topics.DocTopics(a.Assign(d.Text), 0)
			if len(shares) == 0 {
				noTerms++
				rec.ErrorCode, rec.ErrorMessage = topicsjob.CodeNoTerms, "none of the document's words is in the topic model's vocabulary"
				return ew.Write(&rec)
			}
			assigned++
			return cw.WriteAll(topics.DocTopicRows(name, shares))
		})
		if err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		return 0, 0, err
	}
	if err := ew.Flush(); err != nil {
		return 0, 0, err
	}
	if spell != nil {
		if err := s.putStream(ctx, topicsjob.Part(j, "spellings", shard), func(w io.Writer) error { _, err := spell.WriteTo(w); return err }); err != nil {
			return 0, 0, err
		}
	}
	return noTerms, assigned, s.objects.Put(ctx, topicsjob.Part(j, "errors", shard), bytes.NewReader(errBuf.Bytes()))
}

// respell sets the shown terms to the spelling the collection uses most (the assign map counted
// them per shard), one shard's counts at a time. A shard without counts (its assign ran before
// they were kept) adds none.
func (s *Service) respell(ctx context.Context, j *job.Job, top [][]topics.TermWeight) error {
	var sums topics.SpellingSums
	for _, key := range topicsjob.Parts(j, "spellings") {
		rc, err := s.objects.Open(ctx, key, 0)
		if errors.Is(err, job.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		err = sums.Add(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("spellings %s: %w", key, err)
		}
	}
	topics.Respell(top, sums.Best())
	return nil
}

// topicsVocab reads the job's vocabulary.
func (s *Service) topicsVocab(ctx context.Context, j *job.Job) (*topics.Vocabulary, error) {
	rc, err := s.objects.Open(ctx, topicsjob.Key(j, "vocabulary"), 0)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return topics.ReadVocabulary(rc)
}

// topicsModel reads the job's model after round (0: the initial model).
func (s *Service) topicsModel(ctx context.Context, j *job.Job, round int) (*topics.Model, error) {
	rc, err := s.objects.Open(ctx, topicsjob.ModelKey(j, round), 0)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return topics.ReadModel(rc)
}

// withReaders opens the objects keys at once, calls fn with them, and closes them.
func (s *Service) withReaders(ctx context.Context, keys []string, fn func([]io.Reader) error) error {
	rs := make([]io.Reader, 0, len(keys))
	for _, k := range keys {
		rc, err := s.objects.Open(ctx, k, 0)
		if err != nil {
			return err
		}
		defer rc.Close()
		rs = append(rs, rc)
	}
	return fn(rs)
}

// shardSeq opens the map outputs of a stage in shard order (the reduces read them in order,
// so sums are deterministic).
func (s *Service) shardSeq(ctx context.Context, j *job.Job, kind string) func(i int) (io.ReadCloser, error) {
	return func(i int) (io.ReadCloser, error) { return s.objects.Open(ctx, topicsjob.Part(j, kind, i), 0) }
}

// topicsAdvance runs when every shard of the job's current stage is recorded: the stage's
// reduce, then the next stage (or finalize after assign). Safe to repeat and to run
// concurrently.
func (s *Service) topicsAdvance(ctx context.Context, j *job.Job) error {
	ts := *j.TopicsStage
	if j.JobStatus == job.StopRequested {
		if ts.Kind == topicsjob.Assign {
			// A stop that came while the last assign steps ran skipped none: the output is
			// complete, and the job ends as it would have, as any job a stop could not cut
			// short (found in review: it ended STOPPED without output after a whole fit).
			skipped, err := s.stageSkipped(ctx, j, &ts)
			if err != nil {
				return err
			}
			if !skipped {
				return s.finalizeTopics(ctx, j)
			}
		}
		return s.finish(ctx, j, job.Stopped, topicsjob.StoppedMessage(j, &ts), s.nowUTC())
	}
	next := job.TopicsStage{Shards: ts.Shards, Index: ts.Index + 1}
	var err error
	switch ts.Kind {
	case topicsjob.Count:
		err = s.reduceVocabulary(ctx, j)
		next.Kind = topicsjob.Sample
	case topicsjob.Sample:
		var m *topics.Model
		if m, err = s.reduceInit(ctx, j); err == nil {
			next.Kind, next.Round = topicsjob.NextAfter(m, 0)
		}
	case topicsjob.Round:
		var m *topics.Model
		if m, err = s.reduceRound(ctx, j, ts.Round); err == nil {
			next.Kind, next.Round = topicsjob.NextAfter(m, ts.Round)
		}
	case topicsjob.Assign:
		return s.finalizeTopics(ctx, j)
	}
	if errors.Is(err, context.Canceled) && ctx.Err() == nil {
		// The fit saw the job leave IN_PROGRESS (untilStopped).
		cur, gerr := s.jobs.Get(ctx, j.Tenant, j.JobId)
		if gerr != nil {
			return gerr
		}
		if cur.JobStatus.Terminal() {
			return nil
		}
		if cur.JobStatus == job.StopRequested {
			return s.topicsAdvance(ctx, cur)
		}
	}
	var unfit *unfitError
	if errors.As(err, &unfit) {
		next.Kind, next.Round, next.Unfit, err = topicsjob.Assign, 0, unfit.reason, nil
	}
	if err != nil {
		var ue *userError
		if errors.As(err, &ue) {
			return s.fail(ctx, j, ue.msg)
		}
		return fmt.Errorf("topics %s reduce: %w", ts.Kind, err)
	}
	// Move the job to the next stage (once: a concurrent reducer may have done it).
	for try := 0; ; try++ {
		cur, err := s.jobs.Get(ctx, j.Tenant, j.JobId)
		if err != nil {
			return err
		}
		if cur.JobStatus == job.StopRequested && cur.TopicsStage != nil && cur.TopicsStage.Index < next.Index {
			// Stopped while this reducer held the claim (the stop left the job to it): end it
			// STOPPED now, under the claim, rather than when the claim goes stale.
			return s.topicsAdvance(ctx, cur)
		}
		if cur.JobStatus != job.InProgress || cur.TopicsStage == nil || cur.TopicsStage.Index >= next.Index {
			return s.enqueueMissing(ctx, cur)
		}
		cur.TopicsStage = &next
		cur.FinalizeClaimed, cur.FinalizeClaimedBy = nil, "" // the claim was this stage's reduce
		cur.JobDetails.ShardsTotal = (next.Index + 1) * next.Shards
		cur.JobDetails.Stage = topicsjob.StageLabel(&next, topicsjob.Options(cur).Rounds)
		cur.UpdatedAt = s.nowUTC()
		err = s.jobs.Update(ctx, cur, job.InProgress)
		if err == nil {
			s.log.InfoContext(ctx, "topics stage", "tenant", j.Tenant, "job", j.JobId, "stage", cur.JobDetails.Stage)
			return s.enqueueMissing(ctx, cur)
		}
		if !errors.Is(err, job.ErrConflict) || try >= maxVersionTries {
			return fmt.Errorf("advance topics stage: %w", err)
		}
	}
}

func (s *Service) reduceVocabulary(ctx context.Context, j *job.Job) error {
	if ok, err := s.exists(ctx, topicsjob.Key(j, "vocabulary")); ok || err != nil {
		return err
	}
	keys := topicsjob.Parts(j, "stats")
	// A tree: never more than StatsFanIn streams open at once (a 5 GB job has thousands of
	// shards), merging groups into intermediate statistics until one level fits.
	fanIn := s.cfg.StatsFanIn
	for level := 0; len(keys) > fanIn; level++ {
		var next []string
		for g := 0; g*fanIn < len(keys); g++ {
			group := keys[g*fanIn : min((g+1)*fanIn, len(keys))]
			key := topicsjob.Key(j, fmt.Sprintf("stats-merged/%d/%06d", level, g))
			if err := s.withReaders(ctx, group, func(rs []io.Reader) error {
				return s.putStream(ctx, key, func(w io.Writer) error { return topics.MergeStats(w, rs) })
			}); err != nil {
				return err
			}
			next = append(next, key)
		}
		keys = next
	}
	var v *topics.Vocabulary
	if err := s.withReaders(ctx, keys, func(rs []io.Reader) error {
		var err error
		v, err = topics.BuildVocabulary(rs, topics.VocabOptions{})
		return err
	}); err != nil {
		return err
	}
	switch {
	case len(v.Terms) > 0:
	case v.Merged == 0:
		// Not a word left at all (a one-document collection, whose every word is kept, can
		// only end here).
		return &unfitError{reason: "none of its documents has a word once English stop words and generic words (such as use, support, click, login) are left out (TOPICS needs documents with words to tell their topics by)"}
	case v.DroppedMaxDF > 0:
		// Every shared word is in more than half of the documents: they are too alike.
		return &unfitError{reason: fmt.Sprintf("every word that occurs in two or more of its documents occurs in more than %.0f %% of them, so they are too alike to tell topics apart (TOPICS needs documents that differ in what they are about)", 100*v.Options.MaxDFShare)}
	default:
		return &unfitError{reason: "no word occurs in two or more of its documents once English stop words and generic words (such as use, support, click, login) are left out (TOPICS needs a collection of documents with words in common)"}
	}
	return s.putStream(ctx, topicsjob.Key(j, "vocabulary"), func(w io.Writer) error { _, err := v.WriteTo(w); return err })
}

// modelledWords names the words a model is made of, for the Message of a collection that has
// too few documents with them: the words that occur in other documents, or, in a collection too
// small for that rule (one document: topics.Vocabulary.MinDF), all its words but the stop words.
func modelledWords(v *topics.Vocabulary) string {
	if v != nil && v.MinDF() < 2 {
		return "words other than stop words and generic words"
	}
	return "words that occur in other documents"
}

// unfitError is a reduce's finding that the collection cannot be fitted a model (too few
// documents with words in common): the job goes on to the assign stage without a model, so that
// every document gets an error record, and then fails with reason.
type unfitError struct{ reason string }

func (e *unfitError) Error() string { return topicsjob.UnfitMessage(e.reason) }

// reduceInit fits the initial model (round 0) on the shards' samples. The fit is the longest
// step of a TOPICS job: the job shows it as its stage while it runs, and a stop request ends it.
func (s *Service) reduceInit(ctx context.Context, j *job.Job) (*topics.Model, error) {
	var v *topics.Vocabulary // for the Message of too few documents
	m, err := s.reduceModel(ctx, j, 0, func() (*topics.Model, error) {
		var err error
		if v, err = s.topicsVocab(ctx, j); err != nil {
			return nil, err
		}
		s.setStage(ctx, j, topicsjob.InitLabel)
		fitCtx, stop := s.untilStopped(ctx, j, fitStopPollInterval)
		defer stop()
		return topics.InitModelWith(fitCtx, v, topics.ReadSeq(j.TopicsStage.Shards, s.shardSeq(ctx, j, "sample"), topics.ReadSample), topicsjob.Options(j), topics.InitConfig{
			Checkpoints: &initCheckpoints{s: s, j: j},
			StepEvery:   stepEvery(ctx),
			CPUs:        s.cfg.FitCPUs,
			Saved:       s.hooks.InitCheckpointSaved,
		})
	})
	var few *topics.TooFewDocumentsError
	switch {
	case errors.As(err, &few) && few.Distinct:
		return nil, &unfitError{reason: fmt.Sprintf("NumberOfTopics is %d, but its documents have only %s of the %s (documents with the same words are alike to the model); ask for at most %s", few.K, message.Counted(int64(few.Documents), "different set"), modelledWords(v), message.Counted(int64(few.Documents), "topic"))}
	case errors.As(err, &few):
		return nil, &unfitError{reason: fmt.Sprintf("NumberOfTopics is %d, but only %d of its documents %s %s; ask for at most %s", few.K, few.Documents, map[bool]string{true: "has", false: "have"}[few.Documents == 1], modelledWords(v), message.Counted(int64(few.Documents), "topic"))}
	}
	return m, err
}

// fitStepEvery is how long a restart of the initial fit runs before the state at the end of
// its κ step is stored (topics.InitConfig.StepEvery): a finished restart is always stored, and
// one that runs long keeps its progress too, about every half minute (a state is 25 MB at
// K=100 on 20,000 documents of 11,858 terms, so a restart of the README's 24 s on a whole core
// stores none locally and one or two on a 1,024 MB Lambda function).
const fitStepEvery = 30 * time.Second

// stepEvery is fitStepEvery, or a quarter of the time ctx has left when that is shorter (a
// worker with a short timeout), so that a delivery stores some progress whatever its time.
func stepEvery(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return max(time.Second, min(fitStepEvery, time.Until(dl)/4))
	}
	return fitStepEvery
}

// initCheckpoints keeps a TOPICS job's initial fit's progress (topics.Checkpoints) under its
// work prefix (topicsjob.InitCheckpointKey), deleted with the rest when the job ends: a fit cut
// by the worker's deadline is delivered again and resumes from what it stored.
type initCheckpoints struct {
	s *Service
	j *job.Job
}

func (c *initCheckpoints) Names(ctx context.Context) ([]string, error) {
	prefix := topicsjob.InitCheckpointKey(c.j, "")
	var names []string
	err := c.s.objects.List(ctx, prefix, func(o ObjectInfo) error {
		names = append(names, strings.TrimPrefix(o.Key, prefix))
		return nil
	})
	return names, err
}

func (c *initCheckpoints) Load(ctx context.Context, name string) (io.ReadCloser, error) {
	return c.s.objects.Open(ctx, topicsjob.InitCheckpointKey(c.j, name), 0)
}

func (c *initCheckpoints) Save(ctx context.Context, name string, write func(io.Writer) error) error {
	err := c.s.putStream(ctx, topicsjob.InitCheckpointKey(c.j, name), write)
	if err != nil && ctx.Err() == nil {
		c.s.log.WarnContext(ctx, "initial fit's checkpoint not stored; a fit cut short computes it again", "tenant", c.j.Tenant, "job", c.j.JobId, "checkpoint", name, "err", err)
	}
	return err
}

// setStage shows label as the running job's stage while it is still at j's stage (best effort:
// a lost race with another writer only leaves the previous label). A reducer that comes late,
// after another one moved the job on (a duplicate delivery, the sweeper's rescue), leaves the
// later stage shown: the stage only moves forward.
func (s *Service) setStage(ctx context.Context, j *job.Job, label string) {
	cur, err := s.jobs.Get(ctx, j.Tenant, j.JobId)
	if err != nil || cur.JobStatus != job.InProgress || cur.JobDetails.Stage == label {
		return
	}
	if cur.TopicsStage == nil || j.TopicsStage == nil || cur.TopicsStage.Index != j.TopicsStage.Index {
		return
	}
	cur.JobDetails.Stage = label
	cur.UpdatedAt = s.nowUTC()
	if err := s.jobs.Update(ctx, cur, job.InProgress); err != nil && !errors.Is(err, job.ErrConflict) {
		s.log.WarnContext(ctx, "stage not shown", "tenant", j.Tenant, "job", j.JobId, "err", err)
	}
}

// stopPollInterval is how often a training looks for a stop request (the README says every 2
// seconds).
const stopPollInterval = 2 * time.Second

// fitStopPollInterval is how often the initial fit of a TOPICS job looks for a stop request.
// The README promises that a stop ends the fit within 2 seconds: the fit sees the stop at the
// next look and ends at the next EM iteration (0.1–0.5 s at K=100 on a 20,000-document
// sample), so the look must come more often than every 2 seconds (found from outside: with
// stopPollInterval, a K=100 job on 25,000 IMDB reviews stopped 2.4 s after the request).
const fitStopPollInterval = time.Second

// untilStopped returns a context that is cancelled when the job leaves IN_PROGRESS (a stop
// request, or it ended elsewhere), checked every interval, or when ctx is.
func (s *Service) untilStopped(ctx context.Context, j *job.Job, every time.Duration) (context.Context, context.CancelFunc) {
	fitCtx, cancel := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-fitCtx.Done():
				return
			case <-t.C:
				if cur, err := s.jobs.Get(fitCtx, j.Tenant, j.JobId); err == nil && cur.JobStatus != job.InProgress {
					cancel()
					return
				}
			}
		}
	}()
	return fitCtx, cancel
}

// reduceRound sums round's statistics in shard order into the model after it.
func (s *Service) reduceRound(ctx context.Context, j *job.Job, round int) (*topics.Model, error) {
	return s.reduceModel(ctx, j, round, func() (*topics.Model, error) {
		prev, err := s.topicsModel(ctx, j, round-1)
		if err != nil {
			return nil, err
		}
		return topics.Reduce(prev, topics.ReadSeq(j.TopicsStage.Shards, s.shardSeq(ctx, j, fmt.Sprintf("round-%03d", round)), topics.ReadRoundStats))
	})
}

// reduceModel returns the job's model after round: read back when a reduce already wrote it (a
// repeated or concurrent reduce), else fitted and written.
func (s *Service) reduceModel(ctx context.Context, j *job.Job, round int, fit func() (*topics.Model, error)) (*topics.Model, error) {
	key := topicsjob.ModelKey(j, round)
	done, err := s.exists(ctx, key)
	if err != nil {
		return nil, err
	}
	if done {
		return s.topicsModel(ctx, j, round)
	}
	m, err := fit()
	if err != nil {
		return nil, err
	}
	return m, s.putStream(ctx, key, func(w io.Writer) error { _, err := m.WriteTo(w); return err })
}

// finalizeTopics writes output.tar.gz (topic-terms.csv, doc-topics.csv, errors.jsonl) and the
// manifest, and finishes the job.
//
// When no model could be fitted (TopicsStage.Unfit) the archive has the same three files, the
// first two with their header alone, and the job fails saying why.
func (s *Service) finalizeTopics(ctx context.Context, j *job.Job) error {
	var m *topics.Model
	var top [][]topics.TermWeight
	if j.TopicsStage.Unfit == "" {
		var err error
		if m, err = s.topicsModel(ctx, j, j.TopicsStage.Round); err != nil {
			return err
		}
		top = topics.TopTerms(m, topicsjob.TopTermsShown)
		if err := s.respell(ctx, j, top); err != nil {
			return err
		}
	}
	var terms bytes.Buffer
	if err := topics.WriteTopicTerms(&terms, top, true); err != nil {
		return err
	}
	docTopics, err := s.concatEntry(ctx, DocTopicsName, []byte("docname,topic,proportion\n"), topicsjob.Parts(j, "doc-topics"))
	if err != nil {
		return err
	}
	errs, err := s.concatEntry(ctx, TopicErrorName, nil, topicsjob.Parts(j, "errors"))
	if err != nil {
		return err
	}
	termsEntry := output.Entry{Name: TopicTermsName, Size: int64(terms.Len()), Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(terms.Bytes())), nil
	}}
	archiveKey := s.outputKey(j, api.ArchiveName)
	if err := s.putStreamTo(ctx, s.outputObjects(ctx, j), archiveKey, func(w io.Writer) error {
		return output.WriteEntries(ctx, w, termsEntry, docTopics, errs)
	}); err != nil {
		if errors.Is(err, job.ErrInvalid) {
			// The store refuses the output (its key, or the job's KMS key): retrying cannot help.
			return s.fail(ctx, j, "the output cannot be written: "+err.Error())
		}
		if cur, gerr := s.jobs.Get(ctx, j.Tenant, j.JobId); gerr == nil && cur.JobStatus.Terminal() {
			return s.notify(ctx, cur)
		}
		return fmt.Errorf("write archive: %w", err)
	}
	return s.finishTopics(ctx, j, archiveKey, m)
}

// finishTopics writes the manifest and moves the job to its terminal status.
func (s *Service) finishTopics(ctx context.Context, j *job.Job, archiveKey string, m *topics.Model) error {
	recs, err := s.jobs.Shards(ctx, j.Tenant, j.JobId)
	if err != nil {
		return err
	}
	ts := j.TopicsStage
	var infos []output.ShardInfo
	at := map[int]int{}  // a data shard's place in infos
	var unreadable int64 // documents the count stage could not read
	for _, r := range recs {
		if r.Index < ts.Shards { // the count stage: one record per data shard
			at[r.Index] = len(infos)
			infos = append(infos, output.ShardInfo{Index: r.Index, Documents: r.Documents, Errors: r.Errors, Status: output.ShardProcessed})
			unreadable += r.Errors
		}
	}
	// A data shard's errors are also the documents its assign stage could not give topics
	// (NO_TOPIC_TERMS, NO_TOPIC_MODEL), so the shards' Errors add up to the job's count (found
	// from outside: the manifest listed only the unreadable ones).
	if ts.Kind == topicsjob.Assign {
		for _, r := range recs {
			if r.Index/ts.Shards != ts.Index {
				continue
			}
			if i, ok := at[r.Index%ts.Shards]; ok {
				infos[i].Errors += r.Errors
			}
		}
	}
	if err := s.fillShardRanges(ctx, j, infos); err != nil {
		return err
	}
	status, msg := message.TerminalStatus(j, 0, 0, 0)
	o := topicsjob.Options(j)
	version := fmt.Sprintf("%s K=%d seed=%d", topicsjob.ModelVersion, o.K, o.Seed)
	if m != nil {
		version += fmt.Sprintf(" rounds=%d vocabulary=%d", m.Round, m.V)
	} else if status != job.Stopped && unreadable < j.JobDetails.InputDocumentsCount {
		// (When every document was unreadable, message.TerminalStatus's "all N documents failed" says it.)
		status, msg = job.Failed, topicsjob.UnfitMessage(j.TopicsStage.Unfit)+"; the output has an error record for each document"
	}
	end := s.nowUTC()
	details := j.JobDetails
	details.Stage = "" // as finish leaves the job
	man := &output.Manifest{
		JobId: j.JobId, JobName: j.JobName, Tenant: j.Tenant, JobStatus: status, Message: msg,
		Analyses:        []output.AnalysisInfo{{Analysis: job.Topics, ModelVersion: version, MaxDocumentBytes: int(s.readLimits(j).MaxDocumentBytes)}},
		InputDataConfig: j.InputDataConfig, OutputDataConfig: j.OutputDataConfig, LanguageCode: j.LanguageCode,
		JobDetails: details, SubmitTime: j.SubmitTime, EndTime: end,
		Output: output.OutputInfo{ArchiveKey: archiveKey, Location: s.cfg.Locations.URI(archiveKey), Lines: j.JobDetails.InputDocumentsCount,
			Format: "topic-terms.csv (topic,term,weight), doc-topics.csv (docname,topic,proportion) and errors.jsonl in output.tar.gz"},
		Shards: infos,
	}
	if err := s.putStreamTo(ctx, s.outputObjects(ctx, j), s.outputKey(j, api.ManifestName), func(w io.Writer) error { return output.WriteManifest(w, man) }); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	j.ManifestFilePath = s.manifestURI(j)
	return s.finish(ctx, j, status, msg, end)
}

// concatEntry is the archive entry name holding head, then the objects keys in order: their
// sizes are read with Head, and the objects are opened one at a time as the entry streams.
func (s *Service) concatEntry(ctx context.Context, name string, head []byte, keys []string) (output.Entry, error) {
	size := int64(len(head))
	for _, k := range keys {
		info, err := s.objects.Head(ctx, k)
		if err != nil {
			return output.Entry{}, fmt.Errorf("%s: part %s: %w", name, k, err)
		}
		size += info.Size
	}
	return output.Entry{Name: name, Size: size, Open: func(ctx context.Context) (io.ReadCloser, error) {
		return &concatReader{ctx: ctx, s: s, head: head, keys: keys}, nil
	}}, nil
}

// concatReader reads head, then objects one after another, opening each only when it is reached.
type concatReader struct {
	ctx  context.Context
	s    *Service
	head []byte
	keys []string
	cur  io.ReadCloser
}

func (c *concatReader) Read(p []byte) (int, error) {
	if len(c.head) > 0 {
		n := copy(p, c.head)
		c.head = c.head[n:]
		return n, nil
	}
	for {
		if c.cur == nil {
			if len(c.keys) == 0 {
				return 0, io.EOF
			}
			rc, err := c.s.objects.Open(c.ctx, c.keys[0], 0)
			if err != nil {
				return 0, err
			}
			c.cur, c.keys = rc, c.keys[1:]
		}
		n, err := c.cur.Read(p)
		if errors.Is(err, io.EOF) {
			c.cur.Close()
			c.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (c *concatReader) Close() error {
	if c.cur != nil {
		return c.cur.Close()
	}
	return nil
}
