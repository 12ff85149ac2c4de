package pipeline_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestListPageFitsALambdaAnswer: a page of the job listing ends before the job that would take it
// past api.MaxPageBytes, with a NextToken that goes on from there, so that it fits the 6 MB a
// Lambda may answer. Found from outside: jobs with 50 tags of the longest Unicode keys and values
// weigh about 60 KB each, and a page of MaxResults=500 of them made a 30 MB answer, which the api
// function cannot return on AWS. Paging still lists every job once.
func TestListPageFitsALambdaAnswer(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	const n = 100
	var tags []job.Tag
	for i := range 50 {
		tags = append(tags, job.Tag{Key: fmt.Sprintf("%s%03d", strings.Repeat("键", 125), i), Value: strings.Repeat("值", 256)})
	}
	for i := range n {
		_, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{JobName: fmt.Sprint("heavy-", i), Tags: tags,
			Analyses: []job.Analysis{job.Language}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}})
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	f := api.ListFilter{MaxResults: pipeline.MaxListResults}
	for pages := 0; ; pages++ {
		jobs, next, err := st.svc.List(ctx, "local", f)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(api.ListResponse{Jobs: jobs, NextToken: next})
		if len(b) > api.MaxPageBytes {
			t.Errorf("page %d: %d jobs, %d bytes, over %d", pages, len(jobs), len(b), api.MaxPageBytes)
		}
		if pages == 0 && (len(jobs) == n || next == "") {
			t.Errorf("the first page holds %d of %d jobs (NextToken %q): want it cut, with a NextToken", len(jobs), n, next)
		}
		for _, j := range jobs {
			if seen[j.JobId] {
				t.Errorf("job %s listed twice", j.JobName)
			}
			seen[j.JobId] = true
		}
		if next == "" {
			break
		}
		f.NextToken = next
	}
	if len(seen) != n {
		t.Errorf("paging listed %d jobs, want %d", len(seen), n)
	}
}

// TestListTokenIsItsCallers: a NextToken returned to one tenant is refused (ErrInvalid, saying
// so) when another tenant pages with it. Found from outside: it was taken as a position in the
// other tenant's own listing, which revealed nothing (every store filters by the caller's
// tenant) but paged from a point that was never theirs, silently.
func TestListTokenIsItsCallers(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	for _, tenant := range []string{"tenant-a", "tenant-b"} {
		for i := range 3 {
			if _, err := st.svc.CreateJob(ctx, tenant, api.CreateJobRequest{JobName: fmt.Sprint("job-", i),
				Analyses: []job.Analysis{job.Language}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, next, err := st.svc.List(ctx, "tenant-a", api.ListFilter{MaxResults: 1})
	if err != nil || next == "" {
		t.Fatalf("tenant-a's first page: NextToken %q, %v", next, err)
	}
	if _, _, err := st.svc.List(ctx, "tenant-b", api.ListFilter{MaxResults: 1, NextToken: next}); !errors.Is(err, job.ErrInvalid) || !strings.Contains(err.Error(), "another caller") {
		t.Errorf("tenant-b paging with tenant-a's NextToken: %v; want ErrInvalid saying it was returned to another caller", err)
	}
	jobs, _, err := st.svc.List(ctx, "tenant-a", api.ListFilter{MaxResults: 1, NextToken: next})
	if err != nil || len(jobs) != 1 {
		t.Errorf("tenant-a paging with its own NextToken: %d jobs, %v", len(jobs), err)
	}
	// A token of a release before tokens recorded their caller (no "o" field) still pages, as
	// the README and the commit that bound tokens say: checked from the token itself, rid of
	// its owner, so that nobody's paging breaks across the upgrade.
	raw, err := base64.RawURLEncoding.DecodeString(next)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	if _, ok := fields["o"]; !ok {
		t.Fatalf("the NextToken %s records no owner", raw)
	}
	delete(fields, "o")
	raw, err = json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	old := base64.RawURLEncoding.EncodeToString(raw)
	if jobs, _, err := st.svc.List(ctx, "tenant-a", api.ListFilter{MaxResults: 1, NextToken: old}); err != nil || len(jobs) != 1 {
		t.Errorf("tenant-a paging with a NextToken of an earlier release (no owner): %d jobs, %v", len(jobs), err)
	}
}

// TestListTokenIsItsFilters: a NextToken pages only the listing that returned it: used with
// another JobName, JobStatus or submit-time filter it is refused (ErrInvalid, saying so), not
// taken as a position in that other listing; with another MaxResults it pages on.
func TestListTokenIsItsFilters(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	for i := range 3 {
		if _, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{JobName: "same",
			Analyses: []job.Analysis{job.Language}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}); err != nil {
			t.Fatal(i, err)
		}
	}
	_, next, err := st.svc.List(ctx, "local", api.ListFilter{MaxResults: 1, JobName: "same"})
	if err != nil || next == "" {
		t.Fatalf("the first page: NextToken %q, %v", next, err)
	}
	for name, f := range map[string]api.ListFilter{
		"no JobName":      {},
		"another JobName": {JobName: "other"},
		"a JobStatus":     {JobName: "same", Status: job.AwaitingInput},
		"a submit time":   {JobName: "same", SubmittedBefore: time.Now().Add(time.Hour)},
	} {
		f.MaxResults, f.NextToken = 1, next
		if _, _, err := st.svc.List(ctx, "local", f); !errors.Is(err, job.ErrInvalid) || !strings.Contains(err.Error(), "filters") {
			t.Errorf("paging with %s: %v; want ErrInvalid naming the filters", name, err)
		}
	}
	if jobs, _, err := st.svc.List(ctx, "local", api.ListFilter{MaxResults: 2, JobName: "same", NextToken: next}); err != nil || len(jobs) != 2 {
		t.Errorf("paging with the same filters, MaxResults 2: %d jobs, %v; want 2", len(jobs), err)
	}
}

// TestListMaxResultsBounds: a listing's MaxResults is 1-500 (0: the default) and its JobName
// filter at most 256 characters, and its SubmitTimeAfter before its SubmitTimeBefore; past
// them, a bad request.
func TestListMaxResultsBounds(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	for n, ok := range map[int]bool{0: true, 1: true, pipeline.MaxListResults: true, pipeline.MaxListResults + 1: false, -1: false} {
		_, _, err := st.svc.List(ctx, "local", api.ListFilter{MaxResults: n})
		if ok != (err == nil) || !ok && !errors.Is(err, job.ErrInvalid) {
			t.Errorf("MaxResults %d: %v; want taken %v", n, err, ok)
		}
	}
	// A JobName filter is at most 256 characters, as a JobName.
	if _, _, err := st.svc.List(ctx, "local", api.ListFilter{JobName: strings.Repeat("é", 256)}); err != nil {
		t.Errorf("a JobName filter of 256 characters: %v", err)
	}
	if _, _, err := st.svc.List(ctx, "local", api.ListFilter{JobName: strings.Repeat("é", 257)}); !errors.Is(err, job.ErrInvalid) {
		t.Errorf("a JobName filter of 257 characters: %v; want ErrInvalid", err)
	}
	// SubmitTimeAfter must be before SubmitTimeBefore: the same instant is refused.
	at := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	if _, _, err := st.svc.List(ctx, "local", api.ListFilter{SubmittedAfter: at, SubmittedBefore: at}); !errors.Is(err, job.ErrInvalid) {
		t.Errorf("SubmitTimeAfter = SubmitTimeBefore: %v; want ErrInvalid", err)
	}
	if _, _, err := st.svc.List(ctx, "local", api.ListFilter{SubmittedAfter: at, SubmittedBefore: at.Add(time.Nanosecond)}); err != nil {
		t.Errorf("SubmitTimeAfter just before SubmitTimeBefore: %v", err)
	}
}
