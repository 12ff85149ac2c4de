// Package result holds what every analyser shares: the per-document Result with its JSON
// encoding (json.go), the result types the analysers fill in, the job-level Options they read
// and the DocError they report. It imports no analyser, so the analyser packages and the root
// package analysis, which re-exports every name here by alias, can all import it. Use the
// root's names (analysis.Result, analysis.DocError, ...) outside shared/analysis.
package result

import "github.com/ream-dev/ream/shared/api"

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
	// Persons is never written out: it is the person spans ENTITIES' sequence model and rules
	// found in the document, set by the analyser that ran them (ENTITIES, or PII for its NAME
	// type), for the analysers after it (Options.Persons) and PII's restricted redaction to
	// reuse rather than run the model again.
	Persons *Persons `json:"-"`
}

// Persons are the PERSON entities an ENTITIES analyser found in one document, handed on so that
// its sequence model runs once per document when ENTITIES and PII (whose NAME type takes them
// as candidates) both analyse it; see entities.Analyzer.Persons, the only reader, which takes
// them when they were found in the same text by a finder of the same model and lists, and
// otherwise runs the finder itself.
type Persons struct {
	// Text is the document as the finder read it (in NFC); the offsets count its characters.
	Text string
	// Finder identifies the model and lists that found them (opaque, comparable).
	Finder any
	// Spans are the PERSON entities, in document order.
	Spans []Entity
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

// Options are the settings an analyser may use for a document: the job's, and what analysers
// that ran before it on the document handed on.
type Options struct {
	// LanguageCode is the job's declared language ("" when not given).
	LanguageCode string
	// Persons, when not nil, are the document's person spans as an analyser that ran before
	// found them (Result.Persons); nil when none did.
	Persons *Persons
	// HandOnPersons asks the analyser that finds person spans (ENTITIES) to hand them on in
	// Result.Persons: set when an analysis after it reads them (PII, and PII's redaction), so a
	// job without one pays nothing for them.
	HandOnPersons bool
}
