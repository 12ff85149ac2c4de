package coding

import (
	"html"
	"strings"
)

// # Markup in answers
//
// Answers exported from web survey tools sometimes carry HTML: character references
// ("driver&#39;s mate", "health &amp; safety officer", "staff&nbsp;nurse") and tags
// ("<p>teacher</p>", "nurse<br>"). Read as text, their names become words ("39", "amp",
// "nbsp", "p", "br") that move the answer's code ("<p>teacher</p>" was not coded, its first
// suggestion 811). stripMarkup reads them as a browser shows them, before tokenising:
//
//   - a character reference ended by ";" (&amp; &nbsp; &#39; &#x2019; ...) is the character
//     it names; one without the ";" is left as written, so "nurse&paramedic" or "R&D" keep
//     their letters (HTML would read "&para" and "&not" inside words as ¶ and ¬);
//   - a tag of an HTML element that survey tools write (htmlTags: <p>, </p>, <br/>,
//     <span style="...">, ...) is a space; other text in angle brackets ("nurse <band 5>")
//     is kept.
//
// A text with neither "&" nor "<" is returned as it is (the ONS index titles the shipped
// model is trained on hold neither).

// maxEntityBytes bounds the name of a character reference ("&" to ";"); maxTagNameBytes the
// name of a tag's element (the longest of htmlTags); maxTagBytes the rest of a tag.
const (
	maxEntityBytes  = 32
	maxTagNameBytes = 10
	maxTagBytes     = 512
)

// htmlTags are the elements whose tags stripMarkup removes.
var htmlTags = map[string]bool{
	"a": true, "b": true, "big": true, "blockquote": true, "br": true, "code": true, "del": true,
	"div": true, "em": true, "font": true, "h1": true, "h2": true, "h3": true, "h4": true,
	"h5": true, "h6": true, "hr": true, "i": true, "img": true, "ins": true, "li": true,
	"mark": true, "ol": true, "p": true, "pre": true, "s": true, "small": true, "span": true,
	"strike": true, "strong": true, "sub": true, "sup": true, "table": true, "td": true,
	"th": true, "tr": true, "u": true, "ul": true,
}

// stripMarkup returns s with its HTML character references decoded and its HTML tags made
// spaces, as described above.
func stripMarkup(s string) string {
	if strings.IndexByte(s, '&') < 0 && strings.IndexByte(s, '<') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '&':
			if n := entityLen(s[i:]); n > 0 {
				// Decoded whole or not at all: html also decodes a legacy name's prefix that has
				// no ";" ("&copyright;" is "©right;", "&notice;" "¬ice;"), which this rule leaves
				// as written. A whole reference leaves no ";" behind (but &semi;, which is one).
				if u := html.UnescapeString(s[i : i+n]); u != s[i:i+n] && (u == ";" || !strings.HasSuffix(u, ";")) {
					b.WriteString(u)
					i += n
					continue
				}
			}
		case c == '<':
			if n := tagLen(s[i:]); n > 0 {
				b.WriteByte(' ')
				i += n
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// entityLen is the length of the character reference s starts with ("&name;", "&#39;",
// "&#x27;"), 0 when it does not start with one ended by ";".
func entityLen(s string) int {
	for j := 1; j < len(s) && j <= maxEntityBytes; j++ {
		switch c := s[j]; {
		case c == ';':
			if j == 1 {
				return 0
			}
			return j + 1
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '#' && j == 1:
		default:
			return 0
		}
	}
	return 0
}

// tagLen is the length of the tag of an element of htmlTags that s starts with ("<p>",
// "</p>", "<br/>", "<span class=\"x\">"), 0 when it does not start with one.
func tagLen(s string) int {
	i := 1
	if i < len(s) && s[i] == '/' {
		i++
	}
	start := i
	for i < len(s) && i-start <= maxTagNameBytes && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	if i == start || i-start > maxTagNameBytes || i == len(s) || !htmlTags[strings.ToLower(s[start:i])] {
		return 0
	}
	if c := s[i]; c != '>' && c != '/' && c != ' ' && c != '\t' && c != '\n' && c != '\r' {
		return 0
	}
	end := strings.IndexByte(s[i:min(len(s), i+maxTagBytes)], '>')
	if end < 0 || strings.IndexByte(s[i:i+end], '<') >= 0 {
		return 0
	}
	return i + end + 1
}
