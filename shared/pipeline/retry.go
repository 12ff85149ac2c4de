package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/errorrecord"
	"github.com/ream-dev/ream/shared/pipeline/layout"
	"github.com/ream-dev/ream/shared/pipeline/request"
)

// DefaultRetryCodes are the error codes a retry re-runs when none are named: the failures that
// say nothing about the document itself.
var DefaultRetryCodes = []string{job.CodeShardFailed, job.CodeInternalError}

// RetryInputKey is where a retry child's input is written when it is planned: one JSON line per
// document to re-run (retryRecord), read back from the parent's input.
func RetryInputKey(tenant, jobID string) string {
	return layout.JobWork(tenant, jobID) + "retry-input.jsonl"
}

// retryRecord is one line of a retry child's input: a document of the parent with the File,
// Line and RecordId its output line keeps, or the error its parent's input now gives.
type retryRecord struct {
	File         string `json:"File"`
	Line         *int64 `json:"Line,omitempty"`
	RecordId     string `json:"RecordId,omitempty"`
	Text         string `json:"Text,omitempty"`
	Occupation   string `json:"Occupation,omitempty"`
	Tasks        string `json:"Tasks,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// Retry creates a child job that re-runs the documents of a finished job whose error records
// carry one of codes (by default DefaultRetryCodes; a per-analysis error counts too): the same
// analyses and options, ParentJobId set, the parent listing it in ChildJobIds. Its output lines
// carry the parent's File, Line and RecordId, so they map back. The documents are read again from
// the parent's input when the child is planned (a parent whose input changed or is gone fails the
// child with a Message saying so). A repeated request with the same ClientRequestToken returns
// the same child.
func (s *Service) Retry(ctx context.Context, tenant, parentID string, req api.RetryRequest) (*api.CreateJobResult, error) {
	if err := request.CheckNameAndToken(req.JobName, req.ClientRequestToken); err != nil {
		return nil, err // before looking for documents: the request's own mistakes first
	}
	parent, err := s.jobs.Get(ctx, tenant, parentID)
	if err != nil {
		return nil, err
	}
	if parent.Has(job.Topics) || parent.Has(job.CodingTraining) {
		// before the codes: its own codes (NO_TOPIC_TERMS) are not a retry's either
		return nil, fmt.Errorf("%w: a %s job cannot be retried in part; submit it again", job.ErrInvalid, parent.Analyses[0])
	}
	codes := req.ErrorCodes
	if len(codes) == 0 {
		codes = DefaultRetryCodes
	}
	codes = slices.Clone(codes)
	for i, c := range codes {
		if codes[i], err = errorrecord.DocumentCode("ErrorCodes", c); err != nil {
			return nil, err
		}
	}
	slices.Sort(codes)
	codes = slices.Compact(codes)
	switch {
	case parent.JobStatus == job.TimedOut:
		// Finished, with no document: nothing to retry, which waiting cannot change (found from
		// outside: it was a 409 saying the job had not finished).
		return nil, fmt.Errorf("%w: job %s TIMED_OUT: its input never arrived, so it has no documents to retry; submit a new job", job.ErrInvalid, parentID)
	case !parent.JobStatus.Terminal():
		return nil, fmt.Errorf("%w: job %s is %s; only a finished job (COMPLETED, PARTIAL_SUCCESS, FAILED or STOPPED) can be retried", job.ErrConflict, parentID, parent.JobStatus)
	}
	retryable, err := s.anyRetryable(ctx, parent, codes)
	if err != nil {
		return nil, err
	}
	if !retryable {
		return nil, fmt.Errorf("%w: job %s has no documents with error codes %s to retry", job.ErrInvalid, parentID, strings.Join(codes, ", "))
	}
	name := req.JobName
	if name == "" {
		// The parent's name cut to leave room for the suffix, so that the child's name differs
		// from a 256-character parent's (found from outside: the suffix was cut away).
		name = strings.TrimSpace(request.CutRunes(parent.JobName, request.MaxJobName-len(" retry")) + " retry")
	}
	create := api.CreateJobRequest{
		JobName: name, Analyses: parent.Analyses, LanguageCode: parent.LanguageCode,
		InputDataConfig:     job.InputDataConfig{S3Uri: parent.InputDataConfig.S3Uri, InputFormat: parent.InputDataConfig.InputFormat},
		ClientRequestToken:  req.ClientRequestToken,
		Tags:                parent.Tags,
		DataAccessRoleArn:   parent.DataAccessRoleArn,
		RedactionConfig:     parent.RedactOutput,
		NotificationChannel: parent.NotificationChannel,
		CodingConfig:        parent.CodingConfig,
		JobTag:              parent.JobTag,
		API:                 "RetryJob",
	}
	// The parent's retention, cut to the deployment's as it is now: a parent kept 720 hours
	// before the retention was lowered to 24 made every retry a 400 on a RetentionHours the
	// retry never named (found in the time review).
	if h := min(parent.RetentionHours, s.maxRetentionHours()); h > 0 {
		create.RetentionHours = new(h)
	}
	// The parent's output location (the folder its own output folder is in) and KMS key: a
	// pipeline watching that folder sees the child's results too (found from outside: the child
	// wrote to the default location).
	create.OutputDataConfig.KmsKeyId = parent.OutputDataConfig.KmsKeyId
	if base, ok := strings.CutSuffix(parent.OutputDataConfig.S3Uri, parent.JobId+"/"); ok && base != s.cfg.Locations.URI(layout.OutputsPrefix+tenant+"/") {
		create.OutputDataConfig.S3Uri = base
	}
	res, err := s.createJob(ctx, tenant, create, parent.CodingOperation, func(j *job.Job) {
		j.ParentJobId, j.RetryErrorCodes = parent.JobId, codes
		j.InputObject = parent.InputObject // its documents come from its parent's input
		j.InputKey = RetryInputKey(tenant, j.JobId)
		j.JobStatus = job.Submitted
		j.RequestHash += "|retry:" + parent.JobId + ":" + strings.Join(codes, ",")
	})
	if err != nil {
		return nil, err
	}
	// The child is stored and planned: the parent names it even when the caller is gone.
	ctx, cancel := s.detached(ctx)
	defer cancel()
	if err := s.addChild(ctx, tenant, parentID, res.Job.JobId); err != nil {
		return nil, err
	}
	return res, nil
}

// addChild appends child to the parent's ChildJobIds (once).
func (s *Service) addChild(ctx context.Context, tenant, parentID, child string) error {
	for attempt := 0; attempt < 10; attempt++ {
		p, err := s.jobs.Get(ctx, tenant, parentID)
		if err != nil {
			return fmt.Errorf("record retry child: %w", err)
		}
		if slices.Contains(p.ChildJobIds, child) {
			return nil
		}
		p.ChildJobIds = append(p.ChildJobIds, child)
		err = s.jobs.Update(ctx, p, p.JobStatus)
		if errors.Is(err, job.ErrConflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("record retry child: %w", err)
		}
		return nil
	}
	return fmt.Errorf("%w: job %s is changing too fast to record its retry child %s; retry with the same ClientRequestToken", job.ErrConflict, parentID, child)
}

// wantedFiles narrows a ONE_DOC_PER_FILE shard message of parent to the files a retry re-runs
// (by their File), so that another file of the shard, changed since, is neither checked nor read
// (found in review: a retry of a.txt failed because b.txt beside it had been edited).
// A line shard of several whole files (FileLines) is narrowed alike, to the files of its wanted
// lines.
func wantedFiles(parent *job.Job, m ShardMessage, files map[string]bool) ShardMessage {
	versioned := len(m.FileVersions) == len(m.Files)
	counted := len(m.FileLines) == len(m.Files)
	var keys, versions []string
	var lines []int64
	m.Lines = 0
	for i, k := range m.Files {
		if files[fileName(parent, k)] {
			keys = append(keys, k)
			if versioned {
				versions = append(versions, m.FileVersions[i])
			}
			if counted {
				lines = append(lines, m.FileLines[i])
				m.Lines += m.FileLines[i]
			}
		}
	}
	m.Files, m.FileVersions, m.FileLines = keys, versions, lines
	return m
}

// retryWanted is what a retry re-runs of one parent shard: the lines (by File and global Line:
// a shard of several whole files numbers each file's lines from 0) or the files
// (ONE_DOC_PER_FILE) of its matching error records.
type retryWanted struct {
	lines map[fileLine]bool
	files map[string]bool
}

// fileLine is a line document's File and Line.
type fileLine struct {
	file string
	line int64
}

// shardRetryWanted reads one parent shard's error records and returns the documents of it a
// retry with codes re-runs (nil when none), and how many.
func (s *Service) shardRetryWanted(ctx context.Context, r ShardRecord, codes []string) (*retryWanted, int64, error) {
	if r.ErrorsKey == "" {
		return nil, 0, nil
	}
	w := &retryWanted{lines: map[fileLine]bool{}, files: map[string]bool{}}
	var n int64
	if _, err := errorrecord.Read(ctx, s.objects, r.ErrorsKey, 0, func(line []byte) errorrecord.Step {
		r, ok := errorrecord.Parse(line)
		switch {
		case !ok || !r.FailedWith("", codes...):
		case r.Line != nil:
			w.lines[fileLine{r.File, *r.Line}] = true
			w.files[r.File] = true // (the files a shard of several files re-reads)
			n++
		default:
			w.files[r.File] = true
			n++
		}
		return errorrecord.GoesOn
	}); err != nil {
		return nil, 0, err
	}
	if n == 0 {
		return nil, 0, nil
	}
	return w, n, nil
}

// anyRetryable reports whether the parent has a document a retry with codes re-runs, reading
// its error records until the first.
func (s *Service) anyRetryable(ctx context.Context, parent *job.Job, codes []string) (bool, error) {
	recs, err := s.jobs.Shards(ctx, parent.Tenant, parent.JobId)
	if err != nil {
		return false, fmt.Errorf("list shard records: %w", err)
	}
	for _, rec := range recs {
		if rec.ErrorsKey == "" {
			continue
		}
		found := false
		if _, err := errorrecord.Read(ctx, s.objects, rec.ErrorsKey, 0, func(line []byte) errorrecord.Step {
			r, ok := errorrecord.Parse(line)
			if found = ok && r.FailedWith("", codes...); found {
				return errorrecord.EndsAfter
			}
			return errorrecord.GoesOn
		}); err != nil {
			return false, err
		}
		if found {
			return true, nil
		}
	}
	return false, nil
}

// writeRetryInput writes a retry child's input (RetryInputKey): the parent's documents its
// error records name, read again from the parent's input shard by shard, in the parent's order.
// It fails the child (a user error) when the parent's input changed or is gone.
func (s *Service) writeRetryInput(ctx context.Context, j *job.Job) error {
	parent, err := s.jobs.Get(ctx, j.Tenant, j.ParentJobId)
	if errors.Is(err, job.ErrNotFound) {
		return failJobErr("the parent job %s no longer exists (it expired); nothing to retry", j.ParentJobId)
	}
	if err != nil {
		return fmt.Errorf("get parent job: %w", err)
	}
	recs, err := s.jobs.Shards(ctx, parent.Tenant, parent.JobId)
	if err != nil {
		return fmt.Errorf("list shard records: %w", err)
	}
	withErrors := map[int]ShardRecord{}
	for _, r := range recs {
		if r.ErrorsKey != "" {
			withErrors[r.Index] = r
		}
	}
	var msgs []ShardMessage // of the shards with error records: small, one per such shard
	if err := s.readPlan(ctx, parent, func(m ShardMessage) error {
		if _, ok := withErrors[m.Index]; ok {
			msgs = append(msgs, m)
		}
		return nil
	}); err != nil {
		if errors.Is(err, job.ErrNotFound) {
			return failJobErr("the parent job %s's plan is gone (it expired); nothing to retry", parent.JobId)
		}
		return fmt.Errorf("read parent plan: %w", err)
	}
	slices.SortFunc(msgs, func(a, b ShardMessage) int { return a.Index - b.Index })
	lim := s.readLimits(parent)
	var written, n int64
	err = s.putStream(ctx, j.InputKey, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for _, m := range msgs {
			// One shard's wanted documents at a time: memory is bounded by a shard, not the job.
			want, k, err := s.shardRetryWanted(ctx, withErrors[m.Index], j.RetryErrorCodes)
			if err != nil {
				return err
			}
			if want == nil {
				continue
			}
			n += k
			if len(m.Files) > 0 {
				m = wantedFiles(parent, m, want.files)
			}
			changed := func(key string) error {
				return failJobErr("the parent job's input %s was replaced or deleted since it ran; submit a new job", s.cfg.Locations.URI(key))
			}
			if key, err := s.inputChanged(ctx, parent, m); err != nil {
				return err
			} else if key != "" {
				return changed(key)
			}
			err = s.readShard(ctx, parent, m, lim, func(d input.Document) error {
				rec := retryRecord{File: d.File, RecordId: d.RecordId}
				if n, ok := outputLine(parent, m, d); ok {
					rec.Line = ptr(n)
					if !want.lines[fileLine{d.File, n}] {
						return nil
					}
				} else if !want.files[d.File] {
					return nil
				}
				rec.Text, rec.Occupation, rec.Tasks = d.Text, d.Occupation, d.Tasks
				rec.ErrorCode, rec.ErrorMessage = d.ErrorCode, d.ErrorMessage
				written++
				return enc.Encode(rec)
			})
			if key, ok := changedFile(err); ok { // a file of the parent's shard (inputChanged checks its object)
				return changed(key)
			}
			if archived := (*job.ArchivedError)(nil); errors.As(err, &archived) {
				// A line input archived since the parent ran (a ONE_DOC_PER_FILE file is a
				// record of its own): every delivery of the plan message would meet it again.
				return failJobErr("the parent job's %s, then ask for the retry again", s.archivedShardInput(m, archived))
			}
			if errors.Is(err, job.ErrNotFound) {
				return failJobErr("the parent job's input is gone (deleted or expired); nothing to retry")
			}
			if err != nil {
				return err
			}
		}
		return bw.Flush()
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return failJobErr("the parent job %s has no documents with error codes %s (its records expired?)", parent.JobId, strings.Join(j.RetryErrorCodes, ", "))
	}
	if written != n {
		return failJobErr("the parent job's input no longer holds the %d documents to retry (found %d); submit a new job", n, written)
	}
	return nil
}

// readRetryShard streams the documents of a retry child's shard: the lines of its input, each
// a retryRecord, with the parent's File, Line and RecordId. The per-analysis size limits apply
// to the text again; a record whose parent document now fails to read keeps that error.
func (s *Service) readRetryShard(ctx context.Context, j *job.Job, msg ShardMessage, lim input.Limits, fn func(input.Document) error) error {
	sh := input.Shard{Index: msg.Index, Start: msg.Start, End: msg.End}
	// The lines are JSON with escapes: let them through whole and apply the limit to the text.
	raw := input.Limits{MaxDocumentBytes: 6*max(lim.MaxDocumentBytes, 1) + 4096}
	return input.ReadLines(ctx, s.objects.Open, msg.Key, "", job.OneDocPerLine, sh, raw, func(d input.Document) error {
		var r retryRecord
		if d.ErrorCode != "" || json.Unmarshal([]byte(d.Text), &r) != nil {
			return fmt.Errorf("retry input %s: line %d is not a retry record: %w", msg.Key, msg.LineOffset+d.Line, job.ErrInvalid)
		}
		doc := input.Document{File: r.File, Line: -1, RecordId: r.RecordId, Text: r.Text, Bytes: int64(len(r.Text)),
			Occupation: r.Occupation, Tasks: r.Tasks, ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage}
		if r.Occupation != "" || r.Tasks != "" {
			doc.Bytes = input.CodingBytes(r.Occupation, r.Tasks) // as the parent counted it
		}
		if r.Line != nil {
			doc.Line = *r.Line
		}
		if doc.ErrorCode == "" && lim.MaxDocumentBytes > 0 && doc.Bytes > lim.MaxDocumentBytes {
			doc.ErrorCode = job.CodeDocumentSizeExceeded
			doc.ErrorMessage = fmt.Sprintf("document is %d bytes; the limit is %d", doc.Bytes, lim.MaxDocumentBytes)
			doc.Text = ""
		}
		return fn(doc)
	})
}
