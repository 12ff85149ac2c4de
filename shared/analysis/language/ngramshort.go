package language

import (
	_ "embed"
	"math/bits"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/internal/hashx"
)

// The short-text path: lingua-go v1.4.0's high-accuracy algorithm (detector.go,
// ComputeLanguageConfidenceValues with isLowAccuracyModeEnabled false, for texts of fewer
// than 120 letters), re-implemented over lingua-go's unigram to trigram models
// (models/lang-ngrams.bin.gz) and its quadrigram and fivegram models pruned to the
// langHighOrderTopN most frequent n-grams of each order per language
// (models/lang-ngrams45.bin.gz, format RLH2, written by TestGenerateLanguageModels):
//
//   - for each order n = 1..5, S_n(L) is the sum, over the sample's distinct letter n-grams,
//     of the natural log of language L's probability of the n-gram or, when L's model lacks
//     it, of its longest prefix L's model has (computeSumOfNgramProbabilities: 5-gram, then its
//     leading 4-, 3-, 2-gram and first letter); an n-gram none of whose prefixes L knows adds
//     nothing;
//   - L's score is (S_1 + ... + S_5) divided by the number of the sample's distinct letters
//     L's unigram model holds (sumUpProbabilities and countUnigrams);
//   - the scores go through the softmax shared with the trigram path.
//
// A quadrigram or fivegram pruned from a language's table backs off to its prefix exactly as
// an n-gram lingua's model never held. Only the pruned tables are an approximation of
// lingua-go's high-accuracy mode; the combination of the orders is its own.

// shortTextLetters is the cut-off: samples with fewer letters take the short-text path.
// lingua-go uses 120 too; TestLanguageShortTextTune compared cut-offs on the tuning halves.
const shortTextLetters = 120

// langHighOrderTopN is how many quadrigrams and how many fivegrams of each language
// TestGenerateLanguageModels keeps (the most frequent ones; see highOrderWriter.add).
const langHighOrderTopN = 40000

//go:embed models/lang-ngrams45.bin.gz
var langHighOrderModelGz []byte

// hiTables holds the pruned quadrigram (n = 0) and fivegram (n = 1) tables: an
// open-addressing table per order from the n-gram's hiKey to its postings, each a language
// and its quantised log-probability. A slot stores 32 bits of the key besides its position
// (the table's low bits), so a lookup of an absent n-gram hits a stored one with a
// probability of about 2^-31 per probe, and where its postings are, so that a lookup costs
// two memory accesses.
type hiTables struct {
	slots    [2][]hiSlot
	postings []hiPosting
}

type hiSlot struct {
	fp  uint32 // hiKey>>32 | 1; 0 = empty
	ref uint32 // start in postings << 6 | number of postings
}

type hiPosting struct {
	lang uint8 // index in langNgramLanguages
	q    uint8 // quantised log-probability (hiLogProb)
}

// lookup returns the postings of key in table n (nil when absent).
func (t *hiTables) lookup(n int, key uint64) []hiPosting {
	slots := t.slots[n]
	mask := uint64(len(slots) - 1)
	fp := uint32(key>>32) | 1
	for i := key & mask; ; i = (i + 1) & mask {
		s := slots[i]
		if s.fp == fp {
			start := s.ref >> 6
			return t.postings[start : start+s.ref&63]
		}
		if s.fp == 0 {
			return nil
		}
	}
}

// hiKey is the key of a quadrigram or fivegram: 4 or 5 runes do not fit in 64 bits, so the
// packed runes are hashed.
func hiKey(rs []rune) uint64 {
	a := uint64(rs[0])<<42 | uint64(rs[1])<<21 | uint64(rs[2])
	b := uint64(rs[3])
	if len(rs) == 5 {
		b = b<<21 | uint64(rs[4])
	}
	return hashx.Mix64(a ^ hashx.Mix64(b+1))
}

// decodeHighOrderTablesFor decodes the RLH2 tables of the languages of mask.
func decodeHighOrderTablesFor(gz []byte, mask uint64) (*hiTables, error) {
	nl := len(langNgramLanguages)
	r, err := openModel(gz, "RLH2", "language high-order models")
	if err != nil {
		return nil, err
	}
	t := &hiTables{}
	share := float64(bits.OnesCount64(mask)) / float64(nl)
	var rs [5]rune
	for n := range t.slots {
		order := n + 4
		nkeys, npost := r.uvarint(), r.uvarint()
		if r.err != nil || nkeys > uint64(len(r.b)) || npost > uint64(len(r.b)) {
			return nil, errNgramModel
		}
		t.postings = slices.Grow(t.postings, int(float64(npost)*share)+16)
		keys := make([]uint64, 0, int(float64(nkeys)*min(1, 2*share)))
		refs := make([]uint32, 0, cap(keys))
		for range nkeys {
			shared := r.uvarint()
			if shared >= uint64(order) {
				return nil, errNgramModel
			}
			for i := int(shared); i < order; i++ {
				rs[i] = rune(r.uvarint())
			}
			cnt := r.uvarint()
			before := len(t.postings)
			for range cnt {
				li := int(r.byte())
				q := r.byte()
				if r.err != nil || li >= nl {
					return nil, errNgramModel
				}
				if mask&(1<<li) != 0 {
					t.postings = append(t.postings, hiPosting{lang: uint8(li), q: q})
				}
			}
			if len(t.postings) > before {
				if len(t.postings) >= 1<<26 || len(t.postings)-before >= 64 {
					return nil, errNgramModel
				}
				keys = append(keys, hiKey(rs[:order]))
				refs = append(refs, uint32(before)<<6|uint32(len(t.postings)-before))
			}
		}
		if r.err != nil {
			return nil, r.err
		}
		size := 1
		for size < len(keys)*10/7+1 { // load factor at most 0.7
			size *= 2
		}
		slots := make([]hiSlot, size)
		for i, k := range keys {
			fp := uint32(k>>32) | 1
			j := k & uint64(size-1)
			for slots[j].fp != 0 {
				j = (j + 1) & uint64(size-1)
			}
			slots[j] = hiSlot{fp, refs[i]}
		}
		t.slots[n] = slots
	}
	if len(r.b) != 0 {
		return nil, errNgramModel
	}
	if cap(t.postings) > len(t.postings)+len(t.postings)/8 {
		t.postings = slices.Clone(t.postings)
	}
	return t, nil
}

// hiQuantStep: the quadrigram and fivegram log-probabilities are stored in steps of 1/16 (a
// byte covers probabilities down to e^-16), an error of at most 1/32 per n-gram.
const hiQuantStep = 16

// hiLogProb is the natural-log probability a quantised byte stands for.
func hiLogProb(q uint8) float32 { return -float32(q) / hiQuantStep }

// shortMaxLetters bounds the letters the short-text path reads.
const shortMaxLetters = 2 * shortTextLetters

// scoreShort fills sums with each candidate's lingua high-accuracy score (see above) for
// sample; a candidate none of whose n-grams is known keeps 0. It returns the scale of the
// softmax: the number of the sample's distinct letters, which undoes lingua-go's division in
// the reported scores without changing the candidates' order. lingua-go's own softmax of the
// divided scores is much flatter: on the short tuning texts (DEP-11 and UDHR, 33 languages) it
// made DocumentLanguage (gate.go), which assumes English when English scores at least 0.05,
// take 58 of 2,246 non-English texts as English (21 before the short-text path, 8 with the
// scale).
//
// Per position i of the sample's letters, the 1- to 5-grams starting there are looked up once
// (the m-gram's prefixes are the lower-order n-grams at i). For the order-n n-gram at i,
// lingua-go adds for language L the log-probability of the longest of its prefixes L knows:
// walking k = 1..5 and keeping L's latest known prefix, L's value from k on replaces the one
// before for every order n >= k whose n-gram at i is a first occurrence (lingua's test model
// is a set of n-grams per order), so each posting adds (new - previous) × (number of such
// orders from k on). The sum is the same as lingua-go's order by order, in one pass.
func scoreShort(t *ngramTables, hi *hiTables, sample string, cand uint64, sums *[64]float64) (scale float64) {
	// The lower-cased letters of the sample and, per position, how many letters of its word
	// start there (capped at 5: an n-gram starting at i exists when n <= rem[i]).
	var buf [shortMaxLetters]rune
	var rem [shortMaxLetters]uint8
	n := 0
	word := 0 // start of the current word in buf
	for _, r := range sample {
		if !(r < utf8.RuneSelf && (r|0x20 >= 'a' && r|0x20 <= 'z')) && !(r >= utf8.RuneSelf && unicode.IsLetter(r) && ngramScript(scriptOf(r))) {
			word = n
			continue
		}
		if n == len(buf) {
			break
		}
		if r < utf8.RuneSelf {
			r |= 0x20
		} else {
			r = unicode.ToLower(r)
		}
		buf[n] = r
		n++
		for i := max(word, n-5); i < n; i++ {
			rem[i] = uint8(n - i)
		}
	}

	var seen [2048]uint64 // open-addressing set of (order, n-gram) hashes (5 × shortMaxLetters at most), 0 = empty
	var unigrams [64]int32
	distinct := 0 // distinct letters
	for i := 0; i < n; i++ {
		// Look the m-grams at i up and mark the first occurrences.
		var ps [5][]ngramPosting
		var hps [2][]hiPosting
		var first [5]bool
		top := int(rem[i])
		for m := 1; m <= top; m++ {
			var key uint64
			if m <= 3 {
				key = packRunes(buf[i : i+m])
				if j, ok := t.idx[m-1][key]; ok {
					ps[m-1] = t.postings[t.start[j]:t.start[j+1]]
				}
			} else {
				key = hiKey(buf[i : i+m])
				hps[m-4] = hi.lookup(m-4, key)
			}
			h := hashx.Mix64(key) + uint64(m)
			s := h & (uint64(len(seen)) - 1)
			for seen[s] != 0 && seen[s] != h {
				s = (s + 1) & (uint64(len(seen)) - 1)
			}
			if seen[s] == 0 {
				seen[s] = h
				first[m-1] = true
				if m == 1 {
					distinct++
				}
			}
		}
		// suf[k-1]: the first-occurrence orders n >= k.
		var suf [6]float64
		for m := top; m >= 1; m-- {
			suf[m-1] = suf[m]
			if first[m-1] {
				suf[m-1]++
			}
		}
		if suf[0] == 0 {
			continue
		}
		var last [64]float32 // L's log-probability of its latest known prefix (0: none yet)
		for k := 1; k <= top; k++ {
			w := suf[k-1]
			if w == 0 {
				break
			}
			if k <= 3 {
				for _, p := range ps[k-1] {
					if cand&(1<<p.lang) != 0 {
						sums[p.lang] += float64(p.logp-last[p.lang]) * w
						last[p.lang] = p.logp
						if k == 1 && first[0] {
							unigrams[p.lang]++
						}
					}
				}
			} else {
				for _, p := range hps[k-4] {
					if cand&(1<<p.lang) != 0 {
						lp := hiLogProb(p.q)
						sums[p.lang] += float64(lp-last[p.lang]) * w
						last[p.lang] = lp
					}
				}
			}
		}
	}
	for c := cand; c != 0; c &= c - 1 {
		if l := bits.TrailingZeros64(c); unigrams[l] > 0 {
			sums[l] /= float64(unigrams[l])
		}
	}
	return float64(distinct)
}
