package topics

import (
	"io"
	"maps"
	"slices"
)

// Spellings: topic-terms.csv shows each top term in the spelling its documents use most, not
// the vocabulary's display form (the shortest spelling seen, which on noisy text is often a
// typo: "characted", "polic"). The assign map already reads every document; a
// SpellingCounter counts, in one shard, the spellings of the few terms shown (the top terms of
// the final model), and SpellingSums sums the shards' counts, so the choice is exact and does
// not depend on the sharding (integer sums; SpellingSums). Memory: the shown terms' spellings (at most
// K × 10 terms, a few spellings each).

const magicSpellings = "RTSP"

// SpellingCounter counts the spellings of a set of terms in a shard's documents.
type SpellingCounter struct {
	tok    tokenizer
	counts map[string]map[string]int64 // stem → spelling → occurrences
}

// NewSpellingCounter counts the spellings of the terms (stems) that top shows.
func NewSpellingCounter(top [][]TermWeight) *SpellingCounter {
	c := &SpellingCounter{counts: map[string]map[string]int64{}}
	for _, ts := range top {
		for _, t := range ts {
			c.counts[t.Stem] = map[string]int64{}
		}
	}
	return c
}

// Add counts the spellings in one document (an Assigner given the counter by CountSpellings
// counts the documents it assigns, from the tokens it reads anyway).
func (c *SpellingCounter) Add(text string) {
	c.tok.each(text, func(stem, surface []byte, _ int) { c.add(stem, surface) })
}

func (c *SpellingCounter) add(stem, surface []byte) {
	if m, ok := c.counts[string(stem)]; ok {
		m[string(surface)]++
	}
}

// WriteTo writes the counts (magic RTSP): the number of stems, then per stem in order the stem,
// its number of spellings and, per spelling in order, the spelling and its count.
func (c *SpellingCounter) WriteTo(w io.Writer) (int64, error) {
	e := newEncoder(w, magicSpellings)
	stems := slices.Sorted(maps.Keys(c.counts))
	e.uvarint(uint64(len(stems)))
	for _, s := range stems {
		e.str(s)
		forms := slices.Sorted(maps.Keys(c.counts[s]))
		e.uvarint(uint64(len(forms)))
		for _, f := range forms {
			e.str(f)
			e.uvarint(uint64(c.counts[s][f]))
		}
	}
	return e.finish()
}

// maxSpellingStems bounds the stems of a spellings object (MaxK × 10 shown terms).
const maxSpellingStems = MaxK * 10

// SpellingSums sums the shards' spelling counts (Add, in any order) and chooses each stem's
// spelling (Best).
type SpellingSums struct {
	sum map[string]map[string]int64
}

// Add reads one shard's spelling counts (a SpellingCounter's WriteTo) and adds them.
func (s *SpellingSums) Add(r io.Reader) error {
	if s.sum == nil {
		s.sum = map[string]map[string]int64{}
	}
	d := newDecoder(r, magicSpellings, "spellings", 4<<10)
	n := d.count(maxSpellingStems, "stems")
	for i := 0; i < n && d.err == nil; i++ {
		stem := d.str(maxTermBytes)
		forms := d.count(1<<20, "spellings")
		m := s.sum[stem]
		if m == nil {
			m = map[string]int64{}
			s.sum[stem] = m
		}
		for k := 0; k < forms && d.err == nil; k++ {
			f := d.str(maxTermBytes)
			m[f] += int64(d.uvarint())
		}
	}
	return d.finish()
}

// Best returns each stem's most frequent spelling: ties go to the shorter, then to the first in
// byte order. A stem no document spelled is absent.
func (s *SpellingSums) Best() map[string]string {
	out := make(map[string]string, len(s.sum))
	for stem, m := range s.sum {
		var best string
		var bestN int64
		for f, n := range m {
			if n <= 0 || f == "" {
				continue
			}
			if best == "" || n > bestN || n == bestN && (len(f) < len(best) || len(f) == len(best) && f < best) {
				best, bestN = f, n
			}
		}
		if best != "" {
			out[stem] = best
		}
	}
	return out
}

// Respell sets each term's Term to its spelling in spellings (when it has one).
func Respell(top [][]TermWeight, spellings map[string]string) {
	for _, ts := range top {
		for i := range ts {
			if f, ok := spellings[ts[i].Stem]; ok {
				ts[i].Term = f
			}
		}
	}
}
