package output

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// An output.tar.gz is one gzip member whose DEFLATE stream is the concatenation of segments
// compressed in different places, as pigz builds one in parallel: every segment but the last ends
// byte-aligned after a sync flush and with no final block, so the concatenation is one valid
// DEFLATE stream (RFC 1951 §3.2.3; a segment's back-references reach only its own bytes). Every
// reader of gzip reads it, including the ones that stop after the first member (Python's
// streaming tarfile mode "r|gz", zlib.decompress with wbits 31). So the archive is never
// compressed in one place:
//
//	Framing.Head("output", S)      the gzip header and the tar header of the "output" entry (S
//	                               from the shard records)
//	shard 0's segment, 1's, …      each worker's records, compressed by the worker (Member)
//	Framing.Frame(S, "redacted/…") the padding of "output", the next entry's header (if any)
//	redacted segments …            each worker's redacted copies, compressed by the worker
//	Framing.Trailer(R)             the last padding, the end-of-archive blocks, the final DEFLATE
//	                               block, and the gzip trailer: the CRC-32 of everything, combined
//	                               from the segments' own CRC-32s and sizes (crc32Combine)
//
// The finalizer writes the few small framing pieces and asks the object store to concatenate
// the pieces in order (pipeline.Objects.Compose: S3 UploadPartCopy, local file appends), so its
// work grows with the number of shards, not with the bytes.
//
// Shard records written before segments (ShardRecord.Deflate false) hold complete gzip members
// instead; a Framing with Legacy set frames those as members of a multi-member archive, which
// gzip readers that read every member (GNU tar, Go, Python's "r:gz") read as one stream, and
// makes each segment among them a member (MemberAround).

// compressionLevel trades ratio for speed: JSON lines compress well at any level, and the
// workers compress while they analyse.
const compressionLevel = flate.BestSpeed

// Member compresses what is written to it into one segment (see above), counting the bytes
// before compression (the size the tar header must announce) and their CRC-32 (the gzip
// trailer's). Close ends the segment.
type Member struct {
	fw  *flate.Writer
	n   int64
	crc uint32
}

// compressors are DEFLATE writers at compressionLevel, reused across segments: a compressor's
// tables are large, and allocating (and zeroing) them per shard showed in the workers' CPU.
// A reset writer writes the same bytes as a new one.
var compressors sync.Pool

// NewMember starts a segment on w.
func NewMember(w io.Writer) *Member {
	if fw, ok := compressors.Get().(*flate.Writer); ok {
		fw.Reset(w)
		return &Member{fw: fw}
	}
	fw, _ := flate.NewWriter(w, compressionLevel) // the level is valid
	return &Member{fw: fw}
}

func (m *Member) Write(p []byte) (int, error) {
	if m.fw == nil {
		return 0, errors.New("output: write to a closed member")
	}
	n, err := m.fw.Write(p)
	m.n += int64(n)
	m.crc = crc32.Update(m.crc, crc32.IEEETable, p[:n])
	return n, err
}

// Close ends the segment with a sync flush (byte-aligned, no final block); it does not close the
// underlying writer. The member must not be written after Close.
func (m *Member) Close() error {
	if m.fw == nil {
		return nil
	}
	err := m.fw.Flush()
	if err == nil {
		compressors.Put(m.fw)
	}
	m.fw = nil
	return err
}

// closeFinal ends the segment with a final block (Close, not Flush): the end of a DEFLATE
// stream. The compressor is not reused.
func (m *Member) closeFinal() error {
	err := m.fw.Close()
	m.fw = nil
	return err
}

// Size returns how many uncompressed bytes were written.
func (m *Member) Size() int64 { return m.n }

// CRC returns the CRC-32 (IEEE) of the uncompressed bytes written.
func (m *Member) CRC() uint32 { return m.crc }

// ReadMember returns a reader of the uncompressed bytes of one segment read from r (a complete
// gzip member when legacy).
func ReadMember(r io.Reader, legacy bool) (io.ReadCloser, error) {
	if legacy {
		return gzip.NewReader(r)
	}
	// A segment has no final block: an empty final block (fixed Huffman, BFINAL set) ends it.
	return flate.NewReader(io.MultiReader(r, bytes.NewReader(finalEmptyBlock))), nil
}

// finalEmptyBlock is an empty DEFLATE block with BFINAL set (fixed Huffman codes: 1, 01, then
// the end-of-block code 0000000).
var finalEmptyBlock = []byte{0x03, 0x00}

// Framing writes the pieces of one archive around the segments the workers wrote, in archive
// order: Head, then for each segment Add, Frame between entries, and Trailer last. It keeps the
// CRC-32 and size of everything so far for the gzip trailer. With Legacy set every piece is a
// complete gzip member (for segments that are members, ShardRecord.Deflate false).
type Framing struct {
	Legacy bool
	crc    uint32
	n      int64
}

// Head returns the first piece: the gzip header and the tar header of entry name with size bytes.
func (f *Framing) Head(name string, size int64) ([]byte, error) {
	b, err := f.Frame(-1, name, size)
	if err != nil || f.Legacy {
		return b, err // (a Legacy piece is a whole gzip member, header included)
	}
	return append(gzipHeader(), b...), nil
}

// Add accounts for a segment written elsewhere (a worker's), the next in archive order.
func (f *Framing) Add(crc uint32, size int64) {
	f.crc = crc32Combine(f.crc, crc, size)
	f.n += size
}

// Frame returns the piece holding the zero padding that ends an entry of prevSize bytes
// (prevSize < 0: no entry before) followed by the tar header of entry name with size bytes
// (name "": no header).
func (f *Framing) Frame(prevSize int64, name string, size int64) ([]byte, error) {
	raw := padding(prevSize)
	if name != "" {
		h, err := headerBytes(name, size)
		if err != nil {
			return nil, err
		}
		raw = append(raw, h...)
	}
	return f.piece(raw, false)
}

// Trailer returns the last piece: the padding of an entry of prevSize bytes (prevSize < 0: none),
// the two zero blocks that end a tar archive, and the end of the gzip stream.
func (f *Framing) Trailer(prevSize int64) ([]byte, error) {
	raw := append(padding(prevSize), make([]byte, 2*blockSize)...)
	b, err := f.piece(raw, true)
	if err != nil || f.Legacy {
		return b, err
	}
	// RFC 1952 §2.3.1: CRC32, then ISIZE (the size modulo 2^32), little-endian.
	b = binary.LittleEndian.AppendUint32(b, f.crc)
	return binary.LittleEndian.AppendUint32(b, uint32(f.n)), nil
}

// MemberAround returns what makes a segment (a worker's) a gzip member of its own, for a Legacy
// archive: the gzip header to put before it, and after it the final empty block and the trailer
// of the segment's crc and size.
func MemberAround(crc uint32, size int64) (before, after []byte) {
	after = append([]byte(nil), finalEmptyBlock...)
	after = binary.LittleEndian.AppendUint32(after, crc)
	return gzipHeader(), binary.LittleEndian.AppendUint32(after, uint32(size))
}

// piece compresses raw as the framing's next piece: a whole gzip member when Legacy, else a
// segment (final: ending the DEFLATE stream) that it adds.
func (f *Framing) piece(raw []byte, final bool) ([]byte, error) {
	if f.Legacy {
		return compress(raw)
	}
	var buf bytes.Buffer
	m := NewMember(&buf)
	if _, err := m.Write(raw); err != nil {
		return nil, err
	}
	end := m.Close
	if final {
		end = m.closeFinal
	}
	if err := end(); err != nil {
		return nil, err
	}
	f.Add(m.CRC(), m.Size())
	return buf.Bytes(), nil
}

// gzipHeader is a gzip member header (RFC 1952 §2.3): DEFLATE, no flags, no time, XFL 4 (the
// fastest compression), OS unknown; as Go's gzip writer writes it at BestSpeed.
func gzipHeader() []byte {
	return []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255}
}

// WriteEntry writes one complete tar entry (header, content, padding) to w, uncompressed: the
// redacted copies of ONE_DOC_PER_FILE documents are whole entries inside their shard's segment.
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

// compress returns raw as one complete gzip member (Legacy framing).
func compress(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, compressionLevel) // the level is valid
	if _, err := gz.Write(raw); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// crc32Combine is the CRC-32 (IEEE) of A followed by B, from crc1 = CRC(A), crc2 = CRC(B) and
// len2 = len(B): zlib's crc32_combine (appending len2 zero bytes to A's CRC is a linear map over
// GF(2), applied by repeated squaring of the one-zero-bit operator). hash/crc32 has no combine.
func crc32Combine(crc1, crc2 uint32, len2 int64) uint32 {
	if len2 <= 0 {
		return crc1
	}
	var even, odd [32]uint32
	odd[0] = crc32.IEEE // the operator for one zero bit
	row := uint32(1)
	for n := 1; n < 32; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four
	for {
		// Apply len2's bits, one zero byte (eight bits) and up at a time.
		gf2Square(&even, &odd)
		if len2&1 != 0 {
			crc1 = gf2Times(&even, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
		gf2Square(&odd, &even)
		if len2&1 != 0 {
			crc1 = gf2Times(&odd, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func gf2Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[32]uint32) {
	for n := range square {
		square[n] = gf2Times(mat, mat[n])
	}
}
