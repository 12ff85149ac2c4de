package redaction_test

import (
	"testing"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/input"
	"github.com/ream-dev/ream/shared/job"
	"github.com/ream-dev/ream/shared/output"
	"github.com/ream-dev/ream/shared/pipeline/redaction"
)

// A coding record's redacted copy keeps the record's two fields, each redacted apart: the PII
// spans index occp_text and tasks_text joined by a line end, and a copy that wrote that joined
// text as "text" could not be split back into the two fields when occp_text holds a line end
// itself (found by a consumer joining the copies back to the input records).
func TestJSONLineCodingRecordKeepsItsFields(t *testing.T) {
	coding := func(mode string) *job.Job {
		return &job.Job{Analyses: []job.Analysis{job.Coding, job.PII},
			InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines},
			RedactOutput:    &job.RedactionConfig{MaskMode: mode}}
	}
	record := func(occp, tasks string) input.Document {
		return input.Document{RecordId: "r1", Text: occp + "\n" + tasks, Occupation: occp, Tasks: tasks}
	}
	pii := func(ents ...analysis.PiiEntity) *output.Record {
		return &output.Record{Result: analysis.Result{PiiEntities: ents}}
	}
	for _, c := range []struct {
		name string
		j    *job.Job
		d    input.Document
		rec  *output.Record
		want string
	}{{
		// "Nurse\nMary Jones" + "\n" + "call 206-555-0100": NAME 6–16, PHONE 22–34 of the joined text.
		name: "mask, a line end inside occp_text",
		j:    coding(analysis.RedactMask),
		d:    record("Nurse\nMary Jones", "call 206-555-0100"),
		rec:  pii(analysis.PiiEntity{BeginOffset: 6, EndOffset: 16, Type: "NAME"}, analysis.PiiEntity{BeginOffset: 22, EndOffset: 34, Type: "PHONE"}),
		want: `{"recordId":"r1","occp_text":"Nurse\n**********","tasks_text":"call ************"}`,
	}, {
		name: "replace, multi-byte text before the spans",
		j:    coding(analysis.RedactReplaceWithType),
		d:    record("Café 😀 John Smith", "mail a@b.com"),
		rec:  pii(analysis.PiiEntity{BeginOffset: 7, EndOffset: 17, Type: "NAME"}, analysis.PiiEntity{BeginOffset: 23, EndOffset: 30, Type: "EMAIL"}),
		want: `{"recordId":"r1","occp_text":"Café 😀 [NAME]","tasks_text":"mail [EMAIL]"}`,
	}, {
		// A span across the line end (7–13 of "ab 1234\n5678 x") is cut at it: both parts redacted, the line end in neither.
		name: "a span across the line end",
		j:    coding(analysis.RedactMask),
		d:    record("ab 1234", "5678 x"),
		rec:  pii(analysis.PiiEntity{BeginOffset: 3, EndOffset: 12, Type: "PIN"}),
		want: `{"recordId":"r1","occp_text":"ab ****","tasks_text":"**** x"}`,
	}, {
		name: "an error record",
		j:    coding(analysis.RedactMask),
		d:    input.Document{RecordId: "r1", ErrorCode: job.CodeEmptyDocument},
		rec:  &output.Record{},
		want: `{"recordId":"r1","occp_text":"","tasks_text":""}`,
	}, {
		name: "a JSONL job of text records keeps text",
		j: &job.Job{Analyses: []job.Analysis{job.PII}, InputDataConfig: job.InputDataConfig{InputFormat: job.JSONLines},
			RedactOutput: &job.RedactionConfig{MaskMode: analysis.RedactMask}},
		d:    input.Document{RecordId: "r1", Text: "Mary Jones"},
		rec:  pii(analysis.PiiEntity{BeginOffset: 0, EndOffset: 10, Type: "NAME"}),
		want: `{"recordId":"r1","text":"**********"}`,
	}} {
		r, err := redaction.NewRedactor(c.j)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.JSONLine(c.d, c.rec)
		if err != nil || string(got) != c.want {
			t.Errorf("%s: got %s, %v; want %s", c.name, got, err, c.want)
		}
	}
}

// A copy redacting some types masks every span of those types the offsets output reports,
// also where the detection of those types alone settles an overlap otherwise: in
// "PIN (415) 867-5309::4111 1111 1111 1111" the offsets output has the PHONE (the card number
// beat the IPv6-like "5309::4111", which then no longer hid the phone), while a detection of
// PHONE and IP_ADDRESS alone kept the IP_ADDRESS over the PHONE, and the copy showed
// "(415) 867-" (found by TestRedactionProperties' overlap hunt).
func TestSomeTypesMaskEveryReportedSpan(t *testing.T) {
	text := "PIN (415) 867-5309::4111 1111 1111 1111"
	all, err := analysis.PiiDetector(analysis.PiiTypes)
	if err != nil {
		t.Fatal(err)
	}
	ents := all(text, nil)
	if len(ents) != 2 || ents[0].Type != "PHONE" || ents[0].BeginOffset != 4 || ents[0].EndOffset != 18 {
		t.Fatalf("the offsets output %v; want the PHONE 4–18 first", ents)
	}
	rec := &output.Record{Result: analysis.Result{PiiEntities: ents}}
	for mode, want := range map[string]string{
		analysis.RedactMask:            "PIN ******************** 1111 1111 1111",
		analysis.RedactReplaceWithType: "PIN [PHONE][IP_ADDRESS] 1111 1111 1111",
	} {
		j := &job.Job{Analyses: []job.Analysis{job.PII}, InputDataConfig: job.InputDataConfig{InputFormat: job.OneDocPerLine},
			RedactOutput: &job.RedactionConfig{MaskMode: mode, PiiEntityTypes: []string{"PHONE", "IP_ADDRESS"}}}
		r, err := redaction.NewRedactor(j)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Text(input.Document{Text: text}, rec); got != want {
			t.Errorf("%s: %q; want %q", mode, got, want)
		}
	}
}
