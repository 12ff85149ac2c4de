package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

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
		if got := progressFrame(tc.j, true); got != tc.want {
			t.Errorf("%s %d/%d: frame %q, want %q", tc.j.JobStatus, tc.j.JobDetails.ShardsDone, tc.j.JobDetails.ShardsTotal, got, tc.want)
		}
		if strings.Contains(progressFrame(tc.j, true), "0/0") {
			t.Errorf("%s: a 0/0 frame", tc.j.JobStatus)
		}
	}

	var buf bytes.Buffer
	bar := newProgress(&buf, true)
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
	bar = newProgress(&buf, true)
	bar.update(jobIn(job.InProgress, 1, 2, 11))
	bar.update(jobIn(job.Submitted, 0, 0, 0)) // shorter: padded over the longer frame
	if got := buf.String(); !strings.HasSuffix(got, "(SUBMITTED)"+strings.Repeat(" ", len(progressFrame(jobIn(job.InProgress, 1, 2, 11), true))-len("waiting for the job to start (SUBMITTED)"))) {
		t.Errorf("shorter frame not padded: %q", got)
	}
	buf.Reset()
	bar = newProgress(&buf, true)
	bar.update(jobIn(job.Failed, 0, 0, 0))
	bar.done()
	if buf.Len() != 0 {
		t.Errorf("a job failed before it had shards drew %q", buf.String())
	}
}

// TestProgressLines: off a terminal (a log, a CI job, a pipe) the bar is whole lines, without
// the rate and ETA, written when the status or stage changes and otherwise at most every
// progressLineEvery, not thousands of "\r" frames on one line (found running ream submit
// under a CI log: a 580,000-document job wrote 3,000 frames).
func TestProgressLines(t *testing.T) {
	var buf bytes.Buffer
	bar := newProgress(&buf, false)
	clock := time.Unix(1e9, 0)
	bar.now = func() time.Time { return clock }
	eta := clock.Add(time.Minute)
	at := func(st job.Status, done int, stage string) *job.Job {
		return &job.Job{JobStatus: st, JobDetails: job.Details{ShardsDone: done, ShardsTotal: 10, InputDocumentsCount: int64(done * 100),
			DocumentsPerSecond: new(123.0), EstimatedCompletionTime: &eta, Stage: stage}}
	}
	bar.update(at(job.InProgress, 0, ""))
	for done := 1; done <= 5; done++ { // within progressLineEvery: no line
		clock = clock.Add(time.Second)
		bar.update(at(job.InProgress, done, ""))
	}
	clock = clock.Add(progressLineEvery)
	bar.update(at(job.InProgress, 6, ""))
	bar.update(at(job.InProgress, 6, "assigning")) // a new stage: at once
	bar.update(at(job.Completed, 10, ""))          // a new status: at once
	bar.done()
	want := "[..............................] 0/10 shards  0 documents  0 errors  IN_PROGRESS\n" +
		"[##################............] 6/10 shards  600 documents  0 errors  IN_PROGRESS\n" +
		"[##################............] 6/10 shards  600 documents  0 errors  IN_PROGRESS  assigning\n" +
		"[##############################] 10/10 shards  1000 documents  0 errors  COMPLETED\n"
	if buf.String() != want {
		t.Errorf("lines\n%s\nwant\n%s", buf.String(), want)
	}
}
