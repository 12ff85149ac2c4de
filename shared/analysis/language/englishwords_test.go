package language

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

// englishWordsReference is the allocation-heavy englishWords englishWords replaced.
func englishWordsReference(text string) int {
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\''
	}) {
		if distinctlyEnglish[w] && !seen[w] {
			seen[w] = true
			if len(seen) >= 3 {
				break
			}
		}
	}
	return len(seen)
}

// TestEnglishWordsMatchesReference compares englishWords with the reference on random mixes of
// English words (any case), other words, accents, apostrophes, punctuation and long words.
func TestEnglishWordsMatchesReference(t *testing.T) {
	var english []string
	for w := range distinctlyEnglish {
		english = append(english, w)
	}
	others := []string{"le", "der", "Straße", "ÉTÉ", "naïve", "don't", "l'été", "x", "", "ΑΒΓ", "İstanbul", strings.Repeat("a", 40), "THE" + strings.Repeat("É", 20)}
	seps := []string{" ", ", ", ".", "\n", "—", "1", "'", "  ", "\t"}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for k := rng.IntN(12); k >= 0; k-- {
			w := others[rng.IntN(len(others))]
			if rng.IntN(2) == 0 {
				w = english[rng.IntN(len(english))]
				switch rng.IntN(3) {
				case 0:
					w = strings.ToUpper(w)
				case 1:
					w = strings.ToUpper(w[:1]) + w[1:]
				}
			}
			b.WriteString(w)
			b.WriteString(seps[rng.IntN(len(seps))])
		}
		text := b.String()
		if got, want := englishWords(text), englishWordsReference(text); got != want {
			t.Fatalf("englishWords(%q) = %d, reference %d", text, got, want)
		}
	}
}
