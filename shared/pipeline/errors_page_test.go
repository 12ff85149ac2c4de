package pipeline

import (
	"encoding/json"
	"testing"
)

// TestEscapedLen: escapedLen is the length encoding/json gives a string, quotes aside.
func TestEscapedLen(t *testing.T) {
	for _, s := range []string{"", "plain", `{"File":"a.txt","Line":3}`, `back\slash`, "<b>&amp;</b>", "tab\tnew\nline\x01 \b\f\r", "line\u2028para\u2029", "héllo 日本 😀"} {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := escapedLen([]byte(s)), len(b)-2; got != want {
			t.Errorf("escapedLen(%q) = %d, want %d", s, got, want)
		}
	}
}
