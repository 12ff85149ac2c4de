package topics

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"iter"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ream-dev/ream/shared/internal/hashx"
)

// Sample is a shard's output of the sampling map step: the shard's documents of smallest
// sampling key, at most Capacity of them, as term counts. The key is a hash of the seed and
// the document's ID (then of its text, to order documents with equal IDs), so the union of
// the shards' samples contains the collection's Capacity documents of smallest key whatever
// the sharding: the initialisation does not depend on how the collection was cut.
type Sample struct {
	Seed     int64
	Capacity int
	Vocab    uint64 // fingerprint of the vocabulary used
	Seen     int64  // documents seen (the sample has the non-empty ones of smallest key)
	Docs     []SampleDoc
}

// SampleDoc is a sampled document: its keys, ID and in-vocabulary term counts.
type SampleDoc struct {
	Key, TextKey uint64
	ID           string
	Terms        []int32 // increasing vocabulary indices
	Counts       []int32
}

func sampleLess(a, b *SampleDoc) int {
	if c := cmp.Compare(a.Key, b.Key); c != 0 {
		return c
	}
	if c := cmp.Compare(a.TextKey, b.TextKey); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// sampleHeap keeps the capacity smallest documents: a max-heap, the largest at the root.
type sampleHeap struct {
	cap  int
	docs []*SampleDoc
}

func (h *sampleHeap) full() bool { return len(h.docs) >= h.cap }

// admits reports whether a document with these keys would enter.
func (h *sampleHeap) admits(d *SampleDoc) bool {
	return !h.full() || sampleLess(d, h.docs[0]) < 0
}

func (h *sampleHeap) add(d *SampleDoc) {
	if !h.full() {
		h.docs = append(h.docs, d)
		for i := len(h.docs) - 1; i > 0; {
			p := (i - 1) / 2
			if sampleLess(h.docs[i], h.docs[p]) <= 0 {
				break
			}
			h.docs[i], h.docs[p] = h.docs[p], h.docs[i]
			i = p
		}
		return
	}
	if sampleLess(d, h.docs[0]) >= 0 {
		return
	}
	h.docs[0] = d
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(h.docs) {
			break
		}
		s := l
		if r := l + 1; r < len(h.docs) && sampleLess(h.docs[r], h.docs[l]) > 0 {
			s = r
		}
		if sampleLess(h.docs[s], h.docs[i]) <= 0 {
			break
		}
		h.docs[i], h.docs[s] = h.docs[s], h.docs[i]
		i = s
	}
}

func (h *sampleHeap) sorted() []SampleDoc {
	out := make([]SampleDoc, len(h.docs))
	for i, d := range h.docs {
		out[i] = *d
	}
	slices.SortFunc(out, func(a, b SampleDoc) int { return sampleLess(&a, &b) })
	return out
}

// Sampler builds one shard's Sample document by document. Memory: at most SampleSize
// documents' term counts.
type Sampler struct {
	v    *Vocabulary
	seed int64
	h    sampleHeap
	z    *vectorizer
	seen int64
}

// NewSampler starts a shard's sample for vocabulary v with opts' Seed and SampleSize.
func NewSampler(v *Vocabulary, opts FitOptions) *Sampler {
	opts = opts.withDefaults()
	return &Sampler{v: v, seed: opts.Seed, h: sampleHeap{cap: opts.SampleSize}, z: newVectorizer(v)}
}

// Add offers one document to the sample. Only documents whose key can enter are tokenised.
func (s *Sampler) Add(id, text string) {
	s.seen++
	d := &SampleDoc{Key: docKey(s.seed, id), TextKey: fnv64(text), ID: id}
	if !s.h.admits(d) {
		return
	}
	s.z.count(text)
	if len(s.z.idx) == 0 {
		return
	}
	d.Terms = slices.Clone(s.z.idx)
	d.Counts = slices.Clone(s.z.counts)
	s.h.add(d)
}

// Sample returns the shard's sample.
func (s *Sampler) Sample() *Sample {
	return &Sample{Seed: s.seed, Capacity: s.h.cap, Vocab: s.v.fingerprint(), Seen: s.seen, Docs: s.h.sorted()}
}

// SampleShard is the sampling map step over one shard's documents.
func SampleShard(v *Vocabulary, opts FitOptions, docs iter.Seq2[Document, error]) (*Sample, error) {
	s := NewSampler(v, opts)
	for d, err := range docs {
		if err != nil {
			return nil, err
		}
		s.Add(d.ID, d.Text)
	}
	return s.Sample(), nil
}

// InitModel is the initialisation reduce: it merges the shards' samples (in any order) into
// the collection's sample (the SampleSize documents of smallest key), then fits the mixture
// on the sample alone by deterministic annealing: from seeded random topic probabilities,
// AnnealIters EM iterations at each concentration κ of the Anneal schedule (low κ first,
// where every document is shared by all topics, so the topics split from the whole rather
// than from a few chosen documents). It returns the model of round 0, whose κ is the
// schedule's last. Memory: the sample (at most SampleSize documents, K probabilities each)
// and O(V×K). A sample of fewer documents than K (the collection has fewer documents with
// vocabulary terms than topics) is a *TooFewDocumentsError. The fit checks ctx between EM
// iterations and returns its error when it is done.
func InitModel(ctx context.Context, v *Vocabulary, samples iter.Seq2[*Sample, error], opts FitOptions) (*Model, error) {
	return InitModelWith(ctx, v, samples, opts, InitConfig{})
}

// InitModelWith is InitModel run as cfg says: with checkpoints, a fit cut short (ctx ended)
// keeps the restarts it finished, and the states of those it ran long enough, and a later
// fit of the same inputs loads them and computes only the rest; the model is the same bits
// as an uncut fit's.
func InitModelWith(ctx context.Context, v *Vocabulary, samples iter.Seq2[*Sample, error], opts FitOptions, cfg InitConfig) (*Model, error) {
	opts = opts.withDefaults()
	if err := opts.check(); err != nil {
		return nil, err
	}
	if v.Len() == 0 {
		return nil, fmt.Errorf("topics: empty vocabulary (no term passed the vocabulary filters)")
	}
	fp := v.fingerprint()
	h := sampleHeap{cap: opts.SampleSize}
	for s, err := range samples {
		if err != nil {
			return nil, err
		}
		if s.Seed != opts.Seed || s.Capacity != opts.SampleSize || s.Vocab != fp {
			return nil, fmt.Errorf("topics: a sample was drawn with another seed, size or vocabulary")
		}
		for i := range s.Docs {
			d := &s.Docs[i]
			if len(d.Terms) != len(d.Counts) || len(d.Terms) == 0 {
				return nil, fmt.Errorf("topics: malformed sample")
			}
			for _, j := range d.Terms {
				if int(j) >= v.Len() {
					return nil, fmt.Errorf("topics: malformed sample")
				}
			}
			if h.admits(d) {
				dd := *d // not a pointer into s, so that s can be freed
				h.add(&dd)
			}
		}
	}
	docs := h.sorted()
	if len(docs) < opts.K {
		if n := distinctDocs(docs); n < len(docs) {
			// Fewer still differ: the number to ask for is theirs.
			return nil, &TooFewDocumentsError{Documents: n, K: opts.K, Distinct: true}
		}
		return nil, &TooFewDocumentsError{Documents: len(docs), K: opts.K}
	}
	if n := distinctDocs(docs); n < opts.K {
		// Documents alike in the vocabulary's words are one point to the model: K topics from
		// fewer points would be copies too.
		return nil, &TooFewDocumentsError{Documents: n, K: opts.K, Distinct: true}
	}
	idx := make([][]int32, len(docs))
	val := make([][]float64, len(docs))
	for i, d := range docs {
		idx[i] = d.Terms
		val[i] = weigh(v, d.Terms, d.Counts, nil)
	}
	// A collection whose documents spread over many terms (long reviews, say) splits into
	// topics only at a higher κ than short descriptions do: below its critical κ every topic
	// stays the collection's mean and the topics come out identical. The schedule is
	// extended past that point (extendSchedule).
	opts.Anneal = extendSchedule(opts.Anneal, criticalKappa(ctx, idx, val, v.Len()))
	ck, err := newFitCheckpoints(ctx, cfg, fitFingerprint(v, opts, docs), opts.K, v.Len())
	if err != nil {
		return nil, err
	}
	// The restarts are independent: they run side by side (restartsAtOnce), and the best is
	// the highest log-likelihood, the lowest restart number among equals, so the choice is
	// the same whatever order they finish in, and whichever of them were loaded from
	// checkpoints.
	var (
		mu, pi  []float64
		best    = math.Inf(-1)
		bestRun = -1
		bestMu  sync.Mutex // guards best, bestRun, mu and pi
		wg      sync.WaitGroup
		errOnce sync.Once
		fitErr  error // the first restart's error (a checkpoint that could not be read)
		slots   = make(chan struct{}, restartsAtOnce(opts.Restarts, v.Len(), opts.K, len(idx), cfg.CPUs))
	)
	// better reports whether restart r, of log-likelihood ll, beats the best so far (the
	// lowest-numbered of equals, so that the choice does not depend on the order they finish
	// in or were loaded in).
	better := func(r int, ll float64) bool { return bestRun < 0 || ll > best || ll == best && r < bestRun }
	consider := func(r int, ll float64, m, p []float64) {
		bestMu.Lock()
		defer bestMu.Unlock()
		if better(r, ll) {
			best, bestRun, mu, pi = ll, r, m, p
		}
	}
	todo := make([]int, 0, opts.Restarts)
	if ck != nil {
		// The finished restarts, one at a time: the best so far and one more in memory.
		var m, p []float64
		for r := 0; r < opts.Restarts; r++ {
			if m == nil {
				m, p = make([]float64, v.Len()*opts.K), make([]float64, opts.K)
			}
			ll, ok, err := ck.loadRestart(ctx, r, m, p)
			if err != nil {
				return nil, err
			}
			if !ok {
				todo = append(todo, r)
				continue
			}
			if better(r, ll) { // (before any restart runs: no lock needed)
				m, p, mu, pi = mu, pi, m, p
				best, bestRun = ll, r
			}
		}
	} else {
		for r := 0; r < opts.Restarts; r++ {
			todo = append(todo, r)
		}
	}
	for _, r := range todo {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			m, p, err := anneal(ctx, idx, val, v.Len(), opts, r, ck, cfg.StepEvery)
			if err != nil {
				errOnce.Do(func() { fitErr = err })
				return
			}
			if ctx.Err() != nil {
				return
			}
			ll := sampleLogLik(idx, val, m, p, opts)
			if ck != nil {
				ck.saveRestart(ctx, r, ll, m, p)
			}
			consider(r, ll, m, p)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if fitErr != nil {
		return nil, fitErr
	}
	return &Model{Options: opts, Vocab: v, K: opts.K, V: v.Len(), Kappa: opts.Anneal[len(opts.Anneal)-1], Mu: mu, Pi: pi}, nil
}

// TooFewDocumentsError is InitModel's error for a collection with fewer documents that have
// vocabulary terms than the topics asked for: the topics would be copies of one another.
// Distinct says that Documents counts the documents that differ in those terms (more documents
// have them, but some have exactly the same ones).
type TooFewDocumentsError struct {
	Documents, K int
	Distinct     bool
}

func (e *TooFewDocumentsError) Error() string {
	if e.Distinct {
		return fmt.Sprintf("topics: %d topics asked for, but the documents have only %d different sets of the words the vocabulary kept", e.K, e.Documents)
	}
	return fmt.Sprintf("topics: %d topics asked for, but only %d documents have words the vocabulary kept", e.K, e.Documents)
}

// distinctDocs counts the sample's documents that differ in their terms or counts.
func distinctDocs(docs []SampleDoc) int {
	seen := make(map[string]struct{}, len(docs))
	var key []byte
	for i := range docs {
		d := &docs[i]
		key = key[:0]
		for k, t := range d.Terms {
			key = binary.LittleEndian.AppendUint32(key, uint32(t))
			key = binary.LittleEndian.AppendUint32(key, uint32(d.Counts[k]))
		}
		seen[string(key)] = struct{}{}
	}
	return len(seen)
}

// restartBudget bounds the working memory of the restarts that run at once.
const restartBudget = 256 << 20

// restartsAtOnce is how many of restarts anneal at once: one per core (per whole core of cpus
// when it is set, so that restarts on a fraction of a core run one at a time and finish one
// after another rather than all together), as long as their working memory (per run: three
// V×K arrays and the sample's n×K memberships, float64) stays within restartBudget; always at
// least one.
func restartsAtOnce(restarts, V, K, n int, cpus float64) int {
	perRun := 8 * (3*V*K + n*K)
	cores := runtime.GOMAXPROCS(0)
	if cpus > 0 {
		cores = min(cores, max(1, int(cpus)))
	}
	return max(1, min(restarts, cores, restartBudget/max(perRun, 1)))
}

// annealTol ends the EM iterations at one concentration early, when no document's topic
// probability moved by as much.
const annealTol = 1e-4

// anneal fits the mixture to the documents (idx, val) by EM with the concentration raised
// along opts.Anneal, from the random start of restart number restart, and returns the mean
// directions and mixing weights. With ck it starts from the latest stored state of the
// restart, if any, and stores the state at the end of a κ step whenever stepEvery has passed
// since it began or last stored one (stepEvery 0: never).
//
// The state at the start of κ step s > 0 is the memberships R and the topics μ: the step's
// first M step computes π and the next μ from R alone, except for a topic no document
// belongs to, which keeps its μ. The generator is used only to seed R and, after the
// schedule, to re-seed copies: it is seeded again from the restart number, so after seeding
// R it is where an uncut run's is.
func anneal(ctx context.Context, idx [][]int32, val [][]float64, V int, opts FitOptions, restart int, ck *fitCheckpoints, stepEvery time.Duration) (mu, pi []float64, err error) {
	K, n := opts.K, len(idx)
	R := make([]float64, n*K)
	var rng *splitmix64
	seed := func() {
		rng = &splitmix64{s: hashx.Mix64(uint64(opts.Seed) ^ 0xa11ea1 ^ uint64(restart)*0x9e3779b97f4a7c15)}
		for i := 0; i < n; i++ {
			r := R[i*K : (i+1)*K]
			var s float64
			for k := range r {
				r[k] = rng.float64() + 1e-3
				s += r[k]
			}
			for k := range r {
				r[k] /= s
			}
		}
	}
	seed()
	first := 0
	if ck != nil {
		step, m, dirty, err := ck.loadStep(ctx, restart, len(opts.Anneal)-1, R)
		switch {
		case err != nil:
			return nil, nil, err
		case step > 0:
			first, mu = step, m
		case dirty:
			seed()
		}
	}
	lastSaved := time.Now()
	S := make([]float64, V*K)
	N := make([]float64, K)
	logPi := make([]float64, K)
	var spare []float64
	mstepAll := func() {
		clear(S)
		clear(N)
		for i := range idx {
			accumulate(S, N, R[i*K:(i+1)*K], K, idx[i], val[i])
		}
		next, p := mstep(S, N, mu, spare, K, V, opts.PriorWeight)
		spare, mu, pi = mu, next, p
	}
	// The E step runs on several goroutines: each document's probabilities depend on the
	// model alone, and the largest change is a maximum, so the result does not depend on
	// how many run. The M step sums in document order, on one goroutine.
	workers := min(runtime.GOMAXPROCS(0), max(1, n/256))
	changes := make([]float64, workers)
	estep := func(kappa float64) (change float64) {
		for k, p := range pi {
			logPi[k] = plog(p)
		}
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				cos, prev := make([]float64, K), make([]float64, K)
				var change float64
				for i := w * n / workers; i < (w+1)*n/workers; i++ {
					r := R[i*K : (i+1)*K]
					copy(prev, r)
					posterior(mu, logPi, kappa, K, idx[i], val[i], cos, r)
					for k, x := range r {
						change = max(change, math.Abs(x-prev[k]))
					}
				}
				changes[w] = change
			}(w)
		}
		wg.Wait()
		return slices.Max(changes)
	}
	for step := first; step < len(opts.Anneal); step++ {
		kappa := opts.Anneal[step]
		for it := 0; it < opts.AnnealIters; it++ {
			if ctx.Err() != nil {
				return mu, pi, nil
			}
			mstepAll()
			if estep(kappa) < annealTol {
				break
			}
		}
		if ck != nil && stepEvery > 0 && step+1 < len(opts.Anneal) && time.Since(lastSaved) >= stepEvery {
			ck.saveStep(ctx, restart, step+1, R, mu)
			lastSaved = time.Now()
		}
	}
	// Topics that came out as copies of one another (a block of identical documents, such as
	// boilerplate, pulls several topics onto itself, and EM never separates exact copies) are
	// re-seeded elsewhere and the EM resumed at the last κ (reseedCopies).
	kappa := opts.Anneal[len(opts.Anneal)-1]
	mstepAll()
	for pass := 0; pass < maxReseedPasses && reseedCopies(mu, K, V, idx, val, rng); pass++ {
		for it := 0; it < opts.AnnealIters; it++ {
			if ctx.Err() != nil {
				return mu, pi, nil
			}
			if estep(kappa) < annealTol {
				break
			}
			mstepAll()
		}
		mstepAll()
	}
	return mu, pi, nil
}

// copyCos is the cosine from which two topics' mean directions count as copies of each
// other, and maxReseedPasses bounds the re-seeding of copies. Distinct topics of the DEP-11
// descriptions stay below 0.61; copies come out at 1 to four decimals.
const (
	copyCos         = 0.95
	maxReseedPasses = 3
)

// reseedCopies finds the topics whose mean direction is a copy of a lower-numbered topic's
// (cosine ≥ copyCos) and moves each to a document drawn with probability proportional to
// 1 − its best cosine with the current topics (k-means++ seeding: documents the topics
// already explain well are rarely drawn, their copies never). It reports whether it moved
// any.
func reseedCopies(mu []float64, K, V int, idx [][]int32, val [][]float64, rng *splitmix64) bool {
	pending := make([]bool, K)
	var copies []int
	for b := 1; b < K; b++ {
		for a := 0; a < b; a++ {
			if pending[a] {
				continue
			}
			var d float64
			for j := 0; j < V; j++ {
				d += float64(mu[j*K+a] * mu[j*K+b])
			}
			if d >= copyCos {
				pending[b] = true
				copies = append(copies, b)
				break
			}
		}
	}
	if len(copies) == 0 {
		return false
	}
	cos := make([]float64, K)
	far := make([]float64, len(idx))
	for _, b := range copies {
		var total float64
		for i := range idx {
			clear(cos)
			for t, j := range idx[i] {
				axpy(val[i][t], mu[int(j)*K:int(j+1)*K], cos)
			}
			var best float64
			for k, c := range cos {
				if !pending[k] {
					best = max(best, c)
				}
			}
			far[i] = max(0, 1-best)
			total += far[i]
		}
		if total <= 0 {
			return false // every document is one of the topics: nowhere to go
		}
		pick, x := len(idx)-1, rng.float64()*total
		for i, f := range far {
			if x < f {
				pick = i
				break
			}
			x -= f
		}
		for j := 0; j < V; j++ {
			mu[j*K+b] = 0
		}
		for t, j := range idx[pick] {
			mu[int(j)*K+b] = val[pick][t]
		}
		pending[b] = false
	}
	return true
}

// sampleLogLik is the mean log-likelihood of the documents (idx, val) under the mixture
// (mu, pi) at the schedule's last κ (the objective of the rounds), summed in document order.
func sampleLogLik(idx [][]int32, val [][]float64, mu, pi []float64, opts FitOptions) float64 {
	K, n := opts.K, len(idx)
	kappa := opts.Anneal[len(opts.Anneal)-1]
	logPi := make([]float64, K)
	for k, p := range pi {
		if p > 0 {
			logPi[k] = plog(p)
		} else {
			logPi[k] = math.Inf(-1)
		}
	}
	lls := make([]float64, n)
	workers := min(runtime.GOMAXPROCS(0), max(1, n/256))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			cos, r := make([]float64, K), make([]float64, K)
			for i := w * n / workers; i < (w+1)*n/workers; i++ {
				lls[i] = posterior(mu, logPi, kappa, K, idx[i], val[i], cos, r)
			}
		}(w)
	}
	wg.Wait()
	var s float64
	for _, x := range lls {
		s += x
	}
	return s / float64(n)
}

// Sample object body: seed (zig-zag), capacity, vocabulary fingerprint (8 bytes), seen, the
// number of documents, then per document: key, text key (8 bytes each), ID (string), the
// number of terms, and per term the gap to the previous index (first: the index) and the
// count.

// WriteTo writes the sample object to w.
func (s *Sample) WriteTo(w io.Writer) (int64, error) {
	e := newEncoder(w, magicSample)
	e.uvarint(zigzag(s.Seed))
	e.uvarint(uint64(s.Capacity))
	e.u64(s.Vocab)
	e.uvarint(uint64(s.Seen))
	e.uvarint(uint64(len(s.Docs)))
	for _, d := range s.Docs {
		e.u64(d.Key)
		e.u64(d.TextKey)
		e.str(d.ID)
		e.uvarint(uint64(len(d.Terms)))
		prev := -1
		for t, j := range d.Terms {
			e.uvarint(uint64(int(j) - prev - 1))
			e.uvarint(uint64(d.Counts[t]))
			prev = int(j)
		}
	}
	return e.finish()
}

// maxIDBytes bounds a document ID in a sample.
const maxIDBytes = 1 << 16

// ReadSample reads a sample object.
func ReadSample(r io.Reader) (*Sample, error) {
	d := newDecoder(r, magicSample, "sample", 32<<10)
	s := &Sample{}
	s.Seed = unzigzag(d.uvarint())
	s.Capacity = d.count(MaxSampleSize, "capacity")
	s.Vocab = d.u64()
	s.Seen = int64(d.count(maxCount, "documents seen"))
	n := d.count(uint64(s.Capacity), "documents")
	if d.err == nil && (s.Capacity < 1 || int64(n) > s.Seen) {
		d.fail("bad counts")
	}
	var prevDoc *SampleDoc
	for i := 0; i < n && d.err == nil; i++ {
		doc := SampleDoc{Key: d.u64(), TextKey: d.u64(), ID: d.str(maxIDBytes)}
		nt := d.count(MaxVocabulary, "terms")
		if d.err == nil && nt == 0 {
			d.fail("empty document")
		}
		prev := -1
		for t := 0; t < nt && d.err == nil; t++ {
			j := prev + 1 + d.count(MaxVocabulary, "term gap")
			c := d.count(math.MaxInt32, "count")
			if j >= MaxVocabulary || c < 1 {
				d.fail("bad term")
				break
			}
			doc.Terms = append(doc.Terms, int32(j))
			doc.Counts = append(doc.Counts, int32(c))
			prev = j
		}
		if d.err == nil && prevDoc != nil && sampleLess(prevDoc, &doc) >= 0 {
			d.fail("documents out of order")
		}
		s.Docs = append(s.Docs, doc)
		prevDoc = &s.Docs[len(s.Docs)-1]
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return s, nil
}

// criticalKappa estimates the concentration at which the mixture's symmetric solution (every
// topic the collection's mean direction) stops being stable, so that topics split off: 1/λ,
// λ the largest eigenvalue of the covariance of the documents (idx, val). This is deterministic
// annealing's critical temperature (Rose 1998: T = 2λ for squared distances; for unit vectors
// κ μ·x = κ − (κ/2)‖x−μ‖², so κ_c = 1/λ). λ is found by criticalIters power iterations from a
// fixed start, each one pass over the sample's non-zeros; the products are rounded explicitly
// (see mathx.go), so the estimate has the same bits on every GOARCH.
// It stops early, returning 0, when ctx is done (InitModel then returns ctx's error).
func criticalKappa(ctx context.Context, idx [][]int32, val [][]float64, V int) float64 {
	n := float64(len(idx))
	if n == 0 || V == 0 {
		return 0
	}
	mean := make([]float64, V)
	for i := range idx {
		for j, t := range idx[i] {
			mean[t] += val[i][j] / n
		}
	}
	v, w := make([]float64, V), make([]float64, V)
	for t := range v {
		v[t] = 1 + float64(t%7)/7 // any start with a component along the top eigenvector
	}
	var lambda float64
	for range criticalIters {
		if ctx.Err() != nil {
			return 0
		}
		var norm float64
		for _, x := range v {
			norm += float64(x * x)
		}
		norm = math.Sqrt(norm)
		if norm == 0 {
			return 0
		}
		var mv float64
		for t := range v {
			v[t] /= norm
			mv += float64(mean[t] * v[t])
		}
		// w = C v = (1/n) Σ_i (x_i − m) d_i with d_i = (x_i − m)·v (the m Σ d_i term is 0).
		clear(w)
		for i := range idx {
			d := -mv
			for j, t := range idx[i] {
				d += float64(val[i][j] * v[t])
			}
			d /= n
			for j, t := range idx[i] {
				w[t] += float64(d * val[i][j])
			}
		}
		lambda = 0
		for t := range w {
			lambda += float64(w[t] * v[t])
		}
		v, w = w, v
	}
	if lambda <= 0 {
		return 0
	}
	return 1 / lambda
}

// criticalIters is the number of power iterations of criticalKappa (its λ, a Rayleigh
// quotient, is within 0.1 % of its limit on the DEP-11 halves; 30 iterations left it 2.5 % low).
const criticalIters = 100

// extendSchedule returns the annealing schedule extended past the critical κ kc when it ends
// below it: kc, 1.25·kc and 1.5·kc (bounded by maxKappaFactor times the schedule's last κ),
// where the topics split off the collection's mean (criticalKappa). A schedule already at or
// past kc is returned unchanged: on the DEP-11 descriptions (critical κ 24–45: the tuning half
// and its quarters) the default schedule is unchanged; on whole IMDB reviews the critical κ is
// about 300, and below it all 20 topics of a K=20 fit were the same ten words. Three steps
// rather than a geometric series from 50 (a 5,000-review initialisation took 15 times as long
// with steps of ×1.25: between 50 and kc the EM only crawls towards the symmetric solution);
// three rather than two because the topics grow apart from the near-symmetric start at a rate
// that rises with κ/kc, and two steps (kc, 1.25·kc or kc, 1.5·kc) left a synthetic collection
// of long documents collapsed (TestLongDocumentsSplitIntoTopics).
func extendSchedule(anneal []float64, kc float64) []float64 {
	out := slices.Clone(anneal)
	last := out[len(out)-1]
	if !(kc > last) || len(out)+3 > MaxAnnealSteps { // (kc NaN too)
		return out
	}
	kc = min(kc, maxKappaFactor*last/1.5, MaxKappa/1.5) // a model with a larger κ would not read back
	return append(out, kc, 1.25*kc, 1.5*kc)
}

// maxKappaFactor bounds the extended schedule's last κ, relative to the schedule's own.
const maxKappaFactor = 64
