package pipeline

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/job"
)

// TestDocError: the DocError an analyser returns is found as it is and wrapped (as errors.As
// finds it), and another error is not one.
func TestDocError(t *testing.T) {
	de := &analysis.DocError{Code: job.CodeUnsupportedLanguage, Message: "SENTIMENT supports English (en) only"}
	if got := docError(de); got != de {
		t.Errorf("docError(the DocError) = %v", got)
	}
	if got := docError(fmt.Errorf("analyse: %w", de)); got != de {
		t.Errorf("docError(a wrapped DocError) = %v", got)
	}
	if got := docError(errors.New("boom")); got != nil {
		t.Errorf("docError(another error) = %v; want nil", got)
	}
}
