package language

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGenerateLanguageModels regenerates models/lang-ngrams.bin.gz from lingua-go v1.4.0's
// unigram, bigram and trigram models (Apache-2.0) in the module cache, for the languages of
// langNgramLanguages. It runs only with REAM_GEN_LANGMODEL=1:
//
//	REAM_GEN_LANGMODEL=1 go test ./shared/analysis/language/ -run TestGenerateLanguageModels -v
//
// Format RLM2 (before gzip; uvarints unless stated):
//
//	"RLM2"; number of languages (uint8); their ISO 639-1 codes (2 bytes each, in
//	langNgramLanguages order);
//	per language, for n = 1, 2, 3: the number of distinct probabilities, then each as a
//	natural-log float32 (little-endian) — lingua stores n-grams in sets sharing one
//	probability, so a posting names its set's index;
//	for n = 1, 2, 3: the number of distinct n-grams, the total number of postings, then per
//	n-gram in increasing order of its packed key (packRunes) the key's difference from the
//	previous key, the number of postings, and per posting the language index (uint8) and
//	the probability index.
//
// Grouping the postings by n-gram lets decodeNgramTables build the tables in one pass with
// no per-n-gram allocation. The output is deterministic. The test logs each language's
// share of the file (its models gzipped alone), the basis for choosing the shipped set.
//
// It also writes models/lang-ngrams45.bin.gz, the short-text path's quadrigrams and
// fivegrams (ngramshort.go), from lingua-go's quadrigram and fivegram models: per language
// and order the langHighOrderTopN n-grams of highest estimated frequency (highOrderWriter.add;
// REAM_GEN_LANGMODEL_TOPN overrides the number and REAM_GEN_LANGMODEL_HI_OUT the output path,
// for trials with TestLanguageShortTextTune). Format RLH2 (before gzip; uvarints unless
// stated):
//
//	"RLH2"; number of languages (uint8); their ISO 639-1 codes (2 bytes each);
//	for n = 4, 5: the number of distinct n-grams, the total number of postings, then per
//	n-gram in lexicographic order of its runes the number of leading runes shared with the
//	previous n-gram, the other runes, the number of postings, and per posting the language
//	index (uint8) and the quantised log-probability (uint8, quantLogProb).
func TestGenerateLanguageModels(t *testing.T) {
	if os.Getenv("REAM_GEN_LANGMODEL") != "1" {
		t.Skip("set REAM_GEN_LANGMODEL=1 to regenerate models/lang-ngrams.bin.gz")
	}
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "github.com", "pemistahl", "lingua-go@v1.4.0", "language-models")
	type posting struct {
		lang uint8
		prob uint32
	}
	var (
		probs    [][3][]float32 // language → n-1 → probabilities
		postings [3]map[uint64][]posting
	)
	for n := range postings {
		postings[n] = map[uint64][]posting{}
	}
	topN := langHighOrderTopN
	if v := os.Getenv("REAM_GEN_LANGMODEL_TOPN"); v != "" { // for measuring accuracy against size
		if _, err := fmt.Sscan(v, &topN); err != nil {
			t.Fatal(err)
		}
	}
	hi := newHighOrderWriter()
	var raw bytes.Buffer
	raw.WriteString("RLM2")
	raw.WriteByte(byte(len(langNgramLanguages)))
	var rs []rune
	for li, code := range langNgramLanguages {
		raw.WriteString(code)
		var ps [3][]float32
		var alone bytes.Buffer      // this language's models on their own, to measure its size
		low := map[string]float64{} // n-gram → natural log of its probability, for pruning
		for n, name := range []string{"unigrams", "bigrams", "trigrams"} {
			sets := readLinguaModel(t, filepath.Join(root, code, name+".pb.bin.zip"))
			for _, s := range sets {
				lp := float32(math.Log(s.prob))
				for _, g := range s.ngrams {
					if _, ok := low[g]; !ok {
						low[g] = math.Log(s.prob)
					}
				}
				binary.Write(&alone, binary.LittleEndian, lp)
				for _, g := range s.ngrams {
					rs = append(rs[:0], []rune(g)...)
					if len(rs) != n+1 {
						t.Fatalf("%s %s: bad n-gram %q", code, name, g)
					}
					k := packRunes(rs)
					if l := postings[n][k]; len(l) > 0 && l[len(l)-1].lang == uint8(li) {
						continue // duplicate within one language: keep the first
					}
					postings[n][k] = append(postings[n][k], posting{uint8(li), uint32(len(ps[n]))})
					alone.WriteString(g)
				}
				ps[n] = append(ps[n], lp)
			}
		}
		probs = append(probs, ps)
		hi.add(t, root, code, uint8(li), low, topN)
		var gz bytes.Buffer
		w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		w.Write(alone.Bytes())
		w.Close()
		t.Logf("%s: %d bytes gzipped alone", code, gz.Len())
	}
	var tmp [binary.MaxVarintLen64]byte
	uv := func(v uint64) { raw.Write(tmp[:binary.PutUvarint(tmp[:], v)]) }
	for _, ps := range probs {
		for n := range ps {
			uv(uint64(len(ps[n])))
			for _, p := range ps[n] {
				binary.Write(&raw, binary.LittleEndian, p)
			}
		}
	}
	for n := range postings {
		keys := make([]uint64, 0, len(postings[n]))
		total := 0
		for k, l := range postings[n] {
			keys = append(keys, k)
			total += len(l)
		}
		slices.Sort(keys)
		uv(uint64(len(keys)))
		uv(uint64(total))
		prev := uint64(0)
		for _, k := range keys {
			uv(k - prev)
			prev = k
			l := postings[n][k]
			uv(uint64(len(l)))
			for _, p := range l {
				raw.WriteByte(p.lang)
				uv(uint64(p.prob))
			}
		}
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(raw.Bytes())
	w.Close()
	if err := os.WriteFile(filepath.Join("models", "lang-ngrams.bin.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote models/lang-ngrams.bin.gz: %d languages, %d bytes (%d uncompressed)", len(langNgramLanguages), gz.Len(), raw.Len())
	hi.write(t, topN)
}

// highOrderWriter collects the pruned quadrigram and fivegram models (format RLH1, see
// TestGenerateLanguageModels and decodeHighOrderTables).
type highOrderWriter struct {
	postings [2]map[string][]highOrderPosting // n-gram → postings
}

type highOrderPosting struct {
	lang uint8
	q    uint8 // quantised log-probability (quantLogProb)
}

func newHighOrderWriter() *highOrderWriter {
	return &highOrderWriter{postings: [2]map[string][]highOrderPosting{{}, {}}}
}

// add reads one language's quadrigram and fivegram models and keeps the topN n-grams of each
// order with the highest estimated frequency: the product of the conditional probabilities
// of the n-gram and of its prefixes (lingua's n-gram probabilities are conditional on the
// (n-1)-gram prefix; a unigram's is its relative frequency), so the kept n-grams are the ones a
// text is most likely to contain. low holds the language's unigram, bigram and trigram
// log-probabilities.
func (h *highOrderWriter) add(t *testing.T, root, code string, li uint8, low map[string]float64, topN int) {
	joint := map[string]float64{} // n-gram → estimated log frequency, for every order
	for g, lp := range low {
		rs := []rune(g)
		if len(rs) == 1 {
			joint[g] = lp
		}
	}
	for n := 2; n <= 3; n++ {
		for g, lp := range low {
			if rs := []rune(g); len(rs) == n {
				if pj, ok := joint[string(rs[:n-1])]; ok {
					joint[g] = pj + lp
				}
			}
		}
	}
	for n, name := range []string{"quadrigrams", "fivegrams"} {
		type cand struct {
			g     string
			joint float64
			set   int
		}
		sets := readLinguaModel(t, filepath.Join(root, code, name+".pb.bin.zip"))
		var cs []cand
		for si, s := range sets {
			lp := math.Log(s.prob)
			for _, g := range s.ngrams {
				rs := []rune(g)
				if len(rs) != n+4 {
					t.Fatalf("%s %s: bad n-gram %q", code, name, g)
				}
				pj, ok := joint[string(rs[:n+3])]
				if !ok {
					continue // prefix unknown: lingua's backoff never reaches it either way
				}
				cs = append(cs, cand{g, pj + lp, si})
			}
		}
		slices.SortFunc(cs, func(a, b cand) int {
			if a.joint != b.joint {
				if a.joint > b.joint {
					return -1
				}
				return 1
			}
			return strings.Compare(a.g, b.g)
		})
		if len(cs) > topN {
			cs = cs[:topN]
		}
		// Kept n-grams join the joint map (fivegrams' prefixes); pruned ones do not.
		for _, c := range cs {
			joint[c.g] = c.joint
			h.postings[n][c.g] = append(h.postings[n][c.g], highOrderPosting{li, quantLogProb(math.Log(sets[c.set].prob))})
		}
	}
}

// quantLogProb quantises a natural-log probability to a byte, in steps of 1/hiQuantStep
// (hiLogProb inverts it).
func quantLogProb(lp float64) uint8 {
	return uint8(min(255, math.Round(-lp*hiQuantStep)))
}

func (h *highOrderWriter) write(t *testing.T, topN int) {
	var raw bytes.Buffer
	raw.WriteString("RLH2")
	raw.WriteByte(byte(len(langNgramLanguages)))
	for _, code := range langNgramLanguages {
		raw.WriteString(code)
	}
	var tmp [binary.MaxVarintLen64]byte
	uv := func(v uint64) { raw.Write(tmp[:binary.PutUvarint(tmp[:], v)]) }
	for n := range h.postings {
		keys := make([][]rune, 0, len(h.postings[n]))
		total := 0
		for g, l := range h.postings[n] {
			keys = append(keys, []rune(g))
			total += len(l)
		}
		slices.SortFunc(keys, slices.Compare)
		uv(uint64(len(keys)))
		uv(uint64(total))
		var prev []rune
		for _, k := range keys {
			shared := 0
			for shared < len(prev) && prev[shared] == k[shared] {
				shared++
			}
			uv(uint64(shared))
			for _, r := range k[shared:] {
				uv(uint64(r))
			}
			prev = k
			l := h.postings[n][string(k)]
			uv(uint64(len(l)))
			for _, p := range l {
				raw.WriteByte(p.lang)
				raw.WriteByte(p.q)
			}
		}
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(raw.Bytes())
	w.Close()
	out := filepath.Join("models", "lang-ngrams45.bin.gz")
	if p := os.Getenv("REAM_GEN_LANGMODEL_HI_OUT"); p != "" { // a trial file for TestLanguageShortTextTune
		out = p
	}
	if err := os.WriteFile(out, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: top %d quadrigrams and fivegrams per language, %d+%d n-grams, %d bytes (%d uncompressed)",
		out, topN, len(h.postings[0]), len(h.postings[1]), gz.Len(), raw.Len())
}

type linguaSet struct {
	prob   float64
	ngrams []string
}

// readLinguaModel decodes lingua's SerializableLanguageModel protobuf (field 4: repeated
// SerializableNgramSet{1: double probability, 2: repeated string ngrams}) by hand.
func readLinguaModel(t *testing.T, path string) []linguaSet {
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	f, err := z.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	var sets []linguaSet
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		b = b[n:]
		field, wire := key>>3, key&7
		switch wire {
		case 0:
			_, n = binary.Uvarint(b)
			b = b[n:]
		case 2:
			l, n := binary.Uvarint(b)
			b = b[n:]
			if field == 4 {
				sets = append(sets, parseNgramSet(t, b[:l]))
			}
			b = b[l:]
		default:
			t.Fatalf("%s: unexpected wire type %d", path, wire)
		}
	}
	return sets
}

func parseNgramSet(t *testing.T, b []byte) linguaSet {
	var s linguaSet
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		b = b[n:]
		switch key {
		case 1<<3 | 1:
			s.prob = math.Float64frombits(binary.LittleEndian.Uint64(b))
			b = b[8:]
		case 2<<3 | 2:
			l, n := binary.Uvarint(b)
			b = b[n:]
			s.ngrams = append(s.ngrams, string(b[:l]))
			b = b[l:]
		default:
			t.Fatal(fmt.Sprintf("unexpected key %d in n-gram set", key))
		}
	}
	return s
}
