package output

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Names of what a finished job writes beside each other under its output location.
const (
	// ArchiveName is the output archive's file name (Comprehend's).
	ArchiveName = "output.tar.gz"
	// EntryName is the archive entry holding the result lines (Comprehend's).
	EntryName = "output"
	// ManifestName is the manifest's file name.
	ManifestName = "manifest.json"
)

// ErrCorrupt marks a shard result file that does not match what its Part says (size, record
// count, or local line numbers). WriteArchive's errors wrap it when that is the cause.
var ErrCorrupt = errors.New("corrupt shard result")

// Part is one shard's result file as the archive sees it.
type Part struct {
	// Key is the object key of the shard result file.
	Key string
	// Size is its size in bytes (from a Head).
	Size int64
	// Documents is how many records (lines) it holds.
	Documents int64
	// LineOffset is the global line number of its first record: the sum of Documents of the
	// parts before it. Used only when renumbering, and then checked.
	LineOffset int64
}

// Entry is an extra archive entry written after "output" (for example redacted documents).
type Entry struct {
	Name string
	// Size is the exact number of bytes Open's reader yields; a mismatch is an error.
	Size int64
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// archiveModTime is the modification time of every entry: fixed, so that the archive is a pure
// function of its inputs and a retried finalisation writes the same bytes.
var archiveModTime = time.Unix(0, 0).UTC()

// gzipLevel trades a little ratio for speed: JSON lines compress well at any level, and the
// finaliser of a large job is bound by compression time.
const gzipLevel = gzip.BestSpeed

// OutputSize returns the size in bytes of the archive's "output" entry: the sum of the parts'
// sizes plus, when renumber is true, the digits that renumbering adds. It reads nothing.
func OutputSize(parts []Part, renumber bool) (int64, error) {
	var total, lines int64
	for i, p := range parts {
		if p.Size < 0 || p.Documents < 0 {
			return 0, fmt.Errorf("output: part %d (%s): negative size %d or documents %d", i, p.Key, p.Size, p.Documents)
		}
		if p.Documents == 0 && p.Size != 0 {
			return 0, fmt.Errorf("%w: part %d (%s): %d bytes but no documents", ErrCorrupt, i, p.Key, p.Size)
		}
		total += p.Size
		if renumber {
			// Parts may leave gaps (the shards a stopped job skipped), never overlap.
			if p.LineOffset < lines {
				return 0, fmt.Errorf("output: part %d (%s): LineOffset %d overlaps the %d lines of the parts before it", i, p.Key, p.LineOffset, lines)
			}
			lines = p.LineOffset
			total += digitSum(p.LineOffset+p.Documents) - digitSum(p.LineOffset) - digitSum(p.Documents)
		}
		lines += p.Documents
	}
	return total, nil
}

// digitSum returns the total number of decimal digits of 0, 1, ..., m-1 (m ≥ 0). Every number
// has at least one digit, and each one ≥ 10^j has one more: S(m) = m + Σ_{j≥1} max(0, m-10^j).
// Renumbering lines n = 0..d-1 to n+off adds Σ digits(n+off) - digits(n) =
// S(off+d) - S(off) - S(d) bytes.
func digitSum(m int64) int64 {
	s := m
	for p := int64(10); p < m; p *= 10 {
		s += m - p
		if p > (1<<63-1)/10 {
			break
		}
	}
	return s
}

// WriteArchive streams a gzip-compressed tar to w. Its first entry, "output", is the
// concatenation of the parts' objects in order; when renumber is true each record's local
// {"Line":n is rewritten to {"Line":n+LineOffset, so the entry holds global line numbers
// 0..N-1. The extra entries follow, in order.
//
// Nothing is buffered beyond fixed-size buffers: parts are opened one at a time and streamed.
// The entry size is computed up front from Size and Documents (see OutputSize), and every part
// is verified as it streams: its byte count must equal Size, its line count Documents, every
// line must end in '\n' and, when renumbering, begin with {"Line":<its local number>. On any
// mismatch WriteArchive stops with an error wrapping ErrCorrupt. Whenever it returns an error, w
// has received a truncated archive: the caller must discard it (for example write through an
// io.Pipe and CloseWithError, so that the object store's Put fails and stores nothing).
func WriteArchive(ctx context.Context, w io.Writer, open func(ctx context.Context, key string) (io.ReadCloser, error), parts []Part, renumber bool, extra ...Entry) error {
	size, err := OutputSize(parts, renumber)
	if err != nil {
		return err
	}
	names := map[string]bool{EntryName: true}
	for _, e := range extra {
		if e.Name == "" || names[e.Name] || e.Size < 0 || e.Open == nil {
			return fmt.Errorf("output: bad extra entry %q (empty or duplicate name, negative size or no opener)", e.Name)
		}
		names[e.Name] = true
	}

	gz, err := gzip.NewWriterLevel(w, gzipLevel)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(header(EntryName, size)); err != nil {
		return fmt.Errorf("output: write archive header: %w", err)
	}
	s := streamer{
		out: bufio.NewWriterSize(tw, 64<<10),
		in:  bufio.NewReaderSize(nil, 64<<10),
	}
	for i, p := range parts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.part(ctx, open, p, renumber); err != nil {
			return fmt.Errorf("output: part %d (%s): %w", i, p.Key, err)
		}
	}
	if err := s.out.Flush(); err != nil {
		return fmt.Errorf("output: write archive: %w", err)
	}
	if s.written != size {
		// Cannot happen when every part verified; never let a short entry through.
		return fmt.Errorf("%w: wrote %d bytes of output, header says %d", ErrCorrupt, s.written, size)
	}
	return closeArchive(ctx, tw, gz, extra)
}

// closeArchive writes the entries after what tw holds already, then closes the tar and the gzip.
func closeArchive(ctx context.Context, tw *tar.Writer, gz *gzip.Writer, entries []Entry) error {
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeEntry(ctx, tw, e); err != nil {
			return fmt.Errorf("output: entry %q: %w", e.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("output: close tar: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("output: close gzip: %w", err)
	}
	return nil
}

// WriteEntries streams a gzip-compressed tar of entries only, in order (archives without an
// "output" entry: a topic model's CSV files). Sizes are verified as in WriteArchive.
func WriteEntries(ctx context.Context, w io.Writer, entries ...Entry) error {
	names := map[string]bool{}
	for _, e := range entries {
		if e.Name == "" || names[e.Name] || e.Size < 0 || e.Open == nil {
			return fmt.Errorf("output: bad entry %q (empty or duplicate name, negative size or no opener)", e.Name)
		}
		names[e.Name] = true
	}
	gz, err := gzip.NewWriterLevel(w, gzipLevel)
	if err != nil {
		return err
	}
	return closeArchive(ctx, tar.NewWriter(gz), gz, entries)
}

func header(name string, size int64) *tar.Header {
	return &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Mode:     0o644,
		Size:     size,
		ModTime:  archiveModTime,
	}
}

// streamer copies parts into the "output" entry, reusing its buffers across parts.
type streamer struct {
	out     *bufio.Writer
	in      *bufio.Reader
	num     []byte // scratch for formatting line numbers
	written int64  // bytes written to the entry
}

var linePrefix = []byte(`{"Line":`)

// part streams one part, verifying it against p.
func (s *streamer) part(ctx context.Context, open func(ctx context.Context, key string) (io.ReadCloser, error), p Part, renumber bool) error {
	if p.Documents == 0 {
		// An empty shard (or one whose documents all went elsewhere) may have no object at
		// all; Size was checked to be 0.
		return nil
	}
	rc, err := open(ctx, p.Key)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer rc.Close()
	// Read at most one byte beyond Size, to notice an object longer than its Part says.
	s.in.Reset(io.LimitReader(rc, p.Size+1))

	var (
		read      int64 // bytes read from the part
		lines     int64 // complete lines seen
		lineStart = true
		chunks    int
	)
	for {
		chunk, err := s.in.ReadSlice('\n')
		if len(chunk) > 0 {
			read += int64(len(chunk))
			if read > p.Size {
				return fmt.Errorf("%w: object is longer than its size %d", ErrCorrupt, p.Size)
			}
			if lineStart {
				if lines >= p.Documents {
					return fmt.Errorf("%w: more than %d records", ErrCorrupt, p.Documents)
				}
				if renumber {
					if chunk, err = s.renumber(chunk, lines, p.LineOffset); err != nil {
						return err
					}
				}
			}
			if _, werr := s.out.Write(chunk); werr != nil {
				return fmt.Errorf("write archive: %w", werr)
			}
			s.written += int64(len(chunk))
			lineStart = chunk[len(chunk)-1] == '\n'
			if lineStart {
				lines++
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			return fmt.Errorf("read: %w", err)
		}
		if chunks++; chunks%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	switch {
	case read != p.Size:
		return fmt.Errorf("%w: read %d bytes, size is %d", ErrCorrupt, read, p.Size)
	case !lineStart:
		return fmt.Errorf("%w: last record is not terminated by a newline", ErrCorrupt)
	case lines != p.Documents:
		return fmt.Errorf("%w: %d records, want %d", ErrCorrupt, lines, p.Documents)
	}
	return nil
}

// renumber checks that chunk, the start of record n of a part, begins with {"Line":n followed by
// ',' or '}', writes {"Line":n+off to the output and returns the rest of chunk.
func (s *streamer) renumber(chunk []byte, n, off int64) ([]byte, error) {
	s.num = strconv.AppendInt(s.num[:0], n, 10)
	l := len(linePrefix) + len(s.num)
	if len(chunk) <= l || !bytes.HasPrefix(chunk, linePrefix) || !bytes.Equal(chunk[len(linePrefix):l], s.num) ||
		(chunk[l] != ',' && chunk[l] != '}') {
		return nil, fmt.Errorf("%w: record %d does not begin with %s%d: %.40q", ErrCorrupt, n, linePrefix, n, chunk)
	}
	s.num = strconv.AppendInt(s.num[:0], n+off, 10)
	if _, err := s.out.Write(linePrefix); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	if _, err := s.out.Write(s.num); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	s.written += int64(len(linePrefix) + len(s.num))
	return chunk[l:], nil
}

// writeEntry writes one extra entry, verifying its size.
func writeEntry(ctx context.Context, tw *tar.Writer, e Entry) error {
	if err := tw.WriteHeader(header(e.Name, e.Size)); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	rc, err := e.Open(ctx)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer rc.Close()
	n, err := io.Copy(tw, io.LimitReader(rc, e.Size))
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if n != e.Size {
		return fmt.Errorf("%w: read %d bytes, size is %d", ErrCorrupt, n, e.Size)
	}
	var one [1]byte
	if m, _ := io.ReadFull(rc, one[:]); m > 0 {
		return fmt.Errorf("%w: longer than its size %d", ErrCorrupt, e.Size)
	}
	return nil
}
