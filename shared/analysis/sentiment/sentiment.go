package sentiment

import (
	_ "embed"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/jonreiter/govader"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
	txt "github.com/ream-dev/ream/shared/analysis/internal/text"
	"github.com/ream-dev/ream/shared/job"
)

// Sentiment analyser defaults and the constants of the four-class mapping.
const (
	// DefaultMaxBytes is the SENTIMENT per-document size limit (Comprehend's 5 KB).
	DefaultMaxBytes = 5000

	// Sentiment labels, as Comprehend spells them.
	Positive = "POSITIVE"
	Negative = "NEGATIVE"
	Neutral  = "NEUTRAL"
	Mixed    = "MIXED"

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
	// The opinion gate (see classify): the lexicon's valence counts in full only in text that
	// reads as opinion, judged by the opinion model's logit plus opinionDensity times the
	// valence per word, against opinionGate with slope opinionSlope. Chosen on the tuning half
	// of 3,584 man-page paragraphs (NEUTRAL 85 %): the gate is 0.75 below the one at which the
	// first hand-written review sentence (testdata) turns NEUTRAL, and leaves the IMDB train
	// reviews kept out of the opinion model's training as they were (0.1 % NEUTRAL).
	opinionDensity = 30.0
	opinionGate    = 1.5
	opinionSlope   = 4.0
)

// Config configures the SENTIMENT analyser.
type Config struct {
	// MaxBytes is the per-document size limit; 0 means DefaultMaxBytes.
	MaxBytes int
	// LanguageCode, when set, is the language every document is declared to be in. The
	// model and the lexicon are English only: when it is set to anything but "en" (or
	// "en-XX"), every document is a DocError UNSUPPORTED_LANGUAGE, exactly as when the
	// job's Options.LanguageCode is not English.
	LanguageCode string
}

// Analyzer classifies a document as POSITIVE, NEGATIVE, NEUTRAL or MIXED. Polarity
// comes from a hashed logistic-regression model trained on IMDB reviews (model.go),
// combined with VADER's valence lexicon (github.com/jonreiter/govader, from Hutto and
// Gilbert, 2014) and a curated list of review words and idioms ("waste of money", "five
// stars", "not as described", "would not recommend", ...: lexicon/sentiment_phrases.txt),
// which decide how opinionated the text is (NEUTRAL) and whether it holds
// clearly positive and clearly negative clauses (MIXED); an opinion model (model.go) tells
// review prose from technical and news prose, where lexicon words are plain words
// (NEUTRAL). It is safe for concurrent use:
// everything is read-only after New.
type Analyzer struct {
	model    *sentModel
	opinion  *sentModel              // the opinion model: opinion text against objective text (model.go)
	words    map[uint64]sentWordInfo // token hash → what the lexicons know about it
	phrases  []sentPhrase            // review idioms (lexicon/sentiment_phrases.txt)
	maxBytes int
	lang     string
}

// sentWordInfo is what the lexicons know about one token.
type sentWordInfo struct {
	val      float32 // lexicon valence (VADER's, or a single-word review phrase)
	boost    float32 // VADER booster increment
	hasVal   bool
	contrast bool     // "but", "although", ...: start a new clause
	neither  bool     // "neither": balanced "neither A nor B" cancels out
	ends     []uint16 // indices of the phrases ending with this token, longest first
}

// sentPhrase is a multi-word review idiom: its token hashes (0 = any negator) and valence.
type sentPhrase struct {
	toks   []uint64
	val    float64
	hasNeg bool // holds a negator: it consumes the negation instead of being negated
}

// sentimentPhrasesFile holds the review words and idioms (format in the file).
//
//go:embed lexicon/sentiment_phrases.txt
var sentimentPhrasesFile string

// hashOnly is the hash of "only", which right after a negator closes its scope.
var hashOnly = hashToken("only")

// hashHelp is the hash of "help": right after a negator it closes the scope ("can't help but
// love it" affirms). affirmingBefore are the words that make a negator right after them affirm
// ("it's hard not to love", "impossible not to smile"): a double negative.
var (
	hashHelp        = hashToken("help")
	affirmingBefore = map[uint64]bool{hashToken("hard"): true, hashToken("difficult"): true, hashToken("impossible"): true, hashToken("tough"): true}
)

// phraseRing is how many recent words of the current span phrase matching can look back on.
const phraseRing = 8

// contrastiveWords start a new clause.
var contrastiveWords = []string{"but", "although", "though", "however", "yet", "whereas", "except", "unfortunately", "sadly"}

// New decodes the embedded models (1 MiB and 64 KiB of int8 weights) and hashes VADER's
// lexicon (about 7,500 words).
func New(cfg Config) (*Analyzer, error) {
	if cfg.MaxBytes < 0 {
		return nil, fmt.Errorf("%w: negative MaxBytes", job.ErrInvalid)
	}
	m, err := parseSentModel(sentimentModelBytes)
	if err != nil {
		return nil, err
	}
	om, err := parseSentModel(opinionModelBytes)
	if err != nil {
		return nil, fmt.Errorf("opinion %w", err)
	}
	if om.bits > m.bits {
		return nil, fmt.Errorf("opinion model: %d hash bits, more than the polarity model's %d", om.bits, m.bits)
	}
	v := govader.NewSentimentIntensityAnalyzer()
	a := &Analyzer{
		model:    m,
		opinion:  om,
		words:    make(map[uint64]sentWordInfo, len(v.Lexicon)+len(v.Constants.BoosterDict)+400),
		maxBytes: cfg.MaxBytes,
		lang:     cfg.LanguageCode,
	}
	for w, x := range v.Lexicon {
		h := hashToken(strings.ToLower(w))
		wi := a.words[h]
		wi.val, wi.hasVal = float32(x), true
		a.words[h] = wi
	}
	for w, x := range v.Constants.BoosterDict {
		h := hashToken(w)
		wi := a.words[h]
		wi.boost = float32(x)
		a.words[h] = wi
	}
	for _, w := range contrastiveWords {
		h := hashToken(w)
		wi := a.words[h]
		wi.contrast = true
		a.words[h] = wi
	}
	hn := hashToken("neither")
	wi := a.words[hn]
	wi.neither = true
	a.words[hn] = wi
	if err := a.loadPhrases(sentimentPhrasesFile); err != nil {
		return nil, err
	}
	if a.maxBytes == 0 {
		a.maxBytes = DefaultMaxBytes
	}
	return a, nil
}

// Name implements Analyzer.
func (a *Analyzer) Name() job.Analysis { return job.Sentiment }

// ModelVersion implements Analyzer.
func (a *Analyzer) ModelVersion() string {
	return "ream-hashlr-2^20-imdb-2+opinion-hashlr-2^16-1+govader-v0.0.0-20250429093935-f6505c8d03cc-lexicon+review-phrases-1"
}

// DefaultMaxBytes implements Analyzer.
func (a *Analyzer) DefaultMaxBytes() int { return a.maxBytes }

// Analyze implements Analyzer. A document whose declared language (opts.LanguageCode, or
// the configured LanguageCode) is not English is a DocError UNSUPPORTED_LANGUAGE.
func (a *Analyzer) Analyze(text string, opts result.Options, into *result.Result) error {
	if err := txt.CheckEnglish(job.Sentiment, opts.LanguageCode, false); err != nil {
		return err
	}
	if err := txt.CheckEnglish(job.Sentiment, a.lang, false); err != nil {
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
	opSum  int64 // summed quantised opinion-model weights
	nFeats int
	words  int
	lexPos float64 // summed positive lexicon valence (after negation)
	lexNeg float64 // summed |negative| lexicon valence
	posCl  float64 // summed valence of clearly positive clauses
	negCl  float64 // summed |valence| of clearly negative clauses
}

// loadPhrases parses the review phrase list: single words go into the lexicon, longer
// phrases into a.phrases, indexed by their last token.
func (a *Analyzer) loadPhrases(file string) error {
	for ln, line := range strings.Split(file, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		tab := strings.IndexByte(line, '\t')
		if tab < 0 {
			return fmt.Errorf("sentiment phrases line %d: no tab", ln+1)
		}
		val, err := strconv.ParseFloat(line[:tab], 64)
		if err != nil {
			return fmt.Errorf("sentiment phrases line %d: %v", ln+1, err)
		}
		var p sentPhrase
		p.val = val
		for _, w := range strings.Fields(line[tab+1:]) {
			if w == "NEG" {
				p.toks = append(p.toks, 0)
				p.hasNeg = true
				continue
			}
			n := 0
			sentimentScan(w, func(t sentToken) {
				n++
				p.toks = append(p.toks, t.h)
				p.hasNeg = p.hasNeg || t.negator
			})
			if n != 1 {
				return fmt.Errorf("sentiment phrases line %d: %q is not one token", ln+1, w)
			}
		}
		switch {
		case len(p.toks) == 0 || len(p.toks) > phraseRing:
			return fmt.Errorf("sentiment phrases line %d: %d tokens", ln+1, len(p.toks))
		case p.toks[len(p.toks)-1] == 0:
			return fmt.Errorf("sentiment phrases line %d: ends with NEG", ln+1)
		case len(p.toks) == 1:
			wi := a.words[p.toks[0]]
			wi.val, wi.hasVal = float32(val), true
			a.words[p.toks[0]] = wi
			continue
		}
		if len(a.phrases) >= math.MaxUint16 {
			return fmt.Errorf("sentiment phrases: too many")
		}
		last := p.toks[len(p.toks)-1]
		wi := a.words[last]
		wi.ends = append(wi.ends, uint16(len(a.phrases)))
		a.words[last] = wi
		a.phrases = append(a.phrases, p)
	}
	for h, wi := range a.words {
		if len(wi.ends) > 1 {
			sort.SliceStable(wi.ends, func(i, j int) bool {
				return len(a.phrases[wi.ends[i]].toks) > len(a.phrases[wi.ends[j]].toks)
			})
			a.words[h] = wi
		}
	}
	return nil
}

// ringWord is one recent word of the current span, for phrase matching.
type ringWord struct {
	h        uint64
	contrib  float64 // valence it contributes (after negation and boost)
	boost    float64 // booster increment in force before it
	negator  bool
	negated  bool // in a negation scope opened before it
	phraseAt int  // position of the first word of the phrase it belongs to, -1 if none
}

// gather makes the single pass: model features, lexicon valence with negation and boosters,
// review phrases, and clause valences. It does not allocate.
func (a *Analyzer) gather(text string) sentEvidence {
	var ev sentEvidence
	f := sentFeaturizer{mask: uint64(len(a.model.weights) - 1)}
	w := a.model.weights
	ow := a.opinion.weights
	omask := uint32(len(ow) - 1) // the opinion model's buckets are the low bits of the polarity model's
	var clause, boost float64
	negated := false
	// The last phraseRing words of the span; pos counts the span's words.
	var ring [phraseRing]ringWord
	pos := 0
	// "neither A nor B": the valence gathered since "neither" in this span.
	inNeither := false
	var neiPos, neiNeg float64
	add := func(x float64) {
		if x > 0 {
			ev.lexPos += x
			if inNeither {
				neiPos += x
			}
		} else {
			ev.lexNeg -= x
			if inNeither {
				neiNeg -= x
			}
		}
		clause += x
	}
	sub := func(x float64) {
		if x > 0 {
			ev.lexPos -= x
			if inNeither {
				neiPos -= x
			}
		} else {
			ev.lexNeg += x
			if inNeither {
				neiNeg += x
			}
		}
		clause -= x
	}
	endSpan := func() {
		if inNeither && neiPos > 1e-9 && neiNeg > 1e-9 {
			// "neither good nor bad": balanced, no opinion either way.
			ev.lexPos -= neiPos
			ev.lexNeg -= neiNeg
			clause -= neiPos - neiNeg
		}
		inNeither, neiPos, neiNeg = false, 0, 0
		pos = 0
	}
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
			ev.opSum += int64(ow[k&omask])
			ev.nFeats++
		})
		if t.kind == sentPunct {
			endSpan()
			if t.mark != ':' {
				endClause()
			}
			negated, boost = false, 0
			return
		}
		ev.words++
		wi := a.words[t.h]
		if wi.contrast {
			endSpan()
			endClause()
			negated = false
		}
		if wi.neither {
			inNeither = true
		}
		if (t.h == hashOnly || t.h == hashHelp) && pos > 0 && ring[(pos-1)%phraseRing].negator {
			negated = false // "not only ... (but also)", "can't help but …" negate nothing
		}
		x := 0.0
		if wi.hasVal && !t.negator {
			x = float64(wi.val)
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
			add(x)
		}
		if wi.boost != 0 && !wi.hasVal && !t.negator {
			// A pure booster ("very", "really", ...) is skipped by phrase matching.
			boost = float64(wi.boost)
			return
		}
		r := &ring[pos%phraseRing]
		*r = ringWord{h: t.h, contrib: x, boost: boost, negator: t.negator, negated: negated, phraseAt: -1}
		pos++
		boost = float64(wi.boost)
		if t.negator && !(pos > 1 && affirmingBefore[ring[(pos-2)%phraseRing].h]) {
			negated = true
		}
		for _, pi := range wi.ends {
			p := &a.phrases[pi]
			toks := p.toks
			if toks[0] == 0 {
				// NEG: the rest of the phrase must be in a negation scope opened
				// (and not consumed) earlier in the span.
				toks = toks[1:]
			}
			n := len(toks)
			if n > pos {
				continue
			}
			start := pos - n
			ok := len(toks) == len(p.toks) || ring[start%phraseRing].negated
			for j := 0; j < n-1 && ok; j++ {
				rw := &ring[(start+j)%phraseRing]
				if toks[j] == 0 {
					ok = rw.negator
				} else {
					ok = rw.h == toks[j]
				}
			}
			// A phrase may replace an earlier one only if it covers all of it.
			if first := &ring[start%phraseRing]; !ok || first.phraseAt >= 0 && first.phraseAt < start {
				continue
			}
			v := p.val
			first := &ring[start%phraseRing]
			if v != 0 {
				if first.boost != 0 {
					v += math.Copysign(first.boost, v)
				}
				if first.negated && !p.hasNeg {
					v *= -0.74
				}
			}
			for j := start; j < pos; j++ {
				rw := &ring[j%phraseRing]
				sub(rw.contrib)
				rw.contrib, rw.phraseAt = 0, start
			}
			r.contrib = v
			add(v)
			if p.hasNeg {
				negated = false // the phrase consumed the negation
			}
			break
		}
	})
	endSpan()
	endClause()
	return ev
}

// classify maps a document to Comprehend's four classes.
//
// One pass over the text (gather) yields the model logit z_m (model.go), the opinion model's
// logit z_o (model.go; same features), the summed positive and negative lexicon valences p
// and n (VADER's lexicon plus the review phrases,
// boosters and negation scalar; a phrase replaces its words' valences, and a balanced
// "neither A nor B" counts as no opinion), and the summed valences P and N of the clearly positive and clearly negative
// clauses (|valence| ≥ polarClause; clauses end at . , ; ! ? and before "but", "although",
// ...). Then
//
//	z   = lexiconWeight·(p-n)/(1+words/lexiconWords)    polarity logit; q = σ(z)
//	g   = z_o + opinionDensity·(p+n)/words                    does the text read as opinion?
//	L   = (p+n)·σ(opinionSlope·(g-opinionGate))               the valence that counts
//	S   = L/sqrt(L²+15)                                       opinion strength (VADER's normalisation)
//	neu = max(0, 1-S/neutralBand)                             no opinion words → NEUTRAL
//	mix = sqrt(min(P,N)/max(P,N) · (1-|2q-1|))                balanced clauses, undecided model → MIXED
//
// The opinion gate g lets lexicon words count in review prose (a high z_o) and in short
// evaluations (many lexicon words per word: "Died within a week."), not in technical or news
// prose where "error", "free" or "ignored" are plain words: a man-page paragraph with one or
// two of them is NEUTRAL. It touches only the neutral evidence, never z.
// The scores are Neutral ∝ neu·(1-mix), Mixed ∝ mix·(1-neu), Positive ∝ (1-neu)·(1-mix)·q,
// Negative ∝ (1-neu)·(1-mix)·(1-q), each plus scoreFloor, normalised to sum to 1. The label
// is the highest score, and Positive > Negative exactly when the polarity logit z > 0.
func (a *Analyzer) classify(text string) (string, result.SentimentScore) {
	text, _ = txt.NFC(text) // the words of NFD text ("Jose\u0301") are those of its NFC form
	ev := a.gather(text)
	words := float64(ev.words)
	z := a.model.logit(ev.sum, ev.nFeats) * words / (words + modelWords)
	z += lexiconWeight * (ev.lexPos - ev.lexNeg) / (1 + float64(ev.words)/lexiconWords)
	q := 1 / (1 + math.Exp(-z))

	lex := ev.lexPos + ev.lexNeg
	if ev.words > 0 {
		g := a.opinion.logit(ev.opSum, ev.nFeats) + opinionDensity*lex/words
		lex /= 1 + math.Exp(-opinionSlope*(g-opinionGate))
	}
	strength := lex / math.Sqrt(lex*lex+15)
	neu := math.Max(0, 1-strength/neutralBand)
	mix := 0.0
	if ev.posCl > 0 && ev.negCl > 0 {
		mix = math.Sqrt(math.Min(ev.posCl, ev.negCl) / math.Max(ev.posCl, ev.negCl) * (1 - math.Abs(2*q-1)))
	}
	polar := (1 - neu) * (1 - mix)
	sc := result.SentimentScore{
		Positive: polar*q + scoreFloor,
		Negative: polar*(1-q) + scoreFloor,
		Neutral:  neu*(1-mix) + scoreFloor,
		Mixed:    mix*(1-neu) + scoreFloor,
	}
	sum := sc.Positive + sc.Negative + sc.Neutral + sc.Mixed
	sc.Positive /= sum
	sc.Negative /= sum
	sc.Neutral /= sum
	sc.Mixed = 1 - sc.Positive - sc.Negative - sc.Neutral // exact sum of 1

	label, best := Positive, sc.Positive
	if sc.Negative > best {
		label, best = Negative, sc.Negative
	}
	if sc.Neutral > best {
		label, best = Neutral, sc.Neutral
	}
	if sc.Mixed > best {
		label = Mixed
	}
	return label, sc
}
