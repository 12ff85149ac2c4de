package coding

import (
	"unicode"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis/internal/text"
)

// # Text normalisation
//
// A text is cut into tokens: maximal runs of letters and digits, lower-cased, with the common
// Latin accents removed (é→e, æ→ae, ß→ss, ...). Apostrophes (isApostrophe: ' ’ ‘ ` ´ ʼ) are
// dropped inside a token ("children's" → "childrens"), and so are invisible format characters
// (Unicode Cf: a soft hyphen, a zero-width joiner, a direction mark, a byte order mark), but
// for the zero-width space, which ends a token as a space does: a text that shows the same
// gives the same tokens ("co\u00ADordinator", with a soft hyphen pasted from a web page, is
// "coordinator"); a full stop between two letters or digits joins them when the part before
// it is one letter or digit, as in abbreviations ("h.g.v" → "hgv", "n.e.c" → "nec"), and
// ends the token otherwise, as after a word run into the next ("nurse.carer" → "nurse"
// "carer", "teacher.primary school"); every other character ends a token. A hyphen (isHyphen: - ‐ or ‑) between two
// letters or digits is read in one of two ways: it joins them ("co-ordinator" →
// "coordinator"; the joined reading), or, in the split reading (tokens.split), it ends a
// token, so the compound gives its parts ("bus-driver" → "bus" "driver"), and the compound's
// joined form, when at least one part is kept, is recorded beside the tokens (tokens.joined:
// "busdriver"). Survey answers write compounds both ways ("bus-driver" for the index's "bus
// driver", "fork-lift" for its "forklift"); the title features use both readings (features.go). Stop words (stopWords) are removed. Each remaining token is then stemmed by a light
// plural stemmer (stem): "-ies" → "-y", "-sses", "-shes", "-ches", "-xes", "-zzes" lose "es",
// "-men" → "-man", and a final "s" is dropped unless the word ends in "ss", "us", "is" or
// "ys" or has 3 letters or fewer.

// maxTokens bounds the tokens read from one text (the rest is ignored); maxTokenBytes bounds
// the length of a token (longer runs are cut).
const (
	maxTokens     = 64
	maxTokenBytes = 32
)

type span struct{ start, end int32 }

// tokens holds the tokens of one text: their bytes concatenated in buf, and their spans.
type tokens struct {
	buf   []byte
	spans []span
	// joined holds the joined forms of the hyphenated compounds ("coordinator" for
	// "co-ordinator"), whose parts are in spans.
	joined []span
	// split, when set, makes a hyphen between letters or digits end a token (a part of a
	// compound) instead of joining; the zero value joins.
	split   bool
	raw     []byte // the current compound's letters so far, unstemmed
	hyph    int    // hyphens in the current compound
	first   int    // spans index of the current compound's first part
	hyphens int    // hyphens that split a compound in the text
}

func (t *tokens) reset() {
	t.buf = t.buf[:0]
	t.spans = t.spans[:0]
	t.joined = t.joined[:0]
	t.raw = t.raw[:0]
	t.hyph = 0
	t.hyphens = 0
}

func (t *tokens) n() int { return len(t.spans) }

func (t *tokens) tok(i int) []byte { s := t.spans[i]; return t.buf[s.start:s.end] }

var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "as": true, "at": true, "by": true, "for": true,
	"from": true, "in": true, "of": true, "on": true, "or": true, "the": true, "to": true,
	"with": true, "etc": true, "i": true, "my": true, "am": true, "is": true, "are": true,
}

// foldRune returns the ASCII letters a lower-case accented Latin letter folds to, or "" when
// r is not one of them.
func foldRune(r rune) string {
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā', 'ă', 'ą':
		return "a"
	case 'ç', 'ć', 'č':
		return "c"
	case 'ď', 'đ':
		return "d"
	case 'è', 'é', 'ê', 'ë', 'ē', 'ė', 'ę', 'ě':
		return "e"
	case 'ì', 'í', 'î', 'ï', 'ī', 'į':
		return "i"
	case 'ł', 'ľ', 'ĺ':
		return "l"
	case 'ñ', 'ń', 'ň':
		return "n"
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō', 'ő':
		return "o"
	case 'ř', 'ŕ':
		return "r"
	case 'ś', 'š', 'ş':
		return "s"
	case 'ť', 'ţ':
		return "t"
	case 'ù', 'ú', 'û', 'ü', 'ū', 'ů', 'ű':
		return "u"
	case 'ý', 'ÿ':
		return "y"
	case 'ź', 'ż', 'ž':
		return "z"
	case 'æ':
		return "ae"
	case 'œ':
		return "oe"
	case 'ß':
		return "ss"
	}
	return ""
}

func isAlnumByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// tokenize appends the normalised tokens of s to t. It reads s as a browser shows it when it
// holds HTML (stripMarkup, markup.go), and in Unicode normalisation form C
// (text.NFC), so that letters written with combining accents (NFD, as macOS and some editors
// write them) fold like the precomposed ones instead of splitting the word at the accent.
func (t *tokens) tokenize(s string) {
	s, _ = text.NFC(stripMarkup(s))
	start := len(t.buf)
	part := start // where the current part of a token joined by full stops or hyphens began
	var prev rune = ' '
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			t.buf = append(t.buf, byte(r))
		case r >= 'A' && r <= 'Z':
			t.buf = append(t.buf, byte(r+'a'-'A'))
		case isApostrophe(r) || r >= utf8.RuneSelf && r != '\u200B' && unicode.Is(unicode.Cf, r):
			// dropped, the token goes on: an apostrophe, or an invisible format character
			// (soft hyphen, zero-width joiner, direction mark, ...) but the zero-width space,
			// which separates words as a space does
			continue
		case isHyphen(r) && t.split && len(t.buf) > start && i < len(s) && isAlnumByte(s[i]) && isAlnum(prev):
			// ends a part of a compound
			if t.hyph == 0 {
				t.first = len(t.spans)
			}
			t.hyph++
			t.hyphens++
			t.raw = append(t.raw, t.buf[start:]...)
			start = t.endToken(start)
			part = start
			if len(t.spans) >= maxTokens {
				return
			}
		case (isHyphen(r) || r == '.' && utf8.RuneCount(t.buf[part:]) == 1) && len(t.buf) > start && i < len(s) && isAlnumByte(s[i]) && isAlnum(prev):
			// joins (a full stop only after one letter or digit: "h.g.v", not "nurse.carer")
			part = len(t.buf)
			prev = r
			continue
		case r < utf8.RuneSelf:
			start = t.endWord(start)
			part = start
			if len(t.spans) >= maxTokens {
				return
			}
		default:
			lr := unicode.ToLower(r)
			if f := foldRune(lr); f != "" {
				t.buf = append(t.buf, f...)
			} else if unicode.IsLetter(lr) || unicode.IsDigit(lr) {
				t.buf = utf8.AppendRune(t.buf, lr)
			} else {
				start = t.endWord(start)
				part = start
				if len(t.spans) >= maxTokens {
					return
				}
			}
		}
		prev = r
	}
	t.endWord(start)
}

// endWord closes the token that began at start like endToken; when it is the last part of
// a hyphenated compound, it also records the compound's joined form (in joined) if any of
// its parts was kept. It returns where the next token starts.
func (t *tokens) endWord(start int) int {
	if t.hyph == 0 {
		return t.endToken(start)
	}
	t.raw = append(t.raw, t.buf[start:]...)
	next := t.endToken(start)
	if len(t.spans) > t.first && len(t.joined) < maxTokens {
		n := len(t.spans)
		t.buf = append(t.buf, t.raw...)
		next = t.endToken(next)
		if len(t.spans) > n {
			t.joined = append(t.joined, t.spans[n])
			t.spans = t.spans[:n]
		}
	}
	t.raw = t.raw[:0]
	t.hyph = 0
	return next
}

// isApostrophe reports whether r is read as an apostrophe: ' ’ ‘ `, the acute accent ´ that
// keyboards without an apostrophe key give, and the modifier letter apostrophe ʼ.
func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', '`', '´', 'ʼ':
		return true
	}
	return false
}

// isHyphen reports whether r is read as a hyphen: - (hyphen-minus), ‐ (hyphen) and the
// non-breaking hyphen ‑ (U+2011) that word processors put in compounds.
func isHyphen(r rune) bool { return r == '-' || r == '‐' || r == '\u2011' }

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// endToken closes the token that began at start in t.buf (if any): drops it when it is a
// stop word, otherwise stems it and records its span. It returns where the next token starts.
func (t *tokens) endToken(start int) int {
	if len(t.buf) == start {
		return start
	}
	w := t.buf[start:]
	if len(w) > maxTokenBytes {
		w = w[:maxTokenBytes]
		// do not cut inside a UTF-8 sequence
		for len(w) > 0 && !utf8.RuneStart(w[len(w)-1]) {
			w = w[:len(w)-1]
		}
		if len(w) > 0 && w[len(w)-1] >= utf8.RuneSelf {
			w = w[:len(w)-1]
		}
	}
	if stopWords[string(w)] || len(t.spans) >= maxTokens || len(w) == 0 {
		t.buf = t.buf[:start]
		return start
	}
	w = stem(w)
	t.buf = t.buf[:start+len(w)]
	t.spans = append(t.spans, span{int32(start), int32(start + len(w))})
	return len(t.buf)
}

func hasSuffix(w []byte, s string) bool {
	return len(w) >= len(s) && string(w[len(w)-len(s):]) == s
}

// stem is the light plural stemmer described above; it rewrites w in place and returns the
// (never longer) result.
func stem(w []byte) []byte {
	n := len(w)
	if n <= 3 {
		return w
	}
	switch {
	case hasSuffix(w, "ies") && n > 4:
		w[n-3] = 'y'
		return w[:n-2]
	case hasSuffix(w, "sses") || hasSuffix(w, "shes") || hasSuffix(w, "ches") || hasSuffix(w, "xes") || hasSuffix(w, "zzes"):
		return w[:n-2]
	case hasSuffix(w, "men"):
		w[n-2] = 'a'
		return w
	case w[n-1] == 's':
		if hasSuffix(w, "ss") || hasSuffix(w, "us") || hasSuffix(w, "is") || hasSuffix(w, "ys") {
			return w
		}
		return w[:n-1]
	}
	return w
}
