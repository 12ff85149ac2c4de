// Package textcut cuts strings to a byte budget without splitting a character: the one owner of
// that rule for the analysers (a document's prefix), the API's error messages and the pipeline's
// (a caller's value echoed).
package textcut

import "unicode/utf8"

// Prefix returns the longest prefix of s of at most n bytes ending on a rune boundary.
func Prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Clip is Prefix with "…" after it when s was cut.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return Prefix(s, n) + "…"
}
