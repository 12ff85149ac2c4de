// Package analysis holds the analysers: pure functions over a document's text, with output in
// Amazon Comprehend's field names and shapes. No network, no cgo.
package analysis

import (
	"fmt"
	"sort"

	"github.com/ream-dev/ream/shared/api"
	"github.com/ream-dev/ream/shared/job"
)

// DominantLanguage is one candidate language of a document.
type DominantLanguage struct {
	LanguageCode string  `json:"LanguageCode"`
	Score        float64 `json:"Score"`
}

// SentimentScore holds the four class probabilities; they sum to 1.
type SentimentScore struct {
	Positive float64 `json:"Positive"`
	Negative float64 `json:"Negative"`
	Neutral  float64 `json:"Neutral"`
	Mixed    float64 `json:"Mixed"`
}

// Entity is a named entity (ENTITIES). Offsets count characters (Unicode code points) from the
// start of the document, as Comprehend's do; EndOffset is exclusive.
type Entity struct {
	BeginOffset int     `json:"BeginOffset"`
	EndOffset   int     `json:"EndOffset"`
	Score       float64 `json:"Score"`
	Text        string  `json:"Text"`
	Type        string  `json:"Type"`
}

// KeyPhrase is a key phrase (KEY_PHRASES), offsets in characters.
type KeyPhrase struct {
	BeginOffset int     `json:"BeginOffset"`
	EndOffset   int     `json:"EndOffset"`
	Score       float64 `json:"Score"`
	Text        string  `json:"Text"`
}

// PiiEntity is a span of personally identifiable information (PII), offsets in characters.
// Like Comprehend's PII output it carries no Text.
type PiiEntity struct {
	BeginOffset int     `json:"BeginOffset"`
	EndOffset   int     `json:"EndOffset"`
	Score       float64 `json:"Score"`
	Type        string  `json:"Type"`
}

// Result is the merged analysis output for one document. Each analyser fills its own fields and
// sets its slice non-nil (empty when it found nothing), so a requested analysis always shows.
type Result struct {
	Languages      []DominantLanguage `json:"Languages,omitempty"`
	Sentiment      string             `json:"Sentiment,omitempty"`
	SentimentScore *SentimentScore    `json:"SentimentScore,omitempty"`
	Entities       []Entity           `json:"Entities,omitempty"`
	KeyPhrases     []KeyPhrase        `json:"KeyPhrases,omitempty"`
	// PiiEntities is written as "Entities" when the job does not also ask for ENTITIES (the
	// shape of Comprehend's PII jobs), and as "PiiEntities" beside them when it does.
	PiiEntities []PiiEntity `json:"PiiEntities,omitempty"`
	// Coding is a CODING job's code and suggestions for the record.
	Coding *api.Coding `json:"Coding,omitempty"`
}

// MarshalJSON writes the fields in Comprehend's shapes and order: a field appears when its
// analysis ran (slices non-nil, even if empty) and is absent otherwise; see PiiEntities. It is
// AppendJSON's encoding.
func (r Result) MarshalJSON() ([]byte, error) {
	return r.AppendJSON(nil)
}

// DocError is a per-document failure an analyser reports (for example UNSUPPORTED_LANGUAGE).
// The document becomes an error record; the rest of the job goes on.
type DocError struct {
	Code    string
	Message string
}

func (e *DocError) Error() string { return e.Code + ": " + e.Message }

// Options are the job-level settings an analyser may use.
type Options struct {
	// LanguageCode is the job's declared language ("" when not given).
	LanguageCode string
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
			return nil, fmt.Errorf("%w: unknown analysis %q (supported: %v)", job.ErrInvalid, n, r.Names())
		}
		out = append(out, a)
	}
	return out, nil
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
