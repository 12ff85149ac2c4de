package output

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"strings"
	"testing"
)

// FuzzArchiveMembers builds an output.tar.gz as the finalizer does (Framing, segments holding
// whole entries written with WriteEntry) with arbitrary entry names and contents, and
// reads it back with archive/tar: every entry accepted by the writer comes back, once, with its
// name and content; WriteEntries with the same entries gives the same entries too.
func FuzzArchiveMembers(f *testing.F) {
	f.Add("output", []byte("{}\n"), "redacted/a.txt", []byte("x"), "redacted/b")
	f.Add("output", []byte{}, strings.Repeat("d/", 80)+"long.txt", bytes.Repeat([]byte{'a'}, 513), "é/日本.txt")
	f.Add("output", []byte("a"), "a\x00b", []byte("b"), "./../x")
	f.Add("output", bytes.Repeat([]byte{0}, 512), "name\xff\xfe", []byte("\n"), "redacted/\u2028x")
	f.Fuzz(func(t *testing.T, first string, c1 []byte, second string, c2 []byte, third string) {
		type ent struct {
			name    string
			content []byte
		}
		want := []ent{{first, c1}}
		var members bytes.Buffer
		var f Framing
		// entry 1: output entry, framed by Head/Member
		head, err := f.Head(first, int64(len(c1)))
		if err != nil || first == "" {
			return
		}
		members.Write(head)
		m := NewMember(&members)
		m.Write(c1)
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if m.Size() != int64(len(c1)) {
			t.Fatalf("member size %d, wrote %d", m.Size(), len(c1))
		}
		f.Add(m.CRC(), m.Size())
		// entry 2: redacted entries, whole entries inside one member (after the output entry)
		var inner bytes.Buffer
		if err := WriteEntry(&inner, second, c2); err == nil {
			want = append(want, ent{second, c2})
		} else {
			inner.Reset()
		}
		if err := WriteEntry(&inner, third, c1); err == nil {
			want = append(want, ent{third, c1})
		}
		frame, err := f.Frame(int64(len(c1)), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		members.Write(frame)
		m = NewMember(&members)
		m.Write(inner.Bytes())
		m.Close()
		f.Add(m.CRC(), m.Size())
		tail, err := f.Trailer(-1)
		if err != nil {
			t.Fatal(err)
		}
		members.Write(tail)

		got := readTarGz(t, members.Bytes())
		if len(got) != len(want) {
			t.Fatalf("names %q %q %q: %d entries read, %d written", first, second, third, len(got), len(want))
		}
		for i := range want {
			if got[i].name != want[i].name || !bytes.Equal(got[i].content, want[i].content) {
				t.Fatalf("entry %d: read %q (%d bytes), wrote %q (%d bytes)", i, got[i].name, len(got[i].content), want[i].name, len(want[i].content))
			}
		}

		// WriteEntries with the same entries
		var entries []Entry
		for _, e := range want {
			c := e.content
			entries = append(entries, Entry{Name: e.name, Size: int64(len(c)), Open: func(context.Context) (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(c)), nil
			}})
		}
		var buf bytes.Buffer
		if err := WriteEntries(context.Background(), &buf, entries...); err != nil {
			return // duplicate or empty names are refused
		}
		got = readTarGz(t, buf.Bytes())
		if len(got) != len(want) {
			t.Fatalf("WriteEntries: %d entries read, %d written", len(got), len(want))
		}
		for i := range want {
			if got[i].name != want[i].name || !bytes.Equal(got[i].content, want[i].content) {
				t.Fatalf("WriteEntries entry %d: read %q, wrote %q", i, got[i].name, want[i].name)
			}
		}
	})
}

type readEnt struct {
	name    string
	content []byte
}

func readTarGz(t *testing.T, b []byte) []readEnt {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false) // one gzip member: the archive must be one (found from outside)
	tr := tar.NewReader(zr)
	var out []readEnt
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read tar: %v (entries so far %d)", err, len(out))
		}
		c, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, readEnt{h.Name, c})
	}
	if rest, _ := io.ReadAll(zr); len(bytes.Trim(rest, "\x00")) != 0 {
		t.Fatalf("%d bytes after the tar end", len(rest))
	}
	return out
}
