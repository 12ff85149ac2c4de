package coding

import (
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ream-dev/ream/internal/racedetector"
)

// The quality the shipped model must keep on the untouched test split (minor groups). The
// targets of the brief were top-1 0.70 and top-3 0.88; the model reaches less (see the
// package documentation), so these floors guard against regressions from what it reaches.
const (
	minTestTop1 = 0.65
	minTestTop3 = 0.855
)

func TestShippedModelQuality(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	test := loadTestdata(t, "soc2010-test.tsv")
	met, err := Evaluate(context.Background(), m, SliceExamples(test))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("test split, %d records: top-1 %.4f top-3 %.4f log-loss %.4f uncoded %.4f", met.Records, met.Top1, met.Top3, met.LogLoss, met.Uncoded)
	for _, l := range met.Levels {
		t.Logf("  level %d: threshold %.3f coverage %.4f accuracy %.4f (top-1 at the level %.4f)", l.Level, l.Threshold, l.Coverage, l.Accuracy, l.Top1)
	}
	if met.Records != len(test) {
		t.Errorf("evaluated %d of %d records", met.Records, len(test))
	}
	if met.Top1 < minTestTop1 {
		t.Errorf("top-1 %.4f < %.2f", met.Top1, minTestTop1)
	}
	if met.Top3 < minTestTop3 {
		t.Errorf("top-3 %.4f < %.2f", met.Top3, minTestTop3)
	}
	// thresholds aim at 90 % precision on the calibration split; on the test split the
	// 3-digit decisions must stay close to it
	if l := met.Levels[0]; l.Coverage < 0.2 || l.Accuracy < 0.85 {
		t.Errorf("3-digit decisions: coverage %.4f accuracy %.4f", l.Coverage, l.Accuracy)
	}
	var cov float64
	for _, l := range met.Levels {
		cov += l.Coverage
	}
	if math.Abs(cov+met.Uncoded-1) > 1e-9 {
		t.Errorf("coverages %.4f + uncoded %.4f != 1", cov, met.Uncoded)
	}
}

func TestShippedModelInfo(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	info := m.Info()
	if info.TopicStandard != "SOC" || info.TopicVersion != "2010" || info.ModelType != ModelType {
		t.Errorf("info %+v", info)
	}
	if info.TrainRecords < 18000 || info.HeldOutRecords < 2000 || !strings.Contains(info.TrainedOn, "occupations-soc2010-train.tsv") {
		t.Errorf("trained on %q, %d train, %d held out", info.TrainedOn, info.TrainRecords, info.HeldOutRecords)
	}
	th := info.Thresholds
	if th.TargetPrecision != 0.9 || !(th.T3 > 0.3 && th.T3 < 1) || th.T2 > disabledThreshold || th.T1 > disabledThreshold {
		t.Errorf("thresholds %+v", th)
	}
	if info.Temperature <= 0 || info.Metrics.Records != info.HeldOutRecords || len(info.Metrics.Levels) != 3 {
		t.Errorf("temperature %v, metrics %+v", info.Temperature, info.Metrics)
	}
	// the shipped model was retrained on the train and calibration parts after calibration
	// (TrainOptions.Refit): the recorded metrics are those of the first model, on the
	// calibration part it had not seen; the shipped weights have seen it
	if info.RefitRecords != info.TrainRecords+info.HeldOutRecords {
		t.Errorf("refit on %d records, want %d + %d", info.RefitRecords, info.TrainRecords, info.HeldOutRecords)
	}
	met, err := Evaluate(context.Background(), m, SliceExamples(loadTestdata(t, "soc2010-calibration.tsv")))
	if err != nil {
		t.Fatal(err)
	}
	if met.Records != info.Metrics.Records || met.Top1 < info.Metrics.Top1 || met.Levels[0].Accuracy < 0.9 {
		t.Errorf("calibration metrics %+v, recorded %+v", met, info.Metrics)
	}
	if info.Metrics.Levels[0].Accuracy < 0.9 {
		t.Errorf("recorded calibration precision at T3 %.4f", info.Metrics.Levels[0].Accuracy)
	}
	if DefaultModelSize() > 8<<20 {
		t.Errorf("model file %d bytes", DefaultModelSize())
	}
}

func TestPredictAndCode(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	th := m.Thresholds()
	levels := map[int]int{}
	for _, e := range loadTestdata(t, "soc2010-test.tsv")[:800] {
		p := m.Predict(e.Occp, "", 5)
		if len(p) != 5 {
			t.Fatalf("%q: %d predictions", e.Occp, len(p))
		}
		var sum float64
		for i, q := range p {
			if q.Label != m.Scheme().Label(q.Code) || len(q.Code) != 3 || q.Confidence <= 0 || q.Confidence > 1 {
				t.Fatalf("%q: prediction %+v", e.Occp, q)
			}
			if i > 0 && q.Confidence > p[i-1].Confidence {
				t.Fatalf("%q: not sorted: %+v", e.Occp, p)
			}
			sum += q.Confidence
		}
		if sum > 1+1e-9 {
			t.Fatalf("%q: confidences sum to %v", e.Occp, sum)
		}
		all := m.Predict(e.Occp, "", 1000)
		sum = 0
		for _, q := range all {
			sum += q.Confidence
		}
		if len(all) != 90 || math.Abs(sum-1) > 1e-9 {
			t.Fatalf("%q: %d predictions summing to %v", e.Occp, len(all), sum)
		}
		d := m.Code(e.Occp, "")
		if !slices.Equal(d.Suggestions, p[:3]) {
			t.Fatalf("%q: suggestions %+v, predictions %+v", e.Occp, d.Suggestions, p[:3])
		}
		// the decision follows the thresholds
		sub, maj := map[string]float64{}, map[string]float64{}
		for _, q := range all {
			sub[q.Code[:2]] += q.Confidence
			maj[q.Code[:1]] += q.Confidence
		}
		best := func(s map[string]float64) (string, float64) {
			var bc string
			var bv float64
			for c, v := range s {
				if v > bv || v == bv && c < bc {
					bc, bv = c, v
				}
			}
			return bc, bv
		}
		b2, v2 := best(sub)
		b1, v1 := best(maj)
		var want *Prediction
		switch {
		case p[0].Confidence >= th.T3:
			want = &p[0]
		case v2 >= th.T2:
			want = &Prediction{Code: b2, Label: m.Scheme().Label(b2), Confidence: v2}
		case v1 >= th.T1:
			want = &Prediction{Code: b1, Label: m.Scheme().Label(b1), Confidence: v1}
		}
		if (want == nil) != (d.Result == nil) || want != nil && (want.Code != d.Result.Code || want.Label != d.Result.Label || math.Abs(want.Confidence-d.Result.Confidence) > 1e-9) {
			t.Fatalf("%q: decision %+v, want %+v", e.Occp, d.Result, want)
		}
		if d.Result != nil {
			levels[len(d.Result.Code)]++
		} else {
			levels[0]++
		}
	}
	t.Logf("decisions by level (0: uncoded): %v", levels)
	if levels[3] == 0 || levels[0] == 0 {
		t.Errorf("decisions by level %v", levels)
	}
	if m.Predict("", "", 3) != nil || m.Predict("?!", " ", 3) != nil {
		t.Error("predictions for no text")
	}
	// A record with nothing the model knows ("-", "?", a lone stop word) is never coded, and
	// gets the three codes the biases rank first as suggestions (found from outside: such a
	// record had neither result nor suggestions, and clients reading suggestions[0] broke).
	prior := m.Code("", "")
	if prior.Result != nil || len(prior.Suggestions) != 3 {
		t.Fatalf("decision for no text: %+v; want no result and three suggestions", prior)
	}
	for _, in := range [][2]string{{"-", ""}, {"?", "..."}, {"I", "a"}, {"!!!", "😀"}} {
		d := m.Code(in[0], in[1])
		if d.Result != nil || len(d.Suggestions) != 3 || d.Suggestions[0] != prior.Suggestions[0] {
			t.Errorf("decision for %q: %+v; want the no-text suggestions %+v", in, d, prior.Suggestions)
		}
	}
	if s := prior.Suggestions; !(s[0].Confidence >= s[1].Confidence && s[1].Confidence >= s[2].Confidence) || s[0].Confidence >= m.info.Thresholds.T3 {
		t.Errorf("no-text suggestions %+v: not best first, or as confident as a coded record", s)
	}
	if got := m.Predict("nurse", "", 0); len(got) != 1 {
		t.Errorf("k=0 gives %d predictions", len(got))
	}
	for _, c := range []struct{ title, code string }{
		{"nurse", "223"}, {"chief executive", "111"}, {"primary school teacher", "231"},
		{"hgv driver", "821"}, {"software developer", "213"}, {"hairdresser", "622"},
	} {
		if got := m.Predict(c.title, "", 1); got[0].Code != c.code {
			t.Errorf("%q: %+v, want %s", c.title, got[0], c.code)
		}
	}
}

func TestPredictAllocs(t *testing.T) {
	if racedetector.Enabled {
		t.Skip("the race detector makes sync.Pool drop scratch buffers: allocations are not counted under -race")
	}
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	m.Code("warm up the pool", "")
	if n := testing.AllocsPerRun(200, func() { m.Predict("senior marketing manager retail", "plans campaigns", 3) }); n > 1 {
		t.Errorf("Predict: %v allocations", n)
	}
	if n := testing.AllocsPerRun(200, func() { m.Code("senior marketing manager retail", "plans campaigns") }); n > 1 {
		t.Errorf("Code: %v allocations", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	recs := loadTestdata(t, "soc2010-test.tsv")[:300]
	want := make([]Decision, len(recs))
	for i, r := range recs {
		want[i] = m.Code(r.Occp, "")
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range recs {
				j := (i + g*37) % len(recs)
				got := m.Code(recs[j].Occp, "")
				if !slices.Equal(got.Suggestions, want[j].Suggestions) || (got.Result == nil) != (want[j].Result == nil) ||
					got.Result != nil && *got.Result != *want[j].Result {
					errs <- recs[j].Occp
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent result differs for %q", e)
	}
}

// TestTasksText checks that a tasks text helps (here: another title of the same minor group
// standing in for a description of the work) and that a generic one does not hurt, on the
// test split (the shipped model was trained on the calibration split too).
func TestTasksText(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	cal := loadTestdata(t, "soc2010-test.tsv")
	byCode := map[string][]string{}
	for _, e := range cal {
		byCode[e.Code] = append(byCode[e.Code], e.Occp)
	}
	var none, related, generic, n int
	for _, e := range cal {
		others := byCode[e.Code]
		if len(others) < 2 {
			continue
		}
		i := slices.Index(others, e.Occp)
		other := others[(i+1)%len(others)]
		n++
		if m.Predict(e.Occp, "", 1)[0].Code == e.Code {
			none++
		}
		if m.Predict(e.Occp, other, 1)[0].Code == e.Code {
			related++
		}
		if m.Predict(e.Occp, "I do my job and work with my colleagues every day", 1)[0].Code == e.Code {
			generic++
		}
	}
	t.Logf("%d records: top-1 without tasks %.4f, with a related tasks text %.4f, with a generic one %.4f",
		n, float64(none)/float64(n), float64(related)/float64(n), float64(generic)/float64(n))
	if related < none+n/50 {
		t.Errorf("a related tasks text does not help: %d vs %d right", related, none)
	}
	if generic < none-n/100 {
		t.Errorf("a generic tasks text hurts: %d vs %d right", generic, none)
	}
}

func TestWriteLoadRoundTrip(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := m.WriteTo(&buf)
	if err != nil || int(n) != buf.Len() {
		t.Fatalf("WriteTo: %d, %v", n, err)
	}
	if !bytes.Equal(buf.Bytes(), defaultModelBytes) {
		t.Error("re-encoding the shipped model changes its bytes")
	}
	m2, err := Load(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range loadTestdata(t, "soc2010-test.tsv")[:200] {
		a, b := m.Predict(r.Occp, "", 3), m2.Predict(r.Occp, "", 3)
		if !slices.Equal(a, b) {
			t.Fatalf("%q: %+v vs %+v", r.Occp, a, b)
		}
	}
	m2.SetRegistryInfo("0b6f3c1e-5a7d-4a44-9d8e-2f3b1c9a7e10", "3", "2026-12-02")
	buf.Reset()
	m2.WriteTo(&buf)
	m3, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if i := m3.Info(); i.ModelID != "0b6f3c1e-5a7d-4a44-9d8e-2f3b1c9a7e10" || i.Version != "3" || i.Released != "2026-12-02" {
		t.Errorf("registry info not kept: %+v", i)
	}
}

func TestLoadRejectsCorruptFiles(t *testing.T) {
	good := smallModelBytes(t)
	if _, err := Load(bytes.NewReader(good)); err != nil {
		t.Fatal(err)
	}
	check := func(name string, b []byte) {
		t.Helper()
		m, err := Load(bytes.NewReader(b))
		if err == nil || m != nil {
			t.Errorf("%s: loaded", name)
		} else if !errors.Is(err, ErrInvalidModel) {
			t.Errorf("%s: error %v does not wrap ErrInvalidModel", name, err)
		}
	}
	check("empty", nil)
	check("magic only", []byte("RCM1"))
	check("other magic", append([]byte("PK\x03\x04"), good[4:]...))
	check("future version", append([]byte("RCM3"), good[4:]...))
	// A model that reads hyphens both ways is format 2, which a release knowing only format 1
	// refuses; written as format 1 it would be read with hyphens joined, so it is refused.
	if string(good[:4]) != "RCM2" {
		t.Fatalf("a model with hyphen weight %v written as %q; want format 2", DefaultFeatures.Hyphen, good[:4])
	}
	check("hyphen model as format 1", append([]byte("RCM1"), good[4:]...))
	check("format 2 without hyphens", rewrapInfo(t, good, func(info []byte) []byte {
		return bytes.Replace(info, []byte(`"hyphen":0.7`), []byte(`"hyphen":0`), 1)
	}))
	check("trailing byte", append(slices.Clone(good), 0))
	for _, cut := range []int{5, 11, 12, 100, len(good) / 2, len(good) - 1} {
		check("truncated", good[:cut])
	}
	for _, i := range []int{4, 8, 20, len(good) / 3, len(good) - 2} {
		b := slices.Clone(good)
		b[i] ^= 0x55
		check("flipped byte", b)
	}
	// a body with a valid checksum but bad contents
	bad := rewrapBody(t, good, func(body []byte) []byte { return body[:len(body)-7] })
	check("short weights", bad)
	bad = rewrapBody(t, good, func(body []byte) []byte { return append(body, 1, 2, 3) })
	check("long weights", bad)
	for name, edit := range map[string][2]string{
		"unknown version":      {`"topic_version":"2010"`, `"topic_version":"2020"`},
		"negative temperature": {`"temperature":`, `"temperature":-`},
		"hash bits":            {`"bits":12`, `"bits":40`},
		"threshold":            {`"t3":`, `"t3":1`},
		"not json":             {`{`, `[`},
	} {
		check(name, rewrapInfo(t, good, func(info []byte) []byte {
			if !bytes.Contains(info, []byte(edit[0])) {
				t.Fatalf("%s: %s not in %s", name, edit[0], info)
			}
			return bytes.Replace(info, []byte(edit[0]), []byte(edit[1]), 1)
		}))
	}
	// the unedited rewrap loads (the helpers are right)
	if _, err := Load(bytes.NewReader(rewrapInfo(t, good, func(b []byte) []byte { return b }))); err != nil {
		t.Fatal(err)
	}
}
