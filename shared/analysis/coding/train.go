package coding

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Example is one labelled record: a finest-level code of the scheme and the two texts.
type Example struct {
	Code  string `json:"code"`
	Occp  string `json:"occp_text"`
	Tasks string `json:"tasks_text"`
}

// Examples is a stream of examples. Next returns the next example and true, or false at the
// end of the stream (or with an error).
type Examples interface {
	Next() (Example, bool, error)
	Close() error
}

// TrainOptions configure Train. The zero value trains the shipped model's configuration,
// but for Refit and TitleSplit, which the shipped model sets.
type TrainOptions struct {
	Scheme   *Scheme       // nil: SOC2010()
	Features FeatureConfig // zero: DefaultFeatures
	// Epochs is the number of passes of stochastic gradient descent (0: 10).
	Epochs int
	// LearningRate is the initial step size, decayed linearly to 0 over the epochs, and
	// scaled per bucket AdaGrad-style (see trainOn) (0: 2).
	LearningRate float64
	// HeldOutShare is the share of the input held out of training for calibration and
	// metrics, chosen by a hash of the title (see heldOutUnit, or SplitUnit with TitleSplit):
	// an example is held out when its unit is below 1000·HeldOutShare (0: 0.10; allowed: 0.01
	// to 0.5).
	HeldOutShare float64
	// TitleSplit, when set, holds examples out by the split unit of their title as written
	// (splitUnit: the shipped model's calibration split, which internal/traincoding keeps so
	// that the shipped model is reproduced); otherwise by the words the model reads in the
	// title (heldOutUnit), so that records it cannot tell apart never straddle training and
	// the held-out records its temperature, thresholds and metrics are fitted on.
	TitleSplit bool
	// TargetPrecision is the precision the coding thresholds aim at (0: 0.90).
	TargetPrecision float64
	// MaxBufferedFeatures bounds the shuffle buffer, in features (8 bytes each; 0: 1<<22,
	// 32 MiB).
	MaxBufferedFeatures int
	// Seed seeds the shuffle; training is deterministic for a given input order and seed.
	Seed uint64
	// TrainedOn describes the input; it is recorded in Info.TrainedOn.
	TrainedOn string
	// SkipLabels, when set, leaves out the labels of the scheme's finest-level codes, which
	// Train otherwise adds to the training examples in every epoch (as titles: the ONS
	// coding index names its groups too); they are not counted in Info.TrainRecords.
	SkipLabels bool
	// Refit, when set, trains the model once more after calibration, on every usable
	// example including the held-out ones, and keeps the temperature, thresholds and
	// metrics fitted with the held-out part left out (Info.RefitRecords).
	Refit bool
	// Logf, when set, receives progress messages.
	Logf func(format string, args ...any)
}

const (
	defaultEpochs       = 10
	defaultLearningRate = 2.0
	defaultHeldOut      = 0.10
	defaultPrecision    = 0.90
	defaultBufferFeats  = 1 << 22
	biasRate            = 0.1 // the biases learn at this fraction of the learning rate
	minThresholdSupport = 20  // a threshold must code at least this many held-out records
	thresholdBins       = 1000
	disabledThreshold   = 1.001
)

// MinHeldOut is the fewest held-out examples Train calibrates and measures a model on; with
// fewer it fails with a *TooFewExamplesError.
const MinHeldOut = 50

// DefaultHeldOutShare is the share of the examples Train holds out when TrainOptions.HeldOutShare
// is 0.
const DefaultHeldOutShare = defaultHeldOut

// TooFewExamplesError is Train's failure on an input with no training examples, or fewer than
// MinHeldOut held-out ones.
type TooFewExamplesError struct {
	Train, HeldOut int       // usable examples on each side of the split
	HeldOutShare   float64   // the share held out (by title hash)
	Skipped        SkipStats // examples that could not be used
}

func (e *TooFewExamplesError) Error() string {
	if e.Train == 0 && e.HeldOut == 0 {
		return "coding: no training examples"
	}
	return fmt.Sprintf("coding: %d training and %d held-out examples, need at least one and %d (more data or a larger HeldOutShare)", e.Train, e.HeldOut, MinHeldOut)
}

// Usable is how many examples Train could use.
func (e *TooFewExamplesError) Usable() int { return e.Train + e.HeldOut }

// Needed is about how many usable examples with varied titles hold out MinHeldOut at the share
// held out (the split is by title hash, so the held-out count varies around the share).
func (e *TooFewExamplesError) Needed() int {
	share := e.HeldOutShare
	if share <= 0 {
		share = defaultHeldOut
	}
	return int(math.Ceil(MinHeldOut / share))
}

// ModelType is Info.ModelType of the models Train builds.
const ModelType = "hashed multinomial logistic regression (words, word pairs, character 3- and 4-grams, WordNet noun hypernyms; SGD with AdaGrad steps; int8 weights; temperature-calibrated)"

// Train trains a model from a stream of examples, calling open once for each pass over the
// input, so the corpus is never held in memory: a counting pass, Epochs training passes,
// five passes over the held-out examples (temperature, the three thresholds, metrics) and,
// with Refit, Epochs more training passes over all the examples.
//
// An example is skipped (and counted in Info.Skipped) when its code, trimmed of white
// space, is not a finest-level code of the scheme (for SOC 2010: one of the 90 3-digit
// minor groups; 1-, 2- and 4-digit codes are skipped), or when neither text has a token.
//
// Training is stochastic gradient descent on the softmax cross-entropy, one example at a
// time, through a shuffle buffer: examples are featurised and buffered, and a random buffered
// example is trained on whenever the buffer is full, so an input sorted by code is still
// seen in a mixed order (fully shuffled when it fits in the buffer; otherwise mixed within
// a window of about the buffer's size). Each bucket's steps shrink with the gradients it
// has had (AdaGrad, see trainer.trainOn). Unless SkipLabels is set, every epoch also trains
// on the labels of the scheme's finest-level codes, each as a title of its code.
//
// Memory does not depend on the size of the input: the float32 weight table has 2^Bits ×
// classes entries (90 MiB for the default 2^18 buckets and SOC 2010's 90 classes; AdaGrad's
// sums add 1 MiB), the shuffle buffer holds at most MaxBufferedFeatures features (32 MiB by default) and the
// held-out passes use fixed-size histograms. The model built at the end has at most 2^Bits
// rows of classes int8 weights (at most 23 MiB with the defaults; 7 MiB for the shipped
// model), and the noun lexicon of the features (lexicon.go) about 10 MB once per process.
// With Refit, the first model is dropped (its temperature, thresholds and metrics kept)
// before the second training starts. With the defaults Train's live heap thus stays under
// about 160 MiB, whatever the input's size; with Go's default GOGC the process may hold up
// to about twice its live heap (training the shipped model peaks at about 330 MB resident).
func Train(ctx context.Context, open func() (Examples, error), opts TrainOptions) (*Model, error) {
	if opts.Scheme == nil {
		opts.Scheme = SOC2010()
	}
	if opts.Features == (FeatureConfig{}) {
		opts.Features = DefaultFeatures
	}
	if opts.Epochs == 0 {
		opts.Epochs = defaultEpochs
	}
	if opts.LearningRate == 0 {
		opts.LearningRate = defaultLearningRate
	}
	if opts.HeldOutShare == 0 {
		opts.HeldOutShare = defaultHeldOut
	}
	if opts.TargetPrecision == 0 {
		opts.TargetPrecision = defaultPrecision
	}
	if opts.MaxBufferedFeatures == 0 {
		opts.MaxBufferedFeatures = defaultBufferFeats
	}
	switch {
	case opts.Epochs < 0 || opts.Epochs > 1000:
		return nil, fmt.Errorf("coding: Epochs %d outside [1, 1000]", opts.Epochs)
	case !(opts.LearningRate > 0) || opts.LearningRate > 100:
		return nil, fmt.Errorf("coding: LearningRate %v outside (0, 100]", opts.LearningRate)
	case !(opts.HeldOutShare >= 0.01 && opts.HeldOutShare <= 0.5):
		return nil, fmt.Errorf("coding: HeldOutShare %v outside [0.01, 0.5]", opts.HeldOutShare)
	case !(opts.TargetPrecision > 0 && opts.TargetPrecision < 1):
		return nil, fmt.Errorf("coding: TargetPrecision %v outside (0, 1)", opts.TargetPrecision)
	case opts.MaxBufferedFeatures < 1<<10:
		return nil, fmt.Errorf("coding: MaxBufferedFeatures %d below 1024", opts.MaxBufferedFeatures)
	case opts.Features.Bits < minBits || opts.Features.Bits > 22:
		return nil, fmt.Errorf("coding: Features.Bits %d outside [%d, 22]", opts.Features.Bits, minBits)
	case opts.Scheme.Standard != "SOC" || opts.Scheme.Version != "2010":
		return nil, fmt.Errorf("coding: only SOC 2010 models can be stored (scheme %s %s)", opts.Scheme.Standard, opts.Scheme.Version)
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	t := newTrainer(opts)

	// Counting pass: validates the input and sizes the learning-rate schedule.
	start := time.Now()
	var nTrain, nHeld int
	var skipped SkipStats
	err := t.each(ctx, open, func(e *Example, y int, held bool) error {
		if held {
			nHeld++
		} else {
			nTrain++
		}
		return nil
	}, &skipped)
	if err != nil {
		return nil, err
	}
	logf("input: %d training, %d held-out examples; skipped %d with an unknown code, %d without text (%.1fs)",
		nTrain, nHeld, skipped.UnknownCode, skipped.Empty, time.Since(start).Seconds())
	if nTrain == 0 || nHeld < MinHeldOut {
		return nil, &TooFewExamplesError{Train: nTrain, HeldOut: nHeld, HeldOutShare: opts.HeldOutShare, Skipped: skipped}
	}

	if err := t.fit(ctx, open, nTrain, false, logf); err != nil {
		return nil, err
	}
	m := t.quantise()
	m.info = Info{
		ModelType:      ModelType,
		TopicStandard:  opts.Scheme.Standard,
		TopicVersion:   opts.Scheme.Version,
		TrainedOn:      opts.TrainedOn,
		TrainRecords:   nTrain,
		HeldOutRecords: nHeld,
		Skipped:        skipped,
		Temperature:    1,
		Features:       opts.Features,
		Epochs:         opts.Epochs,
		Thresholds:     Thresholds{T3: disabledThreshold, T2: disabledThreshold, T1: disabledThreshold, TargetPrecision: opts.TargetPrecision},
	}
	m.invTemp = 1
	t.w, t.buf = nil, nil // free the training tables before calibrating

	held := func() (Examples, error) {
		ex, err := open()
		if err != nil {
			return nil, err
		}
		cut := heldOutCut(opts.HeldOutShare)
		var toks tokens
		return FilterExamples(ex, func(e Example) bool { return opts.unit(&e, &toks) < cut }), nil
	}
	if err := calibrate(ctx, m, held, logf); err != nil {
		return nil, err
	}
	ex, err := held()
	if err != nil {
		return nil, err
	}
	met, err := Evaluate(ctx, m, ex)
	if cerr := ex.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	m.info.Metrics = met
	if !opts.Refit {
		return m, nil
	}

	// Refit: the same training on every usable example, held-out ones included; the
	// temperature, thresholds and metrics stay those fitted above.
	info, invTemp := m.info, m.invTemp
	m = nil
	t = newTrainer(opts)
	if err := t.fit(ctx, open, nTrain+nHeld, true, logf); err != nil {
		return nil, err
	}
	m = t.quantise()
	m.info, m.invTemp = info, invTemp
	m.info.RefitRecords = nTrain + nHeld
	return m, nil
}

// fit runs the training epochs over the n training examples (with held, the held-out
// examples too).
func (t *trainer) fit(ctx context.Context, open func() (Examples, error), n int, held bool, logf func(string, ...any)) error {
	opts := t.opts
	t.total = int64(opts.Epochs) * int64(n+len(t.labels))
	for ep := range opts.Epochs {
		start := time.Now()
		for _, l := range t.labels {
			t.push(l.fs, int(l.y))
		}
		err := t.each(ctx, open, func(e *Example, y int, isHeld bool) error {
			if held || !isHeld {
				t.push(t.fz.features(e.Occp, e.Tasks), y)
			}
			return nil
		}, nil)
		if err != nil {
			return err
		}
		t.drain()
		logf("epoch %d/%d: %.1fs", ep+1, opts.Epochs, time.Since(start).Seconds())
	}
	return nil
}

// trainer holds the float weights while training.
type trainer struct {
	opts   TrainOptions
	K      int
	ci     map[string]int
	fz     *featurizer
	w      []float32 // 2^bits × K
	bias   []float32
	p      []float32
	rng    *rand.Rand
	buf    []bufEx
	nbuf   int // buffered features
	step   int64
	total  int64
	scheme *Scheme
	g2     []float32 // 2^bits: the buckets' summed squared gradient norms (AdaGrad)
	labels []bufEx   // the finest-level codes' labels as examples (nil with SkipLabels)
	// keyToks is the scratch of each's heldOutUnit (not the featurizer's tokens, which
	// features reads hyphens both ways with).
	keyToks tokens
}

type bufEx struct {
	fs []feat
	y  int32
}

func newTrainer(opts TrainOptions) *trainer {
	classes := opts.Scheme.Level(3)
	t := &trainer{opts: opts, K: len(classes), ci: make(map[string]int, len(classes)),
		fz: newFeaturizer(opts.Features), scheme: opts.Scheme,
		rng: rand.New(rand.NewPCG(opts.Seed, 0x5eed))}
	for i, c := range classes {
		t.ci[c.Code] = i
	}
	t.w = make([]float32, (1<<opts.Features.Bits)*t.K)
	t.g2 = make([]float32, 1<<opts.Features.Bits)
	if !opts.SkipLabels {
		for i, c := range classes {
			if fs := t.fz.features(c.Label, ""); len(fs) > 0 {
				t.labels = append(t.labels, bufEx{fs: slices.Clone(fs), y: int32(i)})
			}
		}
	}
	t.bias = make([]float32, t.K)
	t.p = make([]float32, t.K)
	return t
}

// each runs one pass over the input, calling fn for each usable example with its class and
// whether it is held out; it counts the skipped examples into skipped when not nil.
func (t *trainer) each(ctx context.Context, open func() (Examples, error), fn func(e *Example, y int, held bool) error, skipped *SkipStats) (err error) {
	ex, err := open()
	if err != nil {
		return fmt.Errorf("coding: open training data: %w", err)
	}
	defer func() {
		if cerr := ex.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("coding: close training data: %w", cerr)
		}
	}()
	cut := heldOutCut(t.opts.HeldOutShare)
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		e, ok, err := ex.Next()
		if err != nil {
			return fmt.Errorf("coding: read training data: %w", err)
		}
		if !ok {
			return nil
		}
		y, ok := t.ci[strings.TrimSpace(e.Code)]
		if !ok {
			if skipped != nil {
				skipped.UnknownCode++ // counted, not quoted: see SkipStats
			}
			continue
		}
		if !t.fz.toks.hasText(e.Occp, e.Tasks) {
			if skipped != nil {
				skipped.Empty++
			}
			continue
		}
		if err := fn(&e, y, t.opts.unit(&e, &t.keyToks) < cut); err != nil {
			return err
		}
	}
}

// Unusable says, in a user's words, why Train does not use a labelled record of scheme sc, or ""
// when it does: the rule each applies (a finest-level code once trimmed of spaces; a word, that
// is letters or digits outside stop words, in either text). A training job writes it as the
// record's error, so that the records its Message counts as usable are exactly those without one.
func Unusable(sc *Scheme, e Example) string {
	code := strings.TrimSpace(e.Code)
	if c, ok := sc.Lookup(code); !ok || c.Level != 3 {
		what := fmt.Sprintf("code %q is not a minor group (3 digits) of %s %s", e.Code, sc.Standard, sc.Version)
		if e.Code == "" {
			what = fmt.Sprintf(`the record has no "code" (a minor group, 3 digits, of %s %s)`, sc.Standard, sc.Version)
		}
		return what + "; the record was not used"
	}
	if !new(tokens).hasText(e.Occp, e.Tasks) {
		return "occp_text and tasks_text hold no word to learn from (letters or digits outside stop words); the record was not used"
	}
	return ""
}

func heldOutCut(share float64) int { return int(math.Round(share * 1000)) }

// unit is the unit an example is held out by (see TitleSplit), with t as scratch.
func (o *TrainOptions) unit(e *Example, t *tokens) int {
	if o.TitleSplit {
		return e.splitUnit()
	}
	return e.heldOutUnit(t)
}

// hasText reports whether either text of a record holds a word the models read (letters or
// digits outside stop words), tokenizing into t: a labelled record without one is not trained
// on (each, Unusable).
func (t *tokens) hasText(occp, tasks string) bool {
	for _, s := range [2]string{occp, tasks} {
		if s == "" {
			continue
		}
		t.reset()
		t.tokenize(s)
		if t.n() > 0 {
			return true
		}
	}
	return false
}

// push buffers an example, training on random buffered ones while the buffer is full.
func (t *trainer) push(fs []feat, y int) {
	max := t.opts.MaxBufferedFeatures
	for len(t.buf) > 0 && t.nbuf+len(fs) > max {
		i := t.rng.IntN(len(t.buf))
		t.trainOn(t.buf[i])
		t.nbuf -= len(t.buf[i].fs)
		last := len(t.buf) - 1
		t.buf[i] = t.buf[last]
		t.buf[last] = bufEx{}
		t.buf = t.buf[:last]
	}
	if len(fs) > max { // cannot happen with maxTokens, but keep the bound
		fs = fs[:max]
	}
	t.buf = append(t.buf, bufEx{fs: slices.Clone(fs), y: int32(y)})
	t.nbuf += len(fs)
}

// drain trains on every buffered example, in random order.
func (t *trainer) drain() {
	t.rng.Shuffle(len(t.buf), func(i, j int) { t.buf[i], t.buf[j] = t.buf[j], t.buf[i] })
	for i := range t.buf {
		t.trainOn(t.buf[i])
		t.buf[i] = bufEx{}
	}
	t.buf = t.buf[:0]
	t.nbuf = 0
}

// trainOn takes one SGD step on an example. Each bucket's step is scaled AdaGrad-style by
// 1/sqrt(1+G), G the sum of the squared norms of the bucket's past gradients, so that
// frequent features settle while rare ones still learn fast. Explicit float32 conversions
// keep the arithmetic unfused, so results do not depend on the CPU's fused multiply-add.
func (t *trainer) trainOn(e bufEx) {
	K := t.K
	eta := float32(t.opts.LearningRate * (1 - float64(t.step)/float64(t.total)))
	if eta < 0 {
		eta = 0
	}
	t.step++
	p := t.p
	copy(p, t.bias)
	for _, f := range e.fs {
		row := t.w[int(f.idx)*K : int(f.idx)*K+K]
		for c, w := range row {
			p[c] += float32(f.val * w)
		}
	}
	softmax32(p)
	p[e.y] -= 1
	var gg float32 // squared norm of the loss's gradient in the logits
	for _, v := range p {
		gg += float32(v * v)
	}
	for _, f := range e.fs {
		t.g2[f.idx] += float32(gg * float32(f.val*f.val))
		g := float32(float64(float32(eta*f.val)) / math.Sqrt(float64(t.g2[f.idx])+1))
		row := t.w[int(f.idx)*K : int(f.idx)*K+K]
		for c := range row {
			row[c] -= float32(g * p[c])
		}
	}
	gb := float32(eta * biasRate)
	for c := range t.bias {
		t.bias[c] -= float32(gb * p[c])
	}
}

func softmax32(p []float32) {
	m := p[0]
	for _, v := range p {
		m = max(m, v)
	}
	var s float64
	for i, v := range p {
		e := math.Exp(float64(v - m))
		p[i] = float32(e)
		s += e
	}
	inv := float32(1 / s)
	for i := range p {
		p[i] *= inv
	}
}

// quantise builds the model from the float weights: each bucket with a non-zero weight
// becomes a row of int8 weights with its own scale (max |w| / 127).
func (t *trainer) quantise() *Model {
	K := t.K
	nb := 1 << t.opts.Features.Bits
	m := &Model{scheme: t.scheme, cfg: t.opts.Features, classes: t.scheme.Level(3),
		bias: slices.Clone(t.bias), rowOf: make([]int32, nb)}
	for b := range nb {
		row := t.w[b*K : b*K+K]
		var mx float32
		for _, v := range row {
			mx = max(mx, float32(math.Abs(float64(v))))
		}
		if mx == 0 {
			m.rowOf[b] = -1
			continue
		}
		m.rowOf[b] = int32(len(m.scale))
		sc := mx / 127
		m.scale = append(m.scale, sc)
		for _, v := range row {
			m.w = append(m.w, int8(math.Round(float64(v/sc))))
		}
	}
	m.initTables()
	return m
}

// temperatures is the grid the softmax temperature is chosen from: 0.25 to 8, geometric,
// 64 values.
var temperatures = func() []float64 {
	out := make([]float64, 64)
	for i := range out {
		out[i] = 0.25 * math.Pow(32, float64(i)/float64(len(out)-1))
	}
	return out
}()

// calibrate fits the temperature (the grid value minimising the held-out log-loss) and then
// the thresholds (see Thresholds), each in its own pass over the held-out examples.
func calibrate(ctx context.Context, m *Model, open func() (Examples, error), logf func(string, ...any)) error {
	K := len(m.classes)
	nll := make([]float64, len(temperatures))
	lp := make([]float64, K)
	err := eachRecord(ctx, m, open, false, func(s *scratch, y int) {
		for i, temp := range temperatures {
			mx := math.Inf(-1)
			for _, v := range s.logits {
				mx = max(mx, float64(v)/temp)
			}
			var sum float64
			for c, v := range s.logits {
				lp[c] = float64(v)/temp - mx
				sum += math.Exp(lp[c])
			}
			nll[i] -= lp[y] - math.Log(sum)
		}
	})
	if err != nil {
		return err
	}
	best := 0
	for i := range nll {
		if nll[i] < nll[best] {
			best = i
		}
	}
	m.info.Temperature = temperatures[best]
	m.invTemp = float32(1 / temperatures[best])

	th := &m.info.Thresholds
	for level := 3; level >= 1; level-- {
		var tot, ok [thresholdBins + 1]int
		err := eachRecord(ctx, m, open, true, func(s *scratch, y int) {
			b3 := argmax(s.p)
			conf, right := s.p[b3], b3 == y
			if level < 3 {
				if s.p[b3] >= th.T3 {
					return
				}
				clear(s.p2)
				clear(s.p1)
				for c, v := range s.p {
					s.p2[m.sub[c]] += v
					s.p1[m.maj[c]] += v
				}
				b2 := argmax(s.p2)
				conf, right = s.p2[b2], b2 == m.sub[y]
				if level == 1 {
					if s.p2[b2] >= th.T2 {
						return
					}
					b1 := argmax(s.p1)
					conf, right = s.p1[b1], b1 == m.maj[y]
				}
			}
			bin := min(thresholdBins, max(0, int(math.Floor(conf*thresholdBins))))
			tot[bin]++
			if right {
				ok[bin]++
			}
		})
		if err != nil {
			return err
		}
		thr := disabledThreshold
		var n, k int // records and correct ones at or above bin j
		for j := thresholdBins; j >= 0; j-- {
			n += tot[j]
			k += ok[j]
			if n >= minThresholdSupport && float64(k) >= th.TargetPrecision*float64(n) {
				thr = float64(j) / thresholdBins
			}
		}
		switch level {
		case 3:
			th.T3 = thr
		case 2:
			th.T2 = thr
		case 1:
			th.T1 = thr
		}
	}
	logf("calibration: temperature %.3f, thresholds T3 %.3f T2 %.3f T1 %.3f", m.info.Temperature, th.T3, th.T2, th.T1)
	return nil
}

// eachRecord runs fn for every usable example of one pass with the scratch's logits (and,
// with probs, the calibrated probabilities in s.p) computed.
func eachRecord(ctx context.Context, m *Model, open func() (Examples, error), probs bool, fn func(s *scratch, y int)) (err error) {
	ex, err := open()
	if err != nil {
		return fmt.Errorf("coding: open data: %w", err)
	}
	defer func() {
		if cerr := ex.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("coding: close data: %w", cerr)
		}
	}()
	return eachOf(ctx, m, ex, probs, fn)
}

func eachOf(ctx context.Context, m *Model, ex Examples, probs bool, fn func(s *scratch, y int)) error {
	ci := make(map[string]int, len(m.classes))
	for i, c := range m.classes {
		ci[c.Code] = i
	}
	s := m.getScratch()
	defer m.pool.Put(s)
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		e, ok, err := ex.Next()
		if err != nil {
			return fmt.Errorf("coding: read data: %w", err)
		}
		if !ok {
			return nil
		}
		y, ok := ci[strings.TrimSpace(e.Code)]
		if !ok {
			continue
		}
		fs := s.fz.features(e.Occp, e.Tasks)
		if len(fs) == 0 {
			continue
		}
		m.scoreFeatures(fs, s.logits)
		if probs {
			softmaxInto(s.p, s.logits, m.invTemp)
		}
		fn(s, y)
	}
}
