package analysis

import (
	"fmt"
	"math"
	"strings"

	"github.com/jonreiter/govader"

	"github.com/ream-dev/ream/shared/job"
)

// Sentiment analyser defaults and the constants of the four-class mapping.
const (
	// DefaultSentimentMaxBytes is the SENTIMENT per-document size limit (Comprehend's 5 KB).
	DefaultSentimentMaxBytes = 5000

	// Sentiment labels, as Comprehend spells them.
	SentimentPositive = "POSITIVE"
	SentimentNegative = "NEGATIVE"
	SentimentNeutral  = "NEUTRAL"
	SentimentMixed    = "MIXED"

	// neutralBand: a document whose |compound| is well below it leans NEUTRAL. Neutral
	// evidence is 1-|compound|/neutralBand, so the NEUTRAL/POLAR boundary sits at
	// |compound| = neutralBand/(1+neutralBand) ≈ 0.2 (VADER's own cut is 0.05, which calls
	// many plain statements that contain one mild word polar).
	neutralBand = 0.25
	// polarClause: a clause whose compound reaches ±this counts as clearly positive or
	// negative evidence for MIXED.
	polarClause = 0.3
	// scoreFloor keeps every class probability strictly positive.
	scoreFloor = 0.005
)

// SentimentConfig configures the SENTIMENT analyser.
type SentimentConfig struct {
	// MaxBytes is the per-document size limit; 0 means DefaultSentimentMaxBytes.
	MaxBytes int
	// LanguageCode, when set, is the language every document is declared to be in. VADER's
	// lexicon is English only: when it is set to anything but "en" (or "en-XX"), every
	// document is a DocError UNSUPPORTED_LANGUAGE, exactly as when the job's
	// Options.LanguageCode is not English.
	LanguageCode string
}

// SentimentAnalyzer classifies a document as POSITIVE, NEGATIVE, NEUTRAL or MIXED with
// VADER (github.com/jonreiter/govader, a Go port of the rule-based English model of Hutto
// and Gilbert, 2014), mapped to Comprehend's four classes. It is safe for concurrent use.
type SentimentAnalyzer struct {
	// vader is built once; PolarityScores only reads its lexicon maps and its compiled
	// regular expressions (both safe for concurrent readers), so no lock is needed.
	vader    *govader.SentimentIntensityAnalyzer
	maxBytes int
	lang     string
}

var _ Analyzer = (*SentimentAnalyzer)(nil)

// NewSentiment builds the VADER lexicon once (about 7,500 words and the emoji table).
func NewSentiment(cfg SentimentConfig) (*SentimentAnalyzer, error) {
	if cfg.MaxBytes < 0 {
		return nil, fmt.Errorf("%w: negative MaxBytes", job.ErrInvalid)
	}
	a := &SentimentAnalyzer{vader: govader.NewSentimentIntensityAnalyzer(), maxBytes: cfg.MaxBytes, lang: cfg.LanguageCode}
	if a.maxBytes == 0 {
		a.maxBytes = DefaultSentimentMaxBytes
	}
	return a, nil
}

// checkEnglish returns a DocError unless code is empty or English.
func checkEnglish(code string) *DocError {
	c := strings.ToLower(strings.TrimSpace(code))
	if c == "" || c == "en" || strings.HasPrefix(c, "en-") {
		return nil
	}
	return &DocError{
		Code:    job.CodeUnsupportedLanguage,
		Message: fmt.Sprintf("SENTIMENT supports English (en) only, not %q", code),
	}
}

// Name implements Analyzer.
func (a *SentimentAnalyzer) Name() job.Analysis { return job.Sentiment }

// ModelVersion implements Analyzer.
func (a *SentimentAnalyzer) ModelVersion() string {
	return "govader-v0.0.0-20250429093935-f6505c8d03cc+ream-4class-1"
}

// DefaultMaxBytes implements Analyzer.
func (a *SentimentAnalyzer) DefaultMaxBytes() int { return a.maxBytes }

// Analyze implements Analyzer. A document whose declared language (opts.LanguageCode, or
// the configured LanguageCode) is not English is a DocError UNSUPPORTED_LANGUAGE.
func (a *SentimentAnalyzer) Analyze(text string, opts Options, into *Result) error {
	if err := checkEnglish(opts.LanguageCode); err != nil {
		return err
	}
	if err := checkEnglish(a.lang); err != nil {
		return err
	}
	label, score := a.classify(text)
	into.Sentiment = label
	into.SentimentScore = &score
	return nil
}

// vaderScores are VADER's outputs for one text.
type vaderScores struct{ pos, neg, neu, compound float64 }

func (a *SentimentAnalyzer) polarity(text string) vaderScores {
	s := a.vader.PolarityScores(text)
	return vaderScores{pos: s.Positive, neg: s.Negative, neu: s.Neutral, compound: s.Compound}
}

// classify maps VADER's scores to Comprehend's four classes.
//
// The whole document gives VADER's compound polarity c in [-1,1] and the positive and
// negative shares p and n. The document is also cut into clauses (sentences, comma- and
// semicolon-separated parts, and parts introduced by "but", "although", ...), and each is
// scored: mixedness m in [0,1] is min(P,N)/max(P,N), where P and N are the summed strengths
// of the clearly positive and clearly negative clauses (|compound| ≥ 0.3). The class
// evidences are then
//
//	POSITIVE  max(c,0)·(1-m)
//	NEGATIVE  max(-c,0)·(1-m)
//	NEUTRAL   max(0, 1-|c|/neutralBand)·(1-m)
//	MIXED     m·max(|c|, p+n)
//
// each plus scoreFloor, normalised to sum to 1; the label is the class with the highest
// score, so the label and the scores always agree. In effect a document is MIXED when its
// weaker polarity carries about half the weight of the stronger one or more, NEUTRAL when
// |c| is below about 0.2, and otherwise POSITIVE or NEGATIVE by the sign of c. VADER's
// negation rules ("not bad" flips and damps "bad"), boosters ("very"), "but" weighting and
// emphasis ("!!", capitals) all act through c, p and n.
func (a *SentimentAnalyzer) classify(text string) (string, SentimentScore) {
	// govader tokenises on single spaces only; give it one space between words.
	text = strings.Join(strings.Fields(text), " ")
	doc := a.polarity(text)

	m := 0.0
	if clauses := splitClauses(text); len(clauses) > 1 {
		var posMass, negMass float64
		for _, cl := range clauses {
			c := a.polarity(cl).compound
			switch {
			case c >= polarClause:
				posMass += c
			case c <= -polarClause:
				negMass -= c
			}
		}
		if posMass > 0 && negMass > 0 {
			m = math.Min(posMass, negMass) / math.Max(posMass, negMass)
		}
	}

	c := doc.compound
	abs := math.Abs(c)
	ev := SentimentScore{
		Positive: math.Max(c, 0) * (1 - m),
		Negative: math.Max(-c, 0) * (1 - m),
		Neutral:  math.Max(0, 1-abs/neutralBand) * (1 - m),
		Mixed:    m * math.Max(abs, doc.pos+doc.neg),
	}
	ev.Positive += scoreFloor
	ev.Negative += scoreFloor
	ev.Neutral += scoreFloor
	ev.Mixed += scoreFloor
	sum := ev.Positive + ev.Negative + ev.Neutral + ev.Mixed
	ev.Positive /= sum
	ev.Negative /= sum
	ev.Neutral /= sum
	ev.Mixed = 1 - ev.Positive - ev.Negative - ev.Neutral // exact sum of 1

	label, best := SentimentPositive, ev.Positive
	if ev.Negative > best {
		label, best = SentimentNegative, ev.Negative
	}
	if ev.Neutral > best {
		label, best = SentimentNeutral, ev.Neutral
	}
	if ev.Mixed > best {
		label = SentimentMixed
	}
	return label, ev
}

// contrastive words start a new clause.
var contrastive = map[string]bool{
	"but": true, "although": true, "though": true, "however": true, "yet": true,
	"whereas": true, "except": true, "unfortunately": true, "sadly": true,
}

// splitClauses cuts space-separated text into clauses: after a word ending in '.', '!',
// '?', ';' or ',' and before a contrastive word ("but", "although", ...). It is deliberately
// simple: it only decides which parts of a document carry clear polarity of their own.
func splitClauses(text string) []string {
	var out []string
	start := 0
	flush := func(end int) {
		if s := strings.TrimSpace(text[start:end]); s != "" {
			out = append(out, s)
		}
		start = end
	}
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], ' ')
		if j < 0 {
			j = len(text)
		} else {
			j += i
		}
		word := text[i:j]
		if contrastive[strings.ToLower(strings.Trim(word, ",.;:!?\"'"))] {
			flush(i)
		}
		if word != "" && strings.ContainsRune(".!?;,", rune(word[len(word)-1])) {
			flush(j)
		}
		i = j + 1
	}
	if start < len(text) {
		flush(len(text))
	}
	return out
}
