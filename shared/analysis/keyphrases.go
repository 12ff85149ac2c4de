package analysis

import (
	"bufio"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/ream-dev/ream/shared/job"
)

// DefaultKeyPhrasesMaxBytes is the KEY_PHRASES per-document size limit (Comprehend's
// asynchronous limit is 100 KB per document).
const DefaultKeyPhrasesMaxBytes = 100000

// KeyPhrasesConfig configures the KEY_PHRASES analyser.
type KeyPhrasesConfig struct {
	// MaxBytes is the per-document size limit; 0 means DefaultKeyPhrasesMaxBytes.
	MaxBytes int
	// LanguageCode, when set to anything but English, makes every document a DocError
	// UNSUPPORTED_LANGUAGE, as a non-English Options.LanguageCode does.
	LanguageCode string
}

// KeyPhrasesAnalyzer extracts key phrases (KEY_PHRASES) from English text.
//
// Candidates are noun-phrase chunks found without a part-of-speech tagger: maximal runs of
// words that are not function words (an embedded stopword list), not common verbs, not
// adverbs (-ly), with -ed/-ing words taken only where they modify a following noun, numbers
// and punctuation breaking runs; runs are cut to their last four words. Each distinct phrase
// (compared by stemmed words, see stem) is scored TF-IDF-style: the sum over its words of
// idf(word)·(1+ln tf(word)), with document frequencies from an embedded background table
// (lexicon/keyphrase_df.txt, about 1,900 English software descriptions), times a boost for
// repeated phrases and for a first mention early in the document, normalised by length.
//
// The output lists every chunk occurrence in document order, as Comprehend does, each with
// its phrase's score scaled so the best phrase of the document scores 1; sort by Score for
// a ranking. Offsets count characters, EndOffset exclusive; Text is the exact substring
// without leading determiners. Limits: English only; phrases are at most four words; the
// ranking knows nothing of multi-word meaning beyond co-occurrence in the document. It is
// safe for concurrent use.
type KeyPhrasesAnalyzer struct {
	df       map[string]int32
	nDocs    float64
	maxBytes int
	lang     string
	pool     sync.Pool
}

var _ Analyzer = (*KeyPhrasesAnalyzer)(nil)

// NewKeyPhrases loads the embedded background document-frequency table and returns the
// analyser.
func NewKeyPhrases(cfg KeyPhrasesConfig) (*KeyPhrasesAnalyzer, error) {
	if cfg.MaxBytes < 0 {
		return nil, fmt.Errorf("%w: negative MaxBytes", job.ErrInvalid)
	}
	if err := checkEnglishFor("KEY_PHRASES", cfg.LanguageCode); err != nil {
		return nil, fmt.Errorf("%w: %s", job.ErrInvalid, err.Message)
	}
	a := &KeyPhrasesAnalyzer{df: map[string]int32{}, maxBytes: cfg.MaxBytes, lang: cfg.LanguageCode}
	if a.maxBytes == 0 {
		a.maxBytes = DefaultKeyPhrasesMaxBytes
	}
	if err := a.loadDF(); err != nil {
		return nil, err
	}
	a.pool.New = func() any { s := make([]token, 0, 256); return &s }
	return a, nil
}

func (a *KeyPhrasesAnalyzer) loadDF() error {
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

// Name implements Analyzer.
func (a *KeyPhrasesAnalyzer) Name() job.Analysis { return job.KeyPhrases }

// ModelVersion implements Analyzer.
func (a *KeyPhrasesAnalyzer) ModelVersion() string { return "ream-keyphrases-chunk-tfidf-1" }

// DefaultMaxBytes implements Analyzer.
func (a *KeyPhrasesAnalyzer) DefaultMaxBytes() int { return a.maxBytes }

// Analyze implements Analyzer. A non-English declared language is a DocError
// UNSUPPORTED_LANGUAGE; into.KeyPhrases is set non-nil (empty when nothing is found).
func (a *KeyPhrasesAnalyzer) Analyze(text string, opts Options, into *Result) error {
	if err := checkEnglishFor("KEY_PHRASES", opts.LanguageCode); err != nil {
		return err
	}
	into.KeyPhrases = a.Extract(text)
	return nil
}

// kpVerbs are common verb forms that the suffix rules miss; they break chunks.
var kpVerbs = toSet(`is are was were be been am rose fell grew won lost began begun left led
met ran sat set put cut hit let sent spent paid sold bought brought thought found held kept
stood struck spoke wrote drove flew threw forced caused called expected warned helped
became remain remains remained seem seems seemed appear appears say says tell tells
agreed hope hopes expect expects urged urge need needs must become becomes include
includes rises keep keeps hold holds show shows shown reach reaches
argue argues believe believes think thinks would could should might will can may shall
does did do has have had saw see seen drew beat fought took gave broke chose built caught
felt knew meant rode shot shut sought shook stole taught threw understood withdrew
near`)

// kpAmbigVerbs are verbs that are also nouns ("a visit"): nominal only after a determiner.
var kpAmbigVerbs = toSet(`visit visits call calls contact contacts write email phone need needs face faces plan plans
fight fights vote votes`)

// kpDet are determiners and possessives before which an ambiguous verb is a noun.
var kpDet = toSet(`the a an his her its their our my your this that these those every each no of`)

// kpAdjectives are common adjectives that are not key phrases alone.
var kpAdjectives = toSet(`good bad great excellent positive negative happy sad high low strong weak long short large
small big important possible impossible available likely unlikely clear difficult easy hard
early late full free open ready safe sure true false wrong right able poor rich old young
fine nice better best worse worst major minor key main certain recent current final`)

// kpAdjSuffixes mark a lower-case word after a copula as a predicate adjective.
var kpAdjSuffixes = []string{"ive", "ent", "ant", "ous", "ful", "able", "ible", "al", "ic", "less"}

// kpCopulas are words after which a lone word is a predicate adjective ("was positive").
var kpCopulas = toSet(`is are was were be been being seems seemed remain remains remained very so too more most`)

// kpNameConnectors join capitalised words into one phrase: Ministry of Commerce.
var kpNameConnectors = toSet(`of for de`)

// kpNoise are time and number words that are dates or quantities, not key phrases, alone.
var kpNoise = toSet(`year years percent per cent week weeks month months day days time times quarter
morning afternoon evening night hour hours minute minutes million millions billion billions
thousand thousands hundred hundreds decade decades`)

// kpAux are words after which an -ing word is a verb.
var kpAux = toSet(`is are was were be been being am to not also still 's`)

// kpChunk is one candidate occurrence: tokens [s,e).
type kpChunk struct {
	s, e  int
	group int
}

type kpGroup struct {
	key   string
	first int // first token index
	count int
	stems []string
	score float64
}

// Extract returns the key phrases of text in document order (never nil).
func (a *KeyPhrasesAnalyzer) Extract(text string) []KeyPhrase {
	bufp := a.pool.Get().(*[]token)
	toks := tokenize(text, *bufp)
	defer func() { *bufp = toks[:0]; a.pool.Put(bufp) }()

	n := len(toks)
	lower := make([]string, n)
	stems := make([]string, n)
	nominal := make([]bool, n)
	for i := range toks {
		t := &toks[i]
		if t.Kind != tkWord {
			continue
		}
		w := lowerASCII(t.Text)
		lower[i] = w
		if w == "'s" || w == "’s" || tuStopwords[w] || kpVerbs[w] || entNumWords[w] || entRelDay[w] || entWeekdays[w] || kpNoise[w] || entMonths[w] {
			continue
		}
		if len(w) > 4 && strings.HasSuffix(w, "ly") && !strings.HasSuffix(w, "ply") {
			continue // adverb (but supply)
		}
		if len([]rune(w)) < 2 {
			continue
		}
		nominal[i] = true
	}
	// e-mail addresses and URLs are never split into phrases: skip their tokens
	if strings.ContainsAny(text, "@") || strings.Contains(text, "://") || strings.Contains(text, "www.") {
		for i := range toks {
			if kpInAddress(text, toks[i].Begin, toks[i].End) {
				nominal[i] = false
			}
		}
	}
	for i := range toks {
		w := lower[i]
		if w == "" {
			continue
		}
		// New York, New Jersey: "new" before a capitalised word is part of the name
		if w == "new" && toks[i].Cap && i+1 < n && toks[i+1].Cap && toks[i+1].Kind == tkWord && nominal[i+1] {
			nominal[i] = true
		}
		if nominal[i] && kpAmbigVerbs[w] && !toks[i].Cap && (i == 0 || !kpDet[lower[i-1]]) {
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
		if isIng(i) && i > 0 && (kpAux[lower[i-1]] || i+1 < n && (lower[i+1] == "the" || lower[i+1] == "a" || lower[i+1] == "its" || lower[i+1] == "their")) {
			nominal[i] = false
		}
		if isEd(i) && i > 0 && nominal[i-1] {
			nominal[i] = false // "bank raised"
		}
		if (isEd(i)) && (i+1 >= n || !nominal[i+1]) {
			nominal[i] = false // an -ed word cannot head a phrase
		}
		if i > 0 && lower[i-1] == "to" && !toks[i].Cap {
			nominal[i] = false // infinitive
		}
	}

	var chunks []kpChunk
	groups := map[string]int{}
	var gs []kpGroup
	wordTF := map[string]int{}
	var kb strings.Builder
	for i := 0; i < n; {
		if !nominal[i] {
			i++
			continue
		}
		e := i + 1
		proper := false
		for e < n {
			if strings.ContainsAny(text[toks[e-1].End:toks[e].Begin], "\n\r\u2028\u2029") {
				break // a phrase never crosses a line break (a heading, a list item, a new paragraph)
			}
			if nominal[e] && toks[e].SpaceBefore {
				e++
				continue
			}
			// Ministry of Commerce, Bank of England: a connector between capitalised words
			if e+1 < n && toks[e-1].Cap && kpNameConnectors[lower[e]] && nominal[e+1] && toks[e+1].Cap && !toks[e+1].SentStart {
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
			for s < e && kpNameConnectors[lower[s]] {
				s++
			}
		}
		// a lone adjective is not a noun phrase: "positive", "excellent"
		if e-s == 1 && !toks[s].Cap && (kpAdjectives[lower[s]] || s > 0 && kpCopulas[lower[s-1]] && kpHasAdjSuffix(lower[s])) {
			continue
		}
		kb.Reset()
		for k := s; k < e; k++ {
			if stems[k] == "" {
				stems[k] = stem(lower[k])
			}
			if k > s {
				kb.WriteByte(' ')
			}
			kb.WriteString(stems[k])
			wordTF[stems[k]]++
		}
		key := kb.String()
		gi, ok := groups[key]
		if !ok {
			gi = len(gs)
			groups[key] = gi
			gs = append(gs, kpGroup{key: key, first: s, stems: stems[s:e:e]})
		}
		gs[gi].count++
		chunks = append(chunks, kpChunk{s, e, gi}) // every occurrence, as Comprehend lists them
	}
	out := make([]KeyPhrase, 0, len(chunks))
	if len(chunks) == 0 {
		return out
	}
	best := 0.0
	for gi := range gs {
		g := &gs[gi]
		sum := 0.0
		for _, st := range g.stems {
			df := float64(a.df[st])
			idf := math.Log((a.nDocs + 1) / (df + 1))
			sum += idf * (1 + math.Log(float64(wordTF[st])))
		}
		l := float64(len(g.stems))
		score := sum / math.Sqrt(l)
		if len(g.stems) == 1 && toks[g.first].Cap && !toks[g.first].SentStart {
			score *= 0.7 // lone proper names are entities more than key phrases
		}
		score *= 1 + 0.5*math.Log(float64(g.count))
		score *= 1 + 0.5/(1+8*float64(g.first)/float64(n))
		g.score = score
		if score > best {
			best = score
		}
	}
	for _, c := range chunks {
		sc := gs[c.group].score / best
		if sc < 0.01 || math.IsNaN(sc) {
			sc = 0.01
		}
		b, e := &toks[c.s], &toks[c.e-1]
		out = append(out, KeyPhrase{BeginOffset: b.RBegin, EndOffset: e.REnd, Score: math.Round(sc*1e4) / 1e4, Text: text[b.Begin:e.End]})
	}
	return out
}

func kpHasAdjSuffix(w string) bool {
	for _, suf := range kpAdjSuffixes {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			return true
		}
	}
	return false
}

// kpInAddress reports whether the byte range [b,e) of text lies in a whitespace-delimited
// field that is an e-mail address or a URL.
func kpInAddress(text string, b, e int) bool {
	fb := strings.LastIndexAny(text[:b], " \t\n\r") + 1
	fe := strings.IndexAny(text[e:], " \t\n\r")
	if fe < 0 {
		fe = len(text)
	} else {
		fe += e
	}
	f := text[fb:fe]
	return strings.Contains(f, "@") || strings.Contains(f, "://") || strings.HasPrefix(f, "www.")
}

// TopKeyPhrases returns the distinct phrases of kps (by stemmed, lower-cased words), best
// first, at most k; ties keep document order.
func TopKeyPhrases(kps []KeyPhrase, k int) []KeyPhrase {
	seen := map[string]bool{}
	var uniq []KeyPhrase
	for _, p := range kps {
		key := kpKey(p.Text)
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

// kpKey is the matching key of a phrase: its words lower-cased and stemmed.
func kpKey(s string) string {
	toks := tokenize(s, nil)
	parts := make([]string, 0, len(toks))
	for _, t := range toks {
		if t.Kind == tkPunct {
			continue
		}
		parts = append(parts, stem(lowerASCII(t.Text)))
	}
	return strings.Join(parts, " ")
}
