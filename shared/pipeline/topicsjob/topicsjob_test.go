package topicsjob

import (
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/analysis/topics"
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

// TestStageOrder: after the initial model (round 0) or a round's, the next stage is the next
// round, or assigning once the model is done (converged, or its rounds all run); the stage
// labels Describe shows name each stage.
func TestStageOrder(t *testing.T) {
	for _, c := range []struct {
		m         *topics.Model
		round     int
		wantKind  string
		wantRound int
	}{
		{&topics.Model{Options: topics.FitOptions{Rounds: 3}}, 0, Round, 1},
		{&topics.Model{Options: topics.FitOptions{Rounds: 3}, Round: 2}, 2, Round, 3},
		{&topics.Model{Options: topics.FitOptions{Rounds: 3}, Round: 3}, 3, Assign, 3},
		{&topics.Model{Options: topics.FitOptions{Rounds: 3}, Round: 1, Converged: true}, 1, Assign, 1},
	} {
		if kind, round := NextAfter(c.m, c.round); kind != c.wantKind || round != c.wantRound {
			t.Errorf("after round %d (model round %d of %d, converged %v): %s %d; want %s %d",
				c.round, c.m.Round, c.m.Options.Rounds, c.m.Converged, kind, round, c.wantKind, c.wantRound)
		}
	}
	for ts, want := range map[job.TopicsStage]string{
		{Kind: Count}:           "counting",
		{Kind: Sample}:          "sampling",
		{Kind: Round, Round: 2}: "fitting round 2 of at most 7",
		{Kind: Assign}:          "assigning",
	} {
		if got := StageLabel(&ts, 7); got != want {
			t.Errorf("StageLabel(%+v) = %q; want %q", ts, got, want)
		}
	}
}

// TestLateCopy: a shard message of a stage before the job's current one is a late copy; one of
// the current stage is not.
func TestLateCopy(t *testing.T) {
	ts := &job.TopicsStage{Shards: 4, Index: 2}
	for index, want := range map[int]bool{0: true, 7: true, 8: false, 11: false} {
		if got := LateCopy(ts, index); got != want {
			t.Errorf("LateCopy(stage 2 of 4 shards, message %d) = %v; want %v", index, got, want)
		}
	}
}
