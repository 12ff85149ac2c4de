package coding

import (
	"fmt"
	"os"
	"testing"
)

// TestEvaluationData says loudly when the tests that read the full labelled file skip or
// narrow their checks because it is absent (a clone without ../shared beside it): see
// shared/analysis/evaldata_test.go for where the warning shows.
func TestEvaluationData(t *testing.T) {
	if _, err := os.Stat(dataFile); err != nil {
		msg := fmt.Sprintf("coding data checks SKIPPED (TestSplit's pass over the full file; TestSOC2010CoversData falls back to the testdata splits): %s not found; clone Ream beside ../shared (its data/ directory)", dataFile)
		fmt.Fprintln(os.Stderr, "WARNING: "+msg)
		t.Log(msg)
	}
}
