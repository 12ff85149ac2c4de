package language

import (
	"testing"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

func TestDocumentLanguage(t *testing.T) {
	c := func(pairs ...any) []result.DominantLanguage {
		var out []result.DominantLanguage
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, result.DominantLanguage{LanguageCode: pairs[i].(string), Score: pairs[i+1].(float64)})
		}
		return out
	}
	tests := []struct {
		name, text string
		cands      []result.DominantLanguage
		want       string
	}{
		{"english detected", "The delivery was quick and the product works.", c("en", 0.99), "en"},
		{"english a close second", "Fantastic customer service from Anna.", c("it", 0.59, "en", 0.40), "en"},
		{"english a weak third", "Total rubbish.", c("it", 0.44, "sv", 0.29, "en", 0.07), "en"},
		{"too short to tell", "Great phone.", c("sv", 0.21, "id", 0.18), "en"},
		{"english words in a short text", "Paris is the capital of France.", c("fr", 0.44, "it", 0.32), "en"},
		{"short but confidently french", "Très bon produit.", c("fr", 0.986), "fr"},
		{"short but confidently german", "Schlechte Qualität.", c("de", 0.999), "de"},
		{"confident french", "Le service était excellent et le personnel très aimable.", c("fr", 0.99), "fr"},
		{"confident german", "Das Hotel war sauber, aber das Frühstück war enttäuschend.", c("de", 0.99), "de"},
		{"dutch sharing words with english", "De levering was snel en het product werkt prima.", c("nl", 0.99), "nl"},
		// Words English shares with another language, and one English-looking word against a
		// confident candidate, no longer make a foreign review English (found from outside).
		{"german will", "Ich will nie wieder hier essen.", c("de", 0.99), "de"},
		{"romanian are", "Clientul are dreptate, serviciul este groaznic.", c("ro", 0.99), "ro"},
		{"french but", "Le but de ce produit reste un mystère.", c("fr", 1.0), "fr"},
		{"spanish has", "¿Ya has terminado el informe trimestral?", c("es", 1.0), "es"},
		{"one english word, confident german", "Das Essen war leider kalt, this ist alles.", c("de", 0.97), "de"},
		{"unidentified script", "यह उत्पाद बहुत खराब है", nil, Undetermined},
		{"digits only", "12345 !!!", nil, Undetermined},
		{"a short latin word", "OK", nil, "en"},
		{"long non-english latin text without candidates", "Zażółć gęślą jaźń, dostawa była szybka i wszystko działa dobrze.", nil, Undetermined},
	}
	for _, tt := range tests {
		if got := DocumentLanguage(tt.text, tt.cands); got != tt.want {
			t.Errorf("%s: DocumentLanguage(%q) = %q, want %q", tt.name, tt.text, got, tt.want)
		}
	}
}
