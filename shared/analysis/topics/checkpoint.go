package topics

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/ream-dev/ream/shared/internal/hashx"
)

// The initial fit (InitModelWith) can be cut short and resumed: a worker's invocation has a
// deadline, and a fit cut by it is delivered again. Each finished restart's result, and while a
// restart runs the state at the end of some of its κ steps, is stored as a checkpoint; a fit of
// the same inputs loads what is stored and computes only the rest. A checkpoint is a pure
// function of the fit's inputs and its name (the name carries a fingerprint of every input:
// the sample, the vocabulary, the options with the extended schedule, and checkpointAlgo), so
// two fits writing the same name write the same bytes, and a resumed fit gives the model an
// uncut fit gives, bit for bit.

// Checkpoints stores an initial fit's checkpoints (the pipeline: objects under the job's work
// prefix, deleted when the job ends).
type Checkpoints interface {
	// Names lists the names of the checkpoints stored (any order).
	Names(ctx context.Context) ([]string, error)
	// Load opens the checkpoint name.
	Load(ctx context.Context, name string) (io.ReadCloser, error)
	// Save stores what write writes under name, replacing any object of that name atomically
	// (readers see the old or the new bytes, never a mix).
	Save(ctx context.Context, name string, write func(io.Writer) error) error
}

// InitConfig is how InitModelWith runs, not what it computes: the model is the same whatever
// it holds.
type InitConfig struct {
	// Checkpoints, when set, keeps the fit's progress (see above). A checkpoint that cannot be
	// saved is left out (Save's implementation reports it); one that cannot be listed or opened
	// fails the fit; one that does not decode or belongs to other inputs is ignored.
	Checkpoints Checkpoints
	// StepEvery is how much of a restart's run passes before the state at the end of its
	// current κ step is saved (0: never; only finished restarts are saved). The state is the
	// sample's memberships and the topics (n×K and V×K float64: 25 MB at K=100, 20,000
	// documents, 11,858 terms), so it is saved only when a restart runs long.
	StepEvery time.Duration
	// CPUs is the processor time the fit can use, in cores (0: GOMAXPROCS, the cores the
	// process sees). Restarts run side by side only as many as whole cores: on a Lambda
	// function of 1,024 MB (0.58 of a vCPU, while the process sees two) they run one at a time,
	// so that each finishes, and is saved, as early as it can; side by side they would share
	// the CPU and finish together, and a cut would lose them all.
	CPUs float64
	// Saved, when set, is called after each checkpoint is saved, with its name (tests).
	Saved func(name string)
}

// checkpointAlgo is mixed into the fingerprint of a fit's checkpoints: raise it when the
// annealing's arithmetic changes, so that a fit never resumes from another version's state.
const checkpointAlgo = 1

const (
	magicRestart = "RTIR" // a finished restart: its log-likelihood, π and μ
	magicStep    = "RTIS" // a restart's state at the start of a κ step: memberships and μ
)

// fitFingerprint identifies the initial fit's inputs: the extended options, the vocabulary
// and the merged sample's documents.
func fitFingerprint(v *Vocabulary, opts FitOptions, docs []SampleDoc) uint64 {
	h := hashx.Mix64(uint64(checkpointAlgo) ^ v.fingerprint())
	mix := func(x uint64) { h = hashx.Mix64(h ^ x) }
	mix(uint64(opts.K))
	mix(uint64(opts.Seed))
	mix(uint64(opts.SampleSize))
	mix(uint64(opts.AnnealIters))
	mix(uint64(opts.Restarts))
	mix(math.Float64bits(opts.PriorWeight))
	mix(uint64(len(opts.Anneal)))
	for _, k := range opts.Anneal {
		mix(math.Float64bits(k))
	}
	mix(uint64(len(docs)))
	for i := range docs {
		d := &docs[i]
		mix(d.Key)
		mix(d.TextKey)
		mix(uint64(len(d.Terms)))
		for t, j := range d.Terms {
			mix(uint64(j)<<32 | uint64(uint32(d.Counts[t])))
		}
	}
	return h
}

func restartName(fp uint64, r int) string { return fmt.Sprintf("init-%016x/restart-%03d", fp, r) }

func stepName(fp uint64, r, step int) string {
	return fmt.Sprintf("init-%016x/restart-%03d-step-%03d", fp, r, step)
}

// fitCheckpoints is a fit's view of its Checkpoints: the names of its inputs' fingerprint.
type fitCheckpoints struct {
	cfg    InitConfig
	fp     uint64
	stored map[string]bool // the names listed when the fit began
	K, V   int
}

func newFitCheckpoints(ctx context.Context, cfg InitConfig, fp uint64, K, V int) (*fitCheckpoints, error) {
	if cfg.Checkpoints == nil {
		return nil, nil
	}
	names, err := cfg.Checkpoints.Names(ctx)
	if err != nil {
		return nil, fmt.Errorf("topics: list the initial fit's checkpoints: %w", err)
	}
	c := &fitCheckpoints{cfg: cfg, fp: fp, stored: map[string]bool{}, K: K, V: V}
	for _, n := range names {
		c.stored[n] = true
	}
	return c, nil
}

// save stores a checkpoint; a failure only loses it (the Checkpoints implementation reports it).
func (c *fitCheckpoints) save(ctx context.Context, name string, write func(io.Writer) error) {
	if ctx.Err() != nil {
		return
	}
	if c.cfg.Checkpoints.Save(ctx, name, write) == nil && c.cfg.Saved != nil {
		c.cfg.Saved(name)
	}
}

// open opens a stored checkpoint: nil when it is not stored.
func (c *fitCheckpoints) open(ctx context.Context, name string) (io.ReadCloser, error) {
	if !c.stored[name] {
		return nil, nil
	}
	rc, err := c.cfg.Checkpoints.Load(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("topics: open the initial fit's checkpoint %s: %w", name, err)
	}
	return rc, nil
}

// saveRestart stores restart r's result.
func (c *fitCheckpoints) saveRestart(ctx context.Context, r int, ll float64, mu, pi []float64) {
	c.save(ctx, restartName(c.fp, r), func(w io.Writer) error {
		e := newEncoder(w, magicRestart)
		e.u64(c.fp)
		e.uvarint(uint64(r))
		e.uvarint(uint64(c.K))
		e.uvarint(uint64(c.V))
		e.f64(ll)
		for _, x := range pi {
			e.f64(x)
		}
		writeFloats(e, mu)
		_, err := e.finish()
		return err
	})
}

// loadRestart reads restart r's stored result into mu (V×K) and pi (K); ok is false when it
// is not stored, or does not decode as this fit's (it is then computed again).
func (c *fitCheckpoints) loadRestart(ctx context.Context, r int, mu, pi []float64) (ll float64, ok bool, err error) {
	rc, err := c.open(ctx, restartName(c.fp, r))
	if rc == nil || err != nil {
		return 0, false, err
	}
	defer rc.Close()
	d := newDecoder(rc, magicRestart, "initial fit restart", 64<<10)
	if d.u64() != c.fp || d.uvarint() != uint64(r) || d.uvarint() != uint64(c.K) || d.uvarint() != uint64(c.V) {
		d.fail("another fit's restart")
	}
	ll = d.f64()
	for k := range pi {
		pi[k] = d.f64()
	}
	readFloats(d, mu)
	if err := d.finish(); err != nil {
		return 0, false, ignoreCorrupt(err)
	}
	return ll, true, nil
}

// saveStep stores restart r's state at the start of κ step: its memberships R (n×K) and its
// topics mu (V×K).
func (c *fitCheckpoints) saveStep(ctx context.Context, r, step int, R, mu []float64) {
	c.save(ctx, stepName(c.fp, r, step), func(w io.Writer) error {
		e := newEncoder(w, magicStep)
		e.u64(c.fp)
		e.uvarint(uint64(r))
		e.uvarint(uint64(step))
		e.uvarint(uint64(c.K))
		e.uvarint(uint64(c.V))
		e.uvarint(uint64(len(R) / c.K))
		writeFloats(e, R)
		writeFloats(e, mu)
		_, err := e.finish()
		return err
	})
}

// loadStep reads the latest stored state of restart r before κ step last (at most) into R
// (n×K) and a new mu (V×K); step is 0 when there is none (the restart starts from scratch).
// dirty says that R was written (by a state that then did not decode) when step is 0.
func (c *fitCheckpoints) loadStep(ctx context.Context, r, last int, R []float64) (step int, mu []float64, dirty bool, err error) {
	for s := last; s >= 1; s-- {
		rc, err := c.open(ctx, stepName(c.fp, r, s))
		if err != nil {
			return 0, nil, dirty, err
		}
		if rc == nil {
			continue
		}
		mu = make([]float64, c.V*c.K)
		d := newDecoder(rc, magicStep, "initial fit state", 64<<10)
		if d.u64() != c.fp || d.uvarint() != uint64(r) || d.uvarint() != uint64(s) || d.uvarint() != uint64(c.K) || d.uvarint() != uint64(c.V) || d.uvarint() != uint64(len(R)/c.K) {
			d.fail("another fit's state")
		}
		dirty = true
		readFloats(d, R)
		readFloats(d, mu)
		err = d.finish()
		rc.Close()
		if err == nil {
			return s, mu, false, nil
		}
		if err = ignoreCorrupt(err); err != nil {
			return 0, nil, dirty, err
		}
		// R may hold part of the bad state: an earlier step's state overwrites all of it, and
		// with none the caller seeds it again (dirty).
	}
	return 0, nil, dirty, nil
}

// ignoreCorrupt is nil for a checkpoint that does not decode (it is computed again), err for
// a failure to read it.
func ignoreCorrupt(err error) error {
	if errors.Is(err, ErrCorrupt) {
		return nil
	}
	return err
}

func writeFloats(e *encoder, xs []float64) {
	var buf [8 * 512]byte
	for len(xs) > 0 {
		n := min(len(xs), 512)
		for i, x := range xs[:n] {
			binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(x))
		}
		e.raw(buf[:8*n])
		xs = xs[n:]
	}
}

func readFloats(d *decoder, xs []float64) {
	var buf [8 * 512]byte
	for len(xs) > 0 && d.err == nil {
		n := min(len(xs), 512)
		d.read(buf[:8*n])
		for i := range xs[:n] {
			xs[i] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*i:]))
		}
		xs = xs[n:]
	}
}
