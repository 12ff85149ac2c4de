package coding

import (
	"context"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/internal/hashx"
)

// hyphenate writes one inner space of a title as a hyphen, as survey answers often do
// ("bus driver" → "bus-driver"): a space between two words (letters or digits at both
// sides, neither a stop word), chosen by a hash of the title so the copy is deterministic.
// It returns false when the title has no such space.
func hyphenate(title string) (string, bool) {
	f := strings.Fields(title)
	var cand []int
	for i := 0; i+1 < len(f); i++ {
		a, b := f[i], f[i+1]
		if !isAlnumByte(a[len(a)-1]) || !isAlnumByte(b[0]) || stopWords[strings.ToLower(a)] || stopWords[strings.ToLower(b)] {
			continue
		}
		cand = append(cand, i)
	}
	if len(cand) == 0 {
		return "", false
	}
	k := cand[hashx.FNV(title)%uint64(len(cand))]
	var sb strings.Builder
	for i, w := range f {
		if i > 0 {
			if i-1 == k {
				sb.WriteByte('-')
			} else {
				sb.WriteByte(' ')
			}
		}
		sb.WriteString(w)
	}
	return sb.String(), true
}

// minHyphenatedTop1Ratio is the share of its plain titles' top-1 the shipped model must keep
// on their hyphenated copies (0.998 of 0.9996 with the shipped model; 0.525 before the
// hyphen's split reading, when "bus-driver" was the one word "busdriver").
const minHyphenatedTop1Ratio = 0.97

// TestHyphenatedTitles measures the shipped model on copies of the calibration titles with
// one inner space written as a hyphen, against the same titles as written. The shipped
// model was refitted on the calibration part, so both figures are above its held-out ones;
// what is measured is what the hyphen costs.
func TestHyphenatedTitles(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var plain, hy []Example
	for _, e := range loadTestdata(t, "soc2010-calibration.tsv") {
		if h, ok := hyphenate(e.Occp); ok {
			plain = append(plain, e)
			hy = append(hy, Example{Code: e.Code, Occp: h})
		}
	}
	mp, err := Evaluate(context.Background(), m, SliceExamples(plain))
	if err != nil {
		t.Fatal(err)
	}
	mh, err := Evaluate(context.Background(), m, SliceExamples(hy))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d calibration titles: top-1 %.4f top-3 %.4f; hyphenated copies (%q, ...): top-1 %.4f top-3 %.4f",
		len(plain), mp.Top1, mp.Top3, hy[0].Occp, mh.Top1, mh.Top3)
	if len(plain) < 2000 {
		t.Errorf("%d titles with a space to hyphenate", len(plain))
	}
	if mh.Top1 < minHyphenatedTop1Ratio*mp.Top1 {
		t.Errorf("hyphenated copies: top-1 %.4f < %.2f × %.4f", mh.Top1, minHyphenatedTop1Ratio, mp.Top1)
	}
}

// A compound written with a hyphen is coded as written with a space ("bus driver", as the
// coding index writes it) or joined ("coordinator"): found from outside, "Bus-driver" had
// been read as the unknown word "busdriver" (821 suggested at 0.18, "bus driver" coded 821
// at 0.94).
func TestHyphenatedCompounds(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		hyphen, plain, code string
		coded               bool // both coded at 3 digits
	}{
		{"Bus-driver", "bus driver", "821", true},
		{"co-ordinator", "coordinator", "", false},
		{"Fork-lift truck driver", "forklift truck driver", "822", true},
		{"Check-out operator", "checkout operator", "711", false},
	} {
		h, p := m.Code(c.hyphen, ""), m.Code(c.plain, "")
		hs, ps := h.Suggestions[0], p.Suggestions[0]
		t.Logf("%q: %s %.2f, %q: %s %.2f", c.hyphen, hs.Code, hs.Confidence, c.plain, ps.Code, ps.Confidence)
		if hs.Code != ps.Code || c.code != "" && hs.Code != c.code {
			t.Errorf("%q is %s, %q %s (want %q)", c.hyphen, hs.Code, c.plain, ps.Code, c.code)
		}
		if c.coded && (h.Result == nil || p.Result == nil || len(h.Result.Code) != 3 || len(p.Result.Code) != 3) {
			t.Errorf("%q coded %v, %q %v", c.hyphen, h.Result, c.plain, p.Result)
		}
	}
}
