package language

import (
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
