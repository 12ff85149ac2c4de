package ner

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Sentence is one CoNLL sentence: its words, gold tags and the index of its document.
type Sentence struct {
	Words []string
	Tags  []uint8
	Doc   int
}

// ReadCoNLL reads `token<TAB>BIO-tag` lines with a blank line after each sentence (the format
// of ner-conll03-train.tsv). The file has no -DOCSTART- lines, so documents are recovered from
// the Reuters layout: a document is a headline followed by a dateline ("BRUSSELS 1996-08-22", a
// sentence of at most six tokens ending in a 1996-… date); a new document starts at the
// sentence before each dateline. (Where a byline sits between headline and dateline, the
// headline stays with the previous document; the split below was fixed on this numbering
// before any result was seen, so it is kept.)
func ReadCoNLL(r io.Reader) ([]Sentence, error) {
	tagOf := map[string]uint8{"O": TagO}
	for k := uint8(1); k < NumTags; k++ {
		tagOf[TagName(k)] = k
	}
	var out []Sentence
	var cur Sentence
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	line := 0
	flush := func() {
		if len(cur.Words) > 0 {
			out = append(out, cur)
		}
		cur = Sentence{}
	}
	for sc.Scan() {
		line++
		l := sc.Text()
		if l == "" {
			flush()
			continue
		}
		w, t, ok := strings.Cut(l, "\t")
		tag, known := tagOf[t]
		if !ok || !known || w == "" {
			return nil, fmt.Errorf("line %d: want token<TAB>tag, got %q", line, l)
		}
		cur.Words = append(cur.Words, w)
		cur.Tags = append(cur.Tags, tag)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	flush()
	doc := 0
	for i := range out {
		if i > 0 && i+1 < len(out) && IsDateline(out[i+1].Words) {
			doc++
		}
		out[i].Doc = doc
	}
	return out, nil
}

// IsDateline reports whether a sentence is a Reuters dateline ("BRUSSELS 1996-08-22"): at most
// six tokens, the last a 1996-… date.
func IsDateline(ws []string) bool {
	if len(ws) > 6 {
		return false
	}
	d := ws[len(ws)-1]
	return len(d) == 10 && strings.HasPrefix(d, "199") && d[4] == '-' && d[7] == '-'
}

// Part is the fixed split of the CoNLL train file by document: "heldout" (about 18 % of the
// documents: reported on, never trained or tuned on), "dev" (about 10 %: for tuning) or
// "train". It hashes the document index, so it never changes.
func Part(doc int) string {
	h := fnv.New32a()
	h.Write([]byte("ream-ner-split-" + strconv.Itoa(doc)))
	switch b := h.Sum32() % 100; {
	case b < 18:
		return "heldout"
	case b < 28:
		return "dev"
	}
	return "train"
}

// Span is an entity in token indices [Begin, End) with a type index into Types.
type Span struct {
	Begin, End int
	Type       int
}

// Spans returns the entities of a BIO tag sequence (an I- without its B- starts an entity, as
// conlleval counts it).
func Spans(tags []uint8) []Span {
	var out []Span
	for i := 0; i < len(tags); {
		t := tags[i]
		if t == TagO {
			i++
			continue
		}
		ty := TagType(t)
		j := i + 1
		for j < len(tags) && tags[j] == uint8(2+2*ty) {
			j++
		}
		out = append(out, Span{i, j, ty})
		i = j
	}
	return out
}

// Document is a CoNLL document as text: its tokens joined by spaces and its sentences by line
// breaks, as a Reuters story reads, with its gold entities in character offsets of Text (Type
// in Types order).
type Document struct {
	Text  string
	Spans []Span
}

// Documents joins consecutive sentences of one document (Sentence.Doc) into Documents, for
// measuring an analyser of raw text against the gold tags.
func Documents(sents []Sentence) []Document {
	var docs []Document
	var sb strings.Builder
	var spans []Span
	chars := 0
	flush := func() {
		if sb.Len() > 0 {
			docs = append(docs, Document{sb.String(), spans})
		}
		sb.Reset()
		spans, chars = nil, 0
	}
	for k, s := range sents {
		if k > 0 && s.Doc != sents[k-1].Doc {
			flush()
		}
		if sb.Len() > 0 {
			sb.WriteByte('\n')
			chars++
		}
		begins := make([]int, len(s.Words))
		for i, w := range s.Words {
			if i > 0 {
				sb.WriteByte(' ')
				chars++
			}
			begins[i] = chars
			sb.WriteString(w)
			chars += utf8.RuneCountInString(w)
		}
		for _, sp := range Spans(s.Tags) {
			end := begins[sp.End-1] + utf8.RuneCountInString(s.Words[sp.End-1])
			spans = append(spans, Span{begins[sp.Begin], end, sp.Type})
		}
	}
	flush()
	return docs
}

// InPart returns the sentences of part ("train", "dev" or "heldout": Part) in their order.
func InPart(sents []Sentence, part string) []Sentence {
	var out []Sentence
	for _, s := range sents {
		if Part(s.Doc) == part {
			out = append(out, s)
		}
	}
	return out
}
