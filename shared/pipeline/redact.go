package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
)

// Redacted copies (PII jobs with a RedactionConfig), as Comprehend's PII redaction jobs write them:
//
//   - line formats: one redacted line per input document, aligned with the input, in the archive
//     entry "redacted/<input file name>" (JSONL inputs keep their recordId); a document with an
//     error record gets an empty line (or an empty "text"), never its unredacted text;
//   - ONE_DOC_PER_FILE: one entry "redacted/<file>" per document (empty for error records).
//
// Each shard writes its part under work/…/redacted/; finalize puts them in output.tar.gz.

func redactedPrefix(tenant, jobID string) string { return workPrefix(tenant, jobID) + "redacted/" }

// redactedPartKey is a line shard's part of the redacted copy; a dead-lettered shard's (empty
// lines) has a key of its own, as its results do (see DeadLetterKey).
func redactedPartKey(tenant, jobID string, shard int, dead bool) string {
	if dead {
		return fmt.Sprintf("%sparts/%06d.dead", redactedPrefix(tenant, jobID), shard)
	}
	return fmt.Sprintf("%sparts/%06d", redactedPrefix(tenant, jobID), shard)
}

func redactedFileKey(tenant, jobID, file string) string {
	return redactedPrefix(tenant, jobID) + "files/" + file
}

// redactedWriter writes one shard's redacted copies; a nil *redactedWriter does nothing.
type redactedWriter struct {
	s    *Service
	j    *job.Job
	mode string
	mask rune
	// line formats: the shard's part, streamed.
	pw   *io.PipeWriter
	bw   *bufio.Writer
	done chan error
}

func (s *Service) newRedactedWriter(ctx context.Context, j *job.Job, shard int, dead bool) *redactedWriter {
	if j.RedactOutput == nil || !j.Has(job.PII) {
		return nil
	}
	if dead && !j.InputDataConfig.InputFormat.LineFormat() {
		// A dead-lettered file shard writes no copies: finalize gives its files empty entries
		// (see redactedEntries), whatever an interrupted attempt left behind.
		return nil
	}
	r := &redactedWriter{s: s, j: j, mode: j.RedactOutput.MaskMode, mask: '*'}
	if c, _ := utf8.DecodeRuneInString(j.RedactOutput.MaskCharacter); c != utf8.RuneError {
		r.mask = c
	}
	if j.InputDataConfig.InputFormat.LineFormat() {
		pr, pw := io.Pipe()
		r.pw, r.bw, r.done = pw, bufio.NewWriterSize(pw, 64<<10), make(chan error, 1)
		go func() {
			err := s.objects.Put(ctx, redactedPartKey(j.Tenant, j.JobId, shard, dead), pr)
			pr.CloseWithError(errors.New("redacted upload stopped"))
			r.done <- err
		}()
	}
	return r
}

// text is the redacted text of d, or "" when d has no PII result to redact with.
func (r *redactedWriter) text(d input.Document, rec *output.Record) string {
	if d.Failed() || rec.PiiEntities == nil {
		return ""
	}
	return analysis.Redact(d.Text, rec.PiiEntities, r.mode, r.mask)
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
		if _, err := r.bw.Write(b); err != nil {
			return err
		}
	default:
		return r.s.objects.Put(ctx, redactedFileKey(r.j.Tenant, r.j.JobId, d.File), strings.NewReader(text))
	}
	return r.bw.WriteByte('\n')
}

// close finishes the shard's part; failed is the shard's own error (the part is then abandoned).
func (r *redactedWriter) close(failed error) error {
	if r == nil || r.pw == nil {
		return nil
	}
	err := failed
	if err == nil {
		err = r.bw.Flush()
	}
	r.pw.CloseWithError(err)
	if perr := <-r.done; err == nil {
		err = perr
	}
	return err
}

// redactedEntries lists the archive entries holding the redacted copies.
func (s *Service) redactedEntries(ctx context.Context, j *job.Job, recs []ShardRecord) ([]output.Entry, error) {
	if j.RedactOutput == nil || !j.Has(job.PII) {
		return nil, nil
	}
	if !j.InputDataConfig.InputFormat.LineFormat() {
		// The files of dead-lettered shards (few) get empty entries, whatever an interrupted
		// attempt left behind for them.
		dead := map[int]bool{}
		for _, r := range recs {
			if r.Failed {
				dead[r.Index] = true
			}
		}
		deadFiles := map[string]bool{}
		if len(dead) > 0 {
			if err := s.readPlan(ctx, j, func(m ShardMessage) error {
				if dead[m.Index] {
					for _, f := range m.Files {
						deadFiles[fileName(j, f)] = true
					}
				}
				return nil
			}); err != nil {
				return nil, err
			}
		}
		var entries []output.Entry
		prefix := redactedPrefix(j.Tenant, j.JobId) + "files/"
		err := s.objects.List(ctx, prefix, func(o ObjectInfo) error {
			key, name := o.Key, strings.TrimPrefix(o.Key, prefix)
			if deadFiles[name] {
				return nil
			}
			entries = append(entries, output.Entry{Name: "redacted/" + name, Size: o.Size,
				Open: func(ctx context.Context) (io.ReadCloser, error) { return s.objects.Open(ctx, key, 0) }})
			return nil
		})
		for name := range deadFiles {
			entries = append(entries, output.Entry{Name: "redacted/" + name, Size: 0,
				Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("")), nil }})
		}
		sort.Slice(entries, func(a, b int) bool { return entries[a].Name < entries[b].Name })
		return entries, err
	}
	var keys []string
	for _, r := range recs {
		if !r.Skipped {
			keys = append(keys, redactedPartKey(j.Tenant, j.JobId, r.Index, r.Failed))
		}
	}
	e, err := s.concatEntry(ctx, "redacted/"+path.Base(j.InputKey), nil, keys)
	if err != nil {
		return nil, err
	}
	return []output.Entry{e}, nil
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
