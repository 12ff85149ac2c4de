// Command genlexicon writes the noun lexicon that package coding's hypernym features read
// (lexicon.go) from the WordNet 3.0 database files (Debian package wordnet-base):
//
//	go run ./shared/analysis/coding/internal/genlexicon -wordnet /usr/share/wordnet -out shared/analysis/coding/lexicon/wordnet-nouns.gz
//
// For each one-word noun of index.noun (lower case, hyphens and apostrophes removed, letters
// and digits only) it keeps the first (most frequent) sense, and for every synset reached it
// keeps its lexicographer file and its hypernyms (@ and @i) from data.noun. The output is a
// gzip stream of text lines, deterministic for a given database:
//
//	s <offset> <lexfile> [<hypernym offset> ...]   one per synset, in offset order
//	w <lemma> <offset>                             one per lemma, in index.noun order
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

type synset struct {
	lexfile string
	hyper   []string
}

func main() {
	dir := flag.String("wordnet", "/usr/share/wordnet", "WordNet 3.0 dict directory (data.noun, index.noun)")
	out := flag.String("out", "shared/analysis/coding/lexicon/wordnet-nouns.gz", "file to write")
	flag.Parse()
	log.SetFlags(0)

	syn := map[string]synset{}
	err := eachLine(filepath.Join(*dir, "data.noun"), func(l string) error {
		if strings.HasPrefix(l, "  ") {
			return nil
		}
		head, _, _ := strings.Cut(l, " | ")
		f := strings.Fields(head)
		if len(f) < 4 {
			return fmt.Errorf("short line %q", l)
		}
		w, err := strconv.ParseInt(f[3], 16, 32)
		if err != nil {
			return err
		}
		i := 4 + 2*int(w)
		p, err := strconv.Atoi(f[i])
		if err != nil {
			return err
		}
		i++
		s := synset{lexfile: f[1]}
		for range p {
			if (f[i] == "@" || f[i] == "@i") && f[i+2] == "n" {
				s.hyper = append(s.hyper, f[i+1])
			}
			i += 4
		}
		syn[f[0]] = s
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	var words bytes.Buffer
	keep := map[string]bool{}
	var visit func(o string)
	visit = func(o string) {
		if keep[o] {
			return
		}
		keep[o] = true
		for _, h := range syn[o].hyper {
			visit(h)
		}
	}
	n := 0
	err = eachLine(filepath.Join(*dir, "index.noun"), func(l string) error {
		if strings.HasPrefix(l, "  ") {
			return nil
		}
		f := strings.Fields(l)
		lemma := strings.NewReplacer("-", "", "'", "").Replace(f[0])
		if lemma == "" || strings.IndexFunc(lemma, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) >= 0 {
			return nil
		}
		sc, err := strconv.Atoi(f[2])
		if err != nil {
			return err
		}
		first := f[len(f)-sc]
		if _, ok := syn[first]; !ok {
			return fmt.Errorf("lemma %s: unknown synset %s", f[0], first)
		}
		visit(first)
		fmt.Fprintf(&words, "w %s %s\n", lemma, first)
		n++
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	offs := make([]string, 0, len(keep))
	for o := range keep {
		offs = append(offs, o)
	}
	slices.Sort(offs)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	bw := bufio.NewWriter(zw)
	for _, o := range offs {
		s := syn[o]
		fmt.Fprintf(bw, "s %s %s", o, s.lexfile)
		for _, h := range s.hyper {
			fmt.Fprintf(bw, " %s", h)
		}
		bw.WriteByte('\n')
	}
	bw.Write(words.Bytes())
	if err := bw.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s: %d lemmas, %d synsets, %d bytes", *out, n, len(offs), buf.Len())
}

func eachLine(path string, fn func(string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if err := fn(sc.Text()); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return sc.Err()
}
