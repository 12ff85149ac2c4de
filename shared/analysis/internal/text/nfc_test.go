package text

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

var nfcSamples = []string{
	"",
	"plain ASCII",
	"José García met Zoë Müller in München",
	"Jose\u0301 Garci\u0301a met Zoe\u0308 Mu\u0308ller in Mu\u0308nchen",
	"e\u0301",                         // a text that is one decomposed letter
	"\u0301 a mark before any letter", // a combining mark with no base
	"ends with a mark: Andre\u0301",
	"\u1100\u1161\u11a8\u1100\u1161 \u1112\u1161\u11ab",            // decomposed Hangul (각가 한)
	"x\u0323\u0307 and \u1e0b\u0323 (marks out of order)",          // canonical reordering
	"\u0958 and \u212b and \u2126",                                 // singletons and exclusions: NFC changes them
	"many marks a" + strings.Repeat("\u0301", 40) + " end",         // over the stream-safe limit
	"mixed: José Jose\u0301 josé jose\u0301 \u1100\u1161 \uac00 .", // NFC and NFD side by side
}

// TestNFCRandom: NFC and its offsets on random texts made of letters, combining marks (in and
// out of canonical order), jamo, precomposed letters and spaces.
func TestNFCRandom(t *testing.T) {
	atoms := []string{"a", "e", "E", " ", ".", "\u0301", "\u0308", "\u0323", "\u0327", "é", "ü", "ç", "\u1100", "\u1161", "\u11a8", "\uac00", "\u212b", "x", "\u0958"}
	r := rand.New(rand.NewPCG(1, 2))
	saved := nfcSamples
	defer func() { nfcSamples = saved }()
	nfcSamples = nil
	for range 300 {
		var b strings.Builder
		for range r.IntN(20) {
			b.WriteString(atoms[r.IntN(len(atoms))])
		}
		nfcSamples = append(nfcSamples, b.String())
	}
	TestNFC(t)
	TestNFCOffsets(t)
}

// TestNFC: NFC returns the normal form (as norm.NFC.String does) and a map only when it
// differs from the text.
func TestNFC(t *testing.T) {
	for _, s := range nfcSamples {
		got, m := NFC(s)
		if want := norm.NFC.String(s); got != want {
			t.Errorf("NFC(%q) = %q, want %q", s, got, want)
		}
		if (m == nil) != norm.NFC.IsNormalString(s) {
			t.Errorf("NFC(%q): map %v, but the text is normal: %v", s, m, norm.NFC.IsNormalString(s))
		}
	}
}

// TestQuickSpanBelow0300 checks what quickSpan's fast path assumes of the code points below
// U+0300: each is in NFC, a starter (combining class 0), and a boundary (nothing before it
// combines with it).
func TestQuickSpanBelow0300(t *testing.T) {
	for r := rune(0); r < 0x300; r++ {
		s := string(r)
		p := norm.NFC.PropertiesString(s)
		if !norm.NFC.IsNormalString(s) || p.CCC() != 0 || !p.BoundaryBefore() {
			t.Errorf("%U: normal %v, combining class %d, boundary before %v", r, norm.NFC.IsNormalString(s), p.CCC(), p.BoundaryBefore())
		}
	}
	for _, s := range append(nfcSamples, "Straße café naïve \u00e9\u0301", "ab\xc3", "\xc3(", "x\xffy") {
		if got, want := quickSpan(s), norm.NFC.QuickSpanString(s); got != want && !(got < want && norm.NFC.IsNormalString(s[:got])) {
			t.Errorf("quickSpan(%q) = %d, QuickSpanString %d", s, got, want)
		}
	}
}

// TestNFCNoAllocs: the fast path for text already in NFC allocates nothing.
func TestNFCNoAllocs(t *testing.T) {
	for _, s := range []string{"The quarterly report was reviewed by the committee.", "José García met Zoë Müller in München", "서울 is a big city"} {
		if n := testing.AllocsPerRun(100, func() { NFC(s) }); n != 0 {
			t.Errorf("NFC(%q): %v allocations, want 0", s, n)
		}
	}
}

// TestNFCOffsets: at every normalisation boundary j of the text, the offset of the normal
// form there (the length of the prefix's normal form) maps back to j, as a start and as an
// end, and Text slices the original's code points.
func TestNFCOffsets(t *testing.T) {
	for _, s := range nfcSamples {
		_, m := NFC(s)
		j := 0
		for i := 0; i <= len(s); {
			if i == len(s) || norm.NFC.PropertiesString(s[i:]).BoundaryBefore() {
				k := utf8.RuneCountInString(norm.NFC.String(s[:i]))
				if b, e := m.Begin(k), m.End(k); b != j || e != j {
					t.Errorf("%q: offset %d of the normal form maps to %d (begin), %d (end), want %d", s, k, b, e, j)
				}
				if m != nil {
					if got, want := m.Text(0, j), s[:i]; got != want {
						t.Errorf("%q: Text(0, %d) = %q, want %q", s, j, got, want)
					}
					if got, want := m.Text(j, utf8.RuneCountInString(s)), s[i:]; got != want {
						t.Errorf("%q: Text(%d, end) = %q, want %q", s, j, got, want)
					}
				}
			}
			if i == len(s) {
				break
			}
			_, sz := utf8.DecodeRuneInString(s[i:])
			i += sz
			j++
		}
	}
}

// TestNFCInsideCluster: an offset between code points of one composed cluster widens the span
// to the whole cluster in the original, so that no span splits a letter from its marks.
func TestNFCInsideCluster(t *testing.T) {
	// x, dot below, dot above: NFC composes x with the dot above (U+1E8B, there is no x with
	// a dot below) and keeps the dot below, so 3 code points become 2.
	s := "ab x\u0323\u0307 cd"
	n, m := NFC(s)
	if n != "ab \u1e8b\u0323 cd" {
		t.Fatalf("NFC(%q) = %q (%U)", s, n, []rune(n))
	}
	// The cluster is code points [3,5) of the normal form and [3,6) of s.
	if b, e := m.Begin(4), m.End(4); b != 3 || e != 6 {
		t.Errorf("offset 4 inside the cluster: begin %d, end %d, want 3 and 6", b, e)
	}
	if b, e := m.Begin(5), m.End(5); b != 6 || e != 6 {
		t.Errorf("offset 5 after the cluster: begin %d, end %d, want 6 and 6", b, e)
	}
	ents := []result.Entity{{BeginOffset: 3, EndOffset: 4, Text: "x"}, {BeginOffset: 6, EndOffset: 8, Text: "cd"}}
	m.Entities(ents)
	if ents[0].BeginOffset != 3 || ents[0].EndOffset != 6 || ents[0].Text != "x\u0323\u0307" || ents[1].BeginOffset != 7 || ents[1].EndOffset != 9 || ents[1].Text != "cd" {
		t.Errorf("mapped entities %+v", ents)
	}
}

// TestOffsetMapLong: Text finds byte offsets past its index step in a long text.
func TestOffsetMapLong(t *testing.T) {
	word := "Jose\u0301 " // 6 code points, 5 in NFC
	s := strings.Repeat(word, 1000)
	n, m := NFC(s)
	if n != strings.Repeat("José ", 1000) {
		t.Fatal("normal form")
	}
	for _, w := range []int{0, 1, 13, 64, 500, 999} {
		b, e := m.Begin(5*w), m.End(5*w+4)
		if b != 6*w || e != 6*w+5 || m.Text(b, e) != "Jose\u0301" {
			t.Errorf("word %d: [%d,%d) %q, want [%d,%d) %q", w, b, e, m.Text(b, e), 6*w, 6*w+5, "Jose\u0301")
		}
	}
	kps := []result.KeyPhrase{{BeginOffset: 5 * 999, EndOffset: 5*999 + 4}}
	m.KeyPhrases(kps)
	pii := []result.PiiEntity{{BeginOffset: 5, EndOffset: 9}}
	m.PiiEntities(pii)
	if kps[0].BeginOffset != 6*999 || kps[0].Text != "Jose\u0301" || pii[0].BeginOffset != 6 || pii[0].EndOffset != 11 {
		t.Errorf("mapped %+v %+v", kps, pii)
	}
}

// A nil map (the text was in NFC) is the identity.
func TestOffsetMapNil(t *testing.T) {
	var m *OffsetMap
	ents := []result.Entity{{BeginOffset: 1, EndOffset: 3, Text: "bc"}}
	m.Entities(ents)
	m.KeyPhrases(nil)
	m.PiiEntities(nil)
	if m.Begin(7) != 7 || m.End(7) != 7 || ents[0].BeginOffset != 1 || ents[0].EndOffset != 3 || ents[0].Text != "bc" {
		t.Error("nil map is not the identity")
	}
}

// BenchmarkNFC: the check on ~1 KB of ASCII and of NFC text with accents (the fast path every
// document takes), and the normal form with its map for the same text in NFD.
func BenchmarkNFC(b *testing.B) {
	ascii := strings.Repeat("The quarterly report was reviewed by the committee, and the team agreed. ", 14)
	accents := strings.Repeat("José García met Zoë Müller in München on Friday, at the café. ", 16)
	for _, c := range []struct{ name, s string }{{"ascii", ascii}, {"nfc", accents}, {"nfd", norm.NFD.String(accents)}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.s)))
			for b.Loop() {
				NFC(c.s)
			}
		})
	}
}
