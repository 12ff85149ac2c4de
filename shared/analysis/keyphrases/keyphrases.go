package keyphrases

import (
	"bufio"
	"embed"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
	txt "github.com/ream-dev/ream/shared/analysis/internal/text"
	"github.com/ream-dev/ream/shared/job"
)

// DefaultMaxBytes is the KEY_PHRASES per-document size limit (Comprehend's
// asynchronous limit is 100 KB per document).
const DefaultMaxBytes = 100000

// Config configures the KEY_PHRASES analyser.
type Config struct {
	// MaxBytes is the per-document size limit; 0 means DefaultMaxBytes.
	MaxBytes int
	// LanguageCode, when set to anything but English, makes every document a DocError
	// UNSUPPORTED_LANGUAGE, as a non-English Options.LanguageCode does.
	LanguageCode string
}

// Analyzer extracts key phrases (KEY_PHRASES) from English text.
//
// Candidates are noun-phrase chunks found without a part-of-speech tagger: maximal runs of
// words that are not function words (an embedded stopword list), not common verbs, not
// adverbs (-ly, but anomaly, family), not comparatives of common adjectives (higher, larger),
// with -ed/-ing words taken only where they modify a following noun (an -ed word after a noun is
// a verb, "bank raised", but not after an adjective, an -ing or a hyphenated word, "efficient
// closed patterns"), "time" only before a lower-case noun ("time series"), numbers, punctuation
// (so sentence ends) and line breaks breaking runs; runs are cut to their last four words. Every
// sub-phrase of a chunk of up to three words is a candidate too (never cutting a run of
// capitalised words nor ending on an -ed word). Each distinct candidate (compared by stemmed
// words, see stem) is scored by a learned ranker: logistic regression over 73 features (relative
// position and count of its occurrences, whether it also stands as a whole chunk, whether its
// words occur in the first sentence, TF-IDF against an embedded background table of about 1,900
// English software descriptions (lexicon/keyphrase_df.txt), word count and length,
// capitalisation, the head word's ending and the first word's adjective or verb look, and
// keyphraseness: in how many abstracts of the training data the phrase was a gold key phrase
// and in how many it occurred (lexicon/keyphrase_gold.txt), and how many gold phrases end in its
// last word), trained on KDD and WWW paper abstracts with gold key phrases (`make
// train-keyphrases`, weights embedded from models/keyphrases.txt).
//
// The output lists every chunk occurrence in document order, as Comprehend does, each as the
// chunk's best-scoring form: the chunk, or a sub-phrase that keeps its last word, ends a name
// ("Michael Buble" in "star Michael Buble kisses") or is a compound noun not led by an
// adjective ("mortgage costs"); listed phrases never overlap. Phrases that are no chunk
// occurrence's form (the other sub-phrases) are candidates the ranker was trained on, but they
// are neither scored nor listed. Scores are scaled so the best listed phrase scores 1;
// sort by Score for a ranking. Offsets count characters, EndOffset exclusive; Text is the exact
// substring without leading determiners. Limits: English only; phrases are at most four words
// (seven with "of" in a name); only phrases that occur in the text can be found (about half the
// gold phrases of the abstracts do not); the ranker was trained on research abstracts. It is
// safe for concurrent use.
type Analyzer struct {
	df       map[string]int32
	nDocs    float64
	maxBytes int
	lang     string
	pool     sync.Pool
	model    []float64 // the ranker's weights, in featureNames order
	// kp is keyphraseness (lexicon/keyphrase_gold.txt): per phrase key, in how many abstracts
	// of the train part it is a gold phrase and in how many its stemmed words occur;
	// kpHead sums gold by a phrase's last stem.
	kp     map[string]kpStat
	kpHead map[string]int32
}

// kpStat is one phrase's keyphraseness counts: abstracts of the train part in which it is a
// gold phrase, and in which it occurs in the text (stemmed).
type kpStat struct{ gold, occ int32 }

// lexiconFS holds the background document frequencies of stemmed words (keyphrase_df.txt) and
// keyphraseness (keyphrase_gold.txt).
//
//go:embed lexicon/keyphrase_df.txt lexicon/keyphrase_gold.txt
var lexiconFS embed.FS

//go:embed models/keyphrases.txt
var modelText string

var (
	modelOnce     sync.Once
	rankerWeights []float64
	modelErr      error
)

// loadKPModel parses the embedded ranker weights once per process.
func loadKPModel() ([]float64, error) {
	modelOnce.Do(func() { rankerWeights, modelErr = parseKPModel(modelText) })
	return rankerWeights, modelErr
}

// parseKPModel reads "name<TAB>weight" lines ('#' lines are comments); every feature of
// featureNames must have a weight.
func parseKPModel(text string) ([]float64, error) {
	idx := map[string]int{}
	for i, n := range featureNames {
		idx[n] = i
	}
	w := make([]float64, len(featureNames))
	seen := make([]bool, len(w))
	for _, l := range strings.Split(text, "\n") {
		if l == "" || l[0] == '#' {
			continue
		}
		name, v, ok := strings.Cut(l, "\t")
		i, known := idx[name]
		if !ok || !known {
			return nil, fmt.Errorf("key phrase model: bad line %q", l)
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("key phrase model: %w", err)
		}
		w[i], seen[i] = f, true
	}
	for i, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("key phrase model: no weight for %q", featureNames[i])
		}
	}
	return w, nil
}

// New loads the embedded background document-frequency table and returns the
// analyser.
func New(cfg Config) (*Analyzer, error) {
	if cfg.MaxBytes < 0 {
		return nil, fmt.Errorf("%w: negative MaxBytes", job.ErrInvalid)
	}
	if err := txt.CheckEnglish(job.KeyPhrases, cfg.LanguageCode, true); err != nil {
		return nil, fmt.Errorf("%w: %s", job.ErrInvalid, err.Message)
	}
	a, err := newKeyPhrasesTables(cfg)
	if err != nil {
		return nil, err
	}
	if a.model, err = loadKPModel(); err != nil {
		return nil, err
	}
	return a, nil
}

// newKeyPhrasesTables returns the analyser without its learned ranker (TF-IDF ranking only):
// the baseline, and the starting point of training.
func newKeyPhrasesTables(cfg Config) (*Analyzer, error) {
	a := &Analyzer{df: map[string]int32{}, maxBytes: cfg.MaxBytes, lang: cfg.LanguageCode}
	if a.maxBytes == 0 {
		a.maxBytes = DefaultMaxBytes
	}
	if err := a.loadDF(); err != nil {
		return nil, err
	}
	if err := a.loadKP(); err != nil {
		return nil, err
	}
	a.pool.New = func() any { s := make([]txt.Token, 0, 256); return &s }
	return a, nil
}

func (a *Analyzer) loadDF() error {
	f, err := lexiconFS.Open("lexicon/keyphrase_df.txt")
	if err != nil {
		return fmt.Errorf("key phrase table: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if rest, ok := strings.CutPrefix(l, "#docs "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(rest))
			if err != nil {
				return fmt.Errorf("key phrase table: %w", err)
			}
			a.nDocs = float64(n)
			continue
		}
		if l == "" || l[0] == '#' {
			continue
		}
		w, c, ok := strings.Cut(l, "\t")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(c)
		if err != nil {
			return fmt.Errorf("key phrase table: %w", err)
		}
		a.df[w] = int32(n)
	}
	if a.nDocs == 0 {
		return fmt.Errorf("key phrase table: no #docs line")
	}
	return sc.Err()
}

// loadKP reads keyphraseness, "key<TAB>gold<TAB>occ" lines (written by TestTrainKeyPhrases).
func (a *Analyzer) loadKP() error {
	b, err := lexiconFS.ReadFile("lexicon/keyphrase_gold.txt")
	if err != nil {
		return fmt.Errorf("key phrase keyphraseness: %w", err)
	}
	m := map[string]kpStat{}
	for _, l := range txt.LexiconLines(string(b)) {
		f := strings.Split(l, "\t")
		if len(f) != 3 {
			return fmt.Errorf("key phrase keyphraseness: bad line %q", l)
		}
		g, err1 := strconv.Atoi(f[1])
		o, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("key phrase keyphraseness: bad line %q", l)
		}
		m[f[0]] = kpStat{int32(g), int32(o)}
	}
	a.setKP(m)
	return nil
}

// setKP installs keyphraseness counts and their sums by last stem.
func (a *Analyzer) setKP(m map[string]kpStat) {
	a.kp = m
	a.kpHead = map[string]int32{}
	for k, st := range m {
		a.kpHead[lastStem(k)] += st.gold
	}
}

// lastStem is the last word of a phrase key.
func lastStem(key string) string { return key[strings.LastIndexByte(key, ' ')+1:] }

// Name implements Analyzer.
func (a *Analyzer) Name() job.Analysis { return job.KeyPhrases }

// ModelVersion implements Analyzer.
func (a *Analyzer) ModelVersion() string { return "ream-keyphrases-chunk-logreg-3" }

// DefaultMaxBytes implements Analyzer.
func (a *Analyzer) DefaultMaxBytes() int { return a.maxBytes }

// Analyze implements Analyzer. A non-English declared language is a DocError
// UNSUPPORTED_LANGUAGE; into.KeyPhrases is set non-nil (empty when nothing is found).
func (a *Analyzer) Analyze(text string, opts result.Options, into *result.Result) error {
	if err := txt.CheckEnglish(job.KeyPhrases, opts.LanguageCode, true); err != nil {
		return err
	}
	into.KeyPhrases = a.Extract(text)
	return nil
}

// verbWords are common verb forms that the suffix rules miss; they break chunks.
var verbWords = txt.Set(`is are was were be been am rose fell grew won lost began begun left led
met ran sat set put cut hit let sent spent paid sold bought brought thought found held kept
stood struck spoke wrote drove flew threw forced caused called expected warned helped
became remain remains remained seem seems seemed appear appears say says tell tells
agreed hope hopes expect expects urged urge need needs must become becomes include
includes rises keep keeps hold holds show shows shown reach reaches
argue argues believe believes think thinks would could should might will can may shall
does did do has have had saw see seen drew beat fought took gave broke chose built caught
felt knew meant rode shot shut sought shook stole taught threw understood withdrew
near`)

// ambigVerbs are verbs that are also nouns ("a visit"): nominal only after a determiner.
var ambigVerbs = txt.Set(`visit visits call calls contact contacts write email phone need needs face faces plan plans
fight fights vote votes`)

// det are determiners and possessives before which an ambiguous verb is a noun.
var det = txt.Set(`the a an his her its their our my your this that these those every each no of`)

// adjectiveWords are common adjectives that are not key phrases alone.
var adjectiveWords = txt.Set(`good bad great excellent positive negative happy sad high low strong weak long short large
small big important possible impossible available likely unlikely clear difficult easy hard
early late full free open ready safe sure true false wrong right able poor rich old young
fine nice better best worse worst major minor key main certain recent current final`)

// adjSuffixes mark a lower-case word after a copula as a predicate adjective.
var adjSuffixes = []string{"ive", "ent", "ant", "ous", "ful", "able", "ible", "al", "ic", "less"}

// copulas are words after which a lone word is a predicate adjective ("was positive").
var copulas = txt.Set(`is are was were be been being seems seemed remain remains remained very so too more most`)

// nameConnectors join capitalised words into one phrase: Ministry of Commerce.
var nameConnectors = txt.Set(`of for de`)

// noise are time and number words that are dates or quantities, not key phrases, alone.
var noise = txt.Set(`year years percent per cent week weeks month months day days time times quarter
morning afternoon evening night hour hours minute minutes million millions billion billions
thousand thousands hundred hundreds decade decades`)

// lyNouns are nouns that end in -ly, which otherwise marks an adverb.
var lyNouns = txt.Set(`anomaly anomaly family assembly monopoly italy july rally reply ally poly jelly belly bully`)

// aux are words after which an -ing word is a verb.
var aux = txt.Set(`is are was were be been being am to not also still 's`)

// chunkSpan is one chunk occurrence: tokens [s,e); its variants (the chunk itself and, for the
// learned ranker, its sub-phrases) are vars[vb:ve].
type chunkSpan struct {
	s, e   int
	vb, ve int
}

// variant is one variant of a chunk occurrence: tokens [s,e) of group.
type variant struct {
	s, e, group int
	form        bool // the chunk, or a sub-phrase ending it, ending a name or a compound noun
}

// phraseGroup is one distinct candidate phrase (by stemmed words) of a document.
type phraseGroup struct {
	key   string
	first int // first token of its first occurrence
	count int // occurrences, as a whole chunk or inside one
	whole int // occurrences as a whole chunk
	tail  int // occurrences ending where their chunk ends (with the chunk's head noun)
	form  int // occurrences as a whole chunk, ending with it, ending a name or a compound noun
	stems []string
	score float64
}

// doc is one document's candidates.
type doc struct {
	toks    []txt.Token
	lower   []string
	sentEnd int // token index after the first sentence (the title in the abstracts)
	chunks  []chunkSpan
	vars    []variant
	gs      []phraseGroup
	wordTF  map[string]int
	title   map[string]bool // stems of the first sentence's words
	// per token of a chunk: idf against the background table, background df, ln of the
	// stem's count in the document's chunks, whether the stem is in the first sentence
	idf     []float64
	df      []int32
	logTF   []float64
	inTitle []bool
}

// Extract returns the key phrases of text in document order (never nil). Text not in NFC is
// read in NFC, with offsets and Texts mapped back to text.
func (a *Analyzer) Extract(text string) []result.KeyPhrase {
	text, m := txt.NFC(text)
	out := a.extract(text, a.model != nil)
	m.KeyPhrases(out)
	return out
}

// extract lists the key phrases of text; learned selects the learned ranker with sub-phrase
// candidates, otherwise the TF-IDF ranking of whole chunks (the baseline of the evaluation).
func (a *Analyzer) extract(text string, learned bool) []result.KeyPhrase {
	bufp := a.pool.Get().(*[]txt.Token)
	d := a.candidates(text, *bufp, learned)
	defer func() { *bufp = d.toks[:0]; a.pool.Put(bufp) }()
	toks := d.toks
	out := make([]result.KeyPhrase, 0, len(d.chunks))
	if len(d.chunks) == 0 {
		return out
	}
	list := a.rank(d, learned)
	best := 0.0
	for _, v := range list {
		best = max(best, d.gs[v.group].score)
	}
	for _, v := range list {
		sc := d.gs[v.group].score / best
		if sc < 0.01 || math.IsNaN(sc) {
			sc = 0.01
		}
		b, e := &toks[v.s], &toks[v.e-1]
		out = append(out, result.KeyPhrase{BeginOffset: b.RBegin, EndOffset: e.REnd, Score: math.Round(sc*1e4) / 1e4, Text: text[b.Begin:e.End]})
	}
	return out
}

// rank scores d's phrases and returns what is listed, in document order: each chunk
// occurrence's best-scoring form, so listed phrases never overlap (as Comprehend's).
func (a *Analyzer) rank(d *doc, learned bool) []variant {
	var x []float64
	if learned {
		x = make([]float64, len(featureNames))
	}
	// only a form can be listed: the other candidates need no score
	listable := make([]bool, len(d.gs))
	for _, v := range d.vars {
		listable[v.group] = listable[v.group] || v.form
	}
	for gi := range d.gs {
		g := &d.gs[gi]
		if !listable[gi] {
			continue
		}
		if learned {
			a.featuresOf(d, g, x)
			z := 0.0
			for i, v := range x {
				z += a.model[i] * v
			}
			g.score = 1 / (1 + math.Exp(-z))
		} else {
			g.score = a.tfidf(d, g, true)
		}
	}
	for ci := range d.chunks {
		c := &d.chunks[ci]
		bv := c.vb
		for v := c.vb + 1; v < c.ve; v++ {
			if !d.vars[v].form {
				continue
			}
			if d.gs[d.vars[v].group].score > d.gs[d.vars[bv].group].score {
				bv = v
			}
		}
		c.vb = bv // the chunk's best variant: the phrase listed for this occurrence
	}
	list := make([]variant, 0, len(d.chunks))
	for _, c := range d.chunks {
		list = append(list, d.vars[c.vb])
	}
	return list
}

// candidates finds the noun-phrase chunks of text (tokenised into buf) and groups their
// distinct phrases; with subs, the sub-phrases of each chunk (up to three words, never cutting
// a run of capitalised words, keeping the chunk's last word unless they end a name or are a
// compound noun not led by an adjective) are candidates too.
func (a *Analyzer) candidates(text string, buf []txt.Token, subs bool) *doc {
	toks := txt.Tokenize(text, buf)
	n := len(toks)
	d := &doc{toks: toks, sentEnd: n, wordTF: map[string]int{}}
	lower := make([]string, n)
	d.lower = lower
	stems := make([]string, n)
	nominal := make([]bool, n)
	for i := range toks {
		t := &toks[i]
		if i > 0 && t.SentStart && d.sentEnd == n {
			d.sentEnd = i
		}
		if t.Kind != txt.Word {
			continue
		}
		w := txt.LowerASCII(t.Text)
		lower[i] = w
		if w == "'s" || w == "’s" || txt.Stopwords[w] || verbWords[w] || txt.NumberWords[w] || txt.RelativeDays[w] || txt.Weekdays[w] || noise[w] || txt.Months[w] {
			continue
		}
		if len(w) > 4 && strings.HasSuffix(w, "ly") && !strings.HasSuffix(w, "ply") && !lyNouns[w] {
			continue // adverb (but supply, anomaly)
		}
		if len([]rune(w)) < 2 {
			continue
		}
		if strings.HasSuffix(w, "er") && !toks[i].Cap && comparative(w) {
			continue // a comparative is not part of a key phrase: "higher mortgage costs" (superlatives are: "shortest path")
		}
		nominal[i] = true
	}
	// e-mail addresses and URLs are never split into phrases: skip their tokens
	if strings.ContainsAny(text, "@") || strings.Contains(text, "://") || strings.Contains(text, "www.") {
		// Tokens come in text order and none holds white space, so each lies in one field:
		// each field is found and tested once, not once per token (a 100 KB field of "a@a@…"
		// took seconds).
		fb, fe, addr := 0, -1, false
		for i := range toks {
			if b := toks[i].Begin; b < fb || b >= fe {
				fb, fe = field(text, b, toks[i].End)
				addr = isAddress(text[fb:fe])
			}
			if addr {
				nominal[i] = false
			}
		}
	}
	for i := range toks {
		w := lower[i]
		if w == "" {
			continue
		}
		// "time" modifying a lower-case noun is part of the phrase: time series, time warping
		if w == "time" && i+1 < n && nominal[i+1] && !toks[i+1].Cap && toks[i+1].SpaceBefore {
			nominal[i] = true
		}
		// New York, New Jersey: "new" before a capitalised word is part of the name
		if w == "new" && toks[i].Cap && i+1 < n && toks[i+1].Cap && toks[i+1].Kind == txt.Word && nominal[i+1] {
			nominal[i] = true
		}
		if nominal[i] && ambigVerbs[w] && !toks[i].Cap && (i == 0 || !det[lower[i-1]]) {
			nominal[i] = false
		}
	}
	isEd := func(i int) bool {
		w := lower[i]
		return len(w) > 4 && strings.HasSuffix(w, "ed") && !strings.HasSuffix(w, "eed") && !toks[i].Cap
	}
	isIng := func(i int) bool {
		w := lower[i]
		return len(w) > 5 && strings.HasSuffix(w, "ing") && !toks[i].Cap
	}
	// -ing right after an auxiliary, "to" or a subject-like word is a verb; -ed inside a run is a verb
	for i := 0; i < n; i++ {
		if !nominal[i] {
			continue
		}
		if isIng(i) && i > 0 && (aux[lower[i-1]] || i+1 < n && (lower[i+1] == "the" || lower[i+1] == "a" || lower[i+1] == "its" || lower[i+1] == "their")) {
			nominal[i] = false
		}
		if isEd(i) && i > 0 && nominal[i-1] && !adjLike(lower[i-1]) && !isIng(i-1) && !strings.Contains(lower[i-1], "-") {
			nominal[i] = false // "bank raised" (but "efficient closed patterns")
		}
		if (isEd(i)) && (i+1 >= n || !nominal[i+1]) {
			nominal[i] = false // an -ed word cannot head a phrase
		}
		if i > 0 && lower[i-1] == "to" && !toks[i].Cap {
			nominal[i] = false // infinitive
		}
	}

	d.title = make(map[string]bool, d.sentEnd)
	for i := 0; i < d.sentEnd; i++ {
		if lower[i] != "" {
			stems[i] = txt.Stem(lower[i])
			d.title[stems[i]] = true
		}
	}
	groups := map[string]int{}
	var kb []byte
	addVar := func(s, e int, whole, tail, form bool) {
		kb = kb[:0]
		for k := s; k < e; k++ {
			if k > s {
				kb = append(kb, ' ')
			}
			kb = append(kb, stems[k]...)
		}
		gi, ok := groups[string(kb)]
		if !ok {
			gi = len(d.gs)
			key := string(kb)
			groups[key] = gi
			d.gs = append(d.gs, phraseGroup{key: key, first: s, stems: stems[s:e:e]})
		}
		g := &d.gs[gi]
		g.count++
		if whole {
			g.whole++
		}
		if tail {
			g.tail++
		}
		if form {
			g.form++
		}
		d.vars = append(d.vars, variant{s, e, gi, form})
	}
	// badCut reports whether a sub-phrase boundary before token k splits a name (Michael|Buble,
	// New|York at a sentence start too).
	badCut := func(k int) bool { return toks[k-1].Cap && toks[k].Cap }
	for i := 0; i < n; {
		if !nominal[i] {
			i++
			continue
		}
		e := i + 1
		proper := false
		for e < n {
			if strings.ContainsAny(text[toks[e-1].End:toks[e].Begin], txt.LineBreaks) {
				break // a phrase never crosses a line break (a heading, a list item, a new paragraph)
			}
			if nominal[e] && toks[e].SpaceBefore {
				e++
				continue
			}
			// Ministry of Commerce, Bank of England: a connector between capitalised words
			if e+1 < n && toks[e-1].Cap && nameConnectors[lower[e]] && nominal[e+1] && toks[e+1].Cap && !toks[e+1].SentStart &&
				!strings.ContainsAny(text[toks[e].End:toks[e+1].Begin], txt.LineBreaks) {
				proper = true
				e += 2
				continue
			}
			break
		}
		s := i
		i = e
		maxW := 4
		if proper {
			maxW = 7
		}
		if e-s > maxW {
			s = e - maxW
			for s < e && nameConnectors[lower[s]] {
				s++
			}
		}
		// a lone adjective is not a noun phrase: "positive", "excellent"
		if e-s == 1 && !toks[s].Cap && (adjectiveWords[lower[s]] || s > 0 && copulas[lower[s-1]] && hasAdjSuffix(lower[s])) {
			continue
		}
		for k := s; k < e; k++ {
			if stems[k] == "" {
				stems[k] = txt.Stem(lower[k])
			}
			d.wordTF[stems[k]]++
		}
		vb := len(d.vars)
		addVar(s, e, true, true, true) // every occurrence, as Comprehend lists them
		if subs && !proper && e-s >= 2 {
			for ss := s; ss < e; ss++ {
				if ss > s && badCut(ss) {
					continue
				}
				for ee := ss + 1; ee <= e && ee-ss <= 3; ee++ {
					// every sub-phrase of up to three words that splits no name and does not end
					// on an -ed word is a candidate; those that keep the chunk's head noun (its last
					// word), end a name before a lower-case word ("star Michael Buble kisses") or
					// are a compound noun of two or three words not led by an adjective ("data
					// mining techniques", not "naive mortgage costs") are its forms, which a chunk
					// occurrence may list (the others, "collaborative filtering" in "collaborative
					// filtering approach", are candidates only)
					nameEnd := toks[ee-1].Cap && !toks[ee-1].SentStart && (ee == len(toks) || !toks[ee].Cap)
					compound := ee-ss >= 2 && !adjLike(lower[ss]) && !adjLike(lower[ee-1])
					if ss == s && ee == e || ee < e && badCut(ee) || isEd(ee-1) {
						continue
					}
					if ee-ss == 1 && !toks[ss].Cap && adjectiveWords[lower[ss]] {
						continue
					}
					addVar(ss, ee, false, ee == e, ee == e || nameEnd || compound)
				}
			}
		}
		d.chunks = append(d.chunks, chunkSpan{s: s, e: e, vb: vb, ve: len(d.vars)})
	}
	d.idf, d.df, d.logTF, d.inTitle = make([]float64, n), make([]int32, n), make([]float64, n), make([]bool, n)
	for _, c := range d.chunks {
		for k := c.s; k < c.e; k++ {
			df := a.df[stems[k]]
			d.df[k] = df
			d.idf[k] = math.Log((a.nDocs + 1) / (float64(df) + 1))
			d.logTF[k] = math.Log(float64(max(d.wordTF[stems[k]], 1)))
			d.inTitle[k] = d.title[stems[k]]
		}
	}
	return d
}

// tfidf is the TF-IDF score of a phrase: the sum over its words of idf·(1+ln tf), over the
// square root of its length; boosted, it times boosts for a repeated phrase and an early first
// mention, and a penalty for a lone proper name (the ranking before the learned one).
func (a *Analyzer) tfidf(d *doc, g *phraseGroup, boosted bool) float64 {
	sum := 0.0
	for k := g.first; k < g.first+len(g.stems); k++ {
		sum += d.idf[k] * (1 + d.logTF[k])
	}
	score := sum / math.Sqrt(float64(len(g.stems)))
	if !boosted {
		return score
	}
	n := len(d.toks)
	if len(g.stems) == 1 && d.toks[g.first].Cap && !d.toks[g.first].SentStart {
		score *= 0.7 // lone proper names are entities more than key phrases
	}
	score *= 1 + 0.5*math.Log(float64(g.count))
	score *= 1 + 0.5/(1+8*float64(g.first)/float64(n))
	return score
}

// suffixes are the word-ending classes of the ranker's head-word and modifier features.
var suffixes = []string{"tion", "sion", "ing", "ity", "ness", "ment", "ism", "ist", "ogy", "ics", "ic", "al", "ive", "ous", "able", "er", "or", "ure", "ance", "ence", "ss", "s", "y"}

// suffixClass is the index in suffixes of w's ending, len(suffixes) for none.
func suffixClass(w string) int {
	for i, suf := range suffixes {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			return i
		}
	}
	return len(suffixes)
}

// featureNames name the learned ranker's features, in the order featuresOf fills them; the
// weights file (models/keyphrases.txt) gives one weight per name.
var featureNames = func() []string {
	names := []string{"bias", "log_count", "log_whole", "never_whole", "contained_frac", "tail_frac",
		"pos", "early", "first_sentence", "first_sentence_multi", "sent_start",
		"words1", "words2", "words3", "words4", "log_chars",
		"idf_mean", "idf_max", "idf_min", "unknown_frac", "log_tfidf", "log_head_tf", "log_word_tf_mean",
		"cap_all", "cap_any", "allcap", "hyphen", "digit",
		"mod_adjsuffix", "mod_ed", "mod_ing", "mod_adjective", "single_adjsuffix", "single_ing", "log_count_single",
		"mod_plural", "log_count_multi", "early_single", "first_sentence_single", "title_word_frac", "title_head", "title_all_multi",
		"kp_gold", "kp_rate", "kp_seen", "kp_head", "mod_adjlike", "form_frac", "mod_superlative"}
	for _, s := range suffixes {
		names = append(names, "head_"+s)
	}
	return append(names, "head_other")
}()

// featuresOf fills x (len(featureNames)) with the features of phrase g of document d.
func (a *Analyzer) featuresOf(d *doc, g *phraseGroup, x []float64) {
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	toks := d.toks
	nw := len(g.stems)
	s, e := g.first, g.first+nw
	rel := float64(g.first) / float64(len(toks))
	count := float64(g.count)
	idfNorm := math.Log(a.nDocs + 1)
	idfSum, idfMax, idfMin, unknown, tfSum := 0.0, 0.0, math.Inf(1), 0.0, 0.0
	inTitle := 0.0
	for k := s; k < e; k++ {
		idf := d.idf[k] / idfNorm
		idfSum += idf
		idfMax = math.Max(idfMax, idf)
		idfMin = math.Min(idfMin, idf)
		if d.df[k] == 0 {
			unknown++
		}
		tfSum += d.logTF[k]
		if d.inTitle[k] {
			inTitle++
		}
	}
	capAll, capAny, allCap, hyphen, digit := true, false, false, false, false
	chars := 0
	for k := s; k < e; k++ {
		t := &toks[k]
		c := t.Cap && !t.SentStart || t.AllCap || t.HasInnerUpper
		capAll = capAll && c
		capAny = capAny || c
		allCap = allCap || t.AllCap
		hyphen = hyphen || strings.Contains(t.Text, "-")
		digit = digit || t.HasDigit
		chars += len(t.Text)
	}
	chars += nw - 1
	mod := d.lower[s]
	head := d.lower[e-1]
	x = x[:0]
	x = append(x, 1, math.Log1p(count), math.Log1p(float64(g.whole)), b2f(g.whole == 0),
		(count-float64(g.whole))/count, float64(g.tail)/count,
		rel, 1/(1+8*rel), b2f(g.first < d.sentEnd), b2f(g.first < d.sentEnd && nw > 1), b2f(toks[s].SentStart),
		b2f(nw == 1), b2f(nw == 2), b2f(nw == 3), b2f(nw >= 4), math.Log(float64(chars)),
		idfSum/float64(nw), idfMax, idfMin, unknown/float64(nw), math.Log1p(a.tfidf(d, g, false)),
		d.logTF[e-1], tfSum/float64(nw),
		b2f(capAll), b2f(capAny), b2f(allCap), b2f(hyphen), b2f(digit),
		b2f(nw > 1 && hasAdjSuffix(mod)), b2f(nw > 1 && strings.HasSuffix(mod, "ed")), b2f(nw > 1 && strings.HasSuffix(mod, "ing")),
		b2f(nw > 1 && adjectiveWords[mod]), b2f(nw == 1 && hasAdjSuffix(mod)), b2f(nw == 1 && strings.HasSuffix(mod, "ing")),
		b2f(nw == 1)*math.Log1p(count),
		b2f(nw > 1 && strings.HasSuffix(mod, "s") && !strings.HasSuffix(mod, "ss")), b2f(nw > 1)*math.Log1p(count),
		b2f(nw == 1)/(1+8*rel), b2f(g.first < d.sentEnd && nw == 1), inTitle/float64(nw), b2f(d.inTitle[e-1]),
		b2f(nw > 1 && inTitle == float64(nw)))
	st := a.kp[g.key]
	kf := kpFeatures(st.gold, st.occ, a.kpHead[lastStem(g.key)])
	x = append(x, kf[:]...)
	x = append(x, b2f(nw > 1 && adjLike(mod)), float64(g.form)/count, b2f(nw > 1 && comparative(mod))) // comparatives break chunks: superlatives
	hc := suffixClass(head)
	for i := 0; i <= len(suffixes); i++ {
		x = append(x, b2f(i == hc))
	}
}

// kpFeatures are the keyphraseness features of a phrase gold in gold abstracts of the train
// part, occurring in occ, whose last stem ends head gold phrases.
func kpFeatures(gold, occ, head int32) [4]float64 {
	f := [4]float64{math.Log1p(float64(gold)), float64(gold) / float64(occ+1), 0, math.Log1p(float64(head))}
	if gold > 0 {
		f[2] = 1
	}
	return f
}

func hasAdjSuffix(w string) bool {
	for _, suf := range adjSuffixes {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			return true
		}
	}
	return false
}

// adjLike reports whether w looks like an adjective: a common one, an adjective ending, or
// the comparative or superlative of a common one (higher, largest).
func adjLike(w string) bool {
	return adjectiveWords[w] || hasAdjSuffix(w) || comparative(w)
}

// comparative reports whether w is the comparative or superlative of a common adjective
// (higher, largest, easier).
func comparative(w string) bool {
	for _, suf := range []string{"er", "est"} {
		if b, ok := strings.CutSuffix(w, suf); ok && (adjectiveWords[b] || adjectiveWords[b+"e"] || strings.HasSuffix(b, "i") && adjectiveWords[b[:len(b)-1]+"y"]) {
			return true
		}
	}
	return false
}

// field returns the whitespace-delimited field of text that holds the byte range [b,e), white
// space as the tokenizer reads it (unicode.IsSpace: a no-break space, VT, NEL, U+2028, …, not
// only ASCII's), so that no token holds white space its field does not.
func field(text string, b, e int) (fb, fe int) {
	if i := strings.LastIndexFunc(text[:b], unicode.IsSpace); i >= 0 {
		_, n := utf8.DecodeRuneInString(text[i:])
		fb = i + n
	}
	fe = strings.IndexFunc(text[e:], unicode.IsSpace)
	if fe < 0 {
		return fb, len(text)
	}
	return fb, fe + e
}

// isAddress reports whether a whitespace-delimited field is an e-mail address or a URL.
func isAddress(f string) bool {
	return strings.Contains(f, "@") || strings.Contains(f, "://") || strings.HasPrefix(f, "www.")
}

// Top returns the distinct phrases of kps (by stemmed, lower-cased words), best
// first, at most k; ties keep document order.
func Top(kps []result.KeyPhrase, k int) []result.KeyPhrase {
	seen := map[string]bool{}
	var uniq []result.KeyPhrase
	for _, p := range kps {
		key := phraseKey(p.Text)
		if seen[key] {
			continue
		}
		seen[key] = true
		uniq = append(uniq, p)
	}
	sort.SliceStable(uniq, func(i, j int) bool { return uniq[i].Score > uniq[j].Score })
	if len(uniq) > k {
		uniq = uniq[:k]
	}
	return uniq
}

// phraseKey is the matching key of a phrase: its words lower-cased and stemmed.
func phraseKey(s string) string {
	toks := txt.Tokenize(s, nil)
	parts := make([]string, 0, len(toks))
	for _, t := range toks {
		if t.Kind == txt.Punct {
			continue
		}
		parts = append(parts, txt.Stem(txt.LowerASCII(t.Text)))
	}
	return strings.Join(parts, " ")
}
