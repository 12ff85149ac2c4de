package keyphrases

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

// eval are F1@10 figures over a set of articles: means over articles, and micro P and R.
type eval struct{ F1, P, R, MicroP, MicroR float64 }

// evalKP scores the top 10 distinct phrases of each article against its gold set and logs each
// article's top 10 when show.
func evalKP(t *testing.T, a *Analyzer, gold []goldPhrases, show bool) eval {
	return evalKPWith(t, a.Extract, gold, show)
}

// evalKPWith is evalKP for any extractor (the learned ranking or the TF-IDF baseline).
func evalKPWith(t *testing.T, extract func(string) []result.KeyPhrase, gold []goldPhrases, show bool) eval {
	var sumP, sumR, sumF float64
	var tp, np, ng int
	for _, g := range gold {
		want := map[string]bool{}
		for _, p := range g.KeyPhrases {
			want[phraseKey(p)] = true
		}
		top := Top(extract(g.Text), 10)
		hit := 0
		var shown []string
		for _, p := range top {
			m := want[phraseKey(p.Text)]
			if m {
				hit++
			}
			shown = append(shown, fmt.Sprintf("%s%s(%.2f)", map[bool]string{true: "+", false: ""}[m], p.Text, p.Score))
		}
		pr, rc := evaltest.Ratio(hit, len(top)), evaltest.Ratio(hit, len(want))
		f := 0.0
		if pr+rc > 0 {
			f = 2 * pr * rc / (pr + rc)
		}
		sumP, sumR, sumF = sumP+pr, sumR+rc, sumF+f
		tp, np, ng = tp+hit, np+len(top), ng+len(want)
		if show {
			t.Logf("%-18s F1 %.2f  %s", g.ID, f, strings.Join(shown, "; "))
		}
	}
	n := float64(len(gold))
	return eval{F1: sumF / n, P: sumP / n, R: sumR / n, MicroP: evaltest.Ratio(tp, np), MicroR: evaltest.Ratio(tp, ng)}
}

// TestKeyPhrasesUnseen measures F1@10 on testdata/unseen.jsonl (8 articles written
// after the extractor). REAM_KP_SHOW=1 prints each article's top 10.
func TestKeyPhrasesUnseen(t *testing.T) {
	gold := readKPGoldFile(t, "unseen.jsonl")
	if len(gold) < 8 {
		t.Fatalf("only %d articles", len(gold))
	}
	f := evalKP(t, newKeyPhrases(t), gold, os.Getenv("REAM_KP_SHOW") != "").F1
	t.Logf("KEY_PHRASES on %d unseen articles: F1@10 %.3f", len(gold), f)
	if f < 0.30 {
		t.Errorf("unseen F1@10 %.3f < 0.30", f)
	}
}

// TestKeyPhrasesQARegressions covers the QA findings: phrases are noun phrases, "New York"
// stays whole, "Ministry of Commerce" is one phrase, no duplicates, no bare adjectives, and
// e-mail addresses are not split.
func TestKeyPhrasesQARegressions(t *testing.T) {
	a := newKeyPhrases(t)
	text := "Tourists visit Berlin every summer. Qatar drew with Lebanon. Crews fought a fire near Zaporizhzhia. " +
		"Flights to New York were cancelled. The Ministry of Commerce issued rules. The line was long and the line moved slowly. " +
		"The results were positive and the service was excellent. Write to the email josé@example.com for help."
	kps := a.Extract(text)
	got := map[string]int{}
	for _, p := range kps {
		got[strings.ToLower(p.Text)]++
	}
	for _, bad := range []string{"visit berlin", "qatar drew", "fire near zaporizhzhia", "york", "ministry", "commerce",
		"positive", "excellent", "email josé", "example", "com"} {
		if got[bad] > 0 {
			t.Errorf("unwanted phrase %q in %v", bad, got)
		}
	}
	for _, want := range []string{"new york", "ministry of commerce"} {
		if got[want] == 0 {
			t.Errorf("missing phrase %q in %v", want, got)
		}
	}
	// Every occurrence is listed, as Comprehend does: "the line" twice, at two offsets.
	if got["line"] != 2 {
		t.Errorf("phrase \"line\" listed %d times, want each of its 2 occurrences", got["line"])
	}
	seen := map[int]bool{}
	for _, p := range kps {
		if seen[p.BeginOffset] {
			t.Errorf("two phrases start at offset %d", p.BeginOffset)
		}
		seen[p.BeginOffset] = true
	}
}
