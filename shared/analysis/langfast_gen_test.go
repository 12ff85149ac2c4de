package analysis

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
	"strings"
	"testing"
)

// TestGenerateLanguageModels regenerates models/lang-ngrams.bin.gz from lingua-go v1.4.0's
// unigram, bigram and trigram models (Apache-2.0) in the module cache, for the languages of
// langNgramLanguages. It runs only with REAM_GEN_LANGMODEL=1:
//
//	REAM_GEN_LANGMODEL=1 go test ./shared/analysis/ -run TestGenerateLanguageModels
//
// Format (before gzip, little-endian): "RLM1"; number of languages (uint8); per language its
// ISO 639-1 code (2 bytes) and, for n = 1, 2, 3, the number of n-grams (uint32) followed by
// each n-gram as length (uint8), UTF-8 bytes and natural-log probability (float32). The
// output is deterministic (lingua's n-gram sets in file order).
func TestGenerateLanguageModels(t *testing.T) {
	if os.Getenv("REAM_GEN_LANGMODEL") != "1" {
		t.Skip("set REAM_GEN_LANGMODEL=1 to regenerate models/lang-ngrams.bin.gz")
	}
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "github.com", "pemistahl", "lingua-go@v1.4.0", "language-models")
	var raw bytes.Buffer
	raw.WriteString("RLM1")
	raw.WriteByte(byte(len(langNgramLanguages)))
	for _, code := range langNgramLanguages {
		raw.WriteString(code)
		for n, name := range []string{"unigrams", "bigrams", "trigrams"} {
			sets := readLinguaModel(t, filepath.Join(root, code, name+".pb.bin.zip"))
			var cnt uint32
			var body bytes.Buffer
			for _, s := range sets {
				lp := float32(math.Log(s.prob))
				for _, g := range s.ngrams {
					if len([]rune(g)) != n+1 || len(g) > 255 {
						t.Fatalf("%s %s: bad n-gram %q", code, name, g)
					}
					body.WriteByte(byte(len(g)))
					body.WriteString(g)
					binary.Write(&body, binary.LittleEndian, lp)
					cnt++
				}
			}
			binary.Write(&raw, binary.LittleEndian, cnt)
			raw.Write(body.Bytes())
		}
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(raw.Bytes())
	w.Close()
	if err := os.WriteFile(filepath.Join("models", "lang-ngrams.bin.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote models/lang-ngrams.bin.gz: %d bytes (%d uncompressed)", gz.Len(), raw.Len())
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
