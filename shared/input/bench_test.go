package input

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

// benchInput is 100,000 lines of about 100 bytes.
func benchInput(format job.Format) []byte {
	var b bytes.Buffer
	for i := range 100_000 {
		text := fmt.Sprintf("document %06d: the quick brown fox jumps over the lazy dog, naïve café résumé, 日本語 %06d", i, i)
		if format == job.JSONLines {
			fmt.Fprintf(&b, "{\"recordId\": \"r%d\", \"text\": %q}\n", i, text)
		} else {
			b.WriteString(text)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

func benchmarkRead(b *testing.B, format job.Format) {
	data := benchInput(format)
	open := memOpener(data, false)
	sh := Shard{End: int64(len(data))}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var n int
		err := ReadLines(context.Background(), open, "in", "in", format, sh, Limits{}, func(d Document) error {
			if d.ErrorCode != "" {
				return fmt.Errorf("doc %d: %s", n, d.ErrorMessage)
			}
			n++
			return nil
		})
		if err != nil || n != 100_000 {
			b.Fatalf("%d documents, err %v", n, err)
		}
	}
}

func BenchmarkReadLines(b *testing.B) { benchmarkRead(b, job.OneDocPerLine) }

func BenchmarkReadLinesJSONL(b *testing.B) { benchmarkRead(b, job.JSONLines) }

// codingLines are 100,000 coding records as a census file holds them: a short title, a
// sentence of tasks, a numeric or string recordId, one in ten with a \u escape.
func codingLines() [][]byte {
	titles := []string{"staff nurse", "bus driver", "software developer", "head chef", "primary school teacher", "care assistant", "welder", "sales assistant"}
	tasks := []string{"caring for patients on a surgical ward, giving medication", "driving a double-decker bus on a city route", "writing and testing code for web applications", "running the kitchen of a hotel restaurant", "teaching children aged 5 to 11", "helping elderly residents wash and dress", "welding steel frames in a factory", "serving customers and stocking shelves"}
	lines := make([][]byte, 100_000)
	for i := range lines {
		occp, task := titles[i%len(titles)], tasks[i*7%len(tasks)]
		if i%10 == 0 {
			occp += ` caf\u00e9`
		}
		if i%2 == 0 {
			lines[i] = fmt.Appendf(nil, `{"recordId":%d,"occp_text":"%s","tasks_text":"%s"}`, i, occp, task)
		} else {
			lines[i] = fmt.Appendf(nil, `{"recordId":"p%07d","occp_text":"%s","tasks_text":"%s"}`, i, occp, task)
		}
	}
	return lines
}

// benchmarkDecode decodes the coding lines with decode, reporting records/s.
func benchmarkDecode(b *testing.B, decode func(d *Document, line []byte, size, maxDoc, keep int64, coding bool)) {
	lines := codingLines()
	keep := jsonlRecordLimit(DefaultMaxDocumentBytes)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, line := range lines {
			var d Document
			decode(&d, line, int64(len(line)), DefaultMaxDocumentBytes, keep, true)
			if d.ErrorCode != "" {
				b.Fatalf("%s: %s", line, d.ErrorMessage)
			}
		}
		n += len(lines)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(testing.AllocsPerRun(1, func() {
		var d Document
		decode(&d, lines[1], int64(len(lines[1])), DefaultMaxDocumentBytes, keep, true)
	})), "allocs/record")
}

// BenchmarkDecodeCodingRecord: decodeRecord on coding records; ...Reflective: the decoding by
// encoding/json it replaced (the test oracle), on the same lines.
func BenchmarkDecodeCodingRecord(b *testing.B) { benchmarkDecode(b, decodeRecord) }

func BenchmarkDecodeCodingRecordReflective(b *testing.B) { benchmarkDecode(b, decodeRecordReflective) }
