// Command trainopinion trains the SENTIMENT opinion model: a hashed logistic regression over
// the features of sentiment.Features (the polarity model's unigrams and bigrams, the low
// bits of the same buckets) that tells opinion text (review prose) from objective text
// (news, scientific abstracts, application descriptions). It writes the quantised weights
// in the polarity model's file format (models/opinion.bin, "RSM1").
//
//	go run ./shared/analysis/sentiment/internal/trainopinion -imdb <imdb datasets dir> -data ../shared/data -out shared/analysis/sentiment/models/opinion.bin
//
// Training examples are runs of 1-4 consecutive sentences (the run length fixed by a hash):
//
//   - objective (0): CoNLL-2003 news sentences (ner-conll03-train.tsv, detokenised) of the
//     documents in the ENTITIES split's train part (the held-out and dev documents are
//     skipped: the held-out part is where the analyser's news labels are reported); the
//     KDD/WWW abstracts (keyphrases-kdd-www.jsonl) of the KEY_PHRASES split's train part; the
//     DEP-11 application descriptions (topics-dep11.tsv) whose FNV-1a hash puts them in
//     the train part (80 %);
//   - opinion (1): sentences of the IMDB train reviews (datasets/train of
//     github.com/cdipaolo/sentiment@v0.0.0-20200617002423-c697f64e7f10) whose FNV-1a hash
//     puts them in the train part (80 %), subsampled by hash to as many runs as the
//     objective ones.
//
// The other parts (dev) are scored after training and printed; the IMDB test split is never
// read. The run is deterministic: inputs are read in file order, split and subsampled by
// hash, shuffled with fixed seeds, and training is single-threaded, so the same data gives
// the same bytes.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"hash/fnv"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ream-dev/ream/shared/analysis/sentiment"
	"github.com/ream-dev/ream/shared/analysis/sentiment/internal/hashlr"
)

// example is one training run of sentences.
type example struct {
	text string
	y    float64 // 1 opinion, 0 objective
	src  string
	part string // "train" or "dev"; other parts are not loaded
}

func main() {
	imdb := flag.String("imdb", "", "IMDB datasets directory (with train/pos and train/neg)")
	data := flag.String("data", "../shared/data", "shared data directory")
	out := flag.String("out", "", "output model file (empty: do not write)")
	bits := flag.Uint("bits", 16, "hash bits (2^bits buckets; at most the polarity model's 20)")
	epochs := flag.Int("epochs", 10, "training epochs")
	lr := flag.Float64("lr", 2, "initial learning rate")
	l2 := flag.Float64("l2", 1e-4, "L2 regularisation (per example)")
	nb := flag.Float64("nb", 1, "if > 0, scale features by their naive-Bayes log-count ratio with this smoothing")
	ratio := flag.Float64("ratio", 1, "opinion runs per objective run in training (the IMDB runs are subsampled)")
	flag.Parse()
	if *imdb == "" {
		log.Fatal("-imdb is required")
	}
	if *bits < 10 || *bits > 20 {
		log.Fatal("-bits must be in [10, 20]")
	}
	var ex []example
	ex = append(ex, loadCoNLL(filepath.Join(*data, "ner-conll03-train.tsv"))...)
	ex = append(ex, loadAbstracts(filepath.Join(*data, "keyphrases-kdd-www.jsonl"))...)
	ex = append(ex, loadApps(filepath.Join(*data, "topics-dep11.tsv"))...)
	nObj := 0
	for _, e := range ex {
		if e.part == "train" {
			nObj++
		}
	}
	subj := loadIMDB(*imdb)
	nSubj := 0
	for _, e := range subj {
		if e.part == "train" {
			nSubj++
		}
	}
	keep := *ratio * float64(nObj) / float64(nSubj)
	for _, e := range subj {
		if e.part == "train" && float64(hash32("keep"+e.text, 1000000))/1e6 >= keep {
			continue
		}
		ex = append(ex, e)
	}
	var trainEx, devEx []example
	counts := map[string]int{}
	for _, e := range ex {
		counts[e.src+" "+e.part]++
		if e.part == "train" {
			trainEx = append(trainEx, e)
		} else {
			devEx = append(devEx, e)
		}
	}
	for _, s := range []string{"news", "abstract", "app", "imdb"} {
		log.Printf("%-8s runs: train %d, dev %d", s, counts[s+" train"], counts[s+" dev"])
	}
	train := featurize(trainEx, *bits)
	dev := featurize(devEx, *bits)
	rng := rand.New(rand.NewPCG(42, 42))
	rng.Shuffle(len(train), func(i, j int) { train[i], train[j] = train[j], train[i] })
	var r []float64
	if *nb > 0 {
		r = hashlr.NBRatios(train, *bits, *nb)
	}
	w, b := hashlr.Train(train, *bits, *epochs, *lr, *l2, 1, r)
	q, scale, qb := hashlr.Quantise(w, b)
	bySrc := map[string][2]int{}
	for i, d := range dev {
		src := devEx[i].src
		c := bySrc[src]
		c[1]++
		if (hashlr.LogitQ(d, q, scale, qb) > 0) == (d.Y == 1) {
			c[0]++
		}
		bySrc[src] = c
	}
	for _, s := range []string{"news", "abstract", "app", "imdb"} {
		c := bySrc[s]
		log.Printf("dev %-8s accuracy %.4f (%d runs)", s, float64(c[0])/float64(max(1, c[1])), c[1])
	}
	if *out != "" {
		buf := hashlr.Encode(*bits, q, scale, qb)
		if err := os.WriteFile(*out, buf, 0o644); err != nil {
			log.Fatal(err)
		}
		log.Printf("wrote %s (%d bytes)", *out, len(buf))
	}
}

// hash32 is the FNV-1a hash of key modulo mod.
func hash32(key string, mod uint32) uint32 {
	h := fnv.New32a()
	h.Write([]byte(key))
	return h.Sum32() % mod
}

// splitSentences splits running text after . ! ? (and closing quotes or brackets) followed by
// white space.
func splitSentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		j := i + 1
		for j < len(text) && strings.IndexByte(".!?\"')]", text[j]) >= 0 {
			j++
		}
		if j < len(text) && (text[j] == ' ' || text[j] == '\n' || text[j] == '\t') {
			if s := strings.TrimSpace(text[start:j]); s != "" {
				out = append(out, s)
			}
			start = j
			i = j
		}
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// detok undoes the CoNLL and abstracts tokenisation ("does n't" → "doesn't", "word ." → "word.").
var detok = strings.NewReplacer(" .", ".", " ,", ",", " ;", ";", " :", ":", " ?", "?", " !", "!",
	" 's", "'s", " n't", "n't", " 're", "'re", " 've", "'ve", " 'll", "'ll", " 'd", "'d", " 'm", "'m",
	"( ", "(", " )", ")", "`` ", "\"", " ''", "\"", " %", "%", "$ ", "$")

func detokenize(toks []string) string { return detok.Replace(strings.Join(toks, " ")) }

// words counts the fields holding an ASCII letter.
func words(s string) int {
	n := 0
	for _, f := range strings.Fields(s) {
		if strings.IndexFunc(f, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) >= 0 {
			n++
		}
	}
	return n
}

// chunks appends a document's sentences as runs of 1-4 (the length fixed by a hash of the key
// and position) with at least 3 words.
func chunks(sents []string, key string, y float64, src, part string, out []example) []example {
	for i := 0; i < len(sents); {
		n := min(1+int(hash32(key+"#"+strconv.Itoa(i), 4)), len(sents)-i)
		if s := strings.Join(sents[i:i+n], " "); words(s) >= 3 {
			out = append(out, example{text: s, y: y, src: src, part: part})
		}
		i += n
	}
	return out
}

// nerPart is shared/analysis/entities/internal/ner.Part (not importable from here): the
// CoNLL split by document, "heldout" (18 %), "dev" (10 %) or "train".
func nerPart(doc int) string {
	switch b := hash32("ream-ner-split-"+strconv.Itoa(doc), 100); {
	case b < 18:
		return "heldout"
	case b < 28:
		return "dev"
	}
	return "train"
}

// isDateline is ner's: a sentence of at most six tokens ending in a 1996-… date.
func isDateline(ws []string) bool {
	if len(ws) > 6 {
		return false
	}
	d := ws[len(ws)-1]
	return len(d) == 10 && strings.HasPrefix(d, "199") && d[4] == '-' && d[7] == '-'
}

// loadCoNLL reads the CoNLL file's sentences, numbers its documents as ner.ReadCoNLL does (a
// new document starts at the sentence before each dateline) and keeps the train and dev
// documents' sentences of at least 4 words (datelines dropped).
func loadCoNLL(path string) []example {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var sents [][]string
	var cur []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if l == "" {
			if len(cur) > 0 {
				sents = append(sents, cur)
			}
			cur = nil
			continue
		}
		w, _, _ := strings.Cut(l, "\t")
		cur = append(cur, w)
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	if len(cur) > 0 {
		sents = append(sents, cur)
	}
	var out []example
	var ss []string
	doc := 0
	flush := func() {
		if p := nerPart(doc); p != "heldout" {
			out = chunks(ss, "conll"+strconv.Itoa(doc), 0, "news", p, out)
		}
		ss = nil
	}
	for i := range sents {
		if i > 0 && i+1 < len(sents) && isDateline(sents[i+1]) {
			flush()
			doc++
		}
		if s := detokenize(sents[i]); !isDateline(sents[i]) && words(s) >= 4 {
			ss = append(ss, s)
		}
	}
	flush()
	return out
}

// loadAbstracts reads the KDD/WWW abstracts of the KEY_PHRASES split's train and dev parts
// (FNV-1a of the id mod 10: 0-6 train, 7 dev, 8-9 held out).
func loadAbstracts(path string) []example {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var out []example
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var g struct{ ID, Text string }
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			log.Fatal(err)
		}
		var p string
		switch r := hash32(g.ID, 10); {
		case r < 7:
			p = "train"
		case r == 7:
			p = "dev"
		default:
			continue
		}
		out = chunks(splitSentences(detokenize(strings.Fields(g.Text))), g.ID, 0, "abstract", p, out)
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	return out
}

// loadApps reads the DEP-11 application descriptions (category<TAB>text): 80 % train, 20 %
// dev by the hash of the text.
func loadApps(path string) []example {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var out []example
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for i := 0; sc.Scan(); i++ {
		_, text, _ := strings.Cut(sc.Text(), "\t")
		p := "train"
		if hash32("app"+text, 10) >= 8 {
			p = "dev"
		}
		out = chunks(splitSentences(text), "app"+strconv.Itoa(i), 0, "app", p, out)
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	return out
}

// loadIMDB reads the IMDB train reviews in name order: 80 % train, 20 % dev by the hash of
// class/name.
func loadIMDB(dir string) []example {
	var out []example
	for _, class := range []string{"pos", "neg"} {
		entries, err := os.ReadDir(filepath.Join(dir, "train", class))
		if err != nil {
			log.Fatal(err)
		}
		for _, e := range entries {
			raw, err := os.ReadFile(filepath.Join(dir, "train", class, e.Name()))
			if err != nil {
				log.Fatal(err)
			}
			text := strings.ReplaceAll(string(raw), "<br />", " ")
			p := "train"
			if hash32("imdb-"+class+"/"+e.Name(), 10) >= 8 {
				p = "dev"
			}
			out = chunks(splitSentences(text), class+e.Name(), 1, "imdb", p, out)
		}
	}
	return out
}

// featurize gives each example's features, in the examples' order.
func featurize(ex []example, bits uint) []hashlr.Doc {
	out := make([]hashlr.Doc, len(ex))
	for i, e := range ex {
		var fs []uint32
		sentiment.Features(e.text, bits, func(k uint32) { fs = append(fs, k) })
		out[i] = hashlr.Doc{Feats: fs, N: len(fs), Y: e.y}
	}
	return out
}
