package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/droprule"
	"github.com/ream-dev/ream/shared/pipeline/layout"
	"github.com/ream-dev/ream/shared/pipeline/message"
	"github.com/ream-dev/ream/shared/pipeline/topicsjob"
	"golang.org/x/sync/errgroup"
)

// InputArrived handles an ObjectCreated event for key. An upload to a job that is waiting for
// its input starts the job; a repeated event for a job already started plans it again or
// re-enqueues any shard not yet recorded (the process that started it may have died on the
// way; harmless: shard records are idempotent), unless the event is another file's of a
// ONE_DOC_PER_FILE upload (see startedByAnother); keys that belong to no job are ignored.
func (s *Service) InputArrived(ctx context.Context, key string) error {
	tenant, jobID, rest, ok := layout.ParseUploadKey(key)
	if !ok {
		s.log.InfoContext(ctx, "object is not a job upload; ignored", "key", key)
		return nil
	}
	j, err := s.jobs.Get(ctx, tenant, jobID)
	if errors.Is(err, job.ErrNotFound) {
		s.log.InfoContext(ctx, "upload for unknown job; ignored", "key", key)
		return nil
	}
	if err != nil {
		return fmt.Errorf("get job: %w", err)
	}
	log := s.log.With("tenant", tenant, "job", jobID)
	switch j.JobStatus {
	case job.AwaitingInput:
		if !strings.HasPrefix(key, j.InputKey) {
			log.InfoContext(ctx, "object is not this job's input; ignored", "key", key)
			return nil
		}
		if rest != "input" || j.ExpectedFiles > 0 {
			// A ONE_DOC_PER_FILE upload: start once every named file is there.
			complete, err := s.allUploaded(ctx, j)
			if err != nil || !complete {
				return err
			}
		}
		j.Message = ""
		if err := j.Transition(job.Submitted); err != nil {
			return err
		}
		j.UpdatedAt = s.nowUTC()
		j.StartedBy = key
		if err := s.jobs.Update(ctx, j, job.AwaitingInput); err != nil {
			if errors.Is(err, job.ErrConflict) {
				return s.InputArrived(ctx, key) // someone else moved it; look again
			}
			return fmt.Errorf("mark submitted: %w", err)
		}
		log.InfoContext(ctx, "input arrived", "key", key)
		return s.start(ctx, j)
	case job.Submitted, job.InProgress:
		if startedByAnother(j, key) {
			log.InfoContext(ctx, "upload event of a file whose job another file's event has started; ignored", "key", key, "started_by", j.StartedBy)
			return nil
		}
		if j.JobStatus == job.Submitted {
			return s.start(ctx, j)
		}
		return s.enqueueMissing(ctx, j)
	case job.Stopped:
		if j.Message == stoppedNoInput && strings.HasPrefix(key, j.InputKey) {
			return s.inputArrivedAfterStop(ctx, j, key)
		}
		log.InfoContext(ctx, "input event for a stopped job; ignored", "key", key)
		return nil
	default:
		log.InfoContext(ctx, "input event for job not expecting input; ignored", "status", j.JobStatus, "key", key)
		return nil
	}
}

// inputArrivedAfterStop handles the event of an upload that landed after its job was stopped
// "before its input arrived": the upload was being stored as the stop landed (its check
// passed just before). The job stays STOPPED without output; its Message now says the input
// had arrived and was not analysed, as a stop just after the upload would have.
func (s *Service) inputArrivedAfterStop(ctx context.Context, j *job.Job, key string) error {
	if info, err := s.objects.Head(ctx, key); err == nil && j.EndTime != nil && info.LastModified.After(j.EndTime.Add(storedAsStopSlack)) {
		// Stored well after the stop: an upload to a stopped job (S3 cannot refuse it; the local
		// store does, 409), not one that was being stored as the stop landed. The Message the
		// notification carried stays true (found from outside on AWS: a PUT 5 s after the stop
		// rewrote it, and Describe then contradicted the notification).
		s.log.InfoContext(ctx, "upload stored after its job was stopped; ignored", "tenant", j.Tenant, "job", j.JobId, "key", key)
		return nil
	}
	arrived, err := s.inputUploaded(ctx, j)
	if err != nil || !arrived {
		return err // ONE_DOC_PER_FILE: not every named file is there
	}
	// A write meanwhile (its notification's claim or mark) leaves the Message to correct, and is
	// read again (found by racing an upload against its job's stop: the correction was dropped,
	// and Describe denied an upload answered 200).
	corrected, err := s.rewrite(ctx, j, func(j *job.Job) bool {
		if j.JobStatus != job.Stopped || j.Message != stoppedNoInput {
			return false // corrected already
		}
		j.Message = stoppedArrived
		j.UpdatedAt = s.nowUTC()
		return true
	})
	if errors.Is(err, job.ErrNotFound) || (err == nil && !corrected) {
		return nil // deleted meanwhile (expiry), or corrected already: nothing to correct
	}
	if err != nil {
		return fmt.Errorf("correct stopped job's message: %w", err)
	}
	s.log.InfoContext(ctx, "upload landed as its job was stopped; the job's Message now says its input arrived", "tenant", j.Tenant, "job", j.JobId, "key", key)
	return nil
}

// storedAsStopSlack is how much later than a stop an upload's stored time may be and still be
// taken for one that was being stored as the stop landed: stores may give their times in whole
// seconds (S3's Last-Modified), and a clock of their own.
const storedAsStopSlack = 2 * time.Second

// startedByAnother reports whether key's event is not the one that started j: another file of
// a ONE_DOC_PER_FILE upload, whose events arrive in any order and may all find every file there.
// Planning or enqueueing again for each would list the input and copy every unrecorded shard
// once per file. Recovering a start cut short is left to the event that made it, which comes
// back when its handler did not finish (SQS, the local stack's event queue), and to the sweeper.
func startedByAnother(j *job.Job, key string) bool {
	return j.StartedBy != "" && key != j.StartedBy
}

// inputUploaded reports whether the input a job waiting for its upload expects is in the store:
// its one input object, or (ONE_DOC_PER_FILE uploads) every file it named.
func (s *Service) inputUploaded(ctx context.Context, j *job.Job) (bool, error) {
	if j.ExpectedFiles > 0 {
		return s.allUploaded(ctx, j)
	}
	ok, err := s.exists(ctx, j.InputKey)
	if err != nil {
		return false, fmt.Errorf("head input: %w", err)
	}
	return ok, nil
}

// exists reports whether key is in the store.
func (s *Service) exists(ctx context.Context, key string) (bool, error) {
	_, err := s.objects.Head(ctx, key)
	if errors.Is(err, job.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// allUploaded reports whether every file a ONE_DOC_PER_FILE upload job named has arrived: each
// upload URL targets InputKey+name, so it is complete when the prefix holds that many objects.
func (s *Service) allUploaded(ctx context.Context, j *job.Job) (bool, error) {
	n, err := s.uploadedFiles(ctx, j)
	return n >= j.ExpectedFiles, err
}

// uploadedFiles is how many of the files a ONE_DOC_PER_FILE upload job named have arrived (the
// objects under its InputKey, where only its upload URLs put any).
func (s *Service) uploadedFiles(ctx context.Context, j *job.Job) (int, error) {
	n := 0
	err := s.objects.List(ctx, j.InputKey, func(o ObjectInfo) error {
		if !layout.FolderMarker(o.Key) { // (found from outside: a folder made in the S3 console counted as a file, starting the job one file early)
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("list uploads: %w", err)
	}
	return n, nil
}

// start plans a SUBMITTED job's shards, writes the plan, moves the job to IN_PROGRESS and
// enqueues the shards. A line input is cut into byte ranges and read once to count the lines
// before each range (a few readers in parallel, no document kept); a file input is cut into
// groups of listed files. A bad input fails the job with a Message saying why.
func (s *Service) start(ctx context.Context, j *job.Job) error {
	if h := s.hooks.PlanStarted; h != nil {
		if err := h(ctx, j.Tenant, j.JobId); err != nil {
			return err
		}
	}
	n, size, err := s.writePlan(ctx, j)
	if msg, ok := isUserError(err); ok {
		return s.fail(ctx, j, msg)
	}
	if errors.Is(err, job.ErrInvalid) {
		// The store refuses the input's key: retrying cannot help.
		return s.fail(ctx, j, "the input cannot be read: "+err.Error())
	}
	if err != nil {
		return err
	}
	now := s.nowUTC()
	j.InputSize = size
	if !j.Has(job.Topics) {
		j.JobDetails.InputBytes = size // TOPICS passes over it once per stage
	}
	j.ShardBytes = s.cfg.ShardBytes
	j.JobDetails.ShardsTotal = n
	if j.Has(job.Topics) {
		j.TopicsStage = &job.TopicsStage{Shards: n, Kind: topicsjob.Count}
		j.JobDetails.Stage = topicsjob.StageLabel(j.TopicsStage, 0)
	}
	j.StartedAt = &now
	j.UpdatedAt = now
	if err := j.Transition(job.InProgress); err != nil {
		return err
	}
	if err := s.jobs.Update(ctx, j, job.Submitted); err != nil {
		if errors.Is(err, job.ErrConflict) {
			// A concurrent start won the race; it enqueues.
			return nil
		}
		return fmt.Errorf("mark in progress: %w", err)
	}
	s.log.InfoContext(ctx, "job planned", "tenant", j.Tenant, "job", j.JobId, "shards", n, "bytes", size)
	return s.enqueueMissing(ctx, j)
}

// countParallel is how many ranges of a line input are counted at once when it is planned.
const countParallel = 8

// writePlan lists or sizes the input, writes the shard plan object (one ShardMessage per line,
// streamed) and returns the number of shards and the input's size.
func (s *Service) writePlan(ctx context.Context, j *job.Job) (shards int, size int64, err error) {
	if j.ParentJobId != "" {
		// A retry child: its input is the parent's documents to re-run, one JSON line each.
		if err := s.writeRetryInput(ctx, j); err != nil {
			return 0, 0, err
		}
		return s.planLines(ctx, j)
	}
	if j.InputDataConfig.InputFormat.LineFormat() {
		return s.planLines(ctx, j)
	}

	// ONE_DOC_PER_FILE: the one object the input names (as Comprehend, which reads an S3Uri
	// naming a single file as that file), else the files under it as a folder. The listing is
	// grouped in chunks so memory stays bounded for any number of files; the grouping is
	// deterministic for a given listing.
	prefix := j.InputKey
	var single *ObjectInfo
	if !strings.HasSuffix(prefix, "/") {
		info, err := s.objects.Head(ctx, prefix)
		switch {
		case err == nil:
			single = &info
		case errors.Is(err, job.ErrNotFound) || errors.Is(err, job.ErrInvalid):
		default:
			return 0, 0, fmt.Errorf("head input: %w", err)
		}
	}
	const chunk = 10_000
	var total int64
	var docs int
	var only string // the one document, while there is one
	err = s.putPlan(ctx, j, func(emit func(ShardMessage) error) error {
		var files []input.FileRef
		flush := func() error {
			for _, sh := range input.PlanFiles(files, s.cfg.MaxFilesPerShard, s.cfg.ShardBytes) {
				m := ShardMessage{Tenant: j.Tenant, JobId: j.JobId, Index: shards}
				for _, f := range sh.Files {
					m.Files = append(m.Files, f.Key)
					m.FileVersions = append(m.FileVersions, f.Version)
					m.Bytes += f.Size
				}
				if err := emit(m); err != nil {
					return err
				}
				shards++
			}
			files = files[:0]
			return nil
		}
		list := func(fn func(ObjectInfo) error) error { return s.listInputPrefix(ctx, prefix, fn) }
		if single != nil {
			list = func(fn func(ObjectInfo) error) error { return fn(*single) }
		}
		err := list(func(o ObjectInfo) error {
			if layout.FolderMarker(o.Key) || droprule.NonDocument(j, o.Key) {
				return nil // a "folder" marker, or a drop batch's marker or hidden file: not a document
			}
			if docs++; docs == 1 {
				only = o.Key
			}
			total += o.Size
			if total > s.cfg.MaxInputBytes {
				return failJobErr("input is more than %d bytes (the limit per job)", s.cfg.MaxInputBytes)
			}
			files = append(files, input.FileRef{Key: o.Key, Size: o.Size, Version: fileVersion(o)})
			if len(files) == chunk {
				return flush()
			}
			return nil
		})
		if err != nil {
			return err
		}
		return flush()
	})
	if err == nil && shards == 0 {
		return 0, 0, failJobErr("no documents under %s", s.cfg.Locations.URI(prefix))
	}
	if err == nil && docs == 1 {
		j.InputObject = only
	}
	return shards, total, err
}

// planLines plans a line-format input: one object, or, when no object has exactly the input's
// key, every object under it as a prefix (each line a document of its file; File is the name
// relative to the prefix, Line the line within that file). Shards never span files. Each file is
// read once to count the lines before each of its shards, and its version (size and time) is
// written into its shards' messages, so a file replaced while the job runs fails the job.
func (s *Service) planLines(ctx context.Context, j *job.Job) (shards int, size int64, err error) {
	uri := s.cfg.Locations.URI(j.InputKey)
	if j.Has(job.CodingTraining) {
		// A training job's Messages name its input as its client knows it, never a path into
		// the local store (found from outside: a folder of several files was named file:///…).
		uri = s.trainingInputName(j)
	}
	name := s.inputName(j)
	var files []ObjectInfo
	listed := false // files came from listing a folder or prefix: each has its own version
	if !strings.HasSuffix(j.InputKey, "/") {
		info, err := s.objects.Head(ctx, j.InputKey)
		dropped := j.DropRule != "" && j.DropObject.Key == j.InputKey // the input is the one object that started the job
		switch {
		case err == nil:
			if o := j.DropObject; dropped && o.ETag != "" && info.ETag != strings.Trim(o.ETag, `"`) {
				// The object version that started this drop job was replaced before the job was
				// planned: the version there now started (or starts) a job of its own, so this
				// one would analyse it a second time under the replaced version's name, and the
				// replaced version never (found by racing uploads of one name under a drop rule).
				return 0, 0, failJobErr("input object %s was replaced before the job was planned; %s", uri, message.InputChangedAdvice(j))
			}
			files = []ObjectInfo{info}
			j.InputVersion = inputVersion(info)
		case dropped && errors.Is(err, job.ErrNotFound):
			// The dropped object was deleted (or renamed: an mv is a copy and a delete) before
			// the job was planned. Its key is not read as a prefix, as an S3Uri's is: that
			// analysed the objects whose names start with it (export.txt.done after an mv of
			// export.txt), which start jobs of their own, a second time under this object's name.
			return 0, 0, failJobErr("input object %s was deleted before the job was planned; nothing was analysed", uri)
		case !errors.Is(err, job.ErrNotFound) && !errors.Is(err, job.ErrInvalid):
			return 0, 0, fmt.Errorf("head input: %w", err)
		}
	}
	if files == nil {
		// Not an object: a folder or a key prefix, as ONE_DOC_PER_FILE reads it.
		listed = true
		err := s.listInputPrefix(ctx, j.InputKey, func(o ObjectInfo) error {
			if layout.FolderMarker(o.Key) {
				return nil // a "folder" marker, not a file
			}
			if len(files) == maxLineFiles {
				return failJobErr("more than %d objects under %s; a line-format job reads at most %d files (use fewer, larger files)", maxLineFiles, uri, maxLineFiles)
			}
			files = append(files, o)
			return nil
		})
		if err != nil {
			return 0, 0, err
		}
		if len(files) == 0 {
			if j.CodingOperation {
				return 0, 0, failJobErr("%s does not exist", name)
			}
			return 0, 0, failJobErr("%s does not exist: no object has that key and none is under it", name)
		}
	}
	if len(files) == 1 && j.ParentJobId == "" {
		j.InputObject = files[0].Key // (a retry child's input is its parent's documents: it keeps its parent's)
	}
	for _, f := range files {
		size += f.Size
	}
	if size == 0 {
		return 0, 0, failJobErr("%s: there are no documents to analyse", s.emptyInput(j, files, "0 bytes"))
	}
	if size > s.cfg.MaxInputBytes {
		return 0, 0, failJobErr("input is %d bytes; the limit per job is %d bytes", size, s.cfg.MaxInputBytes)
	}
	if j.Has(job.CodingTraining) && len(files) > 1 {
		return 0, 0, failJobErr("a training input must be one object; %s holds %d", uri, len(files))
	}
	shardBytes := s.lineShardBytes(size)
	// Small files of a listed input are packed, several whole files to a shard (packable): one
	// shard, queue message and record per file made a prefix of many small files cost about
	// 3 ms a file on the local stack, a thousand times a document of one large file.
	packable := listed && j.RedactOutput == nil && !j.Has(job.CodingTraining)
	var docs int64
	err = s.putPlan(ctx, j, func(emit func(ShardMessage) error) error {
		var pack []ObjectInfo
		var packBytes int64
		packFiles := 0 // the pack's files that hold bytes (an empty one takes no place in a shard)
		flushPack := func() error {
			n, err := s.emitPacked(ctx, j, pack, shards, emit)
			shards += n.shards
			docs += n.docs
			pack, packBytes, packFiles = pack[:0], 0, 0
			return err
		}
		for _, f := range files {
			if packable && f.Size < shardBytes {
				// (An empty file goes into the pack too: it holds no documents, but a name the
				// store refuses is still its UNREADABLE_FILE record; emitPacked tells them apart.)
				if f.Size > 0 && packFiles > 0 && (packFiles >= s.cfg.MaxFilesPerShard || packBytes+f.Size > shardBytes) {
					if err := flushPack(); err != nil {
						return err
					}
				}
				pack = append(pack, f)
				packBytes += f.Size
				if f.Size > 0 {
					packFiles++
				}
				continue
			}
			if err := flushPack(); err != nil {
				return err
			}
			version := j.InputVersion
			if listed {
				// (Every listed file, one alone too: found from outside, a folder of one file,
				// as `ream submit FILE` uploads, was read whatever replaced it.)
				// Listed sizes and times may differ in precision from Head's (the worker's).
				info, err := s.objects.Head(ctx, f.Key)
				if errors.Is(err, job.ErrNotFound) {
					return s.deletedWhilePlanned(f.Key)
				}
				if errors.Is(err, job.ErrInvalid) {
					// A name the store refuses (the local store's key rules; a file put there by
					// hand): that file is one UNREADABLE_FILE record, the others are analysed, as
					// in a ONE_DOC_PER_FILE input (found from outside: the whole job failed).
					m := unreadableShard(j, f)
					m.Index = shards
					if err := emit(m); err != nil {
						return err
					}
					shards++
					docs++
					continue
				}
				if err != nil {
					return fmt.Errorf("head input: %w", err)
				}
				f, version = info, inputVersion(info)
			}
			plan := input.PlanLines(f.Size, shardBytes)
			if j.Has(job.CodingTraining) {
				plan = input.PlanLines(f.Size, f.Size) // training fits one model over the whole input: one shard
			}
			// One read of the file to number its lines: every shard then knows the line number of
			// its first document, writes those numbers, and the output is a plain concatenation.
			offsets, err := input.LineOffsets(ctx, s.objects.Open, f.Key, plan, countParallel)
			what := func() string {
				if j.CodingOperation || j.Has(job.CodingTraining) {
					return name // its one object, as its client knows it
				}
				return "input object " + s.cfg.Locations.URI(f.Key)
			}
			var archived *job.ArchivedError
			if errors.As(err, &archived) {
				return archivedInput(what(), archived)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return changedWhilePlanned(j, what())
			}
			if err != nil {
				return fmt.Errorf("count input lines: %w", err)
			}
			docs += offsets[len(offsets)-1]
			for i, sh := range plan {
				m := ShardMessage{Tenant: j.Tenant, JobId: j.JobId, Index: shards, Key: f.Key, Start: sh.Start, End: sh.End,
					LineOffset: offsets[i], Lines: offsets[i+1] - offsets[i], Bytes: sh.End - sh.Start}
				if listed {
					m.Version = version
				}
				if err := emit(m); err != nil {
					return err
				}
				shards++
			}
		}
		if err := flushPack(); err != nil {
			return err
		}
		if docs == 0 {
			return failJobErr("%s: there are no documents to analyse", s.emptyInput(j, files, "only a UTF-8 byte order mark"))
		}
		return nil
	})
	return shards, size, err
}

// packedCount is what emitPacked emitted.
type packedCount struct {
	shards int
	docs   int64
}

// emitPacked emits files, small whole files of a listed line input in key order, as one shard
// (FileLines) numbered from index, after counting each file's lines (packCountParallel files at
// once: one GET each, no HEAD, since the listing's size and ETag are the version a worker checks,
// as for ONE_DOC_PER_FILE; an empty file, which has nothing to read, gets a HEAD instead and no
// place in the shard, unless the store refuses its name). A file whose name the store refuses
// splits the group: its UNREADABLE_FILE shard comes between the shards of the files before and
// after it.
func (s *Service) emitPacked(ctx context.Context, j *job.Job, files []ObjectInfo, index int, emit func(ShardMessage) error) (packedCount, error) {
	var n packedCount
	if len(files) == 0 {
		return n, nil
	}
	lines := make([]int64, len(files))
	invalid := make([]bool, len(files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(packCountParallel)
	for i, f := range files {
		g.Go(func() error {
			var offsets []int64
			var err error
			if f.Size == 0 {
				// Nothing to count, and nothing to open: a HEAD tells a name the store refuses
				// (as planLines' HEAD of a file of its own does), which is still one record.
				_, err = s.objects.Head(gctx, f.Key)
				offsets = []int64{0}
			} else {
				offsets, err = input.LineOffsets(gctx, s.objects.Open, f.Key, input.PlanLines(f.Size, f.Size), 1)
			}
			var archived *job.ArchivedError
			switch {
			case errors.As(err, &archived):
				return archivedInput("input object "+s.cfg.Locations.URI(f.Key), archived)
			case errors.Is(err, job.ErrInvalid):
				invalid[i] = true
				return nil
			case errors.Is(err, job.ErrNotFound):
				return s.deletedWhilePlanned(f.Key)
			case errors.Is(err, io.ErrUnexpectedEOF):
				return changedWhilePlanned(j, "input object "+s.cfg.Locations.URI(f.Key))
			case err != nil:
				return fmt.Errorf("count input lines: %w", err)
			}
			lines[i] = offsets[len(offsets)-1]
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return n, err
	}
	m := ShardMessage{Tenant: j.Tenant, JobId: j.JobId}
	send := func(m ShardMessage) error {
		m.Index = index + n.shards
		if err := emit(m); err != nil {
			return err
		}
		n.shards++
		n.docs += m.Lines
		return nil
	}
	for i, f := range files {
		if invalid[i] {
			// A name the store refuses: one UNREADABLE_FILE record (see planLines).
			if len(m.Files) > 0 {
				if err := send(m); err != nil {
					return n, err
				}
				m = ShardMessage{Tenant: j.Tenant, JobId: j.JobId}
			}
			if err := send(unreadableShard(j, f)); err != nil {
				return n, err
			}
			continue
		}
		if f.Size == 0 {
			continue // no documents (as a one-file shard plan of 0 bytes has none)
		}
		m.Files = append(m.Files, f.Key)
		m.FileVersions = append(m.FileVersions, fileVersion(f))
		m.FileLines = append(m.FileLines, lines[i])
		m.Lines += lines[i]
		m.Bytes += f.Size
	}
	if len(m.Files) > 0 {
		return n, send(m)
	}
	return n, nil
}

// unreadableShard is the shard of a line input's file whose name the store refuses (the local
// store's key rules; a file put there by hand): one UNREADABLE_FILE record, its index to be set.
func unreadableShard(j *job.Job, f ObjectInfo) ShardMessage {
	return ShardMessage{Tenant: j.Tenant, JobId: j.JobId, Key: f.Key, End: f.Size, Lines: 1, Bytes: f.Size, Unreadable: true}
}

// deletedWhilePlanned fails a job whose listed input object key was gone when planning read it.
func (s *Service) deletedWhilePlanned(key string) error {
	return failJobErr("input object %s was deleted while the job was planned", s.cfg.Locations.URI(key))
}

// archivedInput fails a line-format job whose input object (what, as its user knows it) is in an
// archive storage class: planning counts its lines, which S3 does not let it read (GetObject's
// 403 InvalidObjectState, which every delivery of the plan message would meet again).
func archivedInput(what string, a *job.ArchivedError) error {
	return failJobErr("%s", archivedMessage(what, a)+resubmitArchived)
}

// archivedMessage says that an input object (what, as its user knows it) cannot be read, as its
// store keeps it in an archive storage class (a), and what it needs.
func archivedMessage(what string, a *job.ArchivedError) string {
	return what + " cannot be read: " + input.ArchivedAdvice(a)
}

// resubmitArchived ends the Message of a job failed on an archived input (archivedMessage).
const resubmitArchived = ", then submit the job again"

// changedWhilePlanned fails job j, whose input (what, as its user knows it) changed while
// planning read it.
func changedWhilePlanned(j *job.Job, what string) error {
	return failJobErr("%s changed while the job was planned; %s", what, message.InputChangedAdvice(j))
}

// inputName names job j's input in a Message as its user knows it. A coding operation's client
// only ever had an upload URL (requestUploadUrl), so it is "the uploaded file", never the
// object's location (locally a file:// path into the data directory); so is a job's input
// uploaded through its presigned URL (the folder its UploadFiles land in is the service's, found
// from outside). A training job's is named as its model's trainedOn names it
// (trainingInputName). Other jobs' input is named by its location (s3://… on AWS,
// Locations.Base locally), as their request gave it.
func (s *Service) inputName(j *job.Job) string {
	switch {
	case j.CodingOperation:
		return "the uploaded file"
	case j.Has(job.CodingTraining) && j.UploadDeadline != nil:
		return s.trainingInputName(j)
	case j.Has(job.CodingTraining):
		return "input " + s.trainingInputName(j)
	case j.InputKey == layout.UploadKey(j.Tenant, j.JobId):
		return "the uploaded file"
	case j.InputKey == layout.UploadFilesPrefix(j.Tenant, j.JobId):
		return "the uploaded files"
	}
	return "input " + s.cfg.Locations.URI(j.InputKey)
}

// emptyInput says that the line input of job j, its files, holds no document (why: "0 bytes",
// "only a UTF-8 byte order mark"), naming uploaded files by the names the client gave them
// (UploadFiles) and any other input as inputName does.
func (s *Service) emptyInput(j *job.Job, files []ObjectInfo, why string) string {
	if j.CodingOperation || j.InputKey != layout.UploadFilesPrefix(j.Tenant, j.JobId) || len(files) == 0 {
		return s.inputName(j) + " is empty (" + why + ")"
	}
	if len(files) == 1 {
		return fmt.Sprintf("the uploaded file %q is empty (%s)", fileName(j, files[0].Key), why)
	}
	var names []string
	for _, f := range files[:min(len(files), 3)] {
		names = append(names, strconv.Quote(fileName(j, f.Key)))
	}
	if len(files) > 3 {
		names = append(names, "…")
	}
	return fmt.Sprintf("the %d uploaded files (%s) are empty (%s in all)", len(files), strings.Join(names, ", "), why)
}

// MinShardBytes is the smallest shard Config.MinShards cuts an input into.
const MinShardBytes = 64 << 10

// lineShardBytes is the shard size of a line input of size bytes: Config.ShardBytes, or smaller
// so that the input makes at least Config.MinShards shards, but not smaller than MinShardBytes
// (PlanLines evens the shards out, so they may then be somewhat smaller: 100,000 bytes are two
// shards of 50,000).
func (s *Service) lineShardBytes(size int64) int64 {
	b := s.cfg.ShardBytes
	if n := int64(s.cfg.MinShards); n > 0 && size < n*b {
		b = max((size+n-1)/n, min(MinShardBytes, b))
	}
	return b
}

// maxLineFiles bounds the objects a line-format prefix input may hold. Planning holds their
// listing (about 150 bytes a file: 15 MB at the bound) to size the input before cutting it, and
// reads every file once to count its lines: on S3, about 100,000 GETs of small files at
// packCountParallel in flight, a minute or so, inside the planning worker's 3-minute timeout.
// (It was 10,000, for one shard per file and S3's 10,000 parts of a multipart upload; small
// files are packed into shards now, and the finalizer merges pieces under 5 MiB into parts.)
const maxLineFiles = 100_000

// packCountParallel is how many small files of a line input are counted at once at planning
// (each a GET of a whole small file: the round trip is the cost, not the bytes).
const packCountParallel = 32

// putPlan streams the messages produced by gen into the plan object.
func (s *Service) putPlan(ctx context.Context, j *job.Job, gen func(emit func(ShardMessage) error) error) error {
	err := s.putStream(ctx, layout.PlanKey(j.Tenant, j.JobId), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		return gen(func(m ShardMessage) error { return enc.Encode(m) })
	})
	if _, ok := isUserError(err); err != nil && !ok {
		return fmt.Errorf("write plan: %w", err)
	}
	return err
}

// enqueueMissing sends every planned shard that has no record yet, streaming the plan in
// batches. It is safe to repeat: workers record each shard once.
func (s *Service) enqueueMissing(ctx context.Context, j *job.Job) error {
	_, err := s.enqueueUnqueued(ctx, j, nil)
	return err
}

// enqueueUnqueued is enqueueMissing without the shards whose messages are known to be in the
// queue already (queued, by index); it returns how many it sent.
func (s *Service) enqueueUnqueued(ctx context.Context, j *job.Job, queued map[int]bool) (int, error) {
	recs, err := s.jobs.Shards(ctx, j.Tenant, j.JobId)
	if err != nil {
		return 0, fmt.Errorf("list shard records: %w", err)
	}
	done := make(map[int]bool, len(recs)+len(queued))
	for _, r := range recs {
		done[r.Index] = true
	}
	for i := range queued {
		done[i] = true
	}
	batch := make([]ShardMessage, 0, 100)
	sent := 0
	err = s.readPlan(ctx, j, func(m ShardMessage) error {
		if ts := j.TopicsStage; ts != nil {
			m.Index += ts.Index * ts.Shards // the current stage's pass over the data shards
		}
		if done[m.Index] {
			return nil
		}
		batch = append(batch, m)
		if len(batch) < cap(batch) {
			return nil
		}
		if err := s.queue.Send(ctx, batch); err != nil {
			return err
		}
		sent += len(batch)
		batch = batch[:0]
		return nil
	})
	if err != nil {
		return sent, fmt.Errorf("enqueue shards: %w", err)
	}
	if len(batch) > 0 {
		if err := s.queue.Send(ctx, batch); err != nil {
			return sent, fmt.Errorf("enqueue shards: %w", err)
		}
		sent += len(batch)
	}
	if sent > 0 {
		s.log.InfoContext(ctx, "shards enqueued", "tenant", j.Tenant, "job", j.JobId, "count", sent)
	}
	return sent, nil
}

// listInputPrefix lists the objects of an input that names no object: the folder key+"/" when
// anything is under it ("in/a" reads in/a/…, never also in/ab.txt), else, as S3 prefixes and
// Comprehend read an S3Uri, every object whose key starts with key ("in/2024-" reads
// in/2024-01.txt and in/2024-02.txt). fileName names the files of both.
func (s *Service) listInputPrefix(ctx context.Context, key string, fn func(ObjectInfo) error) error {
	folder := key
	if !strings.HasSuffix(folder, "/") {
		folder += "/"
	}
	found := false
	each := func(o ObjectInfo) error {
		found = true
		if !utf8.ValidString(o.Key) {
			// S3's keys are UTF-8, and the plan's messages could not carry this name (a file put
			// into the local store by hand, named in another encoding).
			return failJobErr("input file %q has a name that is not UTF-8; rename it (S3 keys are UTF-8)", o.Key)
		}
		return fn(o)
	}
	err := s.objects.List(ctx, folder, each)
	if err != nil || found || folder == key {
		return err
	}
	return s.objects.List(ctx, key, each)
}

// fileName is the File a document is reported under: its object's key relative to the job's
// input folder (ONE_DOC_PER_FILE, or a line input read from a prefix; for a key prefix such as
// "in/2024-", relative to the folder it is in), else the base name.
func fileName(j *job.Job, key string) string {
	rest, ok := strings.CutPrefix(key, j.InputKey)
	switch {
	case !ok || rest == "":
		return path.Base(key)
	case strings.HasSuffix(j.InputKey, "/"):
		return rest
	case rest[0] == '/':
		return rest[1:] // a folder named without its trailing slash
	}
	return key[strings.LastIndex(j.InputKey, "/")+1:]
}

// fileVersion fingerprints a ONE_DOC_PER_FILE input file from its listing: its size and ETag,
// which a listing and a Head give alike (S3's content hash; the local store's size and
// modification time). Not its time: S3 lists times in milliseconds and Head gives seconds, and
// the two are not documented to agree after rounding.
func fileVersion(o ObjectInfo) string {
	return fmt.Sprintf("%d@%s", o.Size, o.ETag)
}

// inputVersion fingerprints an input object: if it is uploaded again while the job runs, the
// shards would read byte ranges of a different file.
func inputVersion(o ObjectInfo) string {
	return fmt.Sprintf("%d@%d", o.Size, o.LastModified.UnixNano())
}
