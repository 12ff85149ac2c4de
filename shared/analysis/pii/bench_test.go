package pii

import (
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
	"github.com/ream-dev/ream/shared/internal/textcut"
)

// benchDocs joins generated evaluation sentences (PII and hard negatives) into ~1 KB
// documents.
func benchDocs(n, size int) []string {
	var docs []string
	var sb strings.Builder
	for _, d := range generate(99, n*8) {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(d.text)
		if sb.Len() >= size {
			docs = append(docs, textcut.Prefix(sb.String(), size))
			sb.Reset()
			if len(docs) == n {
				break
			}
		}
	}
	return docs
}

// BenchmarkPII: ~1 KB mixed documents (about 8 PII spans each); reports docs/s, MB/s and
// allocations per document.
func BenchmarkPII(b *testing.B) {
	a, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	docs := benchDocs(200, 1000)
	n := 0
	for _, d := range docs {
		n += len(d)
	}
	b.ReportAllocs()
	b.SetBytes(int64(n / len(docs)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var res result.Result
		if err := a.Analyze(docs[i%len(docs)], result.Options{}, &res); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkPIIPlain: ~1 KB of ordinary prose with no PII (the common case).
func BenchmarkPIIPlain(b *testing.B) {
	a, _ := New(Config{})
	doc := strings.Repeat("The quarterly report was reviewed by the committee, and the team agreed to revisit the budget next month. ", 10)
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for i := 0; i < b.N; i++ {
		var res result.Result
		if err := a.Analyze(doc, result.Options{}, &res); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

func BenchmarkRedact(b *testing.B) {
	a, _ := New(Config{})
	docs := benchDocs(50, 1000)
	ents := make([][]result.PiiEntity, len(docs))
	for i, d := range docs {
		ents[i] = a.Detect(d)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		k := i % len(docs)
		_ = Redact(docs[k], ents[k], RedactMask, '*')
	}
}
