package coding

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"errors"
	"slices"
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
// feature for its sense, one for each ancestor of the sense (hypernyms, transitively; but
// not the most general ones, see minAncestors) and one for the sense's lexicographer file
// (noun.person, noun.artifact, ...). Lemmas whose
// stems coincide keep the first in WordNet's (alphabetical) order. The file must not change
// under a trained model: its features are hashed from WordNet's synset offsets.

// minAncestors: a synset gives a feature only when it has at least this many ancestors
// (entity, physical entity, object, whole, living thing... are left out: they add little to
// the lexicographer file, and cost speed).
const minAncestors = 5

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
		off     string
		lexfile string
		hyper   []uint32
		full    []uint64 // the sense and its ancestors (preorder, each once), when computed
		chain   []uint64 // full and the lexicographer file
	}
	syns := make(map[uint32]*syn, 1<<16)
	closure := make(map[uint64]int, 1<<16) // synset hash -> len(full)
	key := func(o string) (uint32, error) {
		k, err := strconv.ParseUint(o, 10, 32)
		return uint32(k), err
	}
	// full returns the hashes of o and of its ancestors, depth first, each once.
	var full func(o uint32) []uint64
	full = func(o uint32) []uint64 {
		s := syns[o]
		if s == nil {
			return nil
		}
		if s.full == nil {
			out := []uint64{fnvBytes([]byte(s.off))}
			for _, h := range s.hyper {
				for _, x := range full(h) {
					if !slices.Contains(out, x) {
						out = append(out, x)
					}
				}
			}
			s.full = out[:len(out):len(out)]
			closure[out[0]] = len(out)
		}
		return s.full
	}
	lex := make(map[string][]uint64, 1<<16)
	sc := bufio.NewScanner(zr)
	var stemBuf []byte
	for sc.Scan() {
		line := sc.Text()
		kind, rest, _ := strings.Cut(line, " ")
		switch kind {
		case "s":
			f := strings.Fields(rest)
			if len(f) < 2 {
				return nil, errors.New("bad synset line")
			}
			s := &syn{off: f[0], lexfile: f[1], hyper: make([]uint32, len(f)-2)}
			for i, h := range f[2:] {
				if s.hyper[i], err = key(h); err != nil {
					return nil, err
				}
			}
			k, err := key(f[0])
			if err != nil {
				return nil, err
			}
			syns[k] = s
		case "w":
			lemma, off, ok := strings.Cut(rest, " ")
			o, err := key(off)
			s := syns[o]
			if !ok || err != nil || s == nil {
				return nil, errors.New("bad lemma line")
			}
			if s.chain == nil {
				lf, err := strconv.Atoi(s.lexfile)
				if err != nil {
					return nil, err
				}
				var c []uint64
				for _, x := range full(o) {
					if closure[x] > minAncestors {
						c = append(c, x)
					}
				}
				c = append(c, fnvBytes([]byte("lex"+strconv.Itoa(lf))))
				s.chain = c[:len(c):len(c)]
			}
			stemBuf = append(stemBuf[:0], lemma...)
			k := stem(stemBuf)
			if _, dup := lex[string(k)]; !dup {
				lex[string(k)] = s.chain
			}
		default:
			return nil, errors.New("bad line")
		}
	}
	return lex, sc.Err()
}
