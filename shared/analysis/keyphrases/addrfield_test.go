package keyphrases

import (
	"strings"
	"testing"
)

// TestAddressFieldEndsAtAnyWhiteSpace: the words of an e-mail address or URL are no phrase,
// and the address is the white-space-delimited field that holds it, white space as the
// tokenizer reads it (Unicode's): a word before it across a VT, FF, NEL, U+2028, U+2029 or
// no-break space is a word of its own, as across a space or LF (found from outside: "report"
// in "the budget report⏎ops@example.com" was taken for part of the address and never listed
// when the line ended in anything but LF or CR).
func TestAddressFieldEndsAtAnyWhiteSpace(t *testing.T) {
	a := newKeyPhrases(t)
	for _, sep := range []string{" ", "\n", "\r", "\t", "\v", "\f", "\u0085", "\u2028", "\u2029", "\u00a0", "\u3000"} {
		text := "Please send the quarterly budget report" + sep + "ops@example.com before Friday."
		var got []string
		listed := false
		for _, kp := range a.Extract(text) {
			got = append(got, kp.Text)
			if strings.Contains(kp.Text, "report") {
				listed = true
			}
			if strings.Contains(kp.Text, "example") {
				t.Errorf("%q: the address's words are listed: %q", sep, kp.Text)
			}
		}
		if !listed {
			t.Errorf("%q: no phrase holds \"report\": %q", sep, got)
		}
	}
}
