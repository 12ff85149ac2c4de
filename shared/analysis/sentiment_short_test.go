package analysis

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// shortReviewFloor is the accuracy floor on testdata/sentiment-short.tsv.
const shortReviewFloor = 0.93

// TestSentimentShort measures accuracy on held-out short review snippets (1-12 words) and
// logs every miss, the per-class counts and the confusion pairs.
func TestSentimentShort(t *testing.T) {
	a := newSentiment(t)
	rows := readTSV(t, filepath.Join("testdata", "sentiment-short.tsv"))
	if len(rows) < 120 {
		t.Fatalf("only %d short reviews", len(rows))
	}
	correct := 0
	perClass := map[string][2]int{}
	confusion := map[string]int{}
	for _, r := range rows {
		if n := len(strings.Fields(r.text)); n < 1 || n > 12 {
			t.Errorf("%q: %d words, want 1-12", r.text, n)
		}
		var res Result
		if err := a.Analyze(r.text, Options{LanguageCode: "en"}, &res); err != nil {
			t.Fatalf("%q: %v", r.text, err)
		}
		checkScore(t, r.text, res)
		c := perClass[r.label]
		c[1]++
		if res.Sentiment == r.label {
			c[0]++
			correct++
		} else {
			confusion[r.label+"→"+res.Sentiment]++
			t.Logf("miss: want %-8s got %-8s %.2f %q", r.label, res.Sentiment, maxScore(*res.SentimentScore), r.text)
		}
		perClass[r.label] = c
	}
	acc := float64(correct) / float64(len(rows))
	var classes, conf []string
	for l, c := range perClass {
		classes = append(classes, fmt.Sprintf("%s %d/%d", l, c[0], c[1]))
	}
	for k, n := range confusion {
		conf = append(conf, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(classes)
	sort.Strings(conf)
	t.Logf("short-review sentiment accuracy %.4f (%d/%d): %s; errors: %s", acc, correct, len(rows),
		strings.Join(classes, ", "), strings.Join(conf, ", "))
	if acc < shortReviewFloor {
		t.Errorf("accuracy %.4f below the %.2f floor", acc, shortReviewFloor)
	}
}

func maxScore(s SentimentScore) float64 {
	m := s.Positive
	for _, v := range []float64{s.Negative, s.Neutral, s.Mixed} {
		if v > m {
			m = v
		}
	}
	return m
}

// TestSentimentQASpotCheck checks the short reviews a QA pass found misclassified.
// They are kept out of testdata/sentiment-short.tsv, which stays held out.
func TestSentimentQASpotCheck(t *testing.T) {
	a := newSentiment(t)
	for _, tc := range []struct {
		text string
		ok   []string
	}{
		{"Total rubbish.", []string{SentimentNegative}},
		{"Not as described.", []string{SentimentNegative}},
		{"Five stars.", []string{SentimentPositive}},
		{"Not recommended.", []string{SentimentNegative}},
		{"The movie was neither good nor bad.", []string{SentimentNeutral, SentimentMixed}},
		{"Terrible. The lid cracked after a week.", []string{SentimentNegative}},
		{"Absolutely not worth the money. Never again.", []string{SentimentNegative}},
	} {
		var res Result
		if err := a.Analyze(tc.text, Options{LanguageCode: "en"}, &res); err != nil {
			t.Fatalf("%q: %v", tc.text, err)
		}
		checkScore(t, tc.text, res)
		good := false
		for _, l := range tc.ok {
			good = good || res.Sentiment == l
		}
		t.Logf("QA %-5v %-8s %.2f %q", good, res.Sentiment, maxScore(*res.SentimentScore), tc.text)
		if !good {
			t.Errorf("%q: got %s %+v, want %v", tc.text, res.Sentiment, *res.SentimentScore, tc.ok)
		}
	}
}
