package keyphrases

import (
	"strings"
	"testing"
)

// TestKeyPhrasesOutsideFailures are failures seen from outside (issue 10), each a regression
// test: a phrase never crosses a line break ("music⏎Dum Dum Girls").
func TestKeyPhrasesOutsideFailures(t *testing.T) {
	a, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		"The festival lineup features indie music\nDum Dum Girls will headline on Friday.",
		"Local bands and indie music\r\nDum Dum Girls headline",
		"Top stories\n\nStocks fall in Tokyo trading",
		// NEL, found from outside ("Berlin\u0085NEL Angela Merkel" was one phrase), and the
		// other Unicode line ends.
		"Chancellor visits Berlin\u0085NEL Angela Merkel", // (one phrase before: "Berlin\u0085NEL Angela Merkel")
		"Berlin\u0085Angela Merkel",
		"indie music\u2028Dum Dum Girls",
		"indie music\u2029Dum Dum Girls",
		"indie music\vDum Dum Girls",
		"indie music\fDum Dum Girls",
		// a connector at a line's end did not stop the phrase: "Bank of⏎England" was one
		"Meeting at the Bank of\nEngland today",
		"the Ministry of\r\nCommerce announced",
		"IBM of\vWorld Cup",
	} {
		var found []string
		for _, k := range a.Extract(text) {
			found = append(found, k.Text)
			if strings.ContainsAny(k.Text, "\n\r\v\f\u0085\u2028\u2029") { // Unicode's mandatory line breaks
				t.Errorf("%q: phrase %q crosses a line break", text, k.Text)
			}
			if string([]rune(text)[k.BeginOffset:k.EndOffset]) != k.Text {
				t.Errorf("%q: phrase %q at %d–%d", text, k.Text, k.BeginOffset, k.EndOffset)
			}
		}
		if len(found) == 0 {
			t.Errorf("%q: no phrases", text)
		}
	}
}

// TestKeyPhrasesCanonicalPhrase is the other failure seen from outside (issue 10): readers
// annotate the short canonical phrase ("Michael Buble"), the chunker found "star Michael Buble
// kisses". Sub-phrases are candidates, and the learned ranker lists the name.
func TestKeyPhrasesCanonicalPhrase(t *testing.T) {
	a := newKeyPhrases(t)
	for _, text := range []string{
		"Photos show star Michael Buble kisses fans after the concert.",
		"Canadian singer and star Michael Buble kisses his wife at the awards in Los Angeles.",
	} {
		found := false
		for _, k := range a.Extract(text) {
			if strings.Contains(k.Text, "star") || strings.Contains(k.Text, "kisses") {
				t.Errorf("%q: phrase %q, want the name alone", text, k.Text)
			}
			found = found || k.Text == "Michael Buble"
		}
		if !found {
			t.Errorf("%q: no phrase \"Michael Buble\" in %+v", text, a.Extract(text))
		}
	}
	// a sub-phrase never splits a name, at a sentence start either
	for _, k := range a.Extract("New York will start charging drivers a congestion fee. New York officials agreed.") {
		if k.Text == "York" || k.Text == "York officials" {
			t.Errorf("phrase %q splits New York", k.Text)
		}
	}
}

// TestKeyPhrasesTextEndingInAName: a phrase of two or more words that ends the text on a
// capitalised word read one token past the end (index out of range: found from outside on 2 of
// 300 DEP-11 descriptions, "It uses the tracer Calltree"). Every arrangement of a few words,
// capitalised or not, at the end of a text must give phrases whose offsets hold their text.
func TestKeyPhrasesTextEndingInAName(t *testing.T) {
	a := newKeyPhrases(t)
	for _, text := range []string{
		"I bought the phone from Samsung",
		"We love the new manager Smith",
		"It uses the tracer Calltree",
		"my big Calltree",
		"We met the new CEO John",
	} {
		if len(a.Extract(text)) == 0 {
			t.Errorf("%q: no phrases", text)
		}
	}
	words := []string{"the", "new", "manager", "Smith", "big", "Calltree", "data", "Mining", "of"}
	var build func(prefix []string, depth int)
	build = func(prefix []string, depth int) {
		if depth == 0 {
			text := "We met " + strings.Join(prefix, " ")
			for _, k := range a.Extract(text) {
				if string([]rune(text)[k.BeginOffset:k.EndOffset]) != k.Text {
					t.Fatalf("%q: phrase %q at %d–%d", text, k.Text, k.BeginOffset, k.EndOffset)
				}
			}
			return
		}
		for _, w := range words {
			build(append(prefix, w), depth-1)
		}
	}
	for depth := 1; depth <= 4; depth++ {
		build(nil, depth)
	}
}

// TestKeyPhrasesNeverOverlap: the listed phrases are disjoint and in document order, as
// Comprehend's DetectKeyPhrases lists them, in long documents too. An outside check found the
// "extras" (the document's best phrases listed once more beside the chunk occurrences, added
// for the abstracts' F1@10) overlapping the phrases listed for their chunks in 121 of 200
// documents ("semantic indexing" inside "latent semantic indexing", "identity pools" inside
// "Workload identity pools", two phrases at one offset), and junk on reviews; they were
// removed.
func TestKeyPhrasesNeverOverlap(t *testing.T) {
	a := newKeyPhrases(t)
	texts := []string{
		"Workload identity pools let external workloads call cloud services.\n" +
			"Create a workload identity pool in a project, then add a provider to the workload identity pool for each identity source. " +
			"A provider maps the claims of an external token to attributes; an attribute condition limits which tokens the pool accepts. " +
			"Service accounts grant roles to the principals of the pool. Audit logs record every token exchange. " +
			"Deleting a workload identity pool disables its providers for thirty days, after which the pool and its providers are purged. " +
			"Quotas limit the number of pools, providers and attribute mappings per project.",
	}
	// the news articles of testdata always (the abstracts' data may be absent: readKPPart
	// skips the test then, and the checks above must not be skipped with it)
	for _, name := range []string{"articles.jsonl", "unseen.jsonl"} {
		for _, g := range readKPGoldFile(t, name) {
			texts = append(texts, g.Text)
		}
	}
	check := func(texts []string) {
		for _, text := range texts {
			end := 0
			kps := a.Extract(text)
			if len(kps) == 0 {
				t.Errorf("no key phrases in %.60q: the text tests nothing", text)
			}
			for _, k := range kps {
				if k.BeginOffset < end {
					t.Errorf("%q at %d–%d overlaps or precedes the phrase before it (ending at %d) in %.60q", k.Text, k.BeginOffset, k.EndOffset, end, text)
				}
				end = k.EndOffset
			}
		}
	}
	check(texts)
	var abstracts []string
	for _, g := range readKPPart(t, "dev")[:40] {
		abstracts = append(abstracts, g.Text)
	}
	check(abstracts)
}
