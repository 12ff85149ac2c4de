package coding

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// smallOptions train a small model quickly on the calibration split (for format and
// training tests): its titles have split units below 100, so a held-out share of 0.05
// (units below 50) holds out about half of them with the shipped model's split (TitleSplit).
func smallOptions() TrainOptions {
	cfg := DefaultFeatures
	cfg.Bits = 12
	return TrainOptions{Features: cfg, Epochs: 3, HeldOutShare: 0.05, TitleSplit: true, TrainedOn: "calibration split (test)"}
}

func openSlice(ex []Example) func() (Examples, error) {
	return func() (Examples, error) { return SliceExamples(ex), nil }
}

var smallModel = sync.OnceValues(func() ([]byte, error) {
	f, err := openTestdata("soc2010-calibration.tsv")
	if err != nil {
		return nil, err
	}
	f.Close()
	m, err := Train(context.Background(), func() (Examples, error) {
		f, err := openTestdata("soc2010-calibration.tsv")
		if err != nil {
			return nil, err
		}
		return NewTSVExamples(f), nil
	}, smallOptions())
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	_, err = m.WriteTo(&buf)
	return buf.Bytes(), err
})

func smallModelBytes(t testing.TB) []byte {
	b, err := smallModel()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rewrapBody inflates a model file's body, edits it and wraps it again with a valid header.
func rewrapBody(t testing.TB, file []byte, edit func([]byte) []byte) []byte {
	t.Helper()
	body, err := io.ReadAll(flate.NewReader(bytes.NewReader(file[12:])))
	if err != nil {
		t.Fatal(err)
	}
	body = edit(body)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
	fw.Write(body)
	fw.Close()
	out := append(slices.Clone(file[:4]), binary.LittleEndian.AppendUint32(nil, uint32(comp.Len()))...)
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(comp.Bytes()))
	return append(out, comp.Bytes()...)
}

// rewrapInfo edits the Info JSON of a model file (keeping its length prefix right).
func rewrapInfo(t testing.TB, file []byte, edit func([]byte) []byte) []byte {
	return rewrapBody(t, file, func(body []byte) []byte {
		n := binary.LittleEndian.Uint32(body)
		info := edit(bytes.Clone(body[4 : 4+n]))
		out := binary.LittleEndian.AppendUint32(nil, uint32(len(info)))
		out = append(out, info...)
		return append(out, body[4+n:]...)
	})
}

func TestTrainDeterministic(t *testing.T) {
	a := smallModelBytes(t)
	f, err := openTestdata("soc2010-calibration.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var ex []Example
	tsv := NewTSVExamples(f)
	for {
		e, ok, err := tsv.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		ex = append(ex, e)
	}
	tsv.Close()
	m, err := Train(context.Background(), openSlice(ex), smallOptions())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	m.WriteTo(&b)
	if !bytes.Equal(a, b.Bytes()) {
		t.Error("two trainings on the same data give different model files")
	}
	info := m.Info()
	if info.TrainRecords+info.HeldOutRecords != len(ex) || info.HeldOutRecords < len(ex)*3/10 || info.HeldOutRecords > len(ex)*7/10 {
		t.Errorf("%d train + %d held out of %d", info.TrainRecords, info.HeldOutRecords, len(ex))
	}
	if info.Metrics.Records != info.HeldOutRecords || info.Metrics.Top3 < info.Metrics.Top1 || info.Metrics.Top1 < 0.2 {
		t.Errorf("metrics %+v", info.Metrics)
	}
	// a different seed shuffles differently
	opts := smallOptions()
	opts.Seed = 7
	m2, err := Train(context.Background(), openSlice(ex), opts)
	if err != nil {
		t.Fatal(err)
	}
	var c bytes.Buffer
	m2.WriteTo(&c)
	if bytes.Equal(a, c.Bytes()) {
		t.Error("the seed changes nothing")
	}
}

func TestTrainSkipsAndCounts(t *testing.T) {
	var ex []Example
	for i := range 3000 {
		code := []string{"223", "821", "231"}[i%3]
		title := []string{"staff nurse %d", "lorry driver %d", "teacher %d"}[i%3]
		ex = append(ex, Example{Code: code, Occp: fmt.Sprintf(title, i)})
	}
	ex = append(ex,
		Example{Code: "999", Occp: "astronaut"},
		Example{Code: "22", Occp: "nurse"},
		Example{Code: "2231", Occp: "nurse"},
		Example{Code: "8", Occp: "driver"},
		Example{Code: "nurse", Occp: "223"},
		Example{Code: "223", Occp: ""},
		Example{Code: "223", Occp: " ... ", Tasks: "&"},
		Example{Code: " 223 ", Occp: "", Tasks: "looks after patients"}, // usable: tasks only, code trimmed
	)
	m, err := Train(context.Background(), openSlice(ex), TrainOptions{Epochs: 2, Features: FeatureConfig{Bits: 14, Word: 1, Char: 1, CharMin: 3, CharMax: 4, Tasks: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	info := m.Info()
	if info.Skipped.UnknownCode != 5 || info.Skipped.Empty != 2 {
		t.Errorf("skipped %+v", info.Skipped)
	}
	if info.TrainRecords+info.HeldOutRecords != 3001 {
		t.Errorf("%d + %d examples used", info.TrainRecords, info.HeldOutRecords)
	}
	if got := m.Predict("nurse", "", 1)[0].Code; got != "223" {
		t.Errorf("nurse: %s", got)
	}
	if info.Metrics.Top1 < 0.99 {
		t.Errorf("held-out top-1 %.3f on a trivial task", info.Metrics.Top1)
	}
}

// TestTrainLearnsTasks: titles alone are ambiguous, the tasks text decides.
func TestTrainLearnsTasks(t *testing.T) {
	tasks := map[string][]string{
		"821": {"drive a lorry delivering goods", "deliver parcels by van", "haulage driving across the country"},
		"923": {"clean offices and toilets", "mop floors and empty bins", "vacuum and dust rooms"},
		"543": {"cook meals in a kitchen", "prepare food for the restaurant", "bake bread and pastries"},
	}
	codes := []string{"821", "923", "543"}
	rng := rand.New(rand.NewPCG(1, 1))
	var ex []Example
	for i := range 4000 {
		c := codes[i%3]
		title := []string{"general worker", "operative", "staff member", "employee"}[rng.IntN(4)]
		ex = append(ex, Example{Code: c, Occp: fmt.Sprintf("%s %d", title, i), Tasks: tasks[c][rng.IntN(3)]})
	}
	m, err := Train(context.Background(), openSlice(ex), TrainOptions{Epochs: 3, Features: FeatureConfig{Bits: 14, Word: 1, Bigram: 0.5, CharMin: 3, CharMax: 5, Char: 1, Tasks: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if top1 := m.Info().Metrics.Top1; top1 < 0.95 {
		t.Errorf("held-out top-1 %.3f: the tasks text was not learnt", top1)
	}
	if got := m.Predict("general worker", "empty bins and mop floors", 1)[0].Code; got != "923" {
		t.Errorf("cleaning tasks: %s", got)
	}
}

// TestTrainSplitsUntitledByTasks: examples without a title are held out by their tasks text's
// split unit, not all by the empty title's (found from outside: tasks-only records were all
// held out, and the training failed with "3000 usable, 3000 of them held out").
func TestTrainSplitsUntitledByTasks(t *testing.T) {
	tasks := map[string][]string{
		"821": {"drive a lorry delivering goods", "deliver parcels by van", "haulage driving across the country"},
		"923": {"clean offices and toilets", "mop floors and empty bins", "vacuum and dust rooms"},
		"543": {"cook meals in a kitchen", "prepare food for the restaurant", "bake bread and pastries"},
	}
	codes := []string{"821", "923", "543"}
	var ex []Example
	for i := range 3000 {
		c := codes[i%3]
		ex = append(ex, Example{Code: c, Occp: []string{"", "  "}[i%2], Tasks: fmt.Sprintf("%s, site %d", tasks[c][i%3], i)})
	}
	m, err := Train(context.Background(), openSlice(ex), TrainOptions{Epochs: 3, Features: FeatureConfig{Bits: 14, Word: 1, Bigram: 0.5, CharMin: 3, CharMax: 5, Char: 1, Tasks: 1}})
	if err != nil {
		t.Fatal(err)
	}
	info := m.Info()
	if held := float64(info.HeldOutRecords) / 3000; held < 0.07 || held > 0.13 {
		t.Errorf("%d of 3,000 untitled examples held out (%.2f), want about a tenth", info.HeldOutRecords, held)
	}
	if top1 := info.Metrics.Top1; top1 < 0.95 {
		t.Errorf("held-out top-1 %.3f: the tasks texts were not learnt", top1)
	}
}

// genExamples generates n synthetic examples on the fly (never held in memory): random
// words, so the feature space is far larger than the hash table.
type genExamples struct {
	n, i int
	rng  *rand.Rand
	sb   strings.Builder
}

func (g *genExamples) Next() (Example, bool, error) {
	if g.i >= g.n {
		return Example{}, false, nil
	}
	g.i++
	codes := SOC2010().Level(3)
	c := codes[g.i%len(codes)]
	g.sb.Reset()
	for w := range 3 + g.rng.IntN(4) {
		if w > 0 {
			g.sb.WriteByte(' ')
		}
		for range 3 + g.rng.IntN(8) {
			g.sb.WriteByte(byte('a' + g.rng.IntN(26)))
		}
	}
	return Example{Code: c.Code, Occp: c.Label + " " + g.sb.String()}, true, nil
}

func (g *genExamples) Close() error { return nil }

// TestTrainBoundedMemory streams many examples with many distinct features through Train and
// the trainer: the weight table keeps its 2^Bits × classes size, the shuffle buffer stays
// within MaxBufferedFeatures, and the model has at most 2^Bits rows.
func TestTrainBoundedMemory(t *testing.T) {
	opts := TrainOptions{Features: DefaultFeatures, MaxBufferedFeatures: 4096, Epochs: 1, HeldOutShare: 0.1}
	opts.Features.Bits = 10
	opts.Scheme = SOC2010()
	opts.LearningRate = 1
	tr := newTrainer(opts)
	tr.total = 1 << 20
	size := len(tr.w)
	g := &genExamples{n: 20000, rng: rand.New(rand.NewPCG(3, 3))}
	maxBuf := 0
	for {
		e, ok, _ := g.Next()
		if !ok {
			break
		}
		tr.push(tr.fz.features(e.Occp, e.Tasks), tr.ci[e.Code])
		maxBuf = max(maxBuf, tr.nbuf)
		if tr.nbuf > opts.MaxBufferedFeatures {
			t.Fatalf("buffer holds %d features", tr.nbuf)
		}
	}
	tr.drain()
	if len(tr.w) != size || size != (1<<10)*90 || cap(tr.w) != size {
		t.Errorf("weight table %d (cap %d), want %d", len(tr.w), cap(tr.w), (1<<10)*90)
	}
	if maxBuf < opts.MaxBufferedFeatures/2 {
		t.Errorf("buffer never filled (%d)", maxBuf)
	}

	opens := 0
	m, err := Train(context.Background(), func() (Examples, error) {
		opens++
		return &genExamples{n: 30000, rng: rand.New(rand.NewPCG(5, 5))}, nil
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.scale) > 1<<10 || len(m.w) != len(m.scale)*90 || len(m.rowOf) != 1<<10 {
		t.Errorf("model: %d rows, %d weights", len(m.scale), len(m.w))
	}
	// one counting pass, one pass an epoch, five held-out passes
	if want := 1 + opts.Epochs + 5; opens != want {
		t.Errorf("input opened %d times, want %d", opens, want)
	}
}

func TestTrainErrors(t *testing.T) {
	ctx := context.Background()
	ok := openSlice([]Example{{Code: "223", Occp: "nurse"}})
	for name, opts := range map[string]TrainOptions{
		"held-out share": {HeldOutShare: 0.9},
		"epochs":         {Epochs: -1},
		"bits":           {Features: FeatureConfig{Bits: 30, Word: 1}},
		"precision":      {TargetPrecision: 1.5},
	} {
		if _, err := Train(ctx, ok, opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	var few *TooFewExamplesError
	if _, err := Train(ctx, ok, TrainOptions{}); !errors.As(err, &few) || few.Usable() != 1 || few.Needed() != 500 || !strings.Contains(err.Error(), "held-out") {
		t.Errorf("too little data: %v (%+v)", err, few)
	}
	if _, err := Train(ctx, ok, TrainOptions{HeldOutShare: 0.25}); !errors.As(err, &few) || few.Needed() != 200 {
		t.Errorf("too little data, a quarter held out: %v (%+v)", err, few)
	}
	if _, err := Train(ctx, openSlice(nil), TrainOptions{}); !errors.As(err, &few) || few.Usable() != 0 {
		t.Errorf("no data: %v", err)
	}
	boom := errors.New("boom")
	if _, err := Train(ctx, func() (Examples, error) { return nil, boom }, TrainOptions{}); !errors.Is(err, boom) {
		t.Errorf("open error: %v", err)
	}
	if _, err := Train(ctx, func() (Examples, error) {
		return NewJSONLExamples(strings.NewReader("{\"code\":\"223\",\"occp_text\":\"nurse\"}\nnot json\n")), nil
	}, TrainOptions{}); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad line: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Train(cctx, func() (Examples, error) { return &genExamples{n: 5000, rng: rand.New(rand.NewPCG(1, 1))}, nil }, TrainOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestJSONLExamples(t *testing.T) {
	in := `{"code":"223","occp_text":"staff nurse","tasks_text":"care for patients","extra":1}

{"code":"821","occp_text":"hgv driver"}
`
	ex := NewJSONLExamples(strings.NewReader(in))
	var got []Example
	for {
		e, ok, err := ex.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, e)
	}
	want := []Example{{Code: "223", Occp: "staff nurse", Tasks: "care for patients"}, {Code: "821", Occp: "hgv driver"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %+v", got)
	}
	long := NewJSONLExamples(strings.NewReader(`{"code":"` + strings.Repeat("x", maxLineBytes) + `"}`))
	if _, _, err := long.Next(); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("long line: %v", err)
	}
	if _, _, err := NewTSVExamples(strings.NewReader("# comment\n223 nurse\n")).Next(); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("tsv without tab: %v", err)
	}
}

// tinyModelBytes trains a very small model (256 buckets) on synthetic titles, cheap enough
// for the fuzzer's instrumented workers.
func tinyModelBytes(tb testing.TB) []byte { return tinyModelBytesHyphen(tb, DefaultFeatures.Hyphen) }

// tinyModelBytesHyphen is tinyModelBytes with hyphen weight h (0: a format-1 file, as every
// release before format 2 wrote).
func tinyModelBytesHyphen(tb testing.TB, h float32) []byte {
	var ex []Example
	for i := range 400 {
		c := []string{"223", "821", "231", "811"}[i%4]
		t := []string{"nurse", "hgv driver", "teacher", "process worker"}[i%4]
		ex = append(ex, Example{Code: c, Occp: fmt.Sprintf("%s %d", t, i)})
	}
	cfg := DefaultFeatures
	cfg.Bits = 8
	cfg.Hyphen = h
	m, err := Train(context.Background(), openSlice(ex), TrainOptions{Features: cfg, Epochs: 1, HeldOutShare: 0.3})
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func FuzzLoad(f *testing.F) {
	good := tinyModelBytes(f)
	f.Add(good)
	f.Add(tinyModelBytesHyphen(f, 0)) // format 1
	f.Add(good[:len(good)/2])
	f.Add([]byte("RCM1"))
	f.Add([]byte{})
	f.Add(rewrapBody(f, good, func(b []byte) []byte { return b[:200] }))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Load(bytes.NewReader(b))
		if err != nil {
			if m != nil {
				t.Fatal("model and error")
			}
			return
		}
		// a file that loads must work
		m.Predict("nurse", "cares for patients", 3)
		m.Code("", "driver")
	})
}

// FuzzLoadBody fuzzes the model body behind a valid header and checksum (which random
// mutations of a whole file rarely get past).
func FuzzLoadBody(f *testing.F) {
	good := tinyModelBytes(f)
	body, err := io.ReadAll(flate.NewReader(bytes.NewReader(good[12:])))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(body)
	f.Add(body[:len(body)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		file := rewrapBody(t, good, func([]byte) []byte { return b })
		m, err := Load(bytes.NewReader(file))
		if err != nil {
			if m != nil || !errors.Is(err, ErrInvalidModel) {
				t.Fatalf("model %v, error %v", m != nil, err)
			}
			return
		}
		m.Predict("nurse", "cares for patients", 3)
		m.Code("", "driver")
	})
}

// TestTrainRefit: with Refit the model is trained again on the held-out examples too, and
// keeps the first model's temperature, thresholds and metrics; without labels (SkipLabels)
// a title equal to a code's label is no longer a training example.
func TestTrainRefit(t *testing.T) {
	ex := loadTestdata(t, "soc2010-calibration.tsv")
	plain, err := Train(context.Background(), openSlice(ex), smallOptions())
	if err != nil {
		t.Fatal(err)
	}
	opts := smallOptions()
	opts.Refit = true
	refit, err := Train(context.Background(), openSlice(ex), opts)
	if err != nil {
		t.Fatal(err)
	}
	pi, ri := plain.Info(), refit.Info()
	if pi.RefitRecords != 0 || ri.RefitRecords != ri.TrainRecords+ri.HeldOutRecords {
		t.Errorf("refit records %d and %d (train %d, held out %d)", pi.RefitRecords, ri.RefitRecords, ri.TrainRecords, ri.HeldOutRecords)
	}
	if ri.Temperature != pi.Temperature || ri.Thresholds != pi.Thresholds || ri.Metrics.Top1 != pi.Metrics.Top1 {
		t.Errorf("refit calibration %v %+v %v, first model %v %+v %v", ri.Temperature, ri.Thresholds, ri.Metrics.Top1,
			pi.Temperature, pi.Thresholds, pi.Metrics.Top1)
	}
	// the held-out examples are training examples of the refit model
	cut := heldOutCut(opts.HeldOutShare)
	var held []Example
	for _, e := range ex {
		if SplitUnit(e.Occp) < cut {
			held = append(held, e)
		}
	}
	pm, _ := Evaluate(context.Background(), plain, SliceExamples(held))
	rm, _ := Evaluate(context.Background(), refit, SliceExamples(held))
	if rm.Top1 < 0.9 || rm.Top1 <= pm.Top1 {
		t.Errorf("held-out top-1: refit %.3f, first model %.3f", rm.Top1, pm.Top1)
	}

	// labels: a code's label is learnt without any example of it
	label := SOC2010().Label("223")
	var no223 []Example
	for _, e := range ex {
		if e.Code != "223" && !strings.EqualFold(e.Occp, label) {
			no223 = append(no223, e)
		}
	}
	with, err := Train(context.Background(), openSlice(no223), smallOptions())
	if err != nil {
		t.Fatal(err)
	}
	opts = smallOptions()
	opts.SkipLabels = true
	without, err := Train(context.Background(), openSlice(no223), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := with.Predict(label, "", 1)[0].Code; got != "223" {
		t.Errorf("with labels, %q coded %s", label, got)
	}
	if got := without.Predict(label, "", 1)[0].Code; got == "223" {
		t.Errorf("without labels, %q coded 223", label)
	}
}

// TestFormatOneStillLoads: a model without the hyphen reading is written as format 1 ("RCM1"),
// byte for byte as releases before format 2 wrote it, and loads; format 2 is only for
// Hyphen > 0.
func TestFormatOneStillLoads(t *testing.T) {
	raw := tinyModelBytesHyphen(t, 0)
	if string(raw[:4]) != "RCM1" {
		t.Fatalf("a model with hyphen weight 0 written as %q; want format 1", raw[:4])
	}
	m, err := Load(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if _, err := m.WriteTo(&again); err != nil || !bytes.Equal(again.Bytes(), raw) {
		t.Errorf("format 1 written again: %v, equal %v", err, bytes.Equal(again.Bytes(), raw))
	}
	if m.cfg.Hyphen != 0 {
		t.Errorf("format 1 model loaded with hyphen weight %v", m.cfg.Hyphen)
	}
}
