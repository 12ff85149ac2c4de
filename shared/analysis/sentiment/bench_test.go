package sentiment

import (
	"testing"

	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

// BenchmarkSentiment: ~200-byte English documents.
func BenchmarkSentiment(b *testing.B) {
	docs := evaltest.BenchDocs(b, "sentiment-labelled.tsv", 200)
	a, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	evaltest.RunAnalyzer(b, a, docs)
}

// BenchmarkSentiment1KB: ~1,000-byte English documents (IMDB reviews average about 1,300).
func BenchmarkSentiment1KB(b *testing.B) {
	docs := evaltest.BenchDocs(b, "sentiment-labelled.tsv", 1000)
	a, err := New(Config{})
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
		if _, err := New(Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSentimentParallel shares one analyser between GOMAXPROCS goroutines.
func BenchmarkSentimentParallel(b *testing.B) {
	docs := evaltest.BenchDocs(b, "sentiment-labelled.tsv", 200)
	a, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
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
