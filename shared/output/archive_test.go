package output

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/job"
)

// testRecord returns a varied record for document i (line formats set Line).
func testRecord(i int64, line bool) Record {
	r := Record{File: "input.txt"}
	if line {
		r.Line = LineNumber(i)
	}
	switch i % 5 {
	case 0:
		r.Result = analysis.Result{Sentiment: "POSITIVE", SentimentScore: &analysis.SentimentScore{Positive: 0.9, Negative: 0.01, Neutral: 0.08, Mixed: 0.01}}
	case 1:
		r.Result = analysis.Result{Languages: []analysis.DominantLanguage{{LanguageCode: "en", Score: 0.97}}}
	case 2:
		r.ErrorCode, r.ErrorMessage = job.CodeUnsupportedEncoding, "document is not valid UTF-8 <&> \u2028"
	case 3:
		r.RecordId = `id-{"Line":` + strconv.FormatInt(i, 10) + "}\n"
		r.Result = analysis.Result{Sentiment: "NEUTRAL"}
	case 4:
		r.File = "docs/日本語.txt"
	}
	return r
}

// member compresses raw as one gzip member.
func member(t testing.TB, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	m := NewMember(&buf)
	if _, err := m.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if m.Size() != int64(len(raw)) {
		t.Fatalf("member counted %d bytes, wrote %d", m.Size(), len(raw))
	}
	return buf.Bytes()
}

type entry struct {
	name string
	size int64
	body []byte
}

// readArchive reads a (multi-member) tar.gz with the standard library.
func readArchive(t *testing.T, b []byte) []entry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out []entry
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read archive: %v", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, entry{h.Name, h.Size, body})
	}
}

// TestMembersMakeOneArchive builds archives the way the finalizer does, by concatenating framing
// members and per-shard members, for many shapes (no records, entries that end on a block
// boundary, shards of every size, a redacted entry with a name longer than tar's 100 bytes,
// whole entries inside a member), and reads each back as one tar.
func TestMembersMakeOneArchive(t *testing.T) {
	long := "redacted/" + strings.Repeat("a-long-folder/", 9) + "input.txt"
	for _, tc := range []struct {
		name   string
		shards []int // records per shard
		red    string
		files  bool
	}{
		{"empty", nil, "", false},
		{"one shard", []int{5}, "", false},
		{"many shards", []int{3, 0, 17, 1, 40}, "", false},
		{"redacted lines", []int{4, 9}, "redacted/input", false},
		{"long redacted name", []int{2, 2, 2}, long, false},
		{"redacted files", []int{3, 1}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, red bytes.Buffer
			var shardMembers, redMembers [][]byte
			var want []entry
			n := int64(0)
			for _, k := range tc.shards {
				var raw, rraw bytes.Buffer
				w := NewWriter(&raw)
				for i := 0; i < k; i++ {
					r := testRecord(n, true)
					if err := w.Write(&r); err != nil {
						t.Fatal(err)
					}
					fmt.Fprintf(&rraw, "redacted line %d\n", n)
					n++
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				out.Write(raw.Bytes())
				shardMembers = append(shardMembers, member(t, raw.Bytes()))
				if tc.files {
					var ents bytes.Buffer
					for i := 0; i < k; i++ {
						name := fmt.Sprintf("redacted/%s/doc-%d.txt", strings.Repeat("x", 60*(i%3)), len(want))
						body := bytes.Repeat([]byte("z"), 511*i)
						if err := WriteEntry(&ents, name, body); err != nil {
							t.Fatal(err)
						}
						want = append(want, entry{name, int64(len(body)), body})
					}
					redMembers = append(redMembers, member(t, ents.Bytes()))
				} else if tc.red != "" {
					red.Write(rraw.Bytes())
					redMembers = append(redMembers, member(t, rraw.Bytes()))
				}
			}
			frame := func(b []byte, err error) []byte {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			var archive bytes.Buffer
			archive.Write(frame(Frame(-1, EntryName, int64(out.Len()))))
			for _, m := range shardMembers {
				archive.Write(m)
			}
			archive.Write(frame(Frame(int64(out.Len()), tc.red, int64(red.Len()))))
			for _, m := range redMembers {
				archive.Write(m)
			}
			last := int64(-1)
			if tc.red != "" {
				last = int64(red.Len())
			}
			archive.Write(frame(Trailer(last)))

			got := readArchive(t, archive.Bytes())
			all := []entry{{EntryName, int64(out.Len()), out.Bytes()}}
			if tc.red != "" {
				all = append(all, entry{tc.red, int64(red.Len()), red.Bytes()})
			}
			all = append(all, want...)
			if len(got) != len(all) {
				t.Fatalf("%d entries, want %d", len(got), len(all))
			}
			for i, w := range all {
				if got[i].name != w.name || got[i].size != w.size || !bytes.Equal(got[i].body, w.body) {
					t.Errorf("entry %d = %q (%d bytes), want %q (%d bytes)", i, got[i].name, got[i].size, w.name, w.size)
				}
			}
		})
	}
}

// TestFrameRefusesNegativeSize: a header cannot announce a negative size.
func TestFrameRefusesNegativeSize(t *testing.T) {
	if _, err := Frame(-1, EntryName, -5); err == nil {
		t.Fatal("Frame accepted a negative size")
	}
}

// BenchmarkMember is what a worker pays to compress its records: MB/s of JSON lines.
func BenchmarkMember(b *testing.B) {
	var raw bytes.Buffer
	w := NewWriter(&raw)
	for i := int64(0); i < 10_000; i++ {
		r := testRecord(i, true)
		if err := w.Write(&r); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(raw.Len()))
	b.ReportAllocs()
	for b.Loop() {
		m := NewMember(io.Discard)
		if _, err := m.Write(raw.Bytes()); err != nil {
			b.Fatal(err)
		}
		if err := m.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriter(b *testing.B) {
	recs := make([]Record, 100)
	for i := range recs {
		recs[i] = testRecord(int64(i), true)
	}
	var n int64
	for _, r := range recs {
		m, _ := r.MarshalJSON()
		n += int64(len(m) + 1)
	}
	b.SetBytes(n)
	b.ReportAllocs()
	w := NewWriter(io.Discard)
	for b.Loop() {
		for i := range recs {
			if err := w.Write(&recs[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestReusedCompressorWritesTheSameMember: members share compressors (a pool), and a reused
// one must write the bytes a fresh gzip writer at the same level writes, whatever it compressed
// before; writing to a closed member fails instead of reaching a compressor another member uses.
func TestReusedCompressorWritesTheSameMember(t *testing.T) {
	var raws [][]byte
	for i := 0; i < 4; i++ {
		var b bytes.Buffer
		for k := 0; k < 2000*(i+1); k++ {
			fmt.Fprintf(&b, "{\"Line\":%d,\"File\":\"in.txt\",\"Sentiment\":\"POSITIVE\"}\n", k*(i+3))
		}
		raws = append(raws, b.Bytes())
	}
	for round := 0; round < 3; round++ {
		for _, raw := range raws {
			var want bytes.Buffer
			gz, err := kgzip.NewWriterLevel(&want, compressionLevel)
			if err != nil {
				t.Fatal(err)
			}
			gz.Write(raw)
			gz.Close()
			if got := member(t, raw); !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("round %d: a member of %d bytes compressed to %d bytes, a fresh writer to %d", round, len(raw), len(got), want.Len())
			}
		}
	}
	m := NewMember(io.Discard)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Write([]byte("late")); err == nil {
		t.Fatal("a write after Close succeeded")
	}
	if err := m.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
}
