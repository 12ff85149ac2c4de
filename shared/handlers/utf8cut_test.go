package handlers

import "testing"

// TestInvalidUTF8Before: the start of a body cut at the size limit is judged as
// input.InvalidUTF8At judges it, but for a last character the cut split.
func TestInvalidUTF8Before(t *testing.T) {
	for _, tc := range []struct {
		b    string
		want int
	}{
		{`{"a":"é"}`, -1},
		{`{"a":"` + "\xe2\x82", -1},      // € cut after two of its three bytes
		{`{"a":"` + "\xf0\x9f\x98", -1},  // an emoji cut after three of four
		{`{"a":"` + "\xc3", -1},          // é cut after its first byte
		{`{"a":"` + "\xff", 6},           // never UTF-8, cut or not
		{`{"a":"` + "\xe2\x82" + `x`, 6}, // a broken character before the cut
		{`{"a":"` + "\xed\xa0\x80", 6},   // a surrogate, whole: not UTF-8
		{"\x82", 0},                      // a continuation byte alone
		{"", -1},
	} {
		if got := invalidUTF8Before([]byte(tc.b)); got != tc.want {
			t.Errorf("invalidUTF8Before(%q) = %d, want %d", tc.b, got, tc.want)
		}
	}
}
