package topics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// DriverOptions configure Fit.
type DriverOptions struct {
	Vocab         VocabOptions
	Fit           FitOptions
	MaxShardTerms int // per-shard statistics bound (0: DefaultMaxShardTerms)
	// Workers runs that many shards' map steps at once (default 1). The result does not
	// depend on it.
	Workers int
	// Progress, when set, is called after every stage with its name and duration.
	Progress func(stage string, d time.Duration)
}

// Timing is the wall time of each stage of Fit (map steps summed over shards when Workers is
// 1, else elapsed).
type Timing struct {
	Stats, Vocab, Sample, Init time.Duration
	Rounds                     []time.Duration
	Assign                     time.Duration
}

// Sizes are the largest serialised size of each kind of state object in a Fit.
type Sizes struct {
	Stats, Vocab, Sample, Model, RoundStats int64
}

// FitResult is the output of Fit.
type FitResult struct {
	Model *Model
	// Proportions[i] are document i's topic proportions, nil when it has no vocabulary term.
	Proportions [][]float64
	Timing      Timing
	Sizes       Sizes
}

// Fit runs the whole pipeline in process over docs cut into shards contiguous shards, with
// the same stage functions and the same serialisation between them as the distributed
// pipeline (every state object is written and read back), so its output is the pipeline's
// output for that sharding: statistics map, vocabulary reduce, sample map, initialisation
// reduce, rounds of (round map, reduce) until the model is Done, then Assign.
//
// The result is a function of the documents (their order), the number of shards and the
// options; it differs in the last bits of the floats with another number of shards (sums
// are taken in another order), and the topics found may then differ slightly too.
func Fit(docs []Document, shards int, opts DriverOptions) (*FitResult, error) {
	if shards < 1 {
		shards = 1
	}
	if shards > len(docs) && len(docs) > 0 {
		shards = len(docs)
	}
	fo := opts.Fit.withDefaults()
	if err := fo.check(); err != nil {
		return nil, err
	}
	workers := max(opts.Workers, 1)
	res := &FitResult{}
	shard := func(i int) []Document { return docs[i*len(docs)/shards : (i+1)*len(docs)/shards] }
	progress := func(stage string, d time.Duration) {
		if opts.Progress != nil {
			opts.Progress(stage, d)
		}
	}
	// mapShards runs f on every shard and returns each one's serialised output.
	mapShards := func(f func(i int, w io.Writer) error) ([][]byte, int64, error) {
		out := make([][]byte, shards)
		errs := make([]error, shards)
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					var b bytes.Buffer
					errs[i] = f(i, &b)
					out[i] = b.Bytes()
				}
			}()
		}
		for i := 0; i < shards; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
		var largest int64
		for i, err := range errs {
			if err != nil {
				return nil, 0, fmt.Errorf("shard %d: %w", i, err)
			}
			largest = max(largest, int64(len(out[i])))
		}
		return out, largest, nil
	}
	readers := func(bs [][]byte) []io.Reader {
		rs := make([]io.Reader, len(bs))
		for i, b := range bs {
			rs[i] = bytes.NewReader(b)
		}
		return rs
	}

	// 1. statistics map
	t0 := time.Now()
	statBytes, sz, err := mapShards(func(i int, w io.Writer) error {
		s := NewShardStats(opts.MaxShardTerms)
		for _, d := range shard(i) {
			s.Add(d.Text)
		}
		return WriteStats(w, s)
	})
	if err != nil {
		return nil, err
	}
	res.Sizes.Stats = sz
	res.Timing.Stats = time.Since(t0)
	progress("stats", res.Timing.Stats)

	// 2. vocabulary reduce
	t0 = time.Now()
	vocab, err := BuildVocabulary(readers(statBytes), opts.Vocab)
	if err != nil {
		return nil, err
	}
	statBytes = nil
	var vb bytes.Buffer
	if _, err := vocab.WriteTo(&vb); err != nil {
		return nil, err
	}
	res.Sizes.Vocab = int64(vb.Len())
	if vocab, err = ReadVocabulary(&vb); err != nil {
		return nil, err
	}
	res.Timing.Vocab = time.Since(t0)
	progress("vocabulary", res.Timing.Vocab)

	// 3. sample map
	t0 = time.Now()
	sampleBytes, sz, err := mapShards(func(i int, w io.Writer) error {
		s, err := SampleShard(vocab, fo, Docs(shard(i)))
		if err != nil {
			return err
		}
		_, err = s.WriteTo(w)
		return err
	})
	if err != nil {
		return nil, err
	}
	res.Sizes.Sample = sz
	res.Timing.Sample = time.Since(t0)
	progress("sample", res.Timing.Sample)

	// 4. initialisation reduce
	t0 = time.Now()
	model, err := InitModel(context.Background(), vocab, ReadSeq(shards, func(i int) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(sampleBytes[i])), nil
	}, ReadSample), fo)
	if err != nil {
		return nil, err
	}
	sampleBytes = nil
	if model, err = roundTrip(model, &res.Sizes); err != nil {
		return nil, err
	}
	res.Timing.Init = time.Since(t0)
	progress("init", res.Timing.Init)

	// 5. rounds
	for !model.Done() {
		t0 = time.Now()
		m := model
		rsBytes, sz, err := mapShards(func(i int, w io.Writer) error {
			st, err := ShardRound(m, i, Docs(shard(i)))
			if err != nil {
				return err
			}
			_, err = st.WriteTo(w)
			return err
		})
		if err != nil {
			return nil, err
		}
		res.Sizes.RoundStats = max(res.Sizes.RoundStats, sz)
		next, err := Reduce(m, ReadSeq(shards, func(i int) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(rsBytes[i])), nil
		}, ReadRoundStats))
		if err != nil {
			return nil, err
		}
		if model, err = roundTrip(next, &res.Sizes); err != nil {
			return nil, err
		}
		d := time.Since(t0)
		res.Timing.Rounds = append(res.Timing.Rounds, d)
		progress(fmt.Sprintf("round %d", model.Round), d)
	}
	res.Model = model

	// 6. assign map
	t0 = time.Now()
	res.Proportions = make([][]float64, len(docs))
	_, _, err = mapShards(func(i int, _ io.Writer) error {
		a := NewAssigner(model)
		base := i * len(docs) / shards
		for t, d := range shard(i) {
			res.Proportions[base+t] = a.Assign(d.Text)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Timing.Assign = time.Since(t0)
	progress("assign", res.Timing.Assign)
	return res, nil
}

func roundTrip(m *Model, sz *Sizes) (*Model, error) {
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		return nil, err
	}
	sz.Model = max(sz.Model, int64(b.Len()))
	return ReadModel(&b)
}
