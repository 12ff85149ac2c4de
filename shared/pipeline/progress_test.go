package pipeline

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/job"
)

// TestProgressRate: DocumentsPerSecond divides the documents the store counted by the time its
// buckets cover (a little more than a minute, or since the job started), so a steady job shows
// a steady rate and a job in its first second shows its real one (found from outside: the rate
// ran 0–17 % high in a 10-second sawtooth after the first minute, and a job 0.3 s in with 7,262
// documents showed 7,262/s). While the last shards are finalized the estimate is now.
func TestProgressRate(t *testing.T) {
	day := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	running := func(started time.Time, recent, in, done int64) *job.Job {
		return &job.Job{JobStatus: job.InProgress, StartedAt: &started, JobDetails: job.Details{
			RecentDocuments: recent, InputBytes: in, ProcessedBytes: done}}
	}
	for _, c := range []struct {
		name     string
		now      time.Time
		j        *job.Job
		wantRate float64
	}{
		// 100 documents a second for 5 minutes; at 12:00:05 the store summed the buckets from
		// 11:59:00, 65 s of them.
		{"steady, mid-bucket", day.Add(5 * time.Second), running(day.Add(-5*time.Minute), 6500, 100, 50), 100},
		{"steady, bucket edge", day, running(day.Add(-5*time.Minute), 6000, 100, 50), 100},
		{"steady, late in a bucket", day.Add(9 * time.Second), running(day.Add(-5*time.Minute), 6900, 100, 50), 100},
		{"first 0.3 s", day.Add(300 * time.Millisecond), running(day, 7262, 100, 50), 24206.7},
		{"first 30 s", day.Add(30 * time.Second), running(day, 3000, 100, 50), 100},
	} {
		progress(c.j, c.now)
		if got := c.j.JobDetails.DocumentsPerSecond; got == nil || *got != c.wantRate {
			t.Errorf("%s: DocumentsPerSecond %v, want %v", c.name, got, c.wantRate)
		}
	}
	// The store read its clock just before a bucket edge and the service just after: the rate
	// divides by the span the store summed (from 11:59:00), not by the service's (from 11:59:10),
	// which would show 7,010 documents over 60.1 s (found in review).
	edge := running(day.Add(-5*time.Minute), 7010, 100, 50)
	edge.JobDetails.RecentSince = day.Add(-time.Minute)
	progress(edge, day.Add(10*time.Second+100*time.Millisecond))
	if got := edge.JobDetails.DocumentsPerSecond; got == nil || *got != 100 {
		t.Errorf("across a bucket edge: DocumentsPerSecond %v, want 100", got)
	}
	// Nothing recorded in the window: the rate is there and 0, not absent (found from outside:
	// the README says a running job shows it).
	idle := running(day.Add(-5*time.Minute), 0, 100, 50)
	progress(idle, day)
	if got := idle.JobDetails.DocumentsPerSecond; got == nil || *got != 0 {
		t.Errorf("a running job that recorded nothing lately: DocumentsPerSecond %v, want 0", got)
	}
	if b, _ := json.Marshal(idle.JobDetails); !strings.Contains(string(b), `"DocumentsPerSecond":0`) {
		t.Errorf("a rate of 0 is not in the JSON: %s", b)
	}
	j := running(day, 100, 100, 100)
	progress(j, day.Add(time.Minute))
	if eta := j.JobDetails.EstimatedCompletionTime; eta == nil || !eta.Equal(day.Add(time.Minute)) {
		t.Errorf("every byte done, job not yet finalized: EstimatedCompletionTime %v, want now", eta)
	}
	j = running(day, 100, 100, 25)
	progress(j, day.Add(time.Minute))
	if eta := j.JobDetails.EstimatedCompletionTime; eta == nil || !eta.Equal(day.Add(4*time.Minute)) {
		t.Errorf("a quarter done in a minute: EstimatedCompletionTime %v, want 3 minutes on", eta)
	}
}
