package analysis

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ream-dev/ream/shared/analysis/entities"
	"github.com/ream-dev/ream/shared/analysis/keyphrases"
	"github.com/ream-dev/ream/shared/analysis/language"
	"github.com/ream-dev/ream/shared/analysis/pii"
	"github.com/ream-dev/ream/shared/analysis/sentiment"
	"github.com/ream-dev/ream/shared/job"
)

// DefaultRegistry builds the analysers Ream ships with their default limits: LANGUAGE
// (language.DefaultLanguages, 100,000 bytes), SENTIMENT (English, 5,000 bytes), ENTITIES,
// KEY_PHRASES and PII (English, 100,000 bytes). Build it once at cold start: the language
// detector preloads its models.
func DefaultRegistry() (Registry, error) { return NewRegistry(nil) }

// NewRegistry is DefaultRegistry with language identification restricted to languages (ISO
// 639-1 codes; empty means language.DefaultLanguages). The detector is built once, for that set.
func NewRegistry(languages []string) (Registry, error) {
	lang, err := language.New(language.Config{Languages: languages, MaxBytes: language.DefaultMaxBytes})
	if err != nil {
		return nil, fmt.Errorf("language analyser: %w", err)
	}
	sent, err := sentiment.New(sentiment.Config{MaxBytes: sentiment.DefaultMaxBytes})
	if err != nil {
		return nil, fmt.Errorf("sentiment analyser: %w", err)
	}
	ents, err := entities.New(entities.Config{})
	if err != nil {
		return nil, fmt.Errorf("entities analyser: %w", err)
	}
	kps, err := keyphrases.New(keyphrases.Config{})
	if err != nil {
		return nil, fmt.Errorf("key phrases analyser: %w", err)
	}
	pi, err := pii.New(pii.Config{})
	if err != nil {
		return nil, fmt.Errorf("PII analyser: %w", err)
	}
	return Registry{lang.Name(): lang, sent.Name(): sent, ents.Name(): ents, kps.Name(): kps, pi.Name(): pi}, nil
}

// RunOrder appends to order the indexes of as in the order to run them over one document, and
// returns it: as given, except that ENTITIES runs before the others, since it hands on the
// person spans its model found (Result.Persons), which PII's NAME then reuses rather than run
// the model again (LANGUAGE, whose language the others read, runs before all of them anyway).
// Each analyser fills only its own fields of the Result, so the order changes nothing in it.
func RunOrder(as []Analyzer, order []int) []int {
	for i, a := range as {
		if a.Name() == job.Entities {
			order = append(order, i)
		}
	}
	for i, a := range as {
		if a.Name() != job.Entities {
			order = append(order, i)
		}
	}
	return order
}

// LanguageCodes lists, sorted, the languages a job's LanguageCode may name in a deployment
// with this registry: the languages its LANGUAGE analyser identifies (its configured set:
// language.DefaultLanguages unless configured) and English, the language of SENTIMENT, ENTITIES,
// KEY_PHRASES and PII. This is the one list: the create use case validates against it.
func (r Registry) LanguageCodes() []string {
	set := map[string]bool{"en": true}
	for _, a := range r {
		if l, ok := a.(interface{ Languages() []string }); ok {
			for _, c := range l.Languages() {
				set[c] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// CanonicalLanguageCode checks a job's LanguageCode, written in any case ("EN", "pt-br",
// "ZH-tw"), and returns it in canonical case: a lower-case language, an upper-case region
// ("pt-BR", "zh-TW"), a title-case script ("zh-Hant"). Its language (or an alias of it, such as
// "no" for nb) must be one of LanguageCodes; otherwise the error wraps job.ErrInvalid and lists
// them. "" (no LanguageCode) is returned as is.
func (r Registry) CanonicalLanguageCode(code string) (string, error) {
	if code == "" {
		return "", nil
	}
	supported := r.LanguageCodes()
	bad := func() error {
		return fmt.Errorf("%w: LanguageCode %q is not supported; supported codes (any case, optionally with a region such as en-US or zh-TW): %s",
			job.ErrInvalid, code, strings.Join(supported, ", "))
	}
	parts := strings.Split(code, "-")
	if len(parts) > 3 || len(parts[0]) < 2 || len(parts[0]) > 3 || !isLetters(parts[0]) {
		return "", bad()
	}
	parts[0] = strings.ToLower(parts[0])
	for i, p := range parts[1:] {
		switch {
		case len(p) == 2 && isLetters(p): // region
			parts[i+1] = strings.ToUpper(p)
		case len(p) == 3 && strings.Trim(p, "0123456789") == "": // UN M.49 region, e.g. es-419
		case len(p) == 4 && isLetters(p): // script
			parts[i+1] = strings.ToUpper(p[:1]) + strings.ToLower(p[1:])
		default:
			return "", bad()
		}
	}
	canon := strings.Join(parts, "-")
	lang := parts[0]
	if a, ok := language.Alias(strings.ToLower(canon)); ok {
		lang = a
	} else if a, ok := language.Alias(lang); ok {
		lang = a
	}
	if !slices.Contains(supported, lang) {
		return "", fmt.Errorf("%w%w", ErrLanguageNotSupported, bad())
	}
	return canon, nil
}

// ErrLanguageNotSupported marks CanonicalLanguageCode's refusal of a well-formed code whose
// language no analyser here supports (as against a malformed one, "en_US").
var ErrLanguageNotSupported = errors.New("")

func isLetters(s string) bool {
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// CheckDeclaredLanguage reports, as an ErrInvalid-wrapped error, that the analysers refuse a
// job's declared LanguageCode (canonical, non-empty): an analyser that supports only some
// languages answers every document of such a job with UNSUPPORTED_LANGUAGE, so the job would
// fail document by document. Each analyser is asked, so that the rule stays its own: it is
// refused when it takes a short English sentence without a declared language but answers it
// UNSUPPORTED_LANGUAGE with this one.
func CheckDeclaredLanguage(as []Analyzer, code string) error {
	if code == "" {
		return nil
	}
	const probe = "The weather in the city was good today."
	unsupported := func(a Analyzer, lang string) *DocError {
		var r Result
		var de *DocError
		if err := a.Analyze(probe, Options{LanguageCode: lang}, &r); errors.As(err, &de) && de.Code == job.CodeUnsupportedLanguage {
			return de
		}
		return nil
	}
	var refused []string
	for _, a := range as {
		if de := unsupported(a, code); de != nil && unsupported(a, "") == nil {
			refused = append(refused, de.Message)
		}
	}
	if len(refused) > 0 {
		return &DeclaredLanguageError{Refused: refused}
	}
	return nil
}

// DeclaredLanguageError is CheckDeclaredLanguage's refusal (job.ErrInvalid): Refused holds each
// refusing analyser's message. Its text advises leaving LanguageCode out, which the /v1 API
// allows; a surface that requires the field (Comprehend's) words its own advice from Refused.
type DeclaredLanguageError struct{ Refused []string }

func (e *DeclaredLanguageError) Error() string {
	return fmt.Sprintf("%v: %s; omit LanguageCode to detect each document's language (the documents in other languages then get UNSUPPORTED_LANGUAGE error records)", job.ErrInvalid, strings.Join(e.Refused, "; "))
}

func (e *DeclaredLanguageError) Unwrap() error { return job.ErrInvalid }
