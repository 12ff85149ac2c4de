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
