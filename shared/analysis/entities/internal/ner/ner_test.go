package ner

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

const sample = "EU\tB-ORG\nrejects\tO\nGerman\tB-MISC\ncall\tO\n.\tO\n\nPeter\tB-PER\nBlackburn\tI-PER\n\n" +
	"BRUSSELS\tB-LOC\n1996-08-22\tO\n\nThe\tO\nEuropean\tB-ORG\nCommission\tI-ORG\nsaid\tO\non\tO\nThursday\tO\n.\tO\n\n" +
	"Rain\tO\nhit\tO\nLeeds\tB-LOC\n.\tO\n\nFIFA\tB-ORG\nfined\tO\nJohn\tB-PER\nSmith\tI-PER\n.\tO\n\n" +
	"LONDON\tB-LOC\n1996-08-23\tO\n\nSmith\tB-PER\nleft\tO\nLondon\tB-LOC\n.\tO\n"

func TestReadCoNLLDocumentsAndSpans(t *testing.T) {
	s, err := ReadCoNLL(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 8 {
		t.Fatalf("%d sentences", len(s))
	}
	// a document starts at the sentence before each dateline
	docs := []int{0, 1, 1, 1, 1, 2, 2, 2}
	for i, x := range s {
		if x.Doc != docs[i] {
			t.Errorf("sentence %d in document %d, want %d", i, x.Doc, docs[i])
		}
	}
	got := Spans(s[3].Tags)
	if want := []Span{{1, 3, 2}}; !reflect.DeepEqual(got, want) {
		t.Errorf("spans %v, want %v", got, want)
	}
	// an I- without its B- starts an entity
	if got := Spans([]uint8{TagO, 2, 2, 1}); !reflect.DeepEqual(got, []Span{{1, 3, 0}, {3, 4, 0}}) {
		t.Errorf("spans %v", got)
	}
	if _, err := ReadCoNLL(strings.NewReader("word\tB-XYZ\n")); err == nil {
		t.Error("unknown tag accepted")
	}
}

func TestPartIsFixed(t *testing.T) {
	n := map[string]int{}
	for d := 0; d < 1000; d++ {
		n[Part(d)]++
	}
	if n["heldout"] < 140 || n["heldout"] > 220 || n["dev"] < 60 || n["dev"] > 140 {
		t.Errorf("split %v", n)
	}
	// The split is pinned: a change to it would move documents between train and held-out and
	// make the published figures incomparable. (It compared Part(0) with Part(0), which cannot
	// fail.) The parts of documents 0..39, by their first letter:
	const want = "ttdttthdhttttdtthtttttthdtttthtthtthttht"
	got := ""
	for d := range len(want) {
		got += Part(d)[:1]
	}
	if got != want {
		t.Errorf("split of documents 0..39 is %s, want %s", got, want)
	}
}

func TestTrainMarshalParseTag(t *testing.T) {
	s, err := ReadCoNLL(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	cfg := TrainConfig{Bits: 12, Epochs: 5, Seed: 1, Folds: 2}
	m := Train(s, Gazetteer{}, cfg)
	m.Temperature = 2
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := Train(s, Gazetteer{}, cfg).MarshalBinary()
	if b3, _ := (&Model{Bits: m.Bits, Scale: m.Scale, Temperature: 2, Gaz: m.Gaz, W: m.W}).MarshalBinary(); !bytes.Equal(b, b3) {
		t.Error("marshalling is not deterministic")
	}
	if len(b2) == 0 {
		t.Fatal("empty model")
	}
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Bits != m.Bits || p.Scale != m.Scale || p.Temperature != 2 || !reflect.DeepEqual(p.W, m.W) || !reflect.DeepEqual(p.Gaz, m.Gaz) {
		t.Fatal("parse does not give back the model")
	}
	// the training sentences come back
	tg := p.NewTagger()
	for _, x := range s {
		tags := make([]uint8, len(x.Words))
		probs := make([]float32, len(x.Words))
		tg.Tag(x.Words, tags, probs)
		if !reflect.DeepEqual(tags, x.Tags) {
			t.Errorf("%v: tags %v, want %v", x.Words, tags, x.Tags)
		}
		for i, q := range probs {
			if !(q > 0 && q <= 1) {
				t.Errorf("probability %v of %q", q, x.Words[i])
			}
		}
	}
	// tagging allocates nothing once the buffers have grown
	words := strings.Fields("Peter Blackburn said on Thursday the European Commission in BRUSSELS would decide .")
	tags := make([]uint8, len(words))
	probs := make([]float32, len(words))
	tg.Tag(words, tags, probs)
	if n := testing.AllocsPerRun(50, func() { tg.Tag(words, tags, probs) }); n != 0 {
		t.Errorf("Tag allocates %.0f times per sentence", n)
	}
	if _, err := Parse(b[:len(b)/2]); err == nil {
		t.Error("truncated model parsed")
	}
}
