package topics

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// letters spells i as a word of lower-case letters, so that the tokeniser keeps it.
func letters(prefix string, i int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for {
		b.WriteByte(byte('a' + i%26))
		i /= 26
		if i == 0 {
			return b.String()
		}
	}
}

// TestLongDocumentsSplitIntoTopics: long documents that spread over many terms split into
// topics only at a high concentration (found from outside: 50,000 IMDB reviews at K=20 gave
// twenty copies of one topic, "watch good time character story bad great act think love").
// The schedule is extended past the collection's critical κ, so the topics come out distinct
// and each gathers its own documents.
func TestLongDocumentsSplitIntoTopics(t *testing.T) {
	const K, perTopic, words = 6, 40, 300
	rng := rand.New(rand.NewPCG(7, 11))
	var docs []Document
	var labels []int
	for i := 0; i < K*perTopic; i++ {
		k := i % K
		var b strings.Builder
		for w := 0; w < words; w++ {
			if rng.IntN(20) == 0 { // one word in twenty from the document's topic
				b.WriteString(letters("zq", k*50+rng.IntN(50)))
			} else { // the rest from a large vocabulary every document shares
				b.WriteString(letters("xv", rng.IntN(3000)))
			}
			b.WriteByte(' ')
		}
		docs = append(docs, Document{ID: letters("d", i), Text: b.String()})
		labels = append(labels, k)
	}
	res, err := Fit(docs, 2, DriverOptions{Fit: FitOptions{K: K, Seed: 1, Rounds: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Model.Kappa <= DefaultAnneal[len(DefaultAnneal)-1] {
		t.Errorf("κ %g: the schedule was not extended", res.Model.Kappa)
	}
	tops := map[string]bool{}
	for _, tw := range TopTerms(res.Model, 3) {
		var ts []string
		for _, x := range tw {
			ts = append(ts, x.Term)
		}
		tops[strings.Join(ts, " ")] = true
	}
	if len(tops) != K {
		t.Errorf("%d distinct topics of %d: %v", len(tops), K, tops)
	}
	// Most documents' main topic is the one most of their label's documents have.
	count := map[[2]int]int{}
	for i, p := range res.Proportions {
		best := 0
		for k := range p {
			if p[k] > p[best] {
				best = k
			}
		}
		count[[2]int{best, labels[i]}]++
	}
	var pure int
	for k := 0; k < K; k++ {
		var most int
		for l := 0; l < K; l++ {
			most = max(most, count[[2]int{k, l}])
		}
		pure += most
	}
	if purity := float64(pure) / float64(len(docs)); purity < 0.8 {
		t.Errorf("purity %.2f, want at least 0.8", purity)
	}
}

// TestExtendSchedule: a schedule ending below the critical κ gets three more steps, at it, a
// quarter and a half past it (bounded); one that reaches it is left alone.
func TestExtendSchedule(t *testing.T) {
	if got := extendSchedule([]float64{15, 50}, 45); !slices.Equal(got, []float64{15, 50}) {
		t.Errorf("κc 45: %v, want the schedule unchanged", got)
	}
	if got := extendSchedule([]float64{15, 50}, 100); !slices.Equal(got, []float64{15, 50, 100, 125, 150}) {
		t.Errorf("κc 100: %v", got)
	}
	if got := extendSchedule([]float64{15, 50}, 1e12); got[len(got)-1] != maxKappaFactor*50 {
		t.Errorf("κc 1e12: %v, want it bounded at %d×50", got, maxKappaFactor)
	}
	if got := extendSchedule([]float64{15, 50}, math.NaN()); len(got) != 2 {
		t.Errorf("κc NaN: %v", got)
	}
	// The extended schedule stays within what a model may hold (it must read back).
	if got := extendSchedule([]float64{15, 5000}, 9000); got[len(got)-1] > MaxKappa {
		t.Errorf("κc 9000 after 5000: %v, beyond MaxKappa", got)
	}
	if got := extendSchedule(make([]float64, MaxAnnealSteps-2), 100); len(got) > MaxAnnealSteps {
		t.Errorf("a schedule of %d steps extended to %d", MaxAnnealSteps-2, len(got))
	}
}

// TestIdenticalDocumentsMakeOneTopic: a block of identical documents (boilerplate such as an
// automated e-mail footer) is one tight point the annealing pulled several topics onto, and EM
// never separates exact copies (found from outside: 7 of 16 topics held the same "automated
// message" terms; here, the DEP-11 tuning half with 200 copies of one notice gave 3 and 4
// copies of its topic at seeds 1 and 3). Copies are re-seeded elsewhere: every topic differs.
func TestIdenticalDocumentsMakeOneTopic(t *testing.T) {
	docs, _ := half(loadDEP11(t), true)
	const notice = "This is an automated message from the package tracker. Please do not reply to this email; replies are not monitored."
	for i := 0; i < 200; i++ {
		docs = append(docs, Document{ID: letters("bp", i), Text: notice})
	}
	for _, seed := range []int64{1, 3} {
		res, err := Fit(docs, 4, DriverOptions{Fit: FitOptions{K: 10, Seed: seed}})
		if err != nil {
			t.Fatal(err)
		}
		m := res.Model
		for a := 0; a < m.K; a++ {
			for b := a + 1; b < m.K; b++ {
				var d float64
				for j := 0; j < m.V; j++ {
					d += m.Mu[j*m.K+a] * m.Mu[j*m.K+b]
				}
				if d >= copyCos {
					t.Errorf("seed %d: topics %d and %d are copies (cosine %.4f): %v / %v", seed, a, b, d,
						TopTerms(m, 5)[a], TopTerms(m, 5)[b])
				}
			}
		}
	}
}
