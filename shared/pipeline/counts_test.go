package pipeline_test

import (
	"context"
	"testing"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline"
)

// TestAnalysisCountsShownFromTheStart: the create answer, Describe and List show a count for every analysis of the
// job that runs on each document, zero before any shard is recorded and for an analysis no
// document reached (found from outside: AnalysisCounts was absent until a shard was recorded),
// and none for TOPICS.
func TestAnalysisCountsShownFromTheStart(t *testing.T) {
	ctx := context.Background()
	st := newLocalService(t, pipeline.Config{}, nil)
	want := job.AnalysisCounts{job.Language: {}, job.Sentiment: {}}
	created, err := st.svc.CreateJob(ctx, "local", api.CreateJobRequest{Analyses: []job.Analysis{job.Language, job.Sentiment}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}})
	if err != nil || !equalCounts(created.JobDetails.AnalysisCounts, want) {
		t.Fatalf("the create answer: %v, %v; want AnalysisCounts %v", created, err, want)
	}
	id := storedLineJob(t, ctx, st, nil, "inputs/local/in.txt", "one line\n", job.Language, func(r *api.CreateJobRequest) {
		r.Analyses = []job.Analysis{job.Language, job.Sentiment}
	})
	j, err := st.svc.Describe(ctx, "local", id)
	if err != nil {
		t.Fatal(err)
	}
	if !equalCounts(j.JobDetails.AnalysisCounts, want) {
		t.Fatalf("before any shard: AnalysisCounts %v; want %v", j.JobDetails.AnalysisCounts, want)
	}
	jobs, _, err := st.svc.List(ctx, "local", api.ListFilter{})
	if err != nil || len(jobs) != 2 || !equalCounts(jobs[0].JobDetails.AnalysisCounts, want) {
		t.Fatalf("List before any shard: %v %v; want %v", jobs, err, want)
	}

	// Every document failed before any analysis (empty lines are not documents; invalid UTF-8 is
	// a document-level error): the counts stay zero, and are shown.
	bad := storedLineJob(t, ctx, st, nil, "inputs/local/bad.txt", "\xff\xfe bad\n", job.Language, nil)
	processQueue(t, ctx, st.svc, st.queue)
	j, err = st.svc.Describe(ctx, "local", bad)
	if err != nil {
		t.Fatal(err)
	}
	if j.JobStatus != job.Failed || !equalCounts(j.JobDetails.AnalysisCounts, job.AnalysisCounts{job.Language: {}}) {
		t.Fatalf("every document failed: %s, AnalysisCounts %v; want FAILED and LANGUAGE 0/0", j.JobStatus, j.JobDetails.AnalysisCounts)
	}

	topics := storedLineJob(t, ctx, st, nil, "inputs/local/t.txt", "one line\n", job.Topics, nil)
	if j, err = st.svc.Describe(ctx, "local", topics); err != nil || j.JobDetails.AnalysisCounts != nil {
		t.Fatalf("a TOPICS job: AnalysisCounts %v, %v; want none", j.JobDetails.AnalysisCounts, err)
	}
}

func equalCounts(a, b job.AnalysisCounts) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if got, ok := a[k]; !ok || got != v {
			return false
		}
	}
	return true
}
