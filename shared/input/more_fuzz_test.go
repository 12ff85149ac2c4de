package input

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/job"
)

var codingSeeds = []string{
	`{"recordId":"a","occp_text":"nurse","tasks_text":"care for patients"}` + "\n" +
		`{"recordId":7,"occp_text":"bus driver","tasks_text":""}` + "\r\n" +
		`{"occp_text":"","tasks_text":"teach children"}` + "\r" +
		`{"recordId":"d","occp_text":"welder"}` + "\n" +
		`{"recordId":"e","occp_text":"  ","tasks_text":""}` + "\n" +
		`{"recordId":"f","occp_text":3,"tasks_text":""}` + "\n",
	`{"recordId":"g","text":"chef"}` + "\n" + `{"recordId":"h","code":223,"occp_text":"nurse","tasks_text":""}`,
	`{"recordId":"j","occp_text":"nurse","tasks_text":"","recordid":"dup"}`,
	`{"recordId":1e400,"occp_text":"\ud800","tasks_text":"\u0000"}` + "\n" + `{"recordId":null,"occp_text":"x\u00e9","tasks_text":"y"}`,
	"\xEF\xBB\xBF" + `{"recordId":"x","occp_text":"a","tasks_text":"b"}` + "\n\n  \n[1]\n{\"recordId\":{\"a\":1}}",
	`{"recordId":"x","text":"hello","extra":[1,2,3]}` + "\n" + `{"recordId":"x","text":"\u00e9\ud83d\ude00"}`,
}

// docsPerShard reads every shard of plan and returns the documents of each.
func docsPerShard(t *testing.T, data []byte, format job.Format, plan []Shard, lim Limits) [][]Document {
	t.Helper()
	out := make([][]Document, len(plan))
	for i, sh := range plan {
		err := ReadLines(context.Background(), memOpener(data, false), "k", "in.txt", format, sh, lim,
			func(d Document) error { out[i] = append(out[i], d); return nil })
		if err != nil {
			t.Fatalf("input %q shard %+v: %v", data, sh, err)
		}
	}
	return out
}

// FuzzLineOffsets checks that LineOffsets gives every shard the line number of its first
// document, and the object's document count, as reading the shards does.
func FuzzLineOffsets(f *testing.F) {
	for i, s := range append(fuzzSeeds, codingSeeds...) {
		f.Add([]byte(s), uint16(i+1), uint8(i%3))
	}
	f.Fuzz(func(t *testing.T, data []byte, shardBytes uint16, par uint8) {
		plan := PlanLines(int64(len(data)), int64(shardBytes)%int64(len(data)+5)+1)
		per := docsPerShard(t, data, job.OneDocPerLine, plan, Limits{})
		offsets, err := LineOffsets(context.Background(), memOpener(data, false), "k", plan, int(par%4))
		if err != nil {
			t.Fatal(err)
		}
		if len(offsets) != len(plan)+1 {
			t.Fatalf("%d offsets for %d shards", len(offsets), len(plan))
		}
		var n int64
		for i := range plan {
			if offsets[i] != n && len(per[i]) > 0 {
				t.Fatalf("input %q plan %v: shard %d offset %d, %d documents before it", data, plan, i, offsets[i], n)
			}
			n += int64(len(per[i]))
		}
		if len(plan) > 0 && offsets[len(plan)] != n {
			t.Fatalf("input %q plan %v: LineOffsets says %d documents, shards read %d (offsets %v)", data, plan, offsets[len(plan)], n, offsets)
		}
	})
}

// FuzzCodingRecords reads a JSONL input as coding records (and as plain JSONL) through random
// shard plans: every line is one record (same count as ONE_DOC_PER_LINE), the sharded read
// equals the whole read, and every record is either a valid record or a proper error record.
func FuzzCodingRecords(f *testing.F) {
	for i, s := range append(codingSeeds, fuzzSeeds...) {
		f.Add([]byte(s), uint16(i+1), uint8(i), true)
		f.Add([]byte(s), uint16(i+7), uint8(i+3), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, shardBytes uint16, limit uint8, coding bool) {
		lim := Limits{MaxDocumentBytes: int64(limit%40) + 1, CodingRecords: coding}
		lines := readWhole(t, data, job.OneDocPerLine, Limits{})
		whole := readWhole(t, data, job.JSONLines, lim)
		if len(whole) != len(lines) {
			t.Fatalf("input %q: %d records, %d lines", data, len(whole), len(lines))
		}
		small := readShard(t, data, job.JSONLines, Shard{End: int64(len(data))}, lim, 16, true)
		plan := PlanLines(int64(len(data)), int64(shardBytes)%int64(len(data)+5)+1)
		var sharded []Document
		for _, ds := range docsPerShard(t, data, job.JSONLines, plan, lim) {
			sharded = append(sharded, ds...)
		}
		for _, other := range [][]Document{small, sharded} {
			if len(other) != len(whole) {
				t.Fatalf("input %q: %d records whole, %d otherwise", data, len(whole), len(other))
			}
			for i := range whole {
				a, b := whole[i], other[i]
				a.Line, b.Line = 0, 0
				if a != b {
					t.Fatalf("input %q record %d: whole %+v, otherwise %+v", data, i, whole[i], other[i])
				}
			}
		}
		for _, d := range whole {
			if d.ErrorCode != "" {
				if d.ErrorMessage == "" || d.Text != "" || d.Occupation != "" || d.Tasks != "" {
					t.Fatalf("input %q: bad error record %+v", data, d)
				}
				continue
			}
			if !utf8.ValidString(d.Text) || !utf8.ValidString(d.RecordId) || blank([]byte(d.Text)) {
				t.Fatalf("input %q: bad record %+v", data, d)
			}
			if d.Bytes > lim.MaxDocumentBytes {
				t.Fatalf("input %q: record of %d bytes over the limit %d: %+v", data, d.Bytes, lim.MaxDocumentBytes, d)
			}
			if coding {
				if d.Text != d.Occupation+"\n"+d.Tasks || d.Bytes != CodingBytes(d.Occupation, d.Tasks) ||
					!utf8.ValidString(d.Occupation) || !utf8.ValidString(d.Tasks) {
					t.Fatalf("input %q: bad coding record %+v", data, d)
				}
			} else if int64(len(d.Text)) != d.Bytes {
				t.Fatalf("input %q: record Bytes %d, text %d bytes", data, d.Bytes, len(d.Text))
			}
		}
	})
}

// FuzzReadFiles: ONE_DOC_PER_FILE gives exactly one document per file, in order, whatever the
// contents and buffer size.
func FuzzReadFiles(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add([]byte(s), uint8(i), uint8(i*7))
	}
	f.Fuzz(func(t *testing.T, data []byte, cuts uint8, limit uint8) {
		// data is cut into files at each 0xFE byte.
		parts := bytes.Split(data, []byte{0xFE})
		files := map[string][]byte{}
		var sh Shard
		for i, p := range parts {
			key := "dir/f" + strings.Repeat("x", i)
			files[key] = p
			sh.Files = append(sh.Files, FileRef{Key: key, Size: int64(len(p))})
		}
		open := func(_ context.Context, key string, off int64) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(files[key][off:])), nil
		}
		lim := Limits{MaxDocumentBytes: int64(limit%64) + 1}
		var docs []Document
		err := readFiles(context.Background(), open, sh, nil, lim, func(d Document) error { docs = append(docs, d); return nil }, int(cuts%32)+16)
		if err != nil {
			t.Fatal(err)
		}
		if len(docs) != len(parts) {
			t.Fatalf("%d files, %d documents", len(parts), len(docs))
		}
		for i, d := range docs {
			p := bytes.TrimPrefix(parts[i], BOM)
			if d.File != sh.Files[i].Key || d.Line != -1 || d.Bytes != int64(len(p)) {
				t.Fatalf("file %q: %+v", parts[i], d)
			}
			if d.ErrorCode == "" && (d.Text != string(p) || !utf8.ValidString(d.Text)) {
				t.Fatalf("file %q: text %q", parts[i], d.Text)
			}
			if (d.ErrorCode == "") != (d.ErrorMessage == "") || (d.ErrorCode != "" && d.Text != "") {
				t.Fatalf("file %q: %+v", parts[i], d)
			}
		}
	})
}
