package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"path"
	"slices"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/internal/jsonw"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// Redacted copies (PII jobs with a RedactionConfig), as Comprehend's PII redaction jobs write them:
//
//   - line formats: one redacted line per input document, aligned with the input, in the archive
//     entry "redacted/<File>" of its input file (one entry per file of a many-file input; JSONL
//     inputs keep their recordId); a document with an error record gets an empty line (or an
//     empty "text"), never its unredacted text;
//   - ONE_DOC_PER_FILE: one entry "redacted/<file>" per document (empty for error records).
//
// Each shard writes its part under work/…/redacted/ as one compressed segment (output.Member):
// for line formats the lines (their size and CRC-32 are recorded with the shard), for files
// whole tar entries. Finalize concatenates them into output.tar.gz (see output.Framing).

// redactedWriter writes one shard's redacted copies, streamed into one segment; a nil
// *redactedWriter does nothing.
type redactedWriter struct {
	j    *job.Job
	mode string
	mask rune
	// only detects the PII types the copies redact, when they are not all of them (nil then).
	only func(text string, persons *analysis.Persons) []analysis.PiiEntity
	pw   *io.PipeWriter
	bw   *bufio.Writer
	m    *output.Member
	done chan error
}

func (s *Service) newRedactedWriter(ctx context.Context, j *job.Job, shard int, dead bool) *redactedWriter {
	if j.RedactOutput == nil || !j.Has(job.PII) {
		return nil
	}
	r := &redactedWriter{j: j, mode: j.RedactOutput.MaskMode, mask: analysis.DefaultMaskChar}
	if !j.RedactOutput.RedactsAll() {
		only, err := analysis.PiiDetector(j.RedactOutput.PiiEntityTypes)
		if err != nil {
			s.log.ErrorContext(ctx, "cannot build the PII detector of the redacted types; the copies redact the output's spans of those types", "job", j.JobId, "err", err)
		} else {
			r.only = only
		}
	}
	if c, _ := utf8.DecodeRuneInString(j.RedactOutput.MaskCharacter); c != utf8.RuneError {
		r.mask = c
	}
	pr, pw := io.Pipe()
	r.pw, r.done = pw, make(chan error, 1)
	r.m = output.NewMember(pw)
	r.bw = bufio.NewWriterSize(r.m, 64<<10)
	go func() {
		err := s.objects.Put(ctx, layout.RedactedPartKey(j.Tenant, j.JobId, shard, dead, false), pr)
		pr.CloseWithError(errors.New("redacted upload stopped"))
		r.done <- err
	}()
	return r
}

// text is the redacted text of d, or "" when d has no PII result to redact with (an error
// record, or a dead-lettered shard's document).
func (r *redactedWriter) text(d input.Document, rec *output.Record) string {
	if d.Failed() || rec.PiiEntities == nil {
		return ""
	}
	ents := rec.PiiEntities
	switch rc := r.j.RedactOutput; {
	case r.only != nil:
		// Detected again for those types alone: in the output a longer span of another type
		// (a URL) hides one of them inside it (an email), which must still be redacted. NAME
		// reuses the person spans the analysis found.
		ents = r.only(d.Text, rec.Persons)
	case !rc.RedactsAll():
		ents = make([]analysis.PiiEntity, 0, len(rec.PiiEntities))
		for _, e := range rec.PiiEntities {
			if slices.Contains(rc.PiiEntityTypes, e.Type) {
				ents = append(ents, e)
			}
		}
	}
	return analysis.Redact(d.Text, ents, r.mode, r.mask)
}

func (r *redactedWriter) write(ctx context.Context, d input.Document, rec *output.Record) error {
	if r == nil {
		return nil
	}
	text := r.text(d, rec)
	switch r.j.InputDataConfig.InputFormat {
	case job.OneDocPerLine:
		if _, err := r.bw.WriteString(text); err != nil {
			return err
		}
	case job.JSONLines:
		b, err := json.Marshal(struct {
			RecordID string `json:"recordId,omitempty"`
			Text     string `json:"text"`
		}{d.RecordId, text})
		if err != nil {
			return err
		}
		if _, err := r.bw.Write(jsonw.EscapeNEL(b)); err != nil { // one line, as the output's
			return err
		}
	default:
		return output.WriteEntry(r.bw, layout.RedactedEntryName(d.File), []byte(text))
	}
	return r.bw.WriteByte('\n')
}

// close finishes the shard's part and returns its size before compression and CRC-32; failed is
// the shard's own error (the part is then abandoned).
func (r *redactedWriter) close(failed error) (int64, uint32, error) {
	if r == nil {
		return 0, 0, nil
	}
	err := failed
	if err == nil {
		err = r.bw.Flush()
	}
	if err == nil {
		err = r.m.Close()
	}
	r.pw.CloseWithError(err)
	if perr := <-r.done; err == nil {
		err = perr
	}
	return r.m.Size(), r.m.CRC(), err
}

// redactedEntry is an archive entry of a line job's redacted copies, Name of Size bytes, held by
// the segments Parts in order. For ONE_DOC_PER_FILE the segments hold whole entries and Name is "".
type redactedEntry struct {
	Name  string
	Size  int64
	Parts []archivePart
}

// redactedEntries returns a job's redacted copies as archive entries, in shard order: for a line
// input one entry per input file (the shards of a file are consecutive; a file whose shards were
// all skipped has none), named by the file as the output's File names it; for ONE_DOC_PER_FILE
// one run of members holding whole entries. Shard records written before they carried their
// File (a rolling deploy) all go to one entry named after the input, as they used to.
func (s *Service) redactedEntries(ctx context.Context, j *job.Job, recs []ShardRecord) []redactedEntry {
	if j.RedactOutput == nil || !j.Has(job.PII) {
		return nil
	}
	// The copy of a line input is named after it; a retry child's input is its own file of the
	// documents re-run, but its copy is named as its parent's, after the input its output lines'
	// File names.
	inputName := path.Base(j.InputKey)
	if j.ParentJobId != "" {
		if parent, err := s.jobs.Get(ctx, j.Tenant, j.ParentJobId); err == nil {
			inputName = path.Base(parent.InputKey)
		} else if k, err := s.cfg.Locations.Key(j.InputDataConfig.S3Uri); err == nil {
			inputName = path.Base(k) // the parent has expired: its input location's name
		}
	}
	var out []redactedEntry
	for _, r := range recs {
		if r.Skipped || r.Documents == 0 && r.RedactedBytes == 0 {
			continue // no documents (a file of only a byte-order mark): no copy, as for an empty file
		}
		name := ""
		if j.InputDataConfig.InputFormat.LineFormat() {
			name = layout.RedactedEntryName(inputName)
			if r.File != "" && j.ParentJobId == "" { // (a retry's one input is no file of its parent's)
				name = layout.RedactedEntryName(r.File)
			}
		}
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, redactedEntry{Name: name})
		}
		e := &out[len(out)-1]
		e.Parts = append(e.Parts, archivePart{layout.RedactedPartKey(j.Tenant, j.JobId, r.Index, r.Failed, !r.Deflate), r.RedactedCRC, r.RedactedBytes, !r.Deflate})
		e.Size += r.RedactedBytes
	}
	if len(out) == 0 && j.InputDataConfig.InputFormat.LineFormat() {
		// Every shard was skipped: an empty copy, as before a shard ran.
		out = append(out, redactedEntry{Name: layout.RedactedEntryName(inputName)})
	}
	return out
}
