package sentiment_test

import (
	"testing"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/job"
)

// TestSentimentOutsideFailures are failures seen from outside (issue 10), each a regression
// test: a double negative ("hard not to", "can't help but") affirms.
func TestSentimentOutsideFailures(t *testing.T) {
	reg, err := analysis.DefaultRegistry()
	if err != nil {
		t.Fatal(err)
	}
	as, err := reg.Lookup([]job.Analysis{job.Sentiment})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ text, want string }{
		{"It's hard not to fall head-over-heels in love with that girl.", "POSITIVE"},
		{"It is impossible not to love this little cafe.", "POSITIVE"},
		{"I can't help but love this phone.", "POSITIVE"},
		{"It's hard not to hate this awful place.", "NEGATIVE"},
		{"The food was not good at all.", "NEGATIVE"},
		{"OMG, the food was delicioso!", "NEUTRAL"},
	} {
		var r analysis.Result
		if err := as[0].Analyze(tc.text, analysis.Options{LanguageCode: "en"}, &r); err != nil {
			t.Fatal(err)
		}
		if r.Sentiment != tc.want {
			t.Errorf("%q: %s %+v, want %s", tc.text, r.Sentiment, r.SentimentScore, tc.want)
		}
	}
}
