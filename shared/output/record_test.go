package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

func TestRecordJSON(t *testing.T) {
	score := &analysis.SentimentScore{Positive: 0.75, Negative: 0.05, Neutral: 0.15, Mixed: 0.05}
	tests := []struct {
		name string
		rec  Record
		want string
	}{
		{
			name: "line format, sentiment",
			rec:  Record{Line: LineNumber(3), File: "in.txt", Result: analysis.Result{Sentiment: "POSITIVE", SentimentScore: score}},
			want: `{"Line":3,"File":"in.txt","Sentiment":"POSITIVE","SentimentScore":{"Positive":0.75,"Negative":0.05,"Neutral":0.15,"Mixed":0.05}}`,
		},
		{
			name: "line zero is written",
			rec:  Record{Line: LineNumber(0), File: "in.txt"},
			want: `{"Line":0,"File":"in.txt"}`,
		},
		{
			name: "file format, no line",
			rec:  Record{File: "docs/a.txt", Result: analysis.Result{Languages: []analysis.DominantLanguage{{LanguageCode: "en", Score: 0.99}}}},
			want: `{"File":"docs/a.txt","Languages":[{"LanguageCode":"en","Score":0.99}]}`,
		},
		{
			name: "file is written even when empty",
			rec:  Record{},
			want: `{"File":""}`,
		},
		{
			name: "JSONL with record id",
			rec:  Record{Line: LineNumber(12), File: "in.jsonl", RecordId: "r-12", Result: analysis.Result{Sentiment: "NEUTRAL"}},
			want: `{"Line":12,"File":"in.jsonl","RecordId":"r-12","Sentiment":"NEUTRAL"}`,
		},
		{
			name: "error record",
			rec:  Record{Line: LineNumber(7), File: "in.txt", ErrorCode: job.CodeDocumentSizeExceeded, ErrorMessage: "document is 200000 bytes, limit 100000"},
			want: `{"Line":7,"File":"in.txt","ErrorCode":"DOCUMENT_SIZE_EXCEEDED","ErrorMessage":"document is 200000 bytes, limit 100000"}`,
		},
		{
			name: "error code without message",
			rec:  Record{File: "a", ErrorCode: job.CodeEmptyDocument},
			want: `{"File":"a","ErrorCode":"EMPTY_DOCUMENT"}`,
		},
		{
			name: "merged analyses",
			rec: Record{Line: LineNumber(1), File: "in.txt", Result: analysis.Result{
				Languages: []analysis.DominantLanguage{{LanguageCode: "fr", Score: 0.9}, {LanguageCode: "en", Score: 0.1}},
				Sentiment: "MIXED", SentimentScore: score,
			}},
			want: `{"Line":1,"File":"in.txt","Languages":[{"LanguageCode":"fr","Score":0.9},{"LanguageCode":"en","Score":0.1}],"Sentiment":"MIXED","SentimentScore":{"Positive":0.75,"Negative":0.05,"Neutral":0.15,"Mixed":0.05}}`,
		},
		{
			name: "no HTML escaping, JSON escapes kept",
			rec:  Record{File: "a<b>&c.txt", RecordId: "q\"\\\n\t\x01", ErrorCode: "X", ErrorMessage: "bad \xff byte \u2028"},
			want: `{"File":"a<b>&c.txt","RecordId":"q\"\\\n\t\u0001","ErrorCode":"X","ErrorMessage":"bad \ufffd byte \u2028"}`,
		},
		{
			name: "per-analysis errors beside results",
			rec: Record{Line: LineNumber(2), File: "in.txt", Result: analysis.Result{Languages: []analysis.DominantLanguage{{LanguageCode: "fr", Score: 0.97}}},
				Errors: []AnalysisError{{Analysis: job.Sentiment, ErrorCode: job.CodeUnsupportedLanguage, ErrorMessage: "SENTIMENT: \"fr\" is not supported"}, {Analysis: job.KeyPhrases, ErrorCode: job.CodeUnsupportedLanguage, ErrorMessage: "x"}}},
			want: `{"Line":2,"File":"in.txt","Languages":[{"LanguageCode":"fr","Score":0.97}],"Errors":[{"Analysis":"SENTIMENT","ErrorCode":"UNSUPPORTED_LANGUAGE","ErrorMessage":"SENTIMENT: \"fr\" is not supported"},{"Analysis":"KEY_PHRASES","ErrorCode":"UNSUPPORTED_LANGUAGE","ErrorMessage":"x"}]}`,
		},
		{
			name: "every analysis failed",
			rec: Record{File: "a", Errors: []AnalysisError{{Analysis: job.Sentiment, ErrorCode: "A", ErrorMessage: "a"}, {Analysis: job.Entities, ErrorCode: "B", ErrorMessage: "b"}},
				ErrorCode: "A", ErrorMessage: "a"},
			want: `{"File":"a","Errors":[{"Analysis":"SENTIMENT","ErrorCode":"A","ErrorMessage":"a"},{"Analysis":"ENTITIES","ErrorCode":"B","ErrorMessage":"b"}],"ErrorCode":"A","ErrorMessage":"a"}`,
		},
		{
			name: "large line number",
			rec:  Record{Line: LineNumber(9223372036854775807), File: "f"},
			want: `{"Line":9223372036854775807,"File":"f"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range []any{tt.rec, &tt.rec} {
				got, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				// json.Marshal re-compacts but keeps key order; it HTML-escapes the output of
				// MarshalJSON, so compare against the HTML-escaped form.
				var want bytes.Buffer
				json.HTMLEscape(&want, []byte(tt.want))
				if string(got) != want.String() {
					t.Errorf("json.Marshal(%T)\n got %s\nwant %s", v, got, want.String())
				}
			}
			got, err := tt.rec.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("MarshalJSON\n got %s\nwant %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("invalid JSON: %s", got)
			}
			// The encoding decodes back with the default decoder (modulo invalid UTF-8).
			var back Record
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(tt.name, "escaping") && !reflect.DeepEqual(back, tt.rec) {
				t.Errorf("round trip: got %+v, want %+v", back, tt.rec)
			}
		})
	}
}

// TestAppendStringMatchesEncodingJSON checks the hand-written string encoder against
// encoding/json with HTML escaping off.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	inputs := []string{
		"", "plain", "<script>&amp;</script>", "quote\" back\\slash", "\b\f\n\r\t\x00\x1f\x7f",
		"héllo wörld 日本語 🎉", "\u2028\u2029", "\xff\xfe", "a\xc3", "\xed\xa0\x80", "{\"Line\":5}",
	}
	for c := 0; c < 256; c++ {
		inputs = append(inputs, "x"+string(rune(c))+string([]byte{byte(c)})+"y")
	}
	for _, s := range inputs {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := strings.ReplaceAll(strings.TrimSuffix(buf.String(), "\n"), "\u0085", `\u0085`) // NEL escaped too
		if got := string(appendString(nil, s)); got != want {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriter(t *testing.T) {
	ok := func(i int64) *Record {
		return &Record{Line: LineNumber(i), File: "f", Result: analysis.Result{Sentiment: "POSITIVE"}}
	}
	bad := func(i int64) *Record {
		return &Record{Line: LineNumber(i), File: "f", ErrorCode: job.CodeEmptyDocument, ErrorMessage: "empty"}
	}
	tests := []struct {
		name       string
		recs       []*Record
		docs, errs int64
	}{
		{"none", nil, 0, 0},
		{"all ok", []*Record{ok(0), ok(1), ok(2)}, 3, 0},
		{"all errors", []*Record{bad(0), bad(1)}, 2, 2},
		{"mixed", []*Record{ok(0), bad(1), ok(2), bad(3), bad(4)}, 5, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			var want strings.Builder
			for _, r := range tt.recs {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
				b, _ := r.MarshalJSON()
				want.Write(b)
				want.WriteByte('\n')
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			docs, errs := w.Count()
			if docs != tt.docs || errs != tt.errs {
				t.Errorf("Count() = %d, %d; want %d, %d", docs, errs, tt.docs, tt.errs)
			}
			if buf.String() != want.String() {
				t.Errorf("output\n got %q\nwant %q", buf.String(), want.String())
			}
			if n := int64(bytes.Count(buf.Bytes(), []byte("\n"))); n != tt.docs {
				t.Errorf("%d lines, want %d", n, tt.docs)
			}
		})
	}
}

func TestWriterError(t *testing.T) {
	w := NewWriter(&failWriter{n: 10})
	big := &Record{File: strings.Repeat("x", 100<<10)}
	if err := w.Write(big); err == nil {
		t.Fatal("Write of a record larger than the buffer to a failing writer succeeded")
	}
	if err := w.Write(&Record{File: "a"}); err == nil {
		t.Error("Write after an error succeeded")
	}
	if err := w.Flush(); err == nil {
		t.Error("Flush after an error succeeded")
	}
	if docs, _ := w.Count(); docs != 0 {
		t.Errorf("Count() = %d after failed writes, want 0", docs)
	}
}

// legacyRecord is the record encoding before it stopped using reflection: the Result through a
// json.Encoder with HTML escaping off, its body spliced between File/RecordId and the error
// fields. The Result's own bytes are checked against its reflection-based encoding in package
// analysis (TestAppendJSONMatchesEncodingJSON and its neighbours); this reference checks the record
// around them.
func legacyRecord(r *Record) (string, error) {
	var scratch bytes.Buffer
	enc := json.NewEncoder(&scratch)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.Result); err != nil {
		return "", err
	}
	body := bytes.TrimSpace(scratch.Bytes())
	body = body[1 : len(body)-1]
	str := func(s string) string {
		var b bytes.Buffer
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(false)
		if err := e.Encode(s); err != nil {
			panic(err)
		}
		return strings.TrimSuffix(b.String(), "\n")
	}
	var out strings.Builder
	out.WriteByte('{')
	if r.Line != nil {
		fmt.Fprintf(&out, `"Line":%d,`, *r.Line)
	}
	out.WriteString(`"File":` + str(r.File))
	if r.RecordId != "" {
		out.WriteString(`,"RecordId":` + str(r.RecordId))
	}
	if len(body) > 0 {
		out.WriteByte(',')
		out.Write(body)
	}
	if r.ErrorCode != "" {
		out.WriteString(`,"ErrorCode":` + str(r.ErrorCode))
	}
	if r.ErrorMessage != "" {
		out.WriteString(`,"ErrorMessage":` + str(r.ErrorMessage))
	}
	out.WriteByte('}')
	return out.String(), nil
}

var hostilePieces = []string{
	"a", "plain words", "\"", "\\", "<", ">", "&", "\x00", "\x01", "\b", "\f", "\n", "\r", "\t",
	"\x1f", "\x7f", "é", "日本語", "🎉", "\u2028", "\u2029", "\ufffd", "\xff", "\xc3", "\xed\xa0\x80",
	`{"Line":1}`,
}

func hostileString(rng *rand.Rand) string {
	if rng.IntN(6) == 0 {
		return ""
	}
	var sb strings.Builder
	for n := rng.IntN(5); n >= 0; n-- {
		switch rng.IntN(3) {
		case 0:
			sb.WriteByte(byte(rng.IntN(256)))
		case 1:
			sb.WriteRune(rune(rng.IntN(0x110000)))
		default:
			sb.WriteString(hostilePieces[rng.IntN(len(hostilePieces))])
		}
	}
	return sb.String()
}

var floatPieces = []float64{
	0, math.Copysign(0, -1), 1, 0.5, 0.97, 1.0 / 3, 1e-6, 9.999999e-7, 1e-7, 5e-324, 1e20, 1e21,
	1.5e21, math.MaxFloat64,
}

func hostileFloat(rng *rand.Rand) float64 {
	var f float64
	switch rng.IntN(4) {
	case 0:
		f = floatPieces[rng.IntN(len(floatPieces))]
	case 1:
		f = rng.Float64()
	case 2:
		f = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(60)-30))
	default:
		for f = math.NaN(); math.IsNaN(f) || math.IsInf(f, 0); {
			f = math.Float64frombits(rng.Uint64())
		}
	}
	if rng.IntN(4) == 0 {
		f = -f
	}
	return f
}

// sliceLen is -1 (nil) a third of the time, else 0..3.
func sliceLen(rng *rand.Rand) int {
	if rng.IntN(3) == 0 {
		return -1
	}
	return rng.IntN(4)
}

func randomRecord(rng *rand.Rand) Record {
	var r Record
	if rng.IntN(2) == 0 {
		r.Line = LineNumber([]int64{0, 1, rng.Int64(), math.MaxInt64}[rng.IntN(4)])
	}
	r.File = hostileString(rng)
	if rng.IntN(2) == 0 {
		r.RecordId = hostileString(rng)
	}
	if rng.IntN(3) == 0 {
		r.ErrorCode = hostileString(rng)
		r.ErrorMessage = hostileString(rng)
	}
	res := &r.Result
	if n := sliceLen(rng); n >= 0 {
		res.Languages = make([]analysis.DominantLanguage, n)
		for i := range res.Languages {
			res.Languages[i] = analysis.DominantLanguage{LanguageCode: hostileString(rng), Score: hostileFloat(rng)}
		}
	}
	if rng.IntN(2) == 0 {
		res.Sentiment = hostileString(rng)
	}
	if rng.IntN(2) == 0 {
		res.SentimentScore = &analysis.SentimentScore{Positive: hostileFloat(rng), Negative: hostileFloat(rng), Neutral: hostileFloat(rng), Mixed: hostileFloat(rng)}
	}
	if n := sliceLen(rng); n >= 0 {
		res.Entities = make([]analysis.Entity, n)
		for i := range res.Entities {
			res.Entities[i] = analysis.Entity{BeginOffset: int(rng.Int64()), EndOffset: -rng.IntN(9), Score: hostileFloat(rng), Text: hostileString(rng), Type: hostileString(rng)}
		}
	}
	if n := sliceLen(rng); n >= 0 {
		res.KeyPhrases = make([]analysis.KeyPhrase, n)
		for i := range res.KeyPhrases {
			res.KeyPhrases[i] = analysis.KeyPhrase{BeginOffset: rng.IntN(100), EndOffset: math.MaxInt, Score: hostileFloat(rng), Text: hostileString(rng)}
		}
	}
	if n := sliceLen(rng); n >= 0 {
		res.PiiEntities = make([]analysis.PiiEntity, n)
		for i := range res.PiiEntities {
			res.PiiEntities[i] = analysis.PiiEntity{BeginOffset: math.MinInt, EndOffset: rng.IntN(100), Score: hostileFloat(rng), Type: hostileString(rng)}
		}
	}
	if rng.IntN(2) == 0 {
		c := &api.Coding{}
		cr := func() api.CodeResult {
			return api.CodeResult{CodeCategory: hostileString(rng), CodeLabel: hostileString(rng), CodeConfidence: hostileFloat(rng)}
		}
		if rng.IntN(2) == 0 {
			v := cr()
			c.Result = &v
		}
		if n := sliceLen(rng); n >= 0 {
			c.Suggestions = make([]api.CodeResult, n)
			for i := range c.Suggestions {
				c.Suggestions[i] = cr()
			}
		}
		res.Coding = c
	}
	return r
}

// TestRecordEncodingMatchesLegacy compares the reflection-free record encoding (MarshalJSON and
// Writer) with the encoding/json-based one it replaced, on many random records.
func TestRecordEncodingMatchesLegacy(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	var out bytes.Buffer
	w := NewWriter(&out)
	var want strings.Builder
	for range n {
		r := randomRecord(rng)
		ref, err := legacyRecord(&r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if ref = strings.ReplaceAll(ref, "\u0085", `\u0085`); string(got) != ref { // NEL escaped too
			t.Fatalf("MarshalJSON(%+v)\n got %s\nwant %s", r, got, ref)
		}
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
		want.WriteString(ref + "\n")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if out.String() != want.String() {
		t.Fatal("Writer output differs from the legacy encoding")
	}
}

// TestWriterUnsupportedFloat: a NaN or infinite score fails the record and writes nothing;
// the writer stays usable.
func TestWriterUnsupportedFloat(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	bad := &Record{Line: LineNumber(0), File: "f", RecordId: "id", Result: analysis.Result{
		Sentiment: "POSITIVE", SentimentScore: &analysis.SentimentScore{Positive: math.NaN()}}}
	err := w.Write(bad)
	var uv *json.UnsupportedValueError
	if !errors.As(err, &uv) {
		t.Fatalf("Write with NaN: err = %v, want a *json.UnsupportedValueError", err)
	}
	if _, err := bad.MarshalJSON(); err == nil {
		t.Error("MarshalJSON with NaN succeeded")
	}
	good := &Record{Line: LineNumber(0), File: "f"}
	if err := w.Write(good); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), `{"Line":0,"File":"f"}`+"\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	if docs, _ := w.Count(); docs != 1 {
		t.Errorf("Count() = %d, want 1", docs)
	}
}

// analysisRecords are records as the analysers produce them: every analysis, with realistic
// sizes.
func analysisRecords() []Record {
	recs := make([]Record, 100)
	for i := range recs {
		r := Record{Line: LineNumber(int64(i)), File: "input/part-0001.txt"}
		switch i % 5 {
		case 0:
			r.Result = analysis.Result{Sentiment: "POSITIVE", SentimentScore: &analysis.SentimentScore{Positive: 0.9012345, Negative: 0.0123, Neutral: 0.08, Mixed: 0.0064655}}
		case 1:
			r.Result = analysis.Result{Languages: []analysis.DominantLanguage{{LanguageCode: "en", Score: 0.9712}, {LanguageCode: "de", Score: 0.0211}}}
		case 2:
			r.Result = analysis.Result{
				Entities: []analysis.Entity{
					{BeginOffset: 0, EndOffset: 11, Score: 0.998, Text: "Alice Smith", Type: "PERSON"},
					{BeginOffset: 25, EndOffset: 31, Score: 0.87, Text: "Berlin", Type: "LOCATION"},
					{BeginOffset: 40, EndOffset: 52, Score: 0.91, Text: "ACME & Sons", Type: "ORGANIZATION"},
				},
				KeyPhrases: []analysis.KeyPhrase{
					{BeginOffset: 0, EndOffset: 11, Score: 0.99, Text: "Alice Smith"},
					{BeginOffset: 60, EndOffset: 78, Score: 0.95, Text: "the quarterly plan"},
				},
				PiiEntities: []analysis.PiiEntity{{BeginOffset: 80, EndOffset: 97, Score: 0.99, Type: "EMAIL"}},
			}
		case 3:
			r.RecordId = "rec-" + strconv.Itoa(i)
			r.Result = analysis.Result{Coding: &api.Coding{
				Result: &api.CodeResult{CodeCategory: "2512", CodeLabel: "Software developers", CodeConfidence: 0.83},
				Suggestions: []api.CodeResult{
					{CodeCategory: "2512", CodeLabel: "Software developers", CodeConfidence: 0.83},
					{CodeCategory: "2513", CodeLabel: "Web and multimedia developers", CodeConfidence: 0.09},
					{CodeCategory: "2519", CodeLabel: "Software and applications developers and analysts n.e.c.", CodeConfidence: 0.04},
				},
			}}
		case 4:
			r.Result = analysis.Result{PiiEntities: []analysis.PiiEntity{
				{BeginOffset: 3, EndOffset: 15, Score: 0.9, Type: "PHONE"},
				{BeginOffset: 30, EndOffset: 49, Score: 1, Type: "CREDIT_DEBIT_NUMBER"},
			}}
		}
		recs[i] = r
	}
	return recs
}

// BenchmarkWriterAnalyses writes 100 records carrying every kind of analysis result per
// iteration.
func BenchmarkWriterAnalyses(b *testing.B) {
	recs := analysisRecords()
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

// TestWriterTeeErrors: the lines of records with errors (an ErrorCode or per-analysis Errors)
// also go to the sink, byte for byte as in the main output, in order.
func TestWriterTeeErrors(t *testing.T) {
	var main, errs bytes.Buffer
	w := NewWriter(&main)
	w.TeeErrors(&errs)
	recs := []Record{
		{Line: LineNumber(0), File: "f", Result: analysis.Result{Sentiment: "POSITIVE"}},
		{Line: LineNumber(1), File: "f", ErrorCode: job.CodeEmptyDocument, ErrorMessage: "empty"},
		{Line: LineNumber(2), File: "f", Result: analysis.Result{Sentiment: "NEUTRAL"}, Errors: []AnalysisError{{Analysis: job.Entities, ErrorCode: "X", ErrorMessage: "x"}}},
		{Line: LineNumber(3), File: "f"},
	}
	for i := range recs {
		if err := w.Write(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(main.String(), "\n")
	if want := lines[1] + lines[2]; errs.String() != want {
		t.Errorf("error sink:\n%s\nwant\n%s", errs.String(), want)
	}
	if docs, bad := w.Count(); docs != 4 || bad != 1 {
		t.Errorf("Count = %d, %d; want 4, 1", docs, bad)
	}
}
