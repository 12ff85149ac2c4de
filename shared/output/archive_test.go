package output

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/flate"

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

// member compresses raw as one segment and returns it with its CRC-32.
func member(t testing.TB, raw []byte) ([]byte, uint32) {
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
	if m.CRC() != crc32.ChecksumIEEE(raw) {
		t.Fatalf("member CRC %08x, want %08x", m.CRC(), crc32.ChecksumIEEE(raw))
	}
	return buf.Bytes(), m.CRC()
}

// legacyMember compresses raw as one gzip member, as workers did before segments.
func legacyMember(t testing.TB, raw []byte) ([]byte, uint32) {
	t.Helper()
	b, err := compress(raw)
	if err != nil {
		t.Fatal(err)
	}
	return b, crc32.ChecksumIEEE(raw)
}

type entry struct {
	name string
	size int64
	body []byte
}

// readArchive reads a tar.gz with the standard library; with single, as readers that read one
// gzip member only do.
func readArchive(t *testing.T, b []byte, single bool) []entry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(!single)
	tr := tar.NewReader(zr)
	var out []entry
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			// To the gzip trailer, whose CRC-32 and size the reader checks.
			if rest, err := io.ReadAll(zr); err != nil || len(bytes.Trim(rest, "\x00")) != 0 {
				t.Fatalf("after the tar end: %d bytes, %v", len(rest), err)
			}
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
// pieces and per-shard segments, for many shapes (no records, entries that end on a block
// boundary, shards of every size, a redacted entry with a name longer than tar's 100 bytes,
// whole entries inside a segment), and reads each back as one tar: as one gzip member, as
// readers that stop after the first member read it (found from outside: Python's streaming
// tarfile mode "r|gz" failed on the multi-member archives written before). The Legacy framing
// around gzip members reads as one tar with a reader of every member.
func TestMembersMakeOneArchive(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(fmt.Sprint("legacy=", legacy), func(t *testing.T) { testMembersMakeOneArchive(t, legacy) })
	}
}

func testMembersMakeOneArchive(t *testing.T, legacy bool) {
	seg := member
	if legacy {
		seg = legacyMember
	}
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
			type piece struct {
				b    []byte
				crc  uint32
				size int64
			}
			var shardMembers, redMembers []piece
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
				b, crc := seg(t, raw.Bytes())
				shardMembers = append(shardMembers, piece{b, crc, int64(raw.Len())})
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
					b, crc := seg(t, ents.Bytes())
					redMembers = append(redMembers, piece{b, crc, int64(ents.Len())})
				} else if tc.red != "" {
					red.Write(rraw.Bytes())
					b, crc := seg(t, rraw.Bytes())
					redMembers = append(redMembers, piece{b, crc, int64(rraw.Len())})
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
			f := Framing{Legacy: legacy}
			archive.Write(frame(f.Head(EntryName, int64(out.Len()))))
			for _, m := range shardMembers {
				archive.Write(m.b)
				f.Add(m.crc, m.size)
			}
			archive.Write(frame(f.Frame(int64(out.Len()), tc.red, int64(red.Len()))))
			for _, m := range redMembers {
				archive.Write(m.b)
				f.Add(m.crc, m.size)
			}
			last := int64(-1)
			if tc.red != "" {
				last = int64(red.Len())
			}
			archive.Write(frame(f.Trailer(last)))

			got := readArchive(t, archive.Bytes(), !legacy)
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
	var f Framing
	if _, err := f.Head(EntryName, -5); err == nil {
		t.Fatal("Head accepted a negative size")
	}
	if _, err := f.Frame(0, EntryName, -5); err == nil {
		t.Fatal("Frame accepted a negative size")
	}
}

// TestCRC32Combine: the combined CRC-32 of two parts is the CRC-32 of their concatenation, for
// empty parts, parts of every length up to a few blocks, and a megabyte of zeros (a length of
// many bits).
func TestCRC32Combine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		a := make([]byte, rng.IntN(1500))
		b := make([]byte, rng.IntN(1500))
		for k := range a {
			a[k] = byte(rng.Uint32())
		}
		for k := range b {
			b[k] = byte(rng.Uint32())
		}
		want := crc32.ChecksumIEEE(append(append([]byte(nil), a...), b...))
		if got := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b))); got != want {
			t.Fatalf("lengths %d+%d: combined %08x, want %08x", len(a), len(b), got, want)
		}
	}
	// A long run of zeros: CRC(A‖zeros) from the combine against the table's update.
	a := []byte("output")
	zeros := make([]byte, 1<<20+7)
	want := crc32.Update(crc32.ChecksumIEEE(a), crc32.IEEETable, zeros)
	if got := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(zeros), int64(len(zeros))); got != want {
		t.Fatalf("a megabyte of zeros: combined %08x, want %08x", got, want)
	}
}

// TestReadMember: a segment, and a legacy gzip member, read back alone.
func TestReadMember(t *testing.T) {
	raw := bytes.Repeat([]byte("{\"Line\":1,\"Sentiment\":\"POSITIVE\"}\n"), 3000)
	for _, legacy := range []bool{false, true} {
		b, _ := member(t, raw)
		if legacy {
			b, _ = legacyMember(t, raw)
		}
		rc, err := ReadMember(bytes.NewReader(b), legacy)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("legacy=%v: read %d bytes (%v), wrote %d", legacy, len(got), err, len(raw))
		}
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
// one must write the bytes a fresh DEFLATE writer at the same level writes, whatever it compressed
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
			fw, err := flate.NewWriter(&want, compressionLevel)
			if err != nil {
				t.Fatal(err)
			}
			fw.Write(raw)
			fw.Flush()
			if got, _ := member(t, raw); !bytes.Equal(got, want.Bytes()) {
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
