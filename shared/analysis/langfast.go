package analysis

import (
	"bytes"
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
	"sync"
	"unicode"
	"unicode/utf8"
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
// is a word of its own. letters counts letters; ascii reports whether s is pure ASCII (which
// needs no Unicode normalisation).
type scriptCounts struct {
	words   [numScripts]int
	total   int
	letters int
	ascii   bool
}

func countScripts(s string) scriptCounts {
	c := scriptCounts{ascii: true}
	prev := scriptOther
	inWord := false
	for i := 0; i < len(s); {
		b := s[i]
		var sc script
		if b < utf8.RuneSelf {
			i++
			if b|0x20 < 'a' || b|0x20 > 'z' {
				inWord = false
				continue
			}
			sc = scriptLatin
		} else {
			c.ascii = false
			r, size := utf8.DecodeRuneInString(s[i:])
			i += size
			if !unicode.IsLetter(r) {
				inWord = false
				continue
			}
			sc = scriptOf(r)
		}
		c.letters++
		if !inWord || sc != prev || sc == scriptHan || sc == scriptKana || sc == scriptHangul {
			c.words[sc]++
			c.total++
		}
		inWord, prev = true, sc
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

// The n-gram path: lingua-go's low-accuracy algorithm (sum, over the distinct letter
// trigrams of the sample, of the log-probability of the trigram in each candidate language,
// backing off to the trigram's leading bigram and then its first letter when the language's
// model lacks it; softmax over the sums) re-implemented over lingua-go's own unigram, bigram
// and trigram models, extracted into models/lang-ngrams.bin.gz by TestGenerateLanguageModels.
// The tables are keyed by packed runes and hold every language's probability under one key,
// so a trigram costs one map lookup instead of one per language, nothing is allocated per
// n-gram and the softmax runs in float64 (lingua-go falls back to arbitrary-precision
// decimals once the sums underflow). Candidates are the configured languages written in the
// sample's majority script (Latin or Cyrillic), as lingua-go's alphabet filter does;
// lingua-go's remaining rules (letters unique to one language) are left to the n-grams.

// langNgramLanguages are the languages whose n-gram models are shipped: the Latin- and
// Cyrillic-script languages of DefaultLanguages.
var langNgramLanguages = []string{
	"bg", "ca", "cs", "da", "de", "en", "es", "et", "fi", "fr", "hr", "hu", "id", "it", "lt",
	"nb", "nl", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "tr", "uk", "vi",
}

// langNgramCyrillic are the Cyrillic-script languages among langNgramLanguages.
var langNgramCyrillic = map[string]bool{"bg": true, "ru": true, "uk": true}

// langOtherScript are languages of lingua-go written in neither the Latin nor the Cyrillic
// script: they never compete for a Latin or Cyrillic document.
var langOtherScript = map[string]bool{
	"ar": true, "el": true, "he": true, "ja": true, "ko": true, "zh": true, "th": true, "ka": true,
	"hy": true, "bn": true, "gu": true, "pa": true, "ta": true, "te": true, "hi": true, "mr": true,
	"fa": true, "ur": true,
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

var (
	ngramOnce   sync.Once
	ngramShared *ngramTables
	ngramErr    error
)

// loadNgramTables decodes the embedded models once per process.
func loadNgramTables() (*ngramTables, error) {
	ngramOnce.Do(func() { ngramShared, ngramErr = decodeNgramTables(langNgramModelGz) })
	return ngramShared, ngramErr
}

func packRunes(rs []rune) uint64 {
	var k uint64
	for _, r := range rs {
		k = k<<21 | uint64(r)
	}
	return k
}

func decodeNgramTables(gz []byte) (*ngramTables, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("language n-gram models: %w", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("language n-gram models: %w", err)
	}
	if len(b) < 5 || string(b[:4]) != "RLM1" || int(b[4]) != len(langNgramLanguages) {
		return nil, errors.New("language n-gram models: bad header")
	}
	b = b[5:]
	// First pass: collect postings per key.
	var lists [3]map[uint64][]ngramPosting
	for n := range lists {
		lists[n] = make(map[uint64][]ngramPosting)
	}
	var rs []rune
	for li, code := range langNgramLanguages {
		if len(b) < 2 || string(b[:2]) != code {
			return nil, fmt.Errorf("language n-gram models: expected %s", code)
		}
		b = b[2:]
		for n := 0; n < 3; n++ {
			cnt := binary.LittleEndian.Uint32(b)
			b = b[4:]
			for ; cnt > 0; cnt-- {
				l := int(b[0])
				g := string(b[1 : 1+l])
				lp := math.Float32frombits(binary.LittleEndian.Uint32(b[1+l:]))
				b = b[5+l:]
				rs = append(rs[:0], []rune(g)...)
				k := packRunes(rs)
				lists[n][k] = append(lists[n][k], ngramPosting{lang: uint8(li), logp: lp})
			}
		}
	}
	t := &ngramTables{start: []uint32{0}}
	for n := range lists {
		t.idx[n] = make(map[uint64]uint32, len(lists[n]))
		keys := make([]uint64, 0, len(lists[n]))
		for k := range lists[n] {
			keys = append(keys, k)
		}
		slices.Sort(keys) // deterministic layout
		for _, k := range keys {
			t.idx[n][k] = uint32(len(t.start) - 1)
			t.postings = append(t.postings, lists[n][k]...)
			t.start = append(t.start, uint32(len(t.postings)))
		}
	}
	return t, nil
}

// ngramDetector is one analyser's view of the tables: its candidate languages per script.
type ngramDetector struct {
	t               *ngramTables
	latin, cyrillic uint64 // bit i: langNgramLanguages[i] is a configured candidate
	codes           []string
}

// newNgramDetector returns nil when some configured language could compete for a Latin or
// Cyrillic document but has no shipped model (the analyser then uses lingua-go throughout).
func newNgramDetector(configured []string) (*ngramDetector, error) {
	pos := map[string]int{}
	for i, c := range langNgramLanguages {
		pos[c] = i
	}
	d := &ngramDetector{codes: langNgramLanguages}
	for _, c := range configured {
		i, ok := pos[c]
		switch {
		case ok && langNgramCyrillic[c]:
			d.cyrillic |= 1 << i
		case ok:
			d.latin |= 1 << i
		case langOtherScript[c]:
		default:
			return nil, nil
		}
	}
	t, err := loadNgramTables()
	if err != nil {
		return nil, err
	}
	d.t = t
	return d, nil
}

// ngramScore is a candidate language's summed log-probability.
type ngramScore struct {
	lang int
	sum  float64
}

// detect scores sample (NFC-normalised; c counts its scripts). ok is false when the sample's
// majority script is neither Latin nor Cyrillic (the caller falls back to lingua-go); out is empty when no
// candidate language could be recognised.
func (d *ngramDetector) detect(sample string, c *scriptCounts, out []DominantLanguage) (_ []DominantLanguage, ok bool) {
	var cand uint64
	switch c.majority() {
	case scriptLatin:
		cand = d.latin
	case scriptCyrillic:
		cand = d.cyrillic
	default:
		return out, false
	}
	if c.letters < 3 || cand == 0 {
		return out, true // lingua-go's low-accuracy mode needs three letters
	}

	// Pass 2: distinct trigrams of the lower-cased letter runs.
	var sums [64]float64
	var seen [512]uint64 // open-addressing set of trigram keys (0 = empty)
	distinct := 0
	var w [3]rune
	run := 0
	t := d.t
	for _, r := range sample {
		if !(r < utf8.RuneSelf && (r|0x20 >= 'a' && r|0x20 <= 'z')) && !(r >= utf8.RuneSelf && unicode.IsLetter(r) && (scriptOf(r) == scriptLatin || scriptOf(r) == scriptCyrillic)) {
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
		h := mix64(key) & (uint64(len(seen)) - 1)
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
		return out, true
	}
	total := 0.0
	for i := 0; i < ns; i++ {
		scores[i].sum = math.Exp(scores[i].sum - best)
		total += scores[i].sum
	}
	sc := scores[:ns]
	sort.Slice(sc, func(i, j int) bool {
		if sc[i].sum != sc[j].sum {
			return sc[i].sum > sc[j].sum
		}
		return d.codes[sc[i].lang] < d.codes[sc[j].lang]
	})
	for _, s := range sc {
		v := s.sum / total
		if len(out) == languageMaxCandidates || v < languageMinScore {
			break
		}
		out = append(out, DominantLanguage{LanguageCode: d.codes[s.lang], Score: v})
	}
	return out, true
}
