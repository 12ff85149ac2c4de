package text

import (
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

// NFC returns s in Unicode normalisation form C (canonical composition) and, when that differs
// from s, the OffsetMap from code-point offsets of the normal form back to s. The word-level
// analysers (ENTITIES, KEY_PHRASES, PII, SENTIMENT) read the normal form, so that "José" typed
// as "Jose" and U+0301 (NFD, as macOS file names and some editors write it) is the same word as
// the precomposed "José", and report offsets and Texts of s through the map.
//
// Text already in NFC (all ASCII text, and nearly all text) is returned as is with a nil map,
// without allocating; the check is one pass over the text (see quickSpan).
func NFC(s string) (string, *OffsetMap) {
	// quickSpan stops at the first code point that may combine with what precedes it (a
	// combining mark, a Hangul vowel jamo); the rest is then checked in full, so that a text
	// already in NFC with such code points (a mark no precomposed letter has) costs nothing.
	n := quickSpan(s)
	if n == len(s) || norm.NFC.IsNormalString(s[n:]) {
		return s, nil
	}
	m := &OffsetMap{orig: s}
	var b strings.Builder
	b.Grow(len(s) + len(s)/16 + 8)
	b.WriteString(s[:n])
	// s[:n] is NFC and n a normalisation boundary: normalise the rest segment by segment
	// (a starter and what combines with it), recording the segments that change.
	cp := RuneCount(s[:n])
	ncp, ocp := cp, cp
	var it norm.Iter
	it.InitString(norm.NFC, s[n:])
	pos := n
	for !it.Done() {
		seg := it.Next()
		end := n + it.Pos()
		src := s[pos:end]
		b.Write(seg)
		if string(seg) == src {
			k := RuneCount(src)
			ncp += k
			ocp += k
		} else {
			nk, ok := utf8.RuneCount(seg), utf8.RuneCountInString(src)
			m.edits = append(m.edits, nfcEdit{n0: ncp, n1: ncp + nk, o0: ocp, o1: ocp + ok})
			ncp += nk
			ocp += ok
		}
		pos = end
	}
	return b.String(), m
}

// quickSpan is norm.NFC.QuickSpanString, a boundary n such that s[:n] is in NFC, with a fast
// path: code points below U+0300 (ASCII, eight bytes at a time, and the Latin letters of
// U+0080-U+02FF, two-byte UTF-8 with lead byte 0xC2-0xCB) are all starters in NFC that
// nothing before them combines with, so a run of them is skipped without the tables and
// QuickSpan starts at the last one (which a following mark may combine with).
func quickSpan(s string) int {
	i, last := 0, 0 // last is the start of the last code point skipped
	for i < len(s) {
		start := i
		for ; len(s)-i >= 8; i += 8 {
			// one 8-byte load: the compiler merges the shifted byte loads
			w := s[i : i+8]
			if (uint64(w[0])|uint64(w[1])<<8|uint64(w[2])<<16|uint64(w[3])<<24|
				uint64(w[4])<<32|uint64(w[5])<<40|uint64(w[6])<<48|uint64(w[7])<<56)&0x8080808080808080 != 0 {
				break
			}
		}
		if i > start {
			last = i - 1
		}
		if i == len(s) {
			break
		}
		c := s[i]
		switch {
		case c < utf8.RuneSelf:
			last = i
			i++
			continue
		case c >= 0xC2 && c <= 0xCB && i+1 < len(s) && s[i+1]&0xC0 == 0x80:
			last = i
			i += 2
			continue
		}
		return last + norm.NFC.QuickSpanString(s[last:])
	}
	return len(s)
}

// RuneCount is utf8.RuneCountInString with an ASCII fast path: the code points of s, the
// unit of every offset the analysers report.
func RuneCount(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return i + utf8.RuneCountInString(s[i:])
		}
	}
	return len(s)
}

// OffsetMap maps code-point offsets in the NFC form of a text back to the text. A nil
// *OffsetMap is the identity (the text was in NFC); its methods are then no-ops.
type OffsetMap struct {
	orig  string
	edits []nfcEdit // the segments normalisation changed, in order
	index []int     // byte offset in orig of every indexStep-th code point, built on first use
}

// nfcEdit is a segment that normalisation changed: code points [n0,n1) of the normal form
// came from code points [o0,o1) of the original. Between edits the two texts are the same.
type nfcEdit struct{ n0, n1, o0, o1 int }

// Begin maps the start of a span: an offset inside a changed segment (between the code points
// normalisation composed from one cluster) moves back to the segment's start.
func (m *OffsetMap) Begin(k int) int {
	if m == nil {
		return k
	}
	i := sort.Search(len(m.edits), func(i int) bool { return m.edits[i].n1 > k })
	if i < len(m.edits) && m.edits[i].n0 < k {
		return m.edits[i].o0
	}
	return m.shift(i, k)
}

// End maps the (exclusive) end of a span: an offset inside a changed segment moves forward to
// the segment's end, so that a span never splits a base letter from its combining marks.
func (m *OffsetMap) End(k int) int {
	if m == nil {
		return k
	}
	i := sort.Search(len(m.edits), func(i int) bool { return m.edits[i].n1 >= k })
	if i < len(m.edits) && m.edits[i].n0 < k {
		return m.edits[i].o1
	}
	return m.shift(i, k)
}

// shift maps k, which lies after edit i-1 and no later than the start of edit i.
func (m *OffsetMap) shift(i, k int) int {
	if i == 0 {
		return k
	}
	e := m.edits[i-1]
	return k - e.n1 + e.o1
}

// indexStep is the spacing, in code points, of OffsetMap.index.
const indexStep = 64

// Text returns code points [begin,end) of the original text.
func (m *OffsetMap) Text(begin, end int) string {
	b := m.byteOffset(begin)
	return m.orig[b:max(b, m.byteOffset(end))]
}

// byteOffset returns the byte offset in the original of code point c (clamped to its length).
func (m *OffsetMap) byteOffset(c int) int {
	if m.index == nil {
		m.index = make([]int, 0, len(m.orig)/indexStep+1)
		k := 0
		for i := range m.orig {
			if k%indexStep == 0 {
				m.index = append(m.index, i)
			}
			k++
		}
		if len(m.index) == 0 {
			m.index = append(m.index, 0)
		}
	}
	c = max(c, 0)
	j := min(c/indexStep, len(m.index)-1)
	p, k := m.index[j], j*indexStep
	for k < c && p < len(m.orig) {
		_, sz := utf8.DecodeRuneInString(m.orig[p:])
		p += sz
		k++
	}
	return p
}

// span maps the span [*begin, *end) found in the normal form to the original and, when text is
// not nil, re-cuts *text from the original.
func (m *OffsetMap) span(begin, end *int, text *string) {
	*begin, *end = m.Begin(*begin), m.End(*end)
	if text != nil {
		*text = m.Text(*begin, *end)
	}
}

// Entities maps entities found in the normal form to the original: offsets and Text.
func (m *OffsetMap) Entities(ents []result.Entity) {
	if m == nil {
		return
	}
	for i := range ents {
		m.span(&ents[i].BeginOffset, &ents[i].EndOffset, &ents[i].Text)
	}
}

// KeyPhrases maps key phrases found in the normal form to the original: offsets and Text.
func (m *OffsetMap) KeyPhrases(kps []result.KeyPhrase) {
	if m == nil {
		return
	}
	for i := range kps {
		m.span(&kps[i].BeginOffset, &kps[i].EndOffset, &kps[i].Text)
	}
}

// PiiEntities maps PII spans found in the normal form to offsets of the original, which
// redaction (pii.Redact) masks.
func (m *OffsetMap) PiiEntities(ents []result.PiiEntity) {
	if m == nil {
		return
	}
	for i := range ents {
		m.span(&ents[i].BeginOffset, &ents[i].EndOffset, nil)
	}
}
