package language

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
	"github.com/ream-dev/ream/shared/analysis/internal/result"
	"github.com/ream-dev/ream/shared/job"
)

// sharedLanguage is built once for all tests in the package (building preloads models).
var (
	sharedLanguageOnce sync.Once
	sharedLanguage     *Analyzer
	sharedLanguageErr  error
	sharedLanguageTook time.Duration // first build in this process (New decodes no table)
)

func defaultLanguage(t testing.TB) *Analyzer {
	t.Helper()
	sharedLanguageOnce.Do(func() {
		start := time.Now()
		sharedLanguage, sharedLanguageErr = New(Config{})
		sharedLanguageTook = time.Since(start)
	})
	if sharedLanguageErr != nil {
		t.Fatalf("NewLanguage: %v", sharedLanguageErr)
	}
	return sharedLanguage
}

func langidPath(t testing.TB) string {
	p := filepath.Join(evaltest.DataDir(), "langid-dep11.tsv")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("evaluation set absent (%v); set REAM_DATA_DIR", err)
	}
	return p
}

type langEval struct {
	total, correct int
	perLang        map[string][2]int // label → {correct, total}
	confusions     map[string]int    // "want→got"
}

func evalLanguage(t testing.TB, a *Analyzer, rows []evaltest.Labelled) langEval {
	t.Helper()
	ev := langEval{perLang: map[string][2]int{}, confusions: map[string]int{}}
	for _, r := range rows {
		var res result.Result
		got := "(none)"
		if err := a.Analyze(r.Text, result.Options{}, &res); err == nil {
			got = res.Languages[0].LanguageCode
		}
		ev.add(r.Label, got)
	}
	return ev
}

// add counts one text labelled label that the analyser gave got, and reports whether it was
// right.
func (ev *langEval) add(label, got string) bool {
	c := ev.perLang[label]
	c[1]++
	ev.total++
	ok := got == label
	if ok {
		c[0]++
		ev.correct++
	} else {
		ev.confusions[label+"→"+got]++
	}
	ev.perLang[label] = c
	return ok
}

func (ev langEval) accuracy() float64 { return float64(ev.correct) / float64(ev.total) }

func (ev langEval) worst(n int) string {
	type la struct {
		lang string
		acc  float64
	}
	var ls []la
	for l, c := range ev.perLang {
		ls = append(ls, la{l, float64(c[0]) / float64(c[1])})
	}
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].acc != ls[j].acc {
			return ls[i].acc < ls[j].acc
		}
		return ls[i].lang < ls[j].lang
	})
	var b strings.Builder
	for i := 0; i < n && i < len(ls); i++ {
		fmt.Fprintf(&b, " %s=%.3f", ls[i].lang, ls[i].acc)
	}
	return b.String()
}

func (ev langEval) topConfusions(n int) string {
	type kv struct {
		k string
		v int
	}
	var ks []kv
	for k, v := range ev.confusions {
		ks = append(ks, kv{k, v})
	}
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].v != ks[j].v {
			return ks[i].v > ks[j].v
		}
		return ks[i].k < ks[j].k
	})
	var b strings.Builder
	for i := 0; i < n && i < len(ks); i++ {
		fmt.Fprintf(&b, " %s×%d", ks[i].k, ks[i].v)
	}
	return b.String()
}

// TestLanguageAccuracyDEP11 measures top-1 accuracy on the 3,279-row DEP-11 set (33
// languages) with the default configuration. The floor guards against regressions.
func TestLanguageAccuracyDEP11(t *testing.T) {
	rows := evaltest.ReadTSV(t, langidPath(t))
	ev := evalLanguage(t, defaultLanguage(t), rows)
	t.Logf("DEP-11 language accuracy (prefix %d bytes): %.4f (%d/%d), %d languages; worst 5:%s; top confusions:%s",
		DefaultPrefixBytes, ev.accuracy(), ev.correct, ev.total, len(ev.perLang), ev.worst(5), ev.topConfusions(5))
	if ev.accuracy() < 0.98 {
		t.Errorf("accuracy %.4f below the 0.98 floor", ev.accuracy())
	}
}

// TestLanguagePrefixSweep records how accuracy depends on how much of a document is read
// (the choice behind DefaultPrefixBytes). Skipped with -short.
func TestLanguagePrefixSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("slow evaluation sweep")
	}
	rows := evaltest.ReadTSV(t, langidPath(t))
	for _, p := range []int{150, 300, 500, 1000} {
		a, err := New(Config{PrefixBytes: p})
		if err != nil {
			t.Fatal(err)
		}
		ev := evalLanguage(t, a, rows)
		t.Logf("prefix %4d bytes: accuracy %.4f (%d/%d); worst 5:%s", p, ev.accuracy(), ev.correct, ev.total, ev.worst(5))
		if p >= 300 && ev.accuracy() < 0.95 {
			t.Errorf("prefix %d: accuracy %.4f below 0.95", p, ev.accuracy())
		}
	}
}

// TestLanguageSample always runs: 5 rows per language copied into testdata.
func TestLanguageSample(t *testing.T) {
	rows := evaltest.ReadTSV(t, filepath.Join("testdata", "langid-sample.tsv"))
	ev := evalLanguage(t, defaultLanguage(t), rows)
	t.Logf("sample accuracy %.4f (%d/%d); worst 5:%s; confusions:%s", ev.accuracy(), ev.correct, ev.total, ev.worst(5), ev.topConfusions(10))
	if len(ev.perLang) != 33 {
		t.Errorf("sample has %d languages, want 33", len(ev.perLang))
	}
	if ev.accuracy() < 0.95 {
		t.Errorf("sample accuracy %.4f below 0.95", ev.accuracy())
	}
}

func TestLanguageResultShape(t *testing.T) {
	a := defaultLanguage(t)
	for _, tc := range []struct{ text, want string }{
		{"The quick brown fox jumps over the lazy dog while the farmer watches from the porch.", "en"},
		{"Le renard brun rapide saute par-dessus le chien paresseux pendant que le fermier regarde.", "fr"},
		{"Der schnelle braune Fuchs springt über den faulen Hund, während der Bauer zusieht.", "de"},
		{"这是一个用于分析文档集合的异步批处理服务。", "zh"},
		{"これは文書の集まりを分析するための非同期バッチサービスです。", "ja"},
		{"Это асинхронный сервис пакетного анализа коллекций документов.", "ru"},
	} {
		var res result.Result
		if err := a.Analyze(tc.text, result.Options{}, &res); err != nil {
			t.Fatalf("%q: %v", tc.text, err)
		}
		if len(res.Languages) == 0 || len(res.Languages) > 3 {
			t.Fatalf("%q: %d candidates", tc.text, len(res.Languages))
		}
		if res.Languages[0].LanguageCode != tc.want {
			t.Errorf("%q: got %+v, want %s first", tc.text, res.Languages, tc.want)
		}
		for i, l := range res.Languages {
			if l.Score <= 0 || l.Score > 1 {
				t.Errorf("%q: score %v outside (0,1]", tc.text, l.Score)
			}
			if i > 0 && l.Score > res.Languages[i-1].Score {
				t.Errorf("%q: candidates not sorted: %+v", tc.text, res.Languages)
			}
			if len(l.LanguageCode) != 2 {
				t.Errorf("%q: code %q is not ISO 639-1", tc.text, l.LanguageCode)
			}
		}
	}
}

func TestLanguageUnsupported(t *testing.T) {
	a := defaultLanguage(t)
	for _, text := range []string{"12345 67890", "!!! ??? ... ---", "3.14159 + 2.71828 = 5.85987", "ab", "😀😀😀"} {
		var res result.Result
		err := a.Analyze(text, result.Options{}, &res)
		var de *result.DocError
		if !errors.As(err, &de) || de.Code != job.CodeUnsupportedLanguage {
			t.Errorf("%q: got %v (%+v), want UNSUPPORTED_LANGUAGE DocError", text, err, res.Languages)
		}
		if res.Languages != nil {
			t.Errorf("%q: Languages filled on error: %+v", text, res.Languages)
		}
	}
}

func TestNewLanguageConfig(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		ok    bool
		langs string
	}{
		{"default", Config{}, true, strings.Join(DefaultLanguages, ",")},
		{"aliases and case", Config{Languages: []string{"EN", "no", "zh-TW", "zh"}}, true, "en,nb,zh"},
		{"unknown code", Config{Languages: []string{"en", "xx"}}, false, ""},
		{"unsupported code", Config{Languages: []string{"en", "ne"}}, false, ""}, // Nepali: no model
		{"every supported language", Config{Languages: SupportedLanguages()}, true, strings.Join(SupportedLanguages(), ",")},
		{"script-only languages", Config{Languages: []string{"ko", "ja", "zh", "el"}}, true, "el,ja,ko,zh"},
		{"one language", Config{Languages: []string{"en", "EN"}}, false, ""},
		{"negative size", Config{Languages: []string{"en", "fr"}, MaxBytes: -1}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(tc.cfg)
			if !tc.ok {
				if !errors.Is(err, job.ErrInvalid) {
					t.Fatalf("got %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(a.Languages(), ","); got != tc.langs {
				t.Errorf("languages %s, want %s", got, tc.langs)
			}
			if a.DefaultMaxBytes() != DefaultMaxBytes || a.Name() != job.Language || a.ModelVersion() == "" {
				t.Errorf("metadata: %d %s %q", a.DefaultMaxBytes(), a.Name(), a.ModelVersion())
			}
		})
	}
}

func TestLanguageSampleText(t *testing.T) {
	// NFC: a decomposed "é" (e + U+0301) is composed before detection.
	if got := languageSample("cafe\u0301", 100); got != "café" {
		t.Errorf("NFC: got %q", got)
	}
	long := strings.Repeat("ééé word ", 200)
	for _, p := range []int{1, 7, 300, 500} {
		s := languageSample(long, p)
		if len(s) > p || !utf8.ValidString(s) {
			t.Errorf("prefix %d: got %d bytes, valid %v", p, len(s), utf8.ValidString(s))
		}
	}
	// The cut backs up to a word boundary: every word kept is whole.
	for _, w := range strings.Fields(languageSample(long, 300)) {
		if w != "ééé" && w != "word" {
			t.Errorf("cut inside a word: %q", w)
		}
	}
}

// TestLanguageConcurrent runs the shared detector from many goroutines (meaningful under
// -race) and checks they all agree with a sequential run (whole results).
func TestLanguageConcurrent(t *testing.T) {
	a := defaultLanguage(t)
	var texts []string
	for _, r := range evaltest.ReadTSV(t, filepath.Join("testdata", "langid-sample.tsv")) {
		texts = append(texts, r.Text)
	}
	evaltest.Concurrent(t, texts, func(s string) (res result.Result) {
		_ = a.Analyze(s, result.Options{}, &res) // an error is part of the result compared
		return res
	})
}

// TestLanguageMemory logs the heap and RSS after building the default detector, then after
// Warm (run it alone for the detector's own figures: go test ./shared/analysis/language/ -run
// TestLanguageMemory -v), and checks that Warm loaded the tables.
func TestLanguageMemory(t *testing.T) {
	a := defaultLanguage(t)
	report := func(what string) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		rss := ""
		if b, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(l, "VmRSS:") || strings.HasPrefix(l, "VmHWM:") {
					rss += " " + strings.Join(strings.Fields(l), " ")
				}
			}
		}
		t.Logf("%s: HeapAlloc %.1f MiB, HeapSys %.1f MiB, Sys %.1f MiB;%s",
			what, float64(ms.HeapAlloc)/(1<<20), float64(ms.HeapSys)/(1<<20), float64(ms.Sys)/(1<<20), rss)
	}
	report(fmt.Sprintf("after building the default detector (%d languages; no table decoded yet; first build took %v)",
		len(DefaultLanguages), sharedLanguageTook.Round(time.Millisecond)))
	start := time.Now()
	if err := a.Warm(); err != nil {
		t.Fatal(err)
	}
	report(fmt.Sprintf("after Warm (unigram to trigram, quadrigram and fivegram tables decoded, took %v)", time.Since(start).Round(time.Millisecond)))
	if a.ngram.e.t == nil || a.ngram.e.hi == nil {
		t.Fatal("Warm did not load the tables")
	}
}

// TestLanguageSupportedSet checks the documented language set: lingua-go's 75 languages, 62
// of them with a shipped n-gram model holding unigrams, bigrams and trigrams, the other 13
// identified by a script no other supported language uses.
func TestLanguageSupportedSet(t *testing.T) {
	sup := SupportedLanguages()
	if len(sup) != 75 || len(langNgramLanguages) != 62 || len(langScriptOnly) != 13 {
		t.Fatalf("%d supported (%d n-gram, %d script-only), want 75 (62, 13)", len(sup), len(langNgramLanguages), len(langScriptOnly))
	}
	for _, c := range DefaultLanguages {
		if !languageSupported(c) {
			t.Errorf("default language %s unsupported", c)
		}
	}
	for c := range langScriptOnly {
		if slices.Contains(langNgramLanguages, c) {
			t.Errorf("%s both script-only and n-gram", c)
		}
	}
	tb, err := decodeNgramTables(langNgramModelGz)
	if err != nil {
		t.Fatal(err)
	}
	var per [64][3]int
	for n := range tb.idx {
		for _, i := range tb.idx[n] {
			for _, p := range tb.postings[tb.start[i]:tb.start[i+1]] {
				per[p.lang][n]++
			}
		}
	}
	for i, c := range langNgramLanguages {
		if per[i][0] < 20 || per[i][1] < 200 || per[i][2] < 1000 {
			t.Errorf("%s: %v unigrams/bigrams/trigrams, model missing or truncated", c, per[i])
		}
	}
	if _, err := decodeNgramTables(langNgramModelGz[:len(langNgramModelGz)/2]); err == nil {
		t.Error("truncated model decoded without error")
	}
}

// TestLanguageScriptResolution covers the documents the analyser once handed to lingua-go:
// a script shared by several configured languages (n-gram models for Arabic and Devanagari
// script), Han text when only ja is configured, and scripts no configured language uses
// (UNSUPPORTED_LANGUAGE, never a guess).
func TestLanguageScriptResolution(t *testing.T) {
	for _, tc := range []struct {
		langs []string
		text  string
		want  string // "" = UNSUPPORTED_LANGUAGE
	}{
		{nil, "ภาษาไทยเป็นภาษาราชการของประเทศไทย และเป็นภาษาแม่ของชาวไทย", ""},
		{nil, "ქართული ენა არის ქართველების მშობლიური ენა", ""},
		{nil, "हिन्दी भारत की राजभाषा है और इसे करोड़ों लोग बोलते हैं।", ""},
		{nil, "Ουσιαστικά ελληνικά κείμενα с немного русского text", "el"}, // Greek the plurality script
		{[]string{"en", "ja"}, "東京都庁舎", "ja"},
		{[]string{"en", "ko"}, "東京都庁舎", ""},
		{[]string{"en", "zh"}, "これは日本語の文章です。", ""},
		{[]string{"ar", "fa", "ur", "en"}, "زبان فارسی یکی از زبان‌های هندواروپایی است که در ایران، افغانستان و تاجیکستان به آن سخن می‌گویند.", "fa"},
		{[]string{"ar", "fa", "ur", "en"}, "اللغة العربية هي أكثر اللغات السامية تحدثا وإحدى أكثر اللغات انتشارا في العالم.", "ar"},
		{[]string{"ar", "fa", "ur", "en"}, "اردو برصغیر کی معیاری زبانوں میں سے ایک ہے۔ یہ پاکستان کی قومی اور رابطہ عامہ کی زبان ہے۔", "ur"},
		// lingua-go's letter runs stop at Devanagari vowel signs, so a Hindi sentence may hold
		// no trigram at all; a short one is scored with unigrams and bigrams too (ngramshort.go),
		// as lingua-go's high-accuracy mode does.
		{[]string{"hi", "mr", "en"}, "हिन्दी भारत की राजभाषा है और इसे करोड़ों लोग बोलते हैं।", "hi"},
		{[]string{"hi", "en"}, "हिन्दी भारत की राजभाषा है और इसे करोड़ों लोग बोलते हैं।", "hi"},
		{[]string{"hi", "mr", "en"}, "मराठी ही महाराष्ट्र राज्याची अधिकृत भाषा आहे आणि ती कोट्यवधी लोक बोलतात.", "mr"},
		{[]string{"ru", "kk", "uk"}, "Қазақ тілі — Қазақстан Республикасының мемлекеттік тілі, түркі тілдерінің бірі.", "kk"},
		{[]string{"en", "de", "af", "nl"}, "Afrikaans is 'n Wes-Germaanse taal wat hoofsaaklik in Suid-Afrika en Namibië gepraat word.", "af"},
		{[]string{"en", "es", "eo", "it"}, "Esperanto estas la plej disvastiĝinta internacia planlingvo, kreita de Zamenhof.", "eo"},
		{[]string{"en", "sw", "zu"}, "Kiswahili ni lugha ya Kibantu inayozungumzwa na watu wengi katika Afrika ya Mashariki.", "sw"},
	} {
		a, err := New(Config{Languages: tc.langs})
		if err != nil {
			t.Fatal(err)
		}
		var res result.Result
		err = a.Analyze(tc.text, result.Options{}, &res)
		got := ""
		if err == nil {
			got = res.Languages[0].LanguageCode
		} else if de := (*result.DocError)(nil); !errors.As(err, &de) || de.Code != job.CodeUnsupportedLanguage {
			t.Errorf("%v %q: %v", tc.langs, tc.text, err)
		}
		if got != tc.want {
			t.Errorf("%v %q: got %q (%+v), want %q", tc.langs, tc.text, got, res.Languages, tc.want)
		}
	}
}

// TestLanguageNoLinguaLinked fails when lingua-go (about 125 MB of embedded models) is
// linked into a non-test build: the n-gram path replaced it, and it may be imported only by
// _test.go files.
func TestLanguageNoLinguaLinked(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	cmd := exec.Command("go", "list", "-deps",
		"github.com/ream-dev/ream/shared/analysis", "github.com/ream-dev/ream/functions/...", "github.com/ream-dev/ream/cmd/...")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "github.com/ream-dev/ream/functions/worker\n") {
		t.Fatalf("go list output lacks functions/worker:\n%s", out)
	}
	for _, p := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(p, "github.com/pemistahl/lingua-go") {
			t.Errorf("%s is linked into non-test builds", p)
		}
	}
}

// TestLanguageShortText measures top-1 accuracy on short texts: each DEP-11 description cut at
// the last word boundary before 100 characters, with the 33 default languages (the languages
// of the data). The set is split once by the hash of the text (shortTuning): the short-text
// path's choices were made on the tuning half; the reporting half was read at the end only.
// DEP-11 is also the data the defaults (prefix, letter rules) were chosen on. Skipped with
// -short.
func TestLanguageShortText(t *testing.T) {
	if testing.Short() {
		t.Skip("slow evaluation")
	}
	tune, report := splitHalves(dep11Short(t))
	checkShortText(t, "DEP-11 cut under 100 characters, 33 default languages", defaultLanguage(t), tune, report, 0.985, 0.985)
}

// TestLanguageShortTextUDHR measures top-1 accuracy on the UDHR sentences and clauses of 20-100
// characters in testdata/udhr-short.tsv (provenance in the file; the sentences are parallel
// across languages), split like TestLanguageShortText: (a) the 33 default languages
// configured, on the sentences in those languages; (b) all 75 supported languages configured,
// on the sentences of every language.
func TestLanguageShortTextUDHR(t *testing.T) {
	tune, report := splitHalves(udhrShort(t, DefaultLanguages))
	checkShortText(t, "UDHR short, 33 default languages", defaultLanguage(t), tune, report, 0.988, 0.988)
	all, err := New(Config{Languages: SupportedLanguages()})
	if err != nil {
		t.Fatal(err)
	}
	tune, report = splitHalves(udhrShort(t, nil))
	checkShortText(t, "UDHR short, all 75 languages", all, tune, report, 0.965, 0.968)
}

// checkShortText logs the accuracy of each half and of both and fails below the floors (both
// halves together; the tuning half alone). Measured when the floors were set: DEP-11 short
// 0.9896 (tuning half 0.9903), UDHR with 33 languages 0.9924 (0.9924), with 75 0.9695 (0.9729).
func checkShortText(t *testing.T, name string, a *Analyzer, tune, report []evaltest.Labelled, floorAll, floorTune float64) {
	t.Helper()
	et, er := evalLanguage(t, a, tune), evalLanguage(t, a, report)
	both := float64(et.correct+er.correct) / float64(et.total+er.total)
	t.Logf("%s: tuning %.4f (%d/%d), reporting %.4f (%d/%d), both %.4f; tuning half's worst 5:%s",
		name, et.accuracy(), et.correct, et.total, er.accuracy(), er.correct, er.total, both, et.worst(5))
	if both < floorAll {
		t.Errorf("%s: accuracy %.4f below the %.3f floor", name, both, floorAll)
	}
	if et.accuracy() < floorTune {
		t.Errorf("%s: tuning-half accuracy %.4f below the %.3f floor", name, et.accuracy(), floorTune)
	}
}
