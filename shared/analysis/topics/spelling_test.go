package topics

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// TestSpellings: the shown terms take the spelling their documents use most, summed over the
// shards whatever their number and order (the vocabulary's display form is the shortest
// spelling seen, on noisy text often a typo: "characted" for "characters"); ties go to the
// shorter spelling, then the first in byte order; corrupt counts are refused.
func TestSpellings(t *testing.T) {
	top := [][]TermWeight{{{Term: "characted", Stem: "charact"}, {Term: "polic", Stem: "polic"}}, {{Term: "run", Stem: "run"}}}
	docs := []string{
		"The characters were great and the characters talked.", "Police arrived; the police left.",
		"Strong character work, one characted typo.", "A polic typo, police again.", "Running and runs.", // a tie: the shorter spelling
	}
	count := func(parts ...[]string) map[string]string {
		var sums SpellingSums
		for _, p := range parts {
			c := NewSpellingCounter(top)
			for _, d := range p {
				c.Add(d)
			}
			var b bytes.Buffer
			if _, err := c.WriteTo(&b); err != nil {
				t.Fatal(err)
			}
			if err := sums.Add(&b); err != nil {
				t.Fatal(err)
			}
		}
		return sums.Best()
	}
	one := count(docs)
	want := map[string]string{"charact": "characters", "polic": "police", "run": "runs"}
	for stem, f := range want {
		if one[stem] != f {
			t.Errorf("%s: %q, want %q (all: %v)", stem, one[stem], f, one)
		}
	}
	for _, parts := range [][][]string{{docs[:2], docs[2:]}, {docs[4:], docs[:1], docs[1:4]}} {
		if got := count(parts...); len(got) != len(one) || got["charact"] != one["charact"] || got["polic"] != one["polic"] || got["run"] != one["run"] {
			t.Errorf("split %d ways: %v, want %v", len(parts), got, one)
		}
	}
	Respell(top, one)
	if top[0][0].Term != "characters" || top[0][1].Term != "police" || top[1][0].Term != "runs" {
		t.Errorf("respelled %v", top)
	}

	var b bytes.Buffer
	c := NewSpellingCounter(top)
	c.Add(docs[0])
	if _, err := c.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), b.Bytes()...)
	bad[len(bad)/2] ^= 0x55
	var sums SpellingSums
	for _, r := range []io.Reader{bytes.NewReader(bad), bytes.NewReader(b.Bytes()[:b.Len()-2])} {
		if err := sums.Add(r); !errors.Is(err, ErrCorrupt) {
			t.Errorf("corrupt spellings: %v, want ErrCorrupt", err)
		}
	}
}
