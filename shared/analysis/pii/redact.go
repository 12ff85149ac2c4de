package pii

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

// Redaction modes, as Comprehend's RedactionConfig.MaskMode spells them.
const (
	RedactReplaceWithType = "REPLACE_WITH_PII_ENTITY_TYPE"
	RedactMask            = "MASK"
)

// DefaultMaskChar is the mask character when none is given.
const DefaultMaskChar = '*'

// Redact returns text with each entity's span (offsets in characters, EndOffset exclusive)
// redacted: mode RedactMask replaces every character of the span with maskChar (0 means
// DefaultMaskChar), so the text keeps its length in characters; RedactReplaceWithType (and,
// so that an unknown mode never leaks the text, any other mode) replaces the span with
// "[TYPE]". Entities may come in any order; offsets are clamped to the text, and a span
// overlapping an earlier one is redacted from where the earlier one ended.
func Redact(text string, ents []result.PiiEntity, mode string, maskChar rune) string {
	if len(ents) == 0 {
		return text
	}
	if maskChar == 0 {
		maskChar = DefaultMaskChar
	}
	es := ents
	if !sort.SliceIsSorted(es, func(i, j int) bool { return es[i].BeginOffset < es[j].BeginOffset }) {
		es = append([]result.PiiEntity(nil), ents...)
		sort.SliceStable(es, func(i, j int) bool { return es[i].BeginOffset < es[j].BeginOffset })
	}
	var b strings.Builder
	b.Grow(len(text) + 16*len(es))
	pos, char := 0, 0 // byte and character offsets of the next unwritten rune
	// advance moves (pos, char) to character c, copying the text passed when copy is set.
	advance := func(c int, copyText bool) {
		start := pos
		for char < c && pos < len(text) {
			_, n := utf8.DecodeRuneInString(text[pos:])
			pos += n
			char++
			if !copyText {
				b.WriteRune(maskChar)
			}
		}
		if copyText {
			b.WriteString(text[start:pos])
		}
	}
	for _, e := range es {
		begin, end := e.BeginOffset, e.EndOffset
		if begin < char {
			begin = char
		}
		if end <= begin {
			continue
		}
		advance(begin, true)
		if pos >= len(text) {
			break
		}
		if mode == RedactMask {
			advance(end, false)
			continue
		}
		b.WriteString("[" + e.Type + "]")
		for char < end && pos < len(text) {
			_, n := utf8.DecodeRuneInString(text[pos:])
			pos += n
			char++
		}
	}
	b.WriteString(text[pos:])
	return b.String()
}
