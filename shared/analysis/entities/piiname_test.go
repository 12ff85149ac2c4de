package entities_test

import (
	"os"
	"testing"

	"github.com/ream-dev/ream/shared/analysis/entities"
	"github.com/ream-dev/ream/shared/analysis/entities/internal/ner"
	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
	"github.com/ream-dev/ream/shared/analysis/pii"
)

// TestPIINameCoNLLHeldOut measures PII's NAME against the person names of the CoNLL-2003
// held-out part (ner.Part; the news the ENTITIES model never trained on; exact spans): it lives
// here because the CoNLL reader is internal to this package. PII's name rules alone (a given-name
// gazetteer, honorifics) found P 0.886 R 0.383 here; with the ENTITIES analyser's PERSON spans
// as candidates (pii.Analyzer.persons) P 0.912 R 0.826, and with the common-word filter
// (pii commonPhrase, from outside: headings and titles) P 0.918 R 0.824, and without code
// (camelCase words, repeated words) P 0.920 R 0.824; with ENTITIES' names no longer ending in
// a connector, P 0.922 R 0.824. The one-word and stop-word filters on
// those spans were chosen on PII's own hard-negative tests, not on this part (they cost it
// recall: 0.906 without them).
func TestPIINameCoNLLHeldOut(t *testing.T) {
	f, err := os.Open(evaltest.CoNLLPath())
	if err != nil {
		t.Skipf("CoNLL-2003 data absent (%v); set REAM_DATA_DIR", err)
	}
	defer f.Close()
	all, err := ner.ReadCoNLL(f)
	if err != nil {
		t.Fatal(err)
	}
	held := ner.InPart(all, "heldout")
	a, err := pii.New(pii.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tp, fp, fn := piiNameCounts(a, held)
	p, r := float64(tp)/float64(max(tp+fp, 1)), float64(tp)/float64(max(tp+fn, 1))
	t.Logf("PII NAME on the CoNLL-2003 held-out part (%d person names): P %.3f R %.3f (TP %d FP %d FN %d)", tp+fn, p, r, tp, fp, fn)
	clean, repeated, _ := entities.CoNLLUnrepeated(all)
	ctp, cfp, cfn := piiNameCounts(a, clean)
	t.Logf("the same without the %d held-out sentences that repeat a train or dev sentence (case, white space and punctuation folded): %d person names, P %.3f R %.3f",
		repeated, ctp+cfn, float64(ctp)/float64(max(ctp+cfp, 1)), float64(ctp)/float64(max(ctp+cfn, 1)))
	if p < 0.88 || r < 0.80 {
		t.Errorf("PII NAME P %.3f R %.3f on the held-out part; regression floors 0.88 and 0.80", p, r)
	}
}

// piiNameCounts counts PII's NAME spans against the CoNLL PER spans of the sentences'
// documents (exact offsets).
func piiNameCounts(a *pii.Analyzer, sents []ner.Sentence) (tp, fp, fn int) {
	per := -1
	for i, ty := range ner.Types {
		if ty == "PER" {
			per = i
		}
	}
	for _, d := range ner.Documents(sents) {
		got := map[[2]int]bool{}
		for _, e := range a.Detect(d.Text) {
			if e.Type == pii.Name {
				got[[2]int{e.BeginOffset, e.EndOffset}] = true
			}
		}
		gold := map[[2]int]bool{}
		for _, sp := range d.Spans {
			if sp.Type == per {
				gold[[2]int{sp.Begin, sp.End}] = true
			}
		}
		for k := range got {
			if gold[k] {
				tp++
			} else {
				fp++
			}
		}
		for k := range gold {
			if !got[k] {
				fn++
			}
		}
	}
	return tp, fp, fn
}
