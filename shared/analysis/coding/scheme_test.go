package coding

import (
	"os"
	"testing"
)

// dataFile is the full labelled file the shipped model is trained from (shared/data beside
// the repository); tests that need it skip when it is absent.
const dataFile = "../../../../shared/data/occupations-soc2010-train.tsv"

func TestSOC2010Levels(t *testing.T) {
	s := SOC2010()
	if s.Standard != "SOC" || s.Version != "2010" || s.URIName == "" {
		t.Fatalf("scheme identity %q %q %q", s.Standard, s.Version, s.URIName)
	}
	want := map[int]int{1: 9, 2: 25, 3: 90}
	for lvl, n := range want {
		if got := len(s.Level(lvl)); got != n {
			t.Errorf("level %d: %d codes, want %d", lvl, got, n)
		}
	}
	if len(s.Codes) != 9+25+90 {
		t.Errorf("%d codes in all", len(s.Codes))
	}
	seen := map[string]bool{}
	for _, c := range s.Codes {
		if seen[c.Code] {
			t.Errorf("duplicate code %s", c.Code)
		}
		seen[c.Code] = true
		if c.Label == "" {
			t.Errorf("%s has no label", c.Code)
		}
		if c.Level != len(c.Code) {
			t.Errorf("%s at level %d", c.Code, c.Level)
		}
		if c.Level == 1 {
			if c.Parent != "" {
				t.Errorf("%s: top-level code with parent %q", c.Code, c.Parent)
			}
			continue
		}
		p, ok := s.Lookup(c.Parent)
		if !ok || p.Level != c.Level-1 {
			t.Errorf("%s: parent %q missing or at the wrong level", c.Code, c.Parent)
		}
		if s.Parent(c.Code) != c.Parent {
			t.Errorf("Parent(%s) = %q", c.Code, s.Parent(c.Code))
		}
	}
	// every sub-major and major group has children
	for _, c := range s.Codes {
		if c.Level == 3 {
			continue
		}
		has := false
		for _, d := range s.Codes {
			if d.Parent == c.Code {
				has = true
			}
		}
		if !has {
			t.Errorf("%s has no child", c.Code)
		}
	}
	for code, label := range map[string]string{
		"1":   "Managers, directors and senior officials",
		"11":  "Corporate managers and directors",
		"111": "Chief executives and senior officials",
		"811": "Process operatives",
		"927": "Other elementary services occupations",
	} {
		if got := s.Label(code); got != label {
			t.Errorf("Label(%s) = %q, want %q", code, got, label)
		}
	}
	if s.Label("999") != "" || s.Parent("999") != "" || s.Ancestor("999", 1) != "" {
		t.Error("unknown code has a label or parent")
	}
	if s.Ancestor("811", 2) != "81" || s.Ancestor("811", 1) != "8" || s.Ancestor("81", 3) != "" {
		t.Error("Ancestor")
	}
}

// TestSOC2010CoversData checks that every code of the labelled data is a minor group of the
// table, and that the data uses all 90.
func TestSOC2010CoversData(t *testing.T) {
	s := SOC2010()
	used := map[string]int{}
	check := func(ex []Example, from string) {
		for _, e := range ex {
			c, ok := s.Lookup(e.Code)
			if !ok || c.Level != 3 {
				t.Errorf("%s: code %q of %q is not a minor group of the table", from, e.Code, e.Occp)
			}
			used[e.Code]++
		}
	}
	if f, err := os.Open(dataFile); err == nil {
		ex := NewTSVExamples(f)
		var all []Example
		for {
			e, ok, err := ex.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			all = append(all, e)
		}
		ex.Close()
		if len(all) != 23567 {
			t.Errorf("%s: %d rows, want 23567", dataFile, len(all))
		}
		check(all, dataFile)
		if len(used) != 90 {
			t.Errorf("the data uses %d codes, want 90", len(used))
		}
	} else {
		t.Logf("%s not found, checking the testdata splits only", dataFile)
		check(loadTestdata(t, "soc2010-test.tsv"), "test split")
		check(loadTestdata(t, "soc2010-calibration.tsv"), "calibration split")
	}
}
