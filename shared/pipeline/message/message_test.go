package message

import (
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

func TestTerminalStatus(t *testing.T) {
	for _, c := range []struct {
		name                  string
		j                     job.Job
		shards, skipped, dead int64
		wantStatus            job.Status
		wantMessage           string
	}{
		{"clean", job.Job{JobDetails: job.Details{InputDocumentsCount: 3}}, 1, 0, 0, job.Completed, ""},
		{"one bad of one", job.Job{JobDetails: job.Details{InputDocumentsCount: 1, DocumentsWithErrorsCount: 1}}, 1, 0, 1, job.Failed,
			"the one document failed; the output has its error record (1 shard failed repeatedly and was dead-lettered)"},
		{"some bad", job.Job{JobDetails: job.Details{InputDocumentsCount: 5, DocumentsWithErrorsCount: 2}}, 2, 0, 0, job.PartialSuccess,
			"2 of 5 documents could not be analysed; the output has an error record for each"},
		{"stopped", job.Job{JobStatus: job.StopRequested}, 3, 1, 0, job.Stopped,
			"stopped on request: 2 of 3 shards were processed and are in the output; 1 was skipped (listed in the manifest)"},
		// A stop that skipped nothing came while the last shards ran: the job ends as it would have.
		{"stop skipped nothing", job.Job{JobStatus: job.StopRequested, JobDetails: job.Details{InputDocumentsCount: 3}}, 3, 0, 0, job.Completed, ""},
		{"stop skipped nothing, some bad", job.Job{JobStatus: job.StopRequested, JobDetails: job.Details{InputDocumentsCount: 5, DocumentsWithErrorsCount: 2}}, 2, 0, 0, job.PartialSuccess,
			"2 of 5 documents could not be analysed; the output has an error record for each"},
		{"one good of one", job.Job{JobDetails: job.Details{InputDocumentsCount: 1, ProcessedDocumentsCount: 1}}, 1, 0, 0, job.Completed, ""},
		// No document at all: none failed.
		{"no documents", job.Job{}, 1, 0, 0, job.Completed, ""},
		// A one-analysis job's failed documents are its error records: no per-analysis clause.
		{"one analysis, some bad", job.Job{Analyses: []job.Analysis{job.Sentiment}, JobDetails: job.Details{InputDocumentsCount: 5, DocumentsWithErrorsCount: 2,
			AnalysisCounts: job.AnalysisCounts{job.Sentiment: {Succeeded: 3, Failed: 2}}}}, 1, 0, 0, job.PartialSuccess,
			"2 of 5 documents could not be analysed; the output has an error record for each"},
		// Several analyses: each that failed on some document is named, in the job's order; those
		// that failed on none are not.
		{"several analyses", job.Job{Analyses: []job.Analysis{job.Language, job.Sentiment, job.Entities}, JobDetails: job.Details{InputDocumentsCount: 10, DocumentsWithErrorsCount: 0,
			AnalysisCounts: job.AnalysisCounts{job.Language: {Succeeded: 10}, job.Sentiment: {Succeeded: 6, Failed: 4}, job.Entities: {Succeeded: 9, Failed: 1}}}}, 1, 0, 0, job.PartialSuccess,
			"SENTIMENT failed on 4 documents, ENTITIES on 1; each document lists its failed analyses in Errors"},
		// A training job stopped before its model was registered: what its output holds depends on
		// whether its shard was skipped; one whose model was registered names it.
		{"training stopped, shard ran", job.Job{JobStatus: job.StopRequested, Analyses: []job.Analysis{job.CodingTraining}, CodingConfig: &job.CodingConfig{Topic: "occupation"}}, 1, 0, 0, job.Stopped,
			"stopped on request before its model was registered: no model was made, and the topic's latest model is unchanged; the output has a line for each record read"},
		{"training stopped, shard skipped", job.Job{JobStatus: job.StopRequested, Analyses: []job.Analysis{job.CodingTraining}, CodingConfig: &job.CodingConfig{Topic: "occupation"}}, 1, 1, 0, job.Stopped,
			"stopped on request before its model was registered: no model was made, and the topic's latest model is unchanged; the output has no lines, its shard being skipped"},
		{"training stopped after its model", job.Job{JobStatus: job.StopRequested, Analyses: []job.Analysis{job.CodingTraining}, CodingConfig: &job.CodingConfig{Topic: "occupation", ModelId: "m-1"}}, 1, 1, 0, job.Stopped,
			"stopped on request after its model m-1 was registered: the model stands (the job names it); the output has no lines, its shard being skipped"},
	} {
		st, msg := TerminalStatus(&c.j, c.shards, c.skipped, c.dead)
		if st != c.wantStatus || msg != c.wantMessage {
			t.Errorf("%s: %s %q; want %s %q", c.name, st, msg, c.wantStatus, c.wantMessage)
		}
	}
}

// TestBatchArgLeadingDash: the close command suggested for a batch whose folder (or a rule whose
// name) starts with "-" can be run as it is: `ream drop-rules close RULE -b1` (quoted or not)
// reads -b1 as a flag and fails ("flag provided but not defined"); after "--" it is the BATCH.
func TestBatchArgLeadingDash(t *testing.T) {
	for key, want := range map[string]string{
		"inputs/local/drop/scans/-b1/_SUCCESS":    "(ream drop-rules close scans -- -b1)",
		"inputs/local/drop/scans/-it's/_SUCCESS":  `(ream drop-rules close scans -- '-it'\''s')`,
		"inputs/local/drop/scans/b-1/_SUCCESS":    "(ream drop-rules close scans b-1)",
		"inputs/local/drop/scans/a b/-c/_SUCCESS": "(ream drop-rules close scans 'a b/-c')",
		"inputs/local/drop/-scans/b1/_SUCCESS":    "(ream drop-rules close -- -scans b1)",
		"inputs/local/drop/-scans/-b1/_SUCCESS":   "(ream drop-rules close -- -scans -- -b1)",
	} {
		rule := "scans"
		if strings.Contains(key, "/-scans/") {
			rule = "-scans"
		}
		j := &job.Job{DropRule: rule, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerFile}, DropObject: job.DropObject{Key: key}}
		if got := InputChangedAdvice(j); !strings.Contains(got, want) {
			t.Errorf("marker %q: %q, want %s", key, got, want)
		}
	}
}

// TestCodingStopped: a coding operation stopped while it coded says how many records were
// coded, how many of them are error lines (1 included), and how much of the file was not.
func TestCodingStopped(t *testing.T) {
	cc := &job.CodingConfig{Topic: "occupation", ModelId: "m-1"}
	for _, c := range []struct {
		name    string
		d       job.Details
		want    []string
		without []string
	}{
		{"one error line", job.Details{InputDocumentsCount: 4, DocumentsWithErrorsCount: 1, InputBytes: 100, ProcessedBytes: 40},
			[]string{"stopped on request: 4 records were coded before the stop (1 of them error lines)", "the rest of the file (60 of its 100 bytes) was not coded",
				"POST /v1/topics/occupation/models/m-1/batch-code"}, nil},
		{"no error line", job.Details{InputDocumentsCount: 1, InputBytes: 100, ProcessedBytes: 40},
			[]string{"stopped on request: 1 record was coded before the stop;"}, []string{"error lines"}},
		{"none coded", job.Details{}, []string{"stopped on request before any record was coded"}, nil},
	} {
		got := CodingStopped(&job.Job{CodingConfig: cc, JobDetails: c.d})
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", c.name, got, w)
			}
		}
		for _, w := range c.without {
			if strings.Contains(got, w) {
				t.Errorf("%s: %q says %q", c.name, got, w)
			}
		}
	}
}
