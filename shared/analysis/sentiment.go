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

	// neutralBand: opinion strength S (VADER's normalisation of the summed lexicon valence,
	// in [0,1)) below it leans NEUTRAL; neutral evidence is max(0, 1-S/neutralBand).
	neutralBand = 0.35
	// polarClause: a clause whose summed lexicon valence reaches ±this counts as clearly
	// positive or negative evidence for MIXED.
	polarClause = 1.0
	// lexiconWeight and lexiconWords set how much the lexicon moves the polarity logit:
	// lexiconWeight per unit of valence for a one-word text, fading as
	// 1/(1+words/lexiconWords), so the trained model decides long reviews.
	lexiconWeight = 0.8
	lexiconWords  = 10.0
	// modelWords damps the model's logit on short texts, where a review-trained model is
	// over-confident: it is scaled by words/(words+modelWords).
	modelWords = 40.0
	// scoreFloor keeps every class probability strictly positive.
	scoreFloor = 0.005
)

// SentimentConfig configures the SENTIMENT analyser.
type SentimentConfig struct {
	// MaxBytes is the per-document size limit; 0 means DefaultSentimentMaxBytes.
	MaxBytes int
	// LanguageCode, when set, is the language every document is declared to be in. The
	// model and the lexicon are English only: when it is set to anything but "en" (or
	// "en-XX"), every document is a DocError UNSUPPORTED_LANGUAGE, exactly as when the
	// job's Options.LanguageCode is not English.
	LanguageCode string
}

// SentimentAnalyzer classifies a document as POSITIVE, NEGATIVE, NEUTRAL or MIXED. Polarity
// comes from a hashed logistic-regression model trained on IMDB reviews (sentimodel.go),
// combined with VADER's valence lexicon (github.com/jonreiter/govader, from Hutto and
// Gilbert, 2014), which decides how opinionated the text is (NEUTRAL) and whether it holds
// clearly positive and clearly negative clauses (MIXED). It is safe for concurrent use:
// everything is read-only after NewSentiment.
type SentimentAnalyzer struct {
	model    *sentModel
	lexicon  map[uint64]float32 // token hash → VADER valence
	boosters map[uint64]float32 // token hash → VADER booster increment
	contrast map[uint64]bool    // "but", "although", ...: start a new clause
	maxBytes int
	lang     string
}

var _ Analyzer = (*SentimentAnalyzer)(nil)

// contrastiveWords start a new clause.
var contrastiveWords = []string{"but", "although", "though", "however", "yet", "whereas", "except", "unfortunately", "sadly"}

// NewSentiment decodes the embedded model (256 KiB of int8 weights) and hashes VADER's
// lexicon (about 7,500 words).
func NewSentiment(cfg SentimentConfig) (*SentimentAnalyzer, error) {
	if cfg.MaxBytes < 0 {
		return nil, fmt.Errorf("%w: negative MaxBytes", job.ErrInvalid)
	}
	m, err := parseSentModel(sentimentModelBytes)
	if err != nil {
		return nil, err
	}
	v := govader.NewSentimentIntensityAnalyzer()
	a := &SentimentAnalyzer{
		model:    m,
		lexicon:  make(map[uint64]float32, len(v.Lexicon)),
		boosters: make(map[uint64]float32, len(v.Constants.BoosterDict)),
		contrast: make(map[uint64]bool, len(contrastiveWords)),
		maxBytes: cfg.MaxBytes,
		lang:     cfg.LanguageCode,
	}
	for w, x := range v.Lexicon {
		a.lexicon[hashToken(strings.ToLower(w))] = float32(x)
	}
	for w, x := range v.Constants.BoosterDict {
		a.boosters[hashToken(w)] = float32(x)
	}
	for _, w := range contrastiveWords {
		a.contrast[hashToken(w)] = true
	}
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
	return "ream-hashlr-2^18-imdb-1+govader-v0.0.0-20250429093935-f6505c8d03cc-lexicon"
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

// sentEvidence is what one pass over a document gathers.
type sentEvidence struct {
	sum    int64 // summed quantised model weights
	nFeats int
	words  int
	lexPos float64 // summed positive lexicon valence (after negation)
	lexNeg float64 // summed |negative| lexicon valence
	posCl  float64 // summed valence of clearly positive clauses
	negCl  float64 // summed |valence| of clearly negative clauses
}

// gather makes the single pass: model features, lexicon valence with negation and boosters,
// and clause valences. It does not allocate.
func (a *SentimentAnalyzer) gather(text string) sentEvidence {
	var ev sentEvidence
	f := sentFeaturizer{mask: uint64(len(a.model.weights) - 1)}
	w := a.model.weights
	var clause, boost float64
	negated := false
	endClause := func() {
		switch {
		case clause >= polarClause:
			ev.posCl += clause
		case clause <= -polarClause:
			ev.negCl -= clause
		}
		clause = 0
	}
	sentimentScan(text, func(t sentToken) {
		f.add(t, func(k uint32) {
			ev.sum += int64(w[k])
			ev.nFeats++
		})
		if t.kind == sentPunct {
			if t.mark != ':' {
				endClause()
			}
			negated, boost = false, 0
			return
		}
		ev.words++
		if a.contrast[t.h] {
			endClause()
			negated = false
		}
		v, ok := a.lexicon[t.h]
		if ok && !t.negator {
			x := float64(v)
			if boost != 0 {
				if x > 0 {
					x += boost
				} else {
					x -= boost
				}
			}
			if negated {
				x *= -0.74 // VADER's negation scalar
			}
			if x > 0 {
				ev.lexPos += x
			} else {
				ev.lexNeg -= x
			}
			clause += x
		}
		boost = float64(a.boosters[t.h])
		if t.negator {
			negated = true
		}
	})
	endClause()
	return ev
}

// classify maps a document to Comprehend's four classes.
//
// One pass over the text (gather) yields the model logit z_m (sentimodel.go), the summed
// positive and negative lexicon valences p and n (VADER's lexicon, boosters and negation
// scalar), and the summed valences P and N of the clearly positive and clearly negative
// clauses (|valence| ≥ polarClause; clauses end at . , ; ! ? and before "but", "although",
// ...). Then
//
//	z   = lexiconWeight·(p-n)/(1+words/lexiconWords)    polarity logit; q = σ(z)
//	S   = (p+n)/sqrt((p+n)²+15)                               opinion strength (VADER's normalisation)
//	neu = max(0, 1-S/neutralBand)                             no opinion words → NEUTRAL
//	mix = min(P,N)/max(P,N) · (1-|2q-1|)                      balanced clauses, undecided model → MIXED
//
// and the scores are Neutral ∝ neu·(1-mix), Mixed ∝ mix, Positive ∝ (1-neu)·(1-mix)·q,
// Negative ∝ (1-neu)·(1-mix)·(1-q), each plus scoreFloor, normalised to sum to 1. The label
// is the highest score, and Positive > Negative exactly when the polarity logit z > 0.
func (a *SentimentAnalyzer) classify(text string) (string, SentimentScore) {
	ev := a.gather(text)
	words := float64(ev.words)
	z := a.model.logit(ev.sum, ev.nFeats) * words / (words + modelWords)
	z += lexiconWeight * (ev.lexPos - ev.lexNeg) / (1 + float64(ev.words)/lexiconWords)
	q := 1 / (1 + math.Exp(-z))

	lex := ev.lexPos + ev.lexNeg
	strength := lex / math.Sqrt(lex*lex+15)
	neu := math.Max(0, 1-strength/neutralBand)
	mix := 0.0
	if ev.posCl > 0 && ev.negCl > 0 {
		mix = math.Sqrt(math.Min(ev.posCl, ev.negCl) / math.Max(ev.posCl, ev.negCl) * (1 - math.Abs(2*q-1)))
	}
	polar := (1 - neu) * (1 - mix)
	sc := SentimentScore{
		Positive: polar*q + scoreFloor,
		Negative: polar*(1-q) + scoreFloor,
		Neutral:  neu*(1-mix) + scoreFloor,
		Mixed:    mix + scoreFloor,
	}
	sum := sc.Positive + sc.Negative + sc.Neutral + sc.Mixed
	sc.Positive /= sum
	sc.Negative /= sum
	sc.Neutral /= sum
	sc.Mixed = 1 - sc.Positive - sc.Negative - sc.Neutral // exact sum of 1

	label, best := SentimentPositive, sc.Positive
	if sc.Negative > best {
		label, best = SentimentNegative, sc.Negative
	}
	if sc.Neutral > best {
		label, best = SentimentNeutral, sc.Neutral
	}
	if sc.Mixed > best {
		label = SentimentMixed
	}
	return label, sc
}
