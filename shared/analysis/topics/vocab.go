package topics

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ream-dev/ream/shared/internal/hashx"
)

// Vocabulary defaults.
const (
	DefaultMinDF      = 2
	DefaultMaxDFShare = 0.5
	DefaultMaxTerms   = 50_000
	// MaxVocabulary is the largest MaxTerms accepted (and the largest vocabulary decoded).
	MaxVocabulary = 1 << 20
)

// VocabOptions selects the vocabulary. Zero fields take the defaults.
type VocabOptions struct {
	// MinDF: a term must occur in at least MinDF documents (default 2), in a collection of at
	// least MinDF documents; in a smaller one (a single document, by default) no term could,
	// so every term is kept (Vocabulary.MinDF).
	MinDF int64
	// MaxDFShare: a term must occur in at most this share of the documents (default 0.5; 1
	// keeps every term). Applied only when there are at least 10 documents.
	MaxDFShare float64
	// MaxTerms keeps the terms of highest df (then highest cf, then first by byte order) when
	// more pass the two filters (default 50,000; at most MaxVocabulary).
	MaxTerms int
}

func (o VocabOptions) withDefaults() VocabOptions {
	if o.MinDF <= 0 {
		o.MinDF = DefaultMinDF
	}
	if o.MaxDFShare <= 0 || o.MaxDFShare > 1 {
		o.MaxDFShare = DefaultMaxDFShare
	}
	if o.MaxTerms <= 0 {
		o.MaxTerms = DefaultMaxTerms
	}
	o.MaxTerms = min(o.MaxTerms, MaxVocabulary)
	return o
}

// Vocabulary is the output of the vocabulary reduce: the model's terms sorted by byte order
// (a term's index is its position), with their statistics over the collection.
type Vocabulary struct {
	Docs    int64        // documents in the collection
	Tokens  int64        // terms counted in the collection
	Options VocabOptions // the options it was built with (defaults filled in)
	Merged  int64        // distinct terms in the merged statistics
	// Terms removed by each filter.
	DroppedMinDF, DroppedMaxDF, DroppedCap int64
	// DFError: any df may be short by at most this much, because the shards' statistics
	// were bounded (0 when no shard dropped a term).
	DFError int64

	Terms   []string  // stems, sorted
	Display []string  // display forms
	DF, CF  []int64   // document and collection frequency
	IDF     []float64 // ln((1+Docs)/(1+DF)) + 0.5

	index map[string]int32
}

// Len is the number of terms.
func (v *Vocabulary) Len() int { return len(v.Terms) }

// MinDF is the document frequency a term needed to be kept: Options.MinDF, or 1 in a collection
// of fewer documents than that, where no term can reach it: a collection of one document keeps
// all its terms and gets topics of its own words (it had none: no term occurred in two
// documents), while the vocabulary of any larger collection is as before.
func (v *Vocabulary) MinDF() int64 {
	if v.Docs < v.Options.MinDF {
		return 1
	}
	return v.Options.MinDF
}

// Index returns the index of term (a stem, as produced by Tokens).
func (v *Vocabulary) Index(term string) (int, bool) {
	i, ok := v.index[term]
	return int(i), ok
}

func (v *Vocabulary) finish() {
	v.index = make(map[string]int32, len(v.Terms))
	v.IDF = make([]float64, len(v.Terms))
	n := float64(v.Docs)
	for i, t := range v.Terms {
		v.index[t] = int32(i)
		v.IDF[i] = plog((1+n)/(1+float64(v.DF[i]))) + 0.5
	}
}

// vocabCand is a term competing for a place under MaxTerms.
type vocabCand struct {
	term, display string
	df, cf        int64
}

// worse orders candidates by rank, the one to drop first first.
func worse(a, b *vocabCand) bool {
	if a.df != b.df {
		return a.df < b.df
	}
	if a.cf != b.cf {
		return a.cf < b.cf
	}
	return a.term > b.term
}

// BuildVocabulary is the vocabulary reduce: a k-way merge of the shards' statistics streams
// (see WriteStats, MergeStats), in any order. It keeps the terms with MinDF <= df <=
// MaxDFShare×documents (MinDF as Vocabulary.MinDF gives it), at most MaxTerms of them
// (highest df first). Memory is bounded by
// MaxTerms entries plus one entry and a 4 KiB buffer per stream, whatever the number of
// distinct terms in the collection; all the streams are open at once.
func BuildVocabulary(rs []io.Reader, opts VocabOptions) (*Vocabulary, error) {
	opts = opts.withDefaults()
	m, err := newStatsMerge(rs)
	if err != nil {
		return nil, err
	}
	v := &Vocabulary{Docs: m.Docs, Tokens: m.Tokens, Options: opts, DFError: m.DFError}
	minDF := v.MinDF()
	maxDF := m.Docs
	if m.Docs >= 10 && opts.MaxDFShare < 1 {
		maxDF = int64(opts.MaxDFShare * float64(m.Docs))
	}
	var h []*vocabCand // min-heap by rank: h[0] is the worst kept
	for {
		ok, err := m.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		v.Merged++
		switch {
		case m.df < minDF:
			v.DroppedMinDF++
			continue
		case m.df > maxDF:
			v.DroppedMaxDF++
			continue
		}
		c := &vocabCand{df: m.df, cf: m.cf}
		if len(h) == opts.MaxTerms {
			v.DroppedCap++
			if !worse(h[0], c) {
				continue
			}
			c.term, c.display = string(m.term), string(m.display)
			h[0] = c
			candDown(h, 0)
			continue
		}
		c.term, c.display = string(m.term), string(m.display)
		h = append(h, c)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !worse(h[i], h[p]) {
				break
			}
			h[i], h[p] = h[p], h[i]
			i = p
		}
	}
	slices.SortFunc(h, func(a, b *vocabCand) int { return strings.Compare(a.term, b.term) })
	v.Terms = make([]string, len(h))
	v.Display = make([]string, len(h))
	v.DF = make([]int64, len(h))
	v.CF = make([]int64, len(h))
	for i, c := range h {
		v.Terms[i], v.Display[i], v.DF[i], v.CF[i] = c.term, c.display, c.df, c.cf
	}
	v.finish()
	return v, nil
}

func candDown(h []*vocabCand, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		s := l
		if r := l + 1; r < len(h) && worse(h[r], h[l]) {
			s = r
		}
		if !worse(h[s], h[i]) {
			return
		}
		h[i], h[s] = h[s], h[i]
		i = s
	}
}

// Vocabulary object body: docs, tokens, MinDF, MaxDFShare (float), MaxTerms, merged,
// droppedMinDF, droppedMaxDF, droppedCap, dfError, V, then V entries as in a statistics
// stream (shared prefix, suffix, display shared prefix, display suffix, df, cf-df).

func (v *Vocabulary) encode(e *encoder) {
	e.uvarint(uint64(v.Docs))
	e.uvarint(uint64(v.Tokens))
	e.uvarint(uint64(v.Options.MinDF))
	e.f64(v.Options.MaxDFShare)
	e.uvarint(uint64(v.Options.MaxTerms))
	e.uvarint(uint64(v.Merged))
	e.uvarint(uint64(v.DroppedMinDF))
	e.uvarint(uint64(v.DroppedMaxDF))
	e.uvarint(uint64(v.DroppedCap))
	e.uvarint(uint64(v.DFError))
	e.uvarint(uint64(len(v.Terms)))
	prev := ""
	for i, t := range v.Terms {
		e.frontCoded(prev, t)
		q := commonPrefix(t, v.Display[i])
		e.uvarint(uint64(q))
		e.str(v.Display[i][q:])
		e.uvarint(uint64(v.DF[i]))
		e.uvarint(uint64(v.CF[i] - v.DF[i]))
		prev = t
	}
}

// WriteTo writes the vocabulary object to w.
func (v *Vocabulary) WriteTo(w io.Writer) (int64, error) {
	e := newEncoder(w, magicVocab)
	v.encode(e)
	return e.finish()
}

// ReadVocabulary reads a vocabulary object.
func ReadVocabulary(r io.Reader) (*Vocabulary, error) {
	d := newDecoder(r, magicVocab, "vocabulary", 32<<10)
	v := decodeVocab(d)
	if err := d.finish(); err != nil {
		return nil, err
	}
	return v, nil
}

func decodeVocab(d *decoder) *Vocabulary {
	v := &Vocabulary{}
	v.Docs = int64(d.count(maxCount, "documents"))
	v.Tokens = int64(d.count(maxCount, "tokens"))
	v.Options.MinDF = int64(d.count(maxCount, "MinDF"))
	v.Options.MaxDFShare = d.finite(0, "MaxDFShare")
	v.Options.MaxTerms = d.count(MaxVocabulary, "MaxTerms")
	v.Merged = int64(d.count(maxCount, "merged terms"))
	v.DroppedMinDF = int64(d.count(maxCount, "dropped terms"))
	v.DroppedMaxDF = int64(d.count(maxCount, "dropped terms"))
	v.DroppedCap = int64(d.count(maxCount, "dropped terms"))
	v.DFError = int64(d.count(maxCount, "df error"))
	n := d.count(MaxVocabulary, "terms")
	var prev, cur, disp []byte
	for i := 0; i < n && d.err == nil; i++ {
		p := d.count(maxTermBytes, "shared prefix")
		cur = d.frontCoded(prev, cur, i == 0, p)
		q := d.count(uint64(len(cur)), "display prefix")
		disp = append(disp[:0], cur[:min(q, len(cur))]...)
		disp = d.appendStr(disp, maxTermBytes)
		df := int64(d.count(maxCount, "df"))
		cf := df + int64(d.count(maxCount, "cf"))
		if d.err != nil {
			break
		}
		if df < 1 || df > v.Docs || cf > v.Tokens || len(disp) == 0 || len(disp) > maxTermBytes {
			d.fail("bad entry for %q", cur)
			break
		}
		v.Terms = append(v.Terms, string(cur))
		v.Display = append(v.Display, string(disp))
		v.DF = append(v.DF, df)
		v.CF = append(v.CF, cf)
		prev, cur = cur, prev
	}
	if d.err != nil {
		return nil
	}
	v.finish()
	return v
}

// fingerprint identifies the vocabulary (FNV-1a over its terms and dfs).
func (v *Vocabulary) fingerprint() uint64 {
	h := fnv64(fmt.Sprint(v.Docs, len(v.Terms)))
	for i, t := range v.Terms {
		h = hashx.Mix64(h ^ fnv64(t) ^ uint64(v.DF[i])<<1)
	}
	return h
}
