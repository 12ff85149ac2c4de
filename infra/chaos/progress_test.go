package chaos

import (
	"strings"
	"testing"
)

func TestProgressProblems(t *testing.T) {
	view := func(status string, d jobDetails) *jobView { return &jobView{JobStatus: status, JobDetails: d} }
	running := jobDetails{InputDocumentsCount: 10, ProcessedDocumentsCount: 7, DocumentsWithErrorsCount: 2, ShardsTotal: 4, ShardsDone: 2,
		InputBytes: 1000, ProcessedBytes: 500, AnalysisCounts: map[string]analysisCount{"LANGUAGE": {Succeeded: 7, Failed: 1}}}
	more := running
	more.InputDocumentsCount, more.ProcessedDocumentsCount, more.ShardsDone, more.ProcessedBytes = 15, 12, 3, 700
	more.AnalysisCounts = map[string]analysisCount{"LANGUAGE": {Succeeded: 12, Failed: 1}}
	with := func(d jobDetails, f func(*jobDetails)) jobDetails {
		d.AnalysisCounts = map[string]analysisCount{"LANGUAGE": d.AnalysisCounts["LANGUAGE"]}
		f(&d)
		return d
	}
	for _, c := range []struct {
		name       string
		prev, cur  *jobView
		wantSubstr string // "" for no problem
	}{
		{"first look", nil, view("IN_PROGRESS", running), ""},
		{"grows", view("IN_PROGRESS", running), view("IN_PROGRESS", more), ""},
		{"same", view("IN_PROGRESS", running), view("IN_PROGRESS", running), ""},
		{"documents down", view("IN_PROGRESS", more), view("IN_PROGRESS", running), "InputDocumentsCount went down from 15 to 10"},
		{"bytes down", view("IN_PROGRESS", running), view("IN_PROGRESS", with(running, func(d *jobDetails) { d.ProcessedBytes = 400 })), "ProcessedBytes went down"},
		{"shards total down", view("IN_PROGRESS", running), view("IN_PROGRESS", with(running, func(d *jobDetails) { d.ShardsTotal = 3 })), "ShardsTotal went down"},
		{"analysis down", view("IN_PROGRESS", running), view("IN_PROGRESS", with(running, func(d *jobDetails) { d.AnalysisCounts["LANGUAGE"] = analysisCount{Succeeded: 6, Failed: 1} })), "LANGUAGE counts went down"},
		{"analysis gone", view("IN_PROGRESS", running), view("IN_PROGRESS", with(running, func(d *jobDetails) { d.AnalysisCounts = nil })), "LANGUAGE left AnalysisCounts"},
		{"input bytes changed", view("IN_PROGRESS", running), view("IN_PROGRESS", with(running, func(d *jobDetails) { d.InputBytes = 999 })), "InputBytes changed"},
		{"too many shards", nil, view("IN_PROGRESS", with(running, func(d *jobDetails) { d.ShardsDone = 5 })), "ShardsDone 5 > ShardsTotal 4"},
		{"do not add up", nil, view("IN_PROGRESS", with(running, func(d *jobDetails) { d.DocumentsWithErrorsCount = 4 })), "Processed 7 + WithErrors 4 > Input 10"},
		{"bytes over", nil, view("IN_PROGRESS", with(running, func(d *jobDetails) { d.ProcessedBytes = 1001 })), "ProcessedBytes 1001 > InputBytes 1000"},
		{"analysis over", nil, view("IN_PROGRESS", with(running, func(d *jobDetails) { d.AnalysisCounts["LANGUAGE"] = analysisCount{Succeeded: 7, Failed: 4} })), "LANGUAGE Succeeded 7 + Failed 4 > Input 10"},
		{"stage forward", view("IN_PROGRESS", jobDetails{Stage: "fitting the initial model on a sample"}), view("IN_PROGRESS", jobDetails{Stage: "fitting round 1 of at most 20"}), ""},
		{"round forward", view("IN_PROGRESS", jobDetails{Stage: "fitting round 9 of at most 20"}), view("IN_PROGRESS", jobDetails{Stage: "fitting round 10 of at most 20"}), ""},
		{"to assigning", view("IN_PROGRESS", jobDetails{Stage: "fitting round 10 of at most 20"}), view("STOP_REQUESTED", jobDetails{Stage: "assigning"}), ""},
		{"stage back", view("IN_PROGRESS", jobDetails{Stage: "fitting round 1 of at most 20"}), view("IN_PROGRESS", jobDetails{Stage: "fitting the initial model on a sample"}), "Stage went back"},
		{"round back", view("IN_PROGRESS", jobDetails{Stage: "fitting round 10 of at most 20"}), view("IN_PROGRESS", jobDetails{Stage: "fitting round 9 of at most 20"}), "Stage went back"},
		{"ended", view("IN_PROGRESS", jobDetails{Stage: "assigning"}), view("COMPLETED", jobDetails{}), ""},
		{"ended with a stage", view("IN_PROGRESS", jobDetails{Stage: "assigning"}), view("STOPPED", jobDetails{Stage: "assigning"}), `Stage "assigning" on a STOPPED job`},
		{"unknown stage", nil, view("IN_PROGRESS", jobDetails{Stage: "thinking"}), `unknown Stage "thinking"`},
	} {
		got := strings.Join(progressProblems(c.prev, c.cur), "; ")
		if c.wantSubstr == "" && got != "" || !strings.Contains(got, c.wantSubstr) {
			t.Errorf("%s: %q, want %q", c.name, got, c.wantSubstr)
		}
	}
}
