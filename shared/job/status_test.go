package job

import (
	"errors"
	"testing"
)

// TestTransitionTable checks every (from, to) pair against the legal moves written out here
// independently of the table in status.go, so a change to either shows up.
func TestTransitionTable(t *testing.T) {
	legal := map[[2]Status]bool{
		{AwaitingInput, Submitted}:   true,
		{AwaitingInput, TimedOut}:    true,
		{AwaitingInput, Stopped}:     true,
		{Submitted, InProgress}:      true,
		{Submitted, Failed}:          true,
		{Submitted, StopRequested}:   true,
		{InProgress, Completed}:      true,
		{InProgress, PartialSuccess}: true,
		{InProgress, Failed}:         true,
		{InProgress, StopRequested}:  true,
		{StopRequested, Stopped}:     true,
		{StopRequested, Failed}:      true,
	}
	for _, from := range AllStatuses {
		for _, to := range AllStatuses {
			want := legal[[2]Status{from, to}]
			if got := CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
			j := &Job{JobStatus: from}
			err := j.Transition(to)
			switch {
			case want && err != nil:
				t.Errorf("%s → %s: unexpected error %v", from, to, err)
			case want && j.JobStatus != to:
				t.Errorf("%s → %s: status is %s", from, to, j.JobStatus)
			case !want && !errors.Is(err, ErrIllegalTransition):
				t.Errorf("%s → %s: want ErrIllegalTransition, got %v", from, to, err)
			case !want && j.JobStatus != from:
				t.Errorf("%s → %s: illegal move changed the status to %s", from, to, j.JobStatus)
			}
		}
	}
}

func TestTerminal(t *testing.T) {
	tests := []struct {
		s    Status
		want bool
	}{
		{AwaitingInput, false}, {Submitted, false}, {InProgress, false}, {StopRequested, false},
		{Completed, true}, {PartialSuccess, true}, {Failed, true}, {Stopped, true}, {TimedOut, true},
	}
	for _, tt := range tests {
		if got := tt.s.Terminal(); got != tt.want {
			t.Errorf("%s.Terminal() = %v, want %v", tt.s, got, tt.want)
		}
		// A terminal status has no way out; a non-terminal one has at least one.
		out := 0
		for _, to := range AllStatuses {
			if CanTransition(tt.s, to) {
				out++
			}
		}
		if tt.want != (out == 0) {
			t.Errorf("%s: terminal=%v but %d outgoing transitions", tt.s, tt.want, out)
		}
	}
	if Status("BOGUS").Valid() {
		t.Error("unknown status reported valid")
	}
}

func TestCloneIsDeep(t *testing.T) {
	j := &Job{Analyses: []Analysis{Language}, Tags: []Tag{{Key: "a", Value: "b"}}}
	c := j.Clone()
	c.Analyses[0] = Sentiment
	c.Tags[0].Value = "x"
	if j.Analyses[0] != Language || j.Tags[0].Value != "b" {
		t.Fatal("Clone shares slices with the original")
	}
}
