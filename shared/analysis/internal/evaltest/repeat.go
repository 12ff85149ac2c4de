package evaltest

import (
	"strings"
	"unicode"
)

// RepeatKey is the form in which two evaluation items count as the same text when checking
// that a reporting part does not repeat what was trained or tuned on: lower-cased, every run
// of characters that are not letters or digits (white space, punctuation, symbols) one space,
// and no space at either end. "LONDON 1996-08-22" and "London, 1996 08 22." have the same key.
func RepeatKey(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	gap := false
	for _, r := range text {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			gap = b.Len() > 0
			continue
		}
		if gap {
			b.WriteByte(' ')
			gap = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
