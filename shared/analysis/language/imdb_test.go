package language_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis"
	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
)

// TestLanguageIMDBShortEnglish measures LANGUAGE on short English text nobody here wrote or
// tuned on: the sentences of 15 to 99 characters of the IMDB test reviews (module
// github.com/cdipaolo/sentiment, datasets/test; sentences split at . ! ? and a space), with the
// default 33 languages. It reports the share detected as English and what the others came out
// as (short sentences made of names, "Toni Collette also stars", are the usual misses). The
// floor is far below the figure: it catches a collapse, the README carries the figure. Skipped
// without the data set, and with -short.
func TestLanguageIMDBShortEnglish(t *testing.T) {
	if testing.Short() {
		t.Skip("slow evaluation")
	}
	dir := evaltest.IMDBLocation()
	if dir == "" {
		t.Skip("IMDB data set not found; set REAM_IMDB_DIR")
	}
	a := defaultLanguage(t)
	split := regexp.MustCompile(`[.!?]\s+`)
	var n, en int
	other := map[string]int{}
	for _, class := range []string{"pos", "neg"} {
		files, err := filepath.Glob(filepath.Join(dir, class, "*.txt"))
		if err != nil || len(files) == 0 {
			t.Skipf("IMDB data set absent at %s: %v", dir, err)
		}
		slices.Sort(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range split.Split(strings.ReplaceAll(string(b), "<br />", " "), -1) {
				s = strings.TrimSpace(s)
				if c := utf8.RuneCountInString(s); c < 15 || c >= 100 {
					continue
				}
				var r analysis.Result
				if err := a.Analyze(s, analysis.Options{}, &r); err != nil {
					other["(error)"]++
					n++
					continue
				}
				n++
				if len(r.Languages) > 0 && r.Languages[0].LanguageCode == "en" {
					en++
				} else if len(r.Languages) > 0 {
					other[r.Languages[0].LanguageCode]++
				}
			}
		}
	}
	if n == 0 {
		t.Fatalf("no sentence of 15-99 characters in %s", dir)
	}
	share := float64(en) / float64(n)
	t.Logf("IMDB test sentences of 15-99 characters: %d, detected English %d (%.4f); others: %v", n, en, share, other)
	if share < 0.95 {
		t.Errorf("English detected on %.4f of short English review sentences, want at least 0.95", share)
	}
}
