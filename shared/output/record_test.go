package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/analysis"
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
		want := strings.TrimSuffix(buf.String(), "\n")
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
