package analysis

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
)

// TestEvaluationData says loudly which evaluations skip because their data is absent (a clone
// without ../shared beside it, or without the IMDB module downloaded): t.Skip's reason is shown
// only with -v, and a green `go test ./...` must not be mistaken for evaluated analysers. The
// warnings go to stderr, which go test shows with -v, for a failing package, and when testing
// the package alone in its directory; `make test` runs this test again after the others and
// prints them (see Makefile). It is a test rather than TestMain so that go test's cache keys its
// result on the files and variables it looks at.
func TestEvaluationData(t *testing.T) {
	for _, w := range missingEvaluationData() {
		fmt.Fprintln(os.Stderr, "WARNING: "+w)
		t.Log(w)
	}
}

// missingEvaluationData lists the evaluations that will skip for lack of data, and how to get it.
func missingEvaluationData() []string {
	var out []string
	if p := filepath.Join(evaltest.DataDir(), "langid-dep11.tsv"); !evaltest.Exists(p) {
		out = append(out, fmt.Sprintf("language evaluations SKIPPED (TestLanguageAccuracyDEP11, TestLanguagePrefixSweep, TestLanguageMatchesLingua): %s not found; clone Ream beside ../shared (its data/ directory) or set REAM_DATA_DIR", p))
	}
	if p := evaltest.CoNLLPath(); !evaltest.Exists(p) {
		out = append(out, fmt.Sprintf("ENTITIES held-out evaluation SKIPPED (TestEntitiesCoNLLHeldOut): %s not found; clone Ream beside ../shared (its data/ directory) or set REAM_DATA_DIR", p))
	}
	if dir := evaltest.IMDBLocation(); dir == "" || !evaltest.Exists(filepath.Join(dir, "pos")) {
		out = append(out, fmt.Sprintf("IMDB sentiment evaluation SKIPPED (TestSentimentIMDB): the IMDB test split is not at %q; run `go mod download %s` or set REAM_IMDB_DIR", dir, evaltest.IMDBModule))
	}
	return out
}
