package topics

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// Every state object is a little binary stream:
//
//	magic (4 bytes) | version (1 byte) | body | CRC-32 (IEEE, little endian, over magic..body)
//
// and nothing after it. Integers are unsigned LEB128 varints (encoding/binary.Uvarint), floats
// are IEEE-754 binary64 little endian (so a value round-trips bit for bit), strings are a varint
// length and their bytes. Sorted term lists are front coded: the length of the prefix shared
// with the previous term, the length of the rest, the rest. A decoder checks every count
// against a bound before it believes it, grows its slices from the data it actually reads (a
// corrupt count cannot make it allocate more than the input justifies, give or take a
// constant), checks the checksum and the end of the stream, and returns an error wrapping
// ErrCorrupt for anything malformed; it never panics.

// ErrCorrupt is wrapped by every decoding error caused by malformed input.
var ErrCorrupt = errors.New("topics: corrupt or truncated state object")

const formatVersion = 1

const (
	magicStats  = "RTST"
	magicVocab  = "RTVO"
	magicSample = "RTSA"
	magicModel  = "RTMO"
	magicRound  = "RTRO"
)

// encoder writes a state object and its checksum.
type encoder struct {
	w   io.Writer
	buf []byte
	crc uint32
	err error
	n   int64
}

func newEncoder(w io.Writer, magic string) *encoder {
	e := &encoder{w: w, buf: make([]byte, 0, 64<<10)}
	e.buf = append(e.buf, magic...)
	e.buf = append(e.buf, formatVersion)
	return e
}

func (e *encoder) flush() {
	if len(e.buf) == 0 || e.err != nil {
		e.buf = e.buf[:0]
		return
	}
	e.crc = crc32.Update(e.crc, crc32.IEEETable, e.buf)
	n, err := e.w.Write(e.buf)
	e.n += int64(n)
	if err == nil && n < len(e.buf) {
		err = io.ErrShortWrite
	}
	e.err = err
	e.buf = e.buf[:0]
}

func (e *encoder) room(n int) {
	if len(e.buf)+n > cap(e.buf) {
		e.flush()
	}
}

func (e *encoder) uvarint(v uint64) {
	e.room(binary.MaxVarintLen64)
	e.buf = binary.AppendUvarint(e.buf, v)
}

func (e *encoder) f64(v float64) {
	e.room(8)
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v))
}

func (e *encoder) u64(v uint64) {
	e.room(8)
	e.buf = binary.LittleEndian.AppendUint64(e.buf, v)
}

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	for len(s) > 0 {
		e.room(1)
		n := copy(e.buf[len(e.buf):cap(e.buf)], s)
		e.buf = e.buf[:len(e.buf)+n]
		s = s[n:]
	}
}

func (e *encoder) raw(b []byte) {
	for len(b) > 0 {
		e.room(1)
		n := copy(e.buf[len(e.buf):cap(e.buf)], b)
		e.buf = e.buf[:len(e.buf)+n]
		b = b[n:]
	}
}

// frontCoded writes term s after prev (sorted term lists).
func (e *encoder) frontCoded(prev, s string) {
	p := commonPrefix(prev, s)
	e.uvarint(uint64(p))
	e.str(s[p:])
}

// finish writes the checksum and flushes; it returns the bytes written and the first error.
func (e *encoder) finish() (int64, error) {
	e.flush()
	if e.err != nil {
		return e.n, e.err
	}
	var t [4]byte
	binary.LittleEndian.PutUint32(t[:], e.crc)
	n, err := e.w.Write(t[:])
	e.n += int64(n)
	return e.n, err
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// decoder reads a state object, checking its checksum as it goes.
type decoder struct {
	r      io.Reader
	buf    []byte
	pos    int // next unread byte
	end    int // end of valid data in buf
	crcPos int // bytes of buf[:crcPos] are already in crc
	crc    uint32
	eof    bool
	err    error
	what   string
}

func newDecoder(r io.Reader, magic, what string, bufSize int) *decoder {
	d := &decoder{r: r, buf: make([]byte, bufSize), what: what}
	var hdr [5]byte
	for i := range hdr {
		hdr[i] = d.byte()
	}
	if d.err == nil && (string(hdr[:4]) != magic || hdr[4] != formatVersion) {
		d.fail("not a %s (magic %q version %d)", what, hdr[:4], hdr[4])
	}
	return d
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s: %s", ErrCorrupt, d.what, fmt.Sprintf(format, args...))
	}
}

// fill makes at least one more byte available, or sets err.
func (d *decoder) fill() bool {
	if d.err != nil {
		return false
	}
	if d.pos < d.end {
		return true
	}
	d.crc = crc32.Update(d.crc, crc32.IEEETable, d.buf[d.crcPos:d.end])
	d.pos, d.end, d.crcPos = 0, 0, 0
	for !d.eof {
		n, err := d.r.Read(d.buf)
		d.end = n
		if err == io.EOF {
			d.eof = true
		} else if err != nil {
			d.err = fmt.Errorf("topics: reading %s: %w", d.what, err)
			return false
		}
		if n > 0 {
			return true
		}
	}
	d.fail("unexpected end of data")
	return false
}

func (d *decoder) byte() byte {
	if !d.fill() {
		return 0
	}
	b := d.buf[d.pos]
	d.pos++
	return b
}

func (d *decoder) uvarint() uint64 {
	var x uint64
	var s uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		b := d.byte()
		if d.err != nil {
			return 0
		}
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				break
			}
			return x | uint64(b)<<s
		}
		x |= uint64(b&0x7f) << s
		s += 7
	}
	d.fail("varint overflow")
	return 0
}

// count reads a varint that must be at most max.
func (d *decoder) count(max uint64, name string) int {
	v := d.uvarint()
	if v > max {
		d.fail("%s %d exceeds %d", name, v, max)
		return 0
	}
	return int(v)
}

func (d *decoder) u64() uint64 {
	var b [8]byte
	d.read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

func (d *decoder) f64() float64 {
	return math.Float64frombits(d.u64())
}

// finite reads a float that must be finite and at least lo.
func (d *decoder) finite(lo float64, name string) float64 {
	v := d.f64()
	if math.IsNaN(v) || math.IsInf(v, 0) || v < lo {
		d.fail("%s %v out of range", name, v)
		return 0
	}
	return v
}

func (d *decoder) read(p []byte) {
	for len(p) > 0 && d.fill() {
		n := copy(p, d.buf[d.pos:d.end])
		d.pos += n
		p = p[n:]
	}
	if len(p) > 0 {
		clear(p)
	}
}

// appendStr appends a string of at most max bytes to dst.
func (d *decoder) appendStr(dst []byte, max int) []byte {
	n := d.count(uint64(max), "string length")
	for n > 0 && d.fill() {
		k := min(n, d.end-d.pos)
		dst = append(dst, d.buf[d.pos:d.pos+k]...)
		d.pos += k
		n -= k
	}
	return dst
}

func (d *decoder) str(max int) string {
	return string(d.appendStr(nil, max))
}

// frontCoded reads the rest of a front-coded term that shares p bytes with prev into dst
// (which must not alias prev) and checks it sorts strictly after prev.
func (d *decoder) frontCoded(prev []byte, dst []byte, first bool, p int) []byte {
	if p > len(prev) {
		d.fail("shared prefix %d longer than the previous term", p)
		return dst[:0]
	}
	dst = append(dst[:0], prev[:p]...)
	dst = d.appendStr(dst, maxTermBytes)
	if d.err == nil {
		if len(dst) == 0 || len(dst) > maxTermBytes {
			d.fail("bad term length %d", len(dst))
		} else if !first && string(dst) <= string(prev) {
			d.fail("terms out of order: %q after %q", dst, prev)
		}
	}
	return dst
}

// finish checks the checksum and that nothing follows it.
func (d *decoder) finish() error {
	if d.err != nil {
		return d.err
	}
	d.crc = crc32.Update(d.crc, crc32.IEEETable, d.buf[d.crcPos:d.pos])
	d.crcPos = d.pos
	want := d.crc
	var t [4]byte
	for i := range t {
		if !d.fill() {
			return d.err
		}
		t[i] = d.buf[d.pos]
		d.pos++
		d.crcPos = d.pos
	}
	if got := binary.LittleEndian.Uint32(t[:]); got != want {
		d.fail("checksum mismatch")
		return d.err
	}
	if d.pos < d.end {
		d.fail("trailing data")
		return d.err
	}
	for tries := 0; !d.eof && tries < 100; tries++ {
		var one [1]byte
		n, err := d.r.Read(one[:])
		if n > 0 {
			d.fail("trailing data")
			return d.err
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			d.err = fmt.Errorf("topics: reading %s: %w", d.what, err)
			return d.err
		}
	}
	return nil
}
