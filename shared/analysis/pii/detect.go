package pii

// detect.go holds the detector: its per-document scan (run), which calls each family of
// detectors, and the character classes and context-word helpers they share. The families are in
// numeric.go, finance.go, ssn.go, phone.go, internet.go, secrets.go and text.go.

import (
	"strings"
	"unicode"
	"unicode/utf8"

	txt "github.com/ream-dev/ream/shared/analysis/internal/text"
)

// detector collects candidate spans (in bytes) for one document.
type detector struct {
	text  string
	cands []candidate
	awsAt []int    // byte ends of AWS access keys, for the secret-key proximity rule
	ssns  []string // the digits of the SSNs found so far, for the repeated-number rule
	// docContext is set when the document holds a context word of a passport, driver's licence
	// or licence plate (documentNumber looks at the words of capitals and digits only then).
	docContext bool
}

func (d *detector) add(s, e int, typ string, score float64) {
	d.cands = append(d.cands, candidate{s: s, e: e, typ: typ, score: score})
}

func (d *detector) run() {
	t := d.text
	hasDigit, hasAt, hasColon, hasEq, hasUpper := false, false, false, false, false
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
			hasDigit = true
		case c == '@':
			hasAt = true
		case c == ':':
			hasColon = true
		case c == '=':
			hasEq = true
		case c >= 'A' && c <= 'Z':
			hasUpper = true
		}
	}
	if hasAt {
		d.emails()
	}
	if strings.Contains(t, "://") || strings.Contains(t, "www.") || strings.Contains(t, "WWW.") {
		d.urls()
	}
	if hasDigit {
		d.numericRuns()
		if hasColon {
			d.ipv6()
		}
		d.macs()
		if hasUpper {
			d.ibans()
		}
		d.dates()
		if hasUpper {
			d.addresses()
			d.euroAddresses()
		}
	}
	if hasUpper {
		d.awsKeys()
		d.names()
		d.docContext = hasDigit && containsAnyFold(t, docWords)
		d.codes()
	}
	if hasDigit && containsAnyFold(t, ageWords) {
		d.ages()
	}
	if hasColon || hasEq {
		d.keyValues()
	}
	if hasDigit && (containsFold(t, "cv") || containsFold(t, "exp") || containsFold(t, "valid ") || containsFold(t, "security code") || containsFold(t, "pin")) {
		d.cardKeywords()
	}
	d.awsSecrets()
}

// ---- character classes ----

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

func upper(c byte) bool { return c >= 'A' && c <= 'Z' }

// wordByte reports whether c can be part of a word (ASCII alnum, '_' or any non-ASCII byte).
func wordByte(c byte) bool { return isAlnum(c) || c == '_' || c >= 0x80 }

// sepBefore and sepAfter report whether the character ending at i, or starting at e, is white
// space or an invisible format character that is not ASCII (a no-break space, a right-to-left
// mark, a zero-width space): such a character separates a number from the words around it as a
// space does (found from outside: "NHS Number:\u00a0943 476 5919" and
// "VIN: 1HGCM82633A004352\u200f" found nothing).
func sepBefore(t string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(t[:i])
	return separator(r)
}

func sepAfter(t string, e int) bool {
	r, _ := utf8.DecodeRuneInString(t[e:])
	return separator(r)
}

// joinsBefore and joinsAfter report whether the character ending at i, or starting at e,
// continues a word, so that a number or code beside it is inside a longer word: an ASCII letter,
// digit or '_', or a character beyond ASCII that is no separator (a letter: "éGB82…"). The
// start or the end of the text joins nothing.
func joinsBefore(t string, i int) bool {
	return i > 0 && wordByte(t[i-1]) && (t[i-1] < 0x80 || !sepBefore(t, i))
}

func joinsAfter(t string, e int) bool {
	return e < len(t) && wordByte(t[e]) && (t[e] < 0x80 || !sepAfter(t, e))
}

// separator is a character beyond ASCII that separates words: white space, a format character,
// or punctuation (curly quotes, dashes, an ellipsis: text pasted from a word processor; found in
// review: `VIN “1HGCM82633A004352”` and `card “4111111111111111”` found nothing), or a letter of
// a script written without spaces between words (unspaced: "電話番号は090-1234-5678です" found
// nothing).
func separator(r rune) bool {
	return r >= 0x80 && r != utf8.RuneError && (unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || unicode.IsPunct(r) || unspaced(r))
}

// unspacedScripts are the scripts whose writers put no space between words (Chinese, Japanese,
// Thai, Lao, Khmer, Burmese) or attach a particle to the word before it, a number or an address
// too (Korean: "010-1234-5678입니다"): a value written in such text touches the letters around it
// and is still a value of its own, not the inside of a longer word.
var unspacedScripts = []*unicode.RangeTable{unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar}

func unspaced(r rune) bool { return r >= 0x80 && unicode.In(r, unspacedScripts...) }

// nearWord is near for context words that must be whole words ("vin", not "vintage"; "itin",
// not "itinerary"; found in review).
func (d *detector) nearWord(i, maxGap int, words []string) bool {
	return d.nearAny(i, maxGap, words, true)
}

// docWords and ageWords are what a document must hold for documentNumber and ages to look.
var (
	docWords = []string{"passport", "licen", "dl#", "dl #", "dl:", "dl no", "dl number", "plate", "registration", "reg no", "reg. no"}
	ageWords = []string{"old", "age"}
)

// containsAnyFold reports whether hay contains one of needles (lower-case ASCII), ignoring ASCII
// case, in one pass that tries the needles only where their first letter is.
func containsAnyFold(hay string, needles []string) bool {
	var first [256]bool
	for _, n := range needles {
		first[n[0]] = true
	}
	for i := 0; i < len(hay); i++ {
		if !first[hay[i]|0x20] {
			continue
		}
		for _, n := range needles {
			if wordAt(hay, i, n) {
				return true
			}
		}
	}
	return false
}

// containsFold reports whether hay contains needle (lower-case ASCII), ignoring ASCII case.
func containsFold(hay, needle string) bool {
	for i := 0; i+len(needle) <= len(hay); i++ {
		if foldAt(hay, i, needle) {
			return true
		}
	}
	return false
}

// foldAt reports whether hay holds needle (lower-case ASCII) at i, ignoring ASCII case;
// hay must have len(needle) bytes from i.
func foldAt(hay string, i int, needle string) bool {
	for j := 0; j < len(needle); j++ {
		c := hay[i+j]
		if upper(c) {
			c += 'a' - 'A'
		}
		if c != needle[j] {
			return false
		}
	}
	return true
}

// before returns up to n bytes of text before byte offset i.
func (d *detector) before(i, n int) string {
	s := i - n
	if s < 0 {
		s = 0
	}
	return d.text[s:i]
}

// near reports whether one of the context words ends at most maxGap bytes before byte i, with
// no digit and no sentence end between it and i ("SSN: ", "account number ", "call me at ").
func (d *detector) near(i, maxGap int, words []string) bool {
	return d.nearAny(i, maxGap, words, false)
}

// nearAny is near, and with whole nearWord: the keyword starts a word, and with whole it also
// ends one (a keyword ending in a letter is not followed by one).
func (d *detector) nearAny(i, maxGap int, words []string, whole bool) bool {
	w := d.before(i, maxGap+24)
	for _, word := range words {
		k := lastIndexFold(w, word)
		if k < 0 || k > 0 && isAlpha(w[k-1]) {
			continue
		}
		gap := w[k+len(word):]
		if len(gap) > maxGap || strings.ContainsAny(gap, "0123456789") || strings.ContainsAny(gap, txt.LineBreaks) && !labelLine(word, gap) || sentenceBreak(gap) ||
			whole && gap != "" && isAlpha(word[len(word)-1]) && isAlpha(gap[0]) {
			continue
		}
		return true
	}
	return false
}

// labelLine reports whether gap, the text between a context word and a value, is a form's
// label ending its line: at most a few more words ending in a colon, one line break, and only
// blanks after it ("Passport number:\nX1234567", "SSN:\r\n  123-45-6789"). Other gaps holding a
// line break keep their context from the value (found from outside: a value on the line after
// its label was not found). A line break is any of txt.LineBreaks, as ENTITIES and KEY_PHRASES
// read them (found from outside: context reached across a lone CR, VT, FF, NEL, U+2028 or
// U+2029, so such a document's PII differed from the same text with LF line ends).
func labelLine(word, gap string) bool {
	head, tail, _ := txt.CutLine(gap)
	head = strings.TrimRight(word+head, " \t")
	return strings.HasSuffix(head, ":") && strings.Trim(tail, " \t") == ""
}

// wordAt is foldAt where hay may end before the needle does.
func wordAt(hay string, i int, needle string) bool {
	return i+len(needle) <= len(hay) && foldAt(hay, i, needle)
}

// wordBefore reports whether one of words (each ending in its separator, "was ") stands just
// before byte i of t, starting a word.
func wordBefore(t string, i int, words []string) bool {
	for _, w := range words {
		if s := i - len(w); s >= 0 && foldAt(t, s, w) && (s == 0 || !isAlpha(t[s-1])) {
			return true
		}
	}
	return false
}

// scoreNear is base, or withContext when one of words is near before byte i.
func (d *detector) scoreNear(i int, words []string, base, withContext float64) float64 {
	if d.nearWord(i, 24, words) {
		return withContext
	}
	return base
}

// sentenceBreak reports whether s holds a sentence end: '.', '!' or '?', spaces, and an
// upper-case letter.
func sentenceBreak(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] != '.' && s[i] != '!' && s[i] != '?' {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j > i+1 && j < len(s) && upper(s[j]) {
			return true
		}
	}
	return false
}

// lastIndexFold is the last index of needle (lower-case ASCII) in hay, ignoring ASCII case.
func lastIndexFold(hay, needle string) int {
	for i := len(hay) - len(needle); i >= 0; i-- {
		if foldAt(hay, i, needle) {
			return i
		}
	}
	return -1
}

// hasAny reports whether window contains any of the words (ASCII case-insensitive).
func hasAny(window string, words []string) bool {
	for _, w := range words {
		if containsFold(window, w) {
			return true
		}
	}
	return false
}
