package topics

import (
	"math"
	"slices"
)

// A document's vector is its TF-IDF row: for each vocabulary term j it contains, sublinear
// term frequency times idf, (1 + ln tf)·idf_j, and the row is scaled to unit Euclidean norm.
// Terms outside the vocabulary are ignored; a document with none has no vector ("empty").

// vectorizer turns texts into sparse vectors of one vocabulary; one per goroutine.
type vectorizer struct {
	v   *Vocabulary
	tok tokenizer
	ids []int32
	// onToken, when set, sees every token of the texts counted (an Assigner's spelling count).
	onToken func(stem, surface []byte)
	// the current vector
	idx    []int32
	counts []int32
	val    []float64
}

func newVectorizer(v *Vocabulary) *vectorizer { return &vectorizer{v: v} }

// counts sets idx/counts to the document's in-vocabulary terms and counts, by term index.
func (z *vectorizer) count(text string) {
	z.ids = z.ids[:0]
	z.tok.each(text, func(stem, surface []byte, _ int) {
		if z.onToken != nil {
			z.onToken(stem, surface)
		}
		if j, ok := z.v.index[string(stem)]; ok {
			z.ids = append(z.ids, j)
		}
	})
	z.runs()
}

// runs sets idx/counts from the term indices in ids (in any order): each distinct index once,
// increasing, with how many times it occurs.
func (z *vectorizer) runs() {
	slices.Sort(z.ids)
	z.idx, z.counts = z.idx[:0], z.counts[:0]
	for i := 0; i < len(z.ids); {
		j := i + 1
		for j < len(z.ids) && z.ids[j] == z.ids[i] {
			j++
		}
		z.idx = append(z.idx, z.ids[i])
		z.counts = append(z.counts, int32(j-i))
		i = j
	}
}

// weigh sets val from idx/counts; it reports false for an empty document.
func (z *vectorizer) weigh() bool {
	z.val = weigh(z.v, z.idx, z.counts, z.val[:0])
	return len(z.val) > 0
}

// vector tokenises text and sets idx/val; false when the document is empty.
func (z *vectorizer) vector(text string) bool {
	z.count(text)
	return z.weigh()
}

// weigh appends the unit TF-IDF weights of the terms idx with counts to dst.
func weigh(v *Vocabulary, idx, counts []int32, dst []float64) []float64 {
	var ss float64
	for t, j := range idx {
		w := float64((1 + plog(float64(counts[t]))) * v.IDF[j])
		dst = append(dst, w)
		ss += float64(w * w)
	}
	if ss == 0 {
		return dst[:0]
	}
	inv := 1 / math.Sqrt(ss)
	for t := range dst {
		dst[t] = float64(dst[t] * inv)
	}
	return dst
}
