package handlers

import (
	"fmt"
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

// TestComprehendMessagesShowItsJobIds: a Message names a job as the Comprehend surface shows
// it (no dashes; found from outside, where Describe said one id and the error another), and
// leaves the ids inside locations alone.
func TestComprehendMessagesShowItsJobIds(t *testing.T) {
	const id = "2c241a35-6f7b-4c1e-9a7d-0123456789ab"
	err := fmt.Errorf("%w: job %s is already COMPLETED; its output is file:///d/outputs/t/%s/output.tar.gz (job %s)", job.ErrConflict, id, id, id)
	_, typ, msg := (&comprehend{}).errorOf("Stop", err)
	want := "job 2c241a356f7b4c1e9a7d0123456789ab is already COMPLETED; its output is file:///d/outputs/t/" + id + "/output.tar.gz (job 2c241a356f7b4c1e9a7d0123456789ab)"
	if typ != "InvalidRequestException" || msg != want {
		t.Errorf("got %s %q\nwant %q", typ, msg, want)
	}
}
