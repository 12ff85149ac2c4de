package topics

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// memCheckpoints is a Checkpoints in memory that counts the saves of each name.
type memCheckpoints struct {
	mu    sync.Mutex
	objs  map[string][]byte
	saves map[string]int
}

func newMemCheckpoints() *memCheckpoints {
	return &memCheckpoints{objs: map[string][]byte{}, saves: map[string]int{}}
}

func (c *memCheckpoints) Names(context.Context) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Collect(maps.Keys(c.objs)), nil
}

func (c *memCheckpoints) Load(_ context.Context, name string) (io.ReadCloser, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.objs[name]
	if !ok {
		return nil, errors.New("no such checkpoint")
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (c *memCheckpoints) Save(_ context.Context, name string, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.objs[name] = b.Bytes()
	c.saves[name]++
	return nil
}

// initInputs is a vocabulary, samples and options of a small fit on DEP-11 descriptions.
func initInputs(t *testing.T, seed int64) (*Vocabulary, []*Sample, FitOptions) {
	t.Helper()
	docs := smallCorpus(t, 300)
	res, err := Fit(docs, 2, DriverOptions{Fit: FitOptions{K: 6, Seed: seed, Rounds: 1}})
	if err != nil {
		t.Fatal(err)
	}
	v := res.Model.Vocab
	o := FitOptions{K: 6, Seed: seed, AnnealIters: 15}
	var samples []*Sample
	for i := range 3 {
		s, err := SampleShard(v, o, Docs(docs[i*len(docs)/3:(i+1)*len(docs)/3]))
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, s)
	}
	return v, samples, o
}

// cutFits runs the fit over and over on store, each attempt cut (its context cancelled) right
// after its first checkpoint whose name contains cutAt is saved, until one finishes; it returns
// the model's bytes and the number of attempts.
func cutFits(t *testing.T, v *Vocabulary, samples []*Sample, o FitOptions, store *memCheckpoints, cfg InitConfig, cutAt string) ([]byte, int) {
	t.Helper()
	cfg.Checkpoints = store
	for attempt := 1; attempt <= 200; attempt++ {
		ctx, cancel := context.WithCancel(context.Background())
		cfg.Saved = func(name string) {
			if strings.Contains(name, cutAt) {
				cancel()
			}
		}
		m, err := InitModelWith(ctx, v, Seq(samples), o, cfg)
		cancel()
		if err == nil {
			return modelBytes(t, m), attempt
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
	}
	t.Fatal("the fit never finished")
	return nil, 0
}

// TestInitModelResumes: an initial fit cut after each restart it finishes (and, with states of
// κ steps stored, after each κ step) resumes from what it stored, computes each restart (each
// step) once, and gives the model an uncut fit gives, bit for bit, whether the restarts run one
// at a time or side by side.
func TestInitModelResumes(t *testing.T) {
	v, samples, o := initInputs(t, 3)
	clean, err := InitModel(context.Background(), v, Seq(samples), o)
	if err != nil {
		t.Fatal(err)
	}
	want := modelBytes(t, clean)
	restarts := o.withDefaults().Restarts

	t.Run("restarts", func(t *testing.T) {
		store := newMemCheckpoints()
		got, attempts := cutFits(t, v, samples, o, store, InitConfig{CPUs: 0.58}, "/restart-")
		if !bytes.Equal(got, want) {
			t.Fatal("the model of a fit cut after every restart differs from an uncut fit's")
		}
		// One restart an attempt, and a last one that only loads them.
		if attempts != restarts+1 {
			t.Errorf("%d attempts, want %d (one restart each, one at a time, then the model)", attempts, restarts+1)
		}
		if len(store.saves) != restarts {
			t.Errorf("%d checkpoints saved, want %d", len(store.saves), restarts)
		}
		for name, n := range store.saves {
			if n != 1 {
				t.Errorf("%s saved %d times: a stored restart was computed again", name, n)
			}
		}
	})
	t.Run("steps", func(t *testing.T) {
		store := newMemCheckpoints()
		got, attempts := cutFits(t, v, samples, o, store, InitConfig{CPUs: 1, StepEvery: time.Nanosecond}, "-step-")
		if !bytes.Equal(got, want) {
			t.Fatal("the model of a fit cut after every κ step differs from an uncut fit's")
		}
		steps := 0
		for name, n := range store.saves {
			if strings.Contains(name, "-step-") {
				steps++
			}
			if n != 1 {
				t.Errorf("%s saved %d times: stored progress was computed again", name, n)
			}
		}
		if steps < restarts*(len(o.withDefaults().Anneal)-1) || attempts != steps+1 {
			t.Errorf("%d attempts, %d κ-step states stored; want a state after every step but the last of each restart, and an attempt each", attempts, steps)
		}
	})
	t.Run("side by side", func(t *testing.T) {
		got, _ := cutFits(t, v, samples, o, newMemCheckpoints(), InitConfig{}, "/restart-")
		if !bytes.Equal(got, want) {
			t.Fatal("the model of a fit of restarts side by side, cut after every restart, differs from an uncut fit's")
		}
	})
}

// TestInitCheckpointsDeterministic: two fits of the same inputs store the same checkpoints
// byte for byte (concurrent duplicate deliveries write the same objects), concurrent fits on
// one store give the uncut model, a checkpoint that does not decode is computed again, and
// checkpoints of other inputs (other options) are not used.
func TestInitCheckpointsDeterministic(t *testing.T) {
	v, samples, o := initInputs(t, 5)
	cfg := InitConfig{StepEvery: time.Nanosecond}
	run := func(store *memCheckpoints, o FitOptions) []byte {
		cfg := cfg
		cfg.Checkpoints = store
		m, err := InitModelWith(context.Background(), v, Seq(samples), o, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return modelBytes(t, m)
	}
	a, b := newMemCheckpoints(), newMemCheckpoints()
	want := run(a, o)
	if got := run(b, o); !bytes.Equal(got, want) {
		t.Fatal("two fits of the same inputs differ")
	}
	if !maps.EqualFunc(a.objs, b.objs, bytes.Equal) || len(a.objs) == 0 {
		t.Fatalf("two fits of the same inputs stored different checkpoints (%d and %d)", len(a.objs), len(b.objs))
	}

	shared := newMemCheckpoints()
	var wg sync.WaitGroup
	results := make([][]byte, 3)
	for i := range results {
		wg.Go(func() { results[i] = run(shared, o) })
	}
	wg.Wait()
	for i, got := range results {
		if !bytes.Equal(got, want) {
			t.Errorf("concurrent fit %d on one store differs from a fit alone", i)
		}
	}

	// Every checkpoint damaged: the fit computes them again and gets the same model.
	for name, body := range a.objs {
		bad := slices.Clone(body)
		bad[len(bad)/2] ^= 0x40
		a.objs[name] = bad
	}
	clear(a.saves)
	if got := run(a, o); !bytes.Equal(got, want) {
		t.Fatal("a fit over damaged checkpoints differs")
	}
	if n := o.withDefaults().Restarts; len(a.saves) < n {
		t.Errorf("a fit over damaged checkpoints saved %d again, want every restart's (%d)", len(a.saves), n)
	}

	// Other options on the same store use none of them.
	o2 := o
	o2.AnnealIters++
	clean, err := InitModel(context.Background(), v, Seq(samples), o2)
	if err != nil {
		t.Fatal(err)
	}
	clear(a.saves)
	if got := run(a, o2); !bytes.Equal(got, modelBytes(t, clean)) {
		t.Fatal("a fit with other options over a store of another fit's checkpoints differs from its uncut fit")
	}
	if len(a.saves) < o.withDefaults().Restarts {
		t.Errorf("a fit with other options saved %d checkpoints: it used another fit's", len(a.saves))
	}
}
