package language

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
	"github.com/ream-dev/ream/shared/analysis/internal/result"
)

// An outside check on text no choice of the analyser was made on: the translations of the
// gettext message catalogues installed on the machine (/usr/share/locale/<locale>/LC_MESSAGES/
// *.mo, the msgstr strings `msgunfmt` prints; fuzzy entries are not compiled into .mo files).
// TestLanguageGettext builds a labelled set from them (gettextSet) and prints accuracy overall,
// per language, by length and the confusions; it skips where /usr/share/locale is absent.
// REAM_GETTEXT_ERRORS=1 lists every error; REAM_GETTEXT_DIR reads another locale directory.

// gettextLocales maps a locale directory to the code Ream reports for its language, for every
// locale of a supported language. Left out, with the reason: en@quot, en@boldquot (English
// with typographic quotes: msgstr = msgid), en@shaw (Shavian script); sr@latin, sr@Latn (Serbian
// in the Latin script: Ream's, i.e. lingua-go's, Serbian model is Cyrillic only, so Latin
// Serbian can only come out hr or bs; measured apart, gettextSerbianLatin); be@latin (likewise,
// Belarusian's model is Cyrillic); az_IR (Azerbaijani in the Arabic script; the model is Latin);
// pa_PK (Punjabi in Shahmukhi, the Arabic script; pa is identified by Gurmukhi); mo (Moldavian:
// Romanian, but historically Cyrillic).
var gettextLocales = map[string]string{
	// Norwegian: Ream names Bokmål nb ("no" is accepted as its alias), Nynorsk nn.
	"nb": "nb", "nb_NO": "nb", "no": "nb", "nn": "nn",
	// Chinese is zh for both scripts (Comprehend's zh-TW is never produced).
	"zh_CN": "zh", "zh_TW": "zh", "zh_HK": "zh", "zh_Hans": "zh", "zh_Hant": "zh",
	"pt": "pt", "pt_BR": "pt", "pt_PT": "pt",
	"en": "en", "en_GB": "en", "en_AU": "en", "en_CA": "en", "en_NZ": "en", "en_US": "en",
	"de": "de", "de_CH": "de",
	"ca": "ca", "ca@valencia": "ca",
	"ro": "ro", "ro_MD": "ro",
	"bn": "bn", "bn_BD": "bn", "bn_IN": "bn",
	"sr": "sr", "sr@ije": "sr", // Cyrillic (ijekavian)
	"fil": "tl", // Filipino: standardised Tagalog
}

// gettextSerbianLatin are the locales of Serbian in the Latin script.
var gettextSerbianLatin = []string{"sr@latin", "sr@Latn"}

// gettextCap is how many strings per language the set keeps (the smallest FNV-1a-64 hashes of
// "gettext-select:"+text: a fixed selection).
const gettextCap = 300

// gettextLocaleDir is where the catalogues are read.
func gettextLocaleDir() string {
	if d := os.Getenv("REAM_GETTEXT_DIR"); d != "" {
		return d
	}
	return "/usr/share/locale"
}

// readMO returns the (msgid, msgstr) pairs of a compiled catalogue (GNU .mo, either byte
// order): the header entry (empty msgid) is skipped, a msgctxt prefix is removed, and of a
// plural entry the singular msgid and the first msgstr form are kept. Catalogues whose header
// names a charset other than UTF-8 are skipped (nil).
func readMO(b []byte) [][2]string {
	if len(b) < 28 {
		return nil
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case 0x950412de:
		bo = binary.LittleEndian
	case 0xde120495:
		bo = binary.BigEndian
	default:
		return nil
	}
	n := int(bo.Uint32(b[8:]))
	origs, trans := int(bo.Uint32(b[12:])), int(bo.Uint32(b[16:]))
	str := func(table, i int) (string, bool) {
		p := table + 8*i
		if p+8 > len(b) {
			return "", false
		}
		l, off := int(bo.Uint32(b[p:])), int(bo.Uint32(b[p+4:]))
		if off+l > len(b) || off < 0 || l < 0 {
			return "", false
		}
		return string(b[off : off+l]), true
	}
	var out [][2]string
	for i := range n {
		id, ok1 := str(origs, i)
		tr, ok2 := str(trans, i)
		if !ok1 || !ok2 {
			return out
		}
		if id == "" {
			if cs := gettextCharset.FindStringSubmatch(tr); cs != nil && !strings.EqualFold(cs[1], "UTF-8") && !strings.EqualFold(cs[1], "utf8") {
				return nil
			}
			continue
		}
		if _, after, ok := strings.Cut(id, "\x04"); ok {
			id = after
		}
		id, _, _ = strings.Cut(id, "\x00")
		tr, _, _ = strings.Cut(tr, "\x00")
		out = append(out, [2]string{id, tr})
	}
	return out
}

var (
	// printf and Python/C# directives, {0} and {name} placeholders, ${var}, $1.
	gettextDirective = regexp.MustCompile(`%(?:\d+\$)?[-+ #0']*(?:\d+|\*)?(?:\.\d+)?(?:hh|h|ll|l|L|q|j|z|t|I64)?[diouxXeEfFgGaAcspn%]|%\([A-Za-z_]+\)[a-z]|%[A-Za-z_]+%|\{[^{}]*\}|\$\{?[A-Za-z0-9_]+\}?|%\d+`)
	gettextCharset   = regexp.MustCompile(`charset=([A-Za-z0-9_-]+)`)
	// markup tags and entities
	gettextMarkup = regexp.MustCompile(`<[^<>]*>|&[a-zA-Z]+;|&#\d+;`)
	// tokens that are no words of the language: paths, URLs, options, identifiers, e-mail
	// addresses, file names, words with digits or underscores
	gettextToken = regexp.MustCompile(`\S*(?:/|\\|://|@|--|\.\w)\S*|\S*\d\S*`)
	// identifiers: ASCII words joined by underscores (GIT_AUTHOR_EMAIL, null_value); an
	// underscore inside a word otherwise marks an accelerator ("Ö_ffnen")
	gettextIdent = regexp.MustCompile(`[A-Za-z0-9]+_[A-Za-z0-9_]*[A-Za-z0-9]`)
	// CJK-style accelerators: "(_F)", "(&F)"
	gettextCJKAccel = regexp.MustCompile(`\((?:_|&)\w\)`)
)

// gettextClean returns the text of a msgstr without its directives, markup, accelerators and
// non-word tokens, white space collapsed, and the share of the original's runes that are
// letters kept.
func gettextClean(s string) (string, float64) {
	orig := utf8.RuneCountInString(strings.TrimSpace(s))
	s = gettextCJKAccel.ReplaceAllString(s, "")
	s = gettextMarkup.ReplaceAllString(s, " ")
	s = gettextDirective.ReplaceAllString(s, " ")
	s = gettextIdent.ReplaceAllString(s, " ")
	// Accelerators: "_File", "Ö_ffnen", "&File", "~File" (a marker before a letter).
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if (r == '_' || r == '&' || r == '~') && i+1 < len(rs) && unicode.IsLetter(rs[i+1]) {
			continue
		}
		b.WriteRune(r)
	}
	s = gettextToken.ReplaceAllString(b.String(), " ")
	s = strings.Join(strings.Fields(s), " ")
	letters := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if orig == 0 {
		return s, 0
	}
	return s, float64(letters) / float64(orig)
}

// gettextMinLetters: strings with fewer letters (after cleaning) are left out.
const gettextMinLetters = 20

// gettextCatalogues holds, per code, the cleaned msgstr strings of the catalogues of its
// locales (gettextLabels over every supported language, and gettextSerbianLatin under
// "sr-Latn"): not empty, not equal to their msgid (cleaned, case folded), at least
// gettextMinLetters letters, letters at least half of the original's runes (so strings mostly
// of directives, placeholders or paths are left out), deduplicated. Read once per process.
var gettextCatalogues struct {
	sync.Once
	byCode map[string]map[string]bool
	files  map[string]int // catalogues read per code
}

func gettextTexts(dir string) (map[string]map[string]bool, map[string]int) {
	g := &gettextCatalogues
	g.Do(func() {
		g.byCode, g.files = map[string]map[string]bool{}, map[string]int{}
		labels := gettextLabels(dir, SupportedLanguages())
		for _, l := range gettextSerbianLatin {
			labels[l] = "sr-Latn"
		}
		for loc, code := range labels {
			files, _ := filepath.Glob(filepath.Join(dir, loc, "LC_MESSAGES", "*.mo"))
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					continue
				}
				g.files[code]++
				for _, p := range readMO(b) {
					if !utf8.ValidString(p[1]) {
						continue
					}
					text, share := gettextClean(p[1])
					if share < 0.5 {
						continue
					}
					letters := 0
					for _, r := range text {
						if unicode.IsLetter(r) {
							letters++
						}
					}
					if letters < gettextMinLetters {
						continue
					}
					if id, _ := gettextClean(p[0]); strings.EqualFold(text, id) {
						continue
					}
					if g.byCode[code] == nil {
						g.byCode[code] = map[string]bool{}
					}
					g.byCode[code][text] = true
				}
			}
		}
	})
	return g.byCode, g.files
}

// gettextSet returns, for each code of langs with catalogues, up to gettextCap of its strings
// (gettextTexts); a text found under two of the codes is dropped (dropped counts them).
// catalogues counts the files the strings come from.
func gettextSet(dir string, langs []string) (rows []evaltest.Labelled, catalogues, dropped int) {
	byCode, files := gettextTexts(dir)
	owners := map[string]int{}
	for _, c := range langs {
		for s := range byCode[c] {
			owners[s]++
		}
	}
	hash := func(s string) uint64 {
		h := fnv.New64a()
		h.Write([]byte("gettext-select:" + s))
		return h.Sum64()
	}
	codes := slices.Sorted(slices.Values(langs))
	for _, c := range codes {
		catalogues += files[c]
		var texts []string
		for s := range byCode[c] {
			if owners[s] > 1 {
				dropped++
				continue
			}
			texts = append(texts, s)
		}
		slices.SortFunc(texts, func(a, b string) int { return cmp.Compare(hash(a), hash(b)) })
		for _, s := range texts[:min(gettextCap, len(texts))] {
			rows = append(rows, evaltest.Labelled{Label: c, Text: s})
		}
	}
	return rows, catalogues, dropped
}

// gettextLabels returns the locale → code map restricted to the languages of langs: the
// locales named after a supported code, and those of gettextLocales.
func gettextLabels(dir string, langs []string) map[string]string {
	out := map[string]string{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		code, ok := gettextLocales[e.Name()]
		if !ok && languageSupported(e.Name()) {
			code, ok = e.Name(), true
		}
		if ok && slices.Contains(langs, code) {
			out[e.Name()] = code
		}
	}
	return out
}

// gettextReport evaluates a on rows and logs the figures: overall, per length (runes), per
// language, the confusions and, with REAM_GETTEXT_ERRORS=1, every error.
func gettextReport(t *testing.T, name string, a *Analyzer, rows []evaltest.Labelled) float64 {
	t.Helper()
	type bucket struct{ ok, n int }
	buckets := map[string]*bucket{"<40": {}, "40-100": {}, ">100": {}}
	ev := langEval{perLang: map[string][2]int{}, confusions: map[string]int{}}
	var errs []string
	for _, r := range rows {
		got := "(none)"
		var res result.Result
		if err := a.Analyze(r.Text, result.Options{}, &res); err == nil {
			got = res.Languages[0].LanguageCode
		}
		n := utf8.RuneCountInString(r.Text)
		k := "40-100"
		if n < 40 {
			k = "<40"
		} else if n > 100 {
			k = ">100"
		}
		buckets[k].n++
		if ev.add(r.Label, got) {
			buckets[k].ok++
		} else {
			errs = append(errs, fmt.Sprintf("%s→%s %v\t%s", r.Label, got, res.Languages, r.Text))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: top-1 %.4f (%d/%d); by length:", name, ev.accuracy(), ev.correct, ev.total)
	for _, k := range []string{"<40", "40-100", ">100"} {
		if x := buckets[k]; x.n > 0 {
			fmt.Fprintf(&b, " %s %.4f (%d/%d)", k, float64(x.ok)/float64(x.n), x.ok, x.n)
		}
	}
	codes := make([]string, 0, len(ev.perLang))
	for c := range ev.perLang {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	b.WriteString("\n  per language:")
	for i, c := range codes {
		if i%8 == 0 {
			b.WriteString("\n   ")
		}
		x := ev.perLang[c]
		fmt.Fprintf(&b, " %s %.3f (%d/%d)", c, float64(x[0])/float64(x[1]), x[0], x[1])
	}
	fmt.Fprintf(&b, "\n  confusions (want→got):%s", ev.topConfusions(40))
	t.Log(b.String())
	if os.Getenv("REAM_GETTEXT_ERRORS") == "1" {
		sort.Strings(errs)
		t.Logf("%s errors:\n%s", name, strings.Join(errs, "\n"))
	}
	return ev.accuracy()
}

// TestLanguageGettext is the outside check on software-translation strings: the 33 default
// languages configured, on the catalogues of those languages; all 75 supported configured, on
// the catalogues of every supported language; and, with the default languages, what Latin
// Serbian comes out as. It prints the figures; the floors only catch a collapse.
func TestLanguageGettext(t *testing.T) {
	if testing.Short() || os.Getenv("REAM_GETTEXT") != "1" {
		// It depends on what the machine has installed, so it is a measurement (make
		// analysers), not a test every build runs.
		t.Skip("reads the installed message catalogues: set REAM_GETTEXT=1 (make analysers does)")
	}
	dir := gettextLocaleDir()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no message catalogues (%v)", err)
	}
	rows, cats, dropped := gettextSet(dir, DefaultLanguages)
	if len(rows) < 1000 {
		t.Skipf("too few catalogue strings under %s (%d)", dir, len(rows))
	}
	t.Logf("gettext set, 33 default languages: %d strings from %d catalogues (%d texts found under two languages dropped)", len(rows), cats, dropped)
	if acc := gettextReport(t, "gettext/33", defaultLanguage(t), rows); acc < 0.85 {
		t.Errorf("gettext/33: accuracy %.4f below the 0.85 floor", acc)
	}

	all, err := New(Config{Languages: SupportedLanguages()})
	if err != nil {
		t.Fatal(err)
	}
	rows, cats, dropped = gettextSet(dir, SupportedLanguages())
	t.Logf("gettext set, all 75 supported languages: %d strings from %d catalogues (%d texts found under two languages dropped)", len(rows), cats, dropped)
	if acc := gettextReport(t, "gettext/75", all, rows); acc < 0.75 {
		t.Errorf("gettext/75: accuracy %.4f below the 0.75 floor", acc)
	}

	if rows, _, _ := gettextSet(dir, []string{"sr-Latn"}); len(rows) > 0 {
		got := map[string]int{}
		for _, r := range rows {
			var res result.Result
			g := "(none)"
			if all.Analyze(r.Text, result.Options{}, &res) == nil {
				g = res.Languages[0].LanguageCode
			}
			got[g]++
		}
		t.Logf("Serbian in the Latin script (%d strings, all 75 configured; Ream's Serbian model is Cyrillic): answered %v", len(rows), got)
	}
}

// TestReadMO: readMO reads both byte orders, drops the header, msgctxt and plural forms.
func TestReadMO(t *testing.T) {
	build := func(bo binary.ByteOrder, pairs [][2]string) []byte {
		n := len(pairs)
		var hdr, data bytes.Buffer
		base := 28 + 16*n
		var origs, trans [][2]int
		for _, p := range pairs {
			origs = append(origs, [2]int{len(p[0]), base + data.Len()})
			data.WriteString(p[0] + "\x00")
		}
		for _, p := range pairs {
			trans = append(trans, [2]int{len(p[1]), base + data.Len()})
			data.WriteString(p[1] + "\x00")
		}
		w := func(v int) { binary.Write(&hdr, bo, uint32(v)) }
		w(0x950412de)
		w(0)
		w(n)
		w(28)
		w(28 + 8*n)
		w(0)
		w(0)
		for _, o := range append(origs, trans...) {
			w(o[0])
			w(o[1])
		}
		return append(hdr.Bytes(), data.Bytes()...)
	}
	pairs := [][2]string{{"", "Content-Type: text/plain; charset=UTF-8\n"}, {"menu\x04Open", "Öffnen"}, {"%d file\x00%d files", "%d Datei\x00%d Dateien"}}
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		got := readMO(build(bo, pairs))
		want := [][2]string{{"Open", "Öffnen"}, {"%d file", "%d Datei"}}
		if !slices.Equal(got, want) {
			t.Errorf("%v: %q, want %q", bo, got, want)
		}
	}
	if got := readMO(build(binary.LittleEndian, [][2]string{{"", "charset=ISO-8859-1"}, {"a", "b"}})); got != nil {
		t.Errorf("a Latin-1 catalogue: %q", got)
	}
	for _, c := range []struct{ in, want string }{
		{"_Datei öffnen", "Datei öffnen"},
		{"Kopiere %s nach %2$s …", "Kopiere nach …"},
		{"<b>Fehler:</b> {0} nicht gefunden in /usr/lib/foo.so", "Fehler: nicht gefunden in"},
		{"ファイル(_F)", "ファイル"},
		{"GIT_AUTHOR_EMAIL ist schon gesetzt, Ö_ffnen", "ist schon gesetzt, Öffnen"},
	} {
		if got, _ := gettextClean(c.in); got != c.want {
			t.Errorf("gettextClean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
