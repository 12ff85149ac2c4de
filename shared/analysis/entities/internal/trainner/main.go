// Command trainner trains the ENTITIES sequence model (PERSON, LOCATION, ORGANIZATION and
// CoNLL's MISC; see package ner for the features) on the CoNLL-2003 English train file and
// writes it in the format ner.Parse reads (shared/analysis/entities/models/ner.bin.gz).
//
//	go run ./shared/analysis/entities/internal/trainner -data ../shared/data/ner-conll03-train.tsv -out shared/analysis/entities/models/ner.bin.gz
//
// The file is split once by document (ner.Part): the held-out part (about 18 % of the
// documents) is never read here beyond being skipped. A first model is trained on the train
// part only and scored on the dev part (about 10 %); its dev scores choose the softmax
// temperature of the confidence scores and are printed. The shipped model is then trained
// with the same settings on train plus dev. The run is deterministic (fixed seed, fixed
// epochs, single-threaded), so the same data gives the same bytes.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ream-dev/ream/shared/analysis/entities/internal/ner"
)

func main() {
	data := flag.String("data", "../shared/data/ner-conll03-train.tsv", "CoNLL-2003 train file (token<TAB>tag)")
	lexicon := flag.String("lexicon", "shared/analysis/entities/lexicon", "Ream's lexicon directory (gazetteer lists)")
	out := flag.String("out", "", "output model file (empty: do not write)")
	bits := flag.Uint("bits", 17, "hash bits (2^bits buckets of 9 weights)")
	epochs := flag.Int("epochs", 10, "training epochs")
	seed := flag.Uint64("seed", 1, "shuffle seed")
	folds := flag.Int("folds", 5, "gazetteer folds")
	devOnly := flag.Bool("devonly", false, "stop after the dev evaluation")
	flag.Parse()
	start := time.Now()
	f, err := os.Open(*data)
	if err != nil {
		log.Fatal(err)
	}
	sents, err := ner.ReadCoNLL(f)
	f.Close()
	if err != nil {
		log.Fatal(err)
	}
	var train, dev []ner.Sentence
	nh := 0
	for _, s := range sents {
		switch ner.Part(s.Doc) {
		case "train":
			train = append(train, s)
		case "dev":
			dev = append(dev, s)
		default:
			nh++
		}
	}
	fmt.Printf("%d sentences in %d documents: train %d, dev %d, held out (not used) %d\n",
		len(sents), sents[len(sents)-1].Doc+1, len(train), len(dev), nh)
	base, err := lexiconGazetteer(*lexicon)
	if err != nil {
		log.Fatal(err)
	}
	cfg := ner.TrainConfig{Bits: *bits, Epochs: *epochs, Seed: *seed, Folds: *folds}
	m := ner.Train(train, base, cfg)
	temp := ner.FitTemperature(m, dev)
	m.Temperature = temp
	report("dev", ner.Evaluate(m, dev))
	fmt.Printf("temperature %.3f (fitted on dev), %.1fs\n", temp, time.Since(start).Seconds())
	if *devOnly {
		return
	}
	final := ner.Train(append(train, dev...), base, cfg)
	final.Temperature = temp
	b, err := final.MarshalBinary()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("model: 2^%d buckets, %d gazetteer phrases, %d bytes, %.1fs\n", *bits, len(final.Gaz), len(b), time.Since(start).Seconds())
	if *out != "" {
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func report(name string, c [len(ner.Types)]ner.Counts) {
	var m ner.Counts
	for k, x := range c {
		p, r := ratio(x.TP, x.TP+x.FP), ratio(x.TP, x.TP+x.FN)
		fmt.Printf("%s %-4s P %.3f R %.3f F1 %.3f\n", name, ner.Types[k], p, r, f1(p, r))
		if ner.Types[k] != "MISC" {
			m.TP, m.FP, m.FN = m.TP+x.TP, m.FP+x.FP, m.FN+x.FN
		}
	}
	p, r := ratio(m.TP, m.TP+m.FP), ratio(m.TP, m.TP+m.FN)
	fmt.Printf("%s micro PER/LOC/ORG P %.3f R %.3f F1 %.3f\n", name, p, r, f1(p, r))
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// lexiconGazetteer reads Ream's hand-made name lists (not derived from CoNLL) as gazetteer
// phrases.
func lexiconGazetteer(dir string) (ner.Gazetteer, error) {
	g := ner.Gazetteer{}
	for _, l := range []struct {
		file string
		flag int
	}{
		{"countries.txt", ner.GazLexLoc}, {"cities.txt", ner.GazLexLoc}, {"us_states.txt", ner.GazLexLoc},
		{"regions.txt", ner.GazLexLoc}, {"organizations.txt", ner.GazLexOrg}, {"first_names.txt", ner.GazLexFirst},
		{"demonyms.txt", ner.GazLexDemonym},
	} {
		f, err := os.Open(filepath.Join(dir, l.file))
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			ws := strings.Fields(line)
			if len(ws) <= ner.MaxGazLen {
				g[ner.PhraseHash(ws)] |= 1 << l.flag
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	return g, nil
}
