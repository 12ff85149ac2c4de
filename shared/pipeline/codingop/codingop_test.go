package codingop

import (
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

func TestStatus(t *testing.T) {
	for _, c := range []struct {
		s    job.Status
		want string
	}{
		{job.AwaitingInput, api.OpAwaitingInput}, {job.InProgress, api.OpInProgress}, {job.StopRequested, api.OpInProgress},
		{job.Completed, api.OpComplete}, {job.PartialSuccess, api.OpComplete}, {job.TimedOut, api.OpTimedOut},
		{job.Failed, api.OpFailed}, {job.Stopped, api.OpFailed},
	} {
		if got := Status(c.s); got != c.want {
			t.Errorf("Status(%s) = %s; want %s", c.s, got, c.want)
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
