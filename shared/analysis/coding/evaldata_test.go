package coding

import (
	"fmt"
	"os"
	"testing"
)

// TestMain says loudly when the tests that read the full labelled file skip or narrow their
// checks because it is absent (a clone without ../shared beside it): see
// shared/analysis/evaldata_test.go for where the warning shows.
func TestMain(m *testing.M) {
	if _, err := os.Stat(dataFile); err != nil {
		fmt.Fprintf(os.Stderr, "WARNING: coding data checks SKIPPED (TestSplit's pass over the full file; TestSOC2010CoversData falls back to the testdata splits): %s not found; clone Ream beside ../shared (its data/ directory)\n", dataFile)
	}
	os.Exit(m.Run())
}
