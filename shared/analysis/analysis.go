package analysis

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
	"github.com/ream-dev/ream/shared/analysis/language"
	"github.com/ream-dev/ream/shared/analysis/pii"
	"github.com/ream-dev/ream/shared/job"
)

// The result types, Options and DocError are defined in internal/result, which the analyser
// packages import (they cannot import this package, which imports them); these aliases are
// their names outside shared/analysis.

// DominantLanguage is one candidate language of a document.
type DominantLanguage = result.DominantLanguage

// SentimentScore holds the four class probabilities; they sum to 1.
type SentimentScore = result.SentimentScore

// Entity is a named entity (ENTITIES), offsets in characters, EndOffset exclusive.
type Entity = result.Entity

// KeyPhrase is a key phrase (KEY_PHRASES), offsets in characters.
type KeyPhrase = result.KeyPhrase

// PiiEntity is a span of personally identifiable information (PII), offsets in characters.
type PiiEntity = result.PiiEntity

// Persons are the person spans ENTITIES' model found in a document, handed on to the analysers
// after it (Result.Persons, Options.Persons) so that PII's NAME does not run the model again.
type Persons = result.Persons

// Result is the merged analysis output for one document, with its JSON encoding (MarshalJSON,
// AppendJSON).
type Result = result.Result

// DocError is a per-document failure an analyser reports (for example UNSUPPORTED_LANGUAGE).
// The document becomes an error record; the rest of the job goes on.
type DocError = result.DocError

// Options are the job-level settings an analyser may use.
type Options = result.Options

// Undetermined is the language code DocumentLanguage gives a document whose language could not
// be identified and that shows no sign of English: the language-dependent analysers refuse it
// with UNSUPPORTED_LANGUAGE instead of scoring it with an English model.
const Undetermined = language.Undetermined

// DocumentLanguage decides which language the language-dependent analysers (SENTIMENT,
// ENTITIES, KEY_PHRASES, PII) should assume for a document when the job did not name one, from
// the LANGUAGE analyser's candidates; see language.DocumentLanguage.
func DocumentLanguage(text string, candidates []DominantLanguage) string {
	return language.DocumentLanguage(text, candidates)
}

// Redaction modes, as Comprehend's RedactionConfig.MaskMode spells them, and the mask
// character when none is given; see Redact.
const (
	RedactReplaceWithType = pii.RedactReplaceWithType
	RedactMask            = pii.RedactMask
	DefaultMaskChar       = pii.DefaultMaskChar
)

// PiiTypes lists every type PII can report (with PiiUndetected, what
// RedactionConfig.PiiEntityTypes may name).
var PiiTypes = pii.Types

// PiiUndetected are the PII types Comprehend names that the analyser never reports; see
// pii.Undetected.
var PiiUndetected = pii.Undetected

// PiiDetector returns a detector of only the given PII types (those the analyser reports;
// others are ignored): spans of other types do not hide them, as they do in the PII analysis's
// own output, where the longest span wins. A redaction restricted to some types uses it, with
// the document's Result.Persons: NAME then reuses the person spans the analysis found (nil:
// it finds them itself).
func PiiDetector(types []string) (func(text string, persons *Persons) []PiiEntity, error) {
	var known []string
	for _, t := range types {
		if slices.Contains(pii.Types, t) {
			known = append(known, t)
		}
	}
	if len(known) == 0 {
		return func(string, *Persons) []PiiEntity { return []PiiEntity{} }, nil
	}
	a, err := pii.New(pii.Config{Types: known, MaxBytes: math.MaxInt32})
	if err != nil {
		return nil, err
	}
	return func(text string, persons *Persons) []PiiEntity {
		out, _ := a.DetectWith(text, persons)
		return out
	}, nil
}

// Redact returns text with each PII entity's span redacted as Comprehend's PII jobs write it;
// see pii.Redact.
func Redact(text string, ents []PiiEntity, mode string, maskChar rune) string {
	return pii.Redact(text, ents, mode, maskChar)
}

// Analyzer is one analysis.
type Analyzer interface {
	// Name is the analysis this analyser implements.
	Name() job.Analysis
	// ModelVersion identifies the model or rule set, recorded in the job and the manifest.
	ModelVersion() string
	// DefaultMaxBytes is the default per-document size limit in bytes.
	DefaultMaxBytes() int
	// Analyze fills its fields of into. text is valid UTF-8, non-empty, within the size limit.
	// A *DocError return makes the document an error record; any other error is a bug.
	Analyze(text string, opts Options, into *Result) error
}

// Registry maps analysis names to analysers.
type Registry map[job.Analysis]Analyzer

// Lookup returns the analysers for names, in the given order, or an ErrInvalid-wrapped error
// naming the unknown ones.
func (r Registry) Lookup(names []job.Analysis) ([]Analyzer, error) {
	out := make([]Analyzer, 0, len(names))
	for _, n := range names {
		a, ok := r[n]
		if !ok {
			return nil, fmt.Errorf("%w: unknown analysis %q (supported: %s)", job.ErrInvalid, n, job.List(r.Names()))
		}
		out = append(out, a)
	}
	return out, nil
}

// Warm loads now what the analysers would otherwise load at their first document (LANGUAGE's
// short-text tables): a process that analyses documents calls it at start, so that no job waits;
// one that only validates requests does not, and never pays for them.
func (r Registry) Warm() error {
	for _, n := range r.Names() {
		if w, ok := r[n].(interface{ Warm() error }); ok {
			if err := w.Warm(); err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
		}
	}
	return nil
}

// Names lists the registered analyses, sorted.
func (r Registry) Names() []job.Analysis {
	out := make([]job.Analysis, 0, len(r))
	for n := range r {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
