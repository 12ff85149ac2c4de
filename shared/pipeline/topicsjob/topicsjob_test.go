package topicsjob

import (
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

// TestTopicsStoppedMessage: a stopped TOPICS job's Message names the stage Describe showed (the
// initial fit said "while sampling") and, stopped while assigning, does not claim that no
// model was produced (found from outside).
func TestTopicsStoppedMessage(t *testing.T) {
	fit := &job.Job{JobDetails: job.Details{Stage: InitLabel}}
	if m := StoppedMessage(fit, &job.TopicsStage{Kind: Sample}); !strings.Contains(m, "while "+InitLabel) || !strings.Contains(m, "no topic model was produced") {
		t.Errorf("stopped during the initial fit: %q", m)
	}
	assign := &job.Job{JobDetails: job.Details{Stage: "assigning"}}
	if m := StoppedMessage(assign, &job.TopicsStage{Kind: Assign}); strings.Contains(m, "no topic model") || !strings.Contains(m, "writes no output") {
		t.Errorf("stopped while assigning: %q", m)
	}
	if m := StoppedMessage(&job.Job{}, &job.TopicsStage{Kind: Count}); !strings.Contains(m, "while counting") {
		t.Errorf("stopped while counting, no Stage shown: %q", m)
	}
}
