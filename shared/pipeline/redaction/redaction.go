// Package redaction writes a shard's redacted copies of its documents (PII jobs with a
// RedactionConfig), as Comprehend's PII redaction jobs write them:
//
//   - line formats: one redacted line per input document, aligned with the input, in the archive
//     entry "redacted/<File>" of its input file (one entry per file of a many-file input; JSONL
//     inputs keep their recordId, and a coding record its two fields, each redacted apart); a
//     document with an error record gets an empty line (or an empty "text", empty "occp_text"
//     and "tasks_text"), never its unredacted text;
//   - ONE_DOC_PER_FILE: one entry "redacted/<file>" per document (empty for error records).
//
// Each shard writes its part under work/…/redacted/ as one compressed segment (output.Member):
// for line formats the lines (their size and CRC-32 are recorded with the shard), for files
// whole tar entries. Finalize concatenates them into output.tar.gz (see output.Framing).
package redaction

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/internal/jsonw"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline/layout"
)

// Redactor makes the redacted copies of job j's documents.
type Redactor struct {
	j    *job.Job
	mode string
	mask rune
	// only detects the PII types the copies redact, when they are not all of them (nil then).
	only func(text string, persons *analysis.Persons) []analysis.PiiEntity
}

// NewRedactor returns the redactor of job j, which must have a RedactOutput. When the detector
// of the redacted types cannot be built it returns the error with a redactor that redacts the
// output's spans of those types.
func NewRedactor(j *job.Job) (*Redactor, error) {
	r := &Redactor{j: j, mode: j.RedactOutput.MaskMode, mask: analysis.DefaultMaskChar}
	var err error
	if !j.RedactOutput.RedactsAll() {
		var only func(text string, persons *analysis.Persons) []analysis.PiiEntity
		if only, err = analysis.PiiDetector(j.RedactOutput.PiiEntityTypes); err == nil {
			r.only = only
		}
	}
	if c, _ := utf8.DecodeRuneInString(j.RedactOutput.MaskCharacter); c != utf8.RuneError {
		r.mask = c
	}
	return r, err
}

// Text is the redacted text of d, or "" when d has no PII result to redact with (an error
// record, or a dead-lettered shard's document).
func (r *Redactor) Text(d input.Document, rec *output.Record) string {
	ents, ok := r.entities(d, rec)
	if !ok {
		return ""
	}
	return analysis.Redact(d.Text, ents, r.mode, r.mask)
}

// CodingTexts is the redacted occp_text and tasks_text of coding record d, each redacted apart
// ("" and "" when d has no PII result): d.Text, which the PII spans index, is the two joined
// by one line end, so a span is cut at it and each part keeps its own, shifted into tasks_text.
// Kept apart, the copy has the record's own fields, which a joined text cannot give back when
// occp_text holds a line end itself.
func (r *Redactor) CodingTexts(d input.Document, rec *output.Record) (occupation, tasks string) {
	ents, ok := r.entities(d, rec)
	if !ok {
		return "", ""
	}
	n := utf8.RuneCountInString(d.Occupation) // tasks_text starts at n+1, after the line end
	var oe, te []analysis.PiiEntity
	for _, e := range ents {
		if e.BeginOffset < n {
			o := e
			o.EndOffset = min(e.EndOffset, n)
			oe = append(oe, o)
		}
		if e.EndOffset > n+1 {
			t := e
			t.BeginOffset, t.EndOffset = max(e.BeginOffset, n+1)-(n+1), e.EndOffset-(n+1)
			te = append(te, t)
		}
	}
	return analysis.Redact(d.Occupation, oe, r.mode, r.mask), analysis.Redact(d.Tasks, te, r.mode, r.mask)
}

// entities are the spans d's copy is redacted at, false when d has no PII result to redact
// with (an error record, or a dead-lettered shard's document).
func (r *Redactor) entities(d input.Document, rec *output.Record) ([]analysis.PiiEntity, bool) {
	if d.Failed() || rec.PiiEntities == nil {
		return nil, false
	}
	ents := rec.PiiEntities
	switch rc := r.j.RedactOutput; {
	case !rc.RedactsAll():
		// The output's spans of those types, and, when it could be built, a detection of those
		// types alone: in the output a longer span of another type (a URL) hides one of them
		// inside it (an email), which must still be redacted. Neither alone is enough: that
		// detection settles overlaps without the other types, so a span the output reports
		// can lose there to an overlapping one of the types kept ("PIN (415) 867-5309::4111
		// 1111 1111 1111", PHONE and IP_ADDRESS: the output's PHONE against an IP_ADDRESS
		// "5309::4111" the card number beat), and the copy showed the rest of it. Redact
		// masks their union. NAME reuses the person spans the analysis found.
		ents = nil
		if r.only != nil {
			ents = r.only(d.Text, rec.Persons)
		}
		for _, e := range rec.PiiEntities {
			if slices.Contains(rc.PiiEntityTypes, e.Type) {
				ents = append(ents, e)
			}
		}
	}
	return ents, true
}

// JSONLine is the redacted copy of JSONL record d, one line without its line end:
// {"recordId", "text"}, or for a job that reads coding records {"recordId", "occp_text",
// "tasks_text"} (CodingTexts); recordId as a string, left out when the record has none.
func (r *Redactor) JSONLine(d input.Document, rec *output.Record) ([]byte, error) {
	var v any
	if r.j.ReadsCodingRecords() {
		occp, tasks := r.CodingTexts(d, rec)
		v = struct {
			RecordID   string `json:"recordId,omitempty"`
			Occupation string `json:"occp_text"`
			Tasks      string `json:"tasks_text"`
		}{d.RecordId, occp, tasks}
	} else {
		v = struct {
			RecordID string `json:"recordId,omitempty"`
			Text     string `json:"text"`
		}{d.RecordId, r.Text(d, rec)}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonw.EscapeNEL(b), nil // one line, as the output's
}

// Putter is what the writer needs of the object store (pipeline.Objects has it).
type Putter interface {
	Put(ctx context.Context, key string, r io.Reader) error
}

// Writer writes one shard's redacted copies, streamed into one segment; a nil *Writer does
// nothing.
type Writer struct {
	*Redactor
	pw   *io.PipeWriter
	bw   *bufio.Writer
	m    *output.Member
	done chan error
}

// NewWriter starts the redacted part of shard of job j (dead: a dead-lettered shard's) in
// objects; it returns nil when the job writes no redacted copies.
func NewWriter(ctx context.Context, objects Putter, log *slog.Logger, j *job.Job, shard int, dead bool) *Writer {
	if j.RedactOutput == nil || !j.Has(job.PII) {
		return nil
	}
	red, err := NewRedactor(j)
	if err != nil {
		log.ErrorContext(ctx, "cannot build the PII detector of the redacted types; the copies redact the output's spans of those types", "job", j.JobId, "err", err)
	}
	r := &Writer{Redactor: red}
	pr, pw := io.Pipe()
	r.pw, r.done = pw, make(chan error, 1)
	r.m = output.NewMember(pw)
	r.bw = bufio.NewWriterSize(r.m, 64<<10)
	go func() {
		err := objects.Put(ctx, layout.RedactedPartKey(j.Tenant, j.JobId, shard, dead, false), pr)
		pr.CloseWithError(errors.New("redacted upload stopped"))
		r.done <- err
	}()
	return r
}

// Write adds the redacted copy of d, whose output record is rec.
func (r *Writer) Write(ctx context.Context, d input.Document, rec *output.Record) error {
	if r == nil {
		return nil
	}
	switch r.j.InputDataConfig.InputFormat {
	case job.OneDocPerLine:
		if _, err := r.bw.WriteString(r.Text(d, rec)); err != nil {
			return err
		}
	case job.JSONLines:
		b, err := r.JSONLine(d, rec)
		if err != nil {
			return err
		}
		if _, err := r.bw.Write(b); err != nil {
			return err
		}
	default:
		return output.WriteEntry(r.bw, layout.RedactedEntryName(d.File), []byte(r.Text(d, rec)))
	}
	return r.bw.WriteByte('\n')
}

// Close finishes the shard's part and returns its size before compression and CRC-32; failed is
// the shard's own error (the part is then abandoned).
func (r *Writer) Close(failed error) (int64, uint32, error) {
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
