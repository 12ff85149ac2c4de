package text

import "testing"

// TestCutLine: CutLine cuts at the first of every line break, a CRLF as one; EndsInLineBreak
// sees a multi-byte break (NEL, U+2028) as one.
func TestCutLine(t *testing.T) {
	for _, tc := range []struct{ in, before, after string }{
		{"a\r\nb", "a", "b"},
		{"a\rb", "a", "b"},
		{"a\n\rb", "a", "\rb"},
		{"a\u2028b\nc", "a", "b\nc"},
		{"a\u0085b", "a", "b"},
		{"a\vb", "a", "b"},
	} {
		b, a, ok := CutLine(tc.in)
		if !ok || b != tc.before || a != tc.after {
			t.Errorf("CutLine(%q) = %q, %q, %v", tc.in, b, a, ok)
		}
	}
	if b, a, ok := CutLine("no break\t"); ok || b != "no break\t" || a != "" {
		t.Errorf("CutLine without a break = %q, %q, %v", b, a, ok)
	}
	for s, want := range map[string]bool{"a\n": true, "a\r": true, "a\u2029": true, "a\u0085": true, "a": false, "": false, "é": false, "\u2028a": false} {
		if got := EndsInLineBreak(s); got != want {
			t.Errorf("EndsInLineBreak(%q) = %v", s, got)
		}
	}
}

// TestAbbreviationBeforeAnyLineBreak: a word ending in "." at the end of a line ends the
// sentence whatever ends the line, so the next line's first word starts one (found from
// outside: after CRLF, the Windows line end, or a lone CR it did not, as after LF it did, so
// the same text tokenised differently by its line ends).
func TestAbbreviationBeforeAnyLineBreak(t *testing.T) {
	for _, br := range []string{"\n", "\r\n", "\r", "\v", "\f", "\u0085", "\u2028", "\u2029"} {
		toks := Tokenize("He moved to the U.S."+br+"Then he left", nil)
		var then *Token
		for i := range toks {
			if toks[i].Text == "Then" {
				then = &toks[i]
			}
		}
		if then == nil || !then.SentStart {
			t.Errorf("%q: \"Then\" after the line break does not start a sentence: %+v", br, toks)
		}
	}
}
