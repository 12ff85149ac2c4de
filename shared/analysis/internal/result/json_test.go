package result

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/api"
)

// legacyResult is Result encoded by the reflection-based MarshalJSON that AppendJSON replaced:
// json.Marshal per field, in the same order and with the same presence rules. It is the
// reference AppendJSON must reproduce byte for byte.
type legacyResult Result

func (r legacyResult) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	var err error
	add := func(name string, present bool, v any) {
		if !present || err != nil {
			return
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + name + `":`)
		var enc []byte
		enc, err = json.Marshal(v)
		b.Write(enc)
	}
	add("Languages", r.Languages != nil, r.Languages)
	add("Sentiment", r.Sentiment != "", r.Sentiment)
	add("SentimentScore", r.SentimentScore != nil, r.SentimentScore)
	add("Entities", r.Entities != nil, r.Entities)
	add("KeyPhrases", r.KeyPhrases != nil, r.KeyPhrases)
	if r.Entities == nil {
		add("Entities", r.PiiEntities != nil, r.PiiEntities)
	} else {
		add("PiiEntities", r.PiiEntities != nil, r.PiiEntities)
	}
	add("Coding", r.Coding != nil, r.Coding)
	b.WriteByte('}')
	return b.Bytes(), err
}

// referenceJSON is what the output writer used to produce for r: a json.Encoder with HTML
// escaping off encoding the legacy MarshalJSON, without the trailing newline.
func referenceJSON(r *Result) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(legacyResult(*r)); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// Pieces random strings are built from: every escaping rule of encoding/json.
var jsonStringPieces = []string{
	"a", "Z", "0", " ", "plain words", "\"", "\\", "/", "<", ">", "&", "'", "\x00", "\x01", "\b",
	"\f", "\n", "\r", "\t", "\x1f", "\x7f", "é", "日本語", "🎉", "\u2028", "\u2029", "\ufffd",
	"\xff", "\xfe", "\xc3", "\xe6\x97", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\u0080", "\u00a0",
	"\U0010ffff", "{\"Line\":1}", "\\u003c",
}

func randString(rng *rand.Rand) string {
	if rng.IntN(8) == 0 {
		return ""
	}
	var sb strings.Builder
	for n := rng.IntN(6); n >= 0; n-- {
		switch rng.IntN(4) {
		case 0: // any single byte
			sb.WriteByte(byte(rng.IntN(256)))
		case 1: // any code point (surrogates become U+FFFD in WriteRune)
			sb.WriteRune(rune(rng.IntN(0x110000)))
		default:
			sb.WriteString(jsonStringPieces[rng.IntN(len(jsonStringPieces))])
		}
	}
	return sb.String()
}

// Floats around encoding/json's format cutoffs (1e-6 and 1e21) and extremes.
var jsonFloatPieces = []float64{
	0, math.Copysign(0, -1), 1, -1, 0.5, 0.1, 0.01, 0.9, 0.97, 1.0 / 3, 2.0 / 3, 123456789,
	1e-6, 9.999999e-7, 1.0000001e-6, 1e-7, 1.5e-7, 1e-10, 1e-100, 1e-300, 5e-324,
	math.SmallestNonzeroFloat64, 1e20, 9.99999999e20, 1e21, 1.5e21, 1e100, 1e300,
	math.MaxFloat64, math.MaxInt64, float64(math.MaxFloat32), 0.000001, 123.456e-8,
}

func randFloat(rng *rand.Rand) float64 {
	var f float64
	switch rng.IntN(5) {
	case 0:
		f = jsonFloatPieces[rng.IntN(len(jsonFloatPieces))]
	case 1:
		f = rng.Float64()
	case 2:
		f = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(60)-30))
	case 3: // any finite bit pattern
		for {
			f = math.Float64frombits(rng.Uint64())
			if !math.IsNaN(f) && !math.IsInf(f, 0) {
				break
			}
		}
	default: // a float32 value widened, as a model might produce
		f = float64(float32(rng.Float64()))
	}
	if rng.IntN(4) == 0 {
		f = -f
	}
	return f
}

func randInt(rng *rand.Rand) int {
	switch rng.IntN(4) {
	case 0:
		return rng.IntN(100)
	case 1:
		return -rng.IntN(1000)
	case 2:
		return int(rng.Int64())
	default:
		return []int{0, math.MaxInt, math.MinInt, -1}[rng.IntN(4)]
	}
}

// randLen returns -1 (nil slice) a third of the time, else a length 0..4.
func randLen(rng *rand.Rand) int {
	if rng.IntN(3) == 0 {
		return -1
	}
	return rng.IntN(5)
}

func randCodeResult(rng *rand.Rand) api.CodeResult {
	return api.CodeResult{CodeCategory: randString(rng), CodeLabel: randString(rng), CodeConfidence: randFloat(rng)}
}

func randResult(rng *rand.Rand) Result {
	var r Result
	if n := randLen(rng); n >= 0 {
		r.Languages = make([]DominantLanguage, n)
		for i := range r.Languages {
			r.Languages[i] = DominantLanguage{LanguageCode: randString(rng), Score: randFloat(rng)}
		}
	}
	if rng.IntN(2) == 0 {
		r.Sentiment = randString(rng)
	}
	if rng.IntN(2) == 0 {
		r.SentimentScore = &SentimentScore{Positive: randFloat(rng), Negative: randFloat(rng), Neutral: randFloat(rng), Mixed: randFloat(rng)}
	}
	if n := randLen(rng); n >= 0 {
		r.Entities = make([]Entity, n)
		for i := range r.Entities {
			r.Entities[i] = Entity{BeginOffset: randInt(rng), EndOffset: randInt(rng), Score: randFloat(rng), Text: randString(rng), Type: randString(rng)}
		}
	}
	if n := randLen(rng); n >= 0 {
		r.KeyPhrases = make([]KeyPhrase, n)
		for i := range r.KeyPhrases {
			r.KeyPhrases[i] = KeyPhrase{BeginOffset: randInt(rng), EndOffset: randInt(rng), Score: randFloat(rng), Text: randString(rng)}
		}
	}
	if n := randLen(rng); n >= 0 {
		r.PiiEntities = make([]PiiEntity, n)
		for i := range r.PiiEntities {
			r.PiiEntities[i] = PiiEntity{BeginOffset: randInt(rng), EndOffset: randInt(rng), Score: randFloat(rng), Type: randString(rng)}
		}
	}
	if rng.IntN(2) == 0 {
		c := &api.Coding{}
		if rng.IntN(2) == 0 {
			cr := randCodeResult(rng)
			c.Result = &cr
		}
		if n := randLen(rng); n >= 0 {
			c.Suggestions = make([]api.CodeResult, n)
			for i := range c.Suggestions {
				c.Suggestions[i] = randCodeResult(rng)
			}
		}
		r.Coding = c
	}
	return r
}

func checkAppendJSON(t *testing.T, r *Result) {
	t.Helper()
	want, err := referenceJSON(r)
	if err != nil {
		t.Fatalf("reference encoding of %+v: %v", *r, err)
	}
	want = strings.ReplaceAll(want, "\u0085", `\u0085`) // NEL is escaped too (jsonw.AppendString)
	prefix := []byte("prefix")
	got, err := r.AppendJSON(prefix)
	if err != nil {
		t.Fatalf("AppendJSON(%+v): %v", *r, err)
	}
	if string(got[:len(prefix)]) != "prefix" || string(got[len(prefix):]) != want {
		t.Fatalf("AppendJSON(%+v)\n got %s\nwant %s", *r, got[len(prefix):], want)
	}
	// json.Marshal goes through MarshalJSON, now AppendJSON: unchanged too.
	m, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	lm, err := json.Marshal(legacyResult(*r))
	if err != nil {
		t.Fatal(err)
	}
	if lm = bytes.ReplaceAll(lm, []byte("\u0085"), []byte(`\u0085`)); !bytes.Equal(m, lm) {
		t.Fatalf("json.Marshal(%+v)\n got %s\nwant %s", *r, m, lm)
	}
}

// TestAppendJSONMatchesEncodingJSON compares AppendJSON with the reflection-based encoding on
// many random results: every field, nil and empty slices, hostile strings, floats of every
// magnitude.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		r := randResult(rng)
		checkAppendJSON(t, &r)
	}
}

func TestAppendJSONCases(t *testing.T) {
	cases := []Result{
		{},
		{Languages: []DominantLanguage{}},
		{Entities: []Entity{}, PiiEntities: []PiiEntity{}},
		{PiiEntities: []PiiEntity{{1, 2, 1e-7, "<&>"}}},
		{Sentiment: "a<b>&c\u2028\xff", SentimentScore: &SentimentScore{}},
		{SentimentScore: &SentimentScore{Positive: 1e21, Negative: 1e-6, Neutral: 9.99e-7, Mixed: math.Copysign(0, -1)}},
		{Coding: &api.Coding{}},
		{Coding: &api.Coding{Suggestions: []api.CodeResult{}}},
		{Coding: &api.Coding{Result: &api.CodeResult{CodeCategory: "12", CodeLabel: "x & y", CodeConfidence: 0.8}}},
		{KeyPhrases: []KeyPhrase{{BeginOffset: math.MinInt, EndOffset: math.MaxInt, Score: 5e-324, Text: "\"\\\b\f\n\r\t\x00"}}},
	}
	for _, r := range cases {
		checkAppendJSON(t, &r)
	}
}

// TestAppendJSONUnsupportedFloat checks that NaN and infinities fail as in encoding/json and
// leave dst as it was.
func TestAppendJSONUnsupportedFloat(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		for _, r := range []Result{
			{Languages: []DominantLanguage{{"en", f}}},
			{Sentiment: "X", SentimentScore: &SentimentScore{Mixed: f}},
			{Entities: []Entity{{Score: 1}, {Score: f}}},
			{KeyPhrases: []KeyPhrase{{Score: f}}},
			{PiiEntities: []PiiEntity{{Score: f}}},
			{Coding: &api.Coding{Result: &api.CodeResult{CodeConfidence: f}}},
			{Coding: &api.Coding{Suggestions: []api.CodeResult{{CodeConfidence: f}}}},
		} {
			if _, err := referenceJSON(&r); err == nil {
				t.Fatalf("reference encoded %v", f)
			}
			got, err := r.AppendJSON([]byte("keep"))
			var uv *json.UnsupportedValueError
			if !errors.As(err, &uv) {
				t.Fatalf("AppendJSON with %v: err = %v, want *json.UnsupportedValueError", f, err)
			}
			if want := "json: unsupported value: " + strconv.FormatFloat(f, 'g', -1, 64); err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			if string(got) != "keep" {
				t.Errorf("AppendJSON with %v changed dst to %q", f, got)
			}
			if _, err := json.Marshal(r); err == nil {
				t.Errorf("json.Marshal encoded %v", f)
			}
		}
	}
}

func BenchmarkResultAppendJSON(b *testing.B) {
	r := Result{
		Languages:      []DominantLanguage{{"en", 0.97}, {"de", 0.02}},
		Sentiment:      "POSITIVE",
		SentimentScore: &SentimentScore{0.9, 0.01, 0.08, 0.01},
		Entities:       []Entity{{0, 5, 0.99, "Alice", "PERSON"}, {10, 16, 0.87, "Berlin", "LOCATION"}},
		KeyPhrases:     []KeyPhrase{{0, 12, 0.95, "the new plan"}},
		PiiEntities:    []PiiEntity{{20, 36, 0.99, "EMAIL"}},
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = r.AppendJSON(buf[:0])
	}
}
