package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

// TestFormatFitsLongFirstLine: a JSON Lines file whose first record is longer than the read
// buffer (64 KiB: a text of 70,000 bytes, which LANGUAGE takes) is refused without --format as
// a short one is (found from outside: it was taken for plain text, and ONE_DOC_PER_LINE analysed
// the whole line, braces and keys included).
func TestFormatFitsLongFirstLine(t *testing.T) {
	in := filepath.Join(t.TempDir(), "long.jsonl")
	rec := `{"recordId":"1","text":"` + strings.Repeat("word ", 14_000) + `"}` + "\n" + `{"text":"short"}` + "\n"
	if err := os.WriteFile(in, []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := formatFits(job.OneDocPerLine, false, in, false); err == nil || !strings.Contains(err.Error(), "--format JSONL") {
		t.Errorf("a JSONL file with a 70 KB first record, no --format: %v; want the refusal pointing to --format JSONL", err)
	}
	if err := formatFits(job.OneDocPerLine, true, in, false); err != nil {
		t.Errorf("with --format ONE_DOC_PER_LINE given: %v", err)
	}
}

// TestFormatFitsCROnlyLines: a JSON Lines file whose lines end in a lone CR (old Mac line ends,
// which the service reads as line ends, as LF and CRLF) is refused without --format as an
// LF-terminated one is (found from outside: its first "line" was read up to the first LF, the
// whole file, which is no JSON object, and the file went in as ONE_DOC_PER_LINE); leading blank
// CR lines are skipped as blank LF lines are.
func TestFormatFitsCROnlyLines(t *testing.T) {
	for name, body := range map[string]string{
		"cr":          `{"text":"a"}` + "\r" + `{"text":"b"}` + "\r",
		"blank first": "\r\r \r" + `{"recordId":"1","text":"a"}` + "\r" + `{"text":"b"}`,
		"cr then lf":  `{"text":"a"}` + "\r" + `{"text":"b"}` + "\n",
	} {
		in := filepath.Join(t.TempDir(), "cr.jsonl")
		if err := os.WriteFile(in, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := formatFits(job.OneDocPerLine, false, in, false); err == nil || !strings.Contains(err.Error(), "--format JSONL") {
			t.Errorf("%s: a JSONL file with CR line ends, no --format: %v; want the refusal pointing to --format JSONL", name, err)
		}
	}
}
