package entities

import (
	"cmp"
	"embed"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis/entities/internal/ner"
	"github.com/ream-dev/ream/shared/analysis/internal/result"
	txt "github.com/ream-dev/ream/shared/analysis/internal/text"
	"github.com/ream-dev/ream/shared/job"
)

// Entity types, as Comprehend spells them.
const (
	Person         = "PERSON"
	Location       = "LOCATION"
	Organization   = "ORGANIZATION"
	Date           = "DATE"
	Quantity       = "QUANTITY"
	Title          = "TITLE"
	Event          = "EVENT"
	CommercialItem = "COMMERCIAL_ITEM"
	Other          = "OTHER"
)

// DefaultMaxBytes is the ENTITIES per-document size limit (Comprehend's asynchronous
// limit for entity detection is 100 KB per document).
const DefaultMaxBytes = 100000

// Config configures the ENTITIES analyser.
type Config struct {
	// MaxBytes is the per-document size limit; 0 means DefaultMaxBytes.
	MaxBytes int
	// LanguageCode, when set to anything but English, makes every document a DocError
	// UNSUPPORTED_LANGUAGE, as a non-English Options.LanguageCode does.
	LanguageCode string
	// NoKnownOrganizations leaves out the list of well-known organisations
	// (lexicon/organizations.txt, a gazetteer feature of the model and a list of the rules);
	// used to measure how much of the ORGANIZATION figure that list carries.
	NoKnownOrganizations bool
}

// Analyzer finds named entities (ENTITIES) in English text with a learned sequence
// model for names and rules for the rest:
//
//   - PERSON, LOCATION, ORGANIZATION: a greedy BIO tagger (averaged perceptron over hashed
//     features: word, lower-case form, shape, prefixes and suffixes, neighbouring words and
//     shapes, capitalised-run context, sentence position, all-capital headline context,
//     gazetteer membership, previous tags; see internal/ner), trained on the CoNLL-2003 English
//     train file (Reuters news) by `make train-ner` and embedded (models/ner.bin.gz). It runs
//     sentence by sentence (a sentence ends at . ! ? … or a line break) on the tokens below, so
//     its spans map back to exact character offsets. CoNLL's fourth type, MISC (nationalities,
//     events, works, ...), is learned but not reported: its spans overlap Comprehend's OTHER,
//     EVENT and COMMERCIAL_ITEM only in part, and those come from the rules. Score is the
//     model's probability of the span's tags (softmax of the perceptron scores, temperature
//     fitted on a development split), averaged over its tokens.
//   - EVENT, COMMERCIAL_ITEM, OTHER: capitalised word sequences typed by rules (event words
//     such as Cup, Olympics, Summit; prizes; product nouns and digits; demonyms are OTHER). A
//     rule span overlapping a model span is dropped when it was a guess (Score below 0.8,
//     except COMMERCIAL_ITEM, typed by a model number or a product word: "Galaxy S24",
//     "the Vision Pro headset"); otherwise the model span is.
//   - TITLE: offices and titles before a name (President, Prime Minister, CEO, Governor).
//   - DATE: absolute (March 3, 2024; 2024-03-03; 3/3/2024; June 12; October 2022; 2030;
//     Tuesday; 9 p.m.) and relative (yesterday, tomorrow, next Tuesday, last year, this
//     week, two weeks ago).
//   - QUANTITY: money ($4.5 million, €2.4 billion, 90 million euros), percentages (35
//     percent, 2%), measures (12 kg, 1,000 kilometers, 40,000 acres) and counted things
//     (50,000 people, three aid workers, 27 years).
//
// DATE and QUANTITY spans always win over model spans. Limits: English only; trained on
// 1996–97 Reuters news, so other genres and names unseen there score lower; entities do not
// span sentences. Offsets count characters (Unicode code points), EndOffset exclusive, and
// Text is exactly the document's substring. It is safe for concurrent use.
type Analyzer struct {
	lex      *nameLists
	model    *ner.Model
	maxBytes int
	lang     string
	pool     sync.Pool // *scratch
}

// scratch is one goroutine's reusable buffers.
type scratch struct {
	toks   []txt.Token
	units  []int32
	words  []string
	tags   []uint8
	probs  []float32
	tagger *ner.Tagger
}

//go:embed models/ner.bin.gz
var nerModelBytes []byte

var (
	nerOnce  sync.Once
	nerModel *ner.Model
	nerErr   error
)

// loadNERModel decodes the embedded sequence model once per process.
func loadNERModel() (*ner.Model, error) {
	nerOnce.Do(func() { nerModel, nerErr = ner.Parse(nerModelBytes) })
	return nerModel, nerErr
}

// New loads the embedded gazetteers (about 1,200 lines) and the sequence model
// (decoded once per process: 2.4 MB of weights in memory) and returns the analyser.
func New(cfg Config) (*Analyzer, error) {
	if cfg.MaxBytes < 0 {
		return nil, fmt.Errorf("%w: negative MaxBytes", job.ErrInvalid)
	}
	if err := txt.CheckEnglish(job.Entities, cfg.LanguageCode, true); err != nil {
		return nil, fmt.Errorf("%w: %s", job.ErrInvalid, err.Message)
	}
	lex, err := loadEntLexicon(!cfg.NoKnownOrganizations)
	if err != nil {
		return nil, err
	}
	m, err := loadNERModel()
	if err != nil {
		return nil, fmt.Errorf("entities model: %w", err)
	}
	if cfg.NoKnownOrganizations {
		c := *m
		c.Gaz = make(ner.Gazetteer, len(m.Gaz))
		for h, f := range m.Gaz {
			if f &^= 1 << ner.GazLexOrg; f != 0 {
				c.Gaz[h] = f
			}
		}
		m = &c
	}
	a := &Analyzer{lex: lex, model: m, maxBytes: cfg.MaxBytes, lang: cfg.LanguageCode}
	if a.maxBytes == 0 {
		a.maxBytes = DefaultMaxBytes
	}
	a.pool.New = func() any { return &scratch{toks: make([]txt.Token, 0, 256), tagger: m.NewTagger()} }
	return a, nil
}

// Name implements Analyzer.
func (a *Analyzer) Name() job.Analysis { return job.Entities }

// ModelVersion implements Analyzer.
func (a *Analyzer) ModelVersion() string { return "ream-entities-ap1-conll03+rules-1" }

// DefaultMaxBytes implements Analyzer.
func (a *Analyzer) DefaultMaxBytes() int { return a.maxBytes }

// Analyze implements Analyzer. A non-English declared language is a DocError
// UNSUPPORTED_LANGUAGE; into.Entities is set non-nil (empty when nothing is found).
func (a *Analyzer) Analyze(text string, opts result.Options, into *result.Result) error {
	if err := txt.CheckEnglish(job.Entities, opts.LanguageCode, true); err != nil {
		return err
	}
	text, m := txt.NFC(text)
	out := a.find(text)
	if opts.HandOnPersons {
		into.Persons = a.handOn(text, out)
	}
	m.Entities(out)
	into.Entities = out
	return nil
}

// handOn returns the PERSON entities of ents, found in text (NFC), as the value the analysers
// after ENTITIES on the document reuse (Result.Persons, Options.Persons).
func (a *Analyzer) handOn(text string, ents []result.Entity) *result.Persons {
	n := 0
	for i := range ents {
		if ents[i].Type == Person {
			n++
		}
	}
	p := &result.Persons{Text: text, Finder: a.finder()}
	if n > 0 {
		p.Spans = make([]result.Entity, 0, n)
		for _, e := range ents {
			if e.Type == Person {
				p.Spans = append(p.Spans, e)
			}
		}
	}
	return p
}

// finder identifies what find's output depends on: the model, and the lists, which follow the
// same setting (NoKnownOrganizations gives each analyser a model of its own).
func (a *Analyzer) finder() any { return a.model }

// Persons returns the PERSON entities of text, a document in NFC (offsets in its characters),
// as the value to hand on: handed, when an analyser found them in this text with the same
// model and lists (ENTITIES before PII on the same document), else found now.
func (a *Analyzer) Persons(text string, handed *result.Persons) *result.Persons {
	if handed != nil && handed.Finder == a.finder() && handed.Text == text {
		return handed
	}
	return a.handOn(text, a.find(text))
}

// Find returns the entities of text in document order (never nil). Text not in NFC is read in
// NFC, with offsets and Texts mapped back to text.
func (a *Analyzer) Find(text string) []result.Entity {
	text, m := txt.NFC(text)
	out := a.find(text)
	m.Entities(out)
	return out
}

// modelRuns counts the documents find has read (ModelRuns).
var modelRuns atomic.Int64

// ModelRuns returns how many documents the analysers of this process have run the sequence
// model and rules over (Find, Analyze, Persons when it finds them itself): tests count with
// it that a document ENTITIES and PII both analyse is read once.
func ModelRuns() int64 { return modelRuns.Load() }

func (a *Analyzer) find(text string) []result.Entity {
	modelRuns.Add(1)
	sc := a.pool.Get().(*scratch)
	sc.toks = txt.Tokenize(text, sc.toks)
	model := a.modelSpans(text, sc)
	out := findEntities(a.lex, text, sc.toks, model)
	sc.toks = sc.toks[:0]
	a.pool.Put(sc)
	return out
}

// modelSpans tags the tokens sentence by sentence and returns the PERSON, LOCATION and
// ORGANIZATION spans in token indices. The model reads CoNLL-style words, so tokens are
// first joined into units: an initial and its period ("J. Crawley"), and runs joined by
// hyphens without spaces ("1996-08-22", "4-95", "F-14").
func (a *Analyzer) modelSpans(text string, sc *scratch) []candSpan {
	toks := sc.toks
	// unit k is tokens [units[k], units[k+1])
	sc.units = sc.units[:0]
	for i := 0; i < len(toks); {
		sc.units = append(sc.units, int32(i))
		j := i + 1
		if t := &toks[i]; t.Kind == txt.Word && t.Cap && utf8.RuneCountInString(t.Text) == 1 &&
			j < len(toks) && toks[j].Text == "." && toks[j].Begin == t.End {
			j++
		} else {
			for j+1 < len(toks) && toks[j].Text == "-" && toks[j].Begin == toks[j-1].End &&
				toks[j+1].Begin == toks[j].End && toks[j+1].Kind != txt.Punct && toks[j-1].Kind != txt.Punct {
				j += 2
			}
		}
		i = j
	}
	nu := len(sc.units)
	sc.units = append(sc.units, int32(len(toks)))
	units := sc.units
	var out []candSpan
	for s := 0; s < nu; {
		e := s + 1
		for e < nu && !sentenceBreak(text, toks, int(units[e-1]), int(units[e])) {
			e++
		}
		n := e - s
		sc.words = sc.words[:0]
		for k := s; k < e; k++ {
			sc.words = append(sc.words, text[toks[units[k]].Begin:toks[units[k+1]-1].End])
		}
		if cap(sc.tags) < n {
			sc.tags = make([]uint8, n, 2*n)
			sc.probs = make([]float32, n, 2*n)
		}
		tags, probs := sc.tags[:n], sc.probs[:n]
		sc.tagger.Tag(sc.words, tags, probs)
		for i := 0; i < n; {
			t := tags[i]
			if t == ner.TagO {
				i++
				continue
			}
			ty := ner.TagType(t)
			j := i + 1
			p := float64(probs[i])
			for j < n && tags[j] == uint8(2+2*ty) {
				p += float64(probs[j])
				j++
			}
			if typ := nerTypes[ty]; typ != "" {
				out = append(out, candSpan{int(units[s+i]), int(units[s+j]), typ, math.Round(p/float64(j-i)*1e4) / 1e4})
			}
			i = j
		}
		s = e
	}
	return out
}

// nerTypes maps the model's types (ner.Types order) to Comprehend's; MISC is not reported.
var nerTypes = [len(ner.Types)]string{Person, Location, Organization, ""}

// sentenceBreak reports whether the unit starting at token e starts a new sentence for the
// model, the previous unit starting at token p: that unit ends one (. ! ? …; a closing quote
// or bracket right after it stays with it) or a line break (any of txt.LineBreaks: a lone CR
// too) lies between them.
func sentenceBreak(text string, toks []txt.Token, p, e int) bool {
	if strings.ContainsAny(text[toks[e-1].End:toks[e].Begin], txt.LineBreaks) {
		return true
	}
	if e-p != 1 {
		return false
	}
	if !txt.EndsSentence(toks[p].Text) {
		return false
	}
	if !toks[e].SpaceBefore {
		switch toks[e].Text {
		case "\"", "'", "”", "’", ")", "]":
			return false
		}
	}
	return true
}

//go:embed lexicon/*.txt
var lexiconFS embed.FS

// nameLists holds the gazetteers, keyed by lower-cased token texts joined by one space.
type nameLists struct {
	loc, org, first, demonym, title, orgSuffix, orgHead map[string]bool
	maxLen                                              int // longest entry in tokens, of any list
}

func readLexicon(name string) ([]string, error) {
	b, err := lexiconFS.ReadFile("lexicon/" + name)
	if err != nil {
		return nil, err
	}
	return txt.LexiconLines(string(b)), nil
}

// lexKey is the lookup key of a phrase: its tokens, lower-cased, joined by single spaces.
func lexKey(s string) string {
	toks := txt.Tokenize(s, nil)
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = txt.LowerASCII(t.Text)
	}
	return strings.Join(parts, " ")
}

func loadEntLexicon(knownOrgs bool) (*nameLists, error) {
	lx := &nameLists{loc: map[string]bool{}, org: map[string]bool{}, first: map[string]bool{},
		demonym: map[string]bool{}, title: map[string]bool{}, orgSuffix: map[string]bool{}, orgHead: map[string]bool{}}
	add := func(m map[string]bool, file string) error {
		lines, err := readLexicon(file)
		if err != nil {
			return fmt.Errorf("entities lexicon %s: %w", file, err)
		}
		for _, l := range lines {
			k := lexKey(l)
			m[k] = true
			if n := strings.Count(k, " ") + 1; n > lx.maxLen {
				lx.maxLen = n
			}
		}
		return nil
	}
	for _, f := range []string{"countries.txt", "cities.txt", "us_states.txt", "regions.txt"} {
		if err := add(lx.loc, f); err != nil {
			return nil, err
		}
	}
	if knownOrgs {
		if err := add(lx.org, "organizations.txt"); err != nil {
			return nil, err
		}
	}
	if err := add(lx.first, "first_names.txt"); err != nil {
		return nil, err
	}
	if err := add(lx.demonym, "demonyms.txt"); err != nil {
		return nil, err
	}
	if err := add(lx.title, "titles.txt"); err != nil {
		return nil, err
	}
	words, err := readLexicon("org_words.txt")
	if err != nil {
		return nil, err
	}
	for _, l := range words {
		kind, w, ok := strings.Cut(l, " ")
		if !ok {
			continue
		}
		switch kind {
		case "suffix":
			lx.orgSuffix[lexKey(w)] = true
		case "head":
			lx.orgHead[lexKey(w)] = true
		}
	}
	return lx, nil
}

var (
	honorificWords = txt.Set(`mr. mrs. ms. dr. sir dame lord lady mr mrs ms dr prof. professor`)
	connectorWords = txt.Set(`of de da do dos das du del della di la le van von der den bin ibn al el y and & for on in or`)
	relMod         = txt.Set(`last next this past coming`)
	relUnit        = txt.Set(`week weekend month year night morning evening afternoon summer winter spring autumn fall quarter decade century season`)
	agoUnits       = txt.Set(`second seconds minute minutes hour hours day days week weeks month months year years decade decades century centuries`)
	scale          = txt.Set(`hundred thousand million billion trillion bn mn m k`)
	unitWords      = txt.Set(`kg kilogram kilograms g gram grams mg lb lbs pound pounds ounce ounces ton tons tonne tonnes km kilometer kilometers kilometre kilometres m meter meters metre metres cm mm mile miles foot feet ft inch inches yard yards acre acres hectare hectares sq square degree degrees °c °f celsius fahrenheit liter liters litre litres gallon gallons barrel barrels mph kph gb mb tb kb gw mw kw kwh mwh gwh dollars dollar euros euro yen yuan rupees rupee francs pounds sterling bpd`)
	irregular      = txt.Set(`people children men women staff cattle police personnel aircraft sheep fish deer livestock troops`)
	currency       = txt.Set(`$ € £ ¥ ₹ ₦ ₩ ₽ ₺ ₿`)
	eventLast      = txt.Set(`games olympics olympiad cup open tour day summit festival championship championships marathon expo war prix grand conference forum fair week series awards election`)
	geoLast        = txt.Set(`sea ocean river lake mountains mountain island islands bay gulf strait valley province region county peninsula desert canal airport street avenue square park bridge coast falls heights hills harbor harbour`)
	geoOfHead      = txt.Set(`sea gulf strait bay isle isles republic kingdom cape state states lake mount port`)
	placeCtx       = txt.Set(`in near from across outside into throughout toward towards around`)
	personCtx      = txt.Set(`spokeswoman spokesman spokesperson analyst member leader former deposed director chief head professor resident author economist lawyer president minister executive founder coach manager captain journalist reporter researcher scientist official officer senator governor mayor chairman chairwoman`)
	sayVerbs       = txt.Set(`said says told wrote added asked argued warned announced noted explained insisted admitted`)
	// prizeWords make a name an award (EVENT): Nobel Prize, Turing Award, Fields Medal.
	prizeWords = txt.Set(`prize prizes award awards medal trophy`)
	// subjects are fields of study: "Nobel Prize in Chemistry", never places or people alone.
	subjects = txt.Set(`chemistry physics medicine physiology economics literature mathematics biology peace science sciences engineering history philosophy`)
	// ordinalWords alone are not names: "Third, ...", "the Second ...".
	ordinalWords = txt.Set(`first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth last final`)
	// imperatives are verbs that start instructions before a name: "Contact John Smith".
	imperatives = txt.Set(`contact call ask meet thank reach visit email e-mail phone text message tell welcome congratulate follow watch invite join see write contacting calling meeting thanking visiting`)
	// nonName are capitalised words that start no name: foreign function words and common
	// acronyms of things (a span starting with one is dropped: "Mein Telefon", "IBAN DE89").
	nonName = txt.Set(`mein meine meinen meiner dein deine sein seine ihr ihre unser unsere euer ich du er sie wir es das die ist und nicht mon ma mes ton ta tes notre votre leur je tu il elle nous vous ils elles est mijn jij wij het een je ne iban bic swift vat gdp pdf url api usb gps faq bom sku pin otp sms mms cv rsvp ps asap fyi eta diy tv dna rna mrna ai id ok`)
	// productNouns after a name make it a product: "the Vision Pro headset".
	productNouns = txt.Set(`phone phones smartphone smartphones headset headsets laptop laptops console consoles tablet tablets truck trucks pickup car cars suv sedan app apps chip chips processor processors device devices software model models game games camera cameras drone drones watch smartwatch speaker speakers earbuds browser jet jets`)
	// productCtx before "the X" makes a lone name a product: "deliveries of the Cybertruck".
	productCtx = txt.Set(`deliveries sales price prices launch version versions release recall buyers owners users`)
)

// span is an entity under construction, in token indices [s,e).
type candSpan struct {
	s, e  int
	typ   string
	score float64
}

// findEntities merges the rules' spans with the model's PERSON, LOCATION and ORGANIZATION
// spans (token indices): the rules' own spans of those types are dropped.
func findEntities(lx *nameLists, text string, toks []txt.Token, model []candSpan) []result.Entity {
	n := len(toks)
	claimed := make([]bool, n)
	var spans []candSpan
	lw := func(i int) string { return txt.LowerASCII(toks[i].Text) }

	// 1. dates and quantities.
	for i := 0; i < n; i++ {
		if e := matchDate(text, toks, i, lw); e > i {
			spans = append(spans, candSpan{i, e, Date, 0.9})
			for k := i; k < e; k++ {
				claimed[k] = true
			}
			i = e - 1
			continue
		}
		if e := matchQuantity(toks, i, lw); e > i {
			spans = append(spans, candSpan{i, e, Quantity, 0.9})
			for k := i; k < e; k++ {
				claimed[k] = true
			}
			i = e - 1
		}
	}

	// 2. capitalised sequences.
	isCapWord := func(i int) bool {
		t := &toks[i]
		return !claimed[i] && t.Kind == txt.Word && (t.Cap || t.HasInnerUpper) && t.Text != "'s" && t.Text != "’s"
	}
	// lineBreakBefore: a line break lies between token k-1 and token k (a sequence never spans
	// one: a list of one name or product a line is so many names).
	lineBreakBefore := func(k int) bool { return strings.ContainsAny(text[toks[k-1].End:toks[k].Begin], txt.LineBreaks) }
	var pending []candSpan // name spans, typed below
	for i := 0; i < n; i++ {
		if !isCapWord(i) {
			continue
		}
		e := i + 1
		of := headOfScan{s: i, next: i}
		for e < n {
			if toks[e].SpaceBefore == false && toks[e].Kind == txt.Punct || lineBreakBefore(e) {
				break
			}
			if isCapWord(e) {
				e++
				continue
			}
			// connectors inside names: Bank of England, Lula da Silva, Mohammed bin Salman
			w := lw(e)
			if toks[e].Kind == txt.Word && connectorWords[w] && e+1 < n && isCapWord(e+1) && !lineBreakBefore(e+1) && connectorOK(lx, toks, &of, e, w, lw) {
				e += 2
				continue
			}
			break
		}
		pending = append(pending, candSpan{s: i, e: e})
		i = e - 1
	}

	var names []candSpan
	for _, sp := range pending {
		for _, r := range classifyName(lx, toks, sp, lw) {
			switch r.typ {
			case Person, Location, Organization:
			default:
				names = append(names, r)
			}
		}
	}
	// a rule span that overlaps a model span: a guess gives way, a confident one wins (a name
	// typed COMMERCIAL_ITEM by a model number or a product word, "Galaxy S24", counts as
	// confident). Overlaps are read from marks on the tokens (every span here holds a token at
	// least), not by comparing each span with every other: a document of many names made that
	// quadratic (100 KB of "Hi there. " took a second).
	inModel := make([]int32, n+1) // inModel[k]: tokens before k inside a model span
	for _, m := range model {
		for k := m.s; k < m.e; k++ {
			inModel[k+1] = 1
		}
	}
	for k := 0; k < n; k++ {
		inModel[k+1] += inModel[k]
	}
	var kept []candSpan
	for _, r := range names {
		sure := r.score >= 0.8 || r.typ == CommercialItem
		if sure || inModel[r.e] == inModel[r.s] {
			kept = append(kept, r)
		}
	}
	// titles[s]: the indexes in kept of the TITLE spans starting at token s, in kept's order;
	// taken marks the tokens of the spans kept so far, claimed those of dates and quantities
	titles := map[int][]int{}
	taken := make([]bool, n)
	for i, r := range kept {
		if r.typ == Title {
			titles[r.s] = append(titles[r.s], i)
		}
		for k := r.s; k < r.e; k++ {
			taken[k] = true
		}
	}
	for _, m := range model {
		// a title the model took into a name: "Prince Rainier" is TITLE Prince, PERSON Rainier
		// (the titles in kept's order, each read once: one starting where the one before ended
		// moves the start on again)
		for last := -1; ; {
			next := -1
			for _, i := range titles[m.s] {
				if r := kept[i]; i > last && r.e < m.e && toks[r.e].Cap {
					next = i
					break
				}
			}
			if next < 0 {
				break
			}
			m.s, last = kept[next].e, next
		}
		// the rules' vetoes hold for the model too: a span starting with a foreign function
		// word or a common acronym of things ("Mein Telefon", "IBAN DE89"), a lone letter; and
		// it overlaps no date, quantity or span kept
		ok := !nonName[lw(m.s)] && !(m.e-m.s == 1 && utf8.RuneCountInString(toks[m.s].Text) == 1)
		for k := m.s; ok && k < m.e; k++ {
			ok = !claimed[k] && !taken[k]
		}
		if ok {
			kept = append(kept, m)
			for k := m.s; k < m.e; k++ {
				taken[k] = true
			}
		}
	}
	spans = append(spans, kept...)

	// 3. emit in document order.
	sortSpans(spans)
	out := make([]result.Entity, 0, len(spans))
	for _, sp := range spans {
		// A name never ends in a lower-case connector ("of", "and", "de"): the model can end a
		// span on one where a line break cut the name ("Bank of⏎England"; found from outside).
		for sp.e-sp.s > 1 && isConnector(toks[sp.e-1].Text) {
			sp.e--
		}
		b, e := toks[sp.s], toks[sp.e-1]
		out = append(out, result.Entity{BeginOffset: b.RBegin, EndOffset: e.REnd, Score: sp.score, Text: text[b.Begin:e.End], Type: sp.typ})
	}
	return out
}

// isConnector reports whether w is a lower-case word that joins the words of a name but never
// ends one.
func isConnector(w string) bool {
	switch w {
	case "of", "and", "the", "for", "de", "la", "van", "von", "der", "du", "&":
		return true
	}
	return false
}

// sortSpans orders spans by their first token, spans that start together kept in their order.
// (It was an insertion sort, quadratic on the three ordered runs it gets, dates and quantities,
// the rules' names, the model's spans, when they interleave.)
func sortSpans(s []candSpan) {
	slices.SortStableFunc(s, func(a, b candSpan) int { return cmp.Compare(a.s, b.s) })
}

// headOfScan says whether a name being read, tokens [s, e), holds "of" after an organisation
// head or suffix ("Institute of"). The name only grows, so it reads each token once: reading the
// whole name again at each connector made "Institute for Institute for …" quadratic (100 KB
// took seconds).
type headOfScan struct {
	s, next int // next: the first token not read yet
	found   bool
}

func (h *headOfScan) upTo(lx *nameLists, e int, lw func(int) string) bool {
	for ; !h.found && h.next < e; h.next++ {
		k := h.next
		h.found = k > h.s && lw(k) == "of" && (lx.orgHead[lw(k-1)] || lx.orgSuffix[lw(k-1)])
	}
	return h.found
}

// connectorOK says whether the lower-case word w at e may join the name of, read up to e.
func connectorOK(lx *nameLists, toks []txt.Token, of *headOfScan, e int, w string, lw func(int) string) bool {
	prev := lw(e - 1)
	switch w {
	case "in":
		// Nobel Prize in Chemistry
		return prizeWords[prev] && e+1 < len(toks) && subjects[lw(e+1)]
	case "or":
		// Nobel Prize in Physiology or Medicine
		return subjects[prev] && e+1 < len(toks) && subjects[lw(e+1)]
	case "of":
		return lx.orgHead[prev] || geoOfHead[prev] || lx.title[prev] || lx.orgSuffix[prev]
	case "and", "&", "for", "on":
		// only inside an organisation name that already has "of" after a head word:
		// National Institute of Allergy and Infectious Diseases; Johnson & Johnson.
		if w == "&" {
			return true
		}
		if of.upTo(lx, e, lw) {
			return w == "and"
		}
		if w == "for" || w == "on" {
			return lx.orgHead[prev] || lx.orgSuffix[prev]
		}
		return false
	default:
		return true
	}
}

// classifyName types a capitalised sequence, splitting off titles and leading function words.
func classifyName(lx *nameLists, toks []txt.Token, sp candSpan, lw func(int) string) []candSpan {
	s, e := sp.s, sp.e
	n := len(toks)
	key := func(a, b int) string {
		var sb strings.Builder
		for k := a; k < b; k++ {
			if k > a {
				sb.WriteByte(' ')
			}
			sb.WriteString(lw(k))
		}
		return sb.String()
	}
	// leading function words (sentence-initial "The", "In", "About"); a key of more tokens
	// than the longest entry is in no list, and is not built (building one the length of the
	// name for each leading "The" made 100 KB of "The The …" take half a minute)
	for s < e {
		w := lw(s)
		if (w == "the" && e-s > 1 && e-s <= lx.maxLen && (lx.loc[key(s, e)] || lx.org[key(s, e)])) || !txt.Stopwords[w] ||
			(w != "the" && !toks[s].SentStart) {
			break
		}
		s++
	}
	if s >= e || nonName[lw(s)] {
		return nil
	}
	// the pronoun "I" (and any lone capital letter) is not a name
	if e-s == 1 && utf8.RuneCountInString(toks[s].Text) == 1 {
		return nil
	}
	// a sentence-initial instruction verb before a name: "Contact John Smith", "Visit Stockholm"
	if toks[s].SentStart && e-s > 1 && imperatives[lw(s)] {
		s++
	}
	// trailing connectors cannot happen (a connector is only taken before a capital word)
	var out []candSpan
	// titles and honorifics at the start
	isPersonCtx := false
	for s < e {
		best := 0
		for l := min(4, e-s); l >= 1; l-- {
			if lx.title[key(s, s+l)] {
				best = l
				break
			}
		}
		if best == 0 {
			break
		}
		k := key(s, s+best)
		if !honorificWords[k] {
			out = append(out, candSpan{s, s + best, Title, 0.85})
		}
		isPersonCtx = true
		s += best
	}
	if s >= e {
		return out
	}
	if isPersonCtx {
		return append(out, candSpan{s, e, Person, 0.9})
	}
	k := key(s, e)
	single := e-s == 1
	t0 := &toks[s]
	if single && (ordinalWords[k] || subjects[k]) {
		return out
	}
	// a lone sentence-initial capitalised word known to no gazetteer is an ordinary word
	if single && t0.SentStart && !t0.AllCap && !t0.HasInnerUpper && !t0.HasDigit &&
		!lx.loc[k] && !lx.org[k] && !lx.demonym[k] && !lx.first[k] {
		return out
	}
	typ, score := "", 0.0
	last := lw(e - 1)
	prevW := ""
	if s > 0 {
		prevW = txt.LowerASCII(toks[s-1].Text)
	}
	switch {
	case lx.org[k]:
		typ, score = Organization, 0.95
	case lx.loc[k]:
		typ, score = Location, 0.95
		if prevW == "the" && lx.org["the "+k] {
			typ = Organization
		}
	case !single && lx.orgSuffix[last]:
		typ, score = Organization, 0.9
	case !single && hasOrgHeadOf(lx, toks, s, e, lw):
		typ, score = Organization, 0.9
	case !single && (eventLast[last] || hasPrizeWord(s, e, lw)):
		typ, score = Event, 0.8
	case isProductCtx(toks, s, e, lw):
		typ, score = CommercialItem, 0.6
	case !single && (geoLast[last] || geoOfHead[lw(s)] && hasOf(s, e, lw)):
		typ, score = Location, 0.85
	case single && lx.demonym[k]:
		typ, score = Other, 0.8
	case single && lx.orgSuffix[k] && prevW == "the":
		typ, score = Organization, 0.7 // the Senate, the Treasury
	case hasDigitToken(toks, s, e):
		typ, score = CommercialItem, 0.6
	case lx.first[lw(s)] && !single:
		typ, score = Person, 0.9
	case placeCtx[prevW] && !t0.AllCap:
		typ, score = Location, 0.7
	case !single && personContext(toks, e, lw):
		typ, score = Person, 0.8
	case t0.AllCap && single:
		typ, score = Organization, 0.75
	case !single && e-s <= 3:
		typ, score = Person, 0.6
	case !single:
		typ, score = Organization, 0.55
	default:
		typ, score = Organization, 0.5
		if e < n && sayVerbs[lw(e)] {
			score = 0.55
		}
	}
	return append(out, candSpan{s, e, typ, score})
}

func hasPrizeWord(s, e int, lw func(int) string) bool {
	for k := s + 1; k < e; k++ {
		if prizeWords[lw(k)] {
			return true
		}
	}
	return false
}

// isProductCtx: a name followed by a product noun ("the Vision Pro headset") or a lone name
// after "deliveries/sales/price of the" or "its/their".
func isProductCtx(toks []txt.Token, s, e int, lw func(int) string) bool {
	if e < len(toks) && toks[e].Kind == txt.Word && !toks[e].Cap && productNouns[lw(e)] {
		return true
	}
	if e-s == 1 && s >= 3 && lw(s-1) == "the" && lw(s-2) == "of" && productCtx[lw(s-3)] {
		return true
	}
	return false
}

func hasOf(s, e int, lw func(int) string) bool {
	for k := s + 1; k < e; k++ {
		if lw(k) == "of" {
			return true
		}
	}
	return false
}

func hasOrgHeadOf(lx *nameLists, toks []txt.Token, s, e int, lw func(int) string) bool {
	for k := s; k+1 < e; k++ {
		if lx.orgHead[lw(k)] && lw(k+1) == "of" {
			return true
		}
	}
	return false
}

func hasDigitToken(toks []txt.Token, s, e int) bool {
	for k := s; k < e; k++ {
		if toks[k].HasDigit || (toks[k].Kind == txt.Number) {
			return true
		}
	}
	return false
}

// personContext: "X, a spokeswoman ...", "X, the former director", "X said".
func personContext(toks []txt.Token, e int, lw func(int) string) bool {
	n := len(toks)
	if e < n && sayVerbs[lw(e)] {
		return true
	}
	if e+2 < n && toks[e].Text == "," {
		w := lw(e + 1)
		if w == "a" || w == "an" || w == "the" || w == "who" {
			for k := e + 2; k < min(n, e+5); k++ {
				if personCtx[lw(k)] {
					return true
				}
			}
		}
		if personCtx[w] {
			return true
		}
	}
	return false
}

// isYear reports a 4-digit number token 1800..2099.
func isYear(t *txt.Token) bool {
	if t.Kind != txt.Number || len(t.Text) != 4 {
		return false
	}
	y := 0
	for i := 0; i < 4; i++ {
		y = y*10 + int(t.Text[i]-'0')
	}
	return y >= 1800 && y <= 2099
}

func isDayNum(t *txt.Token) bool {
	s := strings.TrimRight(t.Text, "thsndr")
	if t.Kind != txt.Number || len(s) == 0 || len(s) > 2 {
		return false
	}
	d := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		d = d*10 + int(s[i]-'0')
	}
	return d >= 1 && d <= 31
}

// adjacent reports that tokens i and i+1 touch (no space between).
func adjacent(toks []txt.Token, i int) bool { return i+1 < len(toks) && toks[i].End == toks[i+1].Begin }

// matchDate returns the end token index of a date starting at i, or i.
func matchDate(text string, toks []txt.Token, i int, lw func(int) string) int {
	n := len(toks)
	t := &toks[i]
	w := lw(i)
	if t.Kind == txt.Number {
		// ISO 2024-03-03 and 3/3/2024
		if i+4 < n && adjacent(toks, i) && adjacent(toks, i+1) && adjacent(toks, i+2) && adjacent(toks, i+3) &&
			toks[i+2].Kind == txt.Number && toks[i+4].Kind == txt.Number && toks[i+1].Text == toks[i+3].Text &&
			(toks[i+1].Text == "-" || toks[i+1].Text == "/") {
			a, b, c := len(t.Text), len(toks[i+2].Text), len(toks[i+4].Text)
			if (a == 4 && b <= 2 && c <= 2) || (a <= 2 && b <= 2 && (c == 4 || c == 2)) {
				return i + 5
			}
		}
		// 9 p.m., 8:30 a.m.
		if i+1 < n {
			nx := lw(i + 1)
			if nx == "a.m." || nx == "p.m." || nx == "am" || nx == "pm" || nx == "a.m" || nx == "p.m" {
				return i + 2
			}
		}
		// 3 March 2024
		if isDayNum(t) && i+1 < n && txt.Months[lw(i+1)] {
			e := i + 2
			if e < n && isYear(&toks[e]) {
				e++
			}
			return e
		}
		// N days/weeks/years ago
		if e := matchAgo(toks, i, lw); e > i {
			return e
		}
		if isYear(t) {
			if i > 0 && currency[toks[i-1].Text] {
				return i
			}
			if i+1 < n && toks[i+1].Kind == txt.Word && !toks[i+1].Cap && !txt.Stopwords[lw(i+1)] {
				return i // 2000 people
			}
			return i + 1
		}
		return i
	}
	if t.Kind != txt.Word {
		return i
	}
	if txt.NumberWords[w] || w == "a" {
		return matchAgo(toks, i, lw)
	}
	if txt.RelativeDays[w] {
		return i + 1
	}
	if relMod[w] && i+1 < n {
		nx := lw(i + 1)
		if relUnit[nx] || txt.Weekdays[nx] || (txt.Months[nx] && toks[i+1].Cap) {
			if w == "past" || w == "coming" {
				return i // "the past year" is a span of time, not a date
			}
			return i + 2
		}
		return i
	}
	if txt.Weekdays[w] && t.Cap {
		return i + 1
	}
	if txt.Months[w] && t.Cap {
		if w == "may" || w == "march" {
			// modal verb / walk: only with a day or year, or after a preposition
			ok := i+1 < n && (isDayNum(&toks[i+1]) || isYear(&toks[i+1]))
			if !ok && i > 0 {
				p := lw(i - 1)
				ok = p == "in" || p == "since" || p == "until" || p == "by" || p == "of" || p == "early" || p == "late" || p == "mid"
			}
			if !ok {
				return i
			}
		}
		e := i + 1
		if e < n && isDayNum(&toks[e]) {
			e++
			if e+1 < n && toks[e].Text == "," && isYear(&toks[e+1]) {
				e += 2
			} else if e < n && isYear(&toks[e]) {
				e++
			}
		} else if e < n && isYear(&toks[e]) {
			e++
		}
		return e
	}
	return i
}

func matchAgo(toks []txt.Token, i int, lw func(int) string) int {
	n := len(toks)
	if i+2 < n && agoUnits[lw(i+1)] && (lw(i+2) == "ago" || lw(i+2) == "earlier") {
		return i + 3
	}
	return i
}

// matchQuantity returns the end token index of a quantity starting at i, or i.
func matchQuantity(toks []txt.Token, i int, lw func(int) string) int {
	n := len(toks)
	t := &toks[i]
	e := i
	money := false
	switch {
	case t.Kind == txt.Punct && currency[t.Text] && i+1 < n && toks[i+1].Kind == txt.Number && adjacent(toks, i):
		e = i + 2
		money = true
	case t.Kind == txt.Number:
		e = i + 1
	case t.Kind == txt.Word && txt.NumberWords[lw(i)]:
		e = i + 1
	default:
		return i
	}
	num := e
	if e < n && scale[lw(e)] && (lw(e) != "m" || adjacent(toks, e-1)) {
		e++
	}
	if money {
		return e
	}
	if e < n {
		w := lw(e)
		switch {
		case w == "%":
			return e + 1
		case w == "percent" || w == "pct":
			return e + 1
		case w == "per" && e+1 < n && lw(e+1) == "cent":
			return e + 2
		case w == "percentage" && e+1 < n && strings.HasPrefix(lw(e+1), "point"):
			return e + 2
		case unitWords[w] && toks[e].Kind == txt.Word:
			return e + 1
		}
	}
	if t.Kind == txt.Number && t.HasDigit && e == num && i > 0 && toks[i-1].Text == "-" {
		return i
	}
	// counted things: up to three lower-case words ending in a plural
	end := i
	for k := e; k < min(n, e+3); k++ {
		tk := &toks[k]
		w := lw(k)
		if tk.Kind != txt.Word || tk.Cap || txt.Stopwords[w] || strings.HasSuffix(w, "ly") || strings.HasSuffix(w, "ed") {
			break
		}
		if irregular[w] || (strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is") && len(w) > 3) {
			end = k + 1
		}
	}
	if end > i {
		return end
	}
	return i
}
