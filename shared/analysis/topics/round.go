package topics

import (
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
)

// Document is one document of a shard: ID names it (the docname of doc-topics.csv) and seeds
// its place in the initialisation sample; Text is what is analysed.
type Document struct {
	ID   string
	Text string
}

// Docs adapts a slice to the iterators the map steps take.
func Docs(ds []Document) iter.Seq2[Document, error] {
	return func(yield func(Document, error) bool) {
		for _, d := range ds {
			if !yield(d, nil) {
				return
			}
		}
	}
}

// Seq adapts a slice of state objects to the iterators the reduce steps take.
func Seq[T any](xs []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, x := range xs {
			if !yield(x, nil) {
				return
			}
		}
	}
}

// ReadSeq yields the objects 0..n-1 in order, opening and decoding each only when the reduce
// asks for it (so a reduce holds one at a time): open(i) returns object i's stream, read
// decodes it (ReadRoundStats, ReadSample).
func ReadSeq[T any](n int, open func(i int) (io.ReadCloser, error), read func(io.Reader) (T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for i := 0; i < n; i++ {
			var zero T
			rc, err := open(i)
			if err != nil {
				yield(zero, fmt.Errorf("object %d: %w", i, err))
				return
			}
			x, err := read(rc)
			cerr := rc.Close()
			if err == nil {
				err = cerr
			}
			if err != nil {
				yield(zero, fmt.Errorf("object %d: %w", i, err))
				return
			}
			if !yield(x, nil) {
				return
			}
		}
	}
}

// RoundStats is a shard's output of one distributed round (an EM step): under the model,
// each document's topic probabilities r (its proportions) are computed, and the shard sums
// the sufficient statistics of the next model: N_k = Σ r_k and, by term column (only the
// columns of terms the shard contains), S_jk = Σ r_k·x_j, with the log-likelihood.
type RoundStats struct {
	Shard  int    // the shard's index: Reduce wants them strictly increasing
	Round  int    // the model's Round
	Model  uint64 // the model's Fingerprint
	K, V   int
	Docs   int64   // documents seen
	Empty  int64   // of which without any vocabulary term (left out)
	LogLik float64 // Σ over documents of the log-likelihood

	N    []float64 // K: expected documents per topic
	Cols []int32   // term indices, increasing
	S    []float64 // len(Cols)×K: S[c*K+k] = Σ_docs r_k·x_{Cols[c]}
}

// RoundBuilder accumulates one shard's RoundStats document by document. Memory: a dense V×K
// accumulator (the size of the model) and one document.
type RoundBuilder struct {
	m       *Model
	z       *vectorizer
	logPi   []float64
	cos, r  []float64
	acc     []float64
	touched []bool
	st      RoundStats
}

// NewRound starts shard's statistics for model m.
func NewRound(m *Model, shard int) *RoundBuilder {
	return &RoundBuilder{
		m: m, z: newVectorizer(m.Vocab), logPi: m.logPis(),
		cos: make([]float64, m.K), r: make([]float64, m.K),
		acc:     make([]float64, m.V*m.K),
		touched: make([]bool, m.V),
		st:      RoundStats{Shard: shard, Round: m.Round, Model: m.Fingerprint(), K: m.K, V: m.V, N: make([]float64, m.K)},
	}
}

// Add folds one document in.
func (rb *RoundBuilder) Add(text string) {
	rb.st.Docs++
	if !rb.z.vector(text) {
		rb.st.Empty++
		return
	}
	m := rb.m
	rb.st.LogLik += posterior(m.Mu, rb.logPi, m.Kappa, m.K, rb.z.idx, rb.z.val, rb.cos, rb.r)
	accumulate(rb.acc, rb.st.N, rb.r, m.K, rb.z.idx, rb.z.val)
	for _, j := range rb.z.idx {
		rb.touched[j] = true
	}
}

// Stats returns the shard's statistics; the builder must not be used after.
func (rb *RoundBuilder) Stats() *RoundStats {
	K := rb.m.K
	st := rb.st
	for j, ok := range rb.touched {
		if ok {
			st.Cols = append(st.Cols, int32(j))
			st.S = append(st.S, rb.acc[j*K:(j+1)*K]...)
		}
	}
	rb.acc, rb.touched = nil, nil
	return &st
}

// ShardRound is the map step of a distributed round: the statistics of one shard's documents
// (in the shard's order, which must be the same whenever the step is repeated) under model m.
func ShardRound(m *Model, shard int, docs iter.Seq2[Document, error]) (*RoundStats, error) {
	rb := NewRound(m, shard)
	for d, err := range docs {
		if err != nil {
			return nil, err
		}
		rb.Add(d.Text)
	}
	return rb.Stats(), nil
}

// Reduce is the reduce step of a distributed round: it sums the shards' statistics in the
// order given, which must be increasing shard index (float addition is not associative, so
// the order is part of the result), and computes the next model (the M step). It returns a
// new model (Round+1); m is not modified. Memory: the model, one V×K sum and one shard's
// statistics at a time.
func Reduce(m *Model, stats iter.Seq2[*RoundStats, error]) (*Model, error) {
	K, V := m.K, m.V
	fp := m.Fingerprint()
	N := make([]float64, K)
	S := make([]float64, V*K)
	var ll float64
	var docs, empty int64
	last, n := -1, 0
	for st, err := range stats {
		if err != nil {
			return nil, err
		}
		if st.K != K || st.V != V || st.Round != m.Round || st.Model != fp {
			return nil, fmt.Errorf("topics: statistics of shard %d are for another model (round %d, want %d)", st.Shard, st.Round, m.Round)
		}
		if st.Shard <= last {
			return nil, fmt.Errorf("topics: shard %d after shard %d: statistics must come in increasing shard order, once each", st.Shard, last)
		}
		if len(st.N) != K || len(st.S) != len(st.Cols)*K {
			return nil, fmt.Errorf("topics: malformed statistics of shard %d", st.Shard)
		}
		last = st.Shard
		n++
		for k, x := range st.N {
			N[k] += x
		}
		for c, j := range st.Cols {
			if int(j) < 0 || int(j) >= V {
				return nil, fmt.Errorf("topics: malformed statistics of shard %d", st.Shard)
			}
			col := S[int(j)*K : int(j+1)*K]
			for k, x := range st.S[c*K : (c+1)*K] {
				col[k] += x
			}
		}
		ll += st.LogLik
		docs += st.Docs
		empty += st.Empty
	}
	if n == 0 {
		return nil, fmt.Errorf("topics: reduce without statistics")
	}
	next := &Model{Options: m.Options, Vocab: m.Vocab, K: K, V: V, Kappa: m.Kappa, Round: m.Round + 1}
	if docs > empty {
		next.Mu, next.Pi = mstep(S, N, m.Mu, nil, K, V, m.Options.PriorWeight)
	} else {
		next.Mu, next.Pi = slices.Clone(m.Mu), slices.Clone(m.Pi)
	}
	avg := 0.0
	if docs > empty {
		avg = ll / float64(docs-empty)
	}
	next.LogLik = append(slices.Clone(m.LogLik), avg)
	if l := len(next.LogLik); l >= 2 && m.Options.Tol > 0 {
		prev := next.LogLik[l-2]
		if avg-prev < float64(m.Options.Tol*math.Abs(prev)) {
			next.Converged = true
		}
	}
	return next, nil
}

// Round statistics object body: shard, round, model fingerprint (8 bytes), K, V, docs, empty,
// log-likelihood (float), N (K floats), the number of columns, then per column: the gap to
// the previous column's index (first: the index), the number of non-zero entries, and for
// each the gap to the previous topic index and the value (float).

// WriteTo writes the statistics object to w.
func (st *RoundStats) WriteTo(w io.Writer) (int64, error) {
	e := newEncoder(w, magicRound)
	e.uvarint(uint64(st.Shard))
	e.uvarint(uint64(st.Round))
	e.u64(st.Model)
	e.uvarint(uint64(st.K))
	e.uvarint(uint64(st.V))
	e.uvarint(uint64(st.Docs))
	e.uvarint(uint64(st.Empty))
	e.f64(st.LogLik)
	K := st.K
	for _, x := range st.N {
		e.f64(x)
	}
	e.uvarint(uint64(len(st.Cols)))
	prev := -1
	for c, j := range st.Cols {
		e.uvarint(uint64(int(j) - prev - 1))
		prev = int(j)
		col := st.S[c*K : (c+1)*K]
		nz := 0
		for _, x := range col {
			if x != 0 {
				nz++
			}
		}
		e.uvarint(uint64(nz))
		pk := -1
		for k, x := range col {
			if x != 0 {
				e.uvarint(uint64(k - pk - 1))
				e.f64(x)
				pk = k
			}
		}
	}
	return e.finish()
}

// ReadRoundStats reads a round statistics object.
func ReadRoundStats(r io.Reader) (*RoundStats, error) {
	d := newDecoder(r, magicRound, "round statistics", 64<<10)
	st := &RoundStats{}
	st.Shard = d.count(1<<40, "shard")
	st.Round = d.count(1<<20, "round")
	st.Model = d.u64()
	st.K = d.count(MaxK, "K")
	st.V = d.count(MaxVocabulary, "V")
	st.Docs = int64(d.count(maxCount, "documents"))
	st.Empty = int64(d.count(uint64(st.Docs), "empty documents"))
	st.LogLik = d.f64()
	if math.IsNaN(st.LogLik) || math.IsInf(st.LogLik, 0) {
		d.fail("bad log-likelihood")
	}
	K := st.K
	if d.err == nil && K < 1 {
		d.fail("K is 0")
	}
	if d.err != nil {
		return nil, d.err
	}
	for k := 0; k < K && d.err == nil; k++ {
		st.N = append(st.N, d.finite(0, "N"))
	}
	nc := d.count(uint64(st.V), "columns")
	prev := -1
	for c := 0; c < nc && d.err == nil; c++ {
		j := prev + 1 + d.count(uint64(st.V), "column gap")
		if j >= st.V {
			d.fail("column %d out of range", j)
			break
		}
		prev = j
		st.Cols = append(st.Cols, int32(j))
		col := make([]float64, K)
		nz := d.count(uint64(K), "non-zeros")
		pk := -1
		for i := 0; i < nz && d.err == nil; i++ {
			k := pk + 1 + d.count(uint64(K), "topic gap")
			if k >= K {
				d.fail("topic %d out of range", k)
				break
			}
			col[k] = d.finite(0, "S")
			pk = k
		}
		st.S = append(st.S, col...)
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return st, nil
}
