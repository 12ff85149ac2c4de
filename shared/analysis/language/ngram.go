package language

import (
	"bytes"
	"cmp"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis/internal/result"
	"github.com/ream-dev/ream/shared/internal/hashx"
)

// The LANGUAGE fast path: a document whose letters are mostly of a script that, among the
// configured languages, only one language uses is identified by its script without running
// the n-gram detector (lingua-go's own rules give such a document score 1 for that language
// too, after a much slower pass). Han without kana is Chinese when zh is configured; any kana
// makes it Japanese when ja is.

// script is a writing system the fast path recognises.
type script uint8

const (
	scriptOther script = iota
	scriptLatin
	scriptHan
	scriptKana
	scriptHangul
	scriptGreek
	scriptHebrew
	scriptArabic
	scriptThai
	scriptGeorgian
	scriptArmenian
	scriptBengali
	scriptGujarati
	scriptGurmukhi
	scriptTamil
	scriptTelugu
	scriptDevanagari
	scriptCyrillic
	numScripts
)

// scriptUsers lists, for each script with a fast path, the languages lingua-go supports
// that are written in it (ISO 639-1). The fast path applies when exactly one of them is
// configured.
var scriptUsers = map[script][]string{
	scriptHangul:     {"ko"},
	scriptGreek:      {"el"},
	scriptHebrew:     {"he"},
	scriptArabic:     {"ar", "fa", "ur"},
	scriptThai:       {"th"},
	scriptGeorgian:   {"ka"},
	scriptArmenian:   {"hy"},
	scriptBengali:    {"bn"},
	scriptGujarati:   {"gu"},
	scriptGurmukhi:   {"pa"},
	scriptTamil:      {"ta"},
	scriptTelugu:     {"te"},
	scriptDevanagari: {"hi", "mr"},
}

// scriptOf classifies a letter.
func scriptOf(r rune) script {
	switch {
	case r < 0x250:
		return scriptLatin
	case r >= 0x370 && r < 0x400:
		return scriptGreek
	case r >= 0x400 && r < 0x530:
		return scriptCyrillic
	case r >= 0x530 && r < 0x590:
		return scriptArmenian
	case r >= 0x590 && r < 0x600:
		return scriptHebrew
	case r >= 0x600 && r < 0x700, r >= 0x750 && r < 0x780, r >= 0xfb50 && r < 0xfe00, r >= 0xfe70 && r < 0xff00:
		return scriptArabic
	case r >= 0x900 && r < 0x980:
		return scriptDevanagari
	case r >= 0x980 && r < 0xa00:
		return scriptBengali
	case r >= 0xa00 && r < 0xa80:
		return scriptGurmukhi
	case r >= 0xa80 && r < 0xb00:
		return scriptGujarati
	case r >= 0xb80 && r < 0xc00:
		return scriptTamil
	case r >= 0xc00 && r < 0xc80:
		return scriptTelugu
	case r >= 0xe00 && r < 0xe80:
		return scriptThai
	case r >= 0x10a0 && r < 0x1100:
		return scriptGeorgian
	case r >= 0x1100 && r < 0x1200, r >= 0x3130 && r < 0x3190, r >= 0xac00 && r < 0xd7b0:
		return scriptHangul
	case r >= 0x1e00 && r < 0x1f00:
		return scriptLatin
	case r >= 0x1f00 && r < 0x2000:
		return scriptGreek
	case r >= 0x3040 && r < 0x3100, r >= 0x31f0 && r < 0x3200, r >= 0xff66 && r < 0xffa0:
		return scriptKana
	case unicode.Is(unicode.Han, r):
		return scriptHan
	}
	return scriptOther
}

// scriptFastPath holds, per script, the single configured language written in it ("" when
// none or several are).
type scriptFastPath struct {
	lang   [numScripts]string
	zh, ja bool
}

func newScriptFastPath(configured []string) scriptFastPath {
	var fp scriptFastPath
	has := map[string]bool{}
	for _, c := range configured {
		has[c] = true
	}
	for s, users := range scriptUsers {
		n, only := 0, ""
		for _, u := range users {
			if has[u] {
				n++
				only = u
			}
		}
		if n == 1 {
			fp.lang[s] = only
		}
	}
	fp.zh, fp.ja = has["zh"], has["ja"]
	return fp
}

// scriptCounts counts the words of s per script the way lingua-go's alphabet rules do: a
// run of letters of one script is one word, except that every Han, kana and Hangul character
// is a word of its own; then, in text that also holds words of another script, Latin words
// that begin with a capital are not counted (see countScripts). letters counts letters; ascii
// reports whether s is pure ASCII (which needs no Unicode normalisation).
type scriptCounts struct {
	words   [numScripts]int
	total   int
	letters int
	ascii   bool
}

// Latin is the script other scripts borrow names, brands, acronyms, key names and commands in,
// far more than the reverse: "Файл (закодированный Macintosh BinHex)" is Russian, "Caps Lock
// לפריסה הראשונה" Hebrew. So, when the text holds words of a script other than Latin, a Latin
// word that begins with a capital (as names, brands and acronyms do) does not count towards
// the majority; the lower-case words of a language written in Latin still do (found from
// outside, on the gettext catalogues: such strings of Russian, Greek, Hebrew, Ukrainian and
// Bulgarian came out English, Portuguese or German, the Latin words' language). Only a word of
// at least two letters of the other script starts this (two Han, kana or Hangul characters in
// a row): a lone letter is a symbol far more often than a word, "The Angle Θ Between Two
// Vectors" is English (found from outside: it, and headings in capitals with a Greek letter,
// were Greek, score 1).
func countScripts(s string) scriptCounts {
	c := scriptCounts{ascii: true}
	prev := scriptOther
	inWord := false
	capLatin := 0      // Latin words that begin with a capital
	run := 0           // letters of the current run of one script (across Han, kana, Hangul words)
	otherWord := false // a run of at least two letters of a script other than Latin
	for i := 0; i < len(s); {
		b := s[i]
		var sc script
		var upper bool
		if b < utf8.RuneSelf {
			i++
			if b|0x20 < 'a' || b|0x20 > 'z' {
				inWord, run = false, 0
				continue
			}
			sc, upper = scriptLatin, b <= 'Z'
		} else {
			c.ascii = false
			r, size := utf8.DecodeRuneInString(s[i:])
			i += size
			if !unicode.IsLetter(r) {
				inWord = false
				if !unicode.IsMark(r) { // a vowel sign keeps an Indic word's run going
					run = 0
				}
				continue
			}
			sc = scriptOf(r)
			upper = sc == scriptLatin && unicode.IsUpper(r)
		}
		c.letters++
		if run > 0 && sc == prev {
			run++
		} else {
			run = 1
		}
		if run >= 2 && sc != scriptLatin && sc != scriptOther {
			otherWord = true
		}
		if !inWord || sc != prev || sc == scriptHan || sc == scriptKana || sc == scriptHangul {
			c.words[sc]++
			c.total++
			if upper {
				capLatin++
			}
		}
		inWord, prev = true, sc
	}
	if capLatin > 0 && otherWord {
		c.words[scriptLatin] -= capLatin
		c.total -= capLatin
	}
	return c
}

// majority returns the script with the most words (scriptOther when there are none).
func (c *scriptCounts) majority() script {
	best, n := scriptOther, 0
	for sc := scriptLatin; sc < numScripts; sc++ {
		if c.words[sc] > n {
			best, n = sc, c.words[sc]
		}
	}
	return best
}

// detect returns the language the scripts of a sample identify, or "".
func (fp *scriptFastPath) detect(c *scriptCounts) string {
	if c.total == 0 || c.ascii {
		return ""
	}
	half := (c.total + 1) / 2
	kana, han := c.words[scriptKana], c.words[scriptHan]
	switch {
	case kana > 0 && fp.ja && kana+han >= half:
		return "ja"
	case kana == 0 && fp.zh && han >= half:
		return "zh"
	}
	for sc := scriptHangul; sc < numScripts; sc++ {
		if fp.lang[sc] != "" && c.words[sc] >= half {
			return fp.lang[sc]
		}
	}
	return ""
}

// scriptLanguage returns the language that identifies a sample whose majority script is sc
// when no n-gram model covers it (the fast path did not apply because sc holds less than
// half of the words, or Han text when only ja is configured), or "" when no configured
// language is written in sc. kana counts the sample's kana words.
func (fp *scriptFastPath) scriptLanguage(sc script, kana int) string {
	switch sc {
	case scriptHan: // Han is written by Chinese and Japanese; kana is only Japanese
		if fp.ja && (kana > 0 || !fp.zh) {
			return "ja"
		}
		if fp.zh {
			return "zh"
		}
		return ""
	case scriptKana:
		if fp.ja {
			return "ja"
		}
		return ""
	}
	return fp.lang[sc]
}

// The n-gram path: lingua-go's low-accuracy algorithm (sum, over the distinct letter
// trigrams of the sample, of the log-probability of the trigram in each candidate language,
// backing off to the trigram's leading bigram and then its first letter when the language's
// model lacks it; softmax over the sums) re-implemented over lingua-go's own unigram, bigram
// and trigram models, extracted into models/lang-ngrams.bin.gz by TestGenerateLanguageModels.
// The tables are keyed by packed runes and hold every language's probability under one key,
// so a trigram costs one map lookup instead of one per language, nothing is allocated per
// n-gram and the softmax runs in float64 (lingua-go falls back to arbitrary-precision
// decimals once the sums underflow). Candidates are the configured languages written in the
// sample's script (Latin, Cyrillic, Arabic or Devanagari), as lingua-go's alphabet filter
// does; lingua-go's remaining rules (letters unique to one language) are left to the n-grams.
// lingua-go itself is not linked into the binary (its embedded models are about 125 MB); it
// is used only by tests (the generator and TestLanguageMatchesLingua).

// langNgramLanguages are the languages whose n-gram models are shipped: every language of
// lingua-go v1.4.0 except those the script alone identifies (langScriptOnly). At most 64
// (the candidate sets are bit masks).
var langNgramLanguages = []string{
	"af", "ar", "az", "be", "bg", "bs", "ca", "cs", "cy", "da", "de", "en", "eo", "es", "et",
	"eu", "fa", "fi", "fr", "ga", "hi", "hr", "hu", "id", "is", "it", "kk", "la", "lg", "lt",
	"lv", "mi", "mk", "mn", "mr", "ms", "nb", "nl", "nn", "pl", "pt", "ro", "ru", "sk", "sl",
	"sn", "so", "sq", "sr", "st", "sv", "sw", "tl", "tn", "tr", "ts", "uk", "ur", "vi", "xh",
	"yo", "zu",
}

// langNgramScript is the script of each shipped language not written in the Latin script.
var langNgramScript = map[string]script{
	"be": scriptCyrillic, "bg": scriptCyrillic, "kk": scriptCyrillic, "mk": scriptCyrillic,
	"mn": scriptCyrillic, "ru": scriptCyrillic, "sr": scriptCyrillic, "uk": scriptCyrillic,
	"ar": scriptArabic, "fa": scriptArabic, "ur": scriptArabic,
	"hi": scriptDevanagari, "mr": scriptDevanagari,
}

// langScriptOnly are the supported languages without an n-gram model: each is the only
// language of lingua-go written in its script (Japanese and Chinese share Han, told apart by
// kana), so the script identifies it.
var langScriptOnly = map[string]script{
	"bn": scriptBengali, "el": scriptGreek, "gu": scriptGujarati, "he": scriptHebrew,
	"hy": scriptArmenian, "ja": scriptKana, "ka": scriptGeorgian, "ko": scriptHangul,
	"pa": scriptGurmukhi, "ta": scriptTamil, "te": scriptTelugu, "th": scriptThai,
	"zh": scriptHan,
}

// ngramScripts are the scripts of the shipped n-gram models.
func ngramScript(sc script) bool {
	return sc == scriptLatin || sc == scriptCyrillic || sc == scriptArabic || sc == scriptDevanagari
}

// SupportedLanguages returns the ISO 639-1 codes Config.Languages accepts (besides
// the aliases "no", "iw", "in", "zh-cn" and "zh-tw"), sorted: the 62 languages with a
// shipped n-gram model and the 13 identified by their script, lingua-go's 75 in all.
func SupportedLanguages() []string {
	out := append([]string(nil), langNgramLanguages...)
	for c := range langScriptOnly {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// languageSupported reports whether code (lower-case ISO 639-1) is supported.
func languageSupported(code string) bool {
	if _, ok := langScriptOnly[code]; ok {
		return true
	}
	return slices.Contains(langNgramLanguages, code)
}

//go:embed models/lang-ngrams.bin.gz
var langNgramModelGz []byte

// ngramTables holds every shipped language's probabilities: key (packed lower-case runes)
// → postings[start[i]:start[i+1]].
type ngramTables struct {
	idx      [3]map[uint64]uint32 // by n-1
	start    []uint32
	postings []ngramPosting
}

type ngramPosting struct {
	lang uint8 // index in langNgramLanguages
	logp float32
}

// ngramCache holds the decoded tables per set of languages (bit i: langNgramLanguages[i]).
// Tables restricted to the configured languages are smaller and faster to search (a
// trigram's postings hold only candidates) than all 62 languages'; a process normally
// configures one set. Past ngramCacheMax sets, the tables of every language are shared.
var ngramCache struct {
	sync.Mutex
	m map[uint64]*ngramCacheEntry
}

type ngramCacheEntry struct {
	mask uint64
	// The unigram to trigram tables and the short-text path's quadrigram and fivegram tables
	// (ngramshort.go), each decoded on first use: by Analyzer.Warm, which the processes that
	// analyse documents call at start, or else by the first document (the first short sample
	// the gate passes, for the latter). A process that only validates requests (the API)
	// never pays for them.
	once   sync.Once
	t      *ngramTables
	err    error
	hiOnce sync.Once
	hi     *hiTables
	hiErr  error
}

// tables returns the entry's unigram to trigram tables, decoding them on first use.
func (e *ngramCacheEntry) tables() (*ngramTables, error) {
	e.once.Do(func() { e.t, e.err = decodeNgramTablesFor(langNgramModelGz, e.mask) })
	return e.t, e.err
}

// highOrder returns the entry's quadrigram and fivegram tables, decoding them on first use.
func (e *ngramCacheEntry) highOrder() (*hiTables, error) {
	e.hiOnce.Do(func() { e.hi, e.hiErr = decodeHighOrderTablesFor(langHighOrderModelGz, e.mask) })
	return e.hi, e.hiErr
}

const ngramCacheMax = 8

// ngramAllLanguages is the set of every shipped language.
var ngramAllLanguages = uint64(1)<<len(langNgramLanguages) - 1

// loadNgramTables returns the entry of the embedded models for the languages of mask, one per
// process and set; its tables are decoded on first use (tables, highOrder).
func loadNgramTables(mask uint64) *ngramCacheEntry {
	ngramCache.Lock()
	if ngramCache.m == nil {
		ngramCache.m = map[uint64]*ngramCacheEntry{}
	}
	e := ngramCache.m[mask]
	if e == nil {
		if len(ngramCache.m) >= ngramCacheMax {
			mask = ngramAllLanguages
			e = ngramCache.m[mask]
		}
		if e == nil {
			e = &ngramCacheEntry{mask: mask}
			ngramCache.m[mask] = e
		}
	}
	ngramCache.Unlock()
	return e
}

func packRunes(rs []rune) uint64 {
	var k uint64
	for _, r := range rs {
		k = k<<21 | uint64(r)
	}
	return k
}

var errNgramModel = errors.New("language n-gram models: truncated or corrupt")

// modelReader reads the RLM2 format (see TestGenerateLanguageModels); err is sticky.
type modelReader struct {
	b   []byte
	err error
}

func (r *modelReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err, r.b = errNgramModel, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *modelReader) byte() byte {
	if len(r.b) == 0 {
		r.err = errNgramModel
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// openModel decompresses an embedded model file of the RLM2 or RLH2 format, checks their
// shared header (magic, the number of languages, their codes in langNgramLanguages' order) and
// returns a reader of the rest; what names the file in errors.
func openModel(gz []byte, magic, what string) (*modelReader, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	// gzip's trailer holds the uncompressed size: read into a buffer of that size at once.
	size := binary.LittleEndian.Uint32(gz[len(gz)-4:])     // NewReader read a header: len(gz) > 4
	if size > 1<<28 || uint64(size) > 64*uint64(len(gz)) { // a corrupt trailer
		return nil, errNgramModel
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(zr, b); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := zr.Read(make([]byte, 1)); n != 0 {
		return nil, errNgramModel
	}
	nl := len(langNgramLanguages)
	if len(b) < 5+2*nl || string(b[:4]) != magic || int(b[4]) != nl {
		return nil, fmt.Errorf("%s: bad header", what)
	}
	for i, code := range langNgramLanguages {
		if string(b[5+2*i:7+2*i]) != code {
			return nil, fmt.Errorf("%s: expected %s", what, code)
		}
	}
	return &modelReader{b: b[5+2*nl:]}, nil
}

// decodeNgramTables decodes the tables of every shipped language.
func decodeNgramTables(gz []byte) (*ngramTables, error) {
	return decodeNgramTablesFor(gz, ngramAllLanguages)
}

// decodeNgramTablesFor decodes the tables of the languages of mask (bit i:
// langNgramLanguages[i]); n-grams none of them has are left out.
func decodeNgramTablesFor(gz []byte, mask uint64) (*ngramTables, error) {
	nl := len(langNgramLanguages)
	r, err := openModel(gz, "RLM2", "language n-gram models")
	if err != nil {
		return nil, err
	}
	probs := make([][3][]float32, nl)
	for li := range probs {
		for n := range probs[li] {
			cnt := r.uvarint()
			if r.err != nil || cnt > uint64(len(r.b))/4 {
				return nil, errNgramModel
			}
			ps := make([]float32, cnt)
			for i := range ps {
				ps[i] = math.Float32frombits(binary.LittleEndian.Uint32(r.b[4*i:]))
			}
			r.b = r.b[4*cnt:]
			probs[li][n] = ps
		}
	}
	t := &ngramTables{start: []uint32{0}}
	share := float64(bits.OnesCount64(mask)) / float64(nl)
	for n := range t.idx {
		nkeys, npost := r.uvarint(), r.uvarint()
		if r.err != nil || nkeys > uint64(len(r.b)) || npost > uint64(len(r.b)) {
			return nil, errNgramModel
		}
		t.start = slices.Grow(t.start, int(nkeys))
		t.postings = slices.Grow(t.postings, int(float64(npost)*share)+16)
		keys := make([]uint64, 0, int(float64(nkeys)*min(1, 2*share)))
		first := len(t.start) - 1
		key := uint64(0)
		for range nkeys {
			key += r.uvarint()
			cnt := r.uvarint()
			before := len(t.postings)
			for range cnt {
				li := int(r.byte())
				pi := r.uvarint()
				if r.err != nil || li >= nl || pi >= uint64(len(probs[li][n])) {
					return nil, errNgramModel
				}
				if mask&(1<<li) != 0 {
					t.postings = append(t.postings, ngramPosting{lang: uint8(li), logp: probs[li][n][pi]})
				}
			}
			if len(t.postings) > before {
				keys = append(keys, key)
				t.start = append(t.start, uint32(len(t.postings)))
			}
		}
		if r.err != nil {
			return nil, r.err
		}
		m := make(map[uint64]uint32, len(keys)) // sized exactly: a denser map is faster to search
		for i, k := range keys {
			m[k] = uint32(first + i)
		}
		t.idx[n] = m
	}
	if len(r.b) != 0 {
		return nil, errNgramModel
	}
	if cap(t.start) > len(t.start)+len(t.start)/8 {
		t.start = slices.Clone(t.start)
	}
	if cap(t.postings) > len(t.postings)+len(t.postings)/8 {
		t.postings = slices.Clone(t.postings)
	}
	return t, nil
}

// ngramDetector is one analyser's view of the tables: its candidate languages per script.
type ngramDetector struct {
	e     *ngramCacheEntry   // the tables, decoded on first use
	cand  [numScripts]uint64 // bit i: langNgramLanguages[i] is a configured candidate
	codes []string
}

// newNgramDetector returns the detector for the configured languages, which must all be
// supported (languageSupported); nil when none has an n-gram model.
func newNgramDetector(configured []string) (*ngramDetector, error) {
	pos := map[string]int{}
	for i, c := range langNgramLanguages {
		pos[c] = i
	}
	d := &ngramDetector{codes: langNgramLanguages}
	var mask uint64
	for _, c := range configured {
		i, ok := pos[c]
		if !ok {
			continue // identified by its script
		}
		sc, ok := langNgramScript[c]
		if !ok {
			sc = scriptLatin
		}
		d.cand[sc] |= 1 << i
		mask |= 1 << i
	}
	if mask == 0 {
		return nil, nil
	}
	d.e = loadNgramTables(mask)
	return d, nil
}

// ngramScore is a candidate language's summed log-probability.
type ngramScore struct {
	lang int
	sum  float64
}

// detect scores sample (NFC-normalised; letters counts its letters) for the candidate
// languages of script sc, appending to out; out stays empty when no candidate could be
// recognised. The error is the embedded tables' failure to decode.
func (d *ngramDetector) detect(sample string, sc script, letters int, out []result.DominantLanguage) ([]result.DominantLanguage, error) {
	cand := d.cand[sc]
	if letters < 3 || cand == 0 {
		return out, nil // lingua-go's low-accuracy mode needs three letters
	}
	t, err := d.e.tables()
	if err != nil {
		return out, err
	}

	var sums [64]float64
	var marks [8]uint64 // the language sets of the distinct listed letters seen (letterMasks)
	listed := marks[:scoreTrigrams(t, sample, cand, &sums, &marks)]
	penalise(&sums, cand, listed)
	if letters < shortTextLetters && !clearWinner(&sums, cand, shortGateMargin) {
		hi, err := d.e.highOrder()
		if err != nil {
			return out, err
		}
		sums = [64]float64{}
		scale := scoreShort(t, hi, sample, cand, &sums)
		penalise(&sums, cand, listed)
		return d.finish(&sums, cand, scale, out), nil
	}
	return d.finish(&sums, cand, 1, out), nil
}

// shortGateMargin: a short sample whose best language leads the next by at least this many
// nats on the trigram path keeps the trigram path's answer (see clearWinner and doc.go). A
// variable so that TestLanguageShortTextTune can try others (REAM_LANG_GATE).
var shortGateMargin = 15.0

// clearWinner reports whether the best candidate's sum leads every other's by at least margin
// (candidates without evidence, sums ≥ 0, do not count).
func clearWinner(sums *[64]float64, cand uint64, margin float64) bool {
	best, second := math.Inf(-1), math.Inf(-1)
	for c := cand; c != 0; c &= c - 1 {
		v := sums[bits.TrailingZeros64(c)]
		if v >= 0 {
			continue
		}
		if v > best {
			best, second = v, best
		} else if v > second {
			second = v
		}
	}
	return best-second >= margin
}

// scoreTrigrams adds to sums each candidate's lingua-go low-accuracy score of sample (the
// trigram path) and stores the language sets of its distinct listed letters in marks,
// returning how many.
func scoreTrigrams(t *ngramTables, sample string, cand uint64, sums *[64]float64, marks *[8]uint64) int {
	nMarks := 0
	// Distinct trigrams of the lower-cased letter runs.
	var seen [512]uint64 // open-addressing set of trigram keys (0 = empty)
	distinct := 0
	var w [3]rune
	run := 0
	var marked [8]rune
	prevLetter := false
	for _, r := range sample {
		letter := r < utf8.RuneSelf && (r|0x20 >= 'a' && r|0x20 <= 'z') || r >= utf8.RuneSelf && unicode.IsLetter(r)
		// A listed letter counts unless it is the capital that begins a word: names travel
		// ("Åsa and I met in London" is English), while a language's own text writes its letters
		// in lower case too ("på", "år", "și").
		if r >= 0x80 && nMarks < len(marks) && (prevLetter || !unicode.IsUpper(r)) {
			if m, ok := letterMasks[r]; ok && !slices.Contains(marked[:nMarks], r) {
				marks[nMarks], marked[nMarks] = m, r
				nMarks++
			}
		}
		prevLetter = letter
		if !letter || r >= utf8.RuneSelf && !ngramScript(scriptOf(r)) {
			run = 0
			continue
		}
		if r < utf8.RuneSelf {
			r |= 0x20
		} else {
			r = unicode.ToLower(r)
		}
		w[0], w[1], w[2] = w[1], w[2], r
		run++
		if run < 3 {
			continue
		}
		key := uint64(w[0])<<42 | uint64(w[1])<<21 | uint64(w[2])
		h := hashx.Mix64(key) & (uint64(len(seen)) - 1)
		dup := false
		for seen[h] != 0 {
			if seen[h] == key {
				dup = true
				break
			}
			h = (h + 1) & (uint64(len(seen)) - 1)
		}
		if dup {
			continue
		}
		if distinct >= len(seen)*3/4 {
			break // enough evidence; prefixes are far shorter than this
		}
		seen[h] = key
		distinct++
		missing := cand
		for n, k := range [3]uint64{key, uint64(w[0])<<21 | uint64(w[1]), uint64(w[0])} {
			_ = n
			i, ok := t.idx[2-n][k]
			if !ok {
				continue
			}
			for _, p := range t.postings[t.start[i]:t.start[i+1]] {
				if bit := uint64(1) << p.lang; missing&bit != 0 {
					sums[p.lang] += float64(p.logp)
					missing &^= bit
				}
			}
			if missing == 0 {
				break
			}
		}
	}

	return nMarks
}

// penalise applies the letter rules: each candidate with evidence (a negative sum) loses
// letterPenalty for each of the listed letters' language sets it is not in.
func penalise(sums *[64]float64, cand uint64, listed []uint64) {
	for _, m := range listed {
		for c := cand &^ m; c != 0; c &= c - 1 {
			if l := bits.TrailingZeros64(c); sums[l] < 0 {
				sums[l] += letterPenalty
			}
		}
	}
}

// finish applies the softmax to the candidates' summed log-probabilities multiplied by scale
// (which leaves their order unchanged), appending to out.
func (d *ngramDetector) finish(sums *[64]float64, cand uint64, scale float64, out []result.DominantLanguage) []result.DominantLanguage {

	// Softmax over the languages with a negative sum (lingua-go ignores the others).
	var scores [64]ngramScore
	ns := 0
	best := math.Inf(-1)
	for c := cand; c != 0; c &= c - 1 {
		l := bits.TrailingZeros64(c)
		if sums[l] < 0 {
			scores[ns] = ngramScore{l, sums[l]}
			ns++
			best = math.Max(best, sums[l])
		}
	}
	if ns == 0 {
		return out
	}
	total := 0.0
	for i := 0; i < ns; i++ {
		scores[i].sum = math.Exp(scale * (scores[i].sum - best))
		total += scores[i].sum
	}
	ss := scores[:ns]
	// A total order (codes are distinct), so any sort gives the same list; slices.SortFunc
	// keeps scores on the stack where sort.Slice's interface sent it to the heap.
	slices.SortFunc(ss, func(a, b ngramScore) int {
		if c := cmp.Compare(b.sum, a.sum); c != 0 {
			return c
		}
		return strings.Compare(d.codes[a.lang], d.codes[b.lang])
	})
	for _, s := range ss {
		v := s.sum / total
		if len(out) == languageMaxCandidates || v < languageMinScore {
			break
		}
		out = append(out, result.DominantLanguage{LanguageCode: d.codes[s.lang], Score: v})
	}
	return out
}
