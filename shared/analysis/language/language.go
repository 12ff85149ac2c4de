package language

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
	txt "github.com/ream-dev/ream/shared/analysis/internal/text"
	"github.com/ream-dev/ream/shared/internal/textcut"
	"github.com/ream-dev/ream/shared/job"
)

// Language analyser defaults.
const (
	// DefaultMaxBytes is the LANGUAGE per-document size limit (Comprehend's
	// DetectDominantLanguage accepts 100 KB).
	DefaultMaxBytes = 100_000
	// DefaultPrefixBytes is how much of a document the detector reads. Language
	// identification needs a few sentences, not the whole document: on the DEP-11 evaluation
	// set 300 bytes is about as accurate as 500 and 1000 (0.9957, 0.9966, 0.9963; 150 bytes:
	// 0.9896) at a fraction of the cost (see TestLanguagePrefixSweep, BenchmarkLanguage and
	// doc.go).
	DefaultPrefixBytes = 300
	// languageMinScore is the smallest score a candidate needs to be reported.
	languageMinScore = 0.01
	// languageMaxCandidates is the most candidates reported per document.
	languageMaxCandidates = 3
)

// DefaultLanguages is the default detection set: the 33 languages of the DEP-11 evaluation
// set (ISO 639-1). Restricting the set keeps accuracy high; every language of
// SupportedLanguages (lingua-go's 75) can be configured.
var DefaultLanguages = []string{
	"ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "he", "hr", "hu",
	"id", "it", "ja", "ko", "lt", "nb", "nl", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "tr",
	"uk", "vi", "zh",
}

// aliases maps codes users commonly send to the supported code.
var aliases = map[string]string{
	"no":    "nb", // Norwegian: Bokmål (nb) and Nynorsk (nn) are modelled separately
	"iw":    "he", // deprecated ISO 639-1 code of Hebrew
	"in":    "id", // deprecated ISO 639-1 code of Indonesian
	"zh-cn": "zh",
	"zh-tw": "zh", // Traditional and Simplified Chinese are not told apart
}

// Alias returns the supported code an alias stands for ("no" → "nb", "zh-tw" → "zh"); code
// must be lower case.
func Alias(code string) (string, bool) {
	a, ok := aliases[code]
	return a, ok
}

// Config configures the LANGUAGE analyser.
type Config struct {
	// Languages are the ISO 639-1 codes the detector chooses among (at least two); empty
	// means DefaultLanguages. A document in a language outside the set is reported as the
	// closest language of the set, so configure every language the corpus may hold.
	Languages []string
	// MaxBytes is the per-document size limit; 0 means DefaultMaxBytes.
	MaxBytes int
	// PrefixBytes is how many leading bytes of a document are examined; 0 means
	// DefaultPrefixBytes.
	PrefixBytes int
}

// Analyzer detects the dominant language of a document, restricted to a configured
// set of languages: by script when the script identifies one configured language (Hangul,
// kana, Greek, Hebrew, ...; ngram.go), else, for Latin-, Cyrillic-, Arabic- and
// Devanagari-script text, with lingua-go's algorithms over lingua-go's models: the
// high-accuracy one (1- to 5-grams, ngramshort.go) for samples of fewer than 120 letters, the
// low-accuracy one (trigrams, ngram.go) for longer ones. lingua-go itself is not linked. It is
// safe for concurrent use: the n-gram tables are read-only after decoding.
type Analyzer struct {
	// ngram is the n-gram path (ngram.go); nil when no configured language has an n-gram
	// model (every configured language is identified by its script).
	ngram     *ngramDetector
	languages []string
	maxBytes  int
	prefix    int
	fast      scriptFastPath // see ngram.go
}

// Warm decodes the n-gram tables now (the unigram to trigram ones and, side by side, the
// short-text path's quadrigrams and fivegrams: about 0.4 s in all, once per process and
// language set) rather than at the first document that needs them, so that no job waits for
// them: the processes that analyse documents (the worker, the local stack) call it at start;
// the others (the API) never decode them.
func (a *Analyzer) Warm() error {
	if a.ngram == nil {
		return nil
	}
	var hiErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, hiErr = a.ngram.e.highOrder()
	}()
	_, err := a.ngram.e.tables()
	<-done
	return errors.Join(err, hiErr)
}

// New builds the detector. The n-gram tables are decoded once per process, by Warm or at the
// first document that needs them (see doc.go). Codes outside SupportedLanguages and sets of
// fewer than two languages are errors wrapping job.ErrInvalid.
func New(cfg Config) (*Analyzer, error) {
	codes := cfg.Languages
	if len(codes) == 0 {
		codes = DefaultLanguages
	}
	seen := make(map[string]bool, len(codes))
	var names []string
	for _, c := range codes {
		key := strings.ToLower(strings.TrimSpace(c))
		if a, ok := aliases[key]; ok {
			key = a
		}
		if !languageSupported(key) {
			return nil, fmt.Errorf("%w: language %q is not a supported ISO 639-1 code (supported: %s)",
				job.ErrInvalid, c, strings.Join(SupportedLanguages(), ","))
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		names = append(names, key)
	}
	if len(names) < 2 {
		return nil, fmt.Errorf("%w: language detection needs at least two candidate languages, got %v", job.ErrInvalid, codes)
	}
	if cfg.MaxBytes < 0 || cfg.PrefixBytes < 0 {
		return nil, fmt.Errorf("%w: negative MaxBytes or PrefixBytes", job.ErrInvalid)
	}
	sort.Strings(names)
	a := &Analyzer{
		languages: names,
		maxBytes:  cfg.MaxBytes,
		prefix:    cfg.PrefixBytes,
	}
	ng, err := newNgramDetector(names)
	if err != nil {
		return nil, err
	}
	a.ngram = ng
	if a.maxBytes == 0 {
		a.maxBytes = DefaultMaxBytes
	}
	if a.prefix == 0 {
		a.prefix = DefaultPrefixBytes
	}
	a.fast = newScriptFastPath(names)
	return a, nil
}

// Name implements Analyzer.
func (a *Analyzer) Name() job.Analysis { return job.Language }

// ModelVersion implements Analyzer.
func (a *Analyzer) ModelVersion() string {
	return "ream-ngram-3+lingua-go-1.4.0-models"
}

// DefaultMaxBytes implements Analyzer.
func (a *Analyzer) DefaultMaxBytes() int { return a.maxBytes }

// Languages returns the configured ISO 639-1 codes, sorted.
func (a *Analyzer) Languages() []string { return append([]string(nil), a.languages...) }

// Analyze implements Analyzer: it fills into.Languages with up to three candidates, best
// first, each scoring at least 0.01. A document in which no configured language can be
// recognised (digits, punctuation, symbols, a script none of the languages uses) is a
// DocError with code UNSUPPORTED_LANGUAGE: the analyser never guesses.
func (a *Analyzer) Analyze(text string, _ result.Options, into *result.Result) error {
	// Letters and words are counted in NFC: a combining mark is no letter (NFD "Mu\u0308ller"
	// would be two words), and decomposed Hangul has two or three jamo per syllable. NFC text
	// is returned as is, without allocating.
	raw, _ := txt.NFC(textcut.Prefix(fromFirstLetter(text), a.prefix+languageNormSlack))
	counts := countScripts(raw)
	if counts.letters == 0 {
		return a.fill(nil, into) // digits, punctuation, symbols, emoji: nothing to identify
	}
	if lang := a.fast.detect(&counts); lang != "" {
		into.Languages = []result.DominantLanguage{{LanguageCode: lang, Score: 1}}
		return nil
	}
	sc := counts.majority()
	if a.ngram != nil && ngramScript(sc) && a.ngram.cand[sc] != 0 {
		sample := cutSample(raw, a.prefix)
		out, err := a.ngram.detect(sample, sc, counts.letters, make([]result.DominantLanguage, 0, languageMaxCandidates))
		if err != nil {
			return err // the embedded models are corrupt: a defect of the build, not of the document
		}
		return a.fill(out, into)
	}
	// No n-gram model covers the majority script: the script identifies the language, or
	// no configured language is written in it (UNSUPPORTED_LANGUAGE).
	if lang := a.fast.scriptLanguage(sc, counts.words[scriptKana]); lang != "" {
		into.Languages = []result.DominantLanguage{{LanguageCode: lang, Score: 1}}
		return nil
	}
	return a.fill(nil, into)
}

// fill stores the candidates, or returns UNSUPPORTED_LANGUAGE when there are none.
func (a *Analyzer) fill(out []result.DominantLanguage, into *result.Result) error {
	if len(out) == 0 {
		return &result.DocError{
			Code:    job.CodeUnsupportedLanguage,
			Message: "no supported language could be identified in the document (supported: " + strings.Join(a.languages, ",") + ")",
		}
	}
	into.Languages = out
	return nil
}

// languageSample returns the NFC-normalised first prefix bytes of text, cut at a rune
// boundary and, when one is near, at a word boundary, so that the detector does not see a
// truncated word.
func languageSample(text string, prefix int) string {
	raw, _ := txt.NFC(textcut.Prefix(fromFirstLetter(text), prefix+languageNormSlack))
	return cutSample(raw, prefix)
}

// fromFirstLetter is text from its first letter on: the sample is the first prefix bytes of
// the text itself, not of the white space, digits, punctuation, symbols or emoji before it,
// which tell no language and would otherwise use up the sample (found from outside: an
// indented paragraph, or a review after a row of dashes or emoji, was UNSUPPORTED_LANGUAGE).
// A text without a letter is returned whole (it has nothing to identify either way).
func fromFirstLetter(text string) string {
	if i := strings.IndexFunc(text, unicode.IsLetter); i > 0 {
		return text[i:]
	}
	return text
}

// languageNormSlack: a little more than the prefix is normalised, so that a combining
// sequence straddling the cut is composed before the final cut.
const languageNormSlack = 32

// cutSample cuts text (a prefix of the document in NFC, of at most prefix+languageNormSlack
// bytes) to prefix bytes at a rune and, when near, a word boundary.
func cutSample(text string, prefix int) string {
	if len(text) <= prefix {
		return text
	}
	cut := textcut.Prefix(text, prefix)
	// Back up to the last space within the final 10% so that no half word is examined.
	if i := strings.LastIndexFunc(cut, unicode.IsSpace); i > len(cut)-len(cut)/10 {
		return cut[:i]
	}
	return cut
}
