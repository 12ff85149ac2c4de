package input

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/job"
)

var fuzzSeeds = []string{
	"", "\n", "\r", "\r\n", "a", "a\nb", "a\r\nb\r\n", "a\rb\r", "\n\n\r\r\r\n",
	"\xEF\xBB\xBF", "\xEF\xBB\xBFa\nb", "a\xffb\nc", "h\x00i\x00", "日本\n語\r😀", "a\u2028b\u2029c\u0085",
	`{"recordId": 1, "text": "x"}` + "\n" + `{"text": ""}` + "\r\nnot json\n[]",
	strings.Repeat("long line ", 20) + "\nshort",
}

// FuzzReadLines checks the whole-object reader against the reference splitter, and that the
// JSONL reader cuts the same lines and only delivers valid text.
func FuzzReadLines(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add([]byte(s), uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, limit uint8) {
		lim := Limits{MaxDocumentBytes: int64(limit%32) + 1}
		got := readWhole(t, data, job.OneDocPerLine, lim)
		if err := sameDocs(got, referenceSplit(data, lim.max())); err != nil {
			t.Fatalf("input %q: %v", data, err)
		}
		small := readShard(t, data, job.OneDocPerLine, Shard{End: int64(len(data))}, lim, 16, true)
		if err := sameDocs(small, referenceSplit(data, lim.max())); err != nil {
			t.Fatalf("input %q, 16-byte buffer: %v", data, err)
		}
		recs := readWhole(t, data, job.JSONLines, Limits{})
		if len(recs) != len(got) {
			t.Fatalf("input %q: %d JSONL records, %d lines", data, len(recs), len(got))
		}
		for _, d := range recs {
			if d.ErrorCode != "" {
				if d.ErrorMessage == "" || d.Text != "" {
					t.Fatalf("input %q: bad error record %+v", data, d)
				}
			} else if blank([]byte(d.Text)) || !utf8.ValidString(d.Text) || int64(len(d.Text)) != d.Bytes {
				t.Fatalf("input %q: bad record %+v", data, d)
			}
		}
	})
}

// FuzzShardCoverage checks that every shard plan partitions the documents of the object.
func FuzzShardCoverage(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add([]byte(s), uint16(i+1))
	}
	f.Fuzz(func(t *testing.T, data []byte, shardBytes uint16) {
		want := readWhole(t, data, job.OneDocPerLine, Limits{})
		plan := PlanLines(int64(len(data)), int64(shardBytes)%int64(len(data)+5)+1)
		var got []Document
		for _, sh := range plan {
			err := ReadLines(context.Background(), memOpener(data, false), "in.txt", "in.txt", job.OneDocPerLine, sh, Limits{},
				func(d Document) error { got = append(got, d); return nil })
			if err != nil {
				t.Fatal(err)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("input %q plan %v: %d documents, want %d", data, plan, len(got), len(want))
		}
		for i := range want {
			if got[i].Text != want[i].Text || got[i].Bytes != want[i].Bytes || got[i].ErrorCode != want[i].ErrorCode {
				t.Fatalf("input %q plan %v: doc %d = %+v, want %+v", data, plan, i, got[i], want[i])
			}
		}
	})
}
