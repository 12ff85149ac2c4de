// Package text holds the text helpers the analysers share: a small English tokenizer that
// records both byte and character (Unicode code point) offsets (Tokenize), the tokens that end
// a sentence (EndsSentence), a light suffix stemmer (Stem), English stopwords and date and
// number words, the one check that a declared language is English (CheckEnglish), and the NFC
// form of a text with a map of its offsets back to the text (NFC, OffsetMap).
package text

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
	"github.com/ream-dev/ream/shared/job"
)

// Kind is the coarse class of a token.
type Kind uint8

const (
	Word   Kind = iota // letters, possibly with digits, inner apostrophes, hyphens, dots
	Number             // digits with inner , . : (1,000  4.5  8:30)
	Punct              // any other single character (. , ; “ $ € ...)
)

// Token is one token of a text. Begin/End are byte offsets (End exclusive), RBegin/REnd
// character offsets.
type Token struct {
	Text          string
	Begin, End    int
	RBegin, REnd  int
	Kind          Kind
	SentStart     bool // first word-like token of a sentence
	SpaceBefore   bool // whitespace (or the text start) precedes the token
	Cap           bool // first rune is upper case
	AllCap        bool // every letter upper case and at least two letters
	HasDigit      bool
	HasInnerUpper bool // an upper-case letter after the first rune (OpenAI, McDonald)
}

// abbrevs are words whose following period belongs to them.
var abbrevs = map[string]bool{
	"inc": true, "corp": true, "ltd": true, "co": true, "mr": true, "mrs": true, "ms": true,
	"dr": true, "prof": true, "gen": true, "gov": true, "sen": true, "rep": true, "st": true,
	"jr": true, "sr": true, "jan": true, "feb": true, "mar": true, "apr": true, "jun": true,
	"jul": true, "aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"plc": true, "llc": true, "bros": true, "mt": true, "ave": true, "col": true, "lt": true,
	"capt": true, "sgt": true, "vs": true, "no": false, "u.s": true, "u.k": true, "a.m": true,
	"p.m": true, "e.g": true, "i.e": true, "d.c": true,
}

// isLetter reports whether r belongs to a word: a letter or a combining mark, the spacing marks
// (Mc) included, which the Indic scripts write for most vowels ("मेरा", "தமிழ்").
func isLetter(r rune) bool { return unicode.IsLetter(r) || unicode.IsMark(r) }

// Tokenize splits text into tokens. It allocates only the returned slice.
func Tokenize(text string, dst []Token) []Token {
	toks := dst[:0]
	rpos := 0 // character offset of i
	sentStart := true
	prevSpace := true
	for i := 0; i < len(text); {
		r, sz := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			i += sz
			rpos++
			prevSpace = true
			continue
		}
		start, rstart := i, rpos
		var kind Kind
		switch {
		case isLetter(r):
			kind = Word
			i, rpos = scanWord(text, i, rpos)
		case r >= '0' && r <= '9':
			kind = Number
			i, rpos = scanNumber(text, i, rpos)
			// 2024-03-03, 9/11/2001, 12kg, 4th, GPT-4 style tails are left as separate tokens,
			// except ordinal suffixes and 10am/pm which join.
		case r == '\'' || r == '’':
			// possessive 's / ’s
			j := i + sz
			if j < len(text) && (text[j] == 's' || text[j] == 'S') && (j+1 == len(text) || !isLetterAt(text, j+1)) {
				kind = Word
				i = j + 1
				rpos += 2
				break
			}
			kind = Punct
			i += sz
			rpos++
		default:
			kind = Punct
			i += sz
			rpos++
		}
		t := Token{Text: text[start:i], Begin: start, End: i, RBegin: rstart, REnd: rpos, Kind: kind, SpaceBefore: prevSpace}
		prevSpace = false
		if kind != Punct {
			t.SentStart = sentStart
			sentStart = false
			fillCase(&t)
		} else if EndsSentence(t.Text) {
			sentStart = true
		}
		if kind == Word && strings.HasSuffix(t.Text, ".") {
			// an abbreviation ending the sentence ("... Apple Inc. said" keeps going, "in the
			// U.S. The" starts a new one): treat a following capitalised word as a possible start.
			if r, _ := utf8.DecodeRuneInString(text[i:]); i >= len(text) || strings.ContainsRune(LineBreaks, r) {
				sentStart = true
			}
		}
		toks = append(toks, t)
	}
	return toks
}

func isLetterAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isLetter(r) || (r >= '0' && r <= '9')
}

func fillCase(t *Token) {
	first := true
	letters, uppers := 0, 0
	for _, r := range t.Text {
		if r >= '0' && r <= '9' {
			t.HasDigit = true
		}
		if isLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				uppers++
				if first {
					t.Cap = true
				} else {
					t.HasInnerUpper = true
				}
			}
		}
		first = false
	}
	t.AllCap = letters >= 2 && uppers == letters
}

// scanWord reads a word starting at i: letters and digits, with inner ' ’ - & and dots
// between single letters (U.S.), plus a final period for known abbreviations.
func scanWord(s string, i, rpos int) (int, int) {
	start := i
	for i < len(s) {
		r, sz := utf8.DecodeRuneInString(s[i:])
		if isLetter(r) || (r >= '0' && r <= '9') {
			i += sz
			rpos++
			continue
		}
		if (r == '\'' || r == '’' || r == '-' || r == '&' || r == '.') && i+sz < len(s) {
			// possessive 's stays a separate token
			if (r == '\'' || r == '’') && (s[i+sz] == 's' || s[i+sz] == 'S') && (i+sz+1 == len(s) || !isLetterAt(s, i+sz+1)) {
				break
			}
			if r == '.' {
				// dots only between single letters: U.S, p.m
				if !(isLetterAt(s, i+sz) && i-start >= 1 && singleLetterBefore(s, start, i) && singleLetterAfter(s, i+sz)) {
					break
				}
			}
			if isLetterAt(s, i+sz) {
				i += sz
				rpos++
				continue
			}
		}
		break
	}
	if i < len(s) && s[i] == '.' {
		w := strings.ToLower(s[start:i])
		if abbrevs[w] || strings.Contains(w, ".") {
			i++
			rpos++
		}
	}
	return i, rpos
}

func singleLetterBefore(s string, start, i int) bool {
	_, sz := utf8.DecodeLastRuneInString(s[:i])
	j := i - sz
	return j == start || s[j-1] == '.'
}

func singleLetterAfter(s string, j int) bool {
	_, sz := utf8.DecodeRuneInString(s[j:])
	return j+sz >= len(s) || !isLetterAt(s, j+sz)
}

// scanNumber reads digits with inner , . : between digits.
func scanNumber(s string, i, rpos int) (int, int) {
	for i < len(s) {
		c := s[i]
		if c >= '0' && c <= '9' {
			i++
			rpos++
			continue
		}
		if (c == ',' || c == '.' || c == ':') && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			i++
			rpos++
			continue
		}
		break
	}
	// ordinal suffixes: 4th, 21st, 2nd, 3rd
	if i+2 <= len(s) {
		suf := strings.ToLower(s[i:min(i+2, len(s))])
		if (suf == "th" || suf == "st" || suf == "nd" || suf == "rd") && (i+2 == len(s) || !isLetterAt(s, i+2)) {
			i += 2
			rpos += 2
		}
	}
	return i, rpos
}

// LowerASCII lower-cases s, allocating only when s has upper-case letters.
func LowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return strings.ToLower(s)
		}
		if c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// Stem is a light English suffix stemmer in the spirit of Porter's step 1 with a few of its
// later steps: it conflates plurals, -ed/-ing forms and common derivational endings
// (rates/rate, hikes/hike, vaccination/vaccinations, regulating/regulate). Input must be
// lower case. It is not a full Porter stemmer: it aims at matching phrase variants, not at
// linguistic roots.
func Stem(w string) string {
	if len(w) <= 3 {
		return w
	}
	// step 1a: plurals
	switch {
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ss") || strings.HasSuffix(w, "us") || strings.HasSuffix(w, "is"):
	case strings.HasSuffix(w, "s") && len(w) > 3:
		w = w[:len(w)-1]
	}
	// step 1b: -ed, -ing
	for _, suf := range []string{"ing", "ed"} {
		if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 3 && hasVowel(w[:len(w)-len(suf)]) {
			w = w[:len(w)-len(suf)]
			n := len(w)
			if n >= 2 && w[n-1] == w[n-2] && w[n-1] != 'l' && w[n-1] != 's' && w[n-1] != 'z' && !isVowelByte(w[n-1]) {
				w = w[:n-1]
			}
			break
		}
	}
	// a few derivational endings
	for _, p := range [...][2]string{{"ational", "ate"}, {"ation", "ate"}, {"ization", "ize"}, {"iveness", "ive"}, {"fulness", "ful"}, {"ousness", "ous"}, {"ement", ""}, {"ment", ""}, {"ness", ""}, {"ity", ""}, {"ally", "al"}, {"ly", ""}} {
		if strings.HasSuffix(w, p[0]) && len(w)-len(p[0]) >= 4 {
			w = w[:len(w)-len(p[0])] + p[1]
			break
		}
	}
	// final e and y normalisation: rate/rat(ing) -> rat, policy/polici
	if n := len(w); n > 3 && w[n-1] == 'e' {
		w = w[:n-1]
	}
	if n := len(w); n > 3 && w[n-1] == 'y' {
		w = w[:n-1] + "i"
	}
	return w
}

func isVowelByte(c byte) bool { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' }

func hasVowel(s string) bool {
	for i := 0; i < len(s); i++ {
		if isVowelByte(s[i]) || s[i] == 'y' {
			return true
		}
	}
	return false
}

// LineBreaks are the characters that end a line (Unicode's mandatory breaks: LF, CR, VT, FF,
// NEL, LINE and PARAGRAPH SEPARATOR): a key phrase or an entity never spans one.
const LineBreaks = "\n\r\v\f\u0085\u2028\u2029"

// CutLine slices s around its first line break (any of LineBreaks, a CRLF being one break),
// returning the text before and after it; found is false, and before is s, when s has none.
func CutLine(s string) (before, after string, found bool) {
	i := strings.IndexAny(s, LineBreaks)
	if i < 0 {
		return s, "", false
	}
	if strings.HasPrefix(s[i:], "\r\n") {
		return s[:i], s[i+2:], true
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return s[:i], s[i+n:], true
}

// EndsInLineBreak reports whether s ends with a line break (any of LineBreaks).
func EndsInLineBreak(s string) bool {
	r, n := utf8.DecodeLastRuneInString(s)
	return n > 0 && strings.ContainsRune(LineBreaks, r)
}

// EndsSentence reports whether a punctuation token ends a sentence: . ! ? or ….
func EndsSentence(tok string) bool {
	switch tok {
	case ".", "!", "?", "…":
		return true
	}
	return false
}

// CheckEnglish returns a DocError UNSUPPORTED_LANGUAGE naming analysis (SENTIMENT, ENTITIES,
// ...) unless code is empty or English: "en" or "en-" and a region ("en-GB"), in any case,
// surrounding spaces ignored. With underscore, "en_" and a region ("en_US") is English too:
// ENTITIES and KEY_PHRASES have always accepted that spelling, SENTIMENT and PII have refused
// it, and each keeps its behaviour. A job's LanguageCode never has it (the registry's
// CanonicalLanguageCode refuses it), so only an analyser configured directly sees the
// difference.
func CheckEnglish(analysis job.Analysis, code string, underscore bool) *result.DocError {
	c := strings.ToLower(strings.TrimSpace(code))
	if c == "" || c == "en" || strings.HasPrefix(c, "en-") || (underscore && strings.HasPrefix(c, "en_")) {
		return nil
	}
	if c == "und" {
		// The gate's Undetermined: no configured language was identified (found from outside:
		// the message showed the internal code "und").
		return &result.DocError{Code: job.CodeUnsupportedLanguage, Message: string(analysis) + " supports English (en) only, and the document's language could not be identified as one this deployment detects"}
	}
	return &result.DocError{Code: job.CodeUnsupportedLanguage, Message: string(analysis) + " supports English (en) only, not " + strconv.Quote(code)}
}

// Stopwords are English function words (and a few very common verbs and adverbs): they
// break noun-phrase chunks and are never entities on their own.
var Stopwords = Set(`a about above across after afterwards again against all almost alone along already also
although always am among amongst an and another any anyhow anyone anything anyway anywhere are
around as at back be became because become becomes becoming been before beforehand behind being
below beside besides between beyond both but by can cannot could did do does doing done down
during each either else elsewhere enough even ever every everyone everything everywhere except
few for former formerly from further had has have having he hence her here hereafter hereby
herein hers herself him himself his how however i if in indeed into is it its itself just last
latter least less many may me meanwhile might mine more moreover most mostly much must my myself
namely neither never nevertheless next no nobody none noone nor not nothing now nowhere of off
often on once one only onto or other others otherwise our ours ourselves out over own per perhaps
please quite rather re same several she should since so some somehow someone something sometime
sometimes somewhere still such than that the their theirs them themselves then thence there
thereafter thereby therefore therein thereupon these they this those though through throughout
thru thus to together too toward towards under until up upon us very via was we well were what
whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever whether
which while whither who whoever whole whom whose why will with within without would yet you your
yours yourself yourselves 's said says say saying told tell tells asked added according including
while amid despite against like unlike also just about around nearly almost roughly some about
it's its i'm we're they're don't didn't won't can't isn't wasn't aren't weren't hasn't haven't
shall got get gets getting make makes made take takes took taken give gives gave given went go goes
going come comes came see seen saw know known knew want wants wanted use used using way ways
new first second third last next another s`)

// Set is the set of the space-separated words.
func Set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// LexiconLines returns the entries of an embedded list, one a line: each line trimmed, blank
// lines and comment lines (starting with #) skipped.
func LexiconLines(s string) []string {
	var out []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// Date and number words, lower case, that ENTITIES (DATE and QUANTITY) and KEY_PHRASES (which
// drops them from phrases) share: month names and their abbreviations with the period,
// weekdays, days relative to today, and number words.
var (
	Months = map[string]bool{"january": true, "february": true, "march": true, "april": true, "may": true, "june": true,
		"july": true, "august": true, "september": true, "october": true, "november": true, "december": true,
		"jan.": true, "feb.": true, "mar.": true, "apr.": true, "jun.": true, "jul.": true, "aug.": true,
		"sep.": true, "sept.": true, "oct.": true, "nov.": true, "dec.": true}
	Weekdays     = Set(`monday tuesday wednesday thursday friday saturday sunday`)
	RelativeDays = Set(`yesterday today tomorrow tonight`)
	NumberWords  = Set(`one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred dozen dozens hundreds thousands millions`)
)
