package input

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/internal/jsonw"
	"github.com/ream-dev/ream/shared/job"
)

// ReadLines streams the documents of one line shard of object key (format ONE_DOC_PER_LINE or
// JSONL), calling fn for each in order; see the package documentation for which documents a
// shard owns. file is the name put in Document.File. Bad documents are delivered as error
// records; ReadLines itself fails only when the object can't be read, ctx is cancelled (checked
// between documents) or fn fails (its error is returned unchanged).
//
// A JSONL record is kept in memory up to 3×MaxDocumentBytes+64 KiB, because JSON escapes make
// a record longer than its text (Python's json.dumps writes a 2-byte character as a 6-byte
// \uXXXX escape); a longer record is a DOCUMENT_SIZE_EXCEEDED record without being decoded.
func ReadLines(ctx context.Context, open Opener, key, file string, format job.Format, sh Shard, lim Limits, fn func(Document) error) error {
	return readLines(ctx, open, key, file, format, sh, lim, fn, readBufferSize)
}

func readLines(ctx context.Context, open Opener, key, file string, format job.Format, sh Shard, lim Limits, fn func(Document) error, bufSize int) error {
	if !format.LineFormat() {
		return fmt.Errorf("input: %q is not a line format: %w", format, job.ErrInvalid)
	}
	if sh.Start < 0 || sh.End < sh.Start {
		return fmt.Errorf("input: shard %d has bad range [%d, %d): %w", sh.Index, sh.Start, sh.End, job.ErrInvalid)
	}
	if sh.Start == sh.End {
		return nil
	}
	maxDoc := lim.max()
	keep := maxDoc
	keepLine := keep // what is kept of a line: a JSONL record's, and the BOM a later line may start with
	if format == job.JSONLines {
		keep = jsonlRecordLimit(maxDoc)
		keepLine = keep
		if keep <= math.MaxInt64-int64(len(BOM)) {
			keepLine = keep + int64(len(BOM))
		}
	}

	offset := max(sh.Start-1, 0)
	rc, err := open(ctx, key, offset)
	if err != nil {
		return fmt.Errorf("input: open %s at byte %d: %w", key, offset, err)
	}
	defer rc.Close()
	s := newScanner(rc, offset, bufSize)
	fail := func(err error) error {
		return fmt.Errorf("input: read %s at byte %d: %w", key, s.pos, err)
	}

	// start is where the next document starts. The first document starts at 0 even when a BOM
	// precedes its text.
	start := sh.Start
	if sh.Start == 0 {
		if err := s.skipBOM(); err != nil {
			return fail(err)
		}
	} else {
		if err := s.seekDocument(); err != nil {
			return fail(err)
		}
		start = s.pos
	}

	for line := int64(0); start < sh.End; line++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		eof, err := s.atEOF()
		if err != nil {
			return fail(err)
		}
		if eof {
			break
		}
		text, size, err := s.line(keepLine)
		if err != nil {
			return fail(err)
		}
		d := Document{File: file, Line: line}
		if format == job.JSONLines {
			decodeRecord(&d, text, size, maxDoc, keep, lim.CodingRecords)
		} else {
			classify(&d, text, size, maxDoc)
		}
		if err := fn(d); err != nil {
			return err
		}
		start = s.pos
	}
	return nil
}

// seekDocument is called with the scanner at Start-1 of a shard with Start > 0. It moves to
// the first document starting at or after Start (see the package documentation).
func (s *scanner) seekDocument() error {
	b, err := s.buffered()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	switch b[0] {
	case '\n':
		s.discard(1)
	case '\r':
		s.discard(1)
		return s.skipLF()
	default: // inside a document owned by an earlier shard
		_, _, err := s.line(0)
		return err
	}
	return nil
}

// ReadFiles streams the documents of one ONE_DOC_PER_FILE shard, one per file in order;
// name(key) gives Document.File (the key itself when name is nil). Errors are as for ReadLines.
// Files are opened up to PrefetchFiles ahead of the one being read (Prefetch), so open must be
// safe for concurrent use.
func ReadFiles(ctx context.Context, open Opener, sh Shard, name func(key string) string, lim Limits, fn func(Document) error) error {
	return readFiles(ctx, open, sh, name, lim, fn, readBufferSize)
}

func readFiles(ctx context.Context, open Opener, sh Shard, name func(key string) string, lim Limits, fn func(Document) error, bufSize int) error {
	if name == nil {
		name = func(key string) string { return key }
	}
	maxDoc := lim.max()
	keys := make([]string, len(sh.Files))
	for i, f := range sh.Files {
		keys[i] = f.Key
	}
	open, stop := Prefetch(ctx, open, keys)
	defer stop()
	var s *scanner
	for _, f := range sh.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		text, size, err := func() ([]byte, int64, error) {
			rc, err := open(ctx, f.Key, 0)
			if err != nil {
				return nil, 0, fmt.Errorf("input: open %s: %w", f.Key, err)
			}
			defer rc.Close()
			if s == nil {
				s = newScanner(rc, 0, bufSize)
			} else {
				s.reset(rc, 0)
			}
			if err := s.skipBOM(); err != nil {
				return nil, 0, fmt.Errorf("input: read %s: %w", f.Key, err)
			}
			text, size, err := s.rest(maxDoc)
			if err != nil {
				return nil, 0, fmt.Errorf("input: read %s at byte %d: %w", f.Key, s.pos, err)
			}
			return text, size, nil
		}()
		d := Document{File: name(f.Key), Line: -1}
		var archived *job.ArchivedError
		switch {
		case errors.As(err, &archived):
			// In an archive storage class: that file waits for a restore, the others are read.
			d = ArchivedFile(d.File, -1, archived)
		case errors.Is(err, job.ErrInvalid):
			// The store refuses the file's name (the local store's key rules): that file, not
			// the shard, cannot be read, and reading it again will not help.
			d = UnreadableFile(d.File, -1)
		case err != nil:
			return err
		default:
			classify(&d, text, size, maxDoc)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}

// UnreadableFile is the UNREADABLE_FILE record of file, a file the store refuses to open by
// its name (line is its Line: -1 for ONE_DOC_PER_FILE, 0 for a file of a line input).
func UnreadableFile(file string, line int64) Document {
	d := Document{File: file, Line: line}
	setError(&d, job.CodeUnreadableFile, "the store cannot read a file of this name (names must be UTF-8, without backslashes, at most 1,024 bytes); rename it")
	return d
}

// ArchivedFile is the UNREADABLE_FILE record of file, an object the store keeps in an archive
// storage class (line as for UnreadableFile).
func ArchivedFile(file string, line int64, a *job.ArchivedError) Document {
	d := Document{File: file, Line: line}
	setError(&d, job.CodeUnreadableFile, "%s, then retry the job's UNREADABLE_FILE documents", ArchivedAdvice(a))
	return d
}

// ArchivedAdvice says what an object in an archive storage class needs before a job can read it.
func ArchivedAdvice(a *job.ArchivedError) string {
	return "the object is archived in storage class " + a.Class + ", which S3 does not read until it is restored: restore it (S3 RestoreObject: minutes to 48 hours, by class and retrieval tier) or copy it to a storage class read at once such as STANDARD"
}

// classify fills d from a document's kept bytes and full size: an error record, or its text.
func classify(d *Document, text []byte, size, maxDoc int64) {
	d.Bytes = size
	if size > maxDoc {
		setError(d, job.CodeDocumentSizeExceeded, "document is %d bytes, more than the limit of %d bytes", size, maxDoc)
		return
	}
	if msg := encodingProblem(text, "document"); msg != "" {
		setError(d, job.CodeUnsupportedEncoding, "%s", msg)
		return
	}
	if blank(text) {
		setError(d, job.CodeEmptyDocument, "document is empty or contains only whitespace")
		return
	}
	d.Text = string(text)
}

// jsonlRecordLimit is how many bytes of a JSONL record are kept for a text limit of maxDoc:
// enough for a text of maxDoc bytes written with \uXXXX escapes, plus room for the recordId.
func jsonlRecordLimit(maxDoc int64) int64 {
	const slack = 64 << 10
	if maxDoc > (math.MaxInt64-slack)/3 {
		return math.MaxInt64
	}
	return 3*maxDoc + slack
}

// decodeRecord fills d from one JSONL line (kept bytes and full size); coding says the line is a
// coding record, {"recordId", "occp_text", "tasks_text"} (and a training record's "code"),
// rather than {"recordId", "text"}. Keys match exactly (encoding/json would match a struct's
// fields case-insensitively and let a later "recordid" replace the "recordId" echoed back).
//
// The line is checked with json.Valid and its top-level keys found by scanRecord, without
// reflection; encoding/json is called only for the message of a line that is not JSON. Before,
// every line was decoded into a map[string]json.RawMessage and its strings by json.Unmarshal:
// about 10 of a 2,000,000-record coding operation's 81 CPU-seconds. That decoding is kept as
// the test oracle (decodeRecordReflective in the tests): FuzzDecodeRecordMatchesReflective
// requires the same Document, record or error, for any line.
func decodeRecord(d *Document, line []byte, size, maxDoc, keep int64, coding bool) {
	// A byte-order mark at the start of a later line (files joined with cat, each with its
	// own) is no part of the record, for its size too (the reader keeps keep bytes after it);
	// the input's first is skipped when reading starts.
	if bytes.HasPrefix(line, BOM) {
		line, size = line[len(BOM):], size-int64(len(BOM))
	}
	d.Bytes = size
	if size > keep {
		d.RecordId, _ = recordID(salvageRecordID(line))
		setError(d, job.CodeDocumentSizeExceeded, "JSONL record is %d bytes, over the %d bytes a line may take (3 × the text limit of %d bytes + 64 KiB for escapes and other fields); it was not read", size, keep, maxDoc)
		return
	}
	if blank(line) {
		setError(d, job.CodeEmptyDocument, "line is empty or contains only whitespace")
		return
	}
	// The recordId is read first, so that it is echoed on every error record where it can be
	// read (invalid UTF-8 read as U+FFFD, as encoding/json does, so that works even for an
	// encoding error; a line that is not JSON, such as one with a NUL inside a string, is
	// searched for it).
	read := recordKeys
	if coding {
		read = codingRecordKeys
	}
	var rec scannedRecord
	valid := json.Valid(line)
	object := valid && scanRecord(&rec, line, read)
	rawID := rec.value("recordId")
	if !valid {
		rawID = salvageRecordID(line)
	}
	id, idErr := recordID(rawID)
	d.RecordId = id
	if msg := encodingProblem(line, "line"); msg != "" {
		setError(d, job.CodeUnsupportedEncoding, "%s", msg)
		return
	}
	switch {
	case !valid:
		var v struct{}
		// The syntax error, checked before anything is decoded: the same for any target.
		setError(d, job.CodeInvalidRecord, "line is not valid JSON: %v", json.Unmarshal(line, &v))
		return
	case !object:
		setError(d, job.CodeInvalidRecord, "line is not a JSON object")
		return
	}
	if k := rec.duplicate; k != "" {
		// A key Ream reads given twice: encoding/json keeps the last silently, and which one
		// the writer meant cannot be known (found from outside).
		if k == "recordId" {
			d.RecordId = ""
		}
		setError(d, job.CodeInvalidRecord, "key %q is given twice in the record; each key may be given once", k)
		return
	}
	switch {
	case idErr != nil:
		setError(d, job.CodeInvalidRecord, "%v", idErr)
		return
	}
	// The strings are read (jsonw.Unquote) once the record is known to be good: raw is a
	// string of valid JSON then, which always reads.
	if !coding {
		present, ferr := stringField(rec.value("text"), "text")
		switch {
		case ferr != nil:
			setError(d, job.CodeInvalidRecord, "%v", ferr)
		case !present:
			setError(d, job.CodeInvalidRecord, "record does not have a string \"text\"")
		default:
			text, _ := jsonw.Unquote(rec.value("text"))
			setText(d, text, int64(len(text)), maxDoc, "text is")
		}
		return
	}
	occp, err := stringField(rec.value("occp_text"), "occp_text")
	tasks, err2 := stringField(rec.value("tasks_text"), "tasks_text")
	code, err3 := stringField(rec.value("code"), "code") // training records only
	switch err := cmp.Or(err, err2, err3); {             // the first field at fault
	case err != nil:
		// Name the field at fault: "occp_text", "tasks_text" or a training record's "code".
		setError(d, job.CodeInvalidRecord, "%v", err)
	case !occp || !tasks:
		setError(d, job.CodeInvalidRecord, "record must have both \"occp_text\" and \"tasks_text\" (strings; either may be empty)")
	default:
		// The two texts joined by a line end, read into one string that Occupation and Tasks
		// are parts of (one allocation, not three).
		var buf [512]byte
		b, _ := jsonw.AppendUnquote(buf[:0], rec.value("occp_text"))
		n := len(b)
		b = append(b, '\n')
		b, _ = jsonw.AppendUnquote(b, rec.value("tasks_text"))
		text := string(b)
		occupation, taskText := text[:n], text[n+1:]
		if setText(d, text, CodingBytes(occupation, taskText), maxDoc, "occp_text and tasks_text are") {
			d.Occupation, d.Tasks = occupation, taskText
			if code {
				d.Code, _ = jsonw.Unquote(rec.value("code"))
			}
		}
	}
}

// recordKeys and codingRecordKeys are the keys of a JSONL record Ream reads (the others are
// not looked at): each may be given once.
var (
	recordKeys       = []string{"recordId", "text"}
	codingRecordKeys = []string{"recordId", "occp_text", "tasks_text", "code"}
)

// scannedRecord is what scanRecord finds of a record's keys read: the raw value of each (nil
// when absent; the last when given twice, as encoding/json keeps), and the first of them found
// given twice.
type scannedRecord struct {
	names     []string // the keys read, as scanRecord was given them
	raw       [4]json.RawMessage
	duplicate string
}

// value is the raw value of key name, one of the keys read (nil when absent).
func (r *scannedRecord) value(name string) json.RawMessage {
	if i := slices.Index(r.names, name); i >= 0 {
		return r.raw[i]
	}
	return nil
}

// scanRecord fills rec from line, valid JSON (json.Valid), for the keys names (at most 4) at
// its top level, compared after unescaping ("te\u0078t" is "text"), exactly (not folding
// case); it reports whether line is a JSON object. The values are not decoded: strings and
// nested values are skipped by their quotes and brackets (jsonw.ValueEnd), so the cost is
// about that of finding them.
func scanRecord(rec *scannedRecord, line []byte, names []string) bool {
	rec.names = names
	i := jsonw.SkipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return false
	}
	var seen uint
	for i = jsonw.SkipSpace(line, i+1); i < len(line) && line[i] == '"'; {
		kend := jsonw.StringEnd(line, i+1)
		if kend < 0 {
			return false // not reached: the line is valid JSON
		}
		key := line[i+1 : kend]
		if bytes.IndexByte(key, '\\') >= 0 {
			u, _ := jsonw.Unquote(line[i : kend+1])
			key = []byte(u)
		}
		n := -1
		for k, name := range names {
			if string(key) == name { // no copy of key
				n = k
				break
			}
		}
		i = jsonw.SkipSpace(line, kend+1) + 1 // past the colon
		i = jsonw.SkipSpace(line, i)
		vend := jsonw.ValueEnd(line, i)
		if vend < 0 {
			return false // not reached: the line is valid JSON
		}
		if n >= 0 {
			if seen&(1<<n) != 0 && rec.duplicate == "" {
				rec.duplicate = names[n]
			}
			seen |= 1 << n
			rec.raw[n] = line[i:vend]
		}
		if i = jsonw.SkipSpace(line, vend); i < len(line) && line[i] == ',' {
			i = jsonw.SkipSpace(line, i+1)
		}
	}
	return true
}

// CodingBytes is what a coding record counts against its size limit: the bytes of its two
// texts (the analyser reads them as one Text, a line each; that line end is not counted).
func CodingBytes(occupation, tasks string) int64 { return int64(len(occupation) + len(tasks)) }

// stringField checks the raw value of the string field name of a JSONL record: present is
// false when it is absent or null; the error names the field and the JSON type it has when it
// is not a string.
func stringField(raw json.RawMessage, name string) (present bool, err error) {
	if raw == nil || string(raw) == "null" {
		return false, nil
	}
	if raw[0] != '"' {
		return false, fmt.Errorf("record field %q is a JSON %s; %q must be a string", name, jsonKind(raw), name)
	}
	return true, nil
}

// jsonKind names the JSON type of a valid JSON value other than a string or null.
func jsonKind(raw json.RawMessage) string {
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	}
	return "number"
}

// salvageRecordID finds the top-level recordId of a JSONL line that does not decode whole: one
// cut at the kept bound (a record too large), or one with a control byte such as NUL inside a
// string. The line, its control bytes read as spaces, is tokenised up to the recordId's value;
// nil when that cannot be read for certain: the id comes after the cut, the JSON breaks before
// it, the cut ends the value (a number cut short reads as a shorter number), or the value's own
// bytes held a control byte (it would be echoed altered).
func salvageRecordID(line []byte) json.RawMessage {
	clean := make([]byte, len(line))
	for i, c := range line {
		if c < 0x20 {
			c = ' '
		}
		clean[i] = c
	}
	dec := json.NewDecoder(bytes.NewReader(clean))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		start := dec.InputOffset()
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil
		}
		if key, _ := tok.(string); key == "recordId" {
			end := dec.InputOffset()
			rest := bytes.TrimLeft(clean[end:], " \t\r\n")
			if len(rest) == 0 || rest[0] != ',' && rest[0] != '}' || bytes.ContainsFunc(bytes.TrimLeft(line[start:end], " \t\r\n:"), func(r rune) bool { return r < 0x20 }) {
				return nil
			}
			return v
		}
	}
	return nil
}

// setText sets a decoded record's text, or its error when its n bytes are over maxDoc or it is
// blank (what names the text in the message, "text is"); it reports whether the text was set.
func setText(d *Document, text string, n, maxDoc int64, what string) bool {
	d.Bytes = n
	switch {
	case n > maxDoc:
		setError(d, job.CodeDocumentSizeExceeded, "%s %d bytes, more than the limit of %d bytes", what, n, maxDoc)
	case blank([]byte(text)):
		setError(d, job.CodeEmptyDocument, "%s empty or only whitespace", what)
	default:
		d.Text = text
		return true
	}
	return false
}

// recordID returns a JSONL recordId as a string: a JSON string unquoted, a number as written.
func recordID(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	switch c := raw[0]; {
	case c == '"':
		s, ok := jsonw.Unquote(raw)
		if !ok {
			return "", errors.New("recordId is not a valid JSON string") // not reached: raw is valid JSON
		}
		return s, nil
	case c == '-' || '0' <= c && c <= '9':
		return string(raw), nil
	}
	// Its kind, not its bytes: an error record names what is wrong, never what the record holds.
	return "", fmt.Errorf("recordId must be a string or a number, not a JSON %s", jsonKind(raw))
}

// encodingProblem describes the first byte of b that is not valid UTF-8 or is NUL (a sign of
// UTF-16 input), or returns "". what names b in the message ("document", "line").
func encodingProblem(b []byte, what string) string {
	nul := bytes.IndexByte(b, 0)
	if utf8.Valid(b) {
		if nul < 0 {
			return ""
		}
		return nulMessage(nul, what)
	}
	switch Marked(b) {
	case MarkUTF32:
		return fmt.Sprintf("the %s starts with a UTF-32 byte-order mark (bytes 0xFF 0xFE 0x00 0x00): input must be UTF-8; convert it before uploading (e.g. iconv -f UTF-32 -t UTF-8)", what)
	case MarkUTF16:
		return fmt.Sprintf("the %s starts with a UTF-16 byte-order mark (bytes 0x%02X 0x%02X): input must be UTF-8; convert it before uploading (e.g. iconv -f UTF-16 -t UTF-8)", what, b[0], b[1])
	case MarkGzip:
		return fmt.Sprintf("the %s starts as gzip-compressed data does (bytes 0x1F 0x8B): input must be uncompressed UTF-8 text; decompress it before uploading", what)
	}
	i := InvalidUTF8At(b)
	if nul >= 0 && nul < i {
		return nulMessage(nul, what)
	}
	return fmt.Sprintf("invalid UTF-8 at byte offset %d of the %s (byte 0x%02X); input must be UTF-8", i, what, b[i])
}

// InvalidUTF8At is the offset of the first byte of b that is not valid UTF-8, or -1.
func InvalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// utf16LE and utf16BE are UTF-16's byte-order marks (never valid UTF-8).
var utf16LE, utf16BE = []byte{0xff, 0xfe}, []byte{0xfe, 0xff}

// utf32LE is UTF-32LE's byte-order mark (UTF-32BE's, 00 00 FE FF, starts with NUL bytes, which
// the NUL message covers).
var utf32LE = []byte{0xff, 0xfe, 0x00, 0x00}

// gzipMagic starts every gzip stream (RFC 1952); 0x8B is never valid UTF-8 after 0x1F.
var gzipMagic = []byte{0x1f, 0x8b}

// The marks Marked finds.
const (
	MarkUTF32 = "UTF-32"
	MarkUTF16 = "UTF-16"
	MarkGzip  = "gzip"
)

// Marked is what the first bytes of b declare them to be when it is not UTF-8 text: MarkUTF32
// or MarkUTF16 by a little-endian UTF-32 or a UTF-16 byte-order mark (UTF-32LE's first, whose
// mark starts UTF-16LE's: found from outside, it was said to be UTF-16), MarkGzip by gzip's
// magic bytes; "" otherwise. Inputs and the API's request bodies are judged by it.
func Marked(b []byte) string {
	switch {
	case bytes.HasPrefix(b, utf32LE):
		return MarkUTF32
	case bytes.HasPrefix(b, utf16LE), bytes.HasPrefix(b, utf16BE):
		return MarkUTF16
	case bytes.HasPrefix(b, gzipMagic):
		return MarkGzip
	}
	return ""
}

func nulMessage(off int, what string) string {
	return fmt.Sprintf("NUL byte at byte offset %d of the %s: UTF-16 and binary input are not supported; input must be UTF-8", off, what)
}

// blank reports whether b is empty or only Unicode white space.
func blank(b []byte) bool {
	b = bytes.TrimSpace(b)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if !unicode.IsSpace(r) && !invisible(r) {
			return false
		}
		b = b[n:]
	}
	return true
}

// invisible reports whether r is a character that shows nothing and is not white space to
// Unicode: zero-width space, non-joiner and joiner, word joiner, and a byte order mark inside the
// text. A document of them and white space alone is empty (found from outside: a zero-width
// space was UNSUPPORTED_LANGUAGE where other blank lines were EMPTY_DOCUMENT).
func invisible(r rune) bool {
	switch r {
	case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF':
		return true
	}
	return false
}

func setError(d *Document, code, format string, args ...any) {
	d.Text = ""
	d.ErrorCode = code
	d.ErrorMessage = fmt.Sprintf(format, args...)
}
