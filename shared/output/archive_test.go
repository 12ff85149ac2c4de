package output

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/job"
)

// store is an in-memory object store for the archive's open function.
type store map[string][]byte

func (s store) open(_ context.Context, key string) (io.ReadCloser, error) {
	b, ok := s[key]
	if !ok {
		return nil, fmt.Errorf("open %s: %w", key, job.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// testRecord returns a varied record for document i (line formats set Line).
func testRecord(i int64, line bool) Record {
	r := Record{File: "input.txt"}
	if line {
		r.Line = LineNumber(i)
	}
	switch i % 5 {
	case 0:
		r.Result = analysis.Result{Sentiment: "POSITIVE", SentimentScore: &analysis.SentimentScore{Positive: 0.9, Negative: 0.01, Neutral: 0.08, Mixed: 0.01}}
	case 1:
		r.Result = analysis.Result{Languages: []analysis.DominantLanguage{{LanguageCode: "en", Score: 0.97}}}
	case 2:
		r.ErrorCode, r.ErrorMessage = job.CodeUnsupportedEncoding, "document is not valid UTF-8 <&> \u2028"
	case 3:
		r.RecordId = `id-{"Line":` + strconv.FormatInt(i, 10) + "}\n"
		r.Result = analysis.Result{Sentiment: "NEUTRAL"}
	case 4:
		r.File = "docs/日本語.txt"
	}
	return r
}

// buildParts writes parts of the given sizes (in records) with local line numbers, stores them
// and returns the parts and the expected "output" entry (with global line numbers when line).
func buildParts(t testing.TB, s store, counts []int64, line bool) ([]Part, []byte) {
	t.Helper()
	var parts []Part
	var want bytes.Buffer
	var global int64
	for pi, n := range counts {
		var buf bytes.Buffer
		w := NewWriter(&buf)
		for i := int64(0); i < n; i++ {
			r := testRecord(i, line)
			if err := w.Write(&r); err != nil {
				t.Fatal(err)
			}
			if line {
				r.Line = LineNumber(global + i)
			}
			b, err := r.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			want.Write(b)
			want.WriteByte('\n')
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		docs, _ := w.Count()
		key := fmt.Sprintf("tenant/jobs/j1/shards/%05d.jsonl", pi)
		s[key] = buf.Bytes()
		parts = append(parts, Part{Key: key, Size: int64(buf.Len()), Documents: docs, LineOffset: global})
		global += docs
	}
	return parts, want.Bytes()
}

type entry struct {
	name string
	size int64
	body []byte
}

// readArchive reads a tar.gz back.
func readArchive(t *testing.T, b []byte) []entry {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, entry{h.Name, h.Size, body})
	}
	if _, err := io.Copy(io.Discard, gz); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDigitSum(t *testing.T) {
	var brute int64
	for m := int64(0); m <= 20000; m++ {
		if got := digitSum(m); got != brute {
			t.Fatalf("digitSum(%d) = %d, want %d", m, got, brute)
		}
		brute += int64(len(strconv.FormatInt(m, 10)))
	}
	// Near the top of int64 it must not overflow.
	if got := digitSum(1<<63 - 1); got <= 0 {
		t.Errorf("digitSum(MaxInt64) = %d", got)
	}
}

func TestOutputSizeDelta(t *testing.T) {
	for _, off := range []int64{0, 1, 5, 9, 10, 11, 95, 99, 100, 990, 999, 1000, 99_999, 123_456} {
		for _, d := range []int64{0, 1, 2, 9, 10, 11, 100, 101, 1001, 2500} {
			var want int64
			for n := int64(0); n < d; n++ {
				want += int64(len(strconv.FormatInt(n+off, 10)) - len(strconv.FormatInt(n, 10)))
			}
			got := digitSum(off+d) - digitSum(off) - digitSum(d)
			if got != want {
				t.Errorf("delta(off=%d, d=%d) = %d, want %d", off, d, got, want)
			}
		}
	}
}

func TestWriteArchiveRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		counts   []int64
		line     bool
		renumber bool
	}{
		// 12 records cross 9→10 locally; the empty part; 150 cross 99→100 locally and,
		// offset by 12, globally; 1000 cross 999→1000 globally.
		{"line format renumbered", []int64{12, 0, 150, 1000}, true, true},
		{"single part", []int64{101}, true, true},
		{"first part empty", []int64{0, 10, 0}, true, true},
		{"all empty", []int64{0, 0}, true, true},
		{"no parts", nil, true, true},
		{"file format, no renumbering", []int64{3, 0, 120, 7}, false, false},
		{"single-shard line job need not renumber", []int64{105}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := store{}
			parts, want := buildParts(t, s, tt.counts, tt.line)
			var out bytes.Buffer
			if err := WriteArchive(context.Background(), &out, s.open, parts, tt.renumber); err != nil {
				t.Fatal(err)
			}
			entries := readArchive(t, out.Bytes())
			if len(entries) != 1 || entries[0].name != EntryName {
				t.Fatalf("entries %v, want one named %q", entries, EntryName)
			}
			got := entries[0]
			if got.size != int64(len(got.body)) {
				t.Errorf("header size %d, content %d bytes", got.size, len(got.body))
			}
			size, err := OutputSize(parts, tt.renumber)
			if err != nil || size != int64(len(want)) {
				t.Errorf("OutputSize = %d, %v; want %d", size, err, len(want))
			}
			if !bytes.Equal(got.body, want) {
				t.Fatalf("output differs from the expected concatenation\n got %.300q\nwant %.300q", got.body, want)
			}
			// Check global line numbers directly too, not only through the expected bytes.
			var total int64
			for _, c := range tt.counts {
				total += c
			}
			lines := bytes.Split(bytes.TrimSuffix(got.body, []byte("\n")), []byte("\n"))
			if total == 0 {
				lines = nil
			}
			if int64(len(lines)) != total {
				t.Fatalf("%d lines, want %d", len(lines), total)
			}
			if tt.line && tt.renumber {
				for i, l := range lines {
					p := fmt.Sprintf(`{"Line":%d,`, i)
					if !bytes.HasPrefix(l, []byte(p)) {
						t.Fatalf("line %d begins %.30q, want %s", i, l, p)
					}
				}
			}
			// Deterministic: a retried finalisation writes the same bytes.
			var again bytes.Buffer
			if err := WriteArchive(context.Background(), &again, s.open, parts, tt.renumber); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Bytes(), out.Bytes()) {
				t.Error("two archives of the same parts differ")
			}
		})
	}
}

func TestWriteArchiveCorrupt(t *testing.T) {
	good := func() (store, []Part) {
		s := store{}
		parts, _ := buildParts(t, s, []int64{12, 0, 30}, true)
		return s, parts
	}
	tests := []struct {
		name     string
		renumber bool
		mutate   func(s store, p []Part)
		corrupt  bool // error wraps ErrCorrupt
	}{
		{"wrong local line number", true, func(s store, p []Part) {
			k := p[2].Key
			s[k] = bytes.Replace(s[k], []byte(`{"Line":5,`), []byte(`{"Line":6,`), 1)
		}, true},
		{"global number in a part", true, func(s store, p []Part) {
			k := p[2].Key
			s[k] = bytes.Replace(s[k], []byte(`{"Line":0,`), []byte(`{"Line":12,`), 1)
			p[2].Size = int64(len(s[k]))
		}, true},
		{"leading zero", true, func(s store, p []Part) {
			k := p[0].Key
			s[k] = bytes.Replace(s[k], []byte(`{"Line":1,`), []byte(`{"Line":01,`), 1)
			p[0].Size = int64(len(s[k]))
		}, true},
		{"number followed by digits", true, func(s store, p []Part) {
			k := p[0].Key
			s[k] = bytes.Replace(s[k], []byte(`{"Line":1,`), []byte(`{"Line":10,`), 1)
			p[0].Size = int64(len(s[k]))
		}, true},
		{"record without Line", true, func(s store, p []Part) {
			k := p[0].Key
			s[k] = bytes.Replace(s[k], []byte(`{"Line":3,`), []byte(`{`), 1)
			p[0].Size = int64(len(s[k]))
		}, true},
		{"missing record", true, func(s store, p []Part) {
			k := p[2].Key
			i := bytes.LastIndexByte(s[k][:len(s[k])-1], '\n')
			s[k] = s[k][:i+1]
			p[2].Size = int64(len(s[k]))
		}, true},
		{"extra record", true, func(s store, p []Part) {
			k := p[0].Key
			s[k] = append(s[k], []byte("{\"Line\":12,\"File\":\"x\"}\n")...)
			p[0].Size = int64(len(s[k]))
		}, true},
		{"size too small", true, func(s store, p []Part) { p[0].Size-- }, true},
		{"size too large", true, func(s store, p []Part) { p[2].Size++ }, true},
		{"object truncated mid-record", true, func(s store, p []Part) {
			k := p[2].Key
			s[k] = s[k][:len(s[k])-1]
			p[2].Size--
		}, true},
		{"documents disagree", true, func(s store, p []Part) { p[2].Documents--; p[2].LineOffset = 12 }, true},
		{"empty part with bytes", true, func(s store, p []Part) { p[1].Size = 10 }, true},
		{"wrong line offset", true, func(s store, p []Part) { p[2].LineOffset = 0 }, false},
		{"missing object", true, func(s store, p []Part) { delete(s, p[2].Key) }, false},
		{"no renumber: missing newline", false, func(s store, p []Part) {
			k := p[2].Key
			s[k] = s[k][:len(s[k])-1]
			p[2].Size--
		}, true},
		{"no renumber: size mismatch", false, func(s store, p []Part) { p[0].Size += 3 }, true},
		{"no renumber: line count mismatch", false, func(s store, p []Part) { p[0].Documents = 11 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, parts := good()
			tt.mutate(s, parts)
			err := WriteArchive(context.Background(), io.Discard, s.open, parts, tt.renumber)
			if err == nil {
				t.Fatal("WriteArchive succeeded on a corrupt part")
			}
			if got := errors.Is(err, ErrCorrupt); got != tt.corrupt {
				t.Errorf("errors.Is(%v, ErrCorrupt) = %v, want %v", err, got, tt.corrupt)
			}
		})
	}
}

func TestWriteArchiveLongRecord(t *testing.T) {
	// Records longer than the read buffer stream in pieces and are still renumbered once.
	var buf bytes.Buffer
	w := NewWriter(&buf)
	long := strings.Repeat("x", 200<<10)
	for i := int64(0); i < 3; i++ {
		if err := w.Write(&Record{Line: LineNumber(i), File: "f", ErrorCode: "E", ErrorMessage: long}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	s := store{"p0": []byte(`{"Line":0,"File":"f"}` + "\n"), "p1": buf.Bytes()}
	parts := []Part{{Key: "p0", Size: int64(len(s["p0"])), Documents: 1}, {Key: "p1", Size: int64(buf.Len()), Documents: 3, LineOffset: 1}}
	var out bytes.Buffer
	if err := WriteArchive(context.Background(), &out, s.open, parts, true); err != nil {
		t.Fatal(err)
	}
	e := readArchive(t, out.Bytes())[0]
	want := `{"Line":0,"File":"f"}` + "\n" + strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(buf.String(),
		`{"Line":2,`, `{"Line":3,`), `{"Line":1,`, `{"Line":2,`), `{"Line":0,`, `{"Line":1,`)
	if string(e.body) != want || e.size != int64(len(want)) {
		t.Errorf("long records mangled: size %d, body %d bytes, want %d", e.size, len(e.body), len(want))
	}
}

func TestWriteArchiveExtraEntries(t *testing.T) {
	s := store{}
	parts, want := buildParts(t, s, []int64{4, 11}, true)
	redacted := []byte("My name is [NAME].\n")
	extra := []Entry{
		{Name: "redacted/input.txt.out", Size: int64(len(redacted)), Open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(redacted)), nil
		}},
		{Name: "empty", Size: 0, Open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader("")), nil
		}},
	}
	var out bytes.Buffer
	if err := WriteArchive(context.Background(), &out, s.open, parts, true, extra...); err != nil {
		t.Fatal(err)
	}
	got := readArchive(t, out.Bytes())
	wantEntries := []entry{{EntryName, int64(len(want)), want}, {"redacted/input.txt.out", int64(len(redacted)), redacted}, {"empty", 0, nil}}
	if len(got) != len(wantEntries) {
		t.Fatalf("%d entries, want %d", len(got), len(wantEntries))
	}
	for i, w := range wantEntries {
		if got[i].name != w.name || got[i].size != w.size || !bytes.Equal(got[i].body, w.body) {
			t.Errorf("entry %d = %q (%d bytes), want %q (%d bytes)", i, got[i].name, got[i].size, w.name, w.size)
		}
	}

	bad := []struct {
		name  string
		entry Entry
	}{
		{"shorter than size", Entry{Name: "a", Size: 100, Open: extra[0].Open}},
		{"longer than size", Entry{Name: "a", Size: 3, Open: extra[0].Open}},
		{"duplicate of output", Entry{Name: EntryName, Size: int64(len(redacted)), Open: extra[0].Open}},
		{"no name", Entry{Size: int64(len(redacted)), Open: extra[0].Open}},
		{"no opener", Entry{Name: "a"}},
		{"open fails", Entry{Name: "a", Open: func(context.Context) (io.ReadCloser, error) { return nil, job.ErrNotFound }}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if err := WriteArchive(context.Background(), io.Discard, s.open, parts, true, tt.entry); err == nil {
				t.Error("WriteArchive accepted a bad extra entry")
			}
		})
	}
}

func TestWriteArchiveCanceled(t *testing.T) {
	s := store{}
	parts, _ := buildParts(t, s, []int64{3, 3}, true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WriteArchive(ctx, io.Discard, s.open, parts, true); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestWriteArchiveBoundedMemory checks that the bytes allocated do not grow with the output:
// 100 times more records allocate (almost) no more.
func TestWriteArchiveBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	alloc := func(perPart int64) uint64 {
		s := store{}
		parts, _ := buildParts(t, s, []int64{perPart, perPart, perPart, perPart}, true)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if err := WriteArchive(context.Background(), io.Discard, s.open, parts, true); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := alloc(250), alloc(25_000)
	if large > small+256<<10 {
		t.Errorf("allocated %d bytes for 100,000 records vs %d for 1,000: memory grows with output", large, small)
	}
}

func BenchmarkWriteArchive(b *testing.B) {
	s := store{}
	counts := make([]int64, 10)
	for i := range counts {
		counts[i] = 10_000 // 100,000 records in all
	}
	parts, want := buildParts(b, s, counts, true)
	b.SetBytes(int64(len(want)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := WriteArchive(context.Background(), io.Discard, s.open, parts, true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriter(b *testing.B) {
	recs := make([]Record, 100)
	for i := range recs {
		recs[i] = testRecord(int64(i), true)
	}
	var n int64
	for _, r := range recs {
		m, _ := r.MarshalJSON()
		n += int64(len(m) + 1)
	}
	b.SetBytes(n)
	b.ReportAllocs()
	w := NewWriter(io.Discard)
	for b.Loop() {
		for i := range recs {
			if err := w.Write(&recs[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}
