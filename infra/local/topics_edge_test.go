package local

import (
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestTopicsTinyCollections: a collection with no word in common fails with a Message that says
// why (never stuck, never a crash); three short documents with K=10 still get topics.
func TestTopicsTinyCollections(t *testing.T) {
	ctx := testCtx(t)
	s := startStack(t, Config{}, pipeline.Hooks{})
	c := defaultClient(s)
	for _, tt := range []struct {
		in   string
		want job.Status
	}{
		{"just one line here\n", job.Failed},
		{"the and of\n\n", job.Failed},
		{"apple banana cherry\napple banana grape\nbanana cherry grape\n", job.Completed},
	} {
		res := createAndUpload(t, ctx, c, topicsJob(1), []byte(tt.in))
		_, j := follow(t, ctx, c, res.JobId)
		if j.JobStatus != tt.want {
			t.Errorf("%q: %s (%s), want %s", tt.in, j.JobStatus, j.Message, tt.want)
		}
		if tt.want == job.Failed && !strings.Contains(j.Message, "nothing to fit a topic model on") {
			t.Errorf("%q: Message %q does not say why", tt.in, j.Message)
		}
	}
}
