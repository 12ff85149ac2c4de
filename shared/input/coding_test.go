package input

import (
	"context"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

// TestReadLinesCodingRecords: coding records need both texts (either may be empty); a line
// without one is INVALID_RECORD with its recordId echoed; both blank is EMPTY_DOCUMENT.
func TestReadLinesCodingRecords(t *testing.T) {
	lines := []string{
		`{"recordId":"a","occp_text":"nurse","tasks_text":"care for patients"}`,
		`{"recordId":7,"occp_text":"bus driver","tasks_text":""}`,
		`{"occp_text":"","tasks_text":"teach children"}`,
		`{"recordId":"d","occp_text":"welder"}`,
		`{"recordId":"e","occp_text":"  ","tasks_text":""}`,
		`{"recordId":"f","occp_text":3,"tasks_text":""}`,
		`{"recordId":"g","text":"chef"}`,
		`{"recordId":"h","code":223,"occp_text":"nurse","tasks_text":""}`,
		`{"recordId":"i","OCCP_TEXT":"nurse","tasks_text":"caring"}`,
		`{"recordId":"j","occp_text":"nurse","tasks_text":"","recordid":"dup"}`,
		`{"recordId":"k","occp_text":"` + strings.Repeat("n", 5000) + `","tasks_text":"` + strings.Repeat("t", 5000) + `"}`,
		`{"recordId":"l","occp_text":"` + strings.Repeat("n", 5000) + `","tasks_text":"` + strings.Repeat("t", 5001) + `"}`,
		`{"recordId":"m","occp_text":"` + strings.Repeat("n", 10000) + `","tasks_text":""}`,
		`{"recordId":"n","occp_text":"nurse","tasks_text":"wards"` + strings.Repeat(" ", 3*10000+64<<10) + `}`,
	}
	data := []byte(strings.Join(lines, "\n") + "\n")
	var docs []Document
	whole := Shard{Start: 0, End: int64(len(data))}
	err := ReadLines(context.Background(), memOpener(data, false), "k", "input", job.JSONLines, whole, Limits{CodingRecords: true, MaxDocumentBytes: 10000}, func(d Document) error {
		docs = append(docs, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ id, occp, tasks, code string }{
		{"a", "nurse", "care for patients", ""},
		{"7", "bus driver", "", ""},
		{"", "", "teach children", ""},
		{"d", "", "", job.CodeInvalidRecord},
		{"e", "", "", job.CodeEmptyDocument},
		{"f", "", "", job.CodeInvalidRecord},
		{"g", "", "", job.CodeInvalidRecord},
		{"h", "", "", job.CodeInvalidRecord},
		{"i", "", "", job.CodeInvalidRecord},                            // keys match exactly
		{"j", "nurse", "", ""},                                          // a look-alike key does not replace recordId
		{"k", strings.Repeat("n", 5000), strings.Repeat("t", 5000), ""}, // 10,000 bytes: at the limit
		{"l", "", "", job.CodeDocumentSizeExceeded},
		{"m", strings.Repeat("n", 10000), "", ""},
		{"n", "", "", job.CodeDocumentSizeExceeded}, // short texts, a line over the line limit
	}
	if len(docs) != len(want) {
		t.Fatalf("%d documents, want %d", len(docs), len(want))
	}
	for i, w := range want {
		d := docs[i]
		if d.RecordId != w.id || d.Occupation != w.occp || d.Tasks != w.tasks || d.ErrorCode != w.code {
			t.Errorf("line %d: %+v, want %+v", i, d, w)
		}
		if w.code == "" && d.Text != w.occp+"\n"+w.tasks {
			t.Errorf("line %d: Text %q", i, d.Text)
		}
		if w.code != "" && d.ErrorMessage == "" {
			t.Errorf("line %d: error without a message", i)
		}
	}
	if want := "occp_text and tasks_text are 10001 bytes, more than the limit of 10000 bytes"; docs[11].ErrorMessage != want {
		t.Errorf("line 11: message %q, want %q", docs[11].ErrorMessage, want)
	}
	// The line limit is named, not only the text limit (found from outside: a line of short texts
	// was "too large for a text of at most 10000 bytes").
	if want := "over the 95536 bytes a line may take (3 × the text limit of 10000 bytes"; !strings.Contains(docs[13].ErrorMessage, want) {
		t.Errorf("line 13: message %q, want it to say %q", docs[13].ErrorMessage, want)
	}
	// A field of the wrong type is named, whichever it is.
	for i, field := range map[int]string{5: "occp_text", 7: "code"} {
		if want := `record field "` + field + `" is a JSON number; "` + field + `" must be a string`; docs[i].ErrorMessage != want {
			t.Errorf("line %d: message %q, want %q", i, docs[i].ErrorMessage, want)
		}
	}
}
