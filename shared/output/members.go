package output

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// An output.tar.gz is a concatenation of complete gzip members, which every gzip reader
// decompresses as one stream (RFC 1952 §2.2): GNU tar, Python's tarfile and Go's archive/tar
// read it as one tar. So the archive is never compressed in one place:
//
//	Frame(-1, "output", S)       the tar header of the "output" entry (S from the shard records)
//	shard 0's member, 1's, …     each worker's records, compressed by the worker (Member)
//	Frame(S, "redacted/…", R)    the padding of "output", the next entry's header (if any)
//	redacted members …           each worker's redacted copies, compressed by the worker
//	Trailer(R)                   the last padding and the end-of-archive blocks
//
// The finalizer writes the few small framing members and asks the object store to concatenate
// the members in order (pipeline.Objects.Compose: S3 UploadPartCopy, local file appends), so its
// work grows with the number of shards, not with the bytes.

// compressionLevel trades ratio for speed: JSON lines compress well at any level, and the
// workers compress while they analyse.
const compressionLevel = gzip.BestSpeed

// Member compresses what is written to it into one complete gzip member, counting the bytes
// before compression (the size the tar header must announce). Close ends the member.
type Member struct {
	gz *gzip.Writer
	n  int64
}

// compressors are gzip writers at compressionLevel, reused across members: a compressor's
// tables are large, and allocating (and zeroing) them per shard showed in the workers' CPU.
// A reset writer writes the same bytes as a new one.
var compressors sync.Pool

// NewMember starts a gzip member on w.
func NewMember(w io.Writer) *Member {
	if gz, ok := compressors.Get().(*gzip.Writer); ok {
		gz.Reset(w)
		return &Member{gz: gz}
	}
	gz, _ := gzip.NewWriterLevel(w, compressionLevel) // the level is valid
	return &Member{gz: gz}
}

func (m *Member) Write(p []byte) (int, error) {
	if m.gz == nil {
		return 0, errors.New("output: write to a closed member")
	}
	n, err := m.gz.Write(p)
	m.n += int64(n)
	return n, err
}

// Close writes the member's trailer; it does not close the underlying writer. The member
// must not be written after Close.
func (m *Member) Close() error {
	if m.gz == nil {
		return nil
	}
	err := m.gz.Close()
	if err == nil {
		compressors.Put(m.gz)
	}
	m.gz = nil
	return err
}

// Size returns how many uncompressed bytes were written.
func (m *Member) Size() int64 { return m.n }

// Frame returns a gzip member holding the zero padding that ends an entry of prevSize bytes
// (prevSize < 0: no entry before) followed by the tar header of entry name with size bytes
// (name "": no header).
func Frame(prevSize int64, name string, size int64) ([]byte, error) {
	var raw bytes.Buffer
	raw.Write(padding(prevSize))
	if name != "" {
		h, err := headerBytes(name, size)
		if err != nil {
			return nil, err
		}
		raw.Write(h)
	}
	return compress(raw.Bytes())
}

// Trailer returns a gzip member holding the padding of an entry of prevSize bytes (prevSize < 0:
// none) and the two zero blocks that end a tar archive.
func Trailer(prevSize int64) ([]byte, error) {
	raw := append(padding(prevSize), make([]byte, 2*blockSize)...)
	return compress(raw)
}

// WriteEntry writes one complete tar entry (header, content, padding) to w, uncompressed: the
// redacted copies of ONE_DOC_PER_FILE documents are whole entries inside their shard's member.
func WriteEntry(w io.Writer, name string, content []byte) error {
	h, err := headerBytes(name, int64(len(content)))
	if err != nil {
		return err
	}
	for _, b := range [][]byte{h, content, padding(int64(len(content)))} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

const blockSize = 512

// padding is the zero bytes that fill an entry of size bytes up to a whole block.
func padding(size int64) []byte {
	if size < 0 || size%blockSize == 0 {
		return nil
	}
	return make([]byte, blockSize-size%blockSize)
}

// headerBytes is the tar header of a regular file (with a PAX record first when the name needs
// one), exactly as archive/tar writes it.
func headerBytes(name string, size int64) ([]byte, error) {
	if size < 0 {
		return nil, fmt.Errorf("output: entry %q: negative size %d", name, size)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(header(name, size)); err != nil {
		return nil, fmt.Errorf("output: entry %q: %w", name, err)
	}
	// Not closing tw: that would check for the content and write the end blocks.
	return buf.Bytes(), nil
}

func compress(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	m := NewMember(&buf)
	if _, err := m.Write(raw); err != nil {
		return nil, err
	}
	if err := m.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
