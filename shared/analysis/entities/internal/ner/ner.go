// Package ner is the learned part of the ENTITIES analyser: a greedy left-to-right sequence
// tagger (averaged perceptron over hashed features) that finds PERSON, LOCATION, ORGANIZATION
// and CoNLL's MISC names with BIO tags. It holds the one definition of the features, used by
// the trainer (./../trainner) and by the analyser, so training and inference cannot drift
// apart; the model file format; the CoNLL-2003 reader and the fixed train/dev/held-out split.
//
// Features of token i of a sentence (each hashed with its template number into one of 2^bits
// buckets; a bucket holds one weight per tag): bias; the word; its lower-case form; its shape
// (runs of upper, lower, digit collapsed: "Xx", "X.X.", "d-d"); lower-case prefixes of 2–4
// and suffixes of 1–4 characters; the lower-case words at i-2..i+2 and the shapes at
// i-1..i+1; the word bigrams (i-1,i) and (i,i+1); the word before with this shape, this shape
// with the word after; the shape trigram (i-1,i,i+1); within a run of capitalised tokens, the
// run's last word and the position in the run; first-token-of-sentence with the shape;
// all-capital sentence (a CoNLL headline) with the shape and with the word; gazetteer
// membership (a phrase starting with a capital that is a known name: first token / inside,
// per source, alone and with the shape); and the dynamic features previous tag, previous two
// tags, previous tag with the word and with the shape. Decoding is greedy, constrained to
// valid BIO (I-X only after B-X or I-X); training (./train.go) uses the same decoding.
package ner

import (
	"unicode"
	"unicode/utf8"

	"github.com/ream-dev/ream/shared/internal/hashx"
)

// Tags. O is 0; B-X is 1+2k and I-X is 2+2k for the types in Types order.
const (
	TagO    = 0
	NumTags = 9
)

// Types are the entity types in tag order (CoNLL names).
var Types = [4]string{"PER", "LOC", "ORG", "MISC"}

// TagName is the CoNLL name of tag t ("O", "B-PER", ...).
func TagName(t uint8) string {
	if t == TagO {
		return "O"
	}
	p := "B-"
	if t%2 == 0 {
		p = "I-"
	}
	return p + Types[(t-1)/2]
}

// TagType is the type index (into Types) of a B- or I- tag.
func TagType(t uint8) int { return int(t-1) / 2 }

// Allowed reports whether tag t may follow tag prev under BIO (prev is TagO at a sentence start).
func Allowed(prev, t uint8) bool {
	if t == TagO || t%2 == 1 {
		return true
	}
	return prev == t || prev == t-1
}

// Gazetteer flags: bit positions in a phrase's flags.
const (
	GazPER        = iota // seen as PER in the training part of CoNLL
	GazLOC               // LOC
	GazORG               // ORG
	GazMISC              // MISC
	GazLexLoc            // Ream's lexicon: countries, cities, US states, regions
	GazLexOrg            // well-known organisations
	GazLexFirst          // given names
	GazLexDemonym        // demonyms
	NumGaz
)

// MaxGazLen is the longest gazetteer phrase in tokens.
const MaxGazLen = 6

// Gazetteer maps the hash of a lower-cased phrase (PhraseHash) to its flags.
type Gazetteer map[uint64]uint16

var (
	fnvAdd       = hashx.FNVBytes
	fnvAddString = hashx.FNVString
)

// appendLower appends the lower-case form of s to dst.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, sz := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += sz
	}
	return dst
}

// PhraseHash is the gazetteer key of a phrase given as words: their lower-case forms joined by
// single spaces, hashed.
func PhraseHash(words []string) uint64 {
	var buf []byte
	h := uint64(hashx.FNVOffset64)
	for k, w := range words {
		if k > 0 {
			h = fnvAdd(h, []byte{' '})
		}
		buf = appendLower(buf[:0], w)
		h = fnvAdd(h, buf)
	}
	return h
}

// Feature templates (tPre+k and tSuf+k for k = 0..3).
const (
	tBias       = 1
	tWord       = 2
	tLower      = 3
	tShape      = 4
	tPre        = 5
	tSuf        = 9
	tLowerM2    = 13
	tLowerM1    = 14
	tLowerP1    = 15
	tLowerP2    = 16
	tShapeM2    = 17
	tShapeM1    = 18
	tShapeP1    = 19
	tShapeP2    = 20
	tBigramL    = 21
	tBigramR    = 22
	tShape3     = 23
	tFirst      = 24
	tCapsShape  = 25
	tCapsWord   = 26
	tGaz        = 27
	tP1         = 28
	tP2P1       = 29
	tP1Word     = 30
	tP1Shape    = 31
	tRunLast    = 32
	tRunPos     = 33
	tPrevWShape = 34
	tShapeNextW = 35
)

// tokInfo is what the features need of one token.
type tokInfo struct {
	word, lower, shape uint64 // hashes
	pre, suf           [4]uint64
	npre               int8 // prefixes/suffixes available (runes, up to 4)
	capStart           bool // first rune upper case or a digit
	cand               bool // some rune upper case or a digit
	gaz                uint32
}

// Featurizer computes static features of sentences into reusable buffers. It is not safe for
// concurrent use; the zero value is ready.
type Featurizer struct {
	lower []byte
	shape []byte
	lowOf []int32 // lower-case byte range per token: lowOf[2i], lowOf[2i+1]
	toks  []tokInfo
	// Feats holds the static feature buckets of every token; token i's are
	// Feats[Offs[i]:Offs[i+1]].
	Feats []uint32
	Offs  []int32
}

const (
	hashBOS = 0x1234567890abcdef
	hashEOS = 0x0fedcba987654321
)

func (f *Featurizer) bucket(tmpl uint64, h uint64, mask uint64) uint32 {
	return uint32(hashx.Mix64(h^tmpl*0x9e3779b97f4a7c15) & mask)
}

// Extract fills Feats and Offs for the sentence words with 2^bits buckets and gazetteer gaz
// (nil: none).
func (f *Featurizer) Extract(words []string, gaz Gazetteer, bits uint) {
	n := len(words)
	mask := uint64(1)<<bits - 1
	f.lower = f.lower[:0]
	f.lowOf = f.lowOf[:0]
	if cap(f.toks) < n {
		f.toks = make([]tokInfo, n)
	}
	f.toks = f.toks[:n]
	upper, lowerN := 0, 0
	for i, w := range words {
		t := &f.toks[i]
		*t = tokInfo{}
		b := len(f.lower)
		f.lower = appendLower(f.lower, w)
		lw := f.lower[b:]
		f.lowOf = append(f.lowOf, int32(b), int32(len(f.lower)))
		t.word = fnvAddString(hashx.FNVOffset64, w)
		t.lower = fnvAdd(hashx.FNVOffset64, lw)
		// shape
		f.shape = f.shape[:0]
		var last byte
		first := true
		for _, r := range w {
			var c byte
			switch {
			case unicode.IsUpper(r):
				c = 'X'
				upper++
			case unicode.IsLower(r):
				c = 'x'
				lowerN++
			case r >= '0' && r <= '9':
				c = 'd'
			case r < utf8.RuneSelf:
				c = byte(r)
			default:
				c = 'o'
			}
			if first {
				t.capStart = c == 'X' || c == 'd'
				first = false
			}
			if c == 'X' || c == 'd' {
				t.cand = true
			}
			if c != last {
				f.shape = append(f.shape, c)
				last = c
			}
		}
		t.shape = fnvAdd(hashx.FNVOffset64, f.shape)
		// prefixes and suffixes of the lower-case form, by runes
		nr := utf8.RuneCount(lw)
		k := min(nr, 4)
		t.npre = int8(k)
		p := 0
		for j := 0; j < k; j++ {
			_, sz := utf8.DecodeRune(lw[p:])
			p += sz
			t.pre[j] = fnvAdd(hashx.FNVOffset64, lw[:p])
		}
		s := len(lw)
		for j := 0; j < k; j++ {
			_, sz := utf8.DecodeLastRune(lw[:s])
			s -= sz
			t.suf[j] = fnvAdd(hashx.FNVOffset64, lw[s:])
		}
	}
	allCaps := lowerN == 0 && upper >= 4
	// gazetteer: phrases starting with a capitalised token
	if len(gaz) > 0 {
		for i := 0; i < n; i++ {
			if !f.toks[i].capStart {
				continue
			}
			h := uint64(hashx.FNVOffset64)
			for j := i; j < n && j < i+MaxGazLen; j++ {
				if j > i {
					h ^= ' '
					h *= hashx.FNVPrime64
				}
				h = fnvAdd(h, f.lower[f.lowOf[2*j]:f.lowOf[2*j+1]])
				fl, ok := gaz[h]
				if !ok || fl == 0 {
					continue
				}
				f.toks[i].gaz |= uint32(fl)
				for k := i + 1; k <= j; k++ {
					f.toks[k].gaz |= uint32(fl) << 16
				}
			}
		}
	}
	f.Feats = f.Feats[:0]
	f.Offs = append(f.Offs[:0], 0)
	lowAt := func(i int) uint64 {
		switch {
		case i < 0:
			return hashBOS
		case i >= n:
			return hashEOS
		}
		return f.toks[i].lower
	}
	shapeAt := func(i int) uint64 {
		switch {
		case i < 0:
			return hashBOS
		case i >= n:
			return hashEOS
		}
		return f.toks[i].shape
	}
	add := func(tmpl, h uint64) { f.Feats = append(f.Feats, f.bucket(tmpl, h, mask)) }
	runStart, runEnd := 0, 0
	for i := 0; i < n; i++ {
		t := &f.toks[i]
		// the run of capitalised tokens holding i: its last word and i's position in it (its
		// end found once per run, not once per token: a run of 30,000 took seconds)
		if t.capStart {
			if i == 0 || !f.toks[i-1].capStart {
				runStart, runEnd = i, i
				for runEnd+1 < n && f.toks[runEnd+1].capStart {
					runEnd++
				}
			}
			pos := uint64(min(i-runStart, 3))<<4 | uint64(min(runEnd-i, 3))
			add(tRunLast, f.toks[runEnd].lower)
			add(tRunPos, pos)
		}
		add(tPrevWShape, lowAt(i-1)*hashx.FNVPrime64^t.shape)
		add(tShapeNextW, t.shape*hashx.FNVPrime64^lowAt(i+1))
		add(tBias, 0)
		add(tWord, t.word)
		add(tLower, t.lower)
		add(tShape, t.shape)
		for j := 0; j < int(t.npre); j++ {
			if j > 0 {
				add(uint64(tPre+j), t.pre[j])
			}
			add(uint64(tSuf+j), t.suf[j])
		}
		add(tLowerM2, lowAt(i-2))
		add(tLowerM1, lowAt(i-1))
		add(tLowerP1, lowAt(i+1))
		add(tLowerP2, lowAt(i+2))
		add(tShapeM1, shapeAt(i-1))
		add(tShapeP1, shapeAt(i+1))
		add(tBigramL, lowAt(i-1)*hashx.FNVPrime64^t.lower)
		add(tBigramR, t.lower*hashx.FNVPrime64^lowAt(i+1))
		add(tShape3, (shapeAt(i-1)*hashx.FNVPrime64^t.shape)*hashx.FNVPrime64^shapeAt(i+1))
		if i == 0 {
			add(tFirst, t.shape)
		}
		if allCaps {
			add(tCapsShape, t.shape)
			add(tCapsWord, t.lower)
		}
		for g := t.gaz; g != 0; g &= g - 1 {
			bit := uint64(bitIndex(g))
			add(tGaz, bit)
			add(tGaz, bit<<8|t.shape<<16)
		}
		f.Offs = append(f.Offs, int32(len(f.Feats)))
	}
}

func bitIndex(x uint32) int {
	n := 0
	for x&1 == 0 {
		x >>= 1
		n++
	}
	return n
}

// skip reports that token i is tagged O without scoring: it has no upper-case letter and no
// digit and follows no entity (p1 is O or the start). In CoNLL-2003 train 69 % of the tokens
// are such, and 20 of 23,499 entities start at one ("de Silva", "serie A"); training skips
// them the same way.
func (f *Featurizer) skip(i int, p1 uint8) bool {
	return !f.toks[i].cand && (p1 == TagO || p1 == startTag)
}

// dynamic returns the buckets of the history features of token i given the previous two tags.
func (f *Featurizer) dynamic(i int, p2, p1 uint8, mask uint64, out *[4]uint32) {
	out[0] = f.bucket(tP1, uint64(p1), mask)
	out[1] = f.bucket(tP2P1, uint64(p2)<<8|uint64(p1), mask)
	out[2] = f.bucket(tP1Word, f.toks[i].lower*31+uint64(p1), mask)
	out[3] = f.bucket(tP1Shape, f.toks[i].shape*31+uint64(p1), mask)
}

// startTag is the history tag before the first token (distinct from O in the features).
const startTag = NumTags
