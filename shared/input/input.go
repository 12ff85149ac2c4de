// Package input reads Ream's input formats as streams of documents and plans how an input is
// cut into shards.
//
// # Formats
//
//   - ONE_DOC_PER_LINE: every line of one object is a document.
//   - JSONL: every line of one object is a JSON object {"recordId": "...", "text": "..."}; the
//     text is the document and the optional recordId (a string or a number) is echoed back.
//   - ONE_DOC_PER_FILE: every object under a prefix is one document.
//
// Lines end with LF, CR or CRLF (CRLF is one terminator). Nothing else ends a line: U+2028,
// U+2029 and NEL are ordinary text. A last line without a terminator is still a document, but a
// terminator at the very end of an object does not start an extra, empty one. A UTF-8 byte order
// mark at offset 0 of an object is not part of its first document.
//
// # Shard ownership
//
// A line-format object is planned by PlanLines without being read: shards are contiguous byte
// ranges [Start, End) that tile [0, size). Documents do not respect those cuts, so ownership is
// decided by a document's FIRST byte: the shard whose range contains the byte at which a
// document starts owns the whole document. Documents start at offset 0 and right after every
// terminator (except at the end of the object). Consequently:
//
//   - a reader for a shard with Start > 0 opens the object at Start-1 and looks at that byte: if
//     it is LF, a document starts at Start; if it is CR, a document starts at Start, unless the
//     byte at Start is LF (the CRLF ends at Start+1, so the next document starts there);
//     otherwise Start is inside a document owned by an earlier shard and the reader skips past
//     the next terminator;
//   - the reader then reads every document that starts before End, reading the last one to its
//     terminator even when that lies beyond End;
//   - a shard may own no document at all (a 1-byte shard in the middle of a long line), and a
//     cut may fall inside a multi-byte UTF-8 sequence: terminators are ASCII, so that is harmless.
//
// Every document is therefore read by exactly one shard, whatever the cut points, which is
// what the job's exactly-once guarantee builds on. Line numbers are local to the shard; the
// pipeline adds the shard's global offset, which LineOffsets counts when the job is planned.
//
// # Bad documents
//
// A document that cannot be analysed is still delivered, with ErrorCode and ErrorMessage set
// (job.CodeUnsupportedEncoding, job.CodeDocumentSizeExceeded, job.CodeEmptyDocument,
// job.CodeInvalidRecord) and an empty Text, so that it becomes one error record in the output.
// Reading never holds a whole object in memory: the reader buffer is bounded, and an oversized
// document is counted, not kept.
package input

import (
	"context"
	"io"
)

// DefaultMaxDocumentBytes is the document size limit used when Limits.MaxDocumentBytes is not
// positive.
const DefaultMaxDocumentBytes = 1 << 20

// Document is one input document as read from a shard.
type Document struct {
	// File is the input object's name: for line formats the name the caller passed (the input
	// object's base name), for ONE_DOC_PER_FILE the key relative to the input prefix.
	File string
	// Line is the 0-based index of the document WITHIN THE SHARD for line formats (the
	// pipeline adds the shard's global offset); -1 for ONE_DOC_PER_FILE.
	Line int64
	// RecordId is the JSONL record's recordId ("" when absent or for other formats).
	RecordId string
	// Text is the document: valid UTF-8, without BOM or line terminator. Empty when ErrorCode
	// is set.
	Text string
	// Bytes is the size of the document as it appeared in the input, without the line
	// terminator and the BOM (for JSONL, the size of the decoded text; the size of the record
	// when the text could not be decoded).
	Bytes int64
	// Occupation and Tasks are a coding record's occp_text and tasks_text (Limits.CodingRecords);
	// Text is then the two joined by a newline.
	Occupation, Tasks string
	// Code is a labelled coding record's "code" (training input); "" otherwise.
	Code string
	// ErrorCode and ErrorMessage are set when the document can't be analysed.
	ErrorCode, ErrorMessage string
}

// Failed reports whether the document is an error record.
func (d Document) Failed() bool { return d.ErrorCode != "" }

// Limits bound what a reader accepts.
type Limits struct {
	// MaxDocumentBytes: documents bigger than this become DOCUMENT_SIZE_EXCEEDED records. The
	// reader keeps at most this many bytes of a document in memory (for JSONL, a small multiple
	// of it: see ReadLines). Zero or negative means DefaultMaxDocumentBytes.
	MaxDocumentBytes int64
	// CodingRecords reads JSONL lines as the coding service's records,
	// {"recordId", "occp_text", "tasks_text"}: both texts must be strings (either may be ""),
	// a line missing one is INVALID_RECORD, both blank is EMPTY_DOCUMENT.
	CodingRecords bool
}

func (l Limits) max() int64 {
	if l.MaxDocumentBytes <= 0 {
		return DefaultMaxDocumentBytes
	}
	return l.MaxDocumentBytes
}

// Shard is a planned unit of work.
type Shard struct {
	Index int
	// Start and End delimit a line-format shard: it owns every document whose first byte lies
	// in [Start, End).
	Start, End int64
	// Files are the objects of a ONE_DOC_PER_FILE shard, one document each.
	Files []FileRef
}

// FileRef names one input object of a ONE_DOC_PER_FILE input.
type FileRef struct {
	Key  string
	Size int64
	// Version is the planner's fingerprint of the file as listed (opaque here; PlanFiles
	// carries it into the shards, so a shard's message can name each file's version).
	Version string
}

// Opener opens an object for streaming from offset to its end (callers close early when done).
// It is satisfied by pipeline.Objects.Open.
type Opener func(ctx context.Context, key string, offset int64) (io.ReadCloser, error)
