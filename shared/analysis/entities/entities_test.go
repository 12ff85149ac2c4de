package entities

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
	"github.com/ream-dev/ream/shared/analysis/internal/result"
	"github.com/ream-dev/ream/shared/job"
)

func newEntities(t testing.TB) *Analyzer {
	t.Helper()
	a, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// goldDoc is one labelled sentence of testdata/news.jsonl.
type goldDoc struct {
	Text     string  `json:"text"`
	Entities [][]any `json:"entities"` // [begin, end, type, text]
}

type spanKey struct {
	b, e int
	typ  string
}

func readEntGold(t testing.TB) []goldDoc {
	t.Helper()
	return readEntGoldFile(t, "news.jsonl")
}

// readEntGoldFile reads one JSONL file of testdata.
func readEntGoldFile(t testing.TB, name string) []goldDoc {
	t.Helper()
	return evaltest.ReadJSONL[goldDoc](t, "testdata", name)
}

// runeSub returns the characters [b,e) of s.
func runeSub(s string, b, e int) string {
	r := []rune(s)
	if b < 0 || e > len(r) || b > e {
		return "<out of range>"
	}
	return string(r[b:e])
}

type prf struct{ tp, fp, fn int }

func (c prf) p() float64 { return evaltest.Ratio(c.tp, c.tp+c.fp) }
func (c prf) r() float64 { return evaltest.Ratio(c.tp, c.tp+c.fn) }
func (c prf) f() float64 {
	p, r := c.p(), c.r()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// evalEntities scores exact-span, exact-type matches per type.
func evalEntities(t testing.TB, a *Analyzer, gold []goldDoc, verbose bool) map[string]*prf {
	per := map[string]*prf{}
	get := func(k string) *prf {
		if per[k] == nil {
			per[k] = &prf{}
		}
		return per[k]
	}
	for _, g := range gold {
		want := map[spanKey]bool{}
		for _, e := range g.Entities {
			k := spanKey{int(e[0].(float64)), int(e[1].(float64)), e[2].(string)}
			if got := runeSub(g.Text, k.b, k.e); got != e[3].(string) {
				t.Fatalf("gold span %v is %q, not %q", k, got, e[3])
			}
			want[k] = true
		}
		got := map[spanKey]bool{}
		for _, e := range a.Find(g.Text) {
			got[spanKey{e.BeginOffset, e.EndOffset, e.Type}] = true
		}
		for k := range got {
			if want[k] {
				get(k.typ).tp++
			} else {
				get(k.typ).fp++
				if verbose {
					t.Logf("FP %-12s %q   in %q", k.typ, runeSub(g.Text, k.b, k.e), g.Text)
				}
			}
		}
		for k := range want {
			if !got[k] {
				get(k.typ).fn++
				if verbose {
					t.Logf("FN %-12s %q", k.typ, runeSub(g.Text, k.b, k.e))
				}
			}
		}
	}
	return per
}

func microPLO(per map[string]*prf) prf {
	var m prf
	for _, ty := range []string{Person, Location, Organization} {
		if c := per[ty]; c != nil {
			m.tp += c.tp
			m.fp += c.fp
			m.fn += c.fn
		}
	}
	return m
}

func printPRF(t testing.TB, title string, per map[string]*prf) {
	types := make([]string, 0, len(per))
	for k := range per {
		types = append(types, k)
	}
	sort.Strings(types)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\n%-16s %5s %5s %5s  %4s %4s %4s\n", title, "type", "P", "R", "F1", "TP", "FP", "FN")
	for _, ty := range types {
		c := per[ty]
		fmt.Fprintf(&sb, "%-16s %5.2f %5.2f %5.2f  %4d %4d %4d\n", ty, c.p(), c.r(), c.f(), c.tp, c.fp, c.fn)
	}
	m := microPLO(per)
	fmt.Fprintf(&sb, "%-16s %5.2f %5.2f %5.2f  %4d %4d %4d", "micro PER/LOC/ORG", m.p(), m.r(), m.f(), m.tp, m.fp, m.fn)
	t.Log(sb.String())
}

// TestEntitiesEvaluation measures exact-span F1 on testdata/news.jsonl (81 news
// sentences written and annotated by hand before the rules were written; see
// testdata/README.md). Run with -v to see the table; REAM_ENT_ERRORS=1 lists the
// errors.
func TestEntitiesEvaluation(t *testing.T) {
	gold := readEntGold(t)
	if len(gold) < 60 {
		t.Fatalf("only %d labelled sentences", len(gold))
	}
	verbose := os.Getenv("REAM_ENT_ERRORS") != ""
	per := evalEntities(t, newEntities(t), gold, verbose)
	printPRF(t, fmt.Sprintf("ENTITIES on %d sentences (exact span and type):", len(gold)), per)

	noOrg, err := New(Config{NoKnownOrganizations: true})
	if err != nil {
		t.Fatal(err)
	}
	per2 := evalEntities(t, noOrg, gold, false)
	m2 := microPLO(per2)
	t.Logf("without the well-known organisations list: micro PER/LOC/ORG F1 %.2f, ORGANIZATION F1 %.2f", m2.f(), per2[Organization].f())

	if m := microPLO(per); m.f() < 0.70 {
		t.Errorf("micro F1 PER/LOC/ORG %.3f < 0.70", m.f())
	}
	if f := per[Organization].f(); f < 0.50 {
		t.Errorf("ORGANIZATION F1 %.3f < 0.50", f)
	}
	for _, ty := range []string{Date, Quantity} {
		if r := per[ty].r(); r < 0.80 {
			t.Errorf("%s recall %.3f < 0.80", ty, r)
		}
	}
}

func TestEntitiesDatesQuantities(t *testing.T) {
	a := newEntities(t)
	cases := []struct{ text, want, typ string }{
		{"The deal closed on March 3, 2024, after months of talks.", "March 3, 2024", Date},
		{"The filing is dated 2024-03-03 in the register.", "2024-03-03", Date},
		{"The parcel weighed 12 kg when it left.", "12 kg", Quantity},
		{"The startup raised $4.5 million from investors.", "$4.5 million", Quantity},
		{"Sales rose 35 percent in the quarter.", "35 percent", Quantity},
		{"Turnout was 61% in the city.", "61%", Quantity},
		{"The minister resigned yesterday amid the scandal.", "yesterday", Date},
		{"The board will meet next Tuesday to decide.", "next Tuesday", Date},
		{"The company was sold two weeks ago to a rival.", "two weeks ago", Date},
		{"Profits fell last year as costs rose.", "last year", Date},
		{"The vote is due on 14 July 2025 in the capital.", "14 July 2025", Date},
		{"The rally starts at 8:30 a.m. outside the station.", "8:30 a.m.", Date},
		{"Officials said three people were injured.", "three people", Quantity},
		{"The club paid 90 million euros for the striker.", "90 million euros", Quantity},
	}
	for _, c := range cases {
		found := false
		for _, e := range a.Find(c.text) {
			if e.Text == c.want && e.Type == c.typ {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: want %s %q, got %+v", c.text, c.typ, c.want, a.Find(c.text))
		}
	}
}

// TestEntitiesOffsets checks that offsets count characters on non-ASCII text and that Text
// is the exact substring.
func TestEntitiesOffsets(t *testing.T) {
	a := newEntities(t)
	text := "Ünlü bir gün: “Frankly,” said José Núñez, CEO of Société Générale, in Zürich on Tuesday — shares rose 4 percent. 東京 ☃ Angela Merkel visited São Paulo."
	ents := a.Find(text)
	runes := []rune(text)
	want := map[string]string{"José Núñez": Person, "Zürich": Location, "Tuesday": Date,
		"4 percent": Quantity, "Angela Merkel": Person, "São Paulo": Location}
	for _, e := range ents {
		if e.BeginOffset < 0 || e.EndOffset > len(runes) || e.BeginOffset >= e.EndOffset {
			t.Fatalf("bad offsets %+v", e)
		}
		if got := string(runes[e.BeginOffset:e.EndOffset]); got != e.Text {
			t.Errorf("offsets %d..%d give %q, Text is %q", e.BeginOffset, e.EndOffset, got, e.Text)
		}
		if e.Score <= 0 || e.Score > 1 {
			t.Errorf("score %v out of (0,1]", e.Score)
		}
		if ty, ok := want[e.Text]; ok {
			if ty != e.Type {
				t.Errorf("%q typed %s, want %s", e.Text, e.Type, ty)
			}
			delete(want, e.Text)
		}
	}
	for k, ty := range want {
		t.Errorf("missing %s %q in %+v", ty, k, ents)
	}
	// "Zürich" starts at a character offset smaller than its byte offset
	for _, e := range ents {
		if e.Text == "Zürich" && e.BeginOffset == strings.Index(text, "Zürich") {
			t.Errorf("Zürich offset is a byte offset")
		}
		if e.Text == "Zürich" && e.BeginOffset != utf8.RuneCountInString(text[:strings.Index(text, "Zürich")]) {
			t.Errorf("Zürich offset %d wrong", e.BeginOffset)
		}
	}
}

func TestEntitiesShapeAndLanguage(t *testing.T) {
	a := newEntities(t)
	if a.Name() != job.Entities || a.DefaultMaxBytes() != DefaultMaxBytes || a.ModelVersion() == "" {
		t.Fatal("bad identity")
	}
	var res result.Result
	if err := a.Analyze("nothing here at all.", result.Options{}, &res); err != nil {
		t.Fatal(err)
	}
	if res.Entities == nil || len(res.Entities) != 0 {
		t.Fatalf("want empty non-nil, got %#v", res.Entities)
	}
	b, _ := json.Marshal(res)
	if string(b) != `{"Entities":[]}` {
		t.Fatalf("json %s", b)
	}
	for _, lc := range []string{"en", "en-US", ""} {
		if err := a.Analyze("Paris", result.Options{LanguageCode: lc}, &res); err != nil {
			t.Errorf("%q: %v", lc, err)
		}
	}
	err := a.Analyze("Angela Merkel besuchte Paris.", result.Options{LanguageCode: "de"}, &res)
	var de *result.DocError
	if !errors.As(err, &de) || de.Code != job.CodeUnsupportedLanguage {
		t.Fatalf("want UNSUPPORTED_LANGUAGE, got %v", err)
	}
	if _, err := New(Config{MaxBytes: -1}); err == nil {
		t.Fatal("negative MaxBytes accepted")
	}
	if _, err := New(Config{LanguageCode: "fr"}); err == nil {
		t.Fatal("French accepted")
	}
}

func TestEntitiesConcurrentDeterministic(t *testing.T) {
	a := newEntities(t)
	var texts []string
	for _, g := range readEntGold(t) {
		texts = append(texts, g.Text)
	}
	evaltest.Concurrent(t, texts, a.Find)
}

// benchDocs joins the labelled sentences into documents of about size bytes.
func benchDocs(b *testing.B, size int) []string {
	gold := readEntGold(b)
	var docs []string
	var sb strings.Builder
	for round := 0; len(docs) < 40; round++ {
		for _, g := range gold[round%7:] {
			if sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(g.Text)
			if sb.Len() >= size {
				docs = append(docs, sb.String())
				sb.Reset()
			}
		}
	}
	return docs
}

// BenchmarkEntities: about 1 KB English news documents, one core. docs/s is wall time (on a
// shared machine it counts the time other processes hold the core); docs/cpu-s divides by
// the CPU time the process used, the figure per core.
func BenchmarkEntities(b *testing.B) {
	a := newEntities(b)
	docs := benchDocs(b, 1000)
	b.ReportAllocs()
	b.SetBytes(int64(evaltest.TotalBytes(docs) / len(docs)))
	cpu0, cpuOK := evaltest.ProcessCPUTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var res result.Result
		if err := a.Analyze(docs[i%len(docs)], result.Options{}, &res); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	if cpu1, ok := evaltest.ProcessCPUTime(); ok && cpuOK && cpu1 > cpu0 {
		b.ReportMetric(float64(b.N)/(cpu1-cpu0).Seconds(), "docs/cpu-s")
	}
}

// BenchmarkEntitiesAdversarial: one long run of capitalised or digit tokens, at a quarter of the
// default 100 KB limit and at the limit: the time per document grows with its length, about ×4
// from one to the other (found by fuzzing: each token of a run rescanned the run to its
// end, and the 100 KB "1 1 …" took 1.95 s against 0.06 s at 25 KB).
func BenchmarkEntitiesAdversarial(b *testing.B) {
	a := newEntities(b)
	for _, pat := range []string{"1 ", "Aa "} {
		for _, size := range []int{25_000, 100_000} {
			text := strings.Repeat(pat, size/len(pat))
			b.Run(fmt.Sprintf("%q/%dKB", strings.TrimSpace(pat), size/1000), func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					var res result.Result
					if err := a.Analyze(text, result.Options{}, &res); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
