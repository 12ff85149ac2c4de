package analysis

import (
	"strconv"
	"testing"

	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
)

// BenchmarkLanguage: ~1 KB documents in the 33 default languages, default prefix; the
// sub-benchmarks show the cost of the prefix lengths TestLanguagePrefixSweep compares.
func BenchmarkLanguage(b *testing.B) {
	docs := evaltest.BenchDocs(b, "langid-sample.tsv", 1000)
	b.Run("default", func(b *testing.B) { evaltest.RunAnalyzer(b, defaultLanguage(b), docs) })
	for _, p := range []int{150, 200, 300, 500, 1000} {
		b.Run("prefix="+strconv.Itoa(p), func(b *testing.B) {
			a, err := NewLanguage(LanguageConfig{PrefixBytes: p})
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
			var res Result
			if err := a.Analyze(docs[i%len(docs)], Options{}, &res); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkSentiment: ~200-byte English documents.
func BenchmarkSentiment(b *testing.B) {
	docs := evaltest.BenchDocs(b, "sentiment-labelled.tsv", 200)
	a, err := NewSentiment(SentimentConfig{})
	if err != nil {
		b.Fatal(err)
	}
	evaltest.RunAnalyzer(b, a, docs)
}

// BenchmarkSentiment1KB: ~1,000-byte English documents (IMDB reviews average about 1,300).
func BenchmarkSentiment1KB(b *testing.B) {
	docs := evaltest.BenchDocs(b, "sentiment-labelled.tsv", 1000)
	a, err := NewSentiment(SentimentConfig{})
	if err != nil {
		b.Fatal(err)
	}
	evaltest.RunAnalyzer(b, a, docs)
}

// BenchmarkNewSentiment measures building the analyser (decoding the embedded 256 KiB model
// and hashing VADER's lexicon): its share of the cold start.
func BenchmarkNewSentiment(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := NewSentiment(SentimentConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSentimentParallel shares one analyser between GOMAXPROCS goroutines.
func BenchmarkSentimentParallel(b *testing.B) {
	docs := evaltest.BenchDocs(b, "sentiment-labelled.tsv", 200)
	a, err := NewSentiment(SentimentConfig{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(evaltest.TotalBytes(docs) / len(docs)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			var res Result
			if err := a.Analyze(docs[i%len(docs)], Options{}, &res); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkLanguageModelDecode measures decoding the embedded n-gram tables, which
// NewLanguage does once per process: the language analyser's share of the cold start.
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
		if _, err := NewLanguage(LanguageConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}
