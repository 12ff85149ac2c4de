package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

// TestProgressFrames: before a job has shards (upload event queued, planning) the bar says it
// is waiting rather than showing an empty 0/0 AWAITING_INPUT bar; with shards it fills; a job
// that ends before it had shards draws no frame; a shorter frame wipes the longer one before it.
func TestProgressFrames(t *testing.T) {
	jobIn := func(st job.Status, done, total int, docs int64) *job.Job {
		return &job.Job{JobStatus: st, JobDetails: job.Details{ShardsDone: done, ShardsTotal: total, InputDocumentsCount: docs}}
	}
	for _, tc := range []struct {
		j    *job.Job
		want string
	}{
		{jobIn(job.AwaitingInput, 0, 0, 0), "waiting for the job to start (AWAITING_INPUT)"},
		{jobIn(job.Submitted, 0, 0, 0), "waiting for the job to start (SUBMITTED)"},
		{jobIn(job.InProgress, 0, 2, 0), "[..............................] 0/2 shards  0 documents  0 errors  IN_PROGRESS"},
		{jobIn(job.InProgress, 1, 2, 11), "[###############...............] 1/2 shards  11 documents  0 errors  IN_PROGRESS"},
		{jobIn(job.Completed, 2, 2, 22), "[##############################] 2/2 shards  22 documents  0 errors  COMPLETED"},
		{jobIn(job.Failed, 0, 0, 0), ""},
		{jobIn(job.Stopped, 0, 0, 0), ""},
	} {
		if got := progressFrame(tc.j); got != tc.want {
			t.Errorf("%s %d/%d: frame %q, want %q", tc.j.JobStatus, tc.j.JobDetails.ShardsDone, tc.j.JobDetails.ShardsTotal, got, tc.want)
		}
		if strings.Contains(progressFrame(tc.j), "0/0") {
			t.Errorf("%s: a 0/0 frame", tc.j.JobStatus)
		}
	}

	var buf bytes.Buffer
	bar := newProgress(&buf)
	bar.update(jobIn(job.AwaitingInput, 0, 0, 0))
	bar.update(jobIn(job.AwaitingInput, 0, 0, 0)) // unchanged: not drawn again
	bar.update(jobIn(job.InProgress, 1, 2, 11))
	bar.done()
	want := "\rwaiting for the job to start (AWAITING_INPUT)" +
		"\r[###############...............] 1/2 shards  11 documents  0 errors  IN_PROGRESS\n"
	if buf.String() != want {
		t.Errorf("bar output %q, want %q", buf.String(), want)
	}
	buf.Reset()
	bar = newProgress(&buf)
	bar.update(jobIn(job.InProgress, 1, 2, 11))
	bar.update(jobIn(job.Submitted, 0, 0, 0)) // shorter: padded over the longer frame
	if got := buf.String(); !strings.HasSuffix(got, "(SUBMITTED)"+strings.Repeat(" ", len(progressFrame(jobIn(job.InProgress, 1, 2, 11)))-len("waiting for the job to start (SUBMITTED)"))) {
		t.Errorf("shorter frame not padded: %q", got)
	}
	buf.Reset()
	bar = newProgress(&buf)
	bar.update(jobIn(job.Failed, 0, 0, 0))
	bar.done()
	if buf.Len() != 0 {
		t.Errorf("a job failed before it had shards drew %q", buf.String())
	}
}
