package language

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	txt "github.com/ream-dev/ream/shared/analysis/internal/text"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

// Undetermined is the language code handed to the language-dependent analysers for a document
// whose language could not be identified and that shows no sign of English: they refuse it with
// UNSUPPORTED_LANGUAGE instead of scoring it with an English model.
const Undetermined = "und"

// distinctlyEnglish are frequent English words that are not also frequent words of the other
// supported Latin-script languages (so "in", "was", "is", "of", "on", "to", "an", "so", "also",
// "die" are left out, and so are German "will", Romanian "are", French "but", Spanish "has",
// Danish "have", Dutch "been" and Scandinavian "just": found from outside, each of them made a
// German, Romanian, French or Spanish review English).
var distinctlyEnglish = txt.Set(`the and this that with were would could should which
there their they them what when where because about very from your you our not
its it's isn't don't doesn't didn't can't won't i'm it than then these those into some only after
before how why who whom such being while other any each every both more much many never always
really great good love like ever here she his him`)

// DocumentLanguage decides which language the language-dependent analysers (SENTIMENT, ENTITIES,
// KEY_PHRASES, PII) should assume for a document when the job did not name one, from the
// LANGUAGE analyser's candidates. Identifying the language of a few words is unreliable ("Great
// phone." can score as Swedish), and an English document wrongly refused loses its results, so
// English is assumed whenever it is plausible:
//
//   - the best candidate is English, or English is among the candidates with a score ≥ 0.05;
//   - the text is too short to identify (fewer than 25 letters), written in Latin letters, and
//     no candidate is confident (score ≥ 0.9: "Très bon produit." is French);
//   - at least two distinct, distinctly English words occur (one in a text of under 60 letters
//     when no candidate is confident).
//
// Otherwise the best candidate wins (a French review is refused by the English models), or, with
// no candidate at all (digits, emoji, a script no configured language uses), Undetermined.
func DocumentLanguage(text string, candidates []result.DominantLanguage) string {
	for i, c := range candidates {
		if c.LanguageCode == "en" && (i == 0 || c.Score >= 0.05) {
			return "en"
		}
	}
	letters, latin := 0, 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
			if unicode.Is(unicode.Latin, r) {
				latin++
			}
		}
	}
	confident := len(candidates) > 0 && candidates[0].Score >= 0.9
	if letters > 0 && latin*10 >= letters*9 {
		n := englishWords(text)
		if (letters < 25 && !confident) || n >= 2 || (n == 1 && letters < 60 && !confident) {
			return "en"
		}
	}
	if len(candidates) > 0 {
		return candidates[0].LanguageCode
	}
	return Undetermined
}

// englishWords counts the distinct distinctly-English words of text (up to 3 are enough). A
// word is a run of letters and apostrophes, compared lower-cased. ASCII words are lowered into a
// buffer (map lookups and comparisons of string(bytes) do not allocate), others through
// strings.ToLower.
func englishWords(text string) int {
	var seen [3]string
	n := 0
	var buf [32]byte
	for i := 0; i < len(text) && n < 3; {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsLetter(r) && r != '\'' {
			i += size
			continue
		}
		start := i
		for i < len(text) {
			r, size = utf8.DecodeRuneInString(text[i:])
			if !unicode.IsLetter(r) && r != '\'' {
				break
			}
			i += size
		}
		w, ok := lowerInto(text[start:i], buf[:0])
		var word string
		switch {
		case ok && distinctlyEnglish[string(w)]:
			word = string(w)
		case !ok:
			if lw := strings.ToLower(text[start:i]); distinctlyEnglish[lw] {
				word = lw
			}
		}
		if word != "" && !slices.Contains(seen[:n], word) {
			seen[n] = word
			n++
		}
	}
	return n
}

// lowerInto appends w lower-cased to buf when w is ASCII and fits; ok is false otherwise.
func lowerInto(w string, buf []byte) ([]byte, bool) {
	if len(w) > cap(buf) {
		return nil, false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= utf8.RuneSelf {
			return nil, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf, true
}
