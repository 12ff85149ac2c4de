// Package jsonw appends JSON values to byte slices as encoding/json renders them (strings with
// one more escape, see AppendString), without reflection. It owns the string-escaping and float-formatting rules that the output
// records rely on for byte-identical encodings, and for the readers that scan records without
// reflection the end of a JSON string (StringEnd) and of a value (ValueEnd), and a string's
// text as encoding/json decodes it (Unquote).
package jsonw

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string exactly as encoding/json does: '"', '\\' and control
// characters escaped (\b, \f, \n, \r, \t short, others \u00XX), invalid UTF-8 replaced by
// \ufffd, U+2028 and U+2029 escaped, and, when escapeHTML is set, '<', '>' and '&' escaped as
// \u003c, \u003e and \u0026 (json.Marshal's default; json.Encoder.SetEscapeHTML(false) turns
// it off). One difference: U+0085 (NEL) is escaped as \u0085, the same string to every JSON
// reader, so that an output line holding one is still one line to readers that split at it
// (Python's str.splitlines; found from outside). Everything else is copied verbatim.
func AppendString(dst []byte, s string, escapeHTML bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && (!escapeHTML || (b != '<' && b != '>' && b != '&')) {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				// Other control characters and, with escapeHTML, '<', '>' and '&'.
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u0085' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\u0085`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// nel is U+0085 in UTF-8.
var nel = []byte("\u0085")

// EscapeNEL returns JSON encoded by encoding/json with every U+0085 escaped as \u0085, as
// AppendString writes it (U+0085 can only stand inside a string there, so the result is the same
// JSON value). b is returned as it is when it holds none.
func EscapeNEL(b []byte) []byte {
	if !bytes.Contains(b, nel) {
		return b
	}
	return bytes.ReplaceAll(b, nel, []byte(`\u0085`))
}

// AppendFloat appends f as encoding/json renders a float of the given bit size (32 or 64):
// the shortest decimal that round-trips, in 'f' format unless its magnitude is below 1e-6 or
// at least 1e21, where it uses 'e' format with a one-digit negative exponent where possible
// ("1e-7", not "1e-07"). NaN and ±Inf are not JSON: they return dst unchanged and an
// *json.UnsupportedValueError with encoding/json's message.
func AppendFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, bits)}
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// Clean up e-09 to e-9.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// StringEnd is the index of the quote that ends the JSON string whose text starts at b[i] (an
// escaped quote does not end it), or -1 when no quote ends it.
func StringEnd(b []byte, i int) int {
	for {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return -1
		}
		q += i
		n := 0
		for k := q - 1; k >= i && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return q
		}
		i = q + 1
	}
}

// Unquote returns the text of the JSON string literal quoted (its quotes included) exactly as
// encoding/json decodes it into a string: escapes resolved, a \u escape of half a surrogate
// pair that no second half follows (or a second half alone) read as U+FFFD, invalid UTF-8
// replaced by U+FFFD byte by byte; ok=false for a literal that is not a JSON string (no
// quotes, a bad escape, a quote or control character inside). The input reader decodes
// records with it (and AppendUnquote) instead of json.Unmarshal; FuzzUnquote holds both to
// encoding/json.
func Unquote(quoted []byte) (_ string, ok bool) {
	if plainLiteral(quoted) {
		return string(quoted[1 : len(quoted)-1]), true
	}
	b, ok := AppendUnquote(make([]byte, 0, len(quoted)), quoted)
	if !ok {
		return "", false
	}
	return string(b), true
}

// plainLiteral reports whether quoted is a JSON string literal whose text is itself: no
// escape, quote or control character inside, valid UTF-8.
func plainLiteral(quoted []byte) bool {
	if len(quoted) < 2 || quoted[0] != '"' || quoted[len(quoted)-1] != '"' {
		return false
	}
	s := quoted[1 : len(quoted)-1]
	ascii := true
	for _, c := range s {
		if c == '\\' || c == '"' || c < ' ' {
			return false
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	return ascii || utf8.Valid(s)
}

// AppendUnquote appends to dst the text of the JSON string literal quoted, as Unquote reads
// it; ok=false (dst as it was) when quoted is not a JSON string.
func AppendUnquote(dst, quoted []byte) (_ []byte, ok bool) {
	if len(quoted) < 2 || quoted[0] != '"' || quoted[len(quoted)-1] != '"' {
		return dst, false
	}
	s := quoted[1 : len(quoted)-1]
	b := dst
	for r := 0; r < len(s); {
		switch c := s[r]; {
		case c == '\\':
			if r+1 >= len(s) {
				return dst, false
			}
			switch e := s[r+1]; e {
			case '"', '\\', '/', '\'', 'b', 'f', 'n', 'r', 't':
				b = append(b, shortEscapes[e])
				r += 2
			case 'u':
				rr := hex4(s[r:])
				if rr < 0 {
					return dst, false
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, hex4(s[r:])); dec != unicode.ReplacementChar {
						r += 6
						b = utf8.AppendRune(b, dec)
						break
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
			default:
				return dst, false
			}
		case c == '"', c < ' ':
			return dst, false
		case c < utf8.RuneSelf:
			// A run of plain ASCII, copied at once.
			end := r + 1
			for end < len(s) && s[end] < utf8.RuneSelf && s[end] >= ' ' && s[end] != '\\' && s[end] != '"' {
				end++
			}
			b = append(b, s[r:end]...)
			r = end
		default:
			rr, size := utf8.DecodeRune(s[r:]) // invalid UTF-8: U+FFFD for each byte
			if rr == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, rr)
			} else {
				b = append(b, s[r:r+size]...)
			}
			r += size
		}
	}
	return b, true
}

// shortEscapes are the characters of JSON's two-character escapes, by the letter after the
// backslash (encoding/json also reads \' as ').
var shortEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', '\'': '\'', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// hex4 is the code unit of the \uXXXX escape s starts with, or -1 when it starts with none.
func hex4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// ValueEnd is the index just past the JSON value starting at b[i] (a string, an object or an
// array, a number or a literal), or -1 when it does not end well (the readers that scan records
// leave such a line to a decoder). Strings inside are skipped by their quotes, escapes included;
// the value is not validated (the coding operation's line path and the input reader check the
// line with json.Valid).
func ValueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	depth := 0
	for j := i; j < len(b); j++ {
		switch c := b[j]; c {
		case '"':
			if j = StringEnd(b, j+1); j < 0 {
				return -1
			}
			if depth == 0 {
				return j + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 { // the end of the object or array holding a scalar
				if j == i {
					return -1
				}
				return j
			}
			depth--
			if depth == 0 {
				return j + 1
			}
		case ',', ' ', '\t', '\r', '\n':
			if depth == 0 {
				if j == i {
					return -1
				}
				return j
			}
		default:
			if depth == 0 && !('0' <= c && c <= '9' || c == '.' || c == '-' || c == '+' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				return -1
			}
		}
	}
	if depth == 0 && i < len(b) && b[i] != '{' && b[i] != '[' && b[i] != '"' {
		return len(b)
	}
	return -1
}

// SkipSpace is the index of the first byte at or after i that is not JSON white space.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}
