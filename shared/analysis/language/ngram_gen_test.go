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
	var raw bytes.Buffer
	raw.WriteString("RLM2")
	raw.WriteByte(byte(len(langNgramLanguages)))
	var rs []rune
	for li, code := range langNgramLanguages {
		raw.WriteString(code)
		var ps [3][]float32
		var alone bytes.Buffer // this language's models on their own, to measure its size
		for n, name := range []string{"unigrams", "bigrams", "trigrams"} {
			sets := readLinguaModel(t, filepath.Join(root, code, name+".pb.bin.zip"))
			for _, s := range sets {
				lp := float32(math.Log(s.prob))
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
