package input

import (
	"bufio"
	"bytes"
	"io"
)

// readBufferSize is the size of the bounded read buffer of every reader.
const readBufferSize = 64 << 10

// BOM is the UTF-8 byte-order mark, which every reader of Ream's inputs, request bodies and
// config files skips at the start.
var BOM = []byte{0xEF, 0xBB, 0xBF}

// scanner reads an object sequentially through a bounded bufio.Reader and tracks the absolute
// offset of the next unread byte. It hands out the buffered bytes in chunks so that the hot
// loops work on slices (bytes.IndexByte) rather than byte by byte.
type scanner struct {
	r   *bufio.Reader
	pos int64  // absolute offset of the next unread byte
	doc []byte // reused buffer holding the kept bytes of the current document

	// Cache for the LF search in indexEOL, so that CR-terminated input (where the next LF may
	// be far away or absent) is not rescanned for every line: lfAt is the absolute offset of
	// the next LF at or after pos, if lfAt >= pos; otherwise no LF lies in [pos, lfScan).
	lfAt, lfScan int64
}

func newScanner(r io.Reader, offset int64, bufSize int) *scanner {
	s := &scanner{r: bufio.NewReaderSize(r, bufSize)}
	s.reset(r, offset)
	return s
}

// reset makes s read r, whose first byte is at offset, keeping its buffers.
func (s *scanner) reset(r io.Reader, offset int64) {
	s.r.Reset(r)
	s.pos, s.lfAt, s.lfScan = offset, -1, offset
}

// buffered returns the unread buffered bytes, filling the buffer first if it is empty. The
// error is io.EOF (or the read error) only when no byte is left.
func (s *scanner) buffered() ([]byte, error) {
	if s.r.Buffered() == 0 {
		if _, err := s.r.Peek(1); err != nil {
			return nil, err
		}
	}
	b, _ := s.r.Peek(s.r.Buffered()) // cannot fail: the bytes are buffered
	return b, nil
}

// discard consumes n buffered bytes.
func (s *scanner) discard(n int) {
	s.r.Discard(n) // cannot fail: the bytes are buffered
	s.pos += int64(n)
}

// atEOF reports whether no byte is left.
func (s *scanner) atEOF() (bool, error) {
	_, err := s.buffered()
	if err == io.EOF {
		return true, nil
	}
	return false, err
}

// skipBOM consumes a UTF-8 byte order mark if the next bytes are one.
func (s *scanner) skipBOM() error {
	b, err := s.r.Peek(len(BOM))
	if bytes.Equal(b, BOM) {
		s.discard(len(BOM))
		return nil
	}
	if err != nil && err != io.EOF {
		return err
	}
	return nil
}

// skipLF consumes the next byte if it is LF (the second half of a CRLF).
func (s *scanner) skipLF() error {
	b, err := s.r.Peek(1)
	if len(b) == 1 && b[0] == '\n' {
		s.discard(1)
		return nil
	}
	if err != nil && err != io.EOF {
		return err
	}
	return nil
}

// indexEOL returns the index in chunk (the buffered bytes at s.pos) of the first CR or LF, or
// -1. It uses two bytes.IndexByte searches (vectorised) instead of a per-byte loop, remembering
// where the next LF is so that neither search rescans bytes across calls.
func (s *scanner) indexEOL(chunk []byte) int {
	if s.lfAt < s.pos { // no known LF ahead: search the part not searched yet
		from := max(s.lfScan, s.pos)
		rel := int(min(from-s.pos, int64(len(chunk))))
		if k := bytes.IndexByte(chunk[rel:], '\n'); k >= 0 {
			s.lfAt = from + int64(k)
			s.lfScan = s.lfAt + 1
		} else {
			s.lfScan = s.pos + int64(len(chunk))
		}
	}
	end := len(chunk)
	if s.lfAt >= s.pos {
		end = int(min(s.lfAt-s.pos, int64(len(chunk))))
	}
	if j := bytes.IndexByte(chunk[:end], '\r'); j >= 0 {
		return j
	}
	if end < len(chunk) {
		return end
	}
	return -1
}

// keep appends as much of seg to s.doc as fits in limit bytes, growing s.doc no further than
// limit.
func (s *scanner) keep(seg []byte, limit int64) {
	room := limit - int64(len(s.doc))
	if room <= 0 {
		return
	}
	if int64(len(seg)) > room {
		seg = seg[:room]
	}
	if need := len(s.doc) + len(seg); need > cap(s.doc) {
		c := int(min(max(int64(2*cap(s.doc)), int64(need), 512), limit))
		d := make([]byte, len(s.doc), c)
		copy(d, s.doc)
		s.doc = d
	}
	s.doc = append(s.doc, seg...)
}

// line reads the document that starts at s.pos up to and including its terminator (CR, LF or
// CRLF) or the end of the object. It keeps at most limit bytes of the document (in s.doc, valid
// until the next call) and returns them with the document's full size, terminator excluded.
func (s *scanner) line(limit int64) ([]byte, int64, error) {
	s.doc = s.doc[:0]
	var size int64
	for {
		chunk, err := s.buffered()
		if err == io.EOF {
			return s.doc, size, nil
		}
		if err != nil {
			return nil, size, err
		}
		i := s.indexEOL(chunk)
		if i < 0 {
			s.keep(chunk, limit)
			size += int64(len(chunk))
			s.discard(len(chunk))
			continue
		}
		s.keep(chunk[:i], limit)
		size += int64(i)
		cr := chunk[i] == '\r'
		s.discard(i + 1)
		if cr {
			if err := s.skipLF(); err != nil {
				return nil, size, err
			}
		}
		return s.doc, size, nil
	}
}

// rest reads everything up to the end of the object, keeping at most limit bytes, like line.
func (s *scanner) rest(limit int64) ([]byte, int64, error) {
	s.doc = s.doc[:0]
	var size int64
	for {
		chunk, err := s.buffered()
		if err == io.EOF {
			return s.doc, size, nil
		}
		if err != nil {
			return nil, size, err
		}
		s.keep(chunk, limit)
		size += int64(len(chunk))
		s.discard(len(chunk))
	}
}
