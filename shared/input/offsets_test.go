package input

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

// TestLineOffsetsMatchWholeRead checks LineOffsets against the reader itself: for random inputs
// full of LF, CR, CRLF, BOMs and empty lines and random shard sizes, the first document of every
// shard has the line number that reading the whole object as one shard gives it.
func TestLineOffsetsMatchWholeRead(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	alphabet := []string{"a", "b", "é", "\n", "\r", "\r\n", "\n\n", "\r\r", " ", "\xEF\xBB\xBF"}
	for iter := 0; iter < 400; iter++ {
		var b bytes.Buffer
		if rng.IntN(4) == 0 {
			b.Write(BOM)
		}
		if iter%50 == 0 { // only a byte order mark: no document
			data := BOM
			open := func(_ context.Context, _ string, off int64) (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(data[min(off, int64(len(data))):])), nil
			}
			offsets, err := LineOffsets(context.Background(), open, "k", PlanLines(3, int64(1+iter%3)), 2)
			if err != nil || offsets[len(offsets)-1] != 0 {
				t.Fatalf("BOM only: offsets %v, %v; want 0 documents", offsets, err)
			}
		}
		for n := rng.IntN(120); n > 0; n-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		data := b.Bytes()
		open := func(_ context.Context, _ string, off int64) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data[min(off, int64(len(data))):])), nil
		}
		shards := PlanLines(int64(len(data)), int64(1+rng.IntN(12)))
		offsets, err := LineOffsets(context.Background(), open, "k", shards, 3)
		if err != nil {
			t.Fatal(err)
		}
		var all []Document
		if len(shards) > 0 {
			sh := Shard{Start: 0, End: int64(len(data))}
			if err := ReadLines(context.Background(), open, "k", "f", job.OneDocPerLine, sh, Limits{}, func(d Document) error {
				all = append(all, d)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		var got int64
		for i, sh := range shards {
			var docs int64
			if err := ReadLines(context.Background(), open, "k", "f", job.OneDocPerLine, sh, Limits{}, func(d Document) error {
				docs++
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if offsets[i] != got {
				t.Fatalf("input %q, shard %d [%d,%d): offset %d, but %d documents precede it", data, i, sh.Start, sh.End, offsets[i], got)
			}
			got += docs
		}
		if len(shards) > 0 && offsets[len(shards)] != int64(len(all)) {
			t.Fatalf("input %q: LineOffsets counts %d documents, the reader %d", data, offsets[len(shards)], len(all))
		}
		if got != int64(len(all)) {
			t.Fatalf("input %q: shards read %d documents, whole read %d", data, got, len(all))
		}
	}
}

func TestLineOffsetsShortObject(t *testing.T) {
	data := []byte("a\nb\nc\n")
	open := func(_ context.Context, _ string, off int64) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data[min(off, int64(len(data))):])), nil
	}
	// A plan for a longer object than is stored: the count must fail, not guess.
	if _, err := LineOffsets(context.Background(), open, "k", PlanLines(40, 10), 2); err == nil {
		t.Fatal("LineOffsets of a plan longer than the object: no error")
	}
}

// BenchmarkLineOffsetsSmallObject counts the lines of a 2 KB object as planning does for each
// small file of a line input (one shard, one reader): B/op shows its read buffer, the object's
// size rather than readBufferSize.
func BenchmarkLineOffsetsSmallObject(b *testing.B) {
	data := []byte(strings.Repeat("a short line of a small file\n", 70)) // ~2 KB
	open := memOpener(data, false)
	plan := PlanLines(int64(len(data)), int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LineOffsets(context.Background(), open, "k", plan, 1); err != nil {
			b.Fatal(err)
		}
	}
}
