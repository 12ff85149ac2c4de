package keyphrases

import (
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

// dataPath is the KDD/WWW key-phrase file of ../shared/data (1,952 abstracts of Gollapalli
// and Caragea, AAAI 2014; see that directory's README).
func dataPath() string { return filepath.Join(evaltest.DataDir(), "keyphrases-kdd-www.jsonl") }

// partOf is the part of the key-phrase data an abstract belongs to, fixed once by the FNV-1a
// hash of its id: "train" (70 %), "dev" (10 %, for choosing the trainer's settings) or
// "heldout" (20 %, reported only: never trained or tuned on).
func partOf(id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	switch r := h.Sum32() % 10; {
	case r < 7:
		return "train"
	case r == 7:
		return "dev"
	default:
		return "heldout"
	}
}

// readKPPart reads one part of the key-phrase data, or skips when the file is absent.
func readKPPart(t testing.TB, part string) []goldPhrases {
	t.Helper()
	p := dataPath()
	if _, err := os.Stat(p); err != nil {
		t.Skipf("key-phrase data absent (%v); set REAM_DATA_DIR", err)
	}
	var out []goldPhrases
	for _, g := range evaltest.ReadJSONL[goldPhrases](t, p) {
		if partOf(g.ID) == part {
			out = append(out, g)
		}
	}
	return out
}

// TestKeyPhrasesHeldOut is KEY_PHRASES' headline figure: F1@10 with stemmed matching (the
// analyser's stem on every word of predicted and gold phrases; a prediction matches a gold
// phrase when the stemmed word sequences are equal; the top 10 distinct phrases by score
// against all gold phrases; macro-averaged over abstracts) on the held-out 20 % of
// keyphrases-kdd-www.jsonl, which the ranker was neither trained nor tuned on, next to the
// baseline (the TF-IDF ranking of whole chunks) on the same abstracts. REAM_KP_SHOW=1 prints
// each abstract's top 10.
func TestKeyPhrasesHeldOut(t *testing.T) {
	gold := readKPPart(t, "heldout")
	if len(gold) < 300 {
		t.Fatalf("only %d held-out abstracts", len(gold))
	}
	nGold := 0
	for _, g := range gold {
		nGold += len(g.KeyPhrases)
	}
	base, err := newKeyPhrasesTables(Config{})
	if err != nil {
		t.Fatal(err)
	}
	b := evalKPWith(t, func(s string) []result.KeyPhrase { return base.extract(s, false) }, gold, false)
	m := evalKP(t, newKeyPhrases(t), gold, os.Getenv("REAM_KP_SHOW") != "")
	t.Logf("KEY_PHRASES held-out: %d abstracts of keyphrases-kdd-www.jsonl (KDD+WWW, %d gold phrases), stemmed exact match, top 10", len(gold), nGold)
	t.Logf("  learned ranker: P@10 %.3f  R@10 %.3f  F1@10 %.3f", m.P, m.R, m.F1)
	t.Logf("  baseline (TF-IDF ranking of whole chunks): P@10 %.3f  R@10 %.3f  F1@10 %.3f", b.P, b.R, b.F1)
	if m.F1 <= b.F1 {
		t.Errorf("learned F1@10 %.3f does not beat the baseline %.3f", m.F1, b.F1)
	}
	c := evalKPWith(t, extractionCeiling(gold), gold, false)
	t.Logf("  ceiling of any extractor of 10 phrases (every gold phrase found in the text, stemmed, listed first): P@10 %.3f  R@10 %.3f  F1@10 %.3f", c.P, c.R, c.F1)
	if m.F1 >= c.F1 {
		t.Errorf("learned F1@10 %.3f at or above the extraction ceiling %.3f: the ceiling is wrong", m.F1, c.F1)
	}
	if m.F1 < heldOutFloor {
		t.Errorf("held-out F1@10 %.3f < %.2f", m.F1, heldOutFloor)
	}
}

// extractionCeiling returns the extractor that knows the gold: for each abstract of gold, the
// gold phrases whose stemmed words occur contiguously in the stemmed text, then phrases that
// match nothing up to 10. No extractor of 10 phrases does better on F1@10 with stemmed matching:
// the gold phrases absent from the text (about half of them) cannot be found. It is a property
// of the data, not a tuning signal.
func extractionCeiling(gold []goldPhrases) func(string) []result.KeyPhrase {
	found := map[string][]result.KeyPhrase{}
	for _, g := range gold {
		text := " " + phraseKey(g.Text) + " "
		var out []result.KeyPhrase
		seen := map[string]bool{}
		for _, p := range g.KeyPhrases {
			k := phraseKey(p)
			if k != "" && !seen[k] && strings.Contains(text, " "+k+" ") {
				seen[k] = true
				out = append(out, result.KeyPhrase{Text: p, Score: 1})
			}
		}
		for i := len(out); i < 10; i++ {
			out = append(out, result.KeyPhrase{Text: fmt.Sprintf("zzfiller%c", 'a'+i), Score: 0})
		}
		found[g.Text] = out
	}
	return func(s string) []result.KeyPhrase { return found[s] }
}

// heldOutFloor is a regression floor just under the measured held-out F1@10.
const heldOutFloor = 0.17

// TestTrainKeyPhrases trains the KEY_PHRASES ranker (`make train-keyphrases`): logistic
// regression over featuresOf of every candidate of the train part, labelled by whether it
// matches a gold phrase (stemmed), fitted by full-batch gradient descent with AdaGrad steps and
// L2 (no randomness, so the weights file is byte-identical on re-run); it reports F1@10 on the
// dev part and writes models/keyphrases.txt and the keyphraseness counts of the train part,
// lexicon/keyphrase_gold.txt. A train abstract's keyphraseness features leave the abstract
// itself out (its own gold phrases would otherwise give its labels away). It runs only with
// REAM_TRAIN_KP=1. The iterations (3,000) were chosen on dev (1,500: 0.209, 3,000: 0.214,
// 6,000: 0.210, measured with the extra listing, before extras skipped nested phrases; the
// listing was removed later, and the weights were not retrained: training never depended on it).
func TestTrainKeyPhrases(t *testing.T) {
	if os.Getenv("REAM_TRAIN_KP") == "" {
		t.Skip("set REAM_TRAIN_KP=1 (make train-keyphrases) to retrain models/keyphrases.txt")
	}
	const (
		iters = 3000
		rate  = 0.3
		l2    = 1e-5
	)
	a, err := newKeyPhrasesTables(Config{})
	if err != nil {
		t.Fatal(err)
	}
	train := readKPPart(t, "train")
	dev := readKPPart(t, "dev")
	kp, ownKP := keyphraseness(train)
	a.setKP(kp)
	kpAt := 0
	for kpAt < len(featureNames) && featureNames[kpAt] != "kp_gold" {
		kpAt++
	}
	nf := len(featureNames)
	var xs []float64
	var ys []float64
	x := make([]float64, nf)
	pos, covered, nGold := 0, 0, 0
	for _, g := range train {
		want := map[string]bool{}
		for _, p := range g.KeyPhrases {
			want[phraseKey(p)] = true
		}
		nGold += len(want)
		d := a.candidates(g.Text, nil, true)
		own := ownKP(g)
		ownHead := map[string]int32{}
		for k := range want {
			ownHead[lastStem(k)]++
		}
		for gi := range d.gs {
			a.featuresOf(d, &d.gs[gi], x)
			// keyphraseness leaves the abstract itself out
			k := d.gs[gi].key
			st, o := kp[k], own[k]
			kf := kpFeatures(st.gold-o.gold, st.occ-o.occ, a.kpHead[lastStem(k)]-ownHead[lastStem(k)])
			copy(x[kpAt:], kf[:])
			xs = append(xs, x...)
			y := 0.0
			if want[d.gs[gi].key] {
				y = 1
				pos++
				covered++
			}
			ys = append(ys, y)
		}
	}
	n := len(ys)
	t.Logf("train: %d abstracts, %d candidates, %d positive (%.1f%% of %d gold phrases are candidates)", len(train), n, pos, 100*float64(covered)/float64(nGold), nGold)
	w := make([]float64, nf)
	grad := make([]float64, nf)
	hist := make([]float64, nf)
	for it := 0; it < iters; it++ {
		for j := range grad {
			grad[j] = l2 * w[j]
		}
		loss := 0.0
		for i := 0; i < n; i++ {
			xi := xs[i*nf : (i+1)*nf]
			z := 0.0
			for j, v := range xi {
				z += w[j] * v
			}
			p := 1 / (1 + math.Exp(-z))
			if ys[i] == 1 {
				loss -= math.Log(p + 1e-12)
			} else {
				loss -= math.Log(1 - p + 1e-12)
			}
			r := (p - ys[i]) / float64(n)
			for j, v := range xi {
				grad[j] += r * v
			}
		}
		for j := range w {
			hist[j] += grad[j] * grad[j]
			w[j] -= rate * grad[j] / (math.Sqrt(hist[j]) + 1e-8)
		}
		if it%100 == 0 || it == iters-1 {
			t.Logf("iteration %d: log loss %.5f", it, loss/float64(n))
		}
	}
	var sb strings.Builder
	for i, name := range featureNames {
		fmt.Fprintf(&sb, "%s\t%s\n", name, strconv.FormatFloat(w[i], 'g', 8, 64))
	}
	a.model, err = parseKPModel(sb.String())
	if err != nil {
		t.Fatal(err)
	}
	e := evalKP(t, a, dev, os.Getenv("REAM_KP_SHOW") != "")
	t.Logf("dev: %d abstracts, P@10 %.3f R@10 %.3f F1@10 %.3f", len(dev), e.P, e.R, e.F1)
	if os.Getenv("REAM_KP_DIAG") != "" {
		b := evalKPWith(t, func(s string) []result.KeyPhrase { return a.extract(s, false) }, dev, false)
		t.Logf("dev baseline: F1@10 %.3f", b.F1)
		// the ranking of all candidates, without the one-phrase-per-chunk listing
		free := func(s string) []result.KeyPhrase {
			d := a.candidates(s, nil, true)
			var out []result.KeyPhrase
			for gi := range d.gs {
				a.featuresOf(d, &d.gs[gi], x)
				z := 0.0
				for j, v := range x {
					z += a.model[j] * v
				}
				g := &d.gs[gi]
				out = append(out, result.KeyPhrase{Text: s[d.toks[g.first].Begin:d.toks[g.first+len(g.stems)-1].End], Score: z})
			}
			return out
		}
		f := evalKPWith(t, free, dev, false)
		t.Logf("dev free ranking of all candidates: F1@10 %.3f", f.F1)
		ranked := map[string][]result.KeyPhrase{}
		for _, g := range dev {
			want := map[string]bool{}
			for _, p := range g.KeyPhrases {
				want[phraseKey(p)] = true
			}
			var keep []result.KeyPhrase
			for _, p := range free(g.Text) {
				p.Score = 0
				if want[phraseKey(p.Text)] {
					p.Score = 1
				}
				keep = append(keep, p)
			}
			ranked[g.Text] = keep
		}
		o := evalKPWith(t, func(s string) []result.KeyPhrase { return ranked[s] }, dev, false)
		t.Logf("dev ceiling (every gold phrase among the candidates ranked first): F1@10 %.3f", o.F1)
	}
	head := fmt.Sprintf("# KEY_PHRASES ranker: logistic regression over featuresOf, written by `make train-keyphrases`\n"+
		"# (TestTrainKeyPhrases) from the train part of keyphrases-kdd-www.jsonl (%d abstracts, %d candidates,\n"+
		"# %d positive); %d iterations, AdaGrad rate %g, L2 %g. Dev part (%d abstracts): F1@10 %.3f.\n",
		len(train), n, pos, iters, rate, l2, len(dev), e.F1)
	if err := os.WriteFile(filepath.Join("lexicon", "keyphrase_gold.txt"), []byte(kpLexicon(kp, len(train))), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("models", "keyphrases.txt"), []byte(head+sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// keyphraseness counts, over the abstracts of train, those in which each gold phrase key is
// gold and those whose stemmed text holds it; own gives one abstract's share (1 or 0 each), for
// features that leave the abstract itself out.
func keyphraseness(train []goldPhrases) (map[string]kpStat, func(goldPhrases) map[string]kpStat) {
	kp := map[string]kpStat{}
	maxW := 0
	for _, g := range train {
		for k := range goldKeys(g) {
			st := kp[k]
			st.gold++
			kp[k] = st
			maxW = max(maxW, strings.Count(k, " ")+1)
		}
	}
	own := func(g goldPhrases) map[string]kpStat {
		m := map[string]kpStat{}
		for k := range goldKeys(g) {
			m[k] = kpStat{gold: 1}
		}
		words := strings.Fields(phraseKey(g.Text))
		for i := range words {
			for j := i + 1; j <= len(words) && j-i <= maxW; j++ {
				k := strings.Join(words[i:j], " ")
				if _, ok := kp[k]; ok {
					st := m[k]
					st.occ = 1
					m[k] = st
				}
			}
		}
		return m
	}
	for _, g := range train {
		for k, o := range own(g) {
			st := kp[k]
			st.occ += o.occ
			kp[k] = st
		}
	}
	return kp, own
}

// goldKeys are the distinct non-empty phrase keys of an abstract's gold phrases.
func goldKeys(g goldPhrases) map[string]bool {
	m := map[string]bool{}
	for _, p := range g.KeyPhrases {
		if k := phraseKey(p); k != "" {
			m[k] = true
		}
	}
	return m
}

// kpLexicon is lexicon/keyphrase_gold.txt: keyphraseness counts, sorted by key.
func kpLexicon(kp map[string]kpStat, docs int) string {
	keys := make([]string, 0, len(kp))
	for k := range kp {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	fmt.Fprintf(&sb, "# KEY_PHRASES keyphraseness, written by TestTrainKeyPhrases (make train-keyphrases) from the\n"+
		"# train part of keyphrases-kdd-www.jsonl (%d abstracts): stemmed phrase key<TAB>abstracts in which\n"+
		"# it is a gold phrase<TAB>abstracts whose stemmed text holds it.\n", docs)
	for _, k := range keys {
		fmt.Fprintf(&sb, "%s\t%d\t%d\n", k, kp[k].gold, kp[k].occ)
	}
	return sb.String()
}
