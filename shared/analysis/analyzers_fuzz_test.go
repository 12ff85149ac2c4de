package analysis_test

import (
	"bufio"
	"errors"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis"
)

var (
	fuzzRegOnce sync.Once
	fuzzReg     analysis.Registry
	fuzzRegErr  error
)

func fuzzRegistry(t testing.TB) analysis.Registry {
	fuzzRegOnce.Do(func() {
		fuzzReg, fuzzRegErr = analysis.DefaultRegistry()
		if fuzzRegErr == nil {
			fuzzRegErr = fuzzReg.Warm()
		}
	})
	if fuzzRegErr != nil {
		t.Fatal(fuzzRegErr)
	}
	return fuzzReg
}

func addLines(f *testing.F, path string, n int) {
	fh, err := os.Open(path)
	if err != nil {
		return
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<20)
	for i := 0; i < n && sc.Scan(); i++ {
		line := sc.Text()
		if len(line) > 2000 {
			line = line[:2000]
		}
		f.Add(line, uint8(i))
	}
}

func checkSpan(t *testing.T, what string, text string, n, b, e int, score float64) {
	t.Helper()
	if b < 0 || e > n || b >= e {
		t.Fatalf("%s: span [%d,%d) outside text of %d runes: %q", what, b, e, n, text)
	}
	if !(score >= 0 && score <= 1) || math.IsNaN(score) {
		t.Fatalf("%s: score %v outside [0,1]", what, score)
	}
}

// FuzzAnalyzers runs every analyser of the default registry on arbitrary valid UTF-8 text and
// checks: no panic, no non-DocError error, offsets are rune offsets inside the text, Text
// matches the span, scores in [0,1], sentiment sums to 1, and the result encodes as JSON.
func FuzzAnalyzers(f *testing.F) {
	seeds := []string{"", " ", "a", "Hello world.", "I love this product! It's great.",
		"John Smith works at Acme Corp in New York.", "Call me at (555) 123-4567 or mail john@example.com",
		"SSN 123-45-6789, card 4111 1111 1111 1111", "日本語のテキスト", "😀😀 e\u0301 \u200d", "\xef\xbf\xbd",
		"Mr. O'Neil-Smith's U.S.A. trip cost $1,000.50 on 2024-01-02.", "\x00\x01\t\n\r", "AKIAIOSFODNN7EXAMPLE aws",
		"http://example.com/a?b=c https://x.y", "192.168.0.1 ::1 fe80::1", "ÀÉÎÕÜ ǅ ﬁ ß ẞ İ ı"}
	for i, s := range seeds {
		f.Add(s, uint8(i))
	}
	addLines(f, "sentiment/testdata/sentiment-short.tsv", 10)
	addLines(f, "language/testdata/udhr-short.tsv", 10)
	addLines(f, "entities/testdata/news.marked.txt", 5)
	addLines(f, "keyphrases/testdata/articles.txt", 3)
	f.Fuzz(func(t *testing.T, text string, sel uint8) {
		if !utf8.ValidString(text) || strings.TrimSpace(text) == "" {
			return
		}
		reg := fuzzRegistry(t)
		names := reg.Names()
		n := utf8.RuneCountInString(text)
		langs := []string{"", "en", "de"}
		opts := analysis.Options{LanguageCode: langs[int(sel)%len(langs)]}
		for _, name := range names {
			a := reg[name]
			if len(text) > a.DefaultMaxBytes() {
				continue
			}
			var r analysis.Result
			err := a.Analyze(text, opts, &r)
			if err != nil {
				var de *analysis.DocError
				if !errors.As(err, &de) {
					t.Fatalf("%s(%q): non-DocError %v", name, text, err)
				}
				continue
			}
			for _, l := range r.Languages {
				if !(l.Score >= 0 && l.Score <= 1) {
					t.Fatalf("%s(%q): language score %v", name, text, l.Score)
				}
			}
			if s := r.SentimentScore; s != nil {
				for _, v := range []float64{s.Positive, s.Negative, s.Neutral, s.Mixed} {
					if !(v >= 0 && v <= 1) {
						t.Fatalf("%s(%q): sentiment score %+v", name, text, *s)
					}
				}
				if sum := s.Positive + s.Negative + s.Neutral + s.Mixed; math.Abs(sum-1) > 1e-3 {
					t.Fatalf("%s(%q): sentiment sums to %v", name, text, sum)
				}
			}
			runes := []rune(text)
			for _, e := range r.Entities {
				checkSpan(t, string(name)+" entity", text, n, e.BeginOffset, e.EndOffset, e.Score)
				if got := string(runes[e.BeginOffset:e.EndOffset]); got != e.Text {
					t.Fatalf("%s(%q): entity text %q, span holds %q", name, text, e.Text, got)
				}
			}
			for _, k := range r.KeyPhrases {
				checkSpan(t, string(name)+" keyphrase", text, n, k.BeginOffset, k.EndOffset, k.Score)
				if got := string(runes[k.BeginOffset:k.EndOffset]); got != k.Text {
					t.Fatalf("%s(%q): key phrase text %q, span holds %q", name, text, k.Text, got)
				}
			}
			for _, p := range r.PiiEntities {
				checkSpan(t, string(name)+" pii", text, n, p.BeginOffset, p.EndOffset, p.Score)
			}
			if len(r.PiiEntities) > 0 {
				for _, mode := range []string{analysis.RedactReplaceWithType, analysis.RedactMask} {
					out := analysis.Redact(text, r.PiiEntities, mode, analysis.DefaultMaskChar)
					if !utf8.ValidString(out) {
						t.Fatalf("Redact(%q) invalid UTF-8 %q", text, out)
					}
				}
			}
			if _, err := r.MarshalJSON(); err != nil {
				t.Fatalf("%s(%q): MarshalJSON: %v", name, text, err)
			}
		}
	})
}
