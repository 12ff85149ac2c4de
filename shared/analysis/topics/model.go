package topics

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"

	"github.com/ream-dev/ream/shared/internal/hashx"
)

// Fit defaults.
const (
	DefaultK           = 10
	MaxK               = 100
	DefaultRounds      = 20
	DefaultTol         = 1e-4
	DefaultSampleSize  = 20_000
	MaxSampleSize      = 1_000_000
	DefaultAnnealIters = 40
	DefaultPriorWeight = 1.0
	DefaultRestarts    = 4
	// MaxRestarts bounds Restarts.
	MaxRestarts = 100
	DefaultSeed = 1
	// MaxKappa bounds the concentrations of the annealing schedule.
	MaxKappa = 10_000
	// MaxAnnealSteps bounds a model's annealing schedule (extendSchedule adds no step beyond it).
	MaxAnnealSteps = 1000
	// minResponsibility: a document's smaller topic probabilities are dropped (and the rest
	// renormalised), so that statistics and proportions stay sparse.
	minResponsibility = 1e-6
)

// DefaultAnneal is the default annealing schedule of the concentration κ; its last value is
// the model's κ.
var DefaultAnneal = []float64{15, 20, 25, 30, 40, 50}

// FitOptions are the model's parameters. Zero fields take the defaults (a Tol < 0 never
// stops early; a PriorWeight < 0 means 0).
type FitOptions struct {
	K    int   // number of topics, 1..MaxK (default 10)
	Seed int64 // seeds the sample and the initialisation (0 is a seed like any other)

	Rounds int     // distributed rounds at most (default 20)
	Tol    float64 // stop when a round raises the mean log-likelihood by less than this share (default 1e-4)

	SampleSize int // documents in the initialisation sample (default 20,000)
	// Anneal is the schedule of concentrations κ of the initialisation (deterministic
	// annealing on the sample), increasing; the last is the model's κ (default
	// DefaultAnneal).
	Anneal      []float64
	AnnealIters int // EM iterations on the sample at each κ at most (default 40)
	// PriorWeight λ smooths the topics' mixing weights: π_k = (n_k + λN/K)/((1+λ)N), where
	// n_k is the topic's expected number of documents out of N. 0 is plain maximum
	// likelihood, which lets big topics swallow small ones (default 1).
	PriorWeight float64
	// Restarts is the number of annealing runs of the initialisation, each from its own
	// seeded random start (derived from Seed); the run of highest mean log-likelihood on the
	// sample (the model's own objective) is kept, ties to the earliest (default 4).
	Restarts int
}

func (o FitOptions) withDefaults() FitOptions {
	if o.K <= 0 {
		o.K = DefaultK
	}
	if o.Rounds <= 0 {
		o.Rounds = DefaultRounds
	}
	if o.Tol == 0 {
		o.Tol = DefaultTol
	}
	if o.SampleSize <= 0 {
		o.SampleSize = DefaultSampleSize
	}
	o.SampleSize = min(o.SampleSize, MaxSampleSize)
	if len(o.Anneal) == 0 {
		o.Anneal = DefaultAnneal
	}
	o.Anneal = slices.Clone(o.Anneal)
	if o.AnnealIters <= 0 {
		o.AnnealIters = DefaultAnnealIters
	}
	if o.PriorWeight == 0 {
		o.PriorWeight = DefaultPriorWeight
	}
	if o.PriorWeight < 0 {
		o.PriorWeight = 0
	}
	if o.Restarts <= 0 {
		o.Restarts = DefaultRestarts
	}
	return o
}

func (o FitOptions) check() error {
	if o.K < 1 || o.K > MaxK {
		return fmt.Errorf("topics: K=%d, want 1..%d", o.K, MaxK)
	}
	if math.IsNaN(o.Tol) || math.IsInf(o.Tol, 0) || math.IsNaN(o.PriorWeight) || math.IsInf(o.PriorWeight, 0) {
		return fmt.Errorf("topics: Tol and PriorWeight must be finite")
	}
	if o.Restarts < 1 || o.Restarts > MaxRestarts {
		return fmt.Errorf("topics: %d restarts, want 1..%d", o.Restarts, MaxRestarts)
	}
	if len(o.Anneal) > MaxAnnealSteps {
		return fmt.Errorf("topics: annealing schedule of %d steps", len(o.Anneal))
	}
	for _, k := range o.Anneal {
		if !(k > 0 && k <= MaxKappa) {
			return fmt.Errorf("topics: concentration %v out of (0, %d]", k, MaxKappa)
		}
	}
	return nil
}

// Model is the fit's state between rounds: a mixture of K von Mises–Fisher distributions on
// the unit sphere of TF-IDF vectors (a soft spherical k-means), with a common concentration
// κ. Topic k has a mean direction μ_k (non-negative, unit norm: its term weights) and a
// mixing weight π_k; a document x belongs to topic k with probability
// r_k ∝ π_k·exp(κ·μ_k·x), its topic proportions.
type Model struct {
	Options FitOptions
	Vocab   *Vocabulary
	K, V    int
	Kappa   float64
	// Mu holds the topics' mean directions term-major: Mu[j*K+k] is term j's weight in topic k.
	Mu []float64
	Pi []float64 // mixing weights, summing to 1
	// Round is the number of distributed rounds folded in (0: the initial model).
	Round int
	// LogLik[r] is the mean log-likelihood per document (up to a constant) measured in round
	// r+1, with the model of round r.
	LogLik []float64
	// Converged is set when a round raised the mean log-likelihood by less than Tol.
	Converged bool

	logPiOnce sync.Once
	logPi     []float64
	sumOnce   sync.Once
	muSum     []float64 // Σ_j Mu[j*K+k] per topic (topicSums)
	assigners sync.Pool // of *Assigner
}

// topicSums returns each topic's sum of term weights (what TopTerms divides by, and shares).
func (m *Model) topicSums() []float64 {
	m.sumOnce.Do(func() {
		m.muSum = make([]float64, m.K)
		for j := 0; j < m.V; j++ {
			for k, x := range m.Mu[j*m.K : (j+1)*m.K] {
				m.muSum[k] += x
			}
		}
	})
	return m.muSum
}

// Done reports whether the fit should stop: it converged or Rounds are done.
func (m *Model) Done() bool { return m.Converged || m.Round >= m.Options.Rounds }

func (m *Model) logPis() []float64 {
	m.logPiOnce.Do(func() {
		m.logPi = make([]float64, m.K)
		for k, p := range m.Pi {
			if p > 0 {
				m.logPi[k] = plog(p)
			} else {
				m.logPi[k] = math.Inf(-1)
			}
		}
	})
	return m.logPi
}

// Fingerprint identifies the model's state (its round and every bit of its parameters);
// round statistics carry it so that a reduce cannot fold statistics computed from another
// model.
func (m *Model) Fingerprint() uint64 {
	acc := uint64(14695981039346656037)
	add := func(x float64) {
		u := math.Float64bits(x)
		for i := 0; i < 8; i++ {
			acc ^= u & 0xff
			acc *= 1099511628211
			u >>= 8
		}
	}
	add(m.Kappa)
	for _, x := range m.Pi {
		add(x)
	}
	for _, x := range m.Mu {
		add(x)
	}
	return hashx.Mix64(acc ^ hashx.Mix64(uint64(m.Round)<<32^uint64(m.K)<<16^uint64(m.V)) ^ m.Vocab.fingerprint())
}

// posterior sets r to the topic probabilities of the unit vector (idx, val) under the
// mixture (mu, logPi, kappa), using cos as scratch, and returns the document's
// log-likelihood (up to the vMF normalising constant, common to all topics).
// Probabilities below minResponsibility are dropped and the rest renormalised.
func posterior(mu, logPi []float64, kappa float64, K int, idx []int32, val []float64, cos, r []float64) float64 {
	clear(cos)
	for t, j := range idx {
		axpy(val[t], mu[int(j)*K:int(j+1)*K], cos)
	}
	best := math.Inf(-1)
	for k := range cos {
		l := float64(kappa*cos[k]) + logPi[k]
		r[k] = l
		best = max(best, l)
	}
	var s float64
	for k, l := range r {
		e := pexp(l - best)
		r[k] = e
		s += e
	}
	ll := best + plog(s)
	var s2 float64
	for k, e := range r {
		if e < float64(minResponsibility*s) {
			r[k] = 0
		} else {
			s2 += e
		}
	}
	for k := range r {
		r[k] /= s2
	}
	return ll
}

// accumulate adds r ⊗ x to the V×K term-major sums S and r to n.
func accumulate(S, n, r []float64, K int, idx []int32, val []float64) {
	for k, x := range r {
		n[k] += x
	}
	for t, j := range idx {
		axpy(val[t], r, S[int(j)*K:int(j+1)*K])
	}
}

// mstep computes the mean directions (unit columns of S; a topic whose column is zero keeps
// its old direction, zero if none) into dst (allocated when nil; it must not alias old) and
// the smoothed mixing weights.
func mstep(S, n, old, dst []float64, K, V int, prior float64) (mu, pi []float64) {
	mu = dst
	if mu == nil {
		mu = make([]float64, len(S))
	}
	norms := make([]float64, K)
	for j := 0; j < V; j++ {
		for k, x := range S[j*K : (j+1)*K] {
			norms[k] += float64(x * x)
		}
	}
	inv := make([]float64, K)
	for k, s := range norms {
		if s > 0 {
			inv[k] = 1 / math.Sqrt(s)
		}
	}
	for j := 0; j < V; j++ {
		for k := 0; k < K; k++ {
			if inv[k] > 0 {
				mu[j*K+k] = float64(S[j*K+k] * inv[k])
			} else if old != nil {
				mu[j*K+k] = old[j*K+k]
			} else {
				mu[j*K+k] = 0
			}
		}
	}
	var total float64
	for _, x := range n {
		total += x
	}
	pi = make([]float64, K)
	for k := range pi {
		if total > 0 {
			pi[k] = (n[k] + float64(prior*total)/float64(K)) / float64((1+prior)*total)
		} else {
			pi[k] = 1 / float64(K)
		}
	}
	return mu, pi
}

// Model object body: K, V, Round, Converged (0/1), the options (K, Seed as a zig-zag
// varint, Rounds, Tol, SampleSize, the number of κ steps and the κ, AnnealIters,
// PriorWeight, Restarts; floats as float64), the log-likelihood history (count, floats), κ, π (K
// floats), the vocabulary (as in a vocabulary object's body), then μ: V×K float64,
// term-major.

// WriteTo writes the model object to w.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	e := newEncoder(w, magicModel)
	e.uvarint(uint64(m.K))
	e.uvarint(uint64(m.V))
	e.uvarint(uint64(m.Round))
	if m.Converged {
		e.uvarint(1)
	} else {
		e.uvarint(0)
	}
	encodeOptions(e, m.Options)
	e.uvarint(uint64(len(m.LogLik)))
	for _, x := range m.LogLik {
		e.f64(x)
	}
	e.f64(m.Kappa)
	for _, x := range m.Pi {
		e.f64(x)
	}
	m.Vocab.encode(e)
	var buf [8 * MaxK]byte
	for j := 0; j < m.V; j++ {
		for k, x := range m.Mu[j*m.K : (j+1)*m.K] {
			binary.LittleEndian.PutUint64(buf[8*k:], math.Float64bits(x))
		}
		e.raw(buf[:8*m.K])
	}
	return e.finish()
}

func encodeOptions(e *encoder, o FitOptions) {
	e.uvarint(uint64(o.K))
	e.uvarint(zigzag(o.Seed))
	e.uvarint(uint64(o.Rounds))
	e.f64(o.Tol)
	e.uvarint(uint64(o.SampleSize))
	e.uvarint(uint64(len(o.Anneal)))
	for _, k := range o.Anneal {
		e.f64(k)
	}
	e.uvarint(uint64(o.AnnealIters))
	e.f64(o.PriorWeight)
	e.uvarint(uint64(o.Restarts))
}

func decodeOptions(d *decoder) FitOptions {
	var o FitOptions
	o.K = d.count(MaxK, "K")
	o.Seed = unzigzag(d.uvarint())
	o.Rounds = d.count(1<<20, "Rounds")
	o.Tol = d.f64()
	if math.IsNaN(o.Tol) || math.IsInf(o.Tol, 0) {
		d.fail("bad Tol")
	}
	o.SampleSize = d.count(MaxSampleSize, "SampleSize")
	n := d.count(MaxAnnealSteps, "annealing steps")
	for i := 0; i < n && d.err == nil; i++ {
		o.Anneal = append(o.Anneal, d.finite(0, "κ"))
	}
	o.AnnealIters = d.count(1<<20, "AnnealIters")
	o.PriorWeight = d.finite(0, "PriorWeight")
	o.Restarts = d.count(MaxRestarts, "Restarts")
	if d.err == nil && (o.K < 1 || o.Rounds < 1 || o.SampleSize < 1 || n < 1 || o.AnnealIters < 1 || o.Restarts < 1) {
		d.fail("options out of range")
	}
	if d.err == nil {
		if err := o.check(); err != nil {
			d.fail("%v", err)
		}
	}
	return o
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// ReadModel reads a model object.
func ReadModel(r io.Reader) (*Model, error) {
	d := newDecoder(r, magicModel, "model", 64<<10)
	m := &Model{}
	m.K = d.count(MaxK, "K")
	m.V = d.count(MaxVocabulary, "V")
	m.Round = d.count(1<<20, "round")
	m.Converged = d.count(1, "converged flag") == 1
	m.Options = decodeOptions(d)
	nl := d.count(1<<20, "log-likelihood history")
	for i := 0; i < nl && d.err == nil; i++ {
		x := d.f64()
		if math.IsNaN(x) || math.IsInf(x, 0) {
			d.fail("bad log-likelihood")
		}
		m.LogLik = append(m.LogLik, x)
	}
	if d.err == nil && (m.K < 1 || m.K != m.Options.K || nl != m.Round) {
		d.fail("inconsistent header (K %d, options K %d, %d log-likelihoods for round %d)", m.K, m.Options.K, nl, m.Round)
	}
	if d.err != nil {
		return nil, d.err
	}
	m.Kappa = d.finite(0, "κ")
	if d.err == nil && (m.Kappa <= 0 || m.Kappa > MaxKappa) {
		d.fail("κ %v out of range", m.Kappa)
	}
	var sum float64
	for k := 0; k < m.K && d.err == nil; k++ {
		p := d.finite(0, "π")
		m.Pi = append(m.Pi, p)
		sum += p
	}
	if d.err == nil && math.Abs(sum-1) > 1e-6 {
		d.fail("mixing weights sum to %v", sum)
	}
	if d.err != nil {
		return nil, d.err
	}
	m.Vocab = decodeVocab(d)
	if d.err == nil && m.Vocab.Len() != m.V {
		d.fail("vocabulary has %d terms, model %d", m.Vocab.Len(), m.V)
	}
	var buf [8 * MaxK]byte
	for j := 0; j < m.V && d.err == nil; j++ {
		d.read(buf[:8*m.K])
		for k := 0; k < m.K; k++ {
			x := math.Float64frombits(binary.LittleEndian.Uint64(buf[8*k:]))
			if !(x >= 0 && x <= 1+1e-9) { // unit columns (rounding may pass 1 by an ulp)
				d.fail("bad weight")
				break
			}
			m.Mu = append(m.Mu, x)
		}
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return m, nil
}
