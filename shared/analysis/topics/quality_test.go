package topics

import (
	"testing"
)

// Quality on the DEP-11 application descriptions (10 categories), K=10: the reporting half
// alone is fitted (unsupervised) with the default options and the default seed, and each
// document's argmax topic is scored against its category. All choices of the method were
// made on the other (tuning) half; see internal/evaltopics.
//
// Measured: reporting half, seed 1: NMI 0.448 (seeds 1–10: mean 0.438, min 0.428, max 0.452),
// with proportions the documents' shares of words (Assign); with the membership probabilities before:
// seed 1 0.451 (seeds 1–10: mean 0.443, min 0.432, max 0.456; with 100 EM iterations per κ instead of 40: mean 0.442; one annealing run instead of
// four restarts: seed 1 0.402, mean 0.436); tuning half: mean 0.457 over seeds 1–10. Plain NMF over TF-IDF (scikit-learn, English stop words,
// NNDSVDa) gets 0.370 on the reporting half and 0.389 on the tuning half. The product target
// was 0.45; this test guards the level reached.
const minReportingNMI = 0.43

func TestQualityDEP11(t *testing.T) {
	docs, labels := half(loadDEP11(t), false)
	res, err := Fit(docs, 4, DriverOptions{Fit: FitOptions{K: 10, Seed: DefaultSeed}})
	if err != nil {
		t.Fatal(err)
	}
	cl := make([]int, len(docs))
	for i, p := range res.Proportions {
		cl[i] = Argmax(p)
	}
	nmi, pur := NMI(labels, cl), Purity(labels, cl)
	t.Logf("reporting half: %d documents, NMI %.4f, purity %.4f (%d rounds)", len(docs), nmi, pur, res.Model.Round)
	if nmi < minReportingNMI {
		t.Errorf("NMI %.4f < %.2f", nmi, minReportingNMI)
	}
}

func TestNMI(t *testing.T) {
	labels := []string{"a", "a", "b", "b"}
	if v := NMI(labels, []int{1, 1, 0, 0}); v < 0.999999 {
		t.Errorf("identical partitions: %v", v)
	}
	if v := NMI(labels, []int{0, 1, 0, 1}); v > 1e-12 {
		t.Errorf("independent partitions: %v", v)
	}
	if v := Purity(labels, []int{0, 0, 0, 1}); v != 0.75 {
		t.Errorf("purity %v", v)
	}
	// scikit-learn: normalized_mutual_info_score([0,0,0,1,1,1],[0,0,1,1,2,2]) = 0.5158037429793889
	if v := NMI([]string{"x", "x", "x", "y", "y", "y"}, []int{0, 0, 1, 1, 2, 2}); v < 0.51580374 || v > 0.51580375 {
		t.Errorf("NMI %v, want 0.5158037", v)
	}
}

func BenchmarkShardRound(b *testing.B) {
	docs := smallCorpus(b, 300)
	res := fitSmall(b, docs, 2, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ShardRound(res.Model, 0, Docs(docs)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(docs)), "ns/doc")
}

func BenchmarkAssign(b *testing.B) {
	docs := smallCorpus(b, 300)
	res := fitSmall(b, docs, 2, 1)
	a := NewAssigner(res.Model)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.Assign(docs[i%len(docs)].Text)
	}
}

func BenchmarkTokens(b *testing.B) {
	docs := smallCorpus(b, 300)
	var dst []string
	var n int
	for _, d := range docs {
		n += len(d.Text)
	}
	b.SetBytes(int64(n / len(docs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst = Tokens(docs[i%len(docs)].Text, dst[:0])
	}
}
