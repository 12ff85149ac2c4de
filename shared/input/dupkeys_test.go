package input

import (
	"context"
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

// TestReadLinesJSONLDuplicateKeys: a JSONL record that gives a key Ream reads ("text",
// "recordId") twice is an INVALID_RECORD error record naming the key, its recordId echoed when
// that is not the key given twice; encoding/json kept the last value silently (found from
// outside). An escaped spelling of the key is the key; the same key in a nested object, in a
// string, or a look-alike in another case is not a duplicate, and neither is an ignored field
// given twice.
func TestReadLinesJSONLDuplicateKeys(t *testing.T) {
	withID := func(d tdoc, id string) tdoc { d.RecordId = id; return d }
	tests := []struct {
		name string
		in   string
		want []tdoc
	}{
		{"text twice", `{"recordId": "r1", "text": "a", "text": "b"}`, []tdoc{withID(bad(inval, 44, `key "text" is given twice`), "r1")}},
		{"recordId twice", `{"recordId": "r1", "text": "a", "recordId": "r2"}`, []tdoc{bad(inval, 49, `key "recordId" is given twice`)}},
		{"escaped key", `{"text": "a", "te\u0078t": "b"}`, []tdoc{bad(inval, 31, `key "text" is given twice`)}},
		{"nested and quoted", `{"meta": {"text": "m", "a": [{"text": 1}]}, "note": "\"text\": \\", "text": "ok"}`, []tdoc{ok("ok")}},
		{"look-alikes", `{"Text": "a", "Text": "b", "text": "ok", "TEXT": "c"}`, []tdoc{ok("ok")}},
		{"ignored field twice", `{"meta": 1, "meta": 2, "text": "ok"}`, []tdoc{ok("ok")}},
		{"next record read", `{"text": "a", "text": "b"}` + "\n" + `{"text": "c"}`, []tdoc{bad(inval, 26, `key "text" is given twice`), ok("c")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDocs(t, readWhole(t, []byte(tt.in), job.JSONLines, Limits{}), tt.want)
		})
	}
	// Coding records: each of the keys they read.
	for _, line := range []string{
		`{"recordId":"c","occp_text":"nurse","tasks_text":"care","occp_text":"welder"}`,
		`{"recordId":"c","occp_text":"nurse","tasks_text":"care","tasks_text":""}`,
		`{"recordId":"c","code":"223","occp_text":"nurse","tasks_text":"care","code":"111"}`,
	} {
		var got []Document
		err := ReadLines(context.Background(), memOpener([]byte(line), false), "k", "in", job.JSONLines, Shard{End: int64(len(line))}, Limits{CodingRecords: true}, func(d Document) error {
			got = append(got, d)
			return nil
		})
		if err != nil || len(got) != 1 || got[0].ErrorCode != inval || got[0].RecordId != "c" {
			t.Errorf("%s: %v %+v; want one INVALID_RECORD with its recordId", line, err, got)
		}
	}
}

func TestDuplicateKeyScanner(t *testing.T) {
	for line, want := range map[string]string{
		`{"text":"a\\","text":"b"}`:          "text",
		`{"text":"a\\\"text\":","x":"b"}`:    "",
		`{"a":{"text":1},"text":2,"b":[{}]}`: "",
		`{"a":[],"text":2,"b":{},"text":3}`:  "text",
		` { "text" : "a" , "text" : "b" } `:  "text",
	} {
		var rec scannedRecord
		if !scanRecord(&rec, []byte(line), recordKeys) || rec.duplicate != want {
			t.Errorf("scanRecord(%s) found %q given twice, want %q", line, rec.duplicate, want)
		}
	}
}
