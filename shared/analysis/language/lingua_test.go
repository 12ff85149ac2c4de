package language

import (
	"strings"
	"testing"

	"github.com/pemistahl/lingua-go"
	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

// TestLanguageMatchesLingua cross-checks the n-gram re-implementation against lingua-go
// v1.4.0 itself (low-accuracy mode, the same models), which only tests link: with every
// supported language configured, on the DEP-11 set, the top languages must agree on nearly
// every document. Skipped with -short (lingua-go loads its models for 75 languages).
func TestLanguageMatchesLingua(t *testing.T) {
	if testing.Short() {
		t.Skip("loads lingua-go's models")
	}
	rows := evaltest.ReadTSV(t, langidPath(t))
	ours, err := New(Config{Languages: SupportedLanguages()})
	if err != nil {
		t.Fatal(err)
	}
	det := lingua.NewLanguageDetectorBuilder().FromAllLanguages().WithLowAccuracyMode().Build()
	agree, ourOK, linOK := 0, 0, 0
	diffs := map[string]int{}
	for _, r := range rows {
		got := "(none)"
		var res result.Result
		if ours.Analyze(r.Text, result.Options{}, &res) == nil {
			got = res.Languages[0].LanguageCode
		}
		lin := "(none)"
		if l, ok := det.DetectLanguageOf(languageSample(r.Text, DefaultPrefixBytes)); ok {
			lin = strings.ToLower(l.IsoCode639_1().String())
		}
		if got == lin {
			agree++
		} else {
			diffs[r.Label+":"+got+"/"+lin]++
		}
		if got == r.Label {
			ourOK++
		}
		if lin == r.Label {
			linOK++
		}
	}
	n := float64(len(rows))
	t.Logf("all %d languages configured, DEP-11 (%d docs): agreement with lingua-go %.4f; accuracy ours %.4f, lingua-go %.4f; label:ours/lingua differences %v",
		len(SupportedLanguages()), len(rows), float64(agree)/n, float64(ourOK)/n, float64(linOK)/n, diffs)
	if float64(agree)/n < 0.97 {
		t.Errorf("agreement with lingua-go %.4f below 0.97", float64(agree)/n)
	}
	if float64(ourOK) < float64(linOK)-0.005*n {
		t.Errorf("accuracy %.4f more than 0.005 below lingua-go's %.4f", float64(ourOK)/n, float64(linOK)/n)
	}
}
