package analysis

import "fmt"

// DefaultRegistry builds the analysers Ream ships with their default limits: LANGUAGE
// (DefaultLanguages, 100,000 bytes), SENTIMENT (English, 5,000 bytes), ENTITIES, KEY_PHRASES and PII
// (English, 100,000 bytes). Build it once at
// cold start: the language detector preloads its models.
func DefaultRegistry() (Registry, error) { return NewRegistry(nil) }

// NewRegistry is DefaultRegistry with language identification restricted to languages (ISO
// 639-1 codes; empty means DefaultLanguages). The detector is built once, for that set.
func NewRegistry(languages []string) (Registry, error) {
	lang, err := NewLanguage(LanguageConfig{Languages: languages, MaxBytes: DefaultLanguageMaxBytes})
	if err != nil {
		return nil, fmt.Errorf("language analyser: %w", err)
	}
	sent, err := NewSentiment(SentimentConfig{MaxBytes: DefaultSentimentMaxBytes})
	if err != nil {
		return nil, fmt.Errorf("sentiment analyser: %w", err)
	}
	ents, err := NewEntities(EntitiesConfig{})
	if err != nil {
		return nil, fmt.Errorf("entities analyser: %w", err)
	}
	kps, err := NewKeyPhrases(KeyPhrasesConfig{})
	if err != nil {
		return nil, fmt.Errorf("key phrases analyser: %w", err)
	}
	pii, err := NewPII(PIIConfig{})
	if err != nil {
		return nil, fmt.Errorf("PII analyser: %w", err)
	}
	return Registry{lang.Name(): lang, sent.Name(): sent, ents.Name(): ents, kps.Name(): kps, pii.Name(): pii}, nil
}
