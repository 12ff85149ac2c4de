// Package jsonw appends JSON values to byte slices as encoding/json renders them (strings with
// one more escape, see AppendString), without reflection. It owns the string-escaping and float-formatting rules that the output
// records rely on for byte-identical encodings, and the end of a JSON string (StringEnd) for
// the readers that scan records without decoding them.
package jsonw

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
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
