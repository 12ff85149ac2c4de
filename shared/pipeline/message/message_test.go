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
