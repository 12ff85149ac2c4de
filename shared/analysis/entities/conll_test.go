package entities

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/analysis/entities/internal/ner"
	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
)

// conllHeldOut reads the held-out part of the CoNLL file (ner.Part: about 18 % of its
// documents, never trained or tuned on), or skips.
func conllHeldOut(t testing.TB) []ner.Sentence {
	t.Helper()
	return ner.InPart(conllAll(t), "heldout")
}

// conllAll reads the whole CoNLL file, or skips.
func conllAll(t testing.TB) []ner.Sentence {
	t.Helper()
	f, err := os.Open(evaltest.CoNLLPath())
	if err != nil {
		t.Skipf("CoNLL-2003 data absent (%v); set REAM_DATA_DIR", err)
	}
	defer f.Close()
	all, err := ner.ReadCoNLL(f)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// conllDoc is one held-out document as text (ner.Documents) with its gold PER/LOC/ORG spans
// in character offsets.
type conllDoc struct {
	text string
	gold []spanKey
}

func conllDocs(sents []ner.Sentence) []conllDoc {
	var docs []conllDoc
	for _, d := range ner.Documents(sents) {
		c := conllDoc{text: d.Text}
		for _, sp := range d.Spans {
			if typ := nerTypes[sp.Type]; typ != "" {
				c.gold = append(c.gold, spanKey{sp.Begin, sp.End, typ})
			}
		}
		docs = append(docs, c)
	}
	return docs
}

// scoreCoNLLDocs runs the analyser on each document and counts its PERSON, LOCATION and
// ORGANIZATION spans against the gold ones (exact offsets and type); onSpan, when not nil, is
// told each such span's Score and whether it was right.
func scoreCoNLLDocs(a *Analyzer, docs []conllDoc, onSpan func(score float64, right bool)) map[string]*prf {
	per := map[string]*prf{Person: {}, Location: {}, Organization: {}}
	for _, d := range docs {
		want := map[spanKey]bool{}
		for _, k := range d.gold {
			want[k] = true
		}
		for _, e := range a.Find(d.text) {
			c := per[e.Type]
			if c == nil {
				continue
			}
			k := spanKey{e.BeginOffset, e.EndOffset, e.Type}
			right := want[k]
			if onSpan != nil {
				onSpan(e.Score, right)
			}
			if right {
				c.tp++
				delete(want, k)
			} else {
				c.fp++
			}
		}
		for k := range want {
			per[k.typ].fn++
		}
	}
	return per
}

// CoNLLUnrepeated is conllUnrepeated for the external test package (piiname_test.go).
var CoNLLUnrepeated = conllUnrepeated

// conllUnrepeated returns the held-out sentences that do not repeat a sentence of the train or
// dev part (evaltest.RepeatKey: case, white space and punctuation folded): news reprints
// datelines ("LONDON 1996-08-22"), bylines and sports tables word for word across documents,
// and the split is by document, so such a sentence can sit on both sides. It also returns how
// many held-out sentences repeat one, and how many of those are datelines.
func conllUnrepeated(all []ner.Sentence) (clean []ner.Sentence, repeated, datelines int) {
	seen := map[string]bool{}
	for _, s := range all {
		if ner.Part(s.Doc) != "heldout" {
			seen[evaltest.RepeatKey(strings.Join(s.Words, " "))] = true
		}
	}
	for _, s := range all {
		if ner.Part(s.Doc) != "heldout" {
			continue
		}
		if !seen[evaltest.RepeatKey(strings.Join(s.Words, " "))] {
			clean = append(clean, s)
			continue
		}
		repeated++
		if ner.IsDateline(s.Words) {
			datelines++
		}
	}
	return clean, repeated, datelines
}

// TestEntitiesCoNLLHeldOut is the ENTITIES headline figure: exact-span precision, recall and
// F1 for PERSON, LOCATION and ORGANIZATION on the held-out part of CoNLL-2003 English train
// (Reuters news 1996–97; documents recovered from the file's headline/dateline layout and
// split once by a hash of the document index; see internal/ner), measured two ways:
//   - the analyser, as a job runs it: each held-out document as one text (tokens joined by
//     spaces, sentences by line breaks), its own tokenizer and sentence splitter, the rules
//     merged in; entities compared by character offsets and type;
//   - the model alone on CoNLL's tokens and sentences (the conlleval convention), with MISC.
func TestEntitiesCoNLLHeldOut(t *testing.T) {
	all := conllAll(t)
	held := ner.InPart(all, "heldout")
	if len(held) < 1500 {
		t.Fatalf("only %d held-out sentences", len(held))
	}
	a := newEntities(t)
	docs := conllDocs(held)
	// calibration: precision of the analyser's PER/LOC/ORG spans by Score
	bins := []float64{0, 0.5, 0.8, 0.95, 1.0001}
	binTP, binN := make([]int, len(bins)-1), make([]int, len(bins)-1)
	tokens, ents := 0, 0
	for _, s := range held {
		tokens += len(s.Words)
	}
	for _, d := range docs {
		ents += len(d.gold)
	}
	per := scoreCoNLLDocs(a, docs, func(score float64, right bool) {
		b := 0
		for b+2 < len(bins) && score >= bins[b+1] {
			b++
		}
		binN[b]++
		if right {
			binTP[b]++
		}
	})
	printPRF(t, fmt.Sprintf("ENTITIES analyser on the CoNLL-2003 held-out part (%d documents, %d sentences, %d tokens, %d PER/LOC/ORG entities; exact span and type):",
		len(docs), len(held), tokens, ents), per)

	mp := microPLO(per)
	t.Logf("analyser on the held-out part: micro PER/LOC/ORG P %.3f R %.3f F1 %.3f; PERSON F1 %.3f, LOCATION F1 %.3f, ORGANIZATION F1 %.3f",
		mp.p(), mp.r(), mp.f(), per[Person].f(), per[Location].f(), per[Organization].f())

	var cal strings.Builder
	cal.WriteString("precision by Score:")
	for b := range binN {
		closing := ")"
		if b == len(binN)-1 {
			closing = "]"
		}
		fmt.Fprintf(&cal, " [%.2f,%.2f%s %.3f of %d;", bins[b], min(bins[b+1], 1), closing, evaltest.Ratio(binTP[b], binN[b]), binN[b])
	}
	t.Log(cal.String())

	m, err := loadNERModel()
	if err != nil {
		t.Fatal(err)
	}
	c := ner.Evaluate(m, held)
	var sb strings.Builder
	var micro prf
	fmt.Fprintf(&sb, "model alone on CoNLL's tokens (held-out part):\n%-16s %5s %5s %5s  %4s %4s %4s\n", "type", "P", "R", "F1", "TP", "FP", "FN")
	for k, x := range c {
		p := prf{x.TP, x.FP, x.FN}
		fmt.Fprintf(&sb, "%-16s %5.3f %5.3f %5.3f  %4d %4d %4d\n", ner.Types[k], p.p(), p.r(), p.f(), p.tp, p.fp, p.fn)
		if ner.Types[k] != "MISC" {
			micro.tp, micro.fp, micro.fn = micro.tp+p.tp, micro.fp+p.fp, micro.fn+p.fn
		}
	}
	fmt.Fprintf(&sb, "%-16s %5.3f %5.3f %5.3f  %4d %4d %4d", "micro PER/LOC/ORG", micro.p(), micro.r(), micro.f(), micro.tp, micro.fp, micro.fn)
	t.Log(sb.String())

	// The same without the held-out sentences that repeat a train or dev sentence.
	clean, repeated, datelines := conllUnrepeated(all)
	cleanEnts := 0
	for _, d := range conllDocs(clean) {
		cleanEnts += len(d.gold)
	}
	mc := microPLO(scoreCoNLLDocs(a, conllDocs(clean), nil))
	var mm prf
	for k, x := range ner.Evaluate(m, clean) {
		if ner.Types[k] != "MISC" {
			mm.tp, mm.fp, mm.fn = mm.tp+x.TP, mm.fp+x.FP, mm.fn+x.FN
		}
	}
	t.Logf("held-out part without its %d sentences (%d of them datelines; %d PER/LOC/ORG entities) that repeat a train or dev sentence (case, white space and punctuation folded): %d sentences, %d entities: analyser micro PER/LOC/ORG P %.3f R %.3f F1 %.3f; model alone F1 %.3f",
		repeated, datelines, ents-cleanEnts, len(clean), cleanEnts, mc.p(), mc.r(), mc.f(), mm.f())

	if f := microPLO(per).f(); f < 0.85 {
		t.Errorf("analyser micro F1 PER/LOC/ORG %.3f < 0.85 on the held-out part", f)
	}
}
