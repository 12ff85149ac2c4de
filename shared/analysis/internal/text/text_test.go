package text

import (
	"slices"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

// TestCheckEnglish pins the one English check and the difference its callers keep: "en_US" is
// English for ENTITIES and KEY_PHRASES (underscore) and not for SENTIMENT and PII.
func TestCheckEnglish(t *testing.T) {
	for _, code := range []string{"", "en", "EN", " en ", "en-US", "en-gb"} {
		for _, underscore := range []bool{false, true} {
			if err := CheckEnglish("X", code, underscore); err != nil {
				t.Errorf("CheckEnglish(%q, %v) = %v, want nil", code, underscore, err)
			}
		}
	}
	if err := CheckEnglish("ENTITIES", "en_US", true); err != nil {
		t.Errorf("en_US with underscore: %v", err)
	}
	err := CheckEnglish("PII", "en_US", false)
	if err == nil || err.Code != job.CodeUnsupportedLanguage || err.Message != `PII supports English (en) only, not "en_US"` {
		t.Errorf("en_US without underscore: %+v", err)
	}
	err = CheckEnglish("SENTIMENT", "fr", false)
	if err == nil || err.Message != `SENTIMENT supports English (en) only, not "fr"` {
		t.Errorf("fr: %+v", err)
	}
	// A document whose language was not identified is told so, not shown the internal "und".
	err = CheckEnglish("SENTIMENT", "und", false)
	if err == nil || strings.Contains(err.Message, "und") || !strings.Contains(err.Message, "could not be identified") {
		t.Errorf("und: %+v", err)
	}
}

func TestEndsSentence(t *testing.T) {
	for tok, want := range map[string]bool{".": true, "!": true, "?": true, "…": true, ",": false, ";": false, "..": false} {
		if got := EndsSentence(tok); got != want {
			t.Errorf("EndsSentence(%q) = %v", tok, got)
		}
	}
}

// TestTokenizeCombiningMarks: a word goes on through its combining marks, the spacing ones
// (Mc) too, which the Indic scripts write for most vowels: "मेरा" (the AA sign U+093E is Mc)
// was cut to "मेर" and "ा", so KEY_PHRASES gave "मेर" and ENTITIES could end a span inside a
// word (found from outside).
func TestTokenizeCombiningMarks(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"मेरा ईमेल और फ़ोन नंबर", []string{"मेरा", "ईमेल", "और", "फ़ोन", "नंबर"}},
		{"বাংলা ভাষা", []string{"বাংলা", "ভাষা"}},
		{"தமிழ் மொழி", []string{"தமிழ்", "மொழி"}},
		{"José García", []string{"José", "García"}},
	} {
		var got []string
		for _, tok := range Tokenize(c.text, nil) {
			if tok.Kind != Word {
				t.Errorf("%q: token %q is not a word", c.text, tok.Text)
			}
			if string([]rune(c.text)[tok.RBegin:tok.REnd]) != tok.Text {
				t.Errorf("%q: token %q at characters %d–%d", c.text, tok.Text, tok.RBegin, tok.REnd)
			}
			got = append(got, tok.Text)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: got %q, want %q", c.text, got, c.want)
		}
	}
}
