package coding

import (
	"os"
	"testing"
)

func loadTestdata(tb testing.TB, name string) []Example {
	tb.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	ex := NewTSVExamples(f)
	defer ex.Close()
	var out []Example
	for {
		e, ok, err := ex.Next()
		if err != nil {
			tb.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, e)
	}
}

// BenchmarkPredict measures Model.Predict (top 3) over the test split's titles, one record
// per iteration; records/s per core is 1e9 / ns/op with -cpu 1.
func BenchmarkPredict(b *testing.B) {
	m, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	recs := loadTestdata(b, "soc2010-test.tsv")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r := recs[i%len(recs)]
		m.Predict(r.Occp, r.Tasks, 3)
	}
}

// BenchmarkCode measures Model.Code (the decision and its 3 suggestions), one record per
// iteration.
func BenchmarkCode(b *testing.B) {
	m, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	recs := loadTestdata(b, "soc2010-test.tsv")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r := recs[i%len(recs)]
		m.Code(r.Occp, r.Tasks)
	}
}

func openTestdata(name string) (*os.File, error) { return os.Open("testdata/" + name) }
