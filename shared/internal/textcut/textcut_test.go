package textcut

import "testing"

func TestPrefixAndClip(t *testing.T) {
	for _, tc := range []struct {
		s          string
		n          int
		want, clip string
	}{
		{"hello", 10, "hello", "hello"},
		{"hello", 5, "hello", "hello"},
		{"hello", 3, "hel", "hel…"},
		{"héllo", 2, "h", "h…"}, // é is two bytes: not split
		{"héllo", 3, "hé", "hé…"},
		{"€", 1, "", "…"},
		{"", 0, "", ""},
	} {
		if got := Prefix(tc.s, tc.n); got != tc.want {
			t.Errorf("Prefix(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
		if got := Clip(tc.s, tc.n); got != tc.clip {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.clip)
		}
	}
}
