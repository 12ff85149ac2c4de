package codingop

import (
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/analysis/coding"
	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

func TestStatus(t *testing.T) {
	cases := []struct {
		s    job.Status
		want string
	}{
		{job.AwaitingInput, api.OpAwaitingInput}, {job.Submitted, api.OpInProgress}, {job.InProgress, api.OpInProgress}, {job.StopRequested, api.OpInProgress},
		{job.Completed, api.OpComplete}, {job.PartialSuccess, api.OpComplete}, {job.TimedOut, api.OpTimedOut},
		{job.Failed, api.OpFailed}, {job.Stopped, api.OpFailed},
	}
	seen := map[job.Status]bool{}
	for _, c := range cases {
		seen[c.s] = true
		if got := Status(c.s); got != c.want {
			t.Errorf("Status(%s) = %s; want %s", c.s, got, c.want)
		}
	}
	for _, st := range job.AllStatuses { // every status, so that a new one is mapped on purpose
		if !seen[st] {
			t.Errorf("no case for status %s", st)
		}
	}
}

func TestCodedLine(t *testing.T) {
	for in, want := range map[string]string{
		`{"RecordId":"a","ErrorCode":"INVALID_RECORD","ErrorMessage":"no title"}`:                          `{"recordId":"a","error":{"code":"INVALID_RECORD","message":"no title"}}`,
		`{"RecordId":"b","Coding":{"Result":{"CodeCategory":"211","CodeLabel":"x","CodeConfidence":0.5}}}`: `{"recordId":"b","result":{"codeCategory":"211","codeLabel":"x","codeConfidence":0.5}}`,
	} {
		got, err := CodedLine([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("CodedLine(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
}

// TestTooFewMessage: the Message of a training that could not train says why in terms that hold
// for the counts it had; in particular when every usable record fell in the held-out share
// (one title repeated, or titles that all hash there), it says nothing was left to train on
// rather than that it "needs at least 50 held out" while holding out more than that.
func TestTooFewMessage(t *testing.T) {
	sc := Schemes["occupation"]
	for _, c := range []struct {
		name         string
		few          coding.TooFewExamplesError
		want, reject []string
	}{
		{"none usable", coding.TooFewExamplesError{HeldOutShare: 0.1},
			[]string{"none of the labelled records is usable", "at least 500 usable records"}, nil},
		{"few held out", coding.TooFewExamplesError{Train: 4, HeldOut: 0, HeldOutShare: 0.1},
			[]string{"too few labelled records: 4 usable, 0 of them held out", "needs at least 50 held out", "at least 500 usable records"}, nil},
		{"all held out, over the minimum", coding.TooFewExamplesError{Train: 0, HeldOut: 328, HeldOutShare: 0.1},
			[]string{"all 328 usable records are held out", "leaving none to train it on", "at least 500 usable records with varied titles"},
			[]string{"needs at least 50 held out", "328 of them"}},
		{"all held out, under the minimum", coding.TooFewExamplesError{Train: 0, HeldOut: 7, HeldOutShare: 0.1},
			[]string{"all 7 usable records are held out", "leaving none to train it on"}, []string{"needs at least 50 held out"}},
	} {
		got := TooFewMessage(&c.few, sc)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", c.name, got, w)
			}
		}
		for _, r := range c.reject {
			if strings.Contains(got, r) {
				t.Errorf("%s: %q says %q", c.name, got, r)
			}
		}
	}
}
