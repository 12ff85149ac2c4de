package local

import (
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

// TestDecodeJobKeepsFieldsShownSinceStored: a job stored while Tenant was a hidden field (kept
// apart in the body's "Hidden" object) reads back with its tenant now that the field is shown,
// so a data directory from before keeps working; a job stored now round-trips.
func TestDecodeJobKeepsFieldsShownSinceStored(t *testing.T) {
	old := []byte(`{"job":{"JobId":"j1","JobStatus":"COMPLETED"},"hidden":{"Tenant":"team-a","API":"BatchCode"}}`)
	j, err := decodeJob(old, 3)
	if err != nil {
		t.Fatal(err)
	}
	if j.Tenant != "team-a" || j.API != "BatchCode" || j.JobId != "j1" || j.Version != 3 {
		t.Errorf("decoded %+v; want tenant team-a, API BatchCode, version 3", j)
	}
	body, err := encodeJob(&job.Job{JobId: "j2", Tenant: "team-b", JobStatus: job.Submitted})
	if err != nil {
		t.Fatal(err)
	}
	if j, err := decodeJob(body, 1); err != nil || j.Tenant != "team-b" {
		t.Errorf("round trip: %+v, %v", j, err)
	}
}
