package topics

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
)

type labelled struct{ label, text string }

// loadDEP11 reads testdata/topics-dep11.tsv (a copy of shared/data/topics-dep11.tsv).
func loadDEP11(t testing.TB) []labelled {
	t.Helper()
	f, err := os.Open("testdata/topics-dep11.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		l, text, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("no tab in %q", line)
		}
		out = append(out, labelled{l, text})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// isTuning is the evaluation's fixed split (as internal/evaltopics): FNV-1a of the text,
// even → tuning half, odd → reporting half.
func isTuning(text string) bool {
	h := fnv.New64a()
	h.Write([]byte(text))
	return h.Sum64()%2 == 0
}

func half(rows []labelled, tuning bool) ([]Document, []string) {
	var docs []Document
	var labels []string
	for _, r := range rows {
		if isTuning(r.text) == tuning {
			docs = append(docs, Document{ID: fmt.Sprintf("doc%05d", len(docs)), Text: r.text})
			labels = append(labels, r.label)
		}
	}
	return docs, labels
}

// smallCorpus is a few hundred DEP-11 documents, for fast tests.
func smallCorpus(t testing.TB, n int) []Document {
	rows := loadDEP11(t)
	docs := make([]Document, 0, n)
	for i := 0; i < len(rows) && len(docs) < n; i += 3 {
		docs = append(docs, Document{ID: fmt.Sprintf("d%d", i), Text: rows[i].text})
	}
	return docs
}

func modelBytes(t testing.TB, m *Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func fitSmall(t testing.TB, docs []Document, shards int, seed int64) *FitResult {
	t.Helper()
	res, err := Fit(docs, shards, DriverOptions{Fit: FitOptions{K: 6, Seed: seed, Rounds: 4}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestFitDeterministic(t *testing.T) {
	docs := smallCorpus(t, 300)
	a := fitSmall(t, docs, 3, 7)
	b := fitSmall(t, docs, 3, 7)
	if !bytes.Equal(modelBytes(t, a.Model), modelBytes(t, b.Model)) {
		t.Fatal("same input, shards and seed gave different models")
	}
	for i := range a.Proportions {
		if !slices.Equal(a.Proportions[i], b.Proportions[i]) {
			t.Fatalf("document %d: different proportions", i)
		}
	}
	c := fitSmall(t, docs, 3, 8)
	if bytes.Equal(modelBytes(t, a.Model), modelBytes(t, c.Model)) {
		t.Fatal("another seed gave the same model")
	}
	// nor does the number of goroutines matter (1: the restarts one after another; 4: all
	// four side by side, finishing in any order)
	for _, procs := range []int{1, 4} {
		prev := runtime.GOMAXPROCS(procs)
		d := fitSmall(t, docs, 3, 7)
		runtime.GOMAXPROCS(prev)
		if !bytes.Equal(modelBytes(t, a.Model), modelBytes(t, d.Model)) {
			t.Fatalf("GOMAXPROCS %d changed the model", procs)
		}
	}
	var tt1, tt2 bytes.Buffer
	if err := WriteTopicTerms(&tt1, TopTerms(a.Model, 10), true); err != nil {
		t.Fatal(err)
	}
	if err := WriteTopicTerms(&tt2, TopTerms(b.Model, 10), true); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tt1.Bytes(), tt2.Bytes()) {
		t.Fatal("topic-terms differ")
	}
}

// The initial model depends on the collection, not on how it is cut: the vocabulary sums
// integers and the sample is the collection's smallest keys.
func TestInitIndependentOfSharding(t *testing.T) {
	docs := smallCorpus(t, 200)
	init := func(shards int) []byte {
		var stats [][]byte
		for i := 0; i < shards; i++ {
			s := NewShardStats(0)
			for _, d := range docs[i*len(docs)/shards : (i+1)*len(docs)/shards] {
				s.Add(d.Text)
			}
			var b bytes.Buffer
			if err := WriteStats(&b, s); err != nil {
				t.Fatal(err)
			}
			stats = append(stats, b.Bytes())
		}
		var rs []io.Reader
		for _, b := range stats {
			rs = append(rs, bytes.NewReader(b))
		}
		v, err := BuildVocabulary(rs, VocabOptions{})
		if err != nil {
			t.Fatal(err)
		}
		opts := FitOptions{K: 5, Seed: 3, SampleSize: 50}
		var samples []*Sample
		for i := 0; i < shards; i++ {
			s, err := SampleShard(v, opts, Docs(docs[i*len(docs)/shards:(i+1)*len(docs)/shards]))
			if err != nil {
				t.Fatal(err)
			}
			samples = append(samples, s)
		}
		m, err := InitModel(context.Background(), v, Seq(samples), opts)
		if err != nil {
			t.Fatal(err)
		}
		return modelBytes(t, m)
	}
	one := init(1)
	for _, shards := range []int{2, 5, 13} {
		if !bytes.Equal(one, init(shards)) {
			t.Errorf("initial model with %d shards differs from 1 shard", shards)
		}
	}
}

func TestShardRoundRepeatable(t *testing.T) {
	docs := smallCorpus(t, 150)
	res := fitSmall(t, docs, 2, 1)
	enc := func() []byte {
		st, err := ShardRound(res.Model, 4, Docs(docs[:70]))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := st.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b := enc(), enc()
	if !bytes.Equal(a, b) {
		t.Fatal("repeating a shard's round changed its statistics")
	}
	st, err := ReadRoundStats(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	var c bytes.Buffer
	if _, err := st.WriteTo(&c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, c.Bytes()) {
		t.Fatal("round statistics do not round-trip")
	}
	// reduce checks order and model
	if _, err := Reduce(res.Model, Seq([]*RoundStats{st, st})); err == nil {
		t.Error("a shard twice was accepted")
	}
	other := fitSmall(t, docs, 2, 2).Model
	if _, err := Reduce(other, Seq([]*RoundStats{st})); err == nil {
		t.Error("statistics of another model were accepted")
	}
	next, err := Reduce(res.Model, Seq([]*RoundStats{st}))
	if err != nil {
		t.Fatal(err)
	}
	if next.Round != res.Model.Round+1 {
		t.Errorf("round %d after %d", next.Round, res.Model.Round)
	}
	if _, err := Reduce(res.Model, func(yield func(*RoundStats, error) bool) { yield(nil, errors.New("boom")) }); err == nil {
		t.Error("iterator error ignored")
	}
}

func TestStatsRoundTripAndMerge(t *testing.T) {
	docs := smallCorpus(t, 120)
	whole := NewShardStats(0)
	parts := []*ShardStats{NewShardStats(0), NewShardStats(0), NewShardStats(0)}
	for i, d := range docs {
		whole.Add(d.Text)
		parts[i%3].Add(d.Text)
	}
	enc := func(s *ShardStats) []byte {
		var b bytes.Buffer
		if err := WriteStats(&b, s); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	w := enc(whole)
	back, err := ReadStats(bytes.NewReader(w))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Terms(), whole.Terms()) || back.Docs != whole.Docs || back.Tokens != whole.Tokens {
		t.Fatal("statistics do not round-trip")
	}
	var merged bytes.Buffer
	if err := MergeStats(&merged, []io.Reader{bytes.NewReader(enc(parts[0])), bytes.NewReader(enc(parts[1])), bytes.NewReader(enc(parts[2]))}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(merged.Bytes(), w) {
		t.Fatal("merging the parts' statistics differs from the whole's")
	}
}

func TestStatsBounded(t *testing.T) {
	docs := smallCorpus(t, 200)
	s := NewShardStats(300)
	for _, d := range docs {
		s.Add(d.Text)
	}
	if s.Len() > 4*300 {
		t.Fatalf("%d terms held, bound 4×300", s.Len())
	}
	var b bytes.Buffer
	if err := WriteStats(&b, s); err != nil {
		t.Fatal(err)
	}
	r, err := ReadStats(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() > 300 || r.Pruned == 0 || r.DFError < 1 {
		t.Fatalf("written %d terms, pruned %d, df error %d", r.Len(), r.Pruned, r.DFError)
	}
	// pruned only when written: every kept term is more frequent than every dropped one
	s = NewShardStats(1000)
	for _, d := range docs {
		s.Add(d.Text)
	}
	if s.Pruned != 0 || s.Len() <= 1000 {
		t.Fatalf("setup: %d terms, %d pruned while adding", s.Len(), s.Pruned)
	}
	b.Reset()
	if err := WriteStats(&b, s); err != nil {
		t.Fatal(err)
	}
	if r, err = ReadStats(bytes.NewReader(b.Bytes())); err != nil {
		t.Fatal(err)
	}
	if r.Len() > 1000 || r.Pruned != int64(s.Len()-r.Len()) {
		t.Fatalf("written %d of %d terms, pruned %d", r.Len(), s.Len(), r.Pruned)
	}
	for _, ts := range r.Terms() {
		if ts.DF <= r.DFError {
			t.Fatalf("kept %q with df %d <= dropped df %d", ts.Term, ts.DF, r.DFError)
		}
	}
}

func TestVocabularyBoundedAndRoundTrip(t *testing.T) {
	docs := smallCorpus(t, 300)
	var rs []io.Reader
	var all []*ShardStats
	for i := 0; i < 4; i++ {
		s := NewShardStats(0)
		for _, d := range docs[i*75 : (i+1)*75] {
			s.Add(d.Text)
		}
		all = append(all, s)
		var b bytes.Buffer
		if err := WriteStats(&b, s); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, bytes.NewReader(b.Bytes()))
	}
	v, err := BuildVocabulary(rs, VocabOptions{MinDF: 2, MaxDFShare: 0.3, MaxTerms: 100})
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() != 100 || v.DroppedCap == 0 || v.Docs != 300 {
		t.Fatalf("vocabulary %d terms (dropped by the cap %d), %d docs", v.Len(), v.DroppedCap, v.Docs)
	}
	if !slices.IsSorted(v.Terms) {
		t.Fatal("terms not sorted")
	}
	// the kept terms are the 100 of highest df among those passing the filters
	df := map[string]int64{}
	for _, s := range all {
		for _, ts := range s.Terms() {
			df[ts.Term] += ts.DF
		}
	}
	minKept := int64(1 << 40)
	for i, term := range v.Terms {
		if df[term] != v.DF[i] {
			t.Fatalf("%q: df %d, want %d", term, v.DF[i], df[term])
		}
		minKept = min(minKept, v.DF[i])
	}
	for term, d := range df {
		if _, ok := v.Index(term); !ok && d > minKept && d <= int64(0.3*300) {
			t.Fatalf("%q (df %d) dropped while df %d kept", term, d, minKept)
		}
	}
	var b bytes.Buffer
	if _, err := v.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	v2, err := ReadVocabulary(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v.Terms, v2.Terms) || !slices.Equal(v.Display, v2.Display) || !slices.Equal(v.IDF, v2.IDF) || v.Options != v2.Options {
		t.Fatal("vocabulary does not round-trip")
	}
}

func TestSampleAndModelRoundTrip(t *testing.T) {
	docs := smallCorpus(t, 150)
	res := fitSmall(t, docs, 2, 5)
	m := res.Model
	b := modelBytes(t, m)
	m2, err := ReadModel(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, modelBytes(t, m2)) || m.Fingerprint() != m2.Fingerprint() {
		t.Fatal("model does not round-trip")
	}
	s, err := SampleShard(m.Vocab, FitOptions{Seed: 5, SampleSize: 40}, Docs(docs))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Docs) != 40 || s.Seen != int64(len(docs)) {
		t.Fatalf("sample of %d from %d", len(s.Docs), s.Seen)
	}
	var sb bytes.Buffer
	if _, err := s.WriteTo(&sb); err != nil {
		t.Fatal(err)
	}
	s2, err := ReadSample(bytes.NewReader(sb.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var sb2 bytes.Buffer
	if _, err := s2.WriteTo(&sb2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sb.Bytes(), sb2.Bytes()) {
		t.Fatal("sample does not round-trip")
	}
	// every decoder rejects a flipped bit and a truncation
	for name, obj := range map[string][]byte{"model": b, "sample": sb.Bytes()} {
		bad := slices.Clone(obj)
		bad[len(bad)/2] ^= 0x10
		_, err1 := ReadModel(bytes.NewReader(bad))
		_, err2 := ReadSample(bytes.NewReader(bad))
		_, err3 := ReadModel(bytes.NewReader(obj[:len(obj)-1]))
		_, err4 := ReadSample(bytes.NewReader(obj[:len(obj)-1]))
		if err1 == nil || err2 == nil || err3 == nil || err4 == nil {
			t.Errorf("%s: corruption not detected", name)
		}
		if !errors.Is(err1, ErrCorrupt) {
			t.Errorf("%s: %v does not wrap ErrCorrupt", name, err1)
		}
	}
}

func TestAssignAndOutputs(t *testing.T) {
	docs := smallCorpus(t, 200)
	res := fitSmall(t, docs, 2, 1)
	m := res.Model
	for i, p := range res.Proportions {
		if p == nil {
			continue
		}
		var s float64
		for _, x := range p {
			if x < 0 {
				t.Fatalf("doc %d: negative proportion", i)
			}
			s += x
		}
		if s < 0.999999 || s > 1.000001 {
			t.Fatalf("doc %d: proportions sum to %v", i, s)
		}
	}
	if p := Assign(m, "1234 !!! the and of"); p != nil {
		t.Errorf("no vocabulary term, got %v", p)
	}
	p := Assign(m, docs[0].Text)
	if !slices.Equal(p, res.Proportions[0]) {
		t.Error("Assign differs from the fit's assignment")
	}
	if q := AssignTokens(m, Tokens(docs[0].Text, nil)); !slices.Equal(p, q) {
		t.Error("AssignTokens differs from Assign")
	}
	shares := DocTopics([]float64{0.2, 0.005, 0.5, 0.295}, 0)
	want := []TopicShare{{2, 0.5}, {3, 0.295}, {0, 0.2}}
	if !slices.Equal(shares, want) {
		t.Errorf("DocTopics = %v", shares)
	}
	rows := DocTopicRows("a,b.txt", shares)
	if rows[0][0] != "a,b.txt" || rows[0][1] != "002" || rows[0][2] != "0.5" {
		t.Errorf("rows %v", rows)
	}
	tt := TopTerms(m, 10)
	if len(tt) != m.K {
		t.Fatalf("%d topics", len(tt))
	}
	for k, ts := range tt {
		if len(ts) != 10 {
			t.Fatalf("topic %d: %d terms", k, len(ts))
		}
		for i := 1; i < len(ts); i++ {
			if ts[i].Weight > ts[i-1].Weight || (ts[i].Weight == ts[i-1].Weight && ts[i].Stem < ts[i-1].Stem) {
				t.Fatalf("topic %d not ordered", k)
			}
		}
	}
	var b bytes.Buffer
	if err := WriteTopicTerms(&b, tt, true); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if lines[0] != "topic,term,weight" || len(lines) != 1+10*m.K || !strings.HasPrefix(lines[1], "000,") {
		t.Errorf("topic-terms.csv starts %q (%d lines)", lines[:2], len(lines))
	}
}

func TestFitOptionsChecked(t *testing.T) {
	docs := smallCorpus(t, 30)
	for _, o := range []FitOptions{{K: 101}, {K: 5, Anneal: []float64{10, -1}}} {
		if _, err := Fit(docs, 1, DriverOptions{Fit: o}); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if _, err := Fit([]Document{{ID: "x", Text: "12 34"}}, 1, DriverOptions{}); err == nil {
		t.Error("a collection without terms was fitted")
	}
}

// The initialisation keeps, of its restarts, the annealing run of highest mean log-likelihood
// on the sample (ties to the earliest); one restart is the plain annealing of restart 0, and
// Restarts goes through the model object.
func TestInitRestartsKeepTheBestRun(t *testing.T) {
	docs := smallCorpus(t, 200)
	res, err := Fit(docs, 2, DriverOptions{Fit: FitOptions{K: 5, Seed: 3, Restarts: 3, Rounds: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Model.Options.Restarts != 3 {
		t.Fatalf("model read back with %d restarts, want 3", res.Model.Options.Restarts)
	}
	v := res.Model.Vocab
	o := FitOptions{K: 5, Seed: 3}.withDefaults()
	s, err := SampleShard(v, o, Docs(docs))
	if err != nil {
		t.Fatal(err)
	}
	var idx [][]int32
	var val [][]float64
	for _, d := range s.Docs {
		idx = append(idx, d.Terms)
		val = append(val, weigh(v, d.Terms, d.Counts, nil))
	}
	var lls []float64
	var mus [][]float64
	for r := 0; r < 3; r++ {
		mu, pi, _ := anneal(context.Background(), idx, val, v.Len(), o, r, nil, 0)
		lls = append(lls, sampleLogLik(idx, val, mu, pi, o))
		mus = append(mus, mu)
	}
	best := 0
	for r, ll := range lls {
		if ll > lls[best] {
			best = r
		}
	}
	for restarts, want := range map[int][]float64{1: mus[0], 3: mus[best]} {
		o.Restarts = restarts
		m, err := InitModel(context.Background(), v, Seq([]*Sample{s}), o)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Mu, want) {
			t.Errorf("%d restarts: not the topics of the best run (log-likelihoods %v)", restarts, lls)
		}
	}
	if _, err := InitModel(context.Background(), v, Seq([]*Sample{s}), FitOptions{K: 5, Seed: 3, Restarts: MaxRestarts + 1}); err == nil {
		t.Error("too many restarts accepted")
	}
}

// TestInitModelRefusals: a cancelled context ends the fit with its error (a stop request while
// the initial model is fitted), and fewer documents than topics is a TooFewDocumentsError, not
// K copies of a few topics.
func TestInitModelRefusals(t *testing.T) {
	docs := smallCorpus(t, 200)
	res, err := Fit(docs, 2, DriverOptions{Fit: FitOptions{K: 5, Seed: 3, Rounds: 1}})
	if err != nil {
		t.Fatal(err)
	}
	v := res.Model.Vocab
	o := FitOptions{K: 5, Seed: 3}.withDefaults()
	s, err := SampleShard(v, o, Docs(docs))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := InitModel(ctx, v, Seq([]*Sample{s}), o); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled fit: %v, want context.Canceled", err)
	}
	few, err := SampleShard(v, o, Docs(docs[:3]))
	if err != nil {
		t.Fatal(err)
	}
	var tooFew *TooFewDocumentsError
	if _, err := InitModel(context.Background(), v, Seq([]*Sample{few}), o); !errors.As(err, &tooFew) || tooFew.K != 5 || tooFew.Documents > 3 {
		t.Errorf("3 documents, K=5: %v, want a TooFewDocumentsError", err)
	}
	// Many documents, but only three different ones: K=5 would give copies too.
	var alike []Document // texts differ only in a word outside the vocabulary
	for i := 0; i < 40; i++ {
		alike = append(alike, Document{ID: fmt.Sprintf("a%d", i), Text: docs[i%3].Text + " " + strings.Repeat("q", i+5)})
	}
	same, err := SampleShard(v, o, Docs(alike))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := InitModel(context.Background(), v, Seq([]*Sample{same}), o); !errors.As(err, &tooFew) || !tooFew.Distinct || tooFew.Documents > 3 {
		t.Errorf("40 documents, 3 different, K=5: %v, want a TooFewDocumentsError of distinct documents", err)
	}
}

// TestRestartsAtOnce: one restart per core (per whole core of the CPU the fit is given, when
// given), fewer when their memory would pass the budget, never none.
func TestRestartsAtOnce(t *testing.T) {
	prev := runtime.GOMAXPROCS(8)
	defer runtime.GOMAXPROCS(prev)
	for _, c := range []struct {
		restarts, V, K, n int
		cpus              float64
		want              int
	}{
		{4, 300, 10, 1000, 0, 4},       // small: all four at once
		{1, 300, 10, 1000, 0, 1},       // one restart
		{16, 300, 10, 1000, 0, 8},      // one per core
		{4, 50_000, 50, 20_000, 0, 3},  // 60 MB + 8 MB a run: three fit in 256 MiB
		{4, 50_000, 100, 20_000, 0, 1}, // 136 MB a run: one at a time
		{4, 300, 10, 1000, 0.58, 1},    // a 1,024 MB Lambda function: one at a time
		{4, 300, 10, 1000, 1.16, 1},    // 2,048 MB: still one whole core
		{4, 300, 10, 1000, 3.46, 3},    // 6,144 MB
		{4, 300, 10, 1000, 16, 4},      // more CPU than GOMAXPROCS or restarts
	} {
		if got := restartsAtOnce(c.restarts, c.V, c.K, c.n, c.cpus); got != c.want {
			t.Errorf("restartsAtOnce(%d, V=%d, K=%d, n=%d, cpus %v) = %d, want %d", c.restarts, c.V, c.K, c.n, c.cpus, got, c.want)
		}
	}
}

// TestProportionsAreShares: a document's proportions are the shares of it its topics explain,
// as Comprehend's doc-topics.csv gives them (found from outside: a line two thirds of whose words
// were one topic's and one third another's got one row, proportion 1, as the mixture's
// membership probability was; 0 of 90 such documents got a second row).
func TestProportionsAreShares(t *testing.T) {
	sport := strings.Fields("football striker goal referee league match stadium penalty keeper midfield coach season")
	food := strings.Fields("oven flour butter recipe bake dough sugar whisk pastry simmer garlic kitchen")
	var docs []Document
	for i := 0; i < 300; i++ {
		words := sport
		if i%2 == 1 {
			words = food
		}
		var b strings.Builder
		for k := 0; k < 8; k++ {
			b.WriteString(words[(i*7+k*5)%len(words)] + " ")
		}
		docs = append(docs, Document{ID: fmt.Sprint(i), Text: b.String()})
	}
	res, err := Fit(docs, 2, DriverOptions{Fit: FitOptions{K: 2, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text     string
		min, max float64 // of the sport topic's share
	}{
		{"football striker goal referee league match oven flour butter", 0.55, 0.8},
		{"football striker goal oven flour butter recipe bake dough", 0.2, 0.45},
		{"football striker goal referee league match stadium penalty", 0.99, 1},
	} {
		p := Assign(res.Model, tc.text)
		sportTopic := Argmax(Assign(res.Model, "football striker goal referee league match stadium penalty keeper"))
		if p == nil || p[sportTopic] < tc.min || p[sportTopic] > tc.max {
			t.Errorf("%q: proportions %v (sport topic %d), want its share in [%v, %v]", tc.text, p, sportTopic, tc.min, tc.max)
		}
	}
}
