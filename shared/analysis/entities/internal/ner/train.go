package ner

import (
	"math"
	"math/rand/v2"
	"slices"
)

// AddEntities adds the entities of sents to gaz (flag GazPER + type index).
func AddEntities(gaz Gazetteer, sents []Sentence) {
	for _, s := range sents {
		for _, sp := range Spans(s.Tags) {
			if sp.End-sp.Begin > MaxGazLen {
				continue
			}
			gaz[PhraseHash(s.Words[sp.Begin:sp.End])] |= 1 << (GazPER + sp.Type)

		}
	}
}

// TrainConfig configures Train.
type TrainConfig struct {
	Bits   uint   // hash bits
	Epochs int    // passes over the data
	Seed   uint64 // shuffle seed
	// Folds: the CoNLL gazetteer features of a training sentence come from the entities of the
	// other folds (documents by index modulo Folds), so the model learns how far a gazetteer
	// match of an unseen sentence can be trusted.
	Folds int
}

// Train trains an averaged perceptron on sents with the gazetteer base (Ream's lexicon
// entries) plus the entities of sents, and returns the quantised model (Temperature 1). It is
// deterministic.
func Train(sents []Sentence, base Gazetteer, cfg TrainConfig) *Model {
	nb := 1 << cfg.Bits
	mask := uint64(nb - 1)
	// per-fold gazetteers
	foldGaz := make([]Gazetteer, cfg.Folds)
	for k := range foldGaz {
		g := make(Gazetteer, len(base))
		for h, f := range base {
			g[h] = f
		}
		var other []Sentence
		for _, s := range sents {
			if s.Doc%cfg.Folds != k {
				other = append(other, s)
			}
		}
		AddEntities(g, other)
		foldGaz[k] = g
	}
	full := make(Gazetteer, len(base))
	for h, f := range base {
		full[h] = f
	}
	AddEntities(full, sents)

	// static features, computed once
	type prepared struct {
		feats []uint32
		offs  []int32
		toks  []tokInfo
		tags  []uint8
	}
	prep := make([]prepared, len(sents))
	var fz Featurizer
	for i, s := range sents {
		fz.Extract(s.Words, foldGaz[s.Doc%cfg.Folds], cfg.Bits)
		prep[i] = prepared{feats: slices.Clone(fz.Feats), offs: slices.Clone(fz.Offs), toks: slices.Clone(fz.toks), tags: s.Tags}
	}

	w := make([]int32, nb*NumTags)
	acc := make([]int64, nb*NumTags)
	c := int64(1)
	order := make([]int, len(sents))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	var dyn [4]uint32
	for ep := 0; ep < cfg.Epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, si := range order {
			p := &prep[si]
			fz.toks = p.toks
			p2, p1 := uint8(startTag), uint8(startTag)
			for i := range p.tags {
				if fz.skip(i, p1) {
					c++
					p2, p1 = p1, TagO
					continue
				}
				var sc [NumTags]int32
				st := p.feats[p.offs[i]:p.offs[i+1]]
				for _, b := range st {
					ws := w[int(b)*NumTags : int(b)*NumTags+NumTags]
					for k := range sc {
						sc[k] += ws[k]
					}
				}
				fz.dynamic(i, p2, p1, mask, &dyn)
				for _, b := range dyn {
					ws := w[int(b)*NumTags : int(b)*NumTags+NumTags]
					for k := range sc {
						sc[k] += ws[k]
					}
				}
				prev := p1
				if prev == startTag {
					prev = TagO
				}
				best := uint8(TagO)
				for k := uint8(1); k < NumTags; k++ {
					if Allowed(prev, k) && sc[k] > sc[best] {
						best = k
					}
				}
				gold := p.tags[i]
				if !Allowed(prev, gold) {
					// an I-X after a mistaken history: the right decision now is B-X (an
					// update towards a tag decoding can never choose would only grow the
					// weights of impossible transitions)
					gold--
				}
				if best != gold {
					upd := func(b uint32) {
						gi, pi := int(b)*NumTags+int(gold), int(b)*NumTags+int(best)
						w[gi]++
						acc[gi] += c
						w[pi]--
						acc[pi] -= c
					}
					for _, b := range st {
						upd(b)
					}
					for _, b := range dyn {
						upd(b)
					}
				}
				c++
				p2, p1 = p1, best
			}
		}
	}
	// average and quantise
	avg := make([]float64, len(w))
	hi := 1e-9
	for i := range w {
		a := float64(w[i]) - float64(acc[i])/float64(c)
		avg[i] = a
		hi = max(hi, math.Abs(a))
	}
	m := &Model{Bits: cfg.Bits, Scale: float32(hi / 32767), Temperature: 1, Gaz: full, W: make([]int16, len(avg))}
	for i, a := range avg {
		m.W[i] = int16(max(-32767, min(32767, math.Round(a/float64(m.Scale)))))
	}
	return m
}

// FitTemperature returns the temperature (from a fixed grid) that minimises the negative
// log-likelihood of the gold tags of sents under the model's greedy decoding.
func FitTemperature(m *Model, sents []Sentence) float32 {
	type obs struct {
		sc   [NumTags]float64
		ok   [NumTags]bool
		gold uint8
	}
	var all []obs
	t := m.NewTagger()
	mask := uint64(1)<<m.Bits - 1
	var dyn [4]uint32
	for _, s := range sents {
		t.f.Extract(s.Words, m.Gaz, m.Bits)
		p2, p1 := uint8(startTag), uint8(startTag)
		for i := range s.Words {
			if t.f.skip(i, p1) {
				p2, p1 = p1, TagO
				continue
			}
			sc, prev, best := t.step(i, p2, p1, mask, &dyn)
			var o obs
			for k := uint8(0); k < NumTags; k++ {
				o.sc[k] = float64(sc[k]) * float64(m.Scale)
				o.ok[k] = Allowed(prev, k)
			}
			o.gold = s.Tags[i]
			if o.ok[o.gold] {
				all = append(all, o)
			}
			p2, p1 = p1, best
		}
	}
	bestT, bestNLL := float32(1), math.Inf(1)
	for T := 0.05; T < 100; T *= 1.1 {
		nll := 0.0
		for _, o := range all {
			mx := math.Inf(-1)
			for k := range o.sc {
				if o.ok[k] {
					mx = max(mx, o.sc[k])
				}
			}
			z := 0.0
			for k := range o.sc {
				if o.ok[k] {
					z += math.Exp((o.sc[k] - mx) / T)
				}
			}
			nll += math.Log(z) - (o.sc[o.gold]-mx)/T
		}
		if nll < bestNLL {
			bestT, bestNLL = float32(T), nll
		}
	}
	return bestT
}

// Counts are exact-span matches per type.
type Counts struct{ TP, FP, FN int }

// Evaluate tags sents with m and counts exact-span matches per type (index into Types).
func Evaluate(m *Model, sents []Sentence) [len(Types)]Counts {
	var out [len(Types)]Counts
	t := m.NewTagger()
	for _, s := range sents {
		tags := make([]uint8, len(s.Words))
		probs := make([]float32, len(s.Words))
		t.Tag(s.Words, tags, probs)
		gold := map[Span]bool{}
		for _, sp := range Spans(s.Tags) {
			gold[sp] = true
		}
		for _, sp := range Spans(tags) {
			if gold[sp] {
				out[sp.Type].TP++
				delete(gold, sp)
			} else {
				out[sp.Type].FP++
			}
		}
		for sp := range gold {
			out[sp.Type].FN++
		}
	}
	return out
}
