package sentiment

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/internal/hashx"
)

// The SENTIMENT polarity model: a hashed linear model (logistic regression) over unigram and
// bigram features with negation marking, trained on the IMDB train split by
// ./internal/trainsentiment and embedded here. This file holds the one definition of the
// features, shared by the trainer (through Features) and the analyser, so training
// and inference cannot drift apart.
//
// Tokens are maximal runs of letters, digits and inner apostrophes (’ counts as '), lower-cased;
// the punctuation marks . , ; : ! ? end a token and a negation scope. A negator ("not", "no",
// "never", any word ending in "n't", "cannot", "nothing", ... see sentimentNegators) marks every
// following token, up to the next punctuation mark, as negated: the token "bad" after "not"
// is the feature NOT_bad, a different weight from "bad". Features are the marked unigrams, the
// bigrams of consecutive marked tokens within a punctuation-delimited span, and the tokens "!"
// and "?". Each feature is hashed (FNV-1a, 64 bits, then a splitmix64 finaliser) into one of
// 2^bits buckets. The document logit is bias + scale·Σ w[bucket] / sqrt(number of features).
//
// Model file (models/sentiment.bin, little-endian): "RSM1", bits (uint8), 3 reserved bytes,
// scale (float32), bias (float32), then 2^bits int8 weights.

//go:embed models/sentiment.bin
var sentimentModelBytes []byte

// The opinion model (models/opinion.bin, same format, 2^16 buckets) is trained by
// ./internal/trainopinion on objective text (news, abstracts, application descriptions)
// against review text. Its buckets are the low bits of the polarity model's, so one pass
// over the features reads both.
//
//go:embed models/opinion.bin
var opinionModelBytes []byte

const (
	sentSaltNeg    = 0x9e3779b97f4a7c15 // xor-ed into a negated token's hash
	sentSaltBigram = 0xc2b2ae3d27d4eb4f // added to a bigram's hash
)

// sentimentNegators are the words that open a negation scope (besides any word ending in
// "n't"); VADER's list plus "no", "nobody", "noone".
var sentimentNegators = []string{
	"no", "not", "never", "none", "nobody", "noone", "nothing", "nowhere", "neither", "nor",
	"cannot", "without", "nope", "aint", "arent", "cant", "couldnt", "darent", "didnt", "doesnt",
	"dont", "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt", "neednt", "oughtnt",
	"shant", "shouldnt", "wasnt", "werent", "wont", "wouldnt", "rarely", "seldom", "hardly",
}

var sentimentNegatorSet = func() map[uint64]bool {
	m := make(map[uint64]bool, len(sentimentNegators))
	for _, w := range sentimentNegators {
		m[hashToken(w)] = true
	}
	return m
}()

// hashToken is the FNV-1a hash of an already lower-cased token.
func hashToken(s string) uint64 { return hashx.FNV(s) }

// sentTokenKind tells what sentimentScan found.
type sentTokenKind uint8

const (
	sentWord  sentTokenKind = iota
	sentPunct               // . , ; : ! ? (ends a negation scope and a bigram span)
)

// sentToken is one token: its hash (of the lower-cased word, or of the punctuation mark),
// whether the word is a negator and, for punctuation, which mark.
type sentToken struct {
	h       uint64
	kind    sentTokenKind
	negator bool
	mark    byte
}

// sentimentScan calls visit for each token of text, in order. It does not allocate.
func sentimentScan(text string, visit func(t sentToken)) {
	i := 0
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
				i = sentimentWord(text, i, visit)
				continue
			case c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?':
				visit(sentToken{h: (hashx.FNVOffset64 ^ uint64(c)) * hashx.FNVPrime64, kind: sentPunct, mark: c})
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			i = sentimentWord(text, i, visit)
			continue
		}
		i += size
	}
}

// sentimentWord scans the word starting at i and returns the index after it.
func sentimentWord(text string, i int, visit func(t sentToken)) int {
	h := uint64(hashx.FNVOffset64)
	// last3 holds the last three bytes hashed, to recognise a trailing "n't".
	var last3 uint32
	n := 0
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			case c == '\'':
				// An apostrophe belongs to the word only between two letters.
				if i+1 >= len(text) || !isWordByteStart(text[i+1:]) {
					goto done
				}
			default:
				goto done
			}
			h ^= uint64(c)
			h *= hashx.FNVPrime64
			last3 = last3<<8 | uint32(c)
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == '’' { // typographic apostrophe: same rule as '
			if i+size >= len(text) || !isWordByteStart(text[i+size:]) {
				break
			}
			h ^= '\''
			h *= hashx.FNVPrime64
			last3 = last3<<8 | '\''
			n++
			i += size
			continue
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		r = unicode.ToLower(r)
		var buf [utf8.UTFMax]byte
		k := utf8.EncodeRune(buf[:], r)
		for j := 0; j < k; j++ {
			h ^= uint64(buf[j])
			h *= hashx.FNVPrime64
		}
		last3 = last3<<8 | uint32(buf[k-1])
		n++
		i += size
	}
done:
	neg := sentimentNegatorSet[h] || (n > 3 && last3&0xffffff == uint32('n')<<16|uint32('\'')<<8|uint32('t'))
	visit(sentToken{h: h, kind: sentWord, negator: neg})
	return i
}

// isWordByteStart reports whether s starts with a letter or digit.
func isWordByteStart(s string) bool {
	c := s[0]
	if c < utf8.RuneSelf {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// sentFeaturizer turns tokens into hashed feature buckets (see the file comment).
type sentFeaturizer struct {
	mask    uint64
	prev    uint64 // previous marked token in this span, 0 if none
	negated bool
}

// add returns the buckets of token t's features via emit.
func (f *sentFeaturizer) add(t sentToken, emit func(bucket uint32)) {
	if t.kind == sentPunct {
		if t.mark == '!' || t.mark == '?' {
			emit(uint32(hashx.Mix64(t.h) & f.mask))
		}
		f.prev, f.negated = 0, false
		return
	}
	u := t.h
	if f.negated {
		u ^= sentSaltNeg
	}
	emit(uint32(hashx.Mix64(u) & f.mask))
	if f.prev != 0 {
		emit(uint32(hashx.Mix64(f.prev*hashx.FNVPrime64+u+sentSaltBigram) & f.mask))
	}
	f.prev = u
	if t.negator {
		f.negated = true
	}
}

// Features calls emit with the hashed feature bucket (in [0, 2^bits)) of every
// feature of text, in order and with repetitions. It is the feature definition of the
// SENTIMENT model, exported for its trainer (./internal/trainsentiment); text is expected
// with HTML line breaks already replaced by spaces.
func Features(text string, bits uint, emit func(bucket uint32)) {
	f := sentFeaturizer{mask: 1<<bits - 1}
	sentimentScan(text, func(t sentToken) { f.add(t, emit) })
}

// sentModel is the decoded polarity model.
type sentModel struct {
	bits    uint
	scale   float64
	bias    float64
	weights []int8
}

const sentModelMagic = "RSM1"

// parseSentModel decodes the model file format described in the file comment.
func parseSentModel(b []byte) (*sentModel, error) {
	if len(b) < 16 || string(b[:4]) != sentModelMagic {
		return nil, errors.New("sentiment model: bad magic")
	}
	bits := uint(b[4])
	if bits < 10 || bits > 24 {
		return nil, fmt.Errorf("sentiment model: %d hash bits out of range", bits)
	}
	if len(b) != 16+1<<bits {
		return nil, fmt.Errorf("sentiment model: %d bytes, want %d", len(b), 16+1<<bits)
	}
	m := &sentModel{
		bits:  bits,
		scale: float64(math.Float32frombits(binary.LittleEndian.Uint32(b[8:]))),
		bias:  float64(math.Float32frombits(binary.LittleEndian.Uint32(b[12:]))),
	}
	w := b[16:]
	m.weights = make([]int8, len(w))
	for i, x := range w {
		m.weights[i] = int8(x)
	}
	return m, nil
}

// sentLogit is the model's logit for a document whose features' summed quantised weights
// are sum over n features.
func (m *sentModel) logit(sum int64, n int) float64 {
	if n == 0 {
		return m.bias
	}
	return m.bias + m.scale*float64(sum)/math.Sqrt(float64(n))
}
