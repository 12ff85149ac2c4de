package analysis

import (
	"strings"
	"testing"
)

// TestKeyPhrasesOutsideFailures are failures seen from outside (issue 10), each a regression
// test: a phrase never crosses a line break ("music⏎Dum Dum Girls").
func TestKeyPhrasesOutsideFailures(t *testing.T) {
	a, err := NewKeyPhrases(KeyPhrasesConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		"The festival lineup features indie music\nDum Dum Girls will headline on Friday.",
		"Local bands and indie music\r\nDum Dum Girls headline",
		"Top stories\n\nStocks fall in Tokyo trading",
	} {
		var found []string
		for _, k := range a.Extract(text) {
			found = append(found, k.Text)
			if strings.ContainsAny(k.Text, "\n\r") {
				t.Errorf("%q: phrase %q crosses a line break", text, k.Text)
			}
			if string([]rune(text)[k.BeginOffset:k.EndOffset]) != k.Text {
				t.Errorf("%q: phrase %q at %d–%d", text, k.Text, k.BeginOffset, k.EndOffset)
			}
		}
		if len(found) == 0 {
			t.Errorf("%q: no phrases", text)
		}
	}
}
