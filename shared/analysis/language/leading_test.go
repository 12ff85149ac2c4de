package language_test

import (
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/analysis"
)

// TestLanguageSampleStartsAtTheFirstLetter: the 300-byte sample starts at the document's
// first letter, so a document that opens with white space, digits, punctuation or emoji (an
// indented paragraph, a numbered or ruled header, a row of stars) is identified by its text
// (found from outside: 400 spaces, 80 emoji, a row of 301 dashes or 30 numbers before an
// English review made it UNSUPPORTED_LANGUAGE, the sample holding no letter).
func TestLanguageSampleStartsAtTheFirstLetter(t *testing.T) {
	a := defaultLanguage(t)
	const en = "I absolutely loved this movie, the acting was wonderful and the story moving."
	const de = "Der Film hat mir sehr gut gefallen, die Schauspieler waren wunderbar und die Geschichte bewegend."
	for name, lead := range map[string]string{
		"spaces":  strings.Repeat(" ", 400),
		"lines":   strings.Repeat("\n", 301),
		"emoji":   strings.Repeat("😀", 80) + " ",
		"dashes":  strings.Repeat("-", 301) + " ",
		"numbers": strings.Repeat("1234567890 ", 30),
		"marks":   strings.Repeat("\u0301", 160) + " ", // combining marks with no letter to combine with
	} {
		for want, text := range map[string]string{"en": en, "de": de} {
			var r analysis.Result
			if err := a.Analyze(lead+text, analysis.Options{}, &r); err != nil {
				t.Errorf("%s before %s: %v", name, want, err)
				continue
			}
			if len(r.Languages) == 0 || r.Languages[0].LanguageCode != want {
				t.Errorf("%s before %s: %+v", name, want, r.Languages)
			}
		}
	}
	// a document of no letter at all is still refused, however long
	var r analysis.Result
	if err := a.Analyze(strings.Repeat("1234 😀 -- ", 5000), analysis.Options{}, &r); err == nil {
		t.Errorf("a document without letters: %+v, want UNSUPPORTED_LANGUAGE", r.Languages)
	}
}
