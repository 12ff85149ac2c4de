package job

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestTransitionTable checks every (from, to) pair against the legal moves written out here
// independently of the table in status.go, so a change to either shows up.
func TestTransitionTable(t *testing.T) {
	legal := map[[2]Status]bool{
		{AwaitingInput, Submitted}:      true,
		{AwaitingInput, TimedOut}:       true,
		{AwaitingInput, Stopped}:        true,
		{Submitted, InProgress}:         true,
		{Submitted, Failed}:             true,
		{Submitted, StopRequested}:      true,
		{InProgress, Completed}:         true,
		{InProgress, PartialSuccess}:    true,
		{InProgress, Failed}:            true,
		{InProgress, StopRequested}:     true,
		{StopRequested, Stopped}:        true,
		{StopRequested, Failed}:         true,
		{StopRequested, Completed}:      true,
		{StopRequested, PartialSuccess}: true,
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

// ProcessedBytes is shown from the start of a planned job, zero included (found from outside:
// the first look at a running job had InputBytes and no ProcessedBytes); a job not planned yet,
// or a TOPICS job (no bytes), shows neither. The other fields are as without the method.
func TestDetailsJSONBytes(t *testing.T) {
	for _, tc := range []struct {
		d    Details
		want string
	}{
		{Details{}, `{"InputDocumentsCount":0,"ProcessedDocumentsCount":0,"DocumentsWithErrorsCount":0,"ShardsTotal":0,"ShardsDone":0}`},
		{Details{ShardsTotal: 2, InputBytes: 10}, `{"InputDocumentsCount":0,"ProcessedDocumentsCount":0,"DocumentsWithErrorsCount":0,"ShardsTotal":2,"ShardsDone":0,"InputBytes":10,"ProcessedBytes":0}`},
		{Details{ShardsTotal: 2, ShardsDone: 1, InputBytes: 10, ProcessedBytes: 4, Stage: ""}, `{"InputDocumentsCount":0,"ProcessedDocumentsCount":0,"DocumentsWithErrorsCount":0,"ShardsTotal":2,"ShardsDone":1,"InputBytes":10,"ProcessedBytes":4}`},
	} {
		b, err := json.Marshal(tc.d)
		if err != nil || string(b) != tc.want {
			t.Errorf("%+v: %s, %v; want %s", tc.d, b, err, tc.want)
		}
		var back Details
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, tc.d) {
			t.Errorf("%s decodes to %+v, %v; want %+v", b, back, err, tc.d)
		}
	}
	// Inside a job too (the API's and the local store's encoding).
	b, _ := json.Marshal(&Job{JobId: "j", JobDetails: Details{InputBytes: 5}})
	if !strings.Contains(string(b), `"ProcessedBytes":0`) {
		t.Errorf("job JSON %s lacks ProcessedBytes", b)
	}
}

// ActiveStatuses are exactly the statuses that are not Terminal, in AllStatuses' order.
func TestActiveStatuses(t *testing.T) {
	var want []Status
	for _, s := range AllStatuses {
		if !s.Terminal() {
			want = append(want, s)
		}
	}
	if !slices.Equal(ActiveStatuses, want) {
		t.Errorf("ActiveStatuses %v, want %v", ActiveStatuses, want)
	}
}
