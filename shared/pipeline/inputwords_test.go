package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/pipeline/layout"
	"github.com/ream-dev/ream/shared/pipeline/message"
)

// TestInputRefusedPerJobKind: the 409 of an upload a job no longer takes tells a coding
// operation's client to start a new batch-code operation, in its terms (found from outside: it
// was told to "create a new job"); other jobs keep their words.
func TestInputRefusedPerJobKind(t *testing.T) {
	op := &job.Job{JobId: "op-1", JobStatus: job.Completed, CodingOperation: true, CodingConfig: &job.CodingConfig{Topic: "occupation"}}
	plain := &job.Job{JobId: "job-1", JobStatus: job.Completed}
	for _, tc := range []struct {
		j       *job.Job
		arrived bool
		want    string
	}{
		{op, true, "the file of operation op-1 was already uploaded; start a new batch-code operation (POST /v1/topics/occupation/batch-code) to code another file"},
		{op, false, "operation op-1 is complete and no longer accepts input; start a new batch-code operation (POST /v1/topics/occupation/batch-code) to code another file"},
		{plain, true, "this input of job job-1 was already uploaded; create a new job to analyse another input"},
		{plain, false, "job job-1 is COMPLETED and no longer accepts input; create a new job to analyse another input"},
	} {
		err := InputRefused(tc.j, tc.arrived)
		if !errors.Is(err, job.ErrConflict) || !strings.HasSuffix(err.Error(), ": "+tc.want) {
			t.Errorf("coding %v, arrived %v: %v, want a conflict saying %q", tc.j.CodingOperation, tc.arrived, err, tc.want)
		}
	}
	if got := message.InputChangedAdvice(op); !strings.Contains(got, "start a new batch-code operation") {
		t.Errorf("a coding operation whose input changed: %q", got)
	}
}

// TestInputName: a coding operation's Message names its input as its client knows it, the
// uploaded file, never the store's location (found from outside: an empty upload's error showed
// the local stack's file:///…/objects/inputs/… path); other jobs name the input's location.
func TestInputName(t *testing.T) {
	s := &Service{cfg: Config{Locations: layout.Locations{Base: "file:///data/objects/", Aliases: []string{"s3://ream-local/"}}}}
	key := layout.UploadKey("t", "id-1")
	if got := s.inputName(&job.Job{InputKey: key, CodingOperation: true}); got != "the uploaded file" {
		t.Errorf("coding operation: %q", got)
	}
	if got := s.inputName(&job.Job{InputKey: key}); got != "input file:///data/objects/"+key {
		t.Errorf("job: %q", got)
	}
	// A job's own upload is named as uploaded too (found from outside: an empty upload's
	// Message named the service's upload folder); with UploadFiles, by the names given.
	up := &job.Job{Tenant: "t", JobId: "id-1", InputKey: key}
	files := &job.Job{Tenant: "t", JobId: "id-1", InputKey: layout.UploadFilesPrefix("t", "id-1")}
	for _, tc := range []struct {
		j    *job.Job
		objs []string
		want string
	}{
		{up, []string{key}, "the uploaded file is empty (0 bytes)"},
		{files, []string{"a.txt"}, `the uploaded file "a.txt" is empty (0 bytes)`},
		{files, []string{"a.txt", "b/c.txt", "d", "e"}, `the 4 uploaded files ("a.txt", "b/c.txt", "d", …) are empty (0 bytes in all)`},
		{&job.Job{Tenant: "t", JobId: "id-1", InputKey: "inputs/t/in/"}, []string{"a.txt"}, "input file:///data/objects/inputs/t/in/ is empty (0 bytes)"},
	} {
		var objs []ObjectInfo
		for _, o := range tc.objs {
			if o != key {
				o = tc.j.InputKey + o
			}
			objs = append(objs, ObjectInfo{Key: o})
		}
		if got := s.emptyInput(tc.j, objs, "0 bytes"); got != tc.want {
			t.Errorf("emptyInput(%s, %v) = %q, want %q", tc.j.InputKey, tc.objs, got, tc.want)
		}
	}
}

// TestInputChangedAdviceForDropBatches: a ONE_DOC_PER_FILE drop batch whose file changed is
// told to close the batch again (its files start no job of their own; found in review: it was
// told the new version would), a line-format drop job that the new version starts one.
func TestInputChangedAdviceForDropBatches(t *testing.T) {
	batch := &job.Job{DropRule: "scans", InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerFile}}
	lines := &job.Job{DropRule: "logs", InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine}}
	if got := message.InputChangedAdvice(batch); !strings.Contains(got, "write the batch's _SUCCESS marker again (ream drop-rules close scans BATCH)") {
		t.Errorf("per-file drop batch: %q", got)
	}
	if got := message.InputChangedAdvice(lines); got != "the new version starts a job of its own under drop rule logs" {
		t.Errorf("line drop job: %q", got)
	}
	// The batch is named from the marker's key, so the command can be run as it is (found
	// from outside: it said BATCH); quoted for the shell when it needs to be.
	for key, want := range map[string]string{
		"inputs/local/drop/scans/2026-11-22/_SUCCESS":    "(ream drop-rules close scans 2026-11-22)",
		"inputs/local/drop/scans/a/b/_SUCCESS":           "(ream drop-rules close scans a/b)",
		"inputs/local/drop/scans/it's here/_SUCCESS":     `(ream drop-rules close scans 'it'\''s here')`,
		"inputs/local/drop/other/2026-11-22/_SUCCESS":    "(ream drop-rules close scans BATCH)",
		"inputs/local/drop/scans/2026-11-22/x/_SUCCESS.": "(ream drop-rules close scans BATCH)",
	} {
		b := *batch
		b.DropObject = job.DropObject{Key: key, ETag: "1-2"}
		if got := message.InputChangedAdvice(&b); !strings.Contains(got, "write the batch's _SUCCESS marker again "+want+" to start") {
			t.Errorf("marker %q: %q, want %s", key, got, want)
		}
	}
}
