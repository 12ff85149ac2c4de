package language

import (
	"slices"
	"strconv"
	"testing"

	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

// BenchmarkLanguage: ~1 KB documents in the 33 default languages, default prefix; the
// sub-benchmarks show the cost of the prefix lengths TestLanguagePrefixSweep compares.
func BenchmarkLanguage(b *testing.B) {
	docs := evaltest.BenchDocs(b, "langid-sample.tsv", 1000)
	b.Run("default", func(b *testing.B) { evaltest.RunAnalyzer(b, defaultLanguage(b), docs) })
	for _, p := range []int{150, 200, 300, 500, 1000} {
		b.Run("prefix="+strconv.Itoa(p), func(b *testing.B) {
			a, err := New(Config{PrefixBytes: p})
			if err != nil {
				b.Fatal(err)
			}
			evaltest.RunAnalyzer(b, a, docs)
		})
	}
}

// BenchmarkLanguageParallel shares one detector between GOMAXPROCS goroutines.
func BenchmarkLanguageParallel(b *testing.B) {
	docs := evaltest.BenchDocs(b, "langid-sample.tsv", 1000)
	a := defaultLanguage(b)
	b.ReportAllocs()
	b.SetBytes(int64(evaltest.TotalBytes(docs) / len(docs)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			var res result.Result
			if err := a.Analyze(docs[i%len(docs)], result.Options{}, &res); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkLanguageModelDecode measures decoding the embedded n-gram tables, which
// New does once per process: the language analyser's share of the cold start.
func BenchmarkLanguageModelDecode(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := decodeNgramTables(langNgramModelGz); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewLanguage measures building the default detector once the n-gram tables are
// decoded (they are shared process-wide, so this is the warm cost).
func BenchmarkNewLanguage(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := New(Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLanguageShort: short documents (the short-text path, ngramshort.go) with the 33
// default languages: the UDHR sentences of testdata/udhr-short.tsv in those languages (20-100
// characters, 60 on average) and DEP-11 snippets cut at 60 bytes; udhr-all75: every UDHR
// sentence with all 75 supported languages configured. Run with -cpu 1 for the
// figure per core: go test ./shared/analysis/language/ -run '^$' -bench LanguageShort -cpu 1
func BenchmarkLanguageShort(b *testing.B) {
	a := defaultLanguage(b)
	keep := func(texts []string) []string {
		var out []string
		for _, s := range texts {
			var res result.Result
			if a.Analyze(s, result.Options{}, &res) == nil { // RunAnalyzer fails on an error
				out = append(out, s)
			}
		}
		return out
	}
	var udhr []string
	for _, r := range udhrShort(b, DefaultLanguages) {
		udhr = append(udhr, r.Text)
	}
	b.Run("udhr", func(b *testing.B) { evaltest.RunAnalyzer(b, a, keep(udhr)) })
	b.Run("dep11-60", func(b *testing.B) {
		evaltest.RunAnalyzer(b, a, keep(evaltest.BenchDocs(b, "langid-sample.tsv", 60)))
	})
	// All 75 supported languages configured (the configuration of the UDHR-75 figure), on the
	// UDHR sentences of every language.
	all, err := New(Config{Languages: SupportedLanguages()})
	if err != nil {
		b.Fatal(err)
	}
	if err := all.Warm(); err != nil {
		b.Fatal(err)
	}
	var every []string
	for _, r := range udhrShort(b, nil) {
		var res result.Result
		if all.Analyze(r.Text, result.Options{}, &res) == nil {
			every = append(every, r.Text)
		}
	}
	b.Run("udhr-all75", func(b *testing.B) { evaltest.RunAnalyzer(b, all, every) })
}

// BenchmarkLanguageHighOrderDecode measures decoding the short-text path's quadrigram and
// fivegram tables (done once per process and language set, by Warm or at the first short document).
func BenchmarkLanguageHighOrderDecode(b *testing.B) {
	mask := uint64(0)
	for i, c := range langNgramLanguages {
		if slices.Contains(DefaultLanguages, c) {
			mask |= 1 << i
		}
	}
	for _, c := range []struct {
		name string
		mask uint64
	}{{"default", mask}, {"all", ngramAllLanguages}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := decodeHighOrderTablesFor(langHighOrderModelGz, c.mask); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
