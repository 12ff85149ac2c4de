package evaltest

import (
	"flag"
	"sync"
	"testing"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

// lazyAnalyzer builds a large table on its first "short" document only, as LANGUAGE decodes
// its short-text tables at the first short document, and allocates nothing per document.
type lazyAnalyzer struct {
	once  sync.Once
	table []byte
}

func (a *lazyAnalyzer) Analyze(text string, _ result.Options, _ *result.Result) error {
	if text == "short" {
		a.once.Do(func() { a.table = make([]byte, 8<<20) })
	}
	return nil
}

// TestRunAnalyzerExcludesFirstUse: the measured loop of RunAnalyzer must not include what an
// analyser builds on first use, even when the document that triggers it is not the first. It
// runs one measured iteration over a document set whose second document triggers an 8 MiB
// build, and checks the allocations reported.
func TestRunAnalyzerExcludesFirstUse(t *testing.T) {
	f := flag.Lookup("test.benchtime")
	if f == nil {
		t.Skip("no -test.benchtime flag")
	}
	old := f.Value.String()
	if err := f.Value.Set("2x"); err != nil {
		t.Fatal(err)
	}
	defer f.Value.Set(old)
	a := &lazyAnalyzer{}
	r := testing.Benchmark(func(b *testing.B) { RunAnalyzer(b, a, []string{"long text", "short"}) })
	if a.table == nil {
		t.Fatal("the short document was never analysed")
	}
	if r.MemBytes >= 1<<20 {
		t.Errorf("the measured loop allocated %d bytes over %d documents: it counted the analyser's first-use build", r.MemBytes, r.N)
	}
}
