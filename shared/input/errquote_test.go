package input

import (
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

// An error record names what is wrong with a record and where, never what the record holds:
// the output of a PII redaction job is shared as free of the documents' contents, and its
// error records are in it. A recordId of the wrong JSON type was quoted (its first 40 bytes).
func TestInvalidRecordMessagesDoNotQuoteTheRecord(t *testing.T) {
	const ssn, mail = "536-90-4417", "canary.h93zq@example.org"
	lines := []string{
		`{"recordId": {"ssn": "` + ssn + `", "mail": "` + mail + `"}, "text": "a"}`,
		`{"recordId": ["` + ssn + `", "` + mail + `"], "text": "a"}`,
		`{"recordId": "r", "text": {"ssn": "` + ssn + `", "mail": "` + mail + `"}}`,
		`{"recordId": "r", "text": ["` + ssn + `", "` + mail + `"]}`,
		`{"recordId": "r", "txt": "` + ssn + ` ` + mail + `"}`,
	}
	docs := readWhole(t, []byte(strings.Join(lines, "\n")+"\n"), job.JSONLines, Limits{})
	if len(docs) != len(lines) {
		t.Fatalf("%d documents, want %d", len(docs), len(lines))
	}
	for i, d := range docs {
		if d.ErrorCode != job.CodeInvalidRecord {
			t.Errorf("line %d: ErrorCode %q, want %s", i, d.ErrorCode, job.CodeInvalidRecord)
		}
		for _, c := range []string{ssn, mail} {
			if strings.Contains(d.ErrorMessage, c) {
				t.Errorf("line %d: ErrorMessage quotes the record: %s", i, d.ErrorMessage)
			}
		}
	}
	if want := "recordId must be a string or a number, not a JSON object"; docs[0].ErrorMessage != want {
		t.Errorf("ErrorMessage %q, want %q", docs[0].ErrorMessage, want)
	}
	if want := "recordId must be a string or a number, not a JSON array"; docs[1].ErrorMessage != want {
		t.Errorf("ErrorMessage %q, want %q", docs[1].ErrorMessage, want)
	}
}
