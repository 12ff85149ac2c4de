package coding

import "testing"

// TestReadKey: titles the model cannot tell apart up to word order share a key (what
// internal/evalcoding counts as a test title repeating a training title); others do not.
func TestReadKey(t *testing.T) {
	same := [][2]string{
		{"Nurses.", "the nurse"},
		{"sales manager", "Manager, SALES"},
		{"bus-driver", "bus driver"},
		{"café owner", "Cafe Owners"},
	}
	for _, p := range same {
		if a, b := ReadKey(p[0]), ReadKey(p[1]); a != b || a == "" {
			t.Errorf("ReadKey(%q) = %q, ReadKey(%q) = %q; want one non-empty key", p[0], a, p[1], b)
		}
	}
	if a, b := ReadKey("bus driver"), ReadKey("lorry driver"); a == b {
		t.Errorf("ReadKey of two titles = %q for both", a)
	}
	if k := ReadKey("  "); k != "" {
		t.Errorf("ReadKey of blanks = %q; want empty", k)
	}
}
