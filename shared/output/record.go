// Package output writes what a job produces: one JSON line per input document (Record), the
// records each worker writes for its shard (Writer) as one DEFLATE segment (Member), the framing
// that makes the shards' segments one gzip member, output.tar.gz, with a single "output" entry as
// Amazon Comprehend's (Framing; see members.go), archives of whole entries (WriteEntries), and
// manifest.json (WriteManifest).
//
// Line numbering. Planning counts the lines before each shard of a line-format input, so every
// worker writes global line numbers itself and the archive is a plain concatenation of the
// shards' members, its entry size the sum of the sizes the shard records hold.
package output

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/internal/jsonw"
	"github.com/ream-dev/ream/shared/job"
)

// Record is one output line: one per input document, in Amazon Comprehend's shape.
//
// Its JSON encoding is, in this order: "Line" (only when Line is set), "File" (always),
// "RecordId" (when non-empty), the fields of analysis.Result as encoding/json renders them, then
// "Errors" (when non-empty), "ErrorCode" and "ErrorMessage" (when non-empty). An encoded record therefore begins with
// {"Line":N when Line is set and with {"File": otherwise. File,
// RecordId, Errors, ErrorCode and ErrorMessage are not HTML-escaped; strings inside the analysis fields
// are ('<', '>' and '&' as \u003c, \u003e and \u0026: see analysis.Result.AppendJSON). The
// default decoder reads a record back (the keys are the field names).
type Record struct {
	// Line is the document's 0-based line number (line formats only). Shard result files hold
	// local numbers, 0 for the shard's first document; the archive makes them global.
	Line *int64
	// File is the input object's name as the user knows it.
	File string
	// RecordId is the record's id (JSONL inputs).
	RecordId string
	// Result holds the analysis fields, merged: its JSON keys appear at the record's top level.
	analysis.Result
	// Errors lists the analyses that failed on this document in a job of several analyses; the
	// document keeps the results of the others. (A one-analysis job's failure is a top-level
	// ErrorCode and ErrorMessage, as Comprehend's.)
	Errors []AnalysisError
	// ErrorCode and ErrorMessage are set on a per-document error record (job.Code* values): a
	// document-level failure (bad encoding, empty, invalid record), or every analysis failed.
	ErrorCode    string
	ErrorMessage string
}

// AnalysisError is one analysis's failure on one document.
type AnalysisError struct {
	Analysis     job.Analysis `json:"Analysis"`
	ErrorCode    string       `json:"ErrorCode"`
	ErrorMessage string       `json:"ErrorMessage"`
}

// HasErrors reports whether r is an error record or lists a failed analysis.
func (r *Record) HasErrors() bool { return r.ErrorCode != "" || len(r.Errors) > 0 }

// LineNumber returns a pointer to n, for Record.Line.
func LineNumber(n int64) *int64 { return &n }

// MarshalJSON encodes r in the key order documented on Record.
func (r Record) MarshalJSON() ([]byte, error) {
	return appendRecord(nil, &r)
}

// appendRecord appends r's JSON object (without a trailing newline) to dst. It does not use
// reflection: the analysis fields come from analysis.Result.AppendJSON, whose bytes are those
// encoding/json writes for them. On error dst is returned unchanged.
func appendRecord(dst []byte, r *Record) ([]byte, error) {
	orig := len(dst)
	dst = append(dst, '{')
	if r.Line != nil {
		dst = append(dst, `"Line":`...)
		dst = strconv.AppendInt(dst, *r.Line, 10)
		dst = append(dst, ',')
	}
	dst = append(dst, `"File":`...)
	dst = appendString(dst, r.File)
	if r.RecordId != "" {
		dst = append(dst, `,"RecordId":`...)
		dst = appendString(dst, r.RecordId)
	}
	// Splice the body of the Result's object ({...}) in after a comma; an empty object adds
	// nothing.
	mark := len(dst)
	dst = append(dst, ',')
	dst, err := r.Result.AppendJSON(dst)
	if err != nil {
		return dst[:orig], fmt.Errorf("output: encode analysis result: %w", err)
	}
	if len(dst) == mark+3 { // ",{}"
		dst = dst[:mark]
	} else {
		// ",{body}" -> ",body": drop the '{' by shifting the body left, then the '}'.
		copy(dst[mark+1:], dst[mark+2:len(dst)-1])
		dst = dst[:len(dst)-2]
	}
	if len(r.Errors) > 0 {
		dst = append(dst, `,"Errors":[`...)
		for i, e := range r.Errors {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"Analysis":`...)
			dst = appendString(dst, string(e.Analysis))
			dst = append(dst, `,"ErrorCode":`...)
			dst = appendString(dst, e.ErrorCode)
			dst = append(dst, `,"ErrorMessage":`...)
			dst = appendString(dst, e.ErrorMessage)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if r.ErrorCode != "" {
		dst = append(dst, `,"ErrorCode":`...)
		dst = appendString(dst, r.ErrorCode)
	}
	if r.ErrorMessage != "" {
		dst = append(dst, `,"ErrorMessage":`...)
		dst = appendString(dst, r.ErrorMessage)
	}
	return append(dst, '}'), nil
}

// appendString appends s as a JSON string exactly as encoding/json does with HTML escaping off:
// '"', '\\' and control characters escaped, invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029
// escaped (JSONP safety), everything else verbatim.
func appendString(dst []byte, s string) []byte { return jsonw.AppendString(dst, s, false) }

// Writer writes records as JSON lines to a shard result object, counting them. It buffers; call
// Flush when done. It is not safe for concurrent use.
type Writer struct {
	bw     *bufio.Writer
	line   []byte
	docs   int64
	errors int64
	err    error
	// errSink, when set, also gets the lines of the records that have errors (TeeErrors).
	errSink io.Writer
}

// TeeErrors makes w also write the line of every record that has errors (Record.HasErrors) to
// dst, encoded once for both.
func (w *Writer) TeeErrors(dst io.Writer) { w.errSink = dst }

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, 64<<10)}
}

// Write writes r as one '\n'-terminated line. After an error every later call fails too.
func (w *Writer) Write(r *Record) error {
	if w.err != nil {
		return w.err
	}
	line, err := appendRecord(w.line[:0], r)
	if err != nil {
		// An encoding failure writes nothing: the writer stays usable.
		return err
	}
	line = append(line, '\n')
	w.line = line
	if _, err := w.bw.Write(line); err != nil {
		w.err = fmt.Errorf("output: write record: %w", err)
		return w.err
	}
	if w.errSink != nil && r.HasErrors() {
		if _, err := w.errSink.Write(line); err != nil {
			w.err = fmt.Errorf("output: write error record: %w", err)
			return w.err
		}
	}
	w.docs++
	if r.ErrorCode != "" {
		w.errors++
	}
	if cap(w.line) > 1<<20 {
		w.line = nil // do not keep one huge record's buffer alive
	}
	return nil
}

// Count returns how many records were written and how many of them are error records
// (ErrorCode != "").
func (w *Writer) Count() (docs, errors int64) { return w.docs, w.errors }

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("output: flush records: %w", err)
		return w.err
	}
	return nil
}
