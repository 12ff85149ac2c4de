package analysis

import (
	"testing"

	"github.com/ream-dev/ream/shared/job"
)

func TestDefaultRegistry(t *testing.T) {
	r, err := DefaultRegistry()
	if err != nil {
		t.Fatal(err)
	}
	as, err := r.Lookup([]job.Analysis{job.Language, job.Sentiment})
	if err != nil {
		t.Fatal(err)
	}
	if as[0].DefaultMaxBytes() != 100000 || as[1].DefaultMaxBytes() != 5000 {
		t.Errorf("limits %d %d, want 100000 5000", as[0].DefaultMaxBytes(), as[1].DefaultMaxBytes())
	}
	var res Result
	for _, a := range as {
		if err := a.Analyze("I really love this little service, it works wonderfully.", Options{}, &res); err != nil {
			t.Fatalf("%s: %v", a.Name(), err)
		}
	}
	if res.Languages[0].LanguageCode != "en" || res.Sentiment != SentimentPositive {
		t.Errorf("merged result %+v", res)
	}
	all := []job.Analysis{job.Language, job.Sentiment, job.Entities, job.KeyPhrases, job.PII}
	if _, err := r.Lookup(all); err != nil {
		t.Errorf("all five analyses should be registered: %v", err)
	}
	if _, err := r.Lookup([]job.Analysis{"TOPICS"}); err == nil {
		t.Error("an unknown analysis was found")
	}
}
