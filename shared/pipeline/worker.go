package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/analysis/coding"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline/codingop"
	"github.com/ream-dev/ream/shared/pipeline/layout"
	"github.com/ream-dev/ream/shared/pipeline/message"
	"github.com/ream-dev/ream/shared/pipeline/redaction"
	"github.com/ream-dev/ream/shared/pipeline/topicsjob"
)

// ProcessShard analyses one shard and records it. It is idempotent: the shard's results object
// is deterministic and rewritten whole, and the shard record with the job's counters is written
// once in one transaction, so a duplicate delivery or a crash at any line counts nothing twice.
// When the last shard is recorded the job is finalized.
func (s *Service) ProcessShard(ctx context.Context, msg ShardMessage) error {
	log := s.log.With("tenant", msg.Tenant, "job", msg.JobId, "shard", msg.Index)
	j, err := s.jobs.Get(ctx, msg.Tenant, msg.JobId)
	if errors.Is(err, job.ErrNotFound) {
		log.WarnContext(ctx, "shard for unknown job; dropped")
		return nil
	}
	if err != nil {
		return fmt.Errorf("get job: %w", err)
	}
	if msg.Plan {
		if j.JobStatus != job.Submitted {
			return nil // planned already: a redelivery, or the sweeper came first
		}
		return s.start(ctx, j)
	}
	if msg.Finalize != "" {
		computeDone(ctx) // no shard computes here; a TOPICS stage's reduce may run long (see topicsShard)
		return s.finalize(ctx, j.Tenant, j.JobId, msg.Finalize, false)
	}
	switch j.JobStatus {
	case job.InProgress:
	case job.StopRequested:
		return s.record(ctx, j, ShardRecord{Index: msg.Index, Skipped: true})
	default:
		if j.JobStatus.Terminal() {
			log.InfoContext(ctx, "shard for finished job; dropped", "status", j.JobStatus)
			// The delivery that ended the job may have failed to publish its notification (and
			// given back its claim): this one publishes it, rather than the sweeper minutes later.
			return s.notify(ctx, j)
		}
		return fmt.Errorf("job %s is %s, not yet IN_PROGRESS", j.JobId, j.JobStatus)
	}

	analyzers, err := s.analyzers.Lookup(job.TextAnalyses(j.Analyses))
	if err != nil {
		return s.fail(ctx, j, "the job asks for analyses this deployment cannot run: "+err.Error())
	}
	if j.Has(job.CodingTraining) {
		return s.trainShard(ctx, j, msg)
	}
	if j.TopicsStage != nil {
		return s.topicsShard(ctx, j, msg)
	}
	var coder *coding.Model
	if j.Has(job.Coding) {
		// A model that is gone, or whose file does not decode, fails the job at once: no
		// delivery could load it (they were tried maxReceiveCount times, then dead-lettered).
		if coder, err = s.coder(ctx, j); errors.Is(err, job.ErrNotFound) {
			return s.fail(ctx, j, "the job's coding model cannot be used: "+api.Message(err))
		} else if errors.Is(err, coding.ErrInvalidModel) {
			return s.fail(ctx, j, "the job's coding model cannot be used: "+err.Error())
		} else if err != nil {
			return err
		}
	}
	if done, err := s.inputChangedBefore(ctx, j, msg); done || err != nil {
		return err
	}
	if err := s.shardStarted(msg); err != nil {
		return err
	}
	key := layout.ShardKey(j.Tenant, j.JobId, msg.Index)
	var counts job.AnalysisCounts
	rec, err := s.writeShard(ctx, j, msg, key, false, func(d input.Document, rec *output.Record) {
		counts = s.analyse(ctx, log, analyzers, coder, j, d, rec, counts)
	})
	if archived := (*job.ArchivedError)(nil); errors.As(err, &archived) {
		// A line input archived since it was planned. (A ONE_DOC_PER_FILE file is a record of
		// its own: the reader never returns this.)
		return s.failArchived(ctx, j, msg, archived)
	}
	if key, ok := changedFile(err); ok {
		return s.inputChangedUnder(ctx, j, msg, key)
	}
	if err != nil {
		return err
	}
	rec.Analyses = counts
	if msg.CountsLines() && rec.Documents != msg.Lines {
		return s.fail(ctx, j, lineCountMessage(j, msg.Index, rec.Documents, msg.Lines))
	}
	if s.hooks.AfterShardWritten != nil {
		if err := s.hooks.AfterShardWritten(msg); err != nil {
			return err
		}
	}
	log.InfoContext(ctx, "shard analysed", "documents", rec.Documents, "errors", rec.Errors)
	return s.record(ctx, j, rec)
}

// DeadLetter accounts for a shard that failed too often to be processed (a poison message): it
// reads the shard's documents without analysing them and writes one SHARD_FAILED error record
// for each, so every input document still appears exactly once in the output. A shard that was
// recorded meanwhile (processed, then its message came back until it was dead-lettered) keeps
// its results: they are never rewritten. The dead-letter results go to an object of their own
// (DeadLetterKey), so a late redelivery that analyses the shard cannot overwrite them either.
func (s *Service) DeadLetter(ctx context.Context, msg ShardMessage, reason string) error {
	j, err := s.jobs.Get(ctx, msg.Tenant, msg.JobId)
	if errors.Is(err, job.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get job: %w", err)
	}
	if j.JobStatus.Terminal() {
		return nil
	}
	if msg.Plan {
		if j.JobStatus != job.Submitted {
			return nil
		}
		return s.fail(ctx, j, "the job's input could not be planned (the plan message failed repeatedly and was dead-lettered): "+cmp.Or(reason, "no reason given"))
	}
	if msg.Finalize != "" {
		// As a plan message's: a step that fails every time would otherwise be asked for
		// again and again, each time as long as it takes, and the job would never end.
		if j.JobStatus != job.InProgress && j.JobStatus != job.StopRequested {
			return nil
		}
		return s.fail(ctx, j, "the job could not be finalized (its finalize message failed repeatedly and was dead-lettered): "+cmp.Or(reason, "no reason given"))
	}
	if reason == "" {
		reason = "the shard failed repeatedly and was dead-lettered"
	}
	if ts := j.TopicsStage; ts != nil {
		if topicsjob.LateCopy(ts, msg.Index) {
			return nil // a late copy of a stage that was complete before the job moved on (as topicsShard)
		}
		// A topic model needs every shard's statistics: without them it cannot be fitted.
		return s.fail(ctx, j, fmt.Sprintf("shard %d failed repeatedly while %s and was dead-lettered; the topic model cannot be fitted without it", msg.Index%max(j.TopicsStage.Shards, 1), j.JobDetails.Stage))
	}
	if r, ok, err := s.recordedShard(ctx, j, msg.Index); err != nil {
		return err
	} else if ok {
		s.log.InfoContext(ctx, "dead-lettered shard was already recorded; its results stand", "tenant", j.Tenant, "job", j.JobId, "shard", msg.Index)
		return s.record(ctx, j, r) // no-op record; finalizes if it was the last
	}
	key := layout.DeadLetterKey(j.Tenant, j.JobId, msg.Index)
	// Its documents become SHARD_FAILED records whatever their files hold now: the files are
	// read without checking their planned versions, as before reads checked them.
	msg.FileVersions = nil
	rec, err := s.writeShard(ctx, j, msg, key, true, func(d input.Document, rec *output.Record) {
		if rec.ErrorCode == "" {
			rec.ErrorCode, rec.ErrorMessage = job.CodeShardFailed, reason
		}
	})
	if err != nil {
		// Even reading fails: the documents cannot be enumerated, so the job cannot be
		// complete. Fail it and say why rather than pretend.
		return s.fail(ctx, j, fmt.Sprintf("shard %d could not be processed or read: %v", msg.Index, err))
	}
	s.log.WarnContext(ctx, "shard dead-lettered", "tenant", j.Tenant, "job", j.JobId, "shard", msg.Index, "documents", rec.Documents)
	rec.Failed = true
	return s.record(ctx, j, rec)
}

// recordedShard returns shard index's record when the job has one.
func (s *Service) recordedShard(ctx context.Context, j *job.Job, index int) (ShardRecord, bool, error) {
	recs, err := s.jobs.Shards(ctx, j.Tenant, j.JobId)
	if err != nil {
		return ShardRecord{}, false, fmt.Errorf("list shard records: %w", err)
	}
	for _, r := range recs {
		if r.Index == index {
			return r, true, nil
		}
	}
	return ShardRecord{}, false, nil
}

// writeShard streams the shard's documents through fill into its results object, one DEFLATE
// segment (see output.Member), and returns the shard's record: how many records (and error
// records) it wrote, their size before compression and their CRC-32. Records of line formats carry global line
// numbers (the plan's LineOffset plus the line within the shard). When the job asks for redaction
// it also writes the redacted copies of the documents (see redaction.Writer); dead says they are a
// dead-lettered shard's, kept apart from an analysed attempt's.
func (s *Service) writeShard(ctx context.Context, j *job.Job, msg ShardMessage, key string, dead bool, fill func(input.Document, *output.Record)) (ShardRecord, error) {
	lim := s.readLimits(j)
	red := redaction.NewWriter(ctx, s.objects, s.log, j, msg.Index, dead)
	var w *output.Writer
	var m *output.Member
	// The error records also go, uncompressed, to an object of their own (ErrorsKey) that the
	// errors route pages through; they are small (no document text) and bounded by the shard.
	errBuf := errorBuffers.Get().(*bytes.Buffer)
	defer putErrorBuffer(errBuf)
	errorsKey := layout.ErrorsKey(j.Tenant, j.JobId, msg.Index, dead)
	// errorsPut is the error records' Put (nil when there are none), begun as soon as they are
	// complete: their object is written and synced while the results' object is, not after it
	// (one wait for the disk per shard instead of two). The record below needs both.
	var errorsPut chan error
	err := s.putStream(ctx, key, func(out io.Writer) error {
		m = output.NewMember(out)
		w = output.NewWriter(m)
		w.TeeErrors(errBuf)
		// One record, reset for each document: it is encoded before the next one is read, and
		// nothing keeps it (one allocation per shard instead of one per document).
		var rec output.Record
		var line int64
		emit := func(d input.Document) error {
			rec = output.Record{File: d.File, RecordId: d.RecordId, ErrorCode: d.ErrorCode, ErrorMessage: d.ErrorMessage}
			if n, ok := outputLine(j, msg, d); ok {
				line = n
				rec.Line = &line
			}
			fill(d, &rec)
			if err := red.Write(ctx, d, &rec); err != nil {
				return err
			}
			return w.Write(&rec)
		}
		err := s.readShard(ctx, j, msg, lim, emit)
		if err == nil {
			err = w.Flush()
		}
		if err == nil {
			err = m.Close()
		}
		if err == nil {
			computeDone(ctx) // what is left is I/O: the store's sync, the records
			if errBuf.Len() > 0 {
				errorsPut = make(chan error, 1)
				go func() { errorsPut <- s.objects.Put(ctx, errorsKey, bytes.NewReader(errBuf.Bytes())) }()
			}
		}
		return err
	})
	// putStream returned after the function above: errorsPut is set if it was begun. It is
	// waited for in any case, so that errBuf is no longer read when it goes back to its pool.
	var errorsErr error
	if errorsPut != nil {
		errorsErr = <-errorsPut
	}
	redacted, redactedCRC, rerr := red.Close(err)
	if err == nil && rerr != nil {
		err = rerr
	}
	if err != nil {
		return ShardRecord{}, fmt.Errorf("write shard results: %w", err)
	}
	rec := ShardRecord{Index: msg.Index, ResultKey: key, Bytes: m.Size(), CRC: m.CRC(), RedactedBytes: redacted, RedactedCRC: redactedCRC, Deflate: true, InputBytes: msg.Bytes}
	if j.InputDataConfig.InputFormat.LineFormat() && msg.Key != "" { // (a packed shard's files are in the plan)
		rec.File = fileName(j, msg.Key)
	}
	rec.Documents, rec.Errors = w.Count()
	if errorsPut != nil {
		if errorsErr != nil {
			return ShardRecord{}, fmt.Errorf("write shard error records: %w", errorsErr)
		}
		rec.ErrorsKey = errorsKey
	}
	return rec, nil
}

// errorBuffers hold the error records of the shards being written: a shard's buffer grows to
// the size of its error records, and growing a fresh one for every shard (allocating and
// zeroing each doubling) cost more CPU than encoding them.
var errorBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putErrorBuffer returns b to errorBuffers, unless one shard's many errors made it large.
func putErrorBuffer(b *bytes.Buffer) {
	if b.Cap() > 8<<20 {
		return
	}
	b.Reset()
	errorBuffers.Put(b)
}

// inputChangedUnder answers msg, whose input key changed since planning (inputChanged): a late
// copy of a shard recorded before the change is recorded again, since its results were read
// from the planned versions (found in review: it failed a job whose finalizer was already
// writing its output; for a TOPICS stage's shard too); any other shard fails the job.
func (s *Service) inputChangedUnder(ctx context.Context, j *job.Job, msg ShardMessage, key string) error {
	if rec, ok, err := s.recordedShard(ctx, j, msg.Index); err != nil {
		return err
	} else if ok {
		return s.record(ctx, j, rec)
	}
	return s.fail(ctx, j, s.inputChangedMessage(j, msg, key))
}

// inputChangedMessage is the Message of a job failed because key, an input of msg's shard
// (inputChanged), was replaced or deleted.
func (s *Service) inputChangedMessage(j *job.Job, msg ShardMessage, key string) string {
	what := s.inputName(j) // the one object, named (found from outside: "the input object")
	switch {
	case len(msg.Files) == 0 && key == j.InputKey:
	case j.InputKey == layout.UploadFilesPrefix(j.Tenant, j.JobId) && !j.CodingOperation:
		// A file the client uploaded: by the name it gave, not the service's folder.
		what = fmt.Sprintf("the uploaded file %q", fileName(j, key))
	case j.Has(job.CodingTraining):
		// The one object of a folder: by the name its client gives it (trainingInputName).
		what = "input " + s.clientLocation(key)
	default:
		// A file of a ONE_DOC_PER_FILE input or of a line input read as a folder: which one.
		what = "input file " + s.cfg.Locations.URI(key)
	}
	return what + " was replaced or deleted while the job was running; " + message.InputChangedAdvice(j)
}

// archivedShardInput says that the input object of line shard msg cannot be read, as its store
// keeps it in an archive storage class (a), and what it needs.
func (s *Service) archivedShardInput(msg ShardMessage, a *job.ArchivedError) string {
	what := fmt.Sprintf("an input object of shard %d", msg.Index)
	if msg.Key != "" {
		what = "input object " + s.cfg.Locations.URI(msg.Key)
	}
	return archivedMessage(what, a)
}

// failArchived fails job j, whose line shard msg met its input archived since it was planned:
// every delivery would meet it again.
func (s *Service) failArchived(ctx context.Context, j *job.Job, msg ShardMessage, a *job.ArchivedError) error {
	return s.fail(ctx, j, s.archivedShardInput(msg, a)+resubmitArchived)
}

// inputChangedBefore checks, before shard msg is read, that its input still has the version the
// job was planned on (inputChanged): done reports that it has not, and that the shard's work
// ended there (inputChangedUnder).
func (s *Service) inputChangedBefore(ctx context.Context, j *job.Job, msg ShardMessage) (done bool, err error) {
	key, err := s.inputChanged(ctx, j, msg)
	if err != nil || key == "" {
		return false, err
	}
	return true, s.inputChangedUnder(ctx, j, msg, key)
}

// lineCountMessage is the Message of a job failed because shard index of a line input read got
// documents where planning counted planned: the input changed under the same version.
func lineCountMessage(j *job.Job, index int, got, planned int64) string {
	return fmt.Sprintf("shard %d holds %d documents where planning counted %d: the input changed while the job ran; %s", index, got, planned, message.InputChangedAdvice(j))
}

// inputChanged returns the input object of line shard msg that no longer has the version the
// job was planned on, "" when none (the shard's own version, for a many-file input, else the
// job's). A deleted object is a change (found from outside: a file replaced while its job ran
// was analysed as its new text and the job COMPLETED; one deleted failed its shard three
// times, then the job, with a store's error). The files of a shard that names them (Files: a
// ONE_DOC_PER_FILE shard, or small files of a line input packed together) are checked as they
// are read instead (versionedOpener), with no request of their own.
func (s *Service) inputChanged(ctx context.Context, j *job.Job, msg ShardMessage) (string, error) {
	version := msg.Version
	if version == "" {
		version = j.InputVersion
	}
	if version == "" || msg.Key == "" {
		return "", nil
	}
	info, err := s.objects.Head(ctx, msg.Key)
	switch {
	case errors.Is(err, job.ErrNotFound):
		return msg.Key, nil
	case errors.Is(err, job.ErrInvalid):
		return "", nil // a name the store refuses: the reader makes it an UNREADABLE_FILE record
	case err != nil:
		return "", fmt.Errorf("head input: %w", err)
	}
	if inputVersion(info) != version {
		return msg.Key, nil
	}
	return "", nil
}

// fileChangedError is the error of reading file key of a shard (ShardMessage.Files) that no
// longer has the version it was listed with at planning (FileVersions), or is gone.
type fileChangedError struct{ key string }

func (e *fileChangedError) Error() string {
	return "input " + e.key + " was replaced or deleted since the job was planned"
}

// changedFile returns the file a read found replaced or deleted since planning, if err says so.
func changedFile(err error) (string, bool) {
	var e *fileChangedError
	if errors.As(err, &e) {
		return e.key, true
	}
	return "", false
}

// versionedOpener opens the files of shard msg (Files) each with the version it was listed with
// at planning (FileVersions), in the one request that reads it (Objects.OpenInfo): a file gone,
// or of another version, is a *fileChangedError (changedFile) and nothing of it is read. Before,
// every file cost a Head and then a read. Other keys, and a message without versions, are opened
// as they are.
func (s *Service) versionedOpener(msg ShardMessage) input.Opener {
	if len(msg.Files) == 0 || len(msg.FileVersions) != len(msg.Files) {
		return s.objects.Open
	}
	planned := make(map[string]string, len(msg.Files))
	for i, k := range msg.Files {
		planned[k] = msg.FileVersions[i]
	}
	return func(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
		version, ok := planned[key]
		if !ok || offset != 0 {
			return s.objects.Open(ctx, key, offset)
		}
		rc, info, err := s.objects.OpenInfo(ctx, key)
		switch {
		case errors.Is(err, job.ErrNotFound):
			return nil, &fileChangedError{key}
		case err != nil:
			return nil, err
		case fileVersion(info) != version:
			rc.Close()
			return nil, &fileChangedError{key}
		}
		return rc, nil
	}
}

// outputLine is the Line a document of shard msg is written with: its line within its file
// (the plan's LineOffset plus its line within the shard; a retry child's documents carry their
// parent's line numbers already), or ok=false for ONE_DOC_PER_FILE documents.
func outputLine(j *job.Job, msg ShardMessage, d input.Document) (n int64, ok bool) {
	if d.Line < 0 || !j.InputDataConfig.InputFormat.LineFormat() {
		return 0, false
	}
	if j.ParentJobId != "" {
		return d.Line, true
	}
	return msg.LineOffset + d.Line, true
}

// readShard streams the documents of the shard msg names (a byte range of a line input, or a
// group of files).
func (s *Service) readShard(ctx context.Context, j *job.Job, msg ShardMessage, lim input.Limits, fn func(input.Document) error) error {
	if j.ParentJobId != "" {
		return s.readRetryShard(ctx, j, msg, lim, fn)
	}
	if j.InputDataConfig.InputFormat.LineFormat() {
		if msg.Unreadable {
			return fn(input.UnreadableFile(fileName(j, msg.Key), 0))
		}
		if len(msg.FileLines) > 0 {
			// Several whole small files (packed at planning): each read to its end, its lines
			// numbered from 0 (LineOffset is 0), as a shard of its own would number them; the
			// next files are opened while one is read (input.Prefetch).
			open, stop := input.Prefetch(ctx, s.versionedOpener(msg), msg.Files)
			defer stop()
			for _, k := range msg.Files {
				sh := input.Shard{Index: msg.Index, Start: 0, End: math.MaxInt64}
				if err := input.ReadLines(ctx, open, k, fileName(j, k), j.InputDataConfig.InputFormat, sh, lim, fn); err != nil {
					return err
				}
			}
			return nil
		}
		if msg.Key != "" && msg.Lines == 0 {
			// No line starts in the shard's range (planning counted them): it lies inside one
			// long line, which the shard where that line starts reads. Reading on to the line's
			// end from here would make every such shard read the rest of the line, quadratic in
			// its length (found from outside: a 1 GB line took 106 s, a 500 MB one 24 s). The
			// range itself is still read, so that a file changed under the same version (a line
			// break there now) is read in full and fails the job on its line count (found in
			// review).
			if brk, err := s.lineBreakIn(ctx, msg); err != nil || !brk {
				return err
			}
		}
		sh := input.Shard{Index: msg.Index, Start: msg.Start, End: msg.End}
		return input.ReadLines(ctx, s.objects.Open, msg.Key, fileName(j, msg.Key), j.InputDataConfig.InputFormat, sh, lim, fn)
	}
	sh := input.Shard{Index: msg.Index}
	for _, f := range msg.Files {
		sh.Files = append(sh.Files, input.FileRef{Key: f})
	}
	return input.ReadFiles(ctx, s.versionedOpener(msg), sh, func(k string) string { return fileName(j, k) }, lim, fn)
}

// lineBreakIn reports whether the bytes before msg's range's documents could start one
// ([Start-1, End-1): a line starts in [Start, End) only after a break there) hold a line break.
func (s *Service) lineBreakIn(ctx context.Context, msg ShardMessage) (bool, error) {
	from := max(msg.Start-1, 0)
	rc, err := s.objects.Open(ctx, msg.Key, from)
	if err != nil {
		return false, fmt.Errorf("input: %w", err)
	}
	defer rc.Close()
	buf := make([]byte, 32<<10)
	r := io.LimitReader(rc, msg.End-1-from)
	for {
		n, err := r.Read(buf)
		if bytes.ContainsAny(buf[:n], "\r\n") {
			return true, nil
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("input: %w", err)
		}
	}
}

// readLimits bounds what the reader keeps of one document: the largest limit of the job's
// analysers (each analyser then applies its own).
func (s *Service) readLimits(j *job.Job) input.Limits {
	lim := input.Limits{CodingRecords: j.ReadsCodingRecords()}
	if lim.CodingRecords {
		lim.MaxDocumentBytes = CodingMaxRecordBytes
	}
	analyzers, err := s.analyzers.Lookup(job.TextAnalyses(j.Analyses))
	if err != nil {
		return input.Limits{MaxDocumentBytes: 100_000}
	}
	for _, a := range analyzers {
		lim.MaxDocumentBytes = max(lim.MaxDocumentBytes, int64(s.maxBytes(a)))
	}
	if lim.MaxDocumentBytes <= 0 { // TOPICS alone: the readers' default, named (the manifest shows it)
		lim.MaxDocumentBytes = input.DefaultMaxDocumentBytes
	}
	return lim
}

// analyse runs every analyser of the job over one document, and codes it with coder when the
// job asks for CODING (coder is nil otherwise), merges their fields into rec and adds the
// document's per-analysis outcomes to counts (returned): CODING counts like every analysis. A
// document one analyser cannot take (too big for it, unsupported language) keeps the fields of
// the others; in a job of several analyses the failed ones are listed in rec.Errors, and only a
// document on which every analysis failed is an error record (its top-level ErrorCode is the
// first failure). A one-analysis job's failure is a top-level ErrorCode and ErrorMessage, as
// Comprehend's. A panicking analyser costs one document's analysis, not the shard. A
// document-level error (set by the reader) runs nothing and counts in no analysis. log is the
// shard's logger (tenant, job and shard): an analyser's failure is logged with them and the
// document's place, so an operator can find the job and the document it failed on.
func (s *Service) analyse(ctx context.Context, log *slog.Logger, analyzers []analysis.Analyzer, coder *coding.Model, j *job.Job, d input.Document, rec *output.Record, counts job.AnalysisCounts) job.AnalysisCounts {
	total := len(analyzers)
	if coder != nil {
		total++
	}
	if rec.ErrorCode != "" || total == 0 {
		return counts
	}
	if counts == nil {
		counts = make(job.AnalysisCounts, total)
	}
	// ENTITIES hands its person spans on only to a job whose PII (and its redaction) reads them.
	opts := analysis.Options{LanguageCode: j.LanguageCode, HandOnPersons: j.Has(job.PII)}
	var failed []output.AnalysisError
	outcome := func(a job.Analysis, code, msg string) {
		c := counts[a]
		if code == "" {
			c.Succeeded++
		} else {
			c.Failed++
			failed = append(failed, output.AnalysisError{Analysis: a, ErrorCode: code, ErrorMessage: msg})
		}
		counts[a] = c
	}
	// Without a job-wide LanguageCode the language-dependent analysers get each document's
	// language as analysis.DocumentLanguage decides it from LANGUAGE's candidates, so a French
	// review is not scored by an English model while short English text is not refused: LANGUAGE
	// runs first (its result is only written out when the job asked for it).
	ranLanguage := false
	if lang, ok := s.analyzers[job.Language]; ok && opts.LanguageCode == "" && needsLanguage(analyzers) {
		ranLanguage = true
		into := &rec.Result
		if !j.Has(job.Language) {
			into = new(analysis.Result) // only then: a scratch result declared above escaped for every document
		}
		code, msg := s.analyseOne(ctx, log, rec, lang, d, opts, into)
		if j.Has(job.Language) {
			outcome(job.Language, code, msg)
		}
		if code == "" || code == job.CodeUnsupportedLanguage {
			opts.LanguageCode = analysis.DocumentLanguage(d.Text, into.Languages)
		}
	}
	// The analysers run in analysis.RunOrder (ENTITIES before PII, which reuses the person spans
	// it hands on: Result.Persons, passed on as Options.Persons, as LANGUAGE's language is); their
	// outcomes are reported in the job's order.
	var resultsBuf [8]struct{ code, msg string }
	var orderBuf [8]int
	results := resultsBuf[:0]
	if len(analyzers) > len(resultsBuf) {
		results = make([]struct{ code, msg string }, 0, len(analyzers))
	}
	results = results[:len(analyzers)]
	for _, i := range analysis.RunOrder(analyzers, orderBuf[:0]) {
		a := analyzers[i]
		if a.Name() == job.Language && ranLanguage {
			continue // already ran above
		}
		results[i].code, results[i].msg = s.analyseOne(ctx, log, rec, a, d, opts, &rec.Result)
		opts.Persons = rec.Result.Persons
	}
	for i, a := range analyzers {
		if a.Name() == job.Language && ranLanguage {
			continue // reported above
		}
		outcome(a.Name(), results[i].code, results[i].msg)
	}
	if coder != nil {
		code, msg := s.codeOne(ctx, log, coder, d, rec)
		outcome(job.Coding, code, msg)
	}
	switch {
	case len(failed) == 0:
	case total == 1:
		rec.ErrorCode, rec.ErrorMessage = failed[0].ErrorCode, failed[0].ErrorMessage
	default:
		rec.Errors = failed
		if len(failed) == total {
			rec.ErrorCode, rec.ErrorMessage = failed[0].ErrorCode, failed[0].ErrorMessage
		}
	}
	return counts
}

// needsLanguage reports whether any analyser besides LANGUAGE depends on the document's language.
func needsLanguage(analyzers []analysis.Analyzer) bool {
	for _, a := range analyzers {
		if a.Name() != job.Language {
			return true
		}
	}
	return false
}

// codeOne codes one document into rec.Coding; a panicking model fails CODING on this document
// alone, as a panicking analyser does. A record over CODING's limit fails CODING alone: the
// reader lets it through when another analysis of the job takes larger documents (readLimits).
func (s *Service) codeOne(ctx context.Context, log *slog.Logger, m *coding.Model, d input.Document, rec *output.Record) (code, msg string) {
	if n := input.CodingBytes(d.Occupation, d.Tasks); n > CodingMaxRecordBytes {
		return job.CodeDocumentSizeExceeded, fmt.Sprintf("%s accepts records whose occp_text and tasks_text are at most %d bytes together; this one's are %d bytes", job.Coding, CodingMaxRecordBytes, n)
	}
	defer func() {
		if p := recover(); p != nil {
			log.ErrorContext(ctx, "coding model panicked", docAttrs(rec, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))...)
			rec.Coding = nil
			code, msg = job.CodeInternalError, fmt.Sprintf("%s failed on this document", job.Coding)
		}
	}()
	rec.Coding = codingop.CodeRecord(m, d.Occupation, d.Tasks)
	return "", ""
}

// docAttrs is attrs with the place of the document that rec is written for, as its output and
// error records name it (File, Line, RecordId), for a log line about that document.
func docAttrs(rec *output.Record, attrs ...any) []any {
	attrs = append(attrs, "file", rec.File)
	if rec.Line != nil {
		attrs = append(attrs, "line", *rec.Line)
	}
	if rec.RecordId != "" {
		attrs = append(attrs, "recordId", rec.RecordId)
	}
	return attrs
}

func (s *Service) analyseOne(ctx context.Context, log *slog.Logger, at *output.Record, a analysis.Analyzer, d input.Document, opts analysis.Options, into *analysis.Result) (code, msg string) {
	if limit := s.maxBytes(a); len(d.Text) > limit {
		return job.CodeDocumentSizeExceeded, fmt.Sprintf("%s accepts documents of at most %d bytes; this one has %d", a.Name(), limit, len(d.Text))
	}
	defer func() {
		if p := recover(); p != nil {
			log.ErrorContext(ctx, "analyser panicked", docAttrs(at, "analysis", a.Name(), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))...)
			code, msg = job.CodeInternalError, fmt.Sprintf("%s failed on this document", a.Name())
		}
	}()
	err := a.Analyze(d.Text, opts, into)
	if err == nil {
		return "", ""
	}
	if de := docError(err); de != nil {
		if strings.HasPrefix(de.Message, string(a.Name())) {
			return de.Code, de.Message
		}
		return de.Code, string(a.Name()) + ": " + de.Message
	}
	log.ErrorContext(ctx, "analyser failed", docAttrs(at, "analysis", a.Name(), "err", err)...)
	return job.CodeInternalError, fmt.Sprintf("%s failed on this document", a.Name())
}

// docError returns the *analysis.DocError in err's chain, nil if there is none. The analysers
// return theirs as it is, which the type assertion finds without errors.As's reflection or the
// heap allocation of its target: a cost paid for every document an analysis refuses (in a job
// of several languages without a LanguageCode, SENTIMENT refuses about half of them).
func docError(err error) *analysis.DocError {
	if de, ok := err.(*analysis.DocError); ok {
		return de
	}
	var de *analysis.DocError // allocated only here, on the path that needs errors.As
	if errors.As(err, &de) {
		return de
	}
	return nil
}

// InputRefused is the conflict (job.ErrConflict) a store that can refuse an upload (the local
// stack; S3 cannot) answers for an upload to job j's upload URL that j no longer takes: its input
// already arrived (arrived), or it no longer waits for input. It is the one place that refusal is
// worded, per job kind: a coding operation is named as an operation, with its operation status,
// and its client told to start a new batch-code operation, not to create a job.
func InputRefused(j *job.Job, arrived bool) error {
	if j.CodingOperation {
		if arrived {
			return fmt.Errorf("%w: the file of operation %s was already uploaded; %s", job.ErrConflict, j.JobId, message.NewInputAdvice(j))
		}
		return fmt.Errorf("%w: operation %s is %s and no longer accepts input; %s", ErrNoLongerWaiting, j.JobId, codingop.Status(j.JobStatus), message.NewInputAdvice(j))
	}
	if arrived {
		return fmt.Errorf("%w: this input of job %s was already uploaded; %s", job.ErrConflict, j.JobId, message.NewInputAdvice(j))
	}
	return fmt.Errorf("%w: job %s is %s and no longer accepts input; %s", ErrNoLongerWaiting, j.JobId, j.JobStatus, message.NewInputAdvice(j))
}

// ErrNoLongerWaiting (a job.ErrConflict) is InputRefused's refusal for a job that has left
// AWAITING_INPUT: its upload's event was handled (or it ended), so a retried upload of the same
// bytes need not queue that event again.
var ErrNoLongerWaiting = fmt.Errorf("%w", job.ErrConflict)

// record writes the shard record (once) and finalizes the job when it was the last one.
func (s *Service) record(ctx context.Context, j *job.Job, rec ShardRecord) error {
	rec.Recorded = s.nowUTC()
	after, applied, err := s.jobs.RecordShard(ctx, j.Tenant, j.JobId, rec)
	if err != nil {
		return fmt.Errorf("record shard %d: %w", rec.Index, err)
	}
	if !applied {
		s.log.InfoContext(ctx, "shard already recorded; duplicate delivery ignored", "tenant", j.Tenant, "job", j.JobId, "shard", rec.Index)
	}
	if after.JobStatus.Terminal() {
		// This copy ran beside the one recorded, or the shard finished after its job ended (it
		// FAILED while this shard ran; its counts stay those it ended with): either may have
		// written results after the job deleted its work: delete them again, not leave them
		// until expiry.
		s.cleanupWork(ctx, after)
	}
	if after.JobDetails.ShardsDone >= after.JobDetails.ShardsTotal {
		return s.finalizeBy(ctx, j.Tenant, j.JobId, rec.Index)
	}
	return nil
}
