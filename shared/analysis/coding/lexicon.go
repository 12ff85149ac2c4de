package coding

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"strconv"
	"strings"
	"sync"
)

// # Noun lexicon
//
// The hypernym features (FeatureConfig.Hyper) give a title's words the meanings WordNet
// knows them by, so that a word never seen in training still shares features with the words
// of its kind ("astronomer" and "physicist" are both a "scientist"). lexicon/wordnet-nouns.gz
// is generated from WordNet 3.0 (Princeton University, WordNet 3.0 licence, see
// lexicon/LICENSE) by ./internal/genlexicon: 57,448 one-word nouns, each with its first
// (most frequent) sense, and the 48,499 synsets reached from them with their hypernyms and
// lexicographer files. A token (after normalize.go) that is the stem of a lemma gets one
// feature for its sense, one for each ancestor of the sense (hypernyms, transitively) and
// one for the sense's lexicographer file (noun.person, noun.artifact, ...). Lemmas whose
// stems coincide keep the first in WordNet's (alphabetical) order. The file must not change
// under a trained model: its features are hashed from WordNet's synset offsets.

//go:embed lexicon/wordnet-nouns.gz
var lexiconGz []byte

// nounLexicon maps a stemmed token to the hashes of its sense, the sense's ancestors and its
// lexicographer file (slices shared between the lemmas of one sense).
var nounLexicon = sync.OnceValue(func() map[string][]uint64 {
	lex, err := parseLexicon(lexiconGz)
	if err != nil {
		panic("coding: embedded lexicon: " + err.Error())
	}
	return lex
})

func parseLexicon(gz []byte) (map[string][]uint64, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	type syn struct {
		lexfile int
		hyper   []string
	}
	syns := map[string]syn{}
	chains := map[string][]uint64{}
	var chain func(o string, seen map[string]bool, out []uint64) []uint64
	chain = func(o string, seen map[string]bool, out []uint64) []uint64 {
		for _, h := range syns[o].hyper {
			if !seen[h] {
				seen[h] = true
				out = append(out, fnvBytes([]byte(h)))
				out = chain(h, seen, out)
			}
		}
		return out
	}
	lex := make(map[string][]uint64, 1<<16)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 3 && f[0] == "s":
			lf, err := strconv.Atoi(f[2])
			if err != nil {
				return nil, err
			}
			syns[f[1]] = syn{lexfile: lf, hyper: f[3:]}
		case len(f) == 3 && f[0] == "w":
			c, ok := chains[f[2]]
			if !ok {
				s, known := syns[f[2]]
				if !known {
					return nil, strconv.ErrSyntax
				}
				c = chain(f[2], map[string]bool{f[2]: true}, []uint64{fnvBytes([]byte(f[2]))})
				c = append(c, fnvBytes([]byte("lex"+strconv.Itoa(s.lexfile))))
				c = c[:len(c):len(c)]
				chains[f[2]] = c
			}
			k := string(stem([]byte(f[1])))
			if _, dup := lex[k]; !dup {
				lex[k] = c
			}
		default:
			return nil, strconv.ErrSyntax
		}
	}
	return lex, sc.Err()
}
