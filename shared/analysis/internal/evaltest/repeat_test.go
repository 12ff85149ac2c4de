package evaltest

import "testing"

func TestRepeatKey(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"LONDON 1996-08-22", "london 1996 08 22"},
		{"  London,\t1996 08 22. ", "london 1996 08 22"},
		{"A.G. Edwards & Sons , Inc .", "a g edwards sons inc"},
		{"Ärzte-Zeitung", "ärzte zeitung"},
		{"-- ! --", ""},
	} {
		if got := RepeatKey(c.in); got != c.want {
			t.Errorf("RepeatKey(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
