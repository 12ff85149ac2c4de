package input

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ream-dev/ream/shared/job"
)

// memOpener opens data (an in-memory object) at the given offset. With oneByte set, every Read
// returns at most one byte, which exercises every buffer boundary of the readers.
func memOpener(data []byte, oneByte bool) Opener {
	return func(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
		if offset < 0 || offset > int64(len(data)) {
			return nil, fmt.Errorf("offset %d out of range", offset)
		}
		var r io.Reader = bytes.NewReader(data[offset:])
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		return io.NopCloser(r), nil
	}
}

// readShard reads one shard of data with the given buffer size and returns its documents.
func readShard(t testing.TB, data []byte, format job.Format, sh Shard, lim Limits, bufSize int, oneByte bool) []Document {
	t.Helper()
	var docs []Document
	err := readLines(context.Background(), memOpener(data, oneByte), "in.txt", "in.txt", format, sh, lim,
		func(d Document) error { docs = append(docs, d); return nil }, bufSize)
	if err != nil {
		t.Fatalf("readLines(%q, %+v): %v", data, sh, err)
	}
	return docs
}

// readWhole reads data as one shard.
func readWhole(t testing.TB, data []byte, format job.Format, lim Limits) []Document {
	t.Helper()
	return readShard(t, data, format, Shard{End: int64(len(data))}, lim, readBufferSize, false)
}

// tdoc is the part of a Document the tables compare. Msg, when set, must be a substring of the
// document's ErrorMessage.
type tdoc struct {
	Text     string
	Code     string
	Bytes    int64
	RecordId string
	Msg      string
}

func ok(text string) tdoc { return tdoc{Text: text, Bytes: int64(len(text))} }

func bad(code string, n int64, msg string) tdoc { return tdoc{Code: code, Bytes: n, Msg: msg} }

// checkDocs compares got with want and checks the invariants every document must meet.
func checkDocs(t *testing.T, got []Document, want []tdoc) {
	t.Helper()
	for i, d := range got {
		if d.Line != int64(i) {
			t.Errorf("doc %d: Line = %d", i, d.Line)
		}
		if d.File != "in.txt" {
			t.Errorf("doc %d: File = %q", i, d.File)
		}
		if (d.ErrorCode == "") != (d.ErrorMessage == "") {
			t.Errorf("doc %d: ErrorCode %q with ErrorMessage %q", i, d.ErrorCode, d.ErrorMessage)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d documents, want %d:\n got %s\nwant %+v", len(got), len(want), dump(got), want)
	}
	for i, w := range want {
		d := got[i]
		g := tdoc{Text: d.Text, Code: d.ErrorCode, Bytes: d.Bytes, RecordId: d.RecordId, Msg: w.Msg}
		if g != w {
			t.Errorf("doc %d = %+v (message %q), want %+v", i, g, d.ErrorMessage, w)
		}
		if w.Msg != "" && !strings.Contains(d.ErrorMessage, w.Msg) {
			t.Errorf("doc %d: message %q does not contain %q", i, d.ErrorMessage, w.Msg)
		}
	}
}

func dump(docs []Document) string {
	var b strings.Builder
	for _, d := range docs {
		fmt.Fprintf(&b, "\n  {%q %s %d %q}", d.Text, d.ErrorCode, d.Bytes, d.ErrorMessage)
	}
	return b.String()
}

const (
	enc   = job.CodeUnsupportedEncoding
	size  = job.CodeDocumentSizeExceeded
	empty = job.CodeEmptyDocument
	inval = job.CodeInvalidRecord
)

func TestReadLines(t *testing.T) {
	big := strings.Repeat("x", 100)
	tests := []struct {
		name  string
		in    string
		limit int64
		want  []tdoc
	}{
		{"empty file", "", 0, nil},
		{"LF", "a\nbb\nccc\n", 0, []tdoc{ok("a"), ok("bb"), ok("ccc")}},
		{"CR", "a\rbb\rccc\r", 0, []tdoc{ok("a"), ok("bb"), ok("ccc")}},
		{"CRLF", "a\r\nbb\r\nccc\r\n", 0, []tdoc{ok("a"), ok("bb"), ok("ccc")}},
		{"mixed", "a\nb\r\nc\rd\n\re", 0, []tdoc{ok("a"), ok("b"), ok("c"), ok("d"), bad(empty, 0, "empty"), ok("e")}},
		{"LF CR is two terminators", "a\n\rb", 0, []tdoc{ok("a"), bad(empty, 0, ""), ok("b")}},
		{"no final line end", "a\nb", 0, []tdoc{ok("a"), ok("b")}},
		{"single line no end", "hello", 0, []tdoc{ok("hello")}},
		{"only a terminator", "\n", 0, []tdoc{bad(empty, 0, "")}},
		{"only CRLF", "\r\n", 0, []tdoc{bad(empty, 0, "")}},
		{"empty lines", "a\n\n\nb\n", 0, []tdoc{ok("a"), bad(empty, 0, ""), bad(empty, 0, ""), ok("b")}},
		{"whitespace-only lines", "a\n \t \n\u00a0\u3000\nb", 0, []tdoc{ok("a"), bad(empty, 3, "whitespace"), bad(empty, 5, ""), ok("b")}},
		{"invisible-only line", "a\n\u200b\u2060 \ufeff\nb", 0, []tdoc{ok("a"), bad(empty, 10, ""), ok("b")}},
		{"U+2028 U+2029 NEL are not line ends", "a\u2028b\u2029c\u0085d\ne", 0, []tdoc{ok("a\u2028b\u2029c\u0085d"), ok("e")}},
		{"multibyte", "héllo wörld\n日本語\r\n😀", 0, []tdoc{ok("héllo wörld"), ok("日本語"), ok("😀")}},
		{"BOM stripped", "\xEF\xBB\xBFfirst\nsecond\n", 0, []tdoc{ok("first"), ok("second")}},
		{"BOM only at offset 0", "a\n\xEF\xBB\xBFb\n", 0, []tdoc{ok("a"), ok("\uFEFFb")}},
		{"BOM only", "\xEF\xBB\xBF", 0, nil},
		{"BOM then empty line", "\xEF\xBB\xBF\nx", 0, []tdoc{bad(empty, 0, ""), ok("x")}},
		{"partial BOM is invalid", "\xEF\xBBab\n", 0, []tdoc{bad(enc, 4, "offset 0")}},
		{"invalid UTF-8 in the middle", "good\nab\xffcd\nfine\n", 0, []tdoc{ok("good"), bad(enc, 5, "byte offset 2"), ok("fine")}},
		{"truncated rune", "ok\nab\xe6\x97\n", 0, []tdoc{ok("ok"), bad(enc, 4, "byte offset 2")}},
		{"gzip-compressed input says so", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 0, []tdoc{bad(enc, 10, "decompress it")}},
		{"surrogate encoded in UTF-8 is invalid", "\xed\xa0\x80x", 0, []tdoc{bad(enc, 4, "byte offset 0")}},
		{"NUL (UTF-16)", "h\x00i\x00\nnext", 0, []tdoc{bad(enc, 4, "NUL byte at byte offset 1"), ok("next")}},
		{"UTF-16LE with BOM", "\xFF\xFEh\x00i\x00", 0, []tdoc{bad(enc, 6, "starts with a UTF-16 byte-order mark (bytes 0xFF 0xFE)")}},
		{"UTF-16BE with BOM", "\xFE\xFF\x00h\x00i", 0, []tdoc{bad(enc, 6, "starts with a UTF-16 byte-order mark (bytes 0xFE 0xFF)")}},
		{"UTF-32LE with BOM", "\xFF\xFE\x00\x00h\x00\x00\x00", 0, []tdoc{bad(enc, 8, "starts with a UTF-32 byte-order mark")}},
		{"at the limit", "abcd\nabcde\n", 4, []tdoc{ok("abcd"), bad(size, 5, "5 bytes, more than the limit of 4")}},
		{"oversize then normal", big + "\r\nsmall\n", 10, []tdoc{bad(size, 100, "limit of 10"), ok("small")}},
		{"oversize last line, no terminator", "a\n" + big, 10, []tdoc{ok("a"), bad(size, 100, "100 bytes")}},
		{"oversize with invalid UTF-8 is a size error", big + "\xff", 10, []tdoc{bad(size, 101, "")}},
		{"oversize whitespace is a size error", "          \n", 3, []tdoc{bad(size, 10, "")}},
		{"BOM not counted in size", "\xEF\xBB\xBFabcd", 4, []tdoc{ok("abcd")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := Limits{MaxDocumentBytes: tt.limit}
			checkDocs(t, readWhole(t, []byte(tt.in), job.OneDocPerLine, lim), tt.want)
			// The same with the smallest buffer and one-byte reads.
			checkDocs(t, readShard(t, []byte(tt.in), job.OneDocPerLine, Shard{End: int64(len(tt.in))}, lim, 16, true), tt.want)
		})
	}
}

func TestReadLinesJSONL(t *testing.T) {
	withID := func(d tdoc, id string) tdoc { d.RecordId = id; return d }
	tests := []struct {
		name  string
		in    string
		limit int64
		want  []tdoc
	}{
		{"good", `{"recordId": "r1", "text": "hello"}` + "\n" + `{"recordId":"r2","text":"wörld"}`,
			0, []tdoc{withID(ok("hello"), "r1"), withID(ok("wörld"), "r2")}},
		{"missing recordId", `{"text": "hi"}` + "\n", 0, []tdoc{ok("hi")}},
		{"null recordId", `{"recordId": null, "text": "hi"}`, 0, []tdoc{ok("hi")}},
		{"numeric recordId", `{"recordId": 42, "text": "a"}` + "\n" + `{"recordId": -1.5e3, "text": "b"}`,
			0, []tdoc{withID(ok("a"), "42"), withID(ok("b"), "-1.5e3")}},
		{"escapes decoded", `{"text": "a\nb \"q\" \u00e9 \ud83d\ude00"}`, 0, []tdoc{ok("a\nb \"q\" é 😀")}},
		{"extra fields ignored", `{"id": 1, "text": "x", "meta": {"a": [1,2]}}`, 0, []tdoc{ok("x")}},
		{"CRLF and BOM", "\xEF\xBB\xBF{\"text\": \"a\"}\r\n{\"text\": \"b\"}\r\n", 0, []tdoc{ok("a"), ok("b")}},
		{"not JSON", "{\"text\": \"a\"}\nnot json\n{\"text\": \"c\"}", 0,
			[]tdoc{ok("a"), bad(inval, 8, "not valid JSON: invalid character"), ok("c")}},
		{"truncated JSON, recordId echoed", `{"recordId": "r", "text": "a`, 0, []tdoc{withID(bad(inval, 28, "unexpected end of JSON input"), "r")}},
		{"keys match exactly", `{"recordId": "ok", "text": "a", "recordid": "dup", "RecordId": "cap"}` + "\n" + `{"recordId": "t", "Text": "a"}`, 0,
			[]tdoc{withID(ok("a"), "ok"), withID(bad(inval, 30, `string "text"`), "t")}},
		{"NUL inside a string, recordId echoed", "{\"recordId\":\t\"n1\", \"text\": \"a\x00b\"}", 0,
			[]tdoc{withID(bad(enc, 33, "NUL byte at byte offset 29"), "n1")}},
		{"NUL inside the recordId: not echoed altered", "{\"recordId\": \"a\x00b\", \"text\": \"x\"}", 0,
			[]tdoc{bad(enc, 32, "NUL byte at byte offset 15")}},
		{"array", `[1, 2]`, 0, []tdoc{bad(inval, 6, "not a JSON object")}},
		{"string", `"text"`, 0, []tdoc{bad(inval, 6, "not a JSON object")}},
		{"null", `null`, 0, []tdoc{bad(inval, 4, "not a JSON object")}},
		{"missing text", `{"recordId": "r9"}`, 0, []tdoc{withID(bad(inval, 18, `string "text"`), "r9")}},
		{"null text", `{"recordId": "r9", "text": null}`, 0, []tdoc{withID(bad(inval, 32, `string "text"`), "r9")}},
		{"numeric text, recordId echoed", `{"text": 5, "recordId": "r8"}`, 0,
			[]tdoc{withID(bad(inval, 29, "is a JSON number"), "r8")}},
		{"bad recordId type", `{"recordId": true, "text": "a"}`, 0, []tdoc{bad(inval, 31, "recordId must be a string or a number")}},
		{"empty text", `{"recordId": "e", "text": ""}`, 0, []tdoc{withID(bad(empty, 0, "empty"), "e")}},
		{"whitespace text", `{"recordId": "e", "text": " \n\t "}`, 0, []tdoc{withID(bad(empty, 4, "whitespace"), "e")}},
		{"empty line", "{\"text\": \"a\"}\n\n{\"text\": \"b\"}\n", 0, []tdoc{ok("a"), bad(empty, 0, ""), ok("b")}},
		// files joined with cat, each with its BOM (found from outside: INVALID_RECORD, no recordId)
		{"BOM at a later line's start", "{\"text\": \"a\"}\n\xEF\xBB\xBF{\"recordId\": \"r2\", \"text\": \"b\"}\n", 0, []tdoc{ok("a"), withID(ok("b"), "r2")}},
		{"whitespace line", "  \t\n", 0, []tdoc{bad(empty, 3, "")}},
		{"oversize text", `{"recordId": "big", "text": "abcdefghij"}` + "\n" + `{"text": "abcd"}`, 4,
			[]tdoc{withID(bad(size, 10, "text is 10 bytes, more than the limit of 4"), "big"), ok("abcd")}},
		{"escaped text within the limit", `{"text": "\u00e9\u00e9"}`, 4, []tdoc{ok("éé")}},
		{"invalid UTF-8 in the line, recordId echoed", "{\"recordId\": \"r\", \"text\": \"a\xffb\"}\n{\"text\": \"ok\"}", 0,
			[]tdoc{withID(bad(enc, 32, "byte offset 28 of the line"), "r"), ok("ok")}},
		{"NUL in the line", "{\x00\"\x00", 0, []tdoc{bad(enc, 4, "NUL byte at byte offset 1")}},
		{"U+2028 inside a record", "{\"text\": \"a\u2028b\"}\n", 0, []tdoc{ok("a\u2028b")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := Limits{MaxDocumentBytes: tt.limit}
			checkDocs(t, readWhole(t, []byte(tt.in), job.JSONLines, lim), tt.want)
			checkDocs(t, readShard(t, []byte(tt.in), job.JSONLines, Shard{End: int64(len(tt.in))}, lim, 16, true), tt.want)
		})
	}
}

func TestReadLinesJSONLRecordTooLong(t *testing.T) {
	// A record longer than the kept bound is a size error without being decoded.
	const limit = 10
	rec := `{"text": "` + strings.Repeat("a", int(jsonlRecordLimit(limit))) + `"}`
	in := rec + "\n" + `{"text": "fine"}`
	got := readWhole(t, []byte(in), job.JSONLines, Limits{MaxDocumentBytes: limit})
	checkDocs(t, got, []tdoc{bad(size, int64(len(rec)), "a line may take"), ok("fine")})

	// The recordId is echoed when it comes before the cut, whatever follows it.
	withID := `{"recordId": "big", "notes": "` + strings.Repeat("n", int(jsonlRecordLimit(limit))) + `", "text": "a"}`
	afterCut := `{"text": "` + strings.Repeat("a", int(jsonlRecordLimit(limit))) + `", "recordId": "late"}`
	// A number the cut ends is not echoed: it would read as a shorter number, another record's.
	pad := int(jsonlRecordLimit(limit)) - len(`{"text": "", "recordId": 1234`)
	cutID := `{"text": "` + strings.Repeat("a", pad) + `", "recordId": 12345678}`
	got = readWhole(t, []byte(withID+"\n"+afterCut+"\n"+cutID), job.JSONLines, Limits{MaxDocumentBytes: limit})
	big := bad(size, int64(len(withID)), "a line may take")
	big.RecordId = "big"
	checkDocs(t, got, []tdoc{big, bad(size, int64(len(afterCut)), "a line may take"), bad(size, int64(len(cutID)), "a line may take")})
}

// TestReadLinesJSONLRecordLimitAfterBOM: the byte-order mark of a later line (files joined with
// cat, each with its own) is no part of the record for its size either: a record of exactly the
// bound after one is read, and one over it still echoes the recordId it starts with. Found from
// outside: the first was DOCUMENT_SIZE_EXCEEDED and the second lost its recordId.
func TestReadLinesJSONLRecordLimitAfterBOM(t *testing.T) {
	const limit = 10
	bound := int(jsonlRecordLimit(limit))
	at := `{"recordId": "at", "notes": "` + strings.Repeat("n", bound-len(`{"recordId": "at", "notes": "", "text": "a"}`)) + `", "text": "a"}`
	over := `{"recordId": "over", "notes": "` + strings.Repeat("n", bound) + `", "text": "a"}`
	in := `{"text": "first"}` + "\n\xEF\xBB\xBF" + at + "\n\xEF\xBB\xBF" + over + "\n"
	if len(at) != bound {
		t.Fatalf("test record is %d bytes, want %d", len(at), bound)
	}
	big := bad(size, int64(len(over)), "a line may take")
	big.RecordId = "over"
	want := []tdoc{ok("first"), {RecordId: "at", Text: "a", Bytes: 1}, big}
	checkDocs(t, readWhole(t, []byte(in), job.JSONLines, Limits{MaxDocumentBytes: limit}), want)
	checkDocs(t, readShard(t, []byte(in), job.JSONLines, Shard{End: int64(len(in))}, Limits{MaxDocumentBytes: limit}, 16, true), want)
}

// TestShardStart covers the cases of deciding where a shard's first document starts.
func TestShardStart(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		start, end int64
		want       []string // texts
	}{
		{"starts right after LF", "ab\ncd\nef", 3, 6, []string{"cd"}},
		{"starts inside a line", "ab\ncd\nef", 4, 6, nil},
		{"end inside the last owned line", "ab\ncd\nef", 3, 4, []string{"cd"}},
		{"start on the terminator", "ab\ncd\nef", 2, 3, nil},
		{"after CR", "ab\rcd\ref", 3, 4, []string{"cd"}},
		{"between CR and LF", "ab\r\ncd\r\nef", 3, 4, nil},
		{"between CR and LF, next doc owned", "ab\r\ncd\r\nef", 3, 5, []string{"cd"}},
		{"right after CRLF", "ab\r\ncd\r\nef", 4, 5, []string{"cd"}},
		{"CR then LF at the end of the file", "ab\r\n", 3, 4, nil},
		{"start at the last byte after LF", "ab\nc", 3, 4, []string{"c"}},
		{"trailing LF makes no document", "ab\n", 2, 3, nil},
		{"empty line owned", "a\n\nb", 2, 3, []string{""}},
		{"shard larger than the file", "a\nb\nc", 1, 100, []string{"b", "c"}},
		{"first shard reads past End", "hello\nworld", 0, 1, []string{"hello"}},
		{"first shard with BOM, 1 byte", "\xEF\xBB\xBFhello\nworld", 0, 1, []string{"hello"}},
		{"shard inside BOM", "\xEF\xBB\xBFhello\nworld", 1, 3, nil},
		{"inside a multibyte rune", "日本\n語", 2, 6, nil},
		{"inside a multibyte rune, next owned", "日本\n語", 2, 8, []string{"語"}},
		{"empty range", "a\nb", 2, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, bufSize := range []int{16, readBufferSize} {
				docs := readShard(t, []byte(tt.in), job.OneDocPerLine, Shard{Start: tt.start, End: tt.end}, Limits{}, bufSize, bufSize == 16)
				var got []string
				for _, d := range docs {
					got = append(got, d.Text)
				}
				if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
					t.Errorf("bufSize %d: got %q, want %q", bufSize, got, tt.want)
				}
			}
		})
	}
}

func TestReadLinesErrors(t *testing.T) {
	data := []byte("a\nb\nc\n")
	whole := Shard{End: int64(len(data))}
	noop := func(Document) error { return nil }
	t.Run("not a line format", func(t *testing.T) {
		err := ReadLines(context.Background(), memOpener(data, false), "k", "k", job.OneDocPerFile, whole, Limits{}, noop)
		if !errors.Is(err, job.ErrInvalid) {
			t.Fatalf("err = %v, want ErrInvalid", err)
		}
	})
	t.Run("bad range", func(t *testing.T) {
		err := ReadLines(context.Background(), memOpener(data, false), "k", "k", job.OneDocPerLine, Shard{Start: 3, End: 2}, Limits{}, noop)
		if !errors.Is(err, job.ErrInvalid) {
			t.Fatalf("err = %v, want ErrInvalid", err)
		}
	})
	t.Run("open fails", func(t *testing.T) {
		open := func(context.Context, string, int64) (io.ReadCloser, error) { return nil, job.ErrNotFound }
		err := ReadLines(context.Background(), open, "k", "k", job.OneDocPerLine, whole, Limits{}, noop)
		if !errors.Is(err, job.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("read fails mid-object", func(t *testing.T) {
		boom := errors.New("boom")
		open := func(context.Context, string, int64) (io.ReadCloser, error) {
			return io.NopCloser(io.MultiReader(bytes.NewReader(data[:3]), iotest.ErrReader(boom))), nil
		}
		var n int
		err := ReadLines(context.Background(), open, "k", "k", job.OneDocPerLine, whole, Limits{}, func(Document) error { n++; return nil })
		if !errors.Is(err, boom) || n != 1 {
			t.Fatalf("err = %v after %d documents, want boom after 1", err, n)
		}
	})
	t.Run("fn error returned unchanged", func(t *testing.T) {
		stop := errors.New("stop")
		var n int
		err := ReadLines(context.Background(), memOpener(data, false), "k", "k", job.OneDocPerLine, whole, Limits{},
			func(Document) error { n++; return stop })
		if err != stop || n != 1 {
			t.Fatalf("err = %v after %d documents, want stop after 1", err, n)
		}
	})
	t.Run("context cancelled between documents", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var n int
		err := ReadLines(ctx, memOpener(data, false), "k", "k", job.OneDocPerLine, whole, Limits{},
			func(Document) error { n++; cancel(); return nil })
		if !errors.Is(err, context.Canceled) || n != 1 {
			t.Fatalf("err = %v after %d documents, want Canceled after 1", err, n)
		}
	})
}

// repeatReader yields n copies of b.
type repeatReader struct {
	b []byte
	n int64 // bytes left
	i int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && r.n > 0 {
		c := copy(p[k:min(len(p), k+int(min(r.n, int64(len(r.b)-r.i))))], r.b[r.i:])
		k += c
		r.n -= int64(c)
		r.i = (r.i + c) % len(r.b)
	}
	return k, nil
}

// TestHugeLineStreams reads a 64 MiB line with a 1 KiB limit and checks that the reader did not
// allocate anything near the line's size.
func TestHugeLineStreams(t *testing.T) {
	const lineSize = 64 << 20
	open := func(context.Context, string, int64) (io.ReadCloser, error) {
		return io.NopCloser(io.MultiReader(&repeatReader{b: []byte("abcdefgh"), n: lineSize}, strings.NewReader("\nnext"))), nil
	}
	var got []Document
	allocs := bytesAllocated(func() {
		err := ReadLines(context.Background(), open, "k", "in.txt", job.OneDocPerLine, Shard{End: lineSize + 5}, Limits{MaxDocumentBytes: 1024},
			func(d Document) error { got = append(got, d); return nil })
		if err != nil {
			t.Fatal(err)
		}
	})
	checkDocs(t, got, []tdoc{bad(size, lineSize, "67108864 bytes"), ok("next")})
	if allocs > 1<<20 {
		t.Errorf("reading a %d-byte line allocated %d bytes", lineSize, allocs)
	}
}

func TestReadFiles(t *testing.T) {
	objects := map[string]string{
		"in/a.txt":     "hello\nworld\n",
		"in/BOM.txt":   "\xEF\xBB\xBFwith BOM",
		"in/empty.txt": "",
		"in/bomonly":   "\xEF\xBB\xBF", // as empty as empty.txt, and the same error
		"in/ws.txt":    " \r\n\t",
		"in/bin.dat":   "PK\x03\x04\x00\x00",
		"in/latin1":    "caf\xe9",
		"in/big.txt":   strings.Repeat("z", 50),
		"in/edge.txt":  strings.Repeat("y", 20),
	}
	open := func(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
		s, ok := objects[key]
		if !ok {
			return nil, fmt.Errorf("%s: %w", key, job.ErrNotFound)
		}
		return io.NopCloser(iotest.HalfReader(strings.NewReader(s[offset:]))), nil
	}
	var sh Shard
	for _, k := range []string{"in/a.txt", "in/BOM.txt", "in/empty.txt", "in/bomonly", "in/ws.txt", "in/bin.dat", "in/latin1", "in/big.txt", "in/edge.txt"} {
		sh.Files = append(sh.Files, FileRef{Key: k, Size: int64(len(objects[k]))})
	}
	want := []struct {
		file string
		d    tdoc
	}{
		{"a.txt", ok("hello\nworld\n")},
		{"BOM.txt", ok("with BOM")},
		{"empty.txt", bad(empty, 0, "empty")},
		{"bomonly", bad(empty, 0, "empty")},
		{"ws.txt", bad(empty, 4, "whitespace")},
		{"bin.dat", bad(enc, 6, "NUL byte at byte offset 4")},
		{"latin1", bad(enc, 4, "invalid UTF-8 at byte offset 3")},
		{"big.txt", bad(size, 50, "50 bytes, more than the limit of 20")},
		{"edge.txt", ok(strings.Repeat("y", 20))},
	}
	var got []Document
	name := func(key string) string { return strings.TrimPrefix(key, "in/") }
	for _, bufSize := range []int{16, readBufferSize} {
		got = got[:0]
		err := readFiles(context.Background(), open, sh, name, Limits{MaxDocumentBytes: 20},
			func(d Document) error { got = append(got, d); return nil }, bufSize)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("got %d documents, want %d", len(got), len(want))
		}
		for i, w := range want {
			d := got[i]
			g := tdoc{Text: d.Text, Code: d.ErrorCode, Bytes: d.Bytes, Msg: w.d.Msg}
			if d.File != w.file || d.Line != -1 || g != w.d || !strings.Contains(d.ErrorMessage, w.d.Msg) {
				t.Errorf("bufSize %d: doc %d = %+v, want file %q line -1 %+v", bufSize, i, d, w.file, w.d)
			}
		}
	}

	t.Run("missing object", func(t *testing.T) {
		err := ReadFiles(context.Background(), open, Shard{Files: []FileRef{{Key: "in/nope"}}}, nil, Limits{}, func(Document) error { return nil })
		if !errors.Is(err, job.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("nil name uses the key", func(t *testing.T) {
		var files []string
		err := ReadFiles(context.Background(), open, Shard{Files: []FileRef{{Key: "in/a.txt"}}}, nil, Limits{},
			func(d Document) error { files = append(files, d.File); return nil })
		if err != nil || len(files) != 1 || files[0] != "in/a.txt" {
			t.Fatalf("files %q, err %v", files, err)
		}
	})
	t.Run("context cancelled between documents", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var n int
		err := ReadFiles(ctx, open, sh, nil, Limits{}, func(Document) error { n++; cancel(); return nil })
		if !errors.Is(err, context.Canceled) || n != 1 {
			t.Fatalf("err = %v after %d documents, want Canceled after 1", err, n)
		}
	})
}
