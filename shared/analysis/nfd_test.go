package analysis

import (
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/ream-dev/ream/shared/job"
)

// nfdTexts are NFC texts whose decomposed forms (nfdVariants) must give the same results:
// the defect report's sentence, accented letters at the start and end of spans, a combining
// mark ending the text, Hangul (whose syllables decompose into jamo).
var nfdTexts = []string{
	"José García met Zoë Müller in München on Friday, contact jose@exámple.com.",
	"Émile Zola and Renée Fleming flew from Orléans to Zürich with Ángel Pérez on 3 March 2024. Call Ángel at 555-867-5309 or write to renée.fleming@example.com.",
	"The crème brûlée at the café was wonderful, the rosé excellent and the service at Chloé's bistro friendly. Yesterday we had dinner with André",
	"김민수 met Barack Obama in Seoul on Monday. The 한국 delegation thanked President Obama, said 이지은 of Samsung, whose e-mail is jieun.lee@samsung.com.",
	"Søren Kierkegaard taught at the University of Copenhagen; Dvořák and Janáček were born in Bohemia and Moravia. Contact: Ms. Ångström, +1 (212) 555-0143.",
}

// nfdVariants are the forms of an NFC text to analyse: the whole text in NFD, and a mixed text
// whose every other word is in NFD (a document pasted together from two sources).
func nfdVariants(nfc string) map[string]string {
	words := strings.Split(nfc, " ")
	for i := range words {
		if i%2 == 1 {
			words[i] = norm.NFD.String(words[i])
		}
	}
	return map[string]string{"NFD": norm.NFD.String(nfc), "mixed": strings.Join(words, " ")}
}

// origOffset maps k, a code-point offset of NFC(orig) at which a span starts or ends, to the
// offset of orig at the same place: the j, at a normalisation boundary of orig, at which the
// NFC of orig's first j code points has k code points. It is computed independently of
// text.OffsetMap, by normalising prefixes.
func origOffset(t *testing.T, orig string, k int) int {
	t.Helper()
	j := 0
	for i := 0; i <= len(orig); {
		if i == len(orig) || norm.NFC.PropertiesString(orig[i:]).BoundaryBefore() {
			if n := utf8.RuneCountInString(norm.NFC.String(orig[:i])); n == k {
				return j
			} else if n > k {
				break
			}
		}
		if i == len(orig) {
			break
		}
		_, sz := utf8.DecodeRuneInString(orig[i:])
		i += sz
		j++
	}
	t.Fatalf("offset %d of the NFC form is not at a normalisation boundary of %q", k, orig)
	return 0
}

// runeSlice returns code points [b,e) of s.
func runeSlice(s string, b, e int) string {
	r := []rune(s)
	if b < 0 || e > len(r) || b > e {
		return "<out of range>"
	}
	return string(r[b:e])
}

var (
	nfdRegOnce sync.Once
	nfdReg     Registry
	nfdRegErr  error
)

func nfdRegistry(t *testing.T) Registry {
	t.Helper()
	nfdRegOnce.Do(func() { nfdReg, nfdRegErr = DefaultRegistry() })
	if nfdRegErr != nil {
		t.Fatal(nfdRegErr)
	}
	return nfdReg
}

// analyse runs one analysis on text.
func analyse(t *testing.T, name job.Analysis, text string) Result {
	t.Helper()
	as, err := nfdRegistry(t).Lookup([]job.Analysis{name})
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := as[0].Analyze(text, Options{}, &res); err != nil {
		t.Fatalf("%s on %q: %v", name, text, err)
	}
	return res
}

// checkNFD runs an analysis on each NFC text and its variants; mapped turns the NFC text's
// result into the one expected for a variant (offsets through origOffset, Texts re-sliced),
// and spans lists a result's spans so that every Text can be checked against the text.
func checkNFD(t *testing.T, name job.Analysis, mapped func(t *testing.T, r Result, orig string) Result, spans func(Result) [][3]any) {
	for _, nfc := range nfdTexts {
		want := analyse(t, name, nfc)
		for _, sp := range spans(want) {
			if b, e, txt := sp[0].(int), sp[1].(int), sp[2].(string); txt != runeSlice(nfc, b, e) {
				t.Errorf("%s on NFC %q: Text %q is not the text's [%d,%d) %q", name, nfc, txt, b, e, runeSlice(nfc, b, e))
			}
		}
		for form, orig := range nfdVariants(nfc) {
			got := analyse(t, name, orig)
			if exp := mapped(t, want, orig); !reflect.DeepEqual(got, exp) {
				t.Errorf("%s on %s of %q:\n got  %+v\n want %+v (the NFC result, mapped)", name, form, nfc, got, exp)
			}
			for _, sp := range spans(got) {
				if b, e, txt := sp[0].(int), sp[1].(int), sp[2].(string); txt != runeSlice(orig, b, e) {
					t.Errorf("%s on %s of %q: Text %q is not the original's [%d,%d) %q", name, form, nfc, txt, b, e, runeSlice(orig, b, e))
				}
			}
		}
	}
}

func TestNFDPII(t *testing.T) {
	rep := analyse(t, job.PII, nfdTexts[0])
	if n := len(rep.PiiEntities); n != 3 {
		t.Fatalf("PII of the NFC report sentence: %+v, want NAME, NAME, EMAIL", rep.PiiEntities)
	}
	checkNFD(t, job.PII, func(t *testing.T, r Result, orig string) Result {
		r.PiiEntities = append([]PiiEntity(nil), r.PiiEntities...)
		for i := range r.PiiEntities {
			e := &r.PiiEntities[i]
			e.BeginOffset, e.EndOffset = origOffset(t, orig, e.BeginOffset), origOffset(t, orig, e.EndOffset)
		}
		return r
	}, func(Result) [][3]any { return nil })
}

func TestNFDEntities(t *testing.T) {
	if n := len(analyse(t, job.Entities, nfdTexts[0]).Entities); n != 4 {
		t.Fatalf("ENTITIES of the NFC report sentence: %d entities, want 4", n)
	}
	checkNFD(t, job.Entities, func(t *testing.T, r Result, orig string) Result {
		r.Entities = append([]Entity(nil), r.Entities...)
		for i := range r.Entities {
			e := &r.Entities[i]
			e.BeginOffset, e.EndOffset = origOffset(t, orig, e.BeginOffset), origOffset(t, orig, e.EndOffset)
			e.Text = runeSlice(orig, e.BeginOffset, e.EndOffset)
		}
		return r
	}, func(r Result) [][3]any {
		var out [][3]any
		for _, e := range r.Entities {
			out = append(out, [3]any{e.BeginOffset, e.EndOffset, e.Text})
		}
		return out
	})
}

func TestNFDKeyPhrases(t *testing.T) {
	checkNFD(t, job.KeyPhrases, func(t *testing.T, r Result, orig string) Result {
		r.KeyPhrases = append([]KeyPhrase(nil), r.KeyPhrases...)
		for i := range r.KeyPhrases {
			k := &r.KeyPhrases[i]
			k.BeginOffset, k.EndOffset = origOffset(t, orig, k.BeginOffset), origOffset(t, orig, k.EndOffset)
			k.Text = runeSlice(orig, k.BeginOffset, k.EndOffset)
		}
		return r
	}, func(r Result) [][3]any {
		var out [][3]any
		for _, k := range r.KeyPhrases {
			out = append(out, [3]any{k.BeginOffset, k.EndOffset, k.Text})
		}
		return out
	})
}

func TestNFDSentiment(t *testing.T) {
	checkNFD(t, job.Sentiment, func(_ *testing.T, r Result, _ string) Result { return r }, func(Result) [][3]any { return nil })
}

// TestNFDLanguage: LANGUAGE counts letters and words by script before it identifies the
// language; a combining mark is not a letter, and decomposed Hangul has two or three jamo
// for each syllable, so it must count the NFC form too.
func TestNFDLanguage(t *testing.T) {
	saved := nfdTexts
	defer func() { nfdTexts = saved }()
	nfdTexts = append([]string{
		"Tôi yêu tiếng Việt và ẩm thực Hà Nội.",
		"Příliš žluťoučký kůň úpěl ďábelské ódy.",
		"Dänische Bäckerei öffnet früh.",
		"한국어를 공부합니다 hello world ok",
		"I moved to 서울 last year and love the city.",
		"서울 is a big city",
		"Ça été très réussi, n'est-ce pas?",
	}, saved...)
	checkNFD(t, job.Language, func(_ *testing.T, r Result, _ string) Result { return r }, func(Result) [][3]any { return nil })
}

// TestNFDRedaction: the defect report's ONLY_REDACTION leak. The PII spans of the decomposed
// sentence cover the original's code points, so redaction masks the names and the e-mail.
func TestNFDRedaction(t *testing.T) {
	nfc := nfdTexts[0]
	nfd := norm.NFD.String(nfc)
	ents := analyse(t, job.PII, nfd).PiiEntities
	masked := Redact(nfd, ents, RedactMask, 0)
	for _, leak := range []string{"Jose", "Garci", "Zoe", "Mu\u0308ller", "jose@", "exa\u0301mple"} {
		if strings.Contains(masked, leak) {
			t.Errorf("MASK redaction of the NFD sentence leaks %q: %q", leak, masked)
		}
	}
	if utf8.RuneCountInString(masked) != utf8.RuneCountInString(nfd) {
		t.Errorf("MASK redaction changed the length in characters: %q", masked)
	}
	// José García, Zoë Müller and the e-mail are 13, 12 and 17 code points in NFD.
	if want := strings.Repeat("*", 13) + " met " + strings.Repeat("*", 12) + " in Mu\u0308nchen on Friday, contact " + strings.Repeat("*", 17) + "."; masked != want {
		t.Errorf("MASK redaction of the NFD sentence:\n got  %q\n want %q", masked, want)
	}
	// With the type names, the redacted NFD text is the NFD of the redacted NFC text.
	replaced := Redact(nfd, ents, RedactReplaceWithType, 0)
	if want := norm.NFD.String(Redact(nfc, analyse(t, job.PII, nfc).PiiEntities, RedactReplaceWithType, 0)); replaced != want {
		t.Errorf("REPLACE_WITH_PII_ENTITY_TYPE redaction of the NFD sentence:\n got  %q\n want %q", replaced, want)
	}
}
