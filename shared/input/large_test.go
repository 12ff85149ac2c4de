package input

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

// patterned is a virtual object of size bytes, lines of 15 'x' and '\n' (a byte at position p is
// '\n' when p%16 == 15), read from any offset without storing it.
type patterned struct{ pos, size int64 }

func (r *patterned) Read(b []byte) (int, error) {
	if r.pos >= r.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(b)), r.size-r.pos))
	for i := range n {
		if (r.pos+int64(i))%16 == 15 {
			b[i] = '\n'
		} else {
			b[i] = 'x'
		}
	}
	r.pos += int64(n)
	return n, nil
}

// TestInputBeyond4GiB: shard planning and reading of an input larger than 4 GiB,
// whose byte positions do not fit a 32-bit int (GOARCH=386 or arm: int is 32 bits there; every
// position here is an int64).
func TestInputBeyond4GiB(t *testing.T) {
	const size = 5<<30 + 64
	open := func(_ context.Context, _ string, offset int64) (io.ReadCloser, error) {
		return io.NopCloser(&patterned{pos: offset, size: size}), nil
	}
	shards := PlanLines(size, 1<<30)
	if len(shards) != 6 || shards[5].End != size || shards[5].Start <= 4<<30 {
		t.Fatalf("PlanLines(5 GiB + 64, 1 GiB): %+v", shards)
	}
	// A shard of 64 bytes starting 5 GiB in: the 4 lines that start in it, whole.
	sh := Shard{Index: 9, Start: 5 << 30, End: 5<<30 + 64}
	var docs []Document
	err := ReadLines(context.Background(), open, "in", "in", job.OneDocPerLine, sh, Limits{}, func(d Document) error {
		docs = append(docs, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 4 {
		t.Fatalf("got %d documents, want 4: %+v", len(docs), docs)
	}
	for i, d := range docs {
		if d.Text != strings.Repeat("x", 15) || d.Bytes != 15 || d.Line != int64(i) || d.ErrorCode != "" {
			t.Errorf("document %d: %+v", i, d)
		}
	}
}
