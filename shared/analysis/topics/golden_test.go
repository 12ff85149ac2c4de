package topics

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"io"
	"slices"
	"testing"
)

// TestDEP11Golden: the reporting half of the DEP-11 collection (fitted as TestQualityDEP11 fits
// it: K=10, the default seed, 4 shards) gives the same bytes as when these sums were taken: its
// vocabulary object, its model and its two output files, topic-terms.csv and doc-topics.csv. A
// change meant for other collections (the vocabulary of a one-document collection) must leave
// a real collection's output as it was.
func TestDEP11Golden(t *testing.T) {
	docs, _ := half(loadDEP11(t), false)
	res, err := Fit(docs, 4, DriverOptions{Fit: FitOptions{K: 10, Seed: DefaultSeed}})
	if err != nil {
		t.Fatal(err)
	}
	var vocab, terms, docTopics bytes.Buffer
	if _, err := res.Model.Vocab.WriteTo(&vocab); err != nil {
		t.Fatal(err)
	}
	if err := WriteTopicTerms(&terms, TopTerms(res.Model, 10), true); err != nil {
		t.Fatal(err)
	}
	cw := csv.NewWriter(&docTopics)
	cw.Write([]string{"docname", "topic", "proportion"})
	for i, p := range res.Proportions {
		cw.WriteAll(DocTopicRows(docs[i].ID, DocTopics(p, 0)))
	}
	cw.Flush()
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"vocabulary", vocab.Bytes(), "edf59f9e3146dad0fb29f169ec6d65ff4e213b60934376b8c3ecdbe3faced441"},
		{"model", modelBytes(t, res.Model), "879937c9129dc79ac7a214bf1501b1f8c8c921f37cb17a48cef61bdbf0d38f2b"},
		{"topic-terms.csv", terms.Bytes(), "ab7bdf4ece542432833a3e2fc13a249acd61b22e9f2072b2573f77edc613d702"},
		{"doc-topics.csv", docTopics.Bytes(), "d533414f9328a18293cfc6eb4129ddd327d448fe999bd9bda9e479f6a8fad2ad"},
	} {
		s := sha256.Sum256(c.b)
		if got := hex.EncodeToString(s[:]); got != c.want {
			t.Errorf("%s: SHA-256 %s, want %s", c.name, got, c.want)
		}
	}
}

// TestTinyCollectionVocabulary: a collection of fewer documents than MinDF (one, by default)
// keeps all its terms, since none could occur in two documents (found from outside: a
// one-document collection had no vocabulary, so no topics, where Comprehend gives some), and
// fits one topic of its words; from two documents on, a term must still be in two of them.
func TestTinyCollectionVocabulary(t *testing.T) {
	vocab := func(texts ...string) *Vocabulary {
		t.Helper()
		s := NewShardStats(0)
		for _, x := range texts {
			s.Add(x)
		}
		var b bytes.Buffer
		if err := WriteStats(&b, s); err != nil {
			t.Fatal(err)
		}
		v, err := BuildVocabulary([]io.Reader{&b}, VocabOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	one := "Chess engines analyse positions; chess players study openings."
	if v := vocab(one); v.MinDF() != 1 || !slices.Equal(v.Terms, []string{"analys", "chess", "engin", "open", "player", "posit", "studi"}) || v.DroppedMinDF != 0 {
		t.Errorf("one document: MinDF %d, terms %q (dropped %d); want MinDF 1 and every term", v.MinDF(), v.Terms, v.DroppedMinDF)
	}
	if v := vocab(one, "Chess clocks time both players."); v.MinDF() != 2 || !slices.Equal(v.Terms, []string{"chess", "player"}) {
		t.Errorf("two documents: MinDF %d, terms %q; want MinDF 2 and the terms they share", v.MinDF(), v.Terms)
	}
	if v := vocab(); v.MinDF() != 1 || v.Len() != 0 {
		t.Errorf("no documents: MinDF %d, %d terms", v.MinDF(), v.Len())
	}
	res, err := Fit([]Document{{ID: "only", Text: one}}, 1, DriverOptions{Fit: FitOptions{K: 1, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Proportions) != 1 || !slices.Equal(res.Proportions[0], []float64{1}) {
		t.Errorf("one document, K=1: proportions %v, want [[1]]", res.Proportions)
	}
	if tt := TopTerms(res.Model, 10); len(tt) != 1 || len(tt[0]) != 7 || tt[0][0].Term != "chess" {
		t.Errorf("one document, K=1: top terms %+v, want its 7 terms, chess first", tt)
	}
}
